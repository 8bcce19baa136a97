// The `veritrace` command: one file per subcommand, registered on the CLI11 app here.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace veritrace::cli {

// Each subcommand registers itself and sets `run` to its action, which returns the exit code.
using Action = std::function<int()>;
void add_c2pa_commands(CLI::App& app, Action& run);
void add_repo_commands(CLI::App& app, Action& run);  // `repo` (cmd_repo.cpp)
void add_watermark_commands(CLI::App& app, Action& run);  // `watermark` (cmd_watermark.cpp)
void add_c2pa_keygen(CLI::App& c2pa, Action& run);  // `c2pa keygen` (cmd_c2pa_keygen.cpp)
void add_c2pa_sign(CLI::App& c2pa, Action& run);

// Exit code helpers shared by subcommands.
int worst(int a, int b);

}  // namespace veritrace::cli
