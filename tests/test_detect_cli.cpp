// `veritrace detect`: output forms, batches with bad files, heatmaps, HTML, exit codes.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <nlohmann/json.hpp>

#include "support/synthetic_sound.hpp"
#include "support/test_images.hpp"
#include "support/test_support.hpp"
#include "veritrace/media.hpp"

namespace fs = std::filesystem;
using vt_test::shell_quote;

namespace {

std::string cli() { return shell_quote(vt_test::cli_path().string()); }
std::string example() { return shell_quote((vt_test::source_dir() / "examples/ai-generated-es256.jpg").string()); }
std::string root() { return shell_quote((vt_test::source_dir() / "examples/test-root.pem").string()); }

struct Cmd {
  int code;
  nlohmann::json json;
  std::string out, err;
};

Cmd detect(const std::string& args) {
  auto r = vt_test::run(cli() + " detect --no-repo " + args);
  Cmd c{r.exit_code, nullptr, r.out, r.err};
  try {
    c.json = nlohmann::json::parse(r.out);
  } catch (const std::exception&) {
  }
  return c;
}

void write_png(const fs::path& p, int w, int h, uint32_t seed) {
  vt_test::write_file(p, veritrace::media::encode_png(vt_test::photo_like(w, h, seed)));
}

}  // namespace

TEST(CliDetect, AiLabelledExampleIsSyntheticAndExitsOne) {
  const Cmd c = detect(example() + " --trust " + root() + " --json");
  EXPECT_EQ(c.code, 1) << c.err;
  ASSERT_TRUE(c.json.is_object()) << c.out;
  EXPECT_EQ(c.json["schema_version"], "veritrace.detect/1");
  EXPECT_EQ(c.json["verdict"], "synthetic");
  EXPECT_EQ(c.json["media_type"], "image");
  EXPECT_GE(c.json["score"].get<double>(), 0.99);
  EXPECT_EQ(c.json["provenance"]["c2pa"]["state"], "Trusted");
  EXPECT_TRUE(c.json["detectors"].is_array());
  for (const auto& d : c.json["detectors"]) {
    EXPECT_TRUE(d.contains("name") && d.contains("version") && d.contains("status") && d.contains("score") &&
                d.contains("probability") && d.contains("evidence"));
  }
  // The text form says it in words.
  const Cmd t = detect(example() + " --trust " + root());
  EXPECT_EQ(t.code, 1);
  EXPECT_NE(t.out.find("AI-generated"), std::string::npos) << t.out;
}

TEST(CliDetect, BatchGoesOnPastBadFilesInArgumentOrder) {
  vt_test::TempDir dir;
  const fs::path good = dir.path() / "good.png", empty = dir.path() / "empty.jpg", cut = dir.path() / "cut.jpg",
                 text = dir.path() / "notes.txt", folder = dir.path() / "nothing";
  write_png(good, 96, 80, 1);
  vt_test::write_file(empty, {});
  auto jpg = veritrace::media::encode_jpeg(vt_test::photo_like(200, 160, 2), 90);
  jpg.resize(jpg.size() / 2);
  vt_test::write_file(cut, jpg);
  vt_test::write_file(text, {'h', 'i'});
  fs::create_directory(folder);
  const Cmd c = detect(shell_quote(good.string()) + " " + shell_quote(empty.string()) + " " + shell_quote(cut.string()) +
                       " " + shell_quote(text.string()) + " " + shell_quote(folder.string()) + " " +
                       shell_quote((dir.path() / "missing.png").string()) + " --json");
  EXPECT_EQ(c.code, 3) << c.err;
  ASSERT_TRUE(c.json.is_array()) << c.out;
  ASSERT_EQ(c.json.size(), 6u);
  EXPECT_EQ(c.json[0]["path"], good.string());
  EXPECT_FALSE(c.json[0].contains("error"));
  for (size_t i = 1; i < 6; ++i) {
    EXPECT_TRUE(c.json[i]["error"].is_object()) << c.json[i].dump();
    EXPECT_FALSE(c.json[i]["error"]["message"].get<std::string>().empty());
  }
  EXPECT_NE(c.err.find("empty"), std::string::npos) << c.err;
}

TEST(CliDetect, FoldersAreWalkedSortedAndLinkLoopsAreNotFollowed) {
  vt_test::TempDir dir;
  fs::create_directories(dir.path() / "b" / "inner");
  write_png(dir.path() / "b" / "inner" / "z.png", 64, 64, 3);
  write_png(dir.path() / "a.png", 64, 64, 4);
  write_png(dir.path() / "b" / "c.png", 64, 64, 5);
  fs::create_directory_symlink(dir.path(), dir.path() / "b" / "loop");
  vt_test::write_file(dir.path() / "README.md", {'x'});
  const Cmd c = detect(shell_quote(dir.path().string()) + " --jsonl --threads 1 --detectors c2pa,metadata");
  EXPECT_EQ(c.code, 0) << c.err;
  std::vector<std::string> paths;
  size_t start = 0;
  while (start < c.out.size()) {
    const size_t nl = c.out.find('\n', start);
    paths.push_back(nlohmann::json::parse(c.out.substr(start, nl - start))["path"]);
    start = nl + 1;
  }
  ASSERT_EQ(paths.size(), 3u) << c.out;
  EXPECT_EQ(fs::path(paths[0]).filename(), "a.png");
  EXPECT_EQ(fs::path(paths[1]).filename(), "c.png");
  EXPECT_EQ(fs::path(paths[2]).filename(), "z.png");
}

TEST(CliDetect, StandardInputIsRead) {
  auto r = vt_test::run("cat " + example() + " | " + cli() + " detect --no-repo --detectors c2pa --json -");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["path"], "-");
  EXPECT_EQ(j["verdict"], "synthetic");
}

TEST(CliDetect, UsageErrors) {
  EXPECT_EQ(detect(example() + " --detectors nope").code, 2);
  EXPECT_EQ(detect(example() + " --threshold 1.5").code, 2);
  EXPECT_EQ(detect(example() + " --json --jsonl").code, 2);
  EXPECT_EQ(detect("").code, 2);
  const Cmd list = detect("--list-detectors");
  EXPECT_EQ(list.code, 0);
  for (const char* name : {"c2pa", "watermarks", "metadata", "frequency", "jpeg_ghost", "noise", "copy_move"})
    EXPECT_NE(list.out.find(name), std::string::npos) << name;
}

TEST(CliDetect, HtmlReportIsWrittenWholeOrNotAtAll) {
  vt_test::TempDir dir;
  const fs::path html = dir.path() / "report.html";
  const Cmd c = detect(example() + " --trust " + root() + " --html " + shell_quote(html.string()));
  EXPECT_EQ(c.code, 1) << c.err;
  ASSERT_TRUE(fs::exists(html));
  const auto bytes = vt_test::read_file(html);
  const std::string page(bytes.begin(), bytes.end());
  EXPECT_NE(page.find("<html"), std::string::npos);
  EXPECT_NE(page.find("data:image/jpeg;base64,"), std::string::npos);
}

TEST(CliDetect, OutputToAFileInsteadOfAFolderFailsCleanly) {
  vt_test::TempDir dir;
  const fs::path file = dir.path() / "plain";
  vt_test::write_file(file, {'x'});
  const Cmd c = detect(example() + " --heatmaps " + shell_quote(file.string()));
  EXPECT_EQ(c.code, 6) << c.err;
  const Cmd h = detect(example() + " --html " + shell_quote((file / "r.html").string()));
  EXPECT_EQ(h.code, 6) << h.err;
}

TEST(CliDetect, HeatmapsAreGreyPngsOfTheInputSizeWithUniqueNames) {
  vt_test::TempDir dir;
  const fs::path maps = dir.path() / "maps";
  // Two inputs with the same base name in different folders, both with a copied block.
  for (const char* sub : {"a", "b"}) {
    fs::create_directories(dir.path() / sub);
    auto img = vt_test::photo_like(320, 240, 7);
    for (int y = 0; y < 64; ++y)
      for (int x = 0; x < 64 * 3; ++x) img.row(150 + y)[220 * 3 + x] = img.row(30 + y)[40 * 3 + x];
    vt_test::write_file(dir.path() / sub / "same.png", veritrace::media::encode_png(img));
  }
  const Cmd c = detect(shell_quote((dir.path() / "a" / "same.png").string()) + " " +
                       shell_quote((dir.path() / "b" / "same.png").string()) + " --json --detectors copy_move,noise --heatmaps " +
                       shell_quote(maps.string()));
  ASSERT_TRUE(c.json.is_array()) << c.out << c.err;
  std::set<std::string> names;
  for (const auto& r : c.json) {
    ASSERT_TRUE(r.contains("heatmap")) << r.dump();
    const std::string path = r["heatmap"];
    names.insert(path);
    const auto map = veritrace::media::decode_image_file(path);
    EXPECT_EQ(map.width, 320);
    EXPECT_EQ(map.height, 240);
    EXPECT_EQ(map.channels, 1);
    EXPECT_EQ(fs::path(path).parent_path(), maps);
  }
  EXPECT_EQ(names.size(), 2u);
}

// Sound in a batch: speech is scored, a file without speech is not applicable (exit 0 for it), a
// broken or empty audio file is an error for that file only (exit 3 for the run), the rest goes on.
TEST(CliDetect, AudioBatchGoesOnPastBadSoundFiles) {
  vt_test::TempDir dir;
  const fs::path speech = dir.path() / "a_speech.wav", silence = dir.path() / "b_silence.wav",
                 empty = dir.path() / "c_empty.mp3", junk = dir.path() / "d_junk.flac";
  vt_test::sound::write_wav16(speech, vt_test::sound::speech_like(5.0, 11));
  vt_test::sound::write_wav16(silence, std::vector<float>(16000 * 3, 0.0f));
  vt_test::write_file(empty, {});
  vt_test::write_file(junk, {'f', 'L', 'a', 'C', 0, 0, 0, 34, 1, 2, 3});
  const Cmd c = detect(shell_quote(dir.path().string()) + " --json");
  EXPECT_EQ(c.code, 3) << c.err;
  ASSERT_TRUE(c.json.is_array()) << c.out;
  ASSERT_EQ(c.json.size(), 4u);
  EXPECT_EQ(c.json[0]["media_type"], "audio");
  EXPECT_TRUE(c.json[0]["score"].is_number());
  EXPECT_GE(c.json[0]["audio"]["speech_segments"].get<int>(), 1);
  EXPECT_EQ(c.json[1]["verdict"], "not_applicable");
  EXPECT_TRUE(c.json[1]["score"].is_null());
  for (size_t i = 2; i < 4; ++i) {
    EXPECT_TRUE(c.json[i]["error"].is_object()) << c.json[i].dump();
    EXPECT_FALSE(c.json[i]["error"]["message"].get<std::string>().empty());
  }
}
