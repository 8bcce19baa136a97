// The manifest repository: opening (with schema migration), storing and looking up entries.
#include <thread>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "core/encoding.hpp"
#include "core/hash.hpp"
#include "repo/schema.hpp"
#include "repo/sqlite.hpp"
#include "veritrace/repo.hpp"

namespace veritrace::repo {

namespace fs = std::filesystem;

namespace {

// Long enough to ride out another process's write (each is one short transaction), short enough
// that a stuck lock is reported rather than hanging a command.
constexpr int kBusyTimeoutMs = 15000;

// Runs `step` (one whole transaction, or the open-time identity/WAL/migration sequence) again when
// SQLite reports BUSY without having waited, until kBusyTimeoutMs have passed.
template <typename Step>
auto retry_when_busy(Step&& step) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  for (int attempt = 0;; ++attempt) {
    try {
      return step();
    } catch (const sql::Busy&) {
      if (std::chrono::steady_clock::now() >= deadline) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(5 + 5 * std::min(attempt, 20)));
    }
  }
}

std::string sha256_hex(std::span<const uint8_t> bytes) { return hex_encode(hash_bytes(HashAlg::Sha256, bytes)); }

// 64 hex digits in either case -> lowercase; anything else is a usage error.
std::string normalize_sha256(const std::string& hex) {
  if (hex.size() != 64 || !std::all_of(hex.begin(), hex.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }))
    throw Error(ErrorKind::Usage, "not a SHA-256 (64 hex digits): '" + hex + "'");
  std::string out = hex;
  std::transform(out.begin(), out.end(), out.begin(), [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  return out;
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

constexpr const char* kEntryColumns = "id, sha256, size, active_manifest, source_path, note, added_at_ms";

}  // namespace

std::string default_path() {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  // The XDG spec says relative paths are invalid and must be ignored.
  if (xdg != nullptr && xdg[0] == '/') return (fs::path(xdg) / "veritrace" / "manifests.db").string();
  const char* home = std::getenv("HOME");
  if (home == nullptr || home[0] == '\0')
    throw Error(ErrorKind::Usage, "no default manifest repository: neither XDG_DATA_HOME nor HOME is set (use --db PATH)");
  return (fs::path(home) / ".local" / "share" / "veritrace" / "manifests.db").string();
}

struct Repository::Impl {
  std::string path;
  sqlite3* db = nullptr;
  bool read_only = false;
  int version = 0;

  ~Impl() { sqlite3_close_v2(db); }

  void open(OpenMode mode);
  void check_identity_and_migrate();
  Entry read_entry(sql::Statement& st, bool with_store) const;
  std::vector<SoftBinding> soft_bindings_of(int64_t id) const;
  // Runs inside the caller's transaction.
  std::vector<Entry> collect(const std::string& where, const std::vector<std::string>& params, bool with_store) const;
  // The same in a read transaction of its own: one consistent snapshot.
  std::vector<Entry> query_entries(const std::string& where, const std::vector<std::string>& params, bool with_store) const {
    sql::Transaction tx(db, sql::Transaction::Kind::Read, path);
    auto out = collect(where, params, with_store);
    tx.commit();
    return out;
  }
};

void Repository::Impl::open(OpenMode mode) {
  std::error_code ec;
  const bool exists = fs::exists(path, ec);
  if (!exists && mode != OpenMode::CreateIfMissing) throw Error(ErrorKind::Io, path + ": no manifest repository there");
  if (exists && fs::is_directory(path, ec)) throw Error(ErrorKind::Io, path + ": is a directory, not a manifest repository");
  if (!exists) {
    fs::path parent = fs::path(path).parent_path();
    if (!parent.empty()) {
      fs::create_directories(parent, ec);
      if (ec) throw Error(ErrorKind::Output, path + ": cannot create the folder " + parent.string() + ": " + ec.message());
    }
  }
  read_only = mode == OpenMode::ReadOnly;
  int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (mode == OpenMode::CreateIfMissing) flags |= SQLITE_OPEN_CREATE;
  // NOMUTEX: a Repository is used from one thread at a time (documented in the header).
  int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    sql::fail(db, rc, mode == OpenMode::CreateIfMissing ? ErrorKind::Output : ErrorKind::Io, path, "opening");
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  // The file may come from anywhere: no schema-defined SQL functions, no writable_schema tricks.
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  // SQLite opens a write-protected file read-only without saying so; say it now, not at add().
  if (!read_only && sqlite3_db_readonly(db, "main") == 1)
    throw Error(ErrorKind::Output, path + ": the database cannot be written (read-only file or folder)");
  retry_when_busy([&] { check_identity_and_migrate(); });
}

void Repository::Impl::check_identity_and_migrate() {
  const ErrorKind read_kind = ErrorKind::Io;
  // The first read of the header is where a non-database file shows up (SQLITE_NOTADB).
  auto identify = [&] {
    const int64_t app_id = sql::query_int(db, "PRAGMA application_id", path, read_kind);
    const int64_t user_version = sql::query_int(db, "PRAGMA user_version", path, read_kind);
    if (app_id != schema::kApplicationId) {
      const int64_t objects = sql::query_int(db, "SELECT count(*) FROM sqlite_schema", path, read_kind);
      if (app_id != 0 || objects != 0 || user_version != 0)
        throw Error(ErrorKind::Malformed, path + ": a SQLite database of another program, not a Veritrace manifest repository");
      return 0;  // empty: ours to initialise
    }
    if (user_version > kSchemaVersion)
      throw Error(ErrorKind::Unsupported, path + ": written by a newer Veritrace (schema version " + std::to_string(user_version) +
                                              "; this program knows up to " + std::to_string(kSchemaVersion) + ")");
    if (user_version < 1)
      throw Error(ErrorKind::Malformed, path + ": a manifest repository with an invalid schema version " + std::to_string(user_version));
    return static_cast<int>(user_version);
  };
  {
    // One read transaction: the three reads see one state of the file. Without it, another
    // process creating the schema between them looks like "tables but no application id".
    sql::Transaction snapshot(db, sql::Transaction::Kind::Read, path);
    version = identify();
  }
  if (read_only) {
    if (version != kSchemaVersion)
      throw Error(ErrorKind::Unsupported, path + ": schema version " + std::to_string(version) + " needs migrating to " +
                                              std::to_string(kSchemaVersion) + ": open it writable once (e.g. `veritrace repo list`)");
    return;
  }
  // WAL: readers never block the writer and a killed writer's partial commit is ignored on reopen.
  // FULL: each commit is fsynced, so a returned add() survives a power cut too.
  const std::string journal = sql::query_text(db, "PRAGMA journal_mode=WAL", path, ErrorKind::Output);
  if (journal != "wal") throw Error(ErrorKind::Output, path + ": cannot switch the database to WAL mode (journal mode '" + journal + "')");
  sql::exec(db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON", path, ErrorKind::Output);
  if (version == kSchemaVersion) return;
  // Another process may be migrating the same file: take the write lock, then look again.
  sql::Transaction tx(db, sql::Transaction::Kind::Write, path);
  version = identify();
  for (const auto& m : schema::migrations()) {
    if (m.to_version <= version) continue;
    sql::exec(db, m.sql, path, ErrorKind::Output);
    version = m.to_version;
  }
  sql::exec(db, "PRAGMA application_id=" + std::to_string(schema::kApplicationId), path, ErrorKind::Output);
  sql::exec(db, "PRAGMA user_version=" + std::to_string(version), path, ErrorKind::Output);
  tx.commit();
}

std::vector<SoftBinding> Repository::Impl::soft_bindings_of(int64_t id) const {
  sql::Statement st(db, "SELECT alg, value FROM soft_bindings WHERE manifest_id = ? ORDER BY alg, value", path, ErrorKind::Io);
  st.bind(1, id);
  std::vector<SoftBinding> out;
  while (st.step()) out.push_back({st.column_text(0), st.column_text(1)});
  return out;
}

Entry Repository::Impl::read_entry(sql::Statement& st, bool with_store) const {
  Entry e;
  e.id = st.column_int(0);
  e.sha256 = st.column_text(1);
  e.size = static_cast<uint64_t>(st.column_int(2));
  e.active_manifest = st.column_text(3);
  e.source_path = st.column_text(4);
  e.note = st.column_text(5);
  e.added_at_ms = st.column_int(6);
  if (with_store) {
    e.store = st.column_blob(7);
    // Hand out only what was stored: a damaged row must not pass for a manifest.
    if (e.store.size() != e.size || sha256_hex(e.store) != e.sha256)
      throw Error(ErrorKind::Malformed, path + ": entry " + std::to_string(e.id) + " is damaged (its bytes no longer match SHA-256 " +
                                            e.sha256 + ")");
  }
  e.soft_bindings = soft_bindings_of(e.id);
  return e;
}

std::vector<Entry> Repository::Impl::collect(const std::string& where, const std::vector<std::string>& params,
                                             bool with_store) const {
  std::string sql = std::string("SELECT ") + kEntryColumns + (with_store ? ", store" : "") + " FROM manifests " + where +
                    " ORDER BY added_at_ms DESC, id DESC";
  sql::Statement st(db, sql, path, ErrorKind::Io);
  for (size_t i = 0; i < params.size(); ++i) st.bind(static_cast<int>(i + 1), params[i]);
  std::vector<Entry> out;
  while (st.step()) out.push_back(read_entry(st, with_store));
  return out;
}

Repository::Repository(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Repository::~Repository() = default;
Repository::Repository(Repository&&) noexcept = default;
Repository& Repository::operator=(Repository&&) noexcept = default;

Repository Repository::open(const std::string& path, OpenMode mode) {
  if (path.empty()) throw Error(ErrorKind::Usage, "empty manifest repository path");
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->open(mode);
  return Repository(std::move(impl));
}

std::optional<Repository> Repository::open_if_exists(const std::string& path, OpenMode mode) {
  std::error_code ec;
  if (!path.empty() && !fs::exists(path, ec)) return std::nullopt;
  return open(path, mode == OpenMode::CreateIfMissing ? OpenMode::ReadWrite : mode);
}

const std::string& Repository::path() const { return impl_->path; }
int Repository::schema_version() const { return impl_->version; }

AddResult Repository::add(const NewEntry& entry) {
  if (entry.store.empty()) throw Error(ErrorKind::Usage, "an empty manifest store cannot be added");
  if (impl_->read_only) throw Error(ErrorKind::Usage, impl_->path + ": opened read-only");
  sqlite3* db = impl_->db;
  const std::string& path = impl_->path;
  const std::string sha = sha256_hex(entry.store);
  return retry_when_busy([&]() -> AddResult {
    sql::Transaction tx(db, sql::Transaction::Kind::Write, path);
    sql::Statement insert(db,
                          "INSERT INTO manifests (sha256, size, active_manifest, source_path, note, added_at_ms, store) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sha256) DO NOTHING",
                          path, ErrorKind::Output);
    insert.bind(1, sha).bind(2, static_cast<int64_t>(entry.store.size())).bind(3, entry.active_manifest);
    insert.bind(4, entry.source_path).bind(5, entry.note).bind(6, now_ms()).bind_blob(7, entry.store);
    insert.step();
    const bool inserted = sqlite3_changes(db) == 1;
    if (inserted) {
      const int64_t id = sqlite3_last_insert_rowid(db);
      sql::Statement bind_sb(db, "INSERT OR IGNORE INTO soft_bindings (manifest_id, alg, value) VALUES (?, ?, ?)", path,
                             ErrorKind::Output);
      for (const auto& sb : entry.soft_bindings) {
        bind_sb.bind(1, id).bind(2, sb.alg).bind(3, sb.value);
        bind_sb.step();
        bind_sb.reset();
      }
    }
    // Read back in the same transaction: what is returned is exactly what was committed.
    auto stored = impl_->collect("WHERE sha256 = ?", {sha}, true);
    if (stored.size() != 1) throw Error(ErrorKind::Internal, path + ": entry " + sha + " not found right after being added");
    tx.commit();
    return {std::move(stored.front()), inserted};
  });
}

std::vector<Entry> Repository::find_by_soft_binding(const std::string& alg, const std::string& value) const {
  return impl_->query_entries("WHERE id IN (SELECT manifest_id FROM soft_bindings WHERE alg = ? AND value = ?)", {alg, value}, true);
}

std::optional<Entry> Repository::find_by_hash(const std::string& sha256_hex_in) const {
  auto found = impl_->query_entries("WHERE sha256 = ?", {normalize_sha256(sha256_hex_in)}, true);
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::vector<Entry> Repository::find_by_manifest_label(const std::string& label) const {
  return impl_->query_entries("WHERE active_manifest = ?", {label}, true);
}

std::vector<Entry> Repository::list() const { return impl_->query_entries("", {}, false); }

bool Repository::remove(const std::string& sha256_hex_in) {
  const std::string sha = normalize_sha256(sha256_hex_in);
  if (impl_->read_only) throw Error(ErrorKind::Usage, impl_->path + ": opened read-only");
  sqlite3* db = impl_->db;
  sql::Transaction tx(db, sql::Transaction::Kind::Write, impl_->path);
  sql::Statement st(db, "DELETE FROM manifests WHERE sha256 = ?", impl_->path, ErrorKind::Output);
  st.bind(1, sha);
  st.step();
  const bool removed = sqlite3_changes(db) > 0;
  tx.commit();  // soft_bindings rows go with it (ON DELETE CASCADE)
  return removed;
}

std::vector<std::string> Repository::check() const {
  std::vector<std::string> problems;
  sqlite3* db = impl_->db;
  const std::string& path = impl_->path;
  sql::Transaction tx(db, sql::Transaction::Kind::Read, path);
  {
    sql::Statement st(db, "PRAGMA integrity_check", path, ErrorKind::Io);
    while (st.step()) {
      std::string line = st.column_text(0);
      if (line != "ok") problems.push_back(line);
    }
  }
  {
    sql::Statement st(db, "PRAGMA foreign_key_check", path, ErrorKind::Io);
    if (st.step()) problems.push_back("soft bindings refer to missing manifests");
  }
  sql::Statement st(db, "SELECT id, sha256, size, store FROM manifests", path, ErrorKind::Io);
  while (st.step()) {
    std::vector<uint8_t> bytes = st.column_blob(3);
    if (bytes.size() != static_cast<uint64_t>(st.column_int(2)) || sha256_hex(bytes) != st.column_text(1))
      problems.push_back("entry " + std::to_string(st.column_int(0)) + ": stored bytes do not match SHA-256 " + st.column_text(1));
  }
  tx.commit();
  return problems;
}

}  // namespace veritrace::repo
