// `veritrace c2pa keygen DIR [--alg es256|es384|es512|ps256|ps384|ps512|ed25519] [--force]`:
// a throwaway test PKI in the C2PA certificate profile (root CA -> intermediate CA -> signer),
// written as DIR/root.pem (trust anchor), DIR/chain.pem (signer + intermediate) and DIR/key.pem
// (PKCS#8, mode 0600). Files are written to temporary names, checked with the same code the
// signer uses (SigningKey::load), then renamed into place. docs/signing-keys.md has the
// equivalent openssl commands.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "cose/sign.hpp"
#include "veritrace/core.hpp"

namespace veritrace::cli {
namespace {

namespace fs = std::filesystem;

struct KeygenArgs {
  std::string dir;
  std::string alg = "es256";
  std::string common_name = "Veritrace Test Signer";
  bool force = false;
};

[[noreturn]] void output_error(const std::string& message) { throw Error(ErrorKind::Output, message); }

// Writes `text` to a new temporary file next to `target` with `mode`; returns its path.
std::string write_temp(const fs::path& target, const std::string& text, mode_t mode) {
  std::string pattern = (target.parent_path() / ("." + target.filename().string() + ".tmpXXXXXX")).string();
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  const int fd = ::mkstemp(name.data());  // created 0600
  if (fd < 0) output_error("cannot create a file in " + target.parent_path().string() + ": " + std::strerror(errno));
  const std::string path(name.data());
  bool ok = ::fchmod(fd, mode) == 0;
  size_t done = 0;
  while (ok && done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  const int saved = errno;
  ok = ok && ::fsync(fd) == 0;
  if (::close(fd) != 0) ok = false;
  if (!ok) {
    ::unlink(path.c_str());
    output_error("cannot write " + target.string() + ": " + std::strerror(saved ? saved : errno));
  }
  return path;
}

int run_keygen(const KeygenArgs& args) {
  auto alg = cose::signing_alg_from_name(args.alg);
  if (!alg) throw Error(ErrorKind::Usage, "unknown --alg " + args.alg + " (es256, es384, es512, ps256, ps384, ps512, ed25519)");
  const fs::path dir(args.dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) output_error("cannot create directory " + dir.string() + ": " + ec.message());

  struct Out {
    const char* name;
    std::string text;
    mode_t mode;
    std::string temp;
  };
  if (!args.force) {
    for (const char* name : {"root.pem", "chain.pem", "key.pem"}) {
      if (fs::exists(dir / name, ec)) {
        output_error((dir / name).string() + " already exists; use --force to overwrite");
      }
    }
  }
  const cose::TestCredentials creds = cose::generate_test_credentials(*alg, args.common_name);
  std::vector<Out> outs{{"root.pem", creds.root_pem, 0644, {}},
                        {"chain.pem", creds.chain_pem, 0644, {}},
                        {"key.pem", creds.key_pem, 0600, {}}};
  auto cleanup = [&outs] {
    for (auto& o : outs) {
      if (!o.temp.empty()) ::unlink(o.temp.c_str());
    }
  };
  try {
    for (auto& o : outs) o.temp = write_temp(dir / o.name, o.text, o.mode);
    // The set must pass the signer's own checks (key matches leaf, chain order, C2PA profile).
    cose::SigningKey::load(outs[2].temp, outs[1].temp, *alg);
    for (auto& o : outs) {
      if (::rename(o.temp.c_str(), (dir / o.name).c_str()) != 0) {
        output_error("cannot rename into " + (dir / o.name).string() + ": " + std::strerror(errno));
      }
      o.temp.clear();
    }
  } catch (...) {
    cleanup();
    throw;
  }
  std::cout << "Test signing credentials (" << cose::signing_alg_name(*alg) << ", C2PA profile; for testing only):\n"
            << "  " << (dir / "key.pem").string() << "    private key (PKCS#8, unencrypted, mode 0600)\n"
            << "  " << (dir / "chain.pem").string() << "  signer certificate + intermediate CA\n"
            << "  " << (dir / "root.pem").string() << "   root CA: pass it to `veritrace c2pa read --trust`\n";
  return static_cast<int>(ExitCode::Ok);
}

}  // namespace

void add_c2pa_keygen(CLI::App& c2pa, Action& run) {
  auto args = std::make_shared<KeygenArgs>();
  CLI::App* cmd = c2pa.add_subcommand(
      "keygen", "Create a test root CA, intermediate and signing key in the C2PA certificate profile (testing only)");
  cmd->add_option("DIR", args->dir, "Directory for root.pem, chain.pem and key.pem (created if missing)")->required();
  cmd->add_option("--alg", args->alg, "Signing algorithm: es256 (default), es384, es512, ps256, ps384, ps512, ed25519");
  cmd->add_option("--cn", args->common_name, "Common name of the signing certificate");
  cmd->add_flag("--force", args->force, "Overwrite existing files");
  cmd->callback([args, &run] { run = [args] { return run_keygen(*args); }; });
}

}  // namespace veritrace::cli
