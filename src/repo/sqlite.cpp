#include "repo/sqlite.hpp"

#include <new>

namespace veritrace::repo::sql {

void fail(sqlite3* db, int rc, ErrorKind fallback, const std::string& path, std::string_view doing) {
  const int primary = rc & 0xff;
  std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string where = path + ": " + std::string(doing) + ": ";
  switch (primary) {
    case SQLITE_NOMEM:  // a damaged or hostile file can ask SQLite for absurd allocations
      throw Error(ErrorKind::Malformed, where + "SQLite ran out of memory; the database may be damaged (" + detail + ")");
    case SQLITE_NOTADB:
      throw Error(ErrorKind::Malformed, path + ": not a SQLite database (" + detail + ")");
    case SQLITE_CORRUPT:
      throw Error(ErrorKind::Malformed, where + "the database is corrupt (" + detail + ")");
    case SQLITE_READONLY:
      throw Error(ErrorKind::Output, where + "the database cannot be written (" + detail + ")");
    case SQLITE_FULL:
      throw Error(ErrorKind::Output, where + "the disk is full (" + detail + ")");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      throw Busy(fallback, where + "the database stayed locked by another process (" + detail + ")");
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      throw Error(fallback, where + detail);
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_SCHEMA:
    case SQLITE_ERROR:
      // Our statements are fixed; these mean the file does not hold the schema it claims.
      throw Error(ErrorKind::Malformed, where + "unexpected database content (" + detail + ")");
    default:
      throw Error(ErrorKind::Internal, where + "SQLite error " + std::to_string(rc) + " (" + detail + ")");
  }
}

Statement::Statement(sqlite3* db, std::string_view sql, const std::string& path, ErrorKind fallback)
    : db_(db), path_(path), fallback_(fallback), sql_(sql) {
  int rc = sqlite3_prepare_v2(db_, sql_.data(), static_cast<int>(sql_.size()), &stmt_, nullptr);
  if (rc != SQLITE_OK) fail(db_, rc, fallback_, path_, "preparing a query");
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, std::string_view text) {
  int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) fail(db_, rc, fallback_, path_, "binding a value");
  return *this;
}

Statement& Statement::bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) fail(db_, rc, fallback_, path_, "binding a value");
  return *this;
}

Statement& Statement::bind_blob(int index, std::span<const uint8_t> bytes) {
  // A zero-length blob from a null pointer would bind NULL; keep it an empty blob.
  static const uint8_t kEmpty = 0;
  const void* data = bytes.empty() ? &kEmpty : bytes.data();
  int rc = sqlite3_bind_blob64(stmt_, index, data, bytes.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) fail(db_, rc, fallback_, path_, "binding a value");
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, rc, fallback_, path_, fallback_ == ErrorKind::Output ? "writing" : "reading");
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string Statement::column_text(int index) const {
  const auto* text = sqlite3_column_text(stmt_, index);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(sqlite3_column_bytes(stmt_, index)));
}

std::vector<uint8_t> Statement::column_blob(int index) const {
  const auto* data = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, index));
  if (data == nullptr) return {};
  return std::vector<uint8_t>(data, data + sqlite3_column_bytes(stmt_, index));
}

void exec(sqlite3* db, const std::string& sql, const std::string& path, ErrorKind fallback) {
  char* message = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  sqlite3_free(message);  // sqlite3_errmsg() still has it for fail()
  if (rc != SQLITE_OK) fail(db, rc, fallback, path, fallback == ErrorKind::Output ? "writing" : "reading");
}

int64_t query_int(sqlite3* db, const std::string& sql, const std::string& path, ErrorKind fallback) {
  Statement st(db, sql, path, fallback);
  return st.step() ? st.column_int(0) : 0;
}

std::string query_text(sqlite3* db, const std::string& sql, const std::string& path, ErrorKind fallback) {
  Statement st(db, sql, path, fallback);
  return st.step() ? st.column_text(0) : std::string();
}

Transaction::Transaction(sqlite3* db, Kind kind, const std::string& path)
    : db_(db), path_(path), fallback_(kind == Kind::Write ? ErrorKind::Output : ErrorKind::Io) {
  exec(db_, kind == Kind::Write ? "BEGIN IMMEDIATE" : "BEGIN", path_, fallback_);
}

Transaction::~Transaction() {
  if (open_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  exec(db_, "COMMIT", path_, fallback_);
  open_ = false;
}

}  // namespace veritrace::repo::sql
