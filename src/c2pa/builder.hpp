// Building a manifest (assertions, claim, store) for signing. Internal to the library.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "c2pa/store_model.hpp"
#include "cbor/cbor.hpp"
#include "jumbf/jumbf_writer.hpp"

namespace veritrace::c2pa {

// One assertion ready for the store: its superbox and the hashed URI the claim lists.
struct BuiltAssertion {
  std::string label;
  jumbf::Bytes superbox;
  std::vector<uint8_t> hash;  // over the superbox payload
};

std::string new_uuid_v4();
std::vector<uint8_t> random_bytes(size_t n);

// CBOR assertion (salted for v2 claims, as c2pa-rs does).
BuiltAssertion cbor_assertion(const std::string& label, const cbor::Value& value, bool salted);
BuiltAssertion json_assertion(const std::string& label, const nlohmann::json& value, bool salted);
BuiltAssertion embedded_file_assertion(const std::string& label, const std::string& media_type,
                                       std::span<const uint8_t> data, bool salted);

cbor::Value hashed_uri_value(const std::string& url, const std::vector<uint8_t>& hash);

// The claim (v1 or v2) listing `assertions` by hashed URI.
struct ClaimFields {
  int version = 2;
  std::string manifest_label;
  std::string instance_id;
  std::string title;
  std::string format;  // dc:format (v1)
  std::string generator_name;
  std::string generator_version;
};
std::vector<uint8_t> build_claim(const ClaimFields& fields, const std::vector<const BuiltAssertion*>& assertions);

// The store: `parent_manifests` (whole superboxes copied unchanged) then our manifest.
std::vector<uint8_t> build_store(const std::vector<std::span<const uint8_t>>& parent_manifests,
                                 const std::string& label, const std::vector<const BuiltAssertion*>& assertions,
                                 std::span<const uint8_t> claim, int claim_version,
                                 std::span<const uint8_t> cose_sign1);

}  // namespace veritrace::c2pa
