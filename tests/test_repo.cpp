// The manifest repository library: paths, schema identity and migration, idempotent add,
// lookups, removal, damaged and foreign files, and durability under concurrent and killed writers.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <cstdio>
#include <iostream>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "core/encoding.hpp"
#include "core/hash.hpp"
#include "support/test_support.hpp"
#include "veritrace/repo.hpp"

namespace fs = std::filesystem;
using namespace veritrace;
using repo::OpenMode;
using repo::Repository;

namespace {

// Deterministic pseudo-random bytes: the same seed always gives the same "manifest store".
std::vector<uint8_t> make_store(uint64_t seed, size_t size) {
  std::mt19937_64 rng(seed * 0x9e3779b97f4a7c15ULL + 1);
  std::vector<uint8_t> out(size);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

std::string sha_of(const std::vector<uint8_t>& bytes) { return hex_encode(hash_bytes(HashAlg::Sha256, bytes)); }

repo::NewEntry entry_for(uint64_t seed, size_t size = 2000, std::vector<repo::SoftBinding> sb = {}) {
  repo::NewEntry e;
  e.store = make_store(seed, size);
  e.active_manifest = "urn:c2pa:test-" + std::to_string(seed);
  e.soft_bindings = std::move(sb);
  e.source_path = "/photos/" + std::to_string(seed) + ".jpg";
  return e;
}

// Direct SQLite access, to build files the library must refuse or to damage a row.
void exec_raw(const fs::path& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string message = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

int64_t pragma_raw(const fs::path& db_path, const std::string& pragma) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, ("PRAGMA " + pragma).c_str(), -1, &st, nullptr);
  int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

template <typename F>
ErrorKind kind_thrown(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no veritrace::Error thrown";
  return ErrorKind::Internal;
}

class EnvGuard {
 public:
  explicit EnvGuard(const char* name) : name_(name) {
    if (const char* v = std::getenv(name)) saved_ = v;
  }
  ~EnvGuard() {
    if (saved_) setenv(name_, saved_->c_str(), 1);
    else unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> saved_;
};

}  // namespace

TEST(RepoPath, FollowsXdgDataHomeElseHome) {
  EnvGuard xdg("XDG_DATA_HOME"), home("HOME");
  setenv("XDG_DATA_HOME", "/data/me", 1);
  setenv("HOME", "/home/me", 1);
  EXPECT_EQ(repo::default_path(), "/data/me/veritrace/manifests.db");
  setenv("XDG_DATA_HOME", "relative/ignored", 1);  // the XDG spec: relative paths are invalid
  EXPECT_EQ(repo::default_path(), "/home/me/.local/share/veritrace/manifests.db");
  unsetenv("XDG_DATA_HOME");
  EXPECT_EQ(repo::default_path(), "/home/me/.local/share/veritrace/manifests.db");
  unsetenv("HOME");
  EXPECT_EQ(kind_thrown([] { repo::default_path(); }), ErrorKind::Usage);
}

TEST(RepoOpen, CreatesParentFoldersAndMigratesToCurrentSchema) {
  vt_test::TempDir tmp;
  fs::path db = tmp.path() / "a" / "b" / "manifests.db";
  {
    auto r = Repository::open(db.string(), OpenMode::CreateIfMissing);
    EXPECT_EQ(r.schema_version(), repo::kSchemaVersion);
    EXPECT_TRUE(r.list().empty());
    EXPECT_TRUE(r.check().empty());
  }
  EXPECT_EQ(pragma_raw(db, "user_version"), repo::kSchemaVersion);
  EXPECT_EQ(pragma_raw(db, "application_id"), 0x56544d52);
  // Reopening an up-to-date file changes nothing and keeps the data.
  {
    auto r = Repository::open(db.string(), OpenMode::ReadWrite);
    r.add(entry_for(1));
  }
  auto r = Repository::open(db.string(), OpenMode::ReadOnly);
  EXPECT_EQ(r.list().size(), 1u);
}

TEST(RepoOpen, MissingDatabaseIsAnIoErrorUnlessCreating) {
  vt_test::TempDir tmp;
  fs::path db = tmp.path() / "none" / "manifests.db";
  EXPECT_EQ(kind_thrown([&] { Repository::open(db.string(), OpenMode::ReadWrite); }), ErrorKind::Io);
  EXPECT_EQ(kind_thrown([&] { Repository::open(db.string(), OpenMode::ReadOnly); }), ErrorKind::Io);
  EXPECT_FALSE(Repository::open_if_exists(db.string(), OpenMode::ReadOnly).has_value());
  EXPECT_FALSE(Repository::open_if_exists(db.string(), OpenMode::CreateIfMissing).has_value());
  EXPECT_FALSE(fs::exists(db.parent_path()));  // nothing created on the way
  EXPECT_EQ(kind_thrown([&] { Repository::open(tmp.path().string(), OpenMode::ReadWrite); }), ErrorKind::Io);  // a folder
}

TEST(RepoOpen, RefusesNewerSchemaAndForeignDatabases) {
  vt_test::TempDir tmp;
  fs::path db = tmp.path() / "m.db";
  Repository::open(db.string(), OpenMode::CreateIfMissing).add(entry_for(1));
  exec_raw(db, "PRAGMA user_version=99");
  try {
    Repository::open(db.string(), OpenMode::ReadWrite);
    FAIL() << "a newer schema was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
  }
  EXPECT_EQ(pragma_raw(db, "user_version"), 99);  // left as it was

  fs::path foreign = tmp.path() / "other.db";
  exec_raw(foreign, "CREATE TABLE photos (name TEXT)");
  EXPECT_EQ(kind_thrown([&] { Repository::open(foreign.string(), OpenMode::ReadWrite); }), ErrorKind::Malformed);
  EXPECT_EQ(pragma_raw(foreign, "user_version"), 0);
  fs::path other_app = tmp.path() / "app.db";
  exec_raw(other_app, "PRAGMA application_id=1234");
  EXPECT_EQ(kind_thrown([&] { Repository::open(other_app.string(), OpenMode::CreateIfMissing); }), ErrorKind::Malformed);
}

TEST(RepoOpen, EmptyFileIsInitialisedButReadOnlyOpenRefusesIt) {
  vt_test::TempDir tmp;
  fs::path db = tmp.path() / "empty.db";
  vt_test::write_file(db, {});
  EXPECT_EQ(kind_thrown([&] { Repository::open(db.string(), OpenMode::ReadOnly); }), ErrorKind::Unsupported);
  auto r = Repository::open(db.string(), OpenMode::ReadWrite);
  EXPECT_EQ(r.schema_version(), repo::kSchemaVersion);
}

TEST(RepoOpen, NotADatabaseIsMalformed) {
  vt_test::TempDir tmp;
  fs::path db = tmp.path() / "text.db";
  std::string text(4096, 'x');
  vt_test::write_file(db, std::vector<uint8_t>(text.begin(), text.end()));
  for (OpenMode mode : {OpenMode::ReadOnly, OpenMode::ReadWrite, OpenMode::CreateIfMissing}) {
    try {
      Repository::open(db.string(), mode);
      FAIL() << "a text file opened as a repository";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Malformed);
      EXPECT_NE(std::string(e.what()).find("not a SQLite database"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(fs::file_size(db), 4096u);  // untouched
}

TEST(RepoOpen, CreatingUnderAFileIsAnOutputError) {
  vt_test::TempDir tmp;
  fs::path blocker = tmp.path() / "file";
  vt_test::write_file(blocker, {1, 2, 3});
  EXPECT_EQ(kind_thrown([&] { Repository::open((blocker / "sub" / "m.db").string(), OpenMode::CreateIfMissing); }),
            ErrorKind::Output);
}

TEST(RepoOpen, WriteProtectedFileOrFolderIsAnOutputError) {
  // Permission bits do not stop root; the test above covers root too.
  vt_test::TempDir tmp;
  if (::geteuid() == 0) GTEST_SKIP() << "running as root: permission-based read-only checks skipped";
  fs::path ro = tmp.path() / "ro";
  fs::create_directories(ro);
  Repository::open((ro / "m.db").string(), OpenMode::CreateIfMissing).add(entry_for(1));
  fs::permissions(ro / "m.db", fs::perms::owner_read);
  EXPECT_EQ(kind_thrown([&] { Repository::open((ro / "m.db").string(), OpenMode::ReadWrite); }), ErrorKind::Output);
  fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
  EXPECT_EQ(kind_thrown([&] { Repository::open((ro / "new.db").string(), OpenMode::CreateIfMissing); }), ErrorKind::Output);
  fs::permissions(ro, fs::perms::owner_all);
}

TEST(RepoStore, AddIsIdempotentAndLookupsFindTheEntry) {
  vt_test::TempDir tmp;
  auto r = Repository::open((tmp.path() / "m.db").string(), OpenMode::CreateIfMissing);
  repo::SoftBinding wm{"io.veritrace.watermark.1", "0123456789abcdef"};
  repo::SoftBinding other{"com.example.fp", "xyz"};
  auto e = entry_for(7, 5000, {wm, other, wm});
  e.note = "from the camera";
  auto first = r.add(e);
  EXPECT_TRUE(first.inserted);
  EXPECT_EQ(first.entry.sha256, sha_of(e.store));
  EXPECT_EQ(first.entry.store, e.store);
  EXPECT_EQ(first.entry.size, 5000u);
  EXPECT_EQ(first.entry.active_manifest, "urn:c2pa:test-7");
  EXPECT_EQ(first.entry.note, "from the camera");
  EXPECT_EQ(first.entry.soft_bindings, (std::vector<repo::SoftBinding>{other, wm}));  // sorted, once each
  EXPECT_GT(first.entry.added_at_ms, 1600000000000);

  auto again = r.add(e);
  EXPECT_FALSE(again.inserted);
  EXPECT_EQ(again.entry.id, first.entry.id);
  EXPECT_EQ(r.list().size(), 1u);

  auto by_sb = r.find_by_soft_binding(wm.alg, wm.value);
  ASSERT_EQ(by_sb.size(), 1u);
  EXPECT_EQ(by_sb[0].store, e.store);
  EXPECT_TRUE(r.find_by_soft_binding(wm.alg, "0123456789abcdee").empty());
  EXPECT_TRUE(r.find_by_soft_binding("other.alg", wm.value).empty());
  std::string upper = first.entry.sha256;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ASSERT_TRUE(r.find_by_hash(upper).has_value());
  EXPECT_EQ(r.find_by_hash(upper)->store, e.store);
  EXPECT_FALSE(r.find_by_hash(sha_of(make_store(8, 10))).has_value());
  EXPECT_EQ(kind_thrown([&] { r.find_by_hash("abc"); }), ErrorKind::Usage);
  EXPECT_EQ(kind_thrown([&] { r.find_by_hash(std::string(64, 'g')); }), ErrorKind::Usage);
  EXPECT_EQ(r.find_by_manifest_label("urn:c2pa:test-7").size(), 1u);
  EXPECT_TRUE(r.find_by_manifest_label("urn:c2pa:nope").empty());
  EXPECT_TRUE(r.list()[0].store.empty());  // list() leaves the bytes out
  EXPECT_EQ(kind_thrown([&] { r.add(repo::NewEntry{}); }), ErrorKind::Usage);
}

TEST(RepoStore, SoftBindingLookupIsMostRecentFirstAndRemoveCascades) {
  vt_test::TempDir tmp;
  auto r = Repository::open((tmp.path() / "m.db").string(), OpenMode::CreateIfMissing);
  repo::SoftBinding wm{"io.veritrace.watermark.1", "00000000000000ff"};
  std::vector<std::string> shas;
  for (uint64_t i = 0; i < 3; ++i) {
    shas.push_back(r.add(entry_for(100 + i, 300, {wm})).entry.sha256);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  auto found = r.find_by_soft_binding(wm.alg, wm.value);
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].sha256, shas[2]);
  EXPECT_EQ(found[2].sha256, shas[0]);
  EXPECT_GE(found[0].added_at_ms, found[1].added_at_ms);

  EXPECT_TRUE(r.remove(shas[2]));
  EXPECT_FALSE(r.remove(shas[2]));
  found = r.find_by_soft_binding(wm.alg, wm.value);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].sha256, shas[1]);
  EXPECT_TRUE(r.check().empty());
  // The same bytes can come back after removal, as a new entry.
  EXPECT_TRUE(r.add(entry_for(102, 300, {wm})).inserted);
}

TEST(RepoStore, ReadOnlyOpenRefusesWrites) {
  vt_test::TempDir tmp;
  fs::path db = tmp.path() / "m.db";
  std::string sha = Repository::open(db.string(), OpenMode::CreateIfMissing).add(entry_for(1)).entry.sha256;
  auto r = Repository::open(db.string(), OpenMode::ReadOnly);
  EXPECT_TRUE(r.find_by_hash(sha).has_value());
  EXPECT_EQ(kind_thrown([&] { r.add(entry_for(2)); }), ErrorKind::Usage);
  EXPECT_EQ(kind_thrown([&] { r.remove(sha); }), ErrorKind::Usage);
}

TEST(RepoDamage, AlteredBytesAreNeverHandedOut) {
  vt_test::TempDir tmp;
  fs::path db = tmp.path() / "m.db";
  std::string sha;
  {
    auto r = Repository::open(db.string(), OpenMode::CreateIfMissing);
    sha = r.add(entry_for(1, 1000, {{"a", "b"}})).entry.sha256;
    r.add(entry_for(2));
  }
  exec_raw(db, "UPDATE manifests SET store = zeroblob(1000) WHERE sha256 = '" + sha + "'");
  auto r = Repository::open(db.string(), OpenMode::ReadWrite);
  EXPECT_EQ(kind_thrown([&] { r.find_by_hash(sha); }), ErrorKind::Malformed);
  EXPECT_EQ(kind_thrown([&] { r.find_by_soft_binding("a", "b"); }), ErrorKind::Malformed);
  auto problems = r.check();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find(sha), std::string::npos);
  EXPECT_EQ(r.list().size(), 2u);  // listing (no bytes) still works, so the entry can be removed
  EXPECT_TRUE(r.remove(sha));
  EXPECT_TRUE(r.check().empty());
}

TEST(RepoDamage, CorruptPagesGiveMalformedNeverACrash) {
  vt_test::TempDir tmp;
  fs::path db = tmp.path() / "m.db";
  {
    auto r = Repository::open(db.string(), OpenMode::CreateIfMissing);
    for (uint64_t i = 0; i < 20; ++i) r.add(entry_for(i, 3000, {{"alg", std::to_string(i)}}));
  }  // closing checkpoints the WAL into the main file
  auto bytes = vt_test::read_file(db);
  ASSERT_GT(bytes.size(), 8192u);
  std::mt19937 rng(42);
  for (size_t i = 4096; i < bytes.size(); i += 7) bytes[i] = static_cast<uint8_t>(rng());  // every page but the first
  vt_test::write_file(db, bytes);
  bool reported = false;
  try {
    auto r = Repository::open(db.string(), OpenMode::ReadWrite);
    r.list();
    for (uint64_t i = 0; i < 20; ++i) r.find_by_soft_binding("alg", std::to_string(i));
    reported = !r.check().empty();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Malformed) << e.what();
    reported = true;
  }
  EXPECT_TRUE(reported);
}

// Several processes create the same fresh repository and add at once: every add lands, once.
TEST(RepoConcurrency, SeveralProcessesAddingAtOnce) {
  vt_test::TempDir tmp;
  const std::string db = (tmp.path() / "shared" / "m.db").string();
  constexpr int kProcesses = 4, kEach = 15;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int code = 0;
      try {
        auto r = Repository::open(db, OpenMode::CreateIfMissing);
        for (int i = 0; i < kEach; ++i) {
          r.add(entry_for(static_cast<uint64_t>(1000 * p + i), 1500, {{"shared", "x"}}));
          r.add(entry_for(1));  // the same store from everyone: stays one row
        }
      } catch (const std::exception& e) {
        fprintf(stderr, "child %d: %s\n", p, e.what());
        code = 1;
      }
      _exit(code);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a writer failed";
  }
  auto r = Repository::open(db, OpenMode::ReadOnly);
  EXPECT_EQ(r.list().size(), static_cast<size_t>(kProcesses * kEach + 1));
  EXPECT_EQ(r.find_by_soft_binding("shared", "x").size(), static_cast<size_t>(kProcesses * kEach));
  EXPECT_TRUE(r.check().empty());
}

// A writer killed at random moments never loses an entry whose add() returned, and never leaves
// a half-written one: the child reports each returned add() through a pipe before going on.
TEST(RepoDurability, KilledWriterLosesNothingThatWasCommitted) {
  vt_test::TempDir tmp;
  const std::string db = (tmp.path() / "m.db").string();
  std::set<uint64_t> committed;
  std::mt19937 rng(1234);
  constexpr int kRounds = 6;
  for (int round = 0; round < kRounds; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      try {
        auto r = Repository::open(db, OpenMode::CreateIfMissing);
        for (uint64_t i = 0;; ++i) {
          uint64_t seed = static_cast<uint64_t>(round) * 1000000 + i;
          r.add(entry_for(seed, 500 + (seed * 7919) % 60000, {{"round", std::to_string(round)}}));
          if (write(fds[1], &seed, sizeof seed) != sizeof seed) _exit(2);
        }
      } catch (...) {
        _exit(1);
      }
    }
    close(fds[1]);
    // Wait for the first returned add (slow CI machines), then kill at a random moment.
    uint64_t seed = 0;
    if (read(fds[0], &seed, sizeof seed) == sizeof seed) committed.insert(seed);
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 60)(rng)));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFSIGNALED(status)) << "the writer stopped on its own (status " << status << ")";
    while (read(fds[0], &seed, sizeof seed) == sizeof seed) committed.insert(seed);
    close(fds[0]);
  }
  ASSERT_GE(committed.size(), static_cast<size_t>(kRounds)) << "a writer died before its first add returned";
  auto r = Repository::open(db, OpenMode::ReadWrite);
  EXPECT_TRUE(r.check().empty());
  for (uint64_t seed : committed) {
    auto expected = entry_for(seed, 500 + (seed * 7919) % 60000);
    auto found = r.find_by_hash(sha_of(expected.store));
    ASSERT_TRUE(found.has_value()) << "committed entry " << seed << " lost";
    EXPECT_EQ(found->store, expected.store);
    EXPECT_EQ(found->active_manifest, expected.active_manifest);
    ASSERT_EQ(found->soft_bindings.size(), 1u);
  }
  // At most one add per round was in flight when killed (committed, not yet reported), and every
  // entry there, reported or not, is whole: its row and its soft binding went in together.
  auto all = r.list();
  EXPECT_LE(all.size(), committed.size() + kRounds);
  for (const auto& e : all) EXPECT_EQ(e.soft_bindings.size(), 1u) << "half-written entry " << e.sha256;
  std::cout << "[ info ] " << committed.size() << " committed adds across " << kRounds << " killed writers, all intact\n";
}

// A fuzz-found file: SQLite reports SQLITE_NOMEM while listing it. That is a clean
// Error(Malformed), not a std::bad_alloc escaping (which ended the process).
TEST(RepoHostile, OutOfMemoryOnADamagedFileIsMalformed) {
  const fs::path seed = fs::path(VT_SOURCE_DIR) / "fuzz/corpus/repo/regression-nomem.db";
  ASSERT_TRUE(fs::exists(seed)) << seed;
  vt_test::TempDir tmp;
  const fs::path db = tmp.path() / "hostile.db";
  fs::copy_file(seed, db);
  for (auto mode : {veritrace::repo::OpenMode::ReadOnly, veritrace::repo::OpenMode::ReadWrite}) {
    try {
      auto repo = veritrace::repo::Repository::open(db.string(), mode);
      for (const auto& e : repo.list()) repo.find_by_manifest_label(e.active_manifest);
      repo.check();
    } catch (const veritrace::Error& e) {
      EXPECT_TRUE(e.kind() == veritrace::ErrorKind::Malformed || e.kind() == veritrace::ErrorKind::Unsupported ||
                  e.kind() == veritrace::ErrorKind::Output)
          << e.what();
    }
  }
}
