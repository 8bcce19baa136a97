// c2pa.hash.bmff (v1, v2, v3): file-level hash with box exclusions, and Merkle trees. Internal.
#pragma once
#include <optional>
#include <string>

#include "binding/hard_binding.hpp"
#include "binding/hash_plan.hpp"
#include "core/hash.hpp"

namespace veritrace::binding::detail {

// `version` is 1 for "c2pa.hash.bmff", 2 or 3 for the .v2 / .v3 labels.
BindingStatus check_bmff_hash(const cbor::Value& assertion, int version, const ByteSource& src,
                              const std::optional<std::string>& claim_alg);

// The file-level hash the assertion's exclusions describe (for signing: the assertion's own
// "hash" is ignored). Throws BindingFailure when the exclusions cannot be applied.
std::vector<uint8_t> compute_bmff_hash(const cbor::Value& assertion, int version, const ByteSource& src, HashAlg alg);
// The same as a plan (see hash_plan.hpp), resolved on `src` without hashing.
std::vector<HashStep> bmff_hash_steps(const cbor::Value& assertion, int version, const ByteSource& src);

}  // namespace veritrace::binding::detail
