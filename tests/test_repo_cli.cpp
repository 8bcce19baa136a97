// `veritrace repo`: files signed by our own CLI (`c2pa keygen` keys, a manifest definition with
// soft-binding assertions) are added, found by soft binding, hash and label, listed and removed;
// bad files and bad databases give their documented exit codes; concurrent `repo add` processes.
// Needs the CLI (VT_CLI_PATH) built.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "support/test_support.hpp"
#include "veritrace/repo.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;
using vt_test::shell_quote;

namespace {

std::string cli() { return shell_quote(vt_test::cli_path().string()); }

void write_text(const fs::path& p, const std::string& text) { vt_test::write_file(p, std::vector<uint8_t>(text.begin(), text.end())); }

// A mono 16-bit PCM WAV of pseudo-random samples: small, and a format our signer embeds in.
std::vector<uint8_t> make_wav(uint32_t seed, uint32_t samples = 4000) {
  std::vector<uint8_t> b;
  auto put = [&b](uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  const uint32_t data_size = samples * 2;
  b.insert(b.end(), {'R', 'I', 'F', 'F'});
  put(36 + data_size, 4);
  b.insert(b.end(), {'W', 'A', 'V', 'E', 'f', 'm', 't', ' '});
  put(16, 4);
  put(1, 2);
  put(1, 2);
  put(8000, 4);
  put(16000, 4);
  put(2, 2);
  put(16, 2);
  b.insert(b.end(), {'d', 'a', 't', 'a'});
  put(data_size, 4);
  std::mt19937 rng(seed);
  for (uint32_t i = 0; i < data_size; ++i) b.push_back(static_cast<uint8_t>(rng()));
  return b;
}

// Two soft-binding assertions: our watermark's, and another algorithm's with two blocks.
constexpr const char* kDefinition = R"({"assertions": [
  {"label": "c2pa.soft-binding", "data": {"alg": "io.veritrace.watermark.1",
    "blocks": [{"scope": {}, "value": "00000000deadbeef"}]}},
  {"label": "c2pa.soft-binding", "data": {"alg": "com.example.fingerprint",
    "blocks": [{"scope": {}, "value": "fp-1"}, {"scope": {}, "value": "fp-2"}]}}]})";

// Keys and signed files made once for the whole suite (signing is the slow part).
class RepoCli : public ::testing::Test {
 protected:
  static inline std::unique_ptr<vt_test::TempDir> shared_tmp;
  static inline fs::path signed_wav, signed_store, unsigned_wav;
  vt_test::TempDir tmp;

  static fs::path sign(const fs::path& dir, uint32_t seed, bool sidecar) {
    const fs::path in = dir / ("in" + std::to_string(seed) + ".wav");
    vt_test::write_file(in, make_wav(seed));
    const fs::path out = dir / ("signed" + std::to_string(seed) + (sidecar ? ".c2pa" : ".wav"));
    auto r = vt_test::run(cli() + " c2pa sign " + shell_quote(in.string()) + " -o " + shell_quote(out.string()) +
                          (sidecar ? " --sidecar" : "") + " --cert " + shell_quote((dir / "keys/chain.pem").string()) +
                          " --key " + shell_quote((dir / "keys/key.pem").string()) + " --manifest " +
                          shell_quote((dir / "def.json").string()));
    if (r.exit_code != 0) throw std::runtime_error("c2pa sign failed: " + r.err);
    return out;
  }

  static void SetUpTestSuite() {
    shared_tmp = std::make_unique<vt_test::TempDir>();
    const fs::path dir = shared_tmp->path();
    auto k = vt_test::run(cli() + " c2pa keygen " + shell_quote((dir / "keys").string()));
    ASSERT_EQ(k.exit_code, 0) << k.err;
    write_text(dir / "def.json", kDefinition);
    signed_wav = sign(dir, 1, false);
    signed_store = sign(dir, 2, true);
    unsigned_wav = dir / "plain.wav";
    vt_test::write_file(unsigned_wav, make_wav(3));
  }
  static void TearDownTestSuite() { shared_tmp.reset(); }

  std::string db() const { return (tmp.path() / "repo" / "m.db").string(); }
  vt_test::RunResult repo(const std::string& args) const { return vt_test::run(cli() + " repo " + args + " --db " + shell_quote(db())); }
  static json parse(const vt_test::RunResult& r) {
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r.out;
    return j;
  }
};

std::string active_manifest_of(const fs::path& file) {
  auto r = vt_test::run(cli() + " c2pa read " + shell_quote(file.string()) + " --json");
  return json::parse(r.out, nullptr, false).value("active_manifest", "");
}

}  // namespace

TEST_F(RepoCli, AddStoresTheEmbeddedStoreWithItsSoftBindings) {
  auto r = repo("add " + shell_quote(signed_wav.string()) + " --json --note first");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = parse(r);
  EXPECT_EQ(j.value("repository", ""), db());
  ASSERT_EQ(j["results"].size(), 1u);
  const json& res = j["results"][0];
  EXPECT_EQ(res.value("status", ""), "added");
  EXPECT_EQ(res.value("active_manifest", ""), active_manifest_of(signed_wav));
  EXPECT_EQ(res.value("note", ""), "first");
  EXPECT_EQ(res.value("source_path", ""), fs::absolute(signed_wav).lexically_normal().string());
  EXPECT_EQ(res["soft_bindings"], json::parse(R"([{"alg": "com.example.fingerprint", "value": "fp-1"},
      {"alg": "com.example.fingerprint", "value": "fp-2"}, {"alg": "io.veritrace.watermark.1", "value": "00000000deadbeef"}])"));

  // What was stored is the manifest store exactly as the file carries it (a JUMBF superbox).
  auto repository = veritrace::repo::Repository::open(db(), veritrace::repo::OpenMode::ReadOnly);
  auto entry = repository.find_by_hash(res.value("sha256", ""));
  ASSERT_TRUE(entry.has_value());
  ASSERT_GT(entry->store.size(), 8u);
  EXPECT_EQ(std::string(entry->store.begin() + 4, entry->store.begin() + 8), "jumb");
  EXPECT_EQ(entry->size, res.value("size", uint64_t{0}));
  auto file = vt_test::read_file(signed_wav);
  EXPECT_NE(std::search(file.begin(), file.end(), entry->store.begin(), entry->store.end()), file.end());

  // Adding it again changes nothing.
  auto again = repo("add " + shell_quote(signed_wav.string()) + " --json");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(parse(again)["results"][0].value("status", ""), "exists");
  auto list = repo("list --json");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(parse(list)["entries"].size(), 1u);
}

TEST_F(RepoCli, FindBySoftBindingHashAndLabel) {
  ASSERT_EQ(repo("add " + shell_quote(signed_wav.string()) + " " + shell_quote(signed_store.string())).exit_code, 0);
  auto r = repo("find --soft-binding io.veritrace.watermark.1=00000000deadbeef --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json entries = parse(r)["entries"];
  ASSERT_EQ(entries.size(), 2u);  // both were signed with the same definition
  EXPECT_GE(entries[0].value("added_at", ""), entries[1].value("added_at", ""));

  auto fp = repo("find --soft-binding com.example.fingerprint=fp-2 --json");
  ASSERT_EQ(fp.exit_code, 0) << fp.err;
  EXPECT_EQ(parse(fp)["entries"].size(), 2u);

  const std::string label = active_manifest_of(signed_wav);
  auto by_label = repo("find --label " + shell_quote(label) + " --json");
  ASSERT_EQ(by_label.exit_code, 0) << by_label.err;
  json one = parse(by_label)["entries"];
  ASSERT_EQ(one.size(), 1u);
  std::string sha = one[0].value("sha256", "");
  std::transform(sha.begin(), sha.end(), sha.begin(), [](char c) { return static_cast<char>(std::toupper(c)); });
  auto by_hash = repo("find --hash " + sha);  // text output, either case
  ASSERT_EQ(by_hash.exit_code, 0) << by_hash.err;
  EXPECT_NE(by_hash.out.find(label), std::string::npos) << by_hash.out;
  EXPECT_NE(by_hash.out.find("io.veritrace.watermark.1=00000000deadbeef"), std::string::npos) << by_hash.out;

  auto none = repo("find --soft-binding io.veritrace.watermark.1=00000000deadbeee --json");
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_TRUE(parse(none)["entries"].empty());
  EXPECT_EQ(repo("find --hash abc").exit_code, 2);
  EXPECT_EQ(repo("find --soft-binding novalue").exit_code, 2);
  EXPECT_EQ(repo("find").exit_code, 2);
  EXPECT_EQ(repo("find --hash " + sha + " --label x").exit_code, 2);
}

TEST_F(RepoCli, SidecarStoreIsStoredAsItIs) {
  auto r = repo("add " + shell_quote(signed_store.string()) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json res = parse(r)["results"][0];
  EXPECT_EQ(res.value("status", ""), "added");
  auto repository = veritrace::repo::Repository::open(db(), veritrace::repo::OpenMode::ReadOnly);
  auto entry = repository.find_by_hash(res.value("sha256", ""));
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->store, vt_test::read_file(signed_store));
  EXPECT_EQ(entry->soft_bindings.size(), 3u);
}

TEST_F(RepoCli, BatchGoesOnPastBadFilesAndExitsWithTheWorstCode) {
  auto cut = vt_test::read_file(signed_wav);
  cut.resize(cut.size() - 200);  // the manifest store sits at the end of this WAV
  const fs::path truncated = tmp.path() / "cut.wav";
  vt_test::write_file(truncated, cut);
  const fs::path text = tmp.path() / "notes.txt";
  write_text(text, "not media");
  auto r = repo("add " + shell_quote(unsigned_wav.string()) + " " + shell_quote((tmp.path() / "missing.wav").string()) + " " +
                shell_quote(truncated.string()) + " " + shell_quote(text.string()) + " " + shell_quote(signed_wav.string()) + " --json");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  json results = parse(r)["results"];
  ASSERT_EQ(results.size(), 5u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(results[i].value("status", ""), "error") << results[i].dump();
    EXPECT_TRUE(results[i].contains("error")) << results[i].dump();
  }
  EXPECT_NE(results[0]["error"].value("message", "").find("no C2PA manifest store"), std::string::npos) << results[0].dump();
  EXPECT_EQ(results[4].value("status", ""), "added");
  auto list = repo("list --json");
  EXPECT_EQ(parse(list)["entries"].size(), 1u);
}

TEST_F(RepoCli, BadDatabasesGiveClearErrors) {
  const fs::path text_db = tmp.path() / "text.db";
  write_text(text_db, std::string(2000, 'x'));
  for (const std::string& cmd : std::vector<std::string>{"list", "add " + shell_quote(signed_wav.string())}) {
    auto r = vt_test::run(cli() + " repo " + cmd + " --db " + shell_quote(text_db.string()));
    EXPECT_EQ(r.exit_code, 3) << cmd;
    EXPECT_NE(r.err.find("not a SQLite database"), std::string::npos) << r.err;
  }
  const fs::path blocker = tmp.path() / "file";
  write_text(blocker, "x");
  auto r = vt_test::run(cli() + " repo add " + shell_quote(signed_wav.string()) + " --db " + shell_quote((blocker / "m.db").string()));
  EXPECT_EQ(r.exit_code, 6) << r.err;
  // Reading a repository that does not exist is an empty result, and creates nothing.
  auto missing = repo("list --json");
  EXPECT_EQ(missing.exit_code, 0) << missing.err;
  EXPECT_TRUE(parse(missing)["entries"].empty());
  EXPECT_EQ(repo("find --soft-binding a=b").exit_code, 1);
  EXPECT_FALSE(fs::exists(tmp.path() / "repo"));
}

TEST_F(RepoCli, RemoveAndCheck) {
  auto added = repo("add " + shell_quote(signed_wav.string()) + " --json");
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const std::string sha = parse(added)["results"][0].value("sha256", "");
  auto check = repo("check --json");
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_TRUE(parse(check).value("ok", false));
  auto removed = repo("remove " + sha + " --json");
  EXPECT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_EQ(parse(removed)["results"][0].value("status", ""), "removed");
  EXPECT_EQ(repo("remove " + sha).exit_code, 1);
  EXPECT_EQ(repo("find --hash " + sha).exit_code, 1);
  EXPECT_EQ(repo("find --soft-binding io.veritrace.watermark.1=00000000deadbeef").exit_code, 1);
}

TEST_F(RepoCli, DefaultDatabaseFollowsXdgDataHome) {
  const fs::path xdg = tmp.path() / "xdg";
  auto r = vt_test::run("XDG_DATA_HOME=" + shell_quote(xdg.string()) + " " + cli() + " repo add " + shell_quote(signed_wav.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(xdg / "veritrace" / "manifests.db"));
  auto list = vt_test::run("XDG_DATA_HOME=" + shell_quote(xdg.string()) + " " + cli() + " repo list");
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("00000000deadbeef"), std::string::npos) << list.out;
}

// Several `repo add` processes started together on one fresh database: all succeed, all land.
TEST_F(RepoCli, ConcurrentAddProcesses) {
  std::string script;
  for (int i = 0; i < 4; ++i) {
    const fs::path file = i % 2 ? signed_store : signed_wav;  // two distinct stores, each added twice
    script += "(" + cli() + " repo add " + shell_quote(file.string()) + " --db " + shell_quote(db()) + " >/dev/null; echo $? >" +
              shell_quote((tmp.path() / ("rc" + std::to_string(i))).string()) + ") & ";
  }
  auto r = vt_test::run(script + "wait");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (int i = 0; i < 4; ++i) {
    auto rc = vt_test::read_file(tmp.path() / ("rc" + std::to_string(i)));
    EXPECT_EQ(std::string(rc.begin(), rc.end()), "0\n") << "process " << i << ": " << r.err;
  }
  auto list = repo("list --json");
  EXPECT_EQ(parse(list)["entries"].size(), 2u);
  EXPECT_EQ(repo("check").exit_code, 0);
}
