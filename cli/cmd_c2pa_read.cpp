// `veritrace c2pa read FILE...`: validate Content Credentials, one report per file.
#include <openssl/crypto.h>
#include <unistd.h>

#include <iostream>
#include <new>

#include "commands.hpp"
#include "veritrace/c2pa.hpp"
#include "veritrace/provenance.hpp"
#include "veritrace/report.hpp"

namespace veritrace::cli {

namespace {

struct ReadArgs {
  std::vector<std::string> files;
  std::vector<std::string> trust;
  std::string sidecar;
  bool json = false;
  bool no_trust_check = false;
  bool detailed = false;
  bool verbose = false;
  bool fetch_remote = false;
  bool strict = false;
  std::string db;
  bool no_repo = false;
};

int exit_for_state(c2pa::ValidationState s) {
  return s == c2pa::ValidationState::Invalid ? static_cast<int>(ExitCode::CheckFailed) : static_cast<int>(ExitCode::Ok);
}

int run_read(const ReadArgs& args) {
  // Reading needs only OpenSSL's built-in algorithms: skipping the system configuration file
  // saves about 1.5 ms per process (docs/benchmarks.md). Signing keeps it (engines, providers).
  OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr);
  if (!args.sidecar.empty() && args.files.size() != 1) {
    std::cerr << "veritrace: --sidecar validates exactly one FILE\n";
    return static_cast<int>(ExitCode::Usage);
  }
  if (args.no_trust_check && !args.trust.empty()) {
    std::cerr << "veritrace: --trust and --no-trust-check exclude each other\n";
    return static_cast<int>(ExitCode::Usage);
  }
  c2pa::ReadOptions options;
  options.trust_anchor_files = args.trust;
  options.no_trust_check = args.no_trust_check;
  options.detailed = args.detailed;
  options.fetch_remote = args.fetch_remote;
  options.strict = args.strict;
  if (args.no_repo && !args.db.empty()) {
    std::cerr << "veritrace: --db and --no-repo exclude each other\n";
    return static_cast<int>(ExitCode::Usage);
  }
  c2pa::Reader reader(options);  // trust anchor problems end the run before any file
  provenance::RecoveryOptions recovery;
  recovery.use_repository = !args.no_repo;
  recovery.db_path = args.db;

  const report::TextStyle style{static_cast<bool>(::isatty(STDOUT_FILENO)), args.verbose};
  BatchOutput output{args.json, "", [&](const nlohmann::json& r) { return report::c2pa_text(r, style); }};
  return run_batch(args.files, output, [&](const std::string& file, int& code) {
    c2pa::ReadResult result = args.sidecar.empty() ? provenance::read_with_recovery(reader, file, recovery)
                                                   : reader.read_with_sidecar(file, args.sidecar);
    code = exit_for_state(result.state);
    return std::move(result.report);
  });
}

}  // namespace

void add_c2pa_commands(CLI::App& app, Action& run) {
  CLI::App* c2pa = app.add_subcommand("c2pa", "C2PA Content Credentials");
  c2pa->require_subcommand(1);
  auto args = std::make_shared<ReadArgs>();
  CLI::App* read = c2pa->add_subcommand("read", "Read and validate the Content Credentials of files");
  read->add_option("FILE", args->files, "Image, video or audio files, or .c2pa manifest stores")->required();
  read->add_flag("--json", args->json, "JSON output (one object, or an array for several files)");
  read->add_option("--trust", args->trust, "PEM file of trusted root certificates (repeatable)")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  read->add_flag("--no-trust-check", args->no_trust_check, "Check signatures, hashes and certificates, but not trust");
  read->add_flag("--detailed", args->detailed, "Every assertion's full data, the raw claim and the certificate chain");
  read->add_flag("--strict", args->strict,
                 "Apply the C2PA certificate profile and RFC 5280 path rules where c2pa-rs 0.90.1 is lenient "
                 "(docs/conformance.md)");
  read->add_option("--sidecar", args->sidecar, "Validate FILE against this detached manifest store (.c2pa)");
  read->add_flag("--fetch-remote", args->fetch_remote, "Fetch a remote manifest (XMP provenance URL) when none is embedded");
  read->add_option("--db", args->db,
                   "Manifest repository for files without credentials (default: $XDG_DATA_HOME/veritrace/manifests.db "
                   "when it exists); a found watermark is looked up as a soft binding");
  read->add_flag("--no-repo", args->no_repo, "Do not look for a watermark or consult the manifest repository");
  read->add_flag("-v,--verbose", args->verbose, "Text output lists success statuses too");
  read->callback([args, &run] { run = [args] { return run_read(*args); }; });
  add_c2pa_sign(*c2pa, run);
  add_c2pa_keygen(*c2pa, run);
}

}  // namespace veritrace::cli
