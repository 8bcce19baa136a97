// `veritrace repo add|list|find|remove|check`: the local manifest repository (docs/repository.md).
// `add` pulls the C2PA manifest store out of each file (or takes a .c2pa store as it is), reads its
// active manifest label and soft bindings with the C2PA reader, and stores it; the others query it.
#include <time.h>

#include <filesystem>
#include <iostream>
#include <system_error>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "commands.hpp"
#include "formats/formats.hpp"
#include "veritrace/c2pa.hpp"
#include "veritrace/core.hpp"
#include "veritrace/provenance.hpp"
#include "veritrace/repo.hpp"

namespace veritrace::cli {
namespace {

constexpr int kOk = static_cast<int>(ExitCode::Ok);
constexpr int kNothingMatched = static_cast<int>(ExitCode::CheckFailed);

struct RepoArgs {
  std::string db;  // empty: repo::default_path()
  bool json = false;
  std::vector<std::string> files;
  std::string note;
  std::string soft_binding;  // ALG=VALUE
  std::string hash;
  std::string label;
  std::vector<std::string> hashes;  // remove
};

std::string db_path(const RepoArgs& args) { return args.db.empty() ? repo::default_path() : args.db; }

std::string utc_time(int64_t ms) {
  const time_t seconds = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  char buf[32] = "?";
  if (gmtime_r(&seconds, &tm) != nullptr) strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

nlohmann::json soft_bindings_json(const std::vector<repo::SoftBinding>& list) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& sb : list) out.push_back({{"alg", sb.alg}, {"value", sb.value}});
  return out;
}

nlohmann::json entry_json(const repo::Entry& e) {
  return {{"sha256", e.sha256},
          {"size", e.size},
          {"active_manifest", e.active_manifest},
          {"soft_bindings", soft_bindings_json(e.soft_bindings)},
          {"source_path", e.source_path},
          {"note", e.note},
          {"added_at", utc_time(e.added_at_ms)}};
}

std::string soft_bindings_text(const std::vector<repo::SoftBinding>& list) {
  std::string out;
  for (const auto& sb : list) out += (out.empty() ? "" : ", ") + sb.alg + "=" + sb.value;
  return out.empty() ? "none" : out;
}

void print_entry_text(const repo::Entry& e) {
  std::cout << e.sha256 << "\n"
            << "  manifest:      " << (e.active_manifest.empty() ? "(none)" : e.active_manifest) << "\n"
            << "  soft bindings: " << soft_bindings_text(e.soft_bindings) << "\n"
            << "  size:          " << e.size << " bytes\n"
            << "  added:         " << utc_time(e.added_at_ms) << "\n";
  if (!e.source_path.empty()) std::cout << "  source:        " << e.source_path << "\n";
  if (!e.note.empty()) std::cout << "  note:          " << e.note << "\n";
}

// list/find/check read; a write-protected repository is still readable.
std::optional<repo::Repository> open_for_reading(const std::string& path) {
  try {
    return repo::Repository::open_if_exists(path, repo::OpenMode::ReadWrite);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::Output) throw;
    return repo::Repository::open_if_exists(path, repo::OpenMode::ReadOnly);
  }
}

int finish_output(int code, const nlohmann::json* json) {
  if (json != nullptr) std::cout << json->dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  std::cout.flush();
  if (!std::cout) {
    std::cerr << "veritrace: cannot write to standard output\n";
    return worst(code, static_cast<int>(ExitCode::OutputFailed));
  }
  return code;
}

int run_add(const RepoArgs& args) {
  const std::string path = db_path(args);
  auto repository = repo::Repository::open(path, repo::OpenMode::CreateIfMissing);  // errors end the run: 3 or 6
  c2pa::ReadOptions options;
  options.no_trust_check = true;  // the state is informative; storing does not depend on trust
  c2pa::Reader reader(options);
  int code = kOk;
  nlohmann::json results = nlohmann::json::array();
  for (const auto& file : args.files) {
    nlohmann::json r = {{"file", file}};
    try {
      provenance::RepositoryEntry x = provenance::repository_entry(reader, file);
      x.entry.note = args.note;
      repo::AddResult added = repository.add(x.entry);
      const char* status = added.inserted ? "added" : "exists";
      r["status"] = status;
      r["validation_state"] = c2pa::state_name(x.state);
      r.update(entry_json(added.entry));
      if (!args.json) {
        std::cout << status << " " << file << ": " << added.entry.sha256 << " ("
                  << (added.entry.active_manifest.empty() ? "no active manifest" : added.entry.active_manifest)
                  << "; soft bindings: " << soft_bindings_text(added.entry.soft_bindings) << "; " << c2pa::state_name(x.state) << ")\n";
      }
    } catch (const Error& e) {
      std::cerr << "veritrace: " << e.what() << "\n";
      r["status"] = "error";
      r["error"] = {{"kind", error_kind_name(e.kind())}, {"message", e.what()}};
      code = worst(code, static_cast<int>(exit_code_for(e.kind())));
    } catch (const std::bad_alloc&) {
      std::cerr << "veritrace: " << file << ": out of memory\n";
      r["status"] = "error";
      r["error"] = {{"kind", "internal"}, {"message", "out of memory"}};
      code = worst(code, static_cast<int>(ExitCode::Internal));
    }
    results.push_back(std::move(r));
  }
  nlohmann::json out = {{"repository", path}, {"results", std::move(results)}};
  return finish_output(code, args.json ? &out : nullptr);
}

int print_entries(const RepoArgs& args, const std::string& path, const std::vector<repo::Entry>& entries, int code) {
  if (args.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& e : entries) list.push_back(entry_json(e));
    nlohmann::json out = {{"repository", path}, {"entries", std::move(list)}};
    return finish_output(code, &out);
  }
  for (const auto& e : entries) print_entry_text(e);
  return finish_output(code, nullptr);
}

int run_list(const RepoArgs& args) {
  const std::string path = db_path(args);
  auto repository = open_for_reading(path);
  if (!repository && !args.json) std::cerr << "veritrace: no manifest repository at " << path << " (empty)\n";
  return print_entries(args, path, repository ? repository->list() : std::vector<repo::Entry>{}, kOk);
}

int run_find(const RepoArgs& args) {
  const int criteria = !args.soft_binding.empty() + !args.hash.empty() + !args.label.empty();
  if (criteria != 1) {
    std::cerr << "veritrace: repo find needs exactly one of --soft-binding, --hash, --label\n";
    return static_cast<int>(ExitCode::Usage);
  }
  std::string alg, value;
  if (!args.soft_binding.empty()) {
    const auto eq = args.soft_binding.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == args.soft_binding.size()) {
      std::cerr << "veritrace: --soft-binding takes ALG=VALUE, e.g. io.veritrace.watermark.1=0123456789abcdef\n";
      return static_cast<int>(ExitCode::Usage);
    }
    alg = args.soft_binding.substr(0, eq);
    value = args.soft_binding.substr(eq + 1);
  }
  const std::string path = db_path(args);
  auto repository = open_for_reading(path);
  std::vector<repo::Entry> found;
  if (repository) {
    if (!args.hash.empty()) {
      if (auto e = repository->find_by_hash(args.hash)) found.push_back(std::move(*e));
    } else if (!args.label.empty()) {
      found = repository->find_by_manifest_label(args.label);
    } else {
      found = repository->find_by_soft_binding(alg, value);
    }
  }
  if (found.empty() && !args.json) std::cerr << "veritrace: no matching entry in " << path << "\n";
  return print_entries(args, path, found, found.empty() ? kNothingMatched : kOk);
}

int run_remove(const RepoArgs& args) {
  const std::string path = db_path(args);
  auto repository = repo::Repository::open_if_exists(path, repo::OpenMode::ReadWrite);
  int code = kOk;
  nlohmann::json results = nlohmann::json::array();
  for (const auto& sha : args.hashes) {
    nlohmann::json r = {{"sha256", sha}};
    try {
      const bool removed = repository && repository->remove(sha);
      r["status"] = removed ? "removed" : "not found";
      if (!removed) code = worst(code, kNothingMatched);
      if (!args.json) (removed ? std::cout : std::cerr) << (removed ? "removed " : "veritrace: not in the repository: ") << sha << "\n";
    } catch (const Error& e) {
      std::cerr << "veritrace: " << e.what() << "\n";
      r["status"] = "error";
      r["error"] = {{"kind", error_kind_name(e.kind())}, {"message", e.what()}};
      code = worst(code, static_cast<int>(exit_code_for(e.kind())));
    }
    results.push_back(std::move(r));
  }
  nlohmann::json out = {{"repository", path}, {"results", std::move(results)}};
  return finish_output(code, args.json ? &out : nullptr);
}

int run_check(const RepoArgs& args) {
  const std::string path = db_path(args);
  auto repository = repo::Repository::open(path, repo::OpenMode::ReadWrite);
  const auto problems = repository.check();
  const int code = problems.empty() ? kOk : static_cast<int>(ExitCode::CheckFailed);
  if (args.json) {
    nlohmann::json out = {{"repository", path}, {"ok", problems.empty()}, {"problems", problems}};
    return finish_output(code, &out);
  }
  if (problems.empty()) std::cout << path << ": ok (" << repository.list().size() << " entries)\n";
  for (const auto& p : problems) std::cout << path << ": " << p << "\n";
  return finish_output(code, nullptr);
}

void add_common(CLI::App* cmd, RepoArgs& args) {
  cmd->add_option("--db", args.db, "Repository database (default: $XDG_DATA_HOME/veritrace/manifests.db)");
  cmd->add_flag("--json", args.json, "JSON output");
}

}  // namespace

void add_repo_commands(CLI::App& app, Action& run) {
  CLI::App* repo_cmd = app.add_subcommand("repo", "Local repository of C2PA manifests, for recovering stripped credentials");
  repo_cmd->require_subcommand(1);
  auto args = std::make_shared<RepoArgs>();

  CLI::App* add = repo_cmd->add_subcommand("add", "Store the C2PA manifest store of each file (or .c2pa store)");
  add->add_option("FILE", args->files, "Signed image, video or audio files, or .c2pa manifest stores")->required();
  add->add_option("--note", args->note, "Free text stored with each entry");
  add_common(add, *args);
  add->callback([args, &run] { run = [args] { return run_add(*args); }; });

  CLI::App* list = repo_cmd->add_subcommand("list", "List the stored manifests, most recent first");
  add_common(list, *args);
  list->callback([args, &run] { run = [args] { return run_list(*args); }; });

  CLI::App* find = repo_cmd->add_subcommand("find", "Look stored manifests up (exit 1 when nothing matches)");
  find->add_option("--soft-binding", args->soft_binding, "ALG=VALUE, e.g. io.veritrace.watermark.1=0123456789abcdef");
  find->add_option("--hash", args->hash, "SHA-256 of the manifest store (64 hex digits)");
  find->add_option("--label", args->label, "Label of the active manifest (urn:c2pa:...)");
  add_common(find, *args);
  find->callback([args, &run] { run = [args] { return run_find(*args); }; });

  CLI::App* remove = repo_cmd->add_subcommand("remove", "Remove stored manifests by the SHA-256 of their store");
  remove->add_option("SHA256", args->hashes, "SHA-256 of a stored manifest store")->required();
  add_common(remove, *args);
  remove->callback([args, &run] { run = [args] { return run_remove(*args); }; });

  CLI::App* check = repo_cmd->add_subcommand("check", "Check the database's integrity and every stored store's SHA-256");
  add_common(check, *args);
  check->callback([args, &run] { run = [args] { return run_check(*args); }; });
}

}  // namespace veritrace::cli
