// `veritrace watermark embed / detect`: round trips, formats, metadata, batches and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "support/test_images.hpp"
#include "support/test_support.hpp"
#include "veritrace/media.hpp"

namespace fs = std::filesystem;
using namespace veritrace;
using vt_test::shell_quote;

namespace {

std::string cli() { return shell_quote(vt_test::cli_path().string()); }


struct Cmd {
  int code;
  nlohmann::json json;
  std::string err;
};

Cmd run_json(const std::string& args) {
  auto r = vt_test::run(cli() + " watermark " + args);
  Cmd c{r.exit_code, nullptr, r.err};
  try {
    c.json = nlohmann::json::parse(r.out);
  } catch (const std::exception&) {
  }
  return c;
}

}  // namespace

TEST(CliWatermark, EmbedThenDetectRecoversThePayloadInEachFormat) {
  vt_test::TempDir tmp;
  const fs::path in = tmp.path() / "in.png";
  vt_test::write_file(in, media::encode_png(vt_test::photo_like(640, 480, 1)));
  for (const std::string ext : {"png", "jpg", "webp"}) {
    const fs::path out = tmp.path() / ("out." + ext);
    auto e = run_json("embed " + shell_quote(in.string()) + " -o " + shell_quote(out.string()) +
                      " --payload 0xC0FFEE00DEADBEEF --json");
    ASSERT_EQ(e.code, 0) << e.err;
    EXPECT_EQ(e.json.value("payload", ""), "c0ffee00deadbeef");
    EXPECT_EQ(e.json.value("format", ""), ext == "jpg" ? "jpeg" : ext);
    EXPECT_EQ(media::decode_image_file(out.string()).source_format, ext == "jpg" ? "jpeg" : ext);
    auto d = run_json("detect --json " + shell_quote(out.string()));
    ASSERT_EQ(d.code, 0) << d.err;
    EXPECT_EQ(d.json.value("schema_version", ""), "veritrace.watermark/1");
    EXPECT_TRUE(d.json.value("found", false)) << ext << ": " << d.json.dump(1);
    EXPECT_EQ(d.json.value("payload", ""), "c0ffee00deadbeef") << ext;
    EXPECT_LT(d.json.value("p_value", 1.0), 1e-6);
    EXPECT_EQ(d.json["known_marks"].size(), 4u);
  }
  // The unmarked original: not found, payload null, exit 0.
  auto d = run_json("detect --json --no-known " + shell_quote(in.string()));
  EXPECT_EQ(d.code, 0);
  EXPECT_FALSE(d.json.value("found", true));
  EXPECT_TRUE(d.json["payload"].is_null());
  EXPECT_TRUE(d.json["known_marks"].empty());
}

TEST(CliWatermark, KnownCropsFindsACroppedGeneratorMark) {
  VT_REQUIRE_SHARED(shared);
  const auto file = shared / "data/watermark/known_dev/sdxl_03_512_crop_0.8.png";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << file << " is absent";
  auto flagged = [](const nlohmann::json& j, const std::string& name) {
    for (const auto& k : j["known_marks"])
      if (k.value("name", "") == name) return k.value("detected", false);
    return false;
  };
  EXPECT_FALSE(flagged(run_json("detect --json " + shell_quote(file.string())).json, "sdxl"));
  const auto d = run_json("detect --json --known-crops " + shell_quote(file.string()));
  EXPECT_TRUE(flagged(d.json, "sdxl"));
  EXPECT_FALSE(flagged(d.json, "sd1"));
}

TEST(CliWatermark, JpegMetadataIsCarriedOver) {
  vt_test::TempDir tmp;
  auto jpg = media::encode_jpeg(vt_test::photo_like(512, 384, 2), 92);
  // APP1 Exif with orientation 1 and a COM segment, after SOI.
  const uint8_t exif[] = {0xFF, 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1,
                          0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0};
  const uint8_t com[] = {0xFF, 0xFE, 0x00, 0x07, 'h', 'e', 'l', 'l', 'o'};
  jpg.insert(jpg.begin() + 2, std::begin(com), std::end(com));
  jpg.insert(jpg.begin() + 2, std::begin(exif), std::end(exif));
  const fs::path in = tmp.path() / "in.jpg";
  const fs::path out = tmp.path() / "out.jpg";
  vt_test::write_file(in, jpg);
  auto e = run_json("embed " + shell_quote(in.string()) + " -o " + shell_quote(out.string()) + " --payload 1 --json");
  ASSERT_EQ(e.code, 0) << e.err;
  const auto bytes = vt_test::read_file(out);
  const std::string text(bytes.begin(), bytes.end());
  EXPECT_NE(text.find(std::string("Exif\0\0MM", 8)), std::string::npos);
  EXPECT_NE(text.find("hello"), std::string::npos);
  EXPECT_EQ(run_json("detect --json --no-known " + shell_quote(out.string())).json.value("payload", ""), "0000000000000001");
}

TEST(CliWatermark, BadInputGetsDistinctExitCodesAndTheBatchGoesOn) {
  vt_test::TempDir tmp;
  const fs::path good = tmp.path() / "good.png";
  vt_test::write_file(good, media::encode_png(vt_test::photo_like(512, 384, 3)));
  const fs::path tiny = tmp.path() / "tiny.png";
  vt_test::write_file(tiny, media::encode_png(vt_test::photo_like(100, 80, 4)));
  const fs::path text = tmp.path() / "notes.txt";
  vt_test::write_file(text, std::vector<uint8_t>{'h', 'i', '\n'});
  const fs::path cut = tmp.path() / "cut.jpg";
  auto jpg = media::encode_jpeg(vt_test::photo_like(400, 300, 5), 90);
  jpg.resize(jpg.size() / 2);
  vt_test::write_file(cut, jpg);

  // Embed: usage errors (2), bad input (3), unwritable output (6); nothing left behind.
  const std::string out = shell_quote((tmp.path() / "o.png").string());
  EXPECT_EQ(run_json("embed " + shell_quote(good.string()) + " -o " + out + " --payload xyz").code, 2);
  EXPECT_EQ(run_json("embed " + shell_quote(good.string()) + " -o " + out + " --payload 12345678901234567").code, 2);
  EXPECT_EQ(run_json("embed " + shell_quote(good.string()) + " -o " + out + " --payload 1 --strength 0").code, 2);
  EXPECT_EQ(run_json("embed " + shell_quote(good.string()) + " -o " + shell_quote(good.string()) + " --payload 1").code, 2);
  EXPECT_EQ(run_json("embed " + shell_quote(tiny.string()) + " -o " + out + " --payload 1").code, 3);
  EXPECT_EQ(run_json("embed " + shell_quote(text.string()) + " -o " + out + " --payload 1").code, 3);
  EXPECT_EQ(run_json("embed " + shell_quote(cut.string()) + " -o " + out + " --payload 1").code, 3);
  EXPECT_EQ(run_json("embed " + shell_quote((tmp.path() / "missing.png").string()) + " -o " + out + " --payload 1").code, 3);
  EXPECT_EQ(run_json("embed " + shell_quote(good.string()) + " -o " +
                     shell_quote((tmp.path() / "no-such-dir" / "o.png").string()) + " --payload 1")
                .code,
            6);
  EXPECT_FALSE(fs::exists(tmp.path() / "o.png"));
  // --in-place replaces the file atomically.
  EXPECT_EQ(run_json("embed " + shell_quote(good.string()) + " -o " + shell_quote(good.string()) + " --payload 2 --in-place").code, 0);
  EXPECT_EQ(run_json("detect --json --no-known " + shell_quote(good.string())).json.value("payload", ""), "0000000000000002");

  // Detect: every file gets its entry, in order; the exit code is the worst.
  auto d = run_json("detect --json --no-known " + shell_quote(good.string()) + " " + shell_quote(text.string()) + " " +
                    shell_quote(cut.string()) + " " + shell_quote(tiny.string()));
  EXPECT_EQ(d.code, 3);
  ASSERT_TRUE(d.json.is_array());
  ASSERT_EQ(d.json.size(), 4u);
  EXPECT_TRUE(d.json[0].value("found", false));
  EXPECT_TRUE(d.json[1].contains("error"));
  EXPECT_TRUE(d.json[2].contains("error"));
  EXPECT_TRUE(d.json[3].contains("error")) << "below the minimum size: a clear error";
}
