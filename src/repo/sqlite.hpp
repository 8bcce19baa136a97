// Thin RAII wrappers over the SQLite C API, with errors mapped to veritrace::Error kinds.
// Internal to the repo module.
#pragma once
#include <sqlite3.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "veritrace/core.hpp"

namespace veritrace::repo::sql {

// Throws the Error matching a SQLite result code. `fallback` is the kind for failures that depend
// on what was being done (I/O errors, a lock held too long): Io while reading, Output while writing.
// Not-a-database and corruption are Malformed; SQLITE_NOMEM is std::bad_alloc.
[[noreturn]] void fail(sqlite3* db, int rc, ErrorKind fallback, const std::string& path, std::string_view doing);

// SQLITE_BUSY / SQLITE_LOCKED that the busy timeout did not absorb. SQLite returns BUSY at once,
// without calling the busy handler, where waiting could deadlock (e.g. while another process
// switches the file to WAL or creates it); the caller may retry the whole transaction.
class Busy : public Error {
 public:
  using Error::Error;
};

class Statement {
 public:
  // A prepare failure on our own SQL means the file's schema is not what it claims: Malformed.
  Statement(sqlite3* db, std::string_view sql, const std::string& path, ErrorKind fallback);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, int64_t value);
  Statement& bind_blob(int index, std::span<const uint8_t> bytes);

  // true while a row is available; false when done. Throws on failure.
  bool step();
  void reset();

  int64_t column_int(int index) const;
  std::string column_text(int index) const;  // NULL reads as ""
  std::vector<uint8_t> column_blob(int index) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  const std::string& path_;
  ErrorKind fallback_;
  std::string sql_;
};

// Runs statements that return no rows we need (PRAGMAs that set, DDL, BEGIN/COMMIT).
void exec(sqlite3* db, const std::string& sql, const std::string& path, ErrorKind fallback);
int64_t query_int(sqlite3* db, const std::string& sql, const std::string& path, ErrorKind fallback);
std::string query_text(sqlite3* db, const std::string& sql, const std::string& path, ErrorKind fallback);

// A transaction rolled back unless commit() was called. Immediate transactions take the write
// lock up front (waiting up to the busy timeout), so two writers never deadlock upgrading a read.
class Transaction {
 public:
  enum class Kind { Read, Write };
  Transaction(sqlite3* db, Kind kind, const std::string& path);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  sqlite3* db_;
  const std::string& path_;
  ErrorKind fallback_;
  bool open_ = true;
};

}  // namespace veritrace::repo::sql
