// Veritrace C2PA: read and validate Content Credentials (C2PA manifest stores).
//
//   veritrace::c2pa::Reader reader({.trust_anchor_files = {"root.pem"}});
//   auto result = reader.read_file("photo.jpg");
//   if (result.state == veritrace::c2pa::ValidationState::Trusted) ...
//   std::cout << result.report.dump(2);   // c2patool-shaped JSON (docs/json-schema.md)
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "veritrace/core.hpp"

namespace veritrace::c2pa {

enum class ValidationState { NoManifest, Invalid, Valid, Trusted };
const char* state_name(ValidationState state);

struct ReadOptions {
  // PEM files whose certificates are trust anchors. Empty and !no_trust_check: nothing is trusted
  // (signingCredential.untrusted), as c2pa-rs does with no anchors.
  std::vector<std::string> trust_anchor_files;
  bool no_trust_check = false;  // check signatures, hashes, profile and validity, not trust
  bool detailed = false;        // every assertion's full data and the raw claim
  // Fetch a remote manifest (XMP dcterms:provenance URL) when the file has none embedded.
  // Off by default: reading a file never touches the network unless asked.
  bool fetch_remote = false;
  // Apply the C2PA certificate profile and RFC 5280 path rules where c2pa-rs 0.90.1 is lenient
  // (signer keyUsage digitalSignature, validity of every chain certificate, issuers must be CAs).
  // Off by default: the default reproduces the reference. See docs/conformance.md.
  bool strict = false;
};

struct ReadResult {
  ValidationState state = ValidationState::NoManifest;
  nlohmann::json report;  // schema "veritrace.c2pa/1"
};

class Reader {
 public:
  // Loads trust anchors once; throws Error(Io) or Error(Key) when they cannot be read.
  explicit Reader(ReadOptions options = {});
  ~Reader();
  Reader(Reader&&) noexcept;
  Reader& operator=(Reader&&) noexcept;

  // Validates a file (format detected from its content). A file without credentials gives
  // NoManifest. Throws Error(Io / Malformed / Unsupported) when it cannot be read at all.
  ReadResult read_file(const std::string& path) const;
  // Validates `asset` against a detached manifest store file (a .c2pa sidecar).
  ReadResult read_with_sidecar(const std::string& asset_path, const std::string& sidecar_path) const;
  // The same from memory or any other byte source; `name` is reported as the path.
  ReadResult read(const ByteSource& source) const;
  // Validates `asset` against a manifest store obtained elsewhere (a repository lookup after a
  // soft-binding match, a download); the report's manifest_source is `source_kind`. Throws
  // Error(Malformed) when `store` is not a manifest store.
  ReadResult read_with_store(const ByteSource& asset, std::vector<uint8_t> store, const std::string& source_kind) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace veritrace::c2pa
