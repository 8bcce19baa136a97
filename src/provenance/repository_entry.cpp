// What the manifest repository stores for a file: its store, active label and soft bindings.
#include <filesystem>

#include "formats/formats.hpp"
#include "veritrace/provenance.hpp"

namespace veritrace::provenance {



// The active manifest's soft bindings, from the reader's report. A soft-binding assertion without
// its own `alg` takes the claim's `alg_soft` (C2PA 2.x, 18.5); with neither it names no algorithm
// and is skipped.
std::vector<repo::SoftBinding> soft_bindings_of(const nlohmann::json& manifest) {
  std::vector<repo::SoftBinding> out;
  const auto assertions = manifest.find("assertions");
  if (assertions == manifest.end() || !assertions->is_array()) return out;
  std::string claim_alg_soft;
  if (auto claim = manifest.find("claim"); claim != manifest.end() && claim->is_object()) {
    if (auto a = claim->find("alg_soft"); a != claim->end() && a->is_string()) claim_alg_soft = *a;
  }
  for (const auto& a : *assertions) {
    if (!a.is_object() || !a.contains("label") || !a["label"].is_string()) continue;
    const std::string label = a["label"];
    if (label != "c2pa.soft-binding" && label.rfind("c2pa.soft-binding__", 0) != 0) continue;
    const auto data = a.find("data");
    if (data == a.end() || !data->is_object()) continue;
    std::string alg = claim_alg_soft;
    if (auto v = data->find("alg"); v != data->end() && v->is_string()) alg = *v;
    const auto blocks = data->find("blocks");
    if (alg.empty() || blocks == data->end() || !blocks->is_array()) continue;
    for (const auto& b : *blocks) {
      if (b.is_object() && b.contains("value") && b["value"].is_string()) out.push_back({alg, b["value"]});
    }
  }
  return out;
}

RepositoryEntry repository_entry(const c2pa::Reader& reader, const std::string& file) {
  auto src = open_file_source(file);
  const auto detected = formats::detect(*src);
  if (detected.format == formats::Format::Unknown) throw Error(ErrorKind::Unsupported, file + ": unknown file format");
  auto carrier = formats::find_c2pa(*src, detected.format);
  if (carrier.store.empty()) {
    throw Error(ErrorKind::Malformed, file + ": no C2PA manifest store in the file" +
                                          (carrier.remote_url ? " (only a remote reference: " + *carrier.remote_url + ")" : ""));
  }
  // The reader parses and validates the same store; a store it cannot parse is not stored.
  c2pa::ReadResult read = reader.read_file(file);
  RepositoryEntry out;
  out.state = read.state;
  out.entry.store = std::move(carrier.store);
  std::error_code ec;
  const auto absolute = std::filesystem::absolute(file, ec);  // a relative path means nothing later
  out.entry.source_path = ec ? file : absolute.lexically_normal().string();
  const nlohmann::json& report = read.report;
  if (auto a = report.find("active_manifest"); a != report.end() && a->is_string()) out.entry.active_manifest = *a;
  if (auto manifests = report.find("manifests"); manifests != report.end()) {
    // c2patool's shape is an object keyed by label; accept an array of objects with "label" too.
    const nlohmann::json* active = nullptr;
    if (manifests->is_object() && manifests->contains(out.entry.active_manifest)) active = &(*manifests)[out.entry.active_manifest];
    if (manifests->is_array()) {
      for (const auto& m : *manifests)
        if (m.is_object() && m.value("label", "") == out.entry.active_manifest) active = &m;
    }
    if (active != nullptr) out.entry.soft_bindings = soft_bindings_of(*active);
  }
  return out;
}

}  // namespace veritrace::provenance
