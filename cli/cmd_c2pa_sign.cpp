// `veritrace c2pa sign IN -o OUT --cert CHAIN.pem --key KEY.pem`: add Content Credentials.
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "veritrace/c2pa.hpp"
#include "veritrace/c2pa_sign.hpp"
#include "veritrace/provenance.hpp"
#include "veritrace/watermark.hpp"

namespace veritrace::cli {

namespace {

struct SignArgs {
  std::string in, out, cert, key, alg, source_type, manifest, parent, tsa, title;
  std::vector<std::string> actions;
  int claim_version = 2;
  bool ai_generated = false, sidecar = false, in_place = false, refuse_signed = false, json = false, no_thumbnail = false,
       thumbnail = false;
  bool watermark = false, register_manifest = false;
  double watermark_strength = 1.0;
  std::string db;
};

// --register: store the signed file's manifest in the repository, for recovery by soft binding.
std::string register_in_repository(const std::string& file, const std::string& db) {
  const std::string path = db.empty() ? repo::default_path() : db;
  c2pa::ReadOptions options;
  options.no_trust_check = true;
  c2pa::Reader reader(options);
  provenance::RepositoryEntry e = provenance::repository_entry(reader, file);
  repo::Repository::open(path, repo::OpenMode::CreateIfMissing).add(e.entry);
  return path;
}

// "c2pa.edited" or "c2pa.edited:{\"name\":\"crop\"}" or "c2pa.edited:name=crop,reason=x".
c2pa::ActionSpec parse_action(const std::string& text) {
  c2pa::ActionSpec spec;
  size_t colon = text.find(':');
  spec.action = text.substr(0, colon);
  if (spec.action.empty()) throw Error(ErrorKind::Usage, "--action needs an action name, e.g. c2pa.edited");
  if (colon == std::string::npos) return spec;
  std::string params = text.substr(colon + 1);
  if (!params.empty() && params.front() == '{') {
    spec.parameters = nlohmann::json::parse(params, nullptr, false);
    if (spec.parameters.is_discarded() || !spec.parameters.is_object()) {
      throw Error(ErrorKind::Usage, "--action " + spec.action + ": parameters are not a JSON object");
    }
    return spec;
  }
  size_t pos = 0;
  while (pos < params.size()) {
    size_t comma = params.find(',', pos);
    std::string kv = params.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw Error(ErrorKind::Usage, "--action " + spec.action + ": expected key=value, got '" + kv + "'");
    spec.parameters[kv.substr(0, eq)] = kv.substr(eq + 1);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return spec;
}

nlohmann::json read_definition(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::Io, path + ": cannot read the manifest definition");
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw Error(ErrorKind::Malformed, path + ": the manifest definition is not a JSON object");
  return j;
}

int run_sign(const SignArgs& a) {
  if (a.ai_generated && !a.source_type.empty()) {
    std::cerr << "veritrace: --ai-generated and --source-type exclude each other\n";
    return static_cast<int>(ExitCode::Usage);
  }
  c2pa::SignOptions o;
  o.key = a.key;
  o.cert_chain = a.cert;
  if (!a.alg.empty()) o.alg = a.alg;
  o.claim_version = a.claim_version;
  if (!a.title.empty()) o.title = a.title;
  o.digital_source_type = a.ai_generated ? std::string(c2pa::kTrainedAlgorithmicMedia) : a.source_type;
  for (const auto& act : a.actions) o.actions.push_back(parse_action(act));
  if (!a.manifest.empty()) o.manifest_definition = read_definition(a.manifest);
  if (!a.parent.empty()) o.parent = a.parent;
  if (!a.tsa.empty()) o.tsa_url = a.tsa;
  if (a.thumbnail && a.no_thumbnail) {
    std::cerr << "veritrace: --thumbnail and --no-thumbnail exclude each other\n";
    return static_cast<int>(ExitCode::Usage);
  }
  o.claim_thumbnail = !a.no_thumbnail;
  o.thumbnail_from_pixels = a.thumbnail;
  o.existing = a.refuse_signed ? c2pa::ExistingCredentials::Refuse : c2pa::ExistingCredentials::KeepAsParent;

  if (a.watermark && a.sidecar) {
    std::cerr << "veritrace: --watermark changes the pixels, so it cannot be combined with --sidecar\n";
    return static_cast<int>(ExitCode::Usage);
  }
  if ((a.register_manifest || !a.db.empty()) && a.sidecar) {
    std::cerr << "veritrace: --register stores embedded manifests; use `veritrace repo add` for a sidecar\n";
    return static_cast<int>(ExitCode::Usage);
  }
  c2pa::SignResult r;
  std::string soft_binding;
  if (a.watermark) {
    provenance::WatermarkSignOptions wm;
    wm.strength = a.watermark_strength;
    provenance::WatermarkSignResult w = provenance::sign_with_watermark(std::move(o), a.in, a.out, a.in_place, wm);
    r = std::move(w.sign);
    soft_binding = w.soft_binding_value;
  } else {
    c2pa::Signer signer(std::move(o));
    r = a.sidecar ? signer.sign_sidecar(a.in, a.out) : signer.sign_file(a.in, a.out, a.in_place);
  }
  std::string repository;
  if (a.register_manifest || !a.db.empty()) repository = register_in_repository(a.out, a.db);
  if (r.claim_thumbnail_skipped) {
    std::cerr << "veritrace: note: no claim thumbnail: " << a.in
              << " is a large image without an embedded preview; --thumbnail makes one from the pixels (slower)\n";
  }
  if (a.json) {
    nlohmann::json j = {{"schema_version", "veritrace.c2pa.sign/1"}, {"input", a.in}, {"output", a.out},
                        {"manifest_label", r.manifest_label}, {"store_size", r.store_size},
                        {"output_size", r.output_size}, {"sidecar", a.sidecar},
                        {"kept_existing_as_parent", r.kept_existing_as_parent},
                        {"claim_thumbnail", r.claim_thumbnail.empty() ? "none" : r.claim_thumbnail}};
    if (!soft_binding.empty()) j["soft_binding"] = {{"alg", watermark::kAlgorithmName}, {"value", soft_binding}};
    if (!repository.empty()) j["repository"] = repository;
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << "signed " << a.in << " -> " << a.out << " (" << r.manifest_label << ", manifest store "
              << r.store_size << " bytes)\n";
    if (!soft_binding.empty())
      std::cout << "  watermarked: soft binding " << watermark::kAlgorithmName << " = " << soft_binding << "\n";
    if (!repository.empty()) std::cout << "  manifest stored in " << repository << "\n";
    if (r.kept_existing_as_parent) {
      std::cout << "  the input's own Content Credentials were kept as the parent ingredient\n";
    }
  }
  return 0;
}

}  // namespace

void add_c2pa_sign(CLI::App& c2pa, Action& run) {
  auto a = std::make_shared<SignArgs>();
  CLI::App* sign = c2pa.add_subcommand("sign", "Sign a file: add Content Credentials (an AI-generated label, actions, a parent)");
  sign->add_option("IN", a->in, "Image, video or audio file to sign (JPEG, PNG, MP4/MOV, WAV)")->required();
  sign->add_option("-o,--output", a->out, "Signed output (with --sidecar: the .c2pa manifest store)")->required();
  sign->add_option("--cert", a->cert, "PEM certificate chain: signing certificate first, then intermediates")->required();
  sign->add_option("--key", a->key, "Private key: PEM file, OpenSSL URI, or engine:pkcs11:<uri> (docs/signing-keys.md)")->required();
  sign->add_option("--alg", a->alg, "es256|es384|es512|ps256|ps384|ps512|ed25519 (default: follows the key)");
  sign->add_flag("--ai-generated", a->ai_generated, "Label the content as AI-generated (digitalSourceType trainedAlgorithmicMedia)");
  sign->add_option("--source-type", a->source_type, "IPTC digital source type term or URI (e.g. compositeWithTrainedAlgorithmicMedia, digitalCapture)");
  sign->add_option("--action", a->actions, "Further action, ACTION[:key=value,...] or ACTION:{json} (repeatable)")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sign->add_option("--manifest", a->manifest, "Manifest definition JSON (docs/manifest-definition.md)");
  sign->add_option("--parent", a->parent, "Parent asset, added as a parentOf ingredient with its credentials");
  sign->add_flag("--sidecar", a->sidecar, "Write a detached .c2pa manifest store instead of embedding");
  sign->add_flag("--no-thumbnail", a->no_thumbnail, "Do not add thumbnails made from the input (claim) or the parent (ingredient)");
  sign->add_flag("--thumbnail", a->thumbnail,
                 "Always make thumbnails from the pixels. Default: a JPEG's embedded preview (MPF/EXIF) when it has one, "
                 "else the pixels of images that decode quickly (JPEG <= 2 MiB, PNG <= 2 MP), else none");
  sign->add_flag("--in-place", a->in_place, "Allow OUT to be IN (replaced atomically)");
  sign->add_flag("--refuse-signed", a->refuse_signed, "Refuse input that already has credentials (default: keep them as the parent)");
  sign->add_option("--claim-version", a->claim_version, "Claim version, 2 (default) or 1")->check(CLI::IsMember({1, 2}));
  sign->add_option("--tsa", a->tsa, "RFC 3161 time-stamp authority URL");
  sign->add_option("--title", a->title, "Title (dc:title); default: the input's file name");
  sign->add_flag("--watermark", a->watermark,
                 "Embed a Veritrace watermark whose random 64-bit payload is recorded as the manifest's c2pa.soft-binding "
                 "(JPEG/PNG; the pixels are re-encoded, metadata kept)");
  sign->add_option("--watermark-strength", a->watermark_strength, "Watermark strength (default 1)");
  sign->add_flag("--register", a->register_manifest,
                 "Store the signed manifest in the manifest repository (default $XDG_DATA_HOME/veritrace/manifests.db)");
  sign->add_option("--db", a->db, "Manifest repository for --register (implies --register)");
  sign->add_flag("--json", a->json, "Print the result as JSON");
  sign->callback([a, &run] { run = [a] { return run_sign(*a); }; });
}

}  // namespace veritrace::cli
