// Hard-binding checks of C2PA: c2pa.hash.data, c2pa.hash.boxes, c2pa.hash.bmff (v2, v3).
// Internal to the library.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "cbor/cbor.hpp"
#include "formats/formats.hpp"
#include "veritrace/core.hpp"

namespace veritrace::binding {

// One C2PA status entry: code exactly as the spec / c2pa-rs name it.
struct BindingStatus {
  bool ok = false;
  std::string code;         // e.g. "assertion.dataHash.match", "assertion.bmffHash.mismatch"
  std::string explanation;  // short human text
};

// `assertion` is the decoded CBOR of the hard-binding assertion; `label` its label without
// instance suffix ("c2pa.hash.data", "c2pa.hash.boxes", "c2pa.hash.bmff", "c2pa.hash.bmff.v2",
// "c2pa.hash.bmff.v3"). `carrier` is what formats::find_c2pa found (the store's own position).
// Hashing streams from the source; the file is never loaded whole.
// `claim_alg` is the claim's "alg" (v1 claims), used when the assertion names none; c2pa-rs
// falls back to sha256 when the claim has none either.
BindingStatus check_hard_binding(const std::string& label, const cbor::Value& assertion, const ByteSource& src,
                                 formats::Format format, const formats::C2paCarrier& carrier,
                                 const std::optional<std::string>& claim_alg = std::nullopt);

bool is_hard_binding_label(const std::string& label);

// For signing: the hash a c2pa.hash.bmff.v2/v3 assertion (its exclusions) describes over `src`
// (the output file as it will be written). Throws Error(Malformed) when the boxes cannot be
// walked or an exclusion cannot be applied.
std::vector<uint8_t> compute_bmff_hash(const cbor::Value& assertion, int version, const ByteSource& src, HashAlg alg);

}  // namespace veritrace::binding
