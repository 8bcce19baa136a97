// Veritrace manifest repository: a local SQLite database of C2PA manifest stores, looked up by
// the soft bindings they declare (e.g. our watermark's payload), by the SHA-256 of the store, or
// by the active manifest's label. It lets `c2pa read` recover credentials a file has lost.
//
//   auto repo = repo::Repository::open(repo::default_path(), repo::OpenMode::CreateIfMissing);
//   repo.add({.store = jumbf_bytes, .active_manifest = "urn:c2pa:...",
//             .soft_bindings = {{"io.veritrace.watermark.1", "0123456789abcdef"}}});
//   for (const auto& e : repo.find_by_soft_binding("io.veritrace.watermark.1", "0123456789abcdef"))
//     validate(e.store);                                     // most recent first
//
//   // A reader that must not fail when there is no repository:
//   if (auto r = repo::Repository::open_if_exists(path, repo::OpenMode::ReadOnly)) ...
//
// Guarantees (docs/repository.md): the schema is migrated on open; WAL mode and a busy timeout
// make concurrent processes safe; every write is one transaction with synchronous=FULL, so once
// add() returns the entry survives a killed process (or a power cut), and a killed add() leaves
// nothing half-written. The module knows nothing of C2PA parsing: callers extract the store,
// label and soft bindings (the CLI and the provenance module do).
//
// Errors are veritrace::Error: Io (missing database, unreadable), Malformed (not a SQLite file,
// corrupt, or a SQLite file of another program), Unsupported (written by a newer Veritrace),
// Output (cannot create or write), Usage (bad arguments, e.g. a malformed SHA-256).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "veritrace/core.hpp"

namespace veritrace::repo {

// $XDG_DATA_HOME/veritrace/manifests.db when XDG_DATA_HOME is set (and absolute), else
// $HOME/.local/share/veritrace/manifests.db. Throws Error(Usage) when neither is usable.
std::string default_path();

// The schema version this program writes (PRAGMA user_version).
inline constexpr int kSchemaVersion = 1;

// One soft binding a manifest declares: the algorithm name (C2PA soft-binding algorithm list, or
// ours: watermark::kAlgorithmName) and its value, exactly as written in the assertion.
struct SoftBinding {
  std::string alg;
  std::string value;
  bool operator==(const SoftBinding&) const = default;
};

// What add() stores. Only `store` is required.
struct NewEntry {
  std::vector<uint8_t> store;              // the raw JUMBF manifest store, as found in the file
  std::string active_manifest;             // label of the active manifest (urn:c2pa:...), may be empty
  std::vector<SoftBinding> soft_bindings;  // duplicates are stored once
  std::string source_path;                 // where the store came from (informational)
  std::string note;                        // free text
};

struct Entry {
  int64_t id = 0;                          // row id, stable for the life of the entry
  std::string sha256;                      // SHA-256 of `store`, 64 lowercase hex digits
  uint64_t size = 0;                       // bytes in the store
  std::string active_manifest;
  std::vector<SoftBinding> soft_bindings;  // sorted by (alg, value)
  std::string source_path;
  std::string note;
  int64_t added_at_ms = 0;                 // Unix time of the first add(), milliseconds
  std::vector<uint8_t> store;              // filled by the find_* calls; empty from list()
};

struct AddResult {
  Entry entry;            // the stored entry (with its store bytes)
  bool inserted = false;  // false: this exact store was already there (nothing changed)
};

enum class OpenMode {
  ReadOnly,         // never writes; a database of an older schema is read as it is if compatible,
                    // else refused (Error Unsupported: open it writable once to migrate)
  ReadWrite,        // the database must exist; migrated to kSchemaVersion
  CreateIfMissing,  // creates the file and its parent folders when missing
};

// One open database connection. Use it from one thread at a time (open one per thread);
// any number of processes may have the same file open.
class Repository {
 public:
  // Throws Error(Io) when the file is missing (and mode != CreateIfMissing); see the top for the
  // other kinds.
  static Repository open(const std::string& path, OpenMode mode);
  // nullopt when `path` does not exist (nothing is created); other failures still throw.
  static std::optional<Repository> open_if_exists(const std::string& path, OpenMode mode);

  ~Repository();
  Repository(Repository&&) noexcept;
  Repository& operator=(Repository&&) noexcept;

  const std::string& path() const;
  int schema_version() const;  // after open: kSchemaVersion, or older for a ReadOnly open

  // Stores an entry, idempotently: the same store bytes (same SHA-256) give one row; a repeated
  // add() returns the existing entry with inserted == false and changes nothing. Throws
  // Error(Usage) for an empty store, Error(Output) when the database cannot be written.
  AddResult add(const NewEntry& entry);

  // Entries declaring this soft binding, most recent first (ties: the later id first).
  std::vector<Entry> find_by_soft_binding(const std::string& alg, const std::string& value) const;
  // The entry whose store has this SHA-256 (hex, either case). Error(Usage) if not 64 hex digits.
  std::optional<Entry> find_by_hash(const std::string& sha256_hex) const;
  // Entries whose active manifest has this label, most recent first.
  std::vector<Entry> find_by_manifest_label(const std::string& label) const;
  // Every entry, most recent first, without the store bytes (Entry::store empty).
  std::vector<Entry> list() const;
  // Removes the entry with this SHA-256; false when there was none.
  bool remove(const std::string& sha256_hex);

  // Problems found: SQLite's integrity_check plus every stored store re-hashed against its
  // recorded SHA-256. Empty when all is well.
  std::vector<std::string> check() const;

 private:
  struct Impl;
  explicit Repository(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace veritrace::repo
