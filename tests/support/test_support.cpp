#include "support/test_support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace vt_test {

fs::path source_dir() { return fs::path(VT_SOURCE_DIR); }
fs::path cli_path() { return fs::path(VT_CLI_PATH); }

std::optional<fs::path> shared_dir() {
  if (const char* env = std::getenv("VERITRACE_SHARED")) {
    if (fs::is_directory(env)) return fs::path(env);
  }
  fs::path p = source_dir().parent_path() / "shared";
  if (fs::is_directory(p / "data")) return p;
  return std::nullopt;
}

std::vector<uint8_t> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_file(const fs::path& p, const std::vector<uint8_t>& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = fs::temp_directory_path() / ("vt-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
  fs::remove_all(path_, ec);
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

RunResult run(const std::string& command_line) {
  TempDir tmp;
  fs::path out = tmp.path() / "out", err = tmp.path() / "err";
  std::string full = "(" + command_line + ") >" + shell_quote(out.string()) + " 2>" + shell_quote(err.string());
  int status = std::system(full.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  auto slurp = [](const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

bool node_available() {
  static const bool available = [] {
    RunResult r = run("node --version");
    if (r.exit_code != 0) return false;
    // "v20.20.2"
    size_t pos = r.out.find('v');
    if (pos == std::string::npos) return false;
    int major = 0;
    bool digits = false;
    for (size_t i = pos + 1; i < r.out.size() && r.out[i] >= '0' && r.out[i] <= '9'; ++i) {
      major = major * 10 + (r.out[i] - '0');
      digits = true;
      if (major > 1000) break;
    }
    return digits && major >= 20;
  }();
  return available;
}

bool have_ffmpeg() { return run("command -v ffmpeg >/dev/null").exit_code == 0; }

}  // namespace vt_test
