#include "core/hash.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace veritrace {

namespace {
const EVP_MD* md_for(HashAlg alg) {
  switch (alg) {
    case HashAlg::Sha256: return EVP_sha256();
    case HashAlg::Sha384: return EVP_sha384();
    case HashAlg::Sha512: return EVP_sha512();
  }
  return EVP_sha256();
}
constexpr size_t kChunk = 1 << 20;
}  // namespace

std::optional<HashAlg> hash_alg_from_name(std::string_view name) {
  if (name == "sha256") return HashAlg::Sha256;
  if (name == "sha384") return HashAlg::Sha384;
  if (name == "sha512") return HashAlg::Sha512;
  return std::nullopt;
}

const char* hash_alg_name(HashAlg alg) {
  switch (alg) {
    case HashAlg::Sha256: return "sha256";
    case HashAlg::Sha384: return "sha384";
    case HashAlg::Sha512: return "sha512";
  }
  return "sha256";
}

size_t hash_size(HashAlg alg) {
  switch (alg) {
    case HashAlg::Sha256: return 32;
    case HashAlg::Sha384: return 48;
    case HashAlg::Sha512: return 64;
  }
  return 32;
}

Hasher::Hasher(HashAlg alg) : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), md_for(alg), nullptr) != 1) {
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
    throw Error(ErrorKind::Internal, "cannot initialise hash");
  }
}

Hasher::~Hasher() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Hasher::update(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return;
  if (EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), bytes.data(), bytes.size()) != 1) {
    throw Error(ErrorKind::Internal, "hash update failed");
  }
}

void Hasher::update_from(const ByteSource& source, uint64_t offset, uint64_t length) {
  if (offset > source.size() || length > source.size() - offset) {
    throw_malformed(source.name() + ": hashed range runs past the end of the file");
  }
  thread_local std::vector<uint8_t> buffer(kChunk);
  while (length > 0) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(length, kChunk));
    source.read_at(offset, std::span(buffer.data(), n));
    update(std::span<const uint8_t>(buffer.data(), n));
    offset += n;
    length -= n;
  }
}

std::vector<uint8_t> Hasher::finish() {
  std::vector<uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out.data(), &len) != 1) {
    throw Error(ErrorKind::Internal, "hash finish failed");
  }
  out.resize(len);
  return out;
}

std::vector<uint8_t> hash_bytes(HashAlg alg, std::span<const uint8_t> bytes) {
  Hasher h(alg);
  h.update(bytes);
  return h.finish();
}

std::vector<uint8_t> hash_excluding(HashAlg alg, const ByteSource& source, std::vector<ByteRange> exclusions) {
  std::sort(exclusions.begin(), exclusions.end(),
            [](const ByteRange& a, const ByteRange& b) { return a.offset < b.offset; });
  Hasher h(alg);
  uint64_t pos = 0;
  for (const auto& ex : exclusions) {
    if (ex.offset > source.size() || ex.length > source.size() - ex.offset) {
      throw_malformed(source.name() + ": exclusion range runs past the end of the file");
    }
    if (ex.offset > pos) {
      h.update_from(source, pos, ex.offset - pos);
    }
    pos = std::max(pos, ex.end());
  }
  if (pos < source.size()) h.update_from(source, pos, source.size() - pos);
  return h.finish();
}

}  // namespace veritrace
