// libFuzzer target: opening an arbitrary file as a manifest repository (identity and schema
// checks, migration, lookups, listing, integrity check). SQLite parses the pages; this exercises
// how the repo module copes with whatever a hostile or damaged database file contains.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "veritrace/repo.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = "/tmp/vt_fuzz_repo_" + std::to_string(::getpid()) + ".db";
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  } else {
    return 0;
  }
  for (auto mode : {veritrace::repo::OpenMode::ReadOnly, veritrace::repo::OpenMode::ReadWrite}) {
    try {
      auto repo = veritrace::repo::Repository::open(path, mode);
      for (const auto& e : repo.list()) {
        repo.find_by_manifest_label(e.active_manifest);
        for (const auto& sb : e.soft_bindings) repo.find_by_soft_binding(sb.alg, sb.value);
        if (e.sha256.size() == 64) repo.find_by_hash(e.sha256);
      }
      repo.check();
      if (mode == veritrace::repo::OpenMode::ReadWrite) repo.add({.store = {1, 2, 3}, .soft_bindings = {{"a", "b"}}});
    } catch (const veritrace::Error&) {
    }
  }
  for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((path + suffix).c_str());
  return 0;
}
