#include "c2pa/report_json.hpp"
#include "c2pa/store_model.hpp"
#include "c2pa/validator.hpp"
#include "cose/cose.hpp"
#include "formats/formats.hpp"
#include "net/http.hpp"
#include "veritrace/c2pa.hpp"

namespace veritrace::c2pa {

const char* state_name(ValidationState state) {
  switch (state) {
    case ValidationState::NoManifest: return "NoManifest";
    case ValidationState::Invalid: return "Invalid";
    case ValidationState::Valid: return "Valid";
    case ValidationState::Trusted: return "Trusted";
  }
  return "Invalid";
}

struct Reader::Impl {
  ReadOptions options;
  cose::TrustSettings trust;

  ReadResult validate(std::vector<uint8_t> store_bytes, const ByteSource* asset, formats::Format format,
                      const formats::C2paCarrier* carrier, const std::string& source_kind) const {
    ManifestStore store = parse_store(std::move(store_bytes));
    ReadResult result;
    nlohmann::json& r = result.report;
    r["schema_version"] = "veritrace.c2pa/1";
    r["manifest_source"] = source_kind;
    if (store.manifests.empty()) {
      throw_malformed("the C2PA manifest store holds no manifest");
    }
    ValidationInput input{store, trust, asset, format, carrier};
    ValidationOutput validation = validate_store(input);
    ValidationSummary summary = summarize(store, validation.log);
    r["active_manifest"] = store.active()->label;
    r["manifests"] = manifests_json(store, validation, options.detailed);
    r["validation_results"] = summary.validation_results;
    r["validation_state"] = state_name(summary.state);
    result.state = summary.state;
    return result;
  }

  // XMP dcterms:provenance also holds local "self#jumbf=" references; only URLs are remote.
  static std::optional<std::string> remote_url(const formats::C2paCarrier& carrier) {
    if (!carrier.remote_url) return std::nullopt;
    const std::string& u = *carrier.remote_url;
    if (u.rfind("http://", 0) == 0 || u.rfind("https://", 0) == 0) return u;
    return std::nullopt;
  }

  static ReadResult no_manifest(const formats::C2paCarrier& carrier) {
    ReadResult result;
    result.state = ValidationState::NoManifest;
    result.report = {{"schema_version", "veritrace.c2pa/1"},
                     {"manifest_source", "none"},
                     {"validation_state", "NoManifest"}};
    if (auto url = remote_url(carrier)) result.report["remote_manifest_url"] = *url;
    return result;
  }

  // The manifest store lives at a URL: fetch it and validate the file against it like a sidecar.
  ReadResult read_remote(const ByteSource& src, const formats::Detected& detected, const formats::C2paCarrier& carrier,
                         const std::string& url) const {
    std::vector<uint8_t> store = net::http_get(url);
    auto fetched = make_span_source(store, url);
    if (formats::detect(*fetched).format != formats::Format::Jumbf) {
      throw Error(ErrorKind::Malformed, url + ": the fetched data is not a C2PA manifest store");
    }
    ReadResult result = validate(std::move(store), &src, detected.format, &carrier, "remote");
    result.report["remote_manifest_url"] = url;
    result.report["format"] = detected.mime;
    return result;
  }

  ReadResult read(const ByteSource& src) const {
    formats::Detected detected = formats::detect(src);
    if (!formats::c2pa_supported(detected.format)) {
      std::string what = detected.mime.empty() ? std::string("unrecognised format") : "format " + detected.mime;
      throw Error(ErrorKind::Unsupported, src.name() + ": " + what + " is not supported for C2PA yet");
    }
    formats::C2paCarrier carrier = formats::find_c2pa(src, detected.format);
    if (carrier.store.empty() && options.fetch_remote) {
      if (auto url = remote_url(carrier)) return read_remote(src, detected, carrier, *url);
    }
    if (carrier.store.empty()) {
      ReadResult result = no_manifest(carrier);
      result.report["format"] = detected.mime;
      return result;
    }
    bool sidecar = detected.format == formats::Format::Jumbf;
    ReadResult result = validate(std::move(carrier.store), sidecar ? nullptr : &src, detected.format, &carrier,
                                 sidecar ? "sidecar" : "embedded");
    if (auto url = remote_url(carrier)) result.report["remote_manifest_url"] = *url;
    result.report["format"] = detected.mime;
    return result;
  }
};

Reader::Reader(ReadOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  if (impl_->options.no_trust_check) {
    impl_->trust = cose::TrustSettings::no_check();
  } else if (!impl_->options.trust_anchor_files.empty()) {
    impl_->trust = cose::TrustSettings::from_pem_files(impl_->options.trust_anchor_files);
  }
  impl_->trust.set_strict(impl_->options.strict);  // default, no_check and anchors alike
}

Reader::~Reader() = default;
Reader::Reader(Reader&&) noexcept = default;
Reader& Reader::operator=(Reader&&) noexcept = default;

ReadResult Reader::read(const ByteSource& source) const {
  ReadResult r = impl_->read(source);
  r.report["path"] = source.name();
  return r;
}

ReadResult Reader::read_file(const std::string& path) const {
  auto src = open_file_source(path);
  return read(*src);
}

ReadResult Reader::read_with_sidecar(const std::string& asset_path, const std::string& sidecar_path) const {
  auto asset = open_file_source(asset_path);
  auto sidecar = open_file_source(sidecar_path);
  if (formats::detect(*sidecar).format != formats::Format::Jumbf) {
    throw Error(ErrorKind::Malformed, sidecar_path + ": not a C2PA manifest store (.c2pa)");
  }
  return read_with_store(*asset, sidecar->read_vector(0, sidecar->size()), "sidecar");
}

ReadResult Reader::read_with_store(const ByteSource& asset, std::vector<uint8_t> store,
                                   const std::string& source_kind) const {
  auto store_source = make_span_source(store);
  if (formats::detect(*store_source).format != formats::Format::Jumbf) {
    throw Error(ErrorKind::Malformed, "not a C2PA manifest store");
  }
  formats::Detected asset_format = formats::detect(asset);
  formats::C2paCarrier none;
  ReadResult r = impl_->validate(std::move(store), &asset, asset_format.format, &none, source_kind);
  r.report["path"] = asset.name();
  r.report["format"] = asset_format.mime;
  return r;
}

}  // namespace veritrace::c2pa
