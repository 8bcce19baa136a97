// Streaming hashes: the read-ahead path for large ranges must give exactly the in-memory digest.
#include <gtest/gtest.h>

#include <random>

#include "core/hash.hpp"
#include "support/test_support.hpp"

using namespace veritrace;

namespace {
std::vector<uint8_t> make_random(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}
}  // namespace

TEST(CoreHash, LargeFileRangesMatchInMemoryDigest) {
  vt_test::TempDir dir;
  auto data = make_random((20u << 20) + 12345, 7);  // above the read-ahead threshold, odd tail
  vt_test::write_file(dir.path() / "big.bin", data);
  auto src = open_file_source((dir.path() / "big.bin").string());
  for (auto alg : {HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512}) {
    Hasher h(alg);
    h.update_from(*src, 0, src->size());
    EXPECT_EQ(h.finish(), hash_bytes(alg, data));
  }
  // An interior range, and exclusions spanning both paths.
  Hasher h(HashAlg::Sha256);
  h.update_from(*src, 1000, 9u << 20);
  EXPECT_EQ(h.finish(), hash_bytes(HashAlg::Sha256, std::span(data).subspan(1000, 9u << 20)));
  std::vector<uint8_t> expected_input(data.begin(), data.begin() + 100);
  expected_input.insert(expected_input.end(), data.begin() + 5000, data.end());
  EXPECT_EQ(hash_excluding(HashAlg::Sha256, *src, {{100, 4900}}), hash_bytes(HashAlg::Sha256, expected_input));
}

TEST(CoreHash, SmallRangesAndMemorySources) {
  auto data = make_random(100000, 3);
  auto src = make_span_source(data);
  Hasher h(HashAlg::Sha256);
  h.update_from(*src, 10, 5000);
  EXPECT_EQ(h.finish(), hash_bytes(HashAlg::Sha256, std::span(data).subspan(10, 5000)));
}

TEST(CoreHash, RangePastTheEndIsMalformed) {
  auto data = make_random(1000, 1);
  auto src = make_span_source(data);
  Hasher h(HashAlg::Sha256);
  EXPECT_THROW(h.update_from(*src, 500, 501), Error);
  EXPECT_THROW(hash_excluding(HashAlg::Sha256, *src, {{900, 200}}), Error);
}

// A source that fails mid-way: the read-ahead thread's error must reach the caller.
TEST(CoreHash, ReadErrorsInTheReadAheadThreadPropagate) {
  class Failing : public ByteSource {
   public:
    uint64_t size() const override { return 64u << 20; }
    void read_at(uint64_t offset, std::span<uint8_t> out) const override {
      if (offset >= (10u << 20)) throw Error(ErrorKind::Io, "disk gone");
      std::fill(out.begin(), out.end(), uint8_t{1});
    }
  } failing;
  Hasher h(HashAlg::Sha256);
  try {
    h.update_from(failing, 0, failing.size());
    FAIL() << "expected the read error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Io);
  }
}
