// Streaming hashes over byte sources (OpenSSL EVP). Internal to the library.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "veritrace/core.hpp"

namespace veritrace {

enum class HashAlg { Sha256, Sha384, Sha512 };

// "sha256", "sha384", "sha512" (the names C2PA uses); nullopt for anything else.
std::optional<HashAlg> hash_alg_from_name(std::string_view name);
const char* hash_alg_name(HashAlg alg);
size_t hash_size(HashAlg alg);

class Hasher {
 public:
  explicit Hasher(HashAlg alg);
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  void update(std::span<const uint8_t> bytes);
  // Streams [offset, offset+length) of the source through the hash, in fixed-size chunks.
  void update_from(const ByteSource& source, uint64_t offset, uint64_t length);
  std::vector<uint8_t> finish();

 private:
  void* ctx_;  // EVP_MD_CTX
};

std::vector<uint8_t> hash_bytes(HashAlg alg, std::span<const uint8_t> bytes);

struct ByteRange {
  uint64_t offset = 0;
  uint64_t length = 0;
  uint64_t end() const { return offset + length; }
};

// Hash of the whole source except the given ranges (any order; overlaps merged). Ranges that
// run past the end throw Error(Malformed).
std::vector<uint8_t> hash_excluding(HashAlg alg, const ByteSource& source, std::vector<ByteRange> exclusions);

}  // namespace veritrace
