// `veritrace detect --model` and `veritrace eval --model`: a user's ONNX detector in the report,
// and bad model files ending the command with exit 2 and a clear message.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "support/test_images.hpp"
#include "support/test_support.hpp"
#include "support/tiny_onnx.hpp"
#include "veritrace/media.hpp"

namespace fs = std::filesystem;
using vt_test::shell_quote;

namespace {

const char* kSidecar = R"({"name": "mine", "description": "My detector",
  "input": {"width": 32, "height": 32, "fit": "crops"}, "output": {"kind": "logit", "index": 0}})";

std::string cli() { return shell_quote(vt_test::cli_path().string()); }

struct Fixture {
  vt_test::TempDir dir;
  fs::path image, onnx;
  Fixture() {
    image = dir.path() / "picture.png";
    vt_test::write_file(image, veritrace::media::encode_png(vt_test::photo_like(80, 64, 3)));
    onnx = dir.path() / "mine.onnx";
    vt_test::write_file(onnx, vt_test::onnx::channel_mean_model(1, 1, 1, 0, 32, 32));
    std::ofstream(dir.path() / "mine.json") << kSidecar;
  }
};

}  // namespace

TEST(CliDetectModel, UserModelAppearsInTheJsonReport) {
  Fixture f;
  const auto r = vt_test::run(cli() + " detect --no-repo --json --detectors noise --model " + shell_quote(f.onnx.string()) + " " +
                              shell_quote(f.image.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  bool found = false;
  for (const auto& d : j.at("detectors"))
    if (d.at("name") == "mine") {
      found = true;
      EXPECT_EQ(d.at("status"), "applied");
      EXPECT_TRUE(d.at("score").is_number());
      EXPECT_TRUE(d.at("probability").is_null());  // uncalibrated: reported, not fused
      EXPECT_EQ(d.at("evidence").at("numbers").at("crops"), 6);  // 80 x 64 in 32 x 32 crops: 3 x 2
    }
  EXPECT_TRUE(found) << r.out;
}

TEST(CliDetectModel, BadModelFilesExitTwoWithAMessage) {
  Fixture f;
  const std::string img = shell_quote(f.image.string());
  {  // missing sidecar
    const auto lone = f.dir.path() / "lone.onnx";
    fs::copy_file(f.onnx, lone);
    const auto r = vt_test::run(cli() + " detect --no-repo --model " + shell_quote(lone.string()) + " " + img);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("no sidecar"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  {  // corrupt network
    const auto bad = f.dir.path() / "bad.onnx";
    vt_test::write_file(bad, {0x08, 0x07, 0x12, 0xff, 0xff, 0x01});
    fs::copy_file(f.dir.path() / "mine.json", f.dir.path() / "bad.json");
    const auto r = vt_test::run(cli() + " eval --model " + shell_quote(bad.string()) + " /nonexistent/labels.tsv");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("ONNX"), std::string::npos) << r.err;
  }
  {  // a sidecar that is not JSON
    const auto odd = f.dir.path() / "odd.onnx";
    fs::copy_file(f.onnx, odd);
    std::ofstream(f.dir.path() / "odd.json") << "name = odd";
    const auto r = vt_test::run(cli() + " detect --no-repo --model " + shell_quote(odd.string()) + " " + img);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("not valid JSON"), std::string::npos) << r.err;
  }
}
