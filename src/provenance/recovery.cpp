// Recovering stripped Content Credentials: watermark -> soft binding -> repository -> validation.
#include <filesystem>

#include "veritrace/media.hpp"
#include "veritrace/provenance.hpp"
#include "veritrace/repo.hpp"
#include "veritrace/watermark.hpp"

namespace veritrace::provenance {

namespace {

std::optional<repo::Repository> open_repository(const RecoveryOptions& options, std::string& path) {
  if (!options.db_path.empty()) {
    path = options.db_path;
    if (!std::filesystem::exists(path)) throw Error(ErrorKind::Io, path + ": no manifest repository there");
    return repo::Repository::open(path, repo::OpenMode::ReadOnly);
  }
  try {
    path = repo::default_path();
  } catch (const Error&) {
    return std::nullopt;  // no HOME and no XDG_DATA_HOME: nowhere to look
  }
  return repo::Repository::open_if_exists(path, repo::OpenMode::ReadOnly);
}

}  // namespace

c2pa::ReadResult read_with_recovery(const c2pa::Reader& reader, const std::string& path, const RecoveryOptions& options) {
  auto source = open_file_source(path);
  c2pa::ReadResult result = reader.read(*source);
  if (result.state != c2pa::ValidationState::NoManifest || result.report.contains("remote_manifest_url")) return result;
  if (!options.use_repository) return result;
  if (media::sniff_image_format(*source) == media::ImageFormat::Unknown) return result;

  std::string db_path;
  std::optional<repo::Repository> repository = open_repository(options, db_path);
  if (!repository) return result;

  nlohmann::json info = {{"algorithm", watermark::kAlgorithmName}, {"repository", db_path}};
  watermark::Detection detection;
  try {
    detection = watermark::detect(media::decode_image(*source));
  } catch (const Error& e) {
    // The C2PA answer (no manifest) stands; say why the watermark could not be looked for.
    info["watermark_found"] = false;
    info["error"] = e.what();
    result.report["soft_binding"] = std::move(info);
    return result;
  }
  info["watermark_found"] = detection.found;
  info["p_value"] = detection.p_value;
  if (!detection.found || !detection.payload) {
    result.report["soft_binding"] = std::move(info);
    return result;
  }
  const std::string value = soft_binding_value(*detection.payload);
  info["value"] = value;
  const std::vector<repo::Entry> entries = repository->find_by_soft_binding(watermark::kAlgorithmName, value);
  info["matches"] = entries.size();
  for (const repo::Entry& entry : entries) {  // most recent first; skip a store we cannot parse
    try {
      c2pa::ReadResult recovered = reader.read_with_store(*source, entry.store, "soft-binding");
      info["store_sha256"] = entry.sha256;
      recovered.report["soft_binding"] = std::move(info);
      recovered.report["path"] = path;
      return recovered;
    } catch (const Error&) {
      continue;
    }
  }
  result.report["soft_binding"] = std::move(info);
  return result;
}

}  // namespace veritrace::provenance
