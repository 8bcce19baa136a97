// In-process speed of c2pa::Reader::read_file (include/veritrace/c2pa.hpp): parse, validate
// (signature, certificate chain, trust, hashed URIs, hard binding) and build the JSON report.
//
//   bench_read [google-benchmark flags] FILE...
//   VERITRACE_BENCH_READ_FILES=FILE1:FILE2 bench_read [flags]
//   VERITRACE_BENCH_TRUST=root.pem   trust anchors (default: the reference kit's test root, when
//                                    /work/shared/tools/c2pa-ref/pki/root.pem exists)
//
// Without any FILE nothing is measured (exit 0). Files that cannot be read are reported and
// skipped. Files are read warm (page cache), which is what repeated reads measure anyway.
#include <benchmark/benchmark.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "veritrace/c2pa.hpp"

namespace {

bool exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string base_name(const std::string& p) {
  size_t slash = p.find_last_of('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

veritrace::c2pa::ReadOptions g_options;

void BM_read_file(benchmark::State& state, const std::string& path, const veritrace::c2pa::Reader* reader) {
  uint64_t size = 0;
  {
    struct stat st {};
    ::stat(path.c_str(), &st);
    size = static_cast<uint64_t>(st.st_size);
  }
  std::string label;
  for (auto _ : state) {
    auto result = reader->read_file(path);
    benchmark::DoNotOptimize(result.report);
    if (label.empty()) label = veritrace::c2pa::state_name(result.state);
  }
  state.SetLabel(label);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(size));
}

// What the CLI adds on top of read_file for `--json`: serialising the report.
void BM_read_file_and_dump(benchmark::State& state, const std::string& path, const veritrace::c2pa::Reader* reader) {
  for (auto _ : state) {
    auto result = reader->read_file(path);
    std::string s = result.report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    benchmark::DoNotOptimize(s.data());
  }
}

// Constructing a Reader: loads and parses the trust anchors (once per CLI process).
void BM_reader_construct(benchmark::State& state) {
  for (auto _ : state) {
    veritrace::c2pa::Reader r(g_options);
    benchmark::DoNotOptimize(&r);
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) files.emplace_back(argv[i]);
  if (files.empty()) {
    if (const char* env = std::getenv("VERITRACE_BENCH_READ_FILES"); env && *env) files = split(env, ':');
  }
  if (files.empty()) {
    std::fprintf(stderr,
                 "bench_read: SKIPPED: no input files (give FILE... as arguments or set "
                 "VERITRACE_BENCH_READ_FILES=a.jpg:b.jpg; bench/run-benchmarks.sh makes the 10 MB JPEG)\n");
    return 0;
  }

  std::string trust;
  if (const char* env = std::getenv("VERITRACE_BENCH_TRUST"); env && *env) {
    trust = env;
  } else if (exists("/work/shared/tools/c2pa-ref/pki/root.pem")) {
    trust = "/work/shared/tools/c2pa-ref/pki/root.pem";
  }
  if (!trust.empty()) g_options.trust_anchor_files.push_back(trust);
  std::fprintf(stderr, "bench_read: trust anchors: %s\n", trust.empty() ? "(none)" : trust.c_str());
  benchmark::AddCustomContext("trust_anchors", trust.empty() ? "(none)" : trust);

  static veritrace::c2pa::Reader reader(g_options);
  int registered = 0;
  for (const auto& f : files) {
    if (!exists(f)) {
      std::fprintf(stderr, "bench_read: SKIPPED %s: not a readable file\n", f.c_str());
      continue;
    }
    try {
      auto r = reader.read_file(f);  // warm-up and sanity check
      std::fprintf(stderr, "bench_read: %s -> %s\n", f.c_str(), veritrace::c2pa::state_name(r.state));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench_read: SKIPPED %s: %s\n", f.c_str(), e.what());
      continue;
    }
    std::string name = base_name(f);
    benchmark::RegisterBenchmark(("read_file/" + name).c_str(), BM_read_file, f, &reader)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("read_file+json_dump/" + name).c_str(), BM_read_file_and_dump, f, &reader)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    ++registered;
  }
  if (registered == 0) {
    std::fprintf(stderr, "bench_read: SKIPPED: none of the input files could be read\n");
    return 0;
  }
  benchmark::RegisterBenchmark("reader_construct", BM_reader_construct)->Unit(benchmark::kMicrosecond);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
