// Streaming hashes: the read-ahead path for large ranges must give exactly the in-memory digest.
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>

#include "core/hash.hpp"
#include "core/mapped_file.hpp"
#include "support/test_support.hpp"

using namespace veritrace;

namespace {
std::vector<uint8_t> make_random(size_t n, unsigned seed) {  // 8 bytes per draw: fast under ASan too
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; i += 8) {
    uint64_t x = rng();
    std::memcpy(v.data() + i, &x, std::min<size_t>(8, n - i));
  }
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

// ---- mmap windows (src/core/mapped_file.cpp): a file that changes on disk while it is open ----

namespace {
std::unique_ptr<ByteSource> write_and_open(const std::filesystem::path& p, const std::vector<uint8_t>& data) {
  vt_test::write_file(p, data);
  return open_file_source(p.string());
}

void expect_io_error(const std::function<void()>& f, const std::string& what) {
  try {
    f();
    ADD_FAILURE() << what << ": expected Error(Io)";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Io) << what << ": " << e.what();
  }
}
}  // namespace

TEST(CoreHashMapped, LargeFileHashesThroughWindows) {
  if (!mapped::enabled()) GTEST_SKIP() << "mapping is off in this build (sanitizer or VERITRACE_NO_MMAP)";
  vt_test::TempDir dir;
  auto data = make_random((40u << 20) + 4097, 11);  // several 16 MiB windows and an odd tail
  auto src = write_and_open(dir.path() / "big.bin", data);
  int fd = mapped::file_descriptor(*src);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(mapped::file_descriptor(*make_span_source(data)), -1);
  // The walk visits every byte in order, in windows of at most kWindowSize, from an unaligned start.
  uint64_t expected = 123;
  size_t windows = 0;
  uint64_t walked = mapped::for_each_window(fd, 123, data.size() - 123, src->name(),
                                            [&](uint64_t pos, std::span<const uint8_t> bytes) {
                                              EXPECT_EQ(pos, expected);
                                              EXPECT_LE(bytes.size(), mapped::kWindowSize);
                                              EXPECT_TRUE(mapped::in_current_window(bytes.data(), bytes.size()));
                                              EXPECT_EQ(std::memcmp(bytes.data(), data.data() + pos, bytes.size()), 0);
                                              expected += bytes.size();
                                              ++windows;
                                            });
  EXPECT_EQ(walked, data.size() - 123);
  EXPECT_EQ(expected, data.size());
  EXPECT_EQ(windows, 3u);
  EXPECT_FALSE(mapped::in_current_window(data.data(), 1));
  Hasher h(HashAlg::Sha256);
  h.update_from(*src, 0, src->size());
  EXPECT_EQ(h.finish(), hash_bytes(HashAlg::Sha256, data));
}

// The file is cut after it was opened (its size recorded): hashing must end in Error(Io), not a
// SIGBUS, whether the cut is far before the end, at zero, or inside the last page.
TEST(CoreHashMapped, FileTruncatedAfterOpeningIsAnIoError) {
  vt_test::TempDir dir;
  auto data = make_random((20u << 20) + 12345, 5);
  const auto path = dir.path() / "shrinks.bin";
  for (uint64_t new_size : {uint64_t{5} << 20, uint64_t{0}, uint64_t{data.size() - 100}, uint64_t{17u << 20}}) {
    auto src = write_and_open(path, data);
    std::filesystem::resize_file(path, new_size);
    const std::string what = "cut to " + std::to_string(new_size);
    expect_io_error([&] {
      Hasher h(HashAlg::Sha256);
      h.update_from(*src, 0, src->size());
    }, what);
    expect_io_error([&] { hash_excluding(HashAlg::Sha256, *src, {{1000, 5000}}); }, what + ", with an exclusion");
    // The source stays usable for what is still there.
    if (new_size >= (2u << 20)) {
      Hasher h(HashAlg::Sha256);
      h.update_from(*src, 0, 2u << 20);
      EXPECT_EQ(h.finish(), hash_bytes(HashAlg::Sha256, std::span(data).first(2u << 20)));
    }
  }
}

// The file is cut while a window is being hashed (from inside the walk): the fault in the mapped
// window becomes Error(Io).
TEST(CoreHashMapped, FileTruncatedDuringTheWalkIsAnIoError) {
  if (!mapped::enabled()) GTEST_SKIP() << "mapping is off in this build (sanitizer or VERITRACE_NO_MMAP)";
  vt_test::TempDir dir;
  auto data = make_random(40u << 20, 9);
  const auto path = dir.path() / "shrinks.bin";
  auto src = write_and_open(path, data);
  int windows = 0;
  Hasher h(HashAlg::Sha256);
  expect_io_error([&] {
    mapped::for_each_window(mapped::file_descriptor(*src), 0, data.size(), src->name(),
                            [&](uint64_t, std::span<const uint8_t> bytes) {
                              if (++windows == 2) std::filesystem::resize_file(path, 1u << 20);
                              h.update(bytes);  // the second window is gone: SIGBUS inside update
                            });
  }, "cut during the walk");
  EXPECT_EQ(windows, 2);
  // The thread is left clean: ordinary hashing still works.
  EXPECT_EQ(hash_bytes(HashAlg::Sha256, data), hash_bytes(HashAlg::Sha256, data));
}

// A file that grows after opening: the source keeps its size, and the hash covers those bytes.
TEST(CoreHashMapped, FileThatGrowsHashesTheOriginalBytes) {
  vt_test::TempDir dir;
  auto data = make_random((18u << 20) + 777, 6);
  const auto path = dir.path() / "grows.bin";
  auto src = write_and_open(path, data);
  {
    std::ofstream out(path, std::ios::binary | std::ios::app);
    std::vector<char> more(3u << 20, 'x');
    out.write(more.data(), static_cast<std::streamsize>(more.size()));
  }
  EXPECT_EQ(std::filesystem::file_size(path), data.size() + (3u << 20));
  Hasher h(HashAlg::Sha256);
  h.update_from(*src, 0, src->size());
  EXPECT_EQ(h.finish(), hash_bytes(HashAlg::Sha256, data));
}

// SIGBUS that is not ours (outside any window) still reaches the handler installed before us.
namespace {
volatile sig_atomic_t g_foreign_sigbus = 0;
void foreign_handler(int) { g_foreign_sigbus = 1; }
}  // namespace

TEST(CoreHashMapped, ForeignSigbusReachesThePreviousHandler) {
  if (!mapped::enabled()) GTEST_SKIP() << "mapping is off in this build (sanitizer or VERITRACE_NO_MMAP)";
  struct sigaction mine {};
  mine.sa_handler = &foreign_handler;
  sigemptyset(&mine.sa_mask);
  ASSERT_EQ(sigaction(SIGBUS, &mine, nullptr), 0);
  // Mapping a file (re)installs our handler, chained to foreign_handler.
  vt_test::TempDir dir;
  auto data = make_random(2u << 20, 4);
  auto src = write_and_open(dir.path() / "f.bin", data);
  Hasher h(HashAlg::Sha256);
  h.update_from(*src, 0, src->size());
  EXPECT_EQ(h.finish(), hash_bytes(HashAlg::Sha256, data));
  struct sigaction now {};
  sigaction(SIGBUS, nullptr, &now);
  EXPECT_NE(now.sa_handler, &foreign_handler);  // ours is in front
  g_foreign_sigbus = 0;
  raise(SIGBUS);
  EXPECT_EQ(g_foreign_sigbus, 1);
  signal(SIGBUS, SIG_DFL);  // the next mapping chains our handler to the default action again
}
