// The `veritrace` command: one file per subcommand, registered on the CLI11 app here.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace veritrace::cli {

// Each subcommand registers itself and sets `run` to its action, which returns the exit code.
using Action = std::function<int()>;
void add_c2pa_commands(CLI::App& app, Action& run);
void add_repo_commands(CLI::App& app, Action& run);  // `repo` (cmd_repo.cpp)
void add_watermark_commands(CLI::App& app, Action& run);  // `watermark` (cmd_watermark.cpp)
void add_c2pa_keygen(CLI::App& c2pa, Action& run);  // `c2pa keygen` (cmd_c2pa_keygen.cpp)
void add_c2pa_sign(CLI::App& c2pa, Action& run);
void add_detect_command(CLI::App& app, Action& run);  // `detect` (cmd_detect.cpp)
void add_eval_command(CLI::App& app, Action& run);    // `eval` (cmd_eval.cpp)

// Exit code helpers shared by subcommands.
int worst(int a, int b);

// One report per file (cli/batch.cpp). `one` returns the file's report and sets its exit code;
// a veritrace::Error becomes an error report with the error's exit code. JSON: one object for
// one file, an array for several; text: `text(report)` per file (errors go to stderr).
using FileReport = std::function<nlohmann::json(const std::string& file, int& exit_code)>;
struct BatchOutput {
  bool json = false;
  std::string schema_version;  // set on error reports when not empty
  std::function<std::string(const nlohmann::json&)> text;
};
int run_batch(const std::vector<std::string>& files, const BatchOutput& output, const FileReport& one);

}  // namespace veritrace::cli
