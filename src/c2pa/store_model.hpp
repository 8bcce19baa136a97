// The C2PA manifest store as parsed from JUMBF: manifests, claims, assertions, signatures.
// Internal to the library. Byte spans point into ManifestStore::bytes.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cbor/cbor.hpp"
#include "jumbf/jumbf.hpp"

namespace veritrace::c2pa {

enum class AssertionKind { Cbor, Json, EmbeddedFile, Uuid, Unknown };

struct AssertionBox {
  std::string label;           // as in the store, with any "__N" instance suffix
  AssertionKind kind = AssertionKind::Unknown;
  std::span<const uint8_t> superbox_payload;  // what a hashed URI's hash covers
  std::span<const uint8_t> content;           // the cbor/json/binary payload
  std::string media_type;                     // embedded files (thumbnails)
  std::optional<cbor::Value> cbor;            // decoded, when kind == Cbor and it decodes
  bool decode_failed = false;
};

struct HashedUri {
  std::string url;
  std::optional<std::string> alg;
  std::vector<uint8_t> hash;
};

struct Manifest {
  std::string label;
  bool update_manifest = false;  // 'c2um'
  std::span<const uint8_t> superbox_payload;  // for ingredient manifest hashes
  std::span<const uint8_t> superbox_bytes;    // the whole 'jumb' box, to copy into a new store
  int claim_version = 0;                      // 1 or 2; 0 when the claim is missing
  std::span<const uint8_t> claim_bytes;
  std::optional<cbor::Value> claim;
  std::span<const uint8_t> signature_bytes;   // COSE_Sign1
  std::span<const uint8_t> signature_superbox_payload;
  bool has_signature = false;
  std::vector<AssertionBox> assertions;
  std::string problem;  // why the manifest is unusable, when it is

  const AssertionBox* find_assertion(std::string_view label_with_instance) const;
  std::string claim_alg() const;  // claim's "alg", else "sha256"
  // The claim's references to assertions (v1 "assertions"; v2 created + gathered).
  std::vector<HashedUri> assertion_refs() const;
};

struct ManifestStore {
  std::vector<uint8_t> bytes;
  std::vector<Manifest> manifests;  // store order; the last is the active one

  const Manifest* find(std::string_view label) const;
  const Manifest* active() const { return manifests.empty() ? nullptr : &manifests.back(); }
};

// Parses a JUMBF manifest store. Throws Error(Malformed) when the top level is not a C2PA
// store; problems inside a single manifest are recorded in Manifest::problem instead.
ManifestStore parse_store(std::vector<uint8_t> bytes);

std::optional<HashedUri> hashed_uri_from(const cbor::Value* v);

// "self#jumbf=/c2pa/<manifest>/c2pa.assertions/<label>" -> parts; relative URIs have no manifest.
struct JumbfUri {
  std::optional<std::string> manifest;
  std::vector<std::string> path;  // components after the manifest
};
JumbfUri parse_jumbf_uri(std::string_view uri);
std::string manifest_uri(std::string_view manifest_label);
std::string assertion_uri(std::string_view manifest_label, std::string_view assertion_label);
std::string signature_uri(std::string_view manifest_label);

// Splits "c2pa.ingredient__2" into ("c2pa.ingredient", 2); no suffix -> instance 0.
std::pair<std::string, int> split_instance(std::string_view label);

}  // namespace veritrace::c2pa
