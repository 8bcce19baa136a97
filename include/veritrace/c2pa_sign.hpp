// Veritrace C2PA signing: Content Credentials, including AI-generated labels.
//
//   veritrace::c2pa::SignOptions o;
//   o.key = "key.pem"; o.cert_chain = "chain.pem";
//   o.digital_source_type = veritrace::c2pa::kTrainedAlgorithmicMedia;   // AI-generated
//   veritrace::c2pa::Signer signer(o);               // loads and checks the key once
//   signer.sign_file("in.jpg", "out.jpg");           // temp file + rename; in.jpg untouched
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "veritrace/core.hpp"

namespace veritrace::c2pa {

inline constexpr const char* kIptcSourceTypeBase = "http://cv.iptc.org/newscodes/digitalsourcetype/";
inline constexpr const char* kTrainedAlgorithmicMedia =
    "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";

struct ActionSpec {
  std::string action;                        // e.g. "c2pa.edited", "c2pa.color_adjustments"
  nlohmann::json parameters = nlohmann::json::object();
};

// What to do when the input already carries Content Credentials and no parent is given.
enum class ExistingCredentials {
  KeepAsParent,  // default: the input (with its manifests) becomes the parentOf ingredient
  Refuse,        // Error(Usage) with a clear message
};

struct SignOptions {
  std::string key;         // PEM file, OpenSSL store URI, or "engine:<id>:<key id>" (docs/signing-keys.md)
  std::string cert_chain;  // PEM file: leaf first, then intermediates
  std::optional<std::string> alg;  // es256|es384|es512|ps256|ps384|ps512|ed25519; default follows the key
  int claim_version = 2;           // 1 or 2
  std::optional<std::string> title;             // dc:title; default: the input's file name
  std::string digital_source_type;              // IPTC term or URI for the c2pa.created action
  std::vector<ActionSpec> actions;              // further actions, in order
  std::optional<nlohmann::json> manifest_definition;  // docs/manifest-definition.md
  std::optional<std::string> parent;            // parent asset (parentOf ingredient)
  ExistingCredentials existing = ExistingCredentials::KeepAsParent;
  std::optional<std::string> tsa_url;           // RFC 3161 time-stamp authority
  std::string claim_generator_name = "veritrace";
  // A JPEG thumbnail (long side <= 1024) of JPEG and PNG inputs as the claim thumbnail, and of a
  // parent without a claim thumbnail of its own as the ingredient thumbnail. Other formats get none.
  bool claim_thumbnail = true;
  // false (default, fast): a JPEG's embedded preview (MPF or EXIF thumbnail) when it has one, else
  // the pixels when they decode quickly (JPEG <= 2 MiB, PNG <= 2 MP), else no thumbnail (reported in
  // SignResult). true: always decode the pixels, whatever the size (as c2pa-rs does; slower).
  bool thumbnail_from_pixels = false;
};

struct SignResult {
  std::string manifest_label;
  uint64_t output_size = 0;
  uint64_t store_size = 0;
  bool kept_existing_as_parent = false;
  std::string claim_thumbnail;           // "pixels", "embedded-preview", or empty: none added
  bool claim_thumbnail_skipped = false;  // none because the image is large and has no usable preview
};

class Signer {
 public:
  // Loads the key and chain and checks them against the C2PA certificate profile; throws
  // Error(Key) with the reason, Error(Usage) for bad options.
  explicit Signer(SignOptions options);
  ~Signer();
  Signer(Signer&&) noexcept;
  Signer& operator=(Signer&&) noexcept;

  // Signs `in` into `out` (written to a temporary file in out's folder, then renamed). Refuses
  // out == in unless in_place. Throws Error(Io/Malformed/Unsupported) for the input,
  // Error(Output) when out cannot be written; nothing is left behind on failure.
  SignResult sign_file(const std::string& in, const std::string& out, bool in_place = false) const;
  // Writes only the manifest store (a .c2pa sidecar) for `in` to `out`; `in` is not changed.
  SignResult sign_sidecar(const std::string& in, const std::string& out) const;
  // From memory: returns the signed asset (or, with sidecar, the store).
  std::vector<uint8_t> sign_bytes(std::span<const uint8_t> in, const std::string& name = "asset",
                                  bool sidecar = false, SignResult* result = nullptr) const;
  // From any byte source to an open file descriptor (streams: the input is never loaded whole).
  SignResult sign_to_fd(const ByteSource& in, int out_fd, bool sidecar = false) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace veritrace::c2pa
