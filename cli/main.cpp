// veritrace: where did this media come from, and is it what it claims to be?
#include <cstdio>
#include <exception>
#include <iostream>
#include <new>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "commands.hpp"
#include "veritrace/core.hpp"

namespace veritrace::cli {
int worst(int a, int b) { return a > b ? a : b; }
}  // namespace veritrace::cli

namespace {
// The detectors allocate and free many buffers of 0.1-10 MB per file. glibc serves those with
// fresh mmap()s that the kernel must zero and unmap again: about 10% of `detect`'s CPU time went to
// page faults. Keeping blocks under 64 MB in the heap (and up to 128 MB of free heap before it is
// trimmed) removes that; larger buffers (huge images) are still returned to the system when freed.
// (bench/run-detect-benchmarks.sh: system time 1.1 s -> 0.1 s over 40 1024-px files.)
void tune_allocator() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
  mallopt(M_TOP_PAD, 16 << 20);
#endif
}
}  // namespace

int main(int argc, char** argv) {
  using veritrace::ExitCode;
  tune_allocator();
  CLI::App app{"Veritrace: provenance (C2PA) and authenticity checks for images, video and audio", "veritrace"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "veritrace 0.1.0");
  veritrace::cli::Action run;
  veritrace::cli::add_c2pa_commands(app, run);
  veritrace::cli::add_repo_commands(app, run);
  veritrace::cli::add_watermark_commands(app, run);
  veritrace::cli::add_detect_command(app, run);
  veritrace::cli::add_eval_command(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return static_cast<int>(ExitCode::Usage);
  }
  try {
    return run ? run() : static_cast<int>(ExitCode::Usage);
  } catch (const veritrace::Error& e) {
    std::cerr << "veritrace: " << e.what() << "\n";
    return static_cast<int>(veritrace::exit_code_for(e.kind()));
  } catch (const std::bad_alloc&) {
    std::cerr << "veritrace: out of memory\n";
    return static_cast<int>(ExitCode::Internal);
  } catch (const std::exception& e) {
    std::cerr << "veritrace: internal error: " << e.what() << "\n";
    return static_cast<int>(ExitCode::Internal);
  }
}
