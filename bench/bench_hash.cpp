// Hashing throughput: Veritrace's streaming SHA-256 over a file (src/core/hash.hpp) vs OpenSSL's
// EVP SHA-256 over the same bytes already in memory, in one process.
//
//   bench_hash [google-benchmark flags] FILE
//   VERITRACE_BENCH_HASH_FILE=FILE bench_hash [flags]
//
// Goal (docs/benchmarks.md): our file hashing runs near raw OpenSSL speed. The library hashes
// ranges of 1 MiB and more of a regular file through guarded mmap windows (src/core/
// mapped_file.hpp); run with VERITRACE_NO_MMAP=1 to measure the pread path (read-ahead thread)
// instead, e.g. alternately for an A/B. The file is read once
// before timing, so every benchmark sees it in the page cache (warm), and the ratio compares
// hashing + pread/copy overhead, not disk speed. Without a FILE nothing is measured (exit 0).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/hash.hpp"
#include "veritrace/core.hpp"

namespace {

std::string g_path;
std::vector<uint8_t> g_bytes;  // the whole file, for the in-memory baselines

void set_bytes(benchmark::State& state, uint64_t n) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n));
}

// Baseline: one EVP_Digest call over the whole in-memory buffer.
void BM_OpenSSL_EVP_SHA256_memory(benchmark::State& state) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  for (auto _ : state) {
    if (EVP_Digest(g_bytes.data(), g_bytes.size(), md, &len, EVP_sha256(), nullptr) != 1) {
      state.SkipWithError("EVP_Digest failed");
      break;
    }
    benchmark::DoNotOptimize(md);
  }
  set_bytes(state, g_bytes.size());
}

// Baseline 2: EVP_DigestUpdate in 1 MiB steps over the in-memory buffer (what a streaming
// hasher does, minus the copy).
void BM_OpenSSL_EVP_SHA256_memory_1MiB_updates(benchmark::State& state) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  for (auto _ : state) {
    EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
    for (size_t off = 0; off < g_bytes.size(); off += size_t{1} << 20) {
      size_t n = std::min(g_bytes.size() - off, size_t{1} << 20);
      EVP_DigestUpdate(ctx, g_bytes.data() + off, n);
    }
    EVP_DigestFinal_ex(ctx, md, &len);
    benchmark::DoNotOptimize(md);
  }
  EVP_MD_CTX_free(ctx);
  set_bytes(state, g_bytes.size());
}

// Ours: Hasher::update_from over open_file_source (mmap windows; pread with VERITRACE_NO_MMAP),
// file opened once.
void BM_Veritrace_Hasher_update_from_file(benchmark::State& state) {
  auto src = veritrace::open_file_source(g_path);
  for (auto _ : state) {
    veritrace::Hasher h(veritrace::HashAlg::Sha256);
    h.update_from(*src, 0, src->size());
    auto d = h.finish();
    benchmark::DoNotOptimize(d.data());
  }
  set_bytes(state, src->size());
}

// Ours, as the data-hash binding uses it: open the file, hash all but one excluded range (where a
// manifest store would sit: 64 KiB at offset 1 KiB), per iteration.
void BM_Veritrace_hash_excluding_file(benchmark::State& state) {
  uint64_t hashed = 0;
  for (auto _ : state) {
    auto src = veritrace::open_file_source(g_path);
    std::vector<veritrace::ByteRange> ex;
    if (src->size() > 1024 + 65536) ex.push_back({1024, 65536});
    auto d = veritrace::hash_excluding(veritrace::HashAlg::Sha256, *src, ex);
    benchmark::DoNotOptimize(d.data());
    hashed = src->size() - (ex.empty() ? 0 : ex[0].length);
  }
  set_bytes(state, hashed);
}

// Ours over a memory span source: isolates the chunk copy from the syscalls.
void BM_Veritrace_Hasher_update_from_span(benchmark::State& state) {
  auto src = veritrace::make_span_source(g_bytes);
  for (auto _ : state) {
    veritrace::Hasher h(veritrace::HashAlg::Sha256);
    h.update_from(*src, 0, src->size());
    auto d = h.finish();
    benchmark::DoNotOptimize(d.data());
  }
  set_bytes(state, src->size());
}

// Not Veritrace code: a bare mmap loop (8 MiB windows, MAP_POPULATE, no SIGBUS guard, no
// read-ahead advice), for comparison with the library's guarded windows above.
void BM_mmap_windows_EVP_SHA256_file(benchmark::State& state) {
  int fd = ::open(g_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    state.SkipWithError("open failed");
    return;
  }
  const size_t size = g_bytes.size();
  constexpr size_t kWindow = size_t{8} << 20;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  for (auto _ : state) {
    EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
    for (size_t off = 0; off < size; off += kWindow) {
      size_t n = std::min(size - off, kWindow);
      void* p = ::mmap(nullptr, n, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, static_cast<off_t>(off));
      if (p == MAP_FAILED) {
        state.SkipWithError("mmap failed");
        break;
      }
      EVP_DigestUpdate(ctx, p, n);
      ::munmap(p, n);
    }
    EVP_DigestFinal_ex(ctx, md, &len);
    benchmark::DoNotOptimize(md);
  }
  EVP_MD_CTX_free(ctx);
  ::close(fd);
  set_bytes(state, size);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (argc > 1) {
    g_path = argv[1];
  } else if (const char* env = std::getenv("VERITRACE_BENCH_HASH_FILE"); env && *env) {
    g_path = env;
  }
  if (g_path.empty()) {
    std::fprintf(stderr,
                 "bench_hash: SKIPPED: no input file (give FILE as an argument or set "
                 "VERITRACE_BENCH_HASH_FILE; bench/run-benchmarks.sh makes one)\n");
    return 0;
  }
  try {
    auto src = veritrace::open_file_source(g_path);
    g_bytes = src->read_vector(0, src->size());  // also warms the page cache
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_hash: SKIPPED: cannot read %s: %s\n", g_path.c_str(), e.what());
    return 0;
  }
  std::fprintf(stderr, "bench_hash: input %s, %zu bytes\n", g_path.c_str(), g_bytes.size());
  benchmark::AddCustomContext("input_file", g_path);
  benchmark::AddCustomContext("input_bytes", std::to_string(g_bytes.size()));

  benchmark::RegisterBenchmark("OpenSSL_EVP_SHA256/memory", BM_OpenSSL_EVP_SHA256_memory)->UseRealTime()->MeasureProcessCPUTime();
  benchmark::RegisterBenchmark("OpenSSL_EVP_SHA256/memory_1MiB_updates", BM_OpenSSL_EVP_SHA256_memory_1MiB_updates)
      ->UseRealTime()->MeasureProcessCPUTime();
  benchmark::RegisterBenchmark("Veritrace/Hasher_update_from/file", BM_Veritrace_Hasher_update_from_file)
      ->UseRealTime()->MeasureProcessCPUTime();
  benchmark::RegisterBenchmark("Veritrace/hash_excluding/file", BM_Veritrace_hash_excluding_file)->UseRealTime()->MeasureProcessCPUTime();
  benchmark::RegisterBenchmark("Veritrace/Hasher_update_from/span", BM_Veritrace_Hasher_update_from_span)
      ->UseRealTime()->MeasureProcessCPUTime();
  benchmark::RegisterBenchmark("Bare/mmap_8MiB_windows+EVP_SHA256/file", BM_mmap_windows_EVP_SHA256_file)
      ->UseRealTime()->MeasureProcessCPUTime();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
