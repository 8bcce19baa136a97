// Veritrace provenance: durable Content Credentials, joining C2PA, the watermark and the manifest
// repository (the modules themselves know nothing of each other).
//
//   // Sign with a watermark whose payload is the manifest's soft binding:
//   auto r = provenance::sign_with_watermark(sign_options, "in.jpg", "out.jpg");
//   repo.add(...);                                      // or `veritrace repo add out.jpg`
//   // Later, the file has lost its metadata:
//   auto result = provenance::read_with_recovery(reader, "stripped.jpg", {});
//   result.report["manifest_source"] == "soft-binding"
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "veritrace/c2pa.hpp"
#include "veritrace/c2pa_sign.hpp"
#include "veritrace/media.hpp"
#include "veritrace/repo.hpp"

namespace veritrace::provenance {

// The soft-binding value we record for a watermark id: 16 lowercase hex digits.
std::string soft_binding_value(uint64_t watermark_id);
std::optional<uint64_t> parse_soft_binding_value(const std::string& value);

// An encoded image (JPEG, PNG or WebP bytes) with a Veritrace watermark carrying `payload`,
// re-encoded as `out_format` (JPEG 4:2:0 / WebP at `quality`, PNG lossless). The stored pixel order
// is marked (EXIF orientation is not applied) and, when the format stays JPEG or PNG, EXIF, XMP,
// ICC and text metadata are carried over (never an old C2PA manifest). Errors as media's and
// watermark::embed's.
struct MarkedImage {
  std::vector<uint8_t> bytes;
  int width = 0;
  int height = 0;
};
MarkedImage watermark_encoded_image(std::span<const uint8_t> encoded, media::ImageFormat out_format, uint64_t payload,
                                    double strength = 1.0, int quality = 95);

struct WatermarkSignOptions {
  double strength = 1.0;  // watermark::EmbedOptions::strength
  int jpeg_quality = 95;  // the marked pixels are re-encoded: JPEG at this quality, 4:2:0
  // The id to embed; drawn at random (OpenSSL RAND_bytes) when not set. Tests set it.
  std::optional<uint64_t> watermark_id;
};

struct WatermarkSignResult {
  c2pa::SignResult sign;
  uint64_t watermark_id = 0;
  std::string soft_binding_value;
};

// Decodes `in` (JPEG or PNG), embeds a Veritrace watermark carrying a fresh 64-bit id, re-encodes
// it in the same format (keeping EXIF, XMP, ICC and text metadata, not an old manifest), and signs
// the result with a c2pa.soft-binding assertion (alg watermark::kAlgorithmName, the id as value)
// and a c2pa.watermarked action. The hard binding covers the marked pixels. An input that already
// has credentials becomes the parent ingredient (or is refused, as SignOptions::existing says).
// Writes `out` through a temporary file; out == in needs in_place. Errors as c2pa::Signer's, plus
// Error(Unsupported) for other formats and images the watermark cannot hold (too small).
WatermarkSignResult sign_with_watermark(c2pa::SignOptions options, const std::string& in, const std::string& out,
                                        bool in_place = false, const WatermarkSignOptions& watermark = {});

struct RecoveryOptions {
  bool use_repository = true;  // false: plain c2pa read (--no-repo)
  std::string db_path;         // empty: repo::default_path(), used only when it exists
};

// c2pa read, and when the file has no manifest (embedded or remote) and a repository is available:
// detect our watermark, look its payload up as a soft binding, and validate the file against the
// stored manifest (manifest_source "soft-binding"; the hard binding then normally fails with
// assertion.dataHash.mismatch, because the file is no longer the signed one). The report gains a
// "soft_binding" object saying what was tried and found. Throws like Reader::read_file; an
// explicit db_path that does not exist is Error(Io).
c2pa::ReadResult read_with_recovery(const c2pa::Reader& reader, const std::string& path, const RecoveryOptions& options);

// What the manifest repository stores for a file that carries credentials (or a .c2pa store): the
// raw store, the active manifest's label and the soft bindings it declares (c2pa.soft-binding
// assertions; `alg` falling back to the claim's `alg_soft`), and its absolute path. The store is
// parsed and validated by `reader` first: one it cannot parse is refused (Error Malformed), as is a
// file without an embedded store. `state` is the validation state, stored whatever it is.
struct RepositoryEntry {
  repo::NewEntry entry;
  c2pa::ValidationState state = c2pa::ValidationState::NoManifest;
};
RepositoryEntry repository_entry(const c2pa::Reader& reader, const std::string& path);

}  // namespace veritrace::provenance
