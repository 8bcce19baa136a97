// Merkle trees of c2pa.hash.bmff (fragmented MP4, mdat blocks), as c2pa-rs 0.90.1 checks them.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "binding/binding_internal.hpp"
#include "formats/formats.hpp"

namespace veritrace::binding::detail {

struct MerkleMap {
  uint64_t unique_id = 0;
  uint64_t local_id = 0;
  uint64_t count = 0;
  std::optional<std::string> alg;
  const std::vector<uint8_t>* init_hash = nullptr;
  std::vector<std::vector<uint8_t>> hashes;
  std::optional<uint64_t> fixed_block_size;             // v3
  std::optional<std::vector<uint64_t>> variable_block_sizes;  // v3
};
MerkleMap parse_merkle_map(const cbor::Value& item, const std::string& malformed_code);

// What the Merkle checks need from the file-level check.
struct MerkleContext {
  const ByteSource& src;
  const std::vector<formats::BmffBox>& top_level;
  const std::vector<ByteRange>& exclusions;
  const std::vector<uint64_t>& box_offsets;
  const std::optional<std::string>& assertion_alg;
};

// Fails with assertion.bmffHash.mismatch (BindingFailure) on any mismatch.
void verify_merkle_maps(const std::vector<MerkleMap>& maps, const MerkleContext& context,
                        const std::string& failure_prefix);

}  // namespace veritrace::binding::detail
