// Helpers shared by the tests: locating ../shared data, temp dirs, running the CLI.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace vt_test {

// ../shared next to the source tree, or $VERITRACE_SHARED; nullopt when absent.
std::optional<std::filesystem::path> shared_dir();
std::filesystem::path source_dir();
std::filesystem::path cli_path();

std::vector<uint8_t> read_file(const std::filesystem::path& p);
void write_file(const std::filesystem::path& p, const std::vector<uint8_t>& bytes);

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// Runs a command line through /bin/sh, capturing stdout and stderr.
RunResult run(const std::string& command_line);
std::string shell_quote(const std::string& s);

// True when `node --version` runs and reports major version 20 or newer (what the c2pa-ref
// scripts in ../shared/tools/c2pa-ref need). Checked once per process.
bool node_available();

// Whether the ffmpeg tool (a test dependency, scripts/deps-debian.txt) is on PATH: tests make
// their clips with it.
bool have_ffmpeg();

}  // namespace vt_test

#define VT_REQUIRE_FFMPEG() \
  if (!vt_test::have_ffmpeg()) GTEST_SKIP() << "the ffmpeg tool is not installed (scripts/deps-debian.txt): skipping"

// Skips the current test with a visible message when ../shared is absent.
#define VT_REQUIRE_SHARED(var)                                                     \
  auto var##_opt = vt_test::shared_dir();                                         \
  if (!var##_opt) GTEST_SKIP() << "../shared is absent: skipping (needs shared data)"; \
  const std::filesystem::path var = *var##_opt
