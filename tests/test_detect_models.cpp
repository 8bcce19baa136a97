// Learned detectors: the sidecar contract, crop geometry and normalisation, ONNX inference through
// OpenCV dnn on tiny models made here, bad models, the engine's --model path, and the parity of
// every shipped model (models/<name>.parity.json, written by torch at export).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "detect/learned/model_spec.hpp"
#include "detect/learned/onnx_detector.hpp"
#include "support/test_images.hpp"
#include "support/test_support.hpp"
#include "support/tiny_onnx.hpp"
#include "veritrace/detect.hpp"

namespace fs = std::filesystem;
namespace det = veritrace::detect;
namespace lrn = veritrace::detect::learned;

namespace {

const char* kSidecar = R"({"name": "tiny", "version": "3", "task": "synthetic", "description": "Test model",
  "input": {"width": 32, "height": 24, "colour": "rgb", "scale": 0.00392156862745098,
            "mean": [0.5, 0.4, 0.3], "std": [0.25, 0.5, 2.0], "fit": "crops", "max_crops": 9},
  "output": {"kind": "logit", "index": 0}, "aggregate": "mean"})";

std::string usage_message(const std::function<void()>& f) {
  try {
    f();
  } catch (const veritrace::Error& e) {
    EXPECT_EQ(e.kind(), veritrace::ErrorKind::Usage) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error thrown";
  return {};
}

// The model files of a test: tiny.onnx + tiny.json in a temporary folder.
struct ModelFiles {
  vt_test::TempDir dir;
  fs::path onnx;
  ModelFiles(const std::vector<uint8_t>& net, const std::string& sidecar, const std::string& stem = "tiny") {
    onnx = dir.path() / (stem + ".onnx");
    vt_test::write_file(onnx, net);
    std::ofstream(dir.path() / (stem + ".json")) << sidecar;
  }
};

veritrace::media::Image pattern_image(int w, int h) {  // the contract's parity image
  veritrace::media::Image img;
  img.width = w;
  img.height = h;
  img.channels = 3;
  img.pixels.resize(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c)
        img.pixels[(static_cast<size_t>(y) * w + x) * 3 + c] = static_cast<uint8_t>((7 * x + 13 * y + 50 * c + (x * y) % 17) % 256);
  return img;
}

det::DetectorResult run_on(const det::Detector& d, const veritrace::media::Image& img) {
  det::Sample s;
  s.image = &img;
  s.format = veritrace::media::ImageFormat::Png;
  return d.run(s);
}

}  // namespace

TEST(ModelSpec, ParsesTheSidecarContract) {
  const auto s = lrn::parse_model_spec(kSidecar, "tiny.json");
  EXPECT_EQ(s.name, "tiny");
  EXPECT_EQ(s.version, "3");
  EXPECT_FALSE(s.points_to_manipulated);
  EXPECT_EQ(s.width, 32);
  EXPECT_EQ(s.height, 24);
  EXPECT_FALSE(s.bgr);
  EXPECT_DOUBLE_EQ(s.std[2], 2.0);
  EXPECT_EQ(s.fit, lrn::Fit::Crops);
  EXPECT_FALSE(s.aggregate_max);
  EXPECT_FALSE(s.calibration);
  // Defaults: rgb, 1/255, mean 0, std 1, crops, 9, logit, index 0, mean.
  const auto d = lrn::parse_model_spec(R"({"name": "m", "input": {"width": 8, "height": 8}})", "m.json");
  EXPECT_DOUBLE_EQ(d.scale, 1.0 / 255.0);
  EXPECT_EQ(d.max_crops, 9);
  EXPECT_EQ(d.output_index, 0);
}

TEST(ModelSpec, EveryBadFieldIsAUsageErrorNamingIt) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "not valid JSON"},
      {"[1, 2]", "must be a JSON object"},
      {R"({"input": {"width": 8, "height": 8}})", "missing \"name\""},
      {R"({"name": "Bad Name", "input": {"width": 8, "height": 8}})", "\"name\""},
      {R"({"name": "m"})", "missing \"input\""},
      {R"({"name": "m", "input": {"width": 0, "height": 8}})", "\"width\""},
      {R"({"name": "m", "input": {"width": 8.5, "height": 8}})", "\"width\""},
      {R"({"name": "m", "input": {"width": 8, "height": 99999}})", "\"height\""},
      {R"({"name": "m", "input": {"width": 8, "height": 8, "std": [1, 0, 1]}})", "\"input.std\""},
      {R"({"name": "m", "input": {"width": 8, "height": 8, "mean": [1, 2]}})", "\"mean\""},
      {R"({"name": "m", "input": {"width": 8, "height": 8, "colour": "yuv"}})", "\"input.colour\""},
      {R"({"name": "m", "input": {"width": 8, "height": 8, "fit": "stretch"}})", "\"input.fit\""},
      {R"({"name": "m", "task": "real", "input": {"width": 8, "height": 8}})", "\"task\""},
      {R"({"name": "m", "input": {"width": 8, "height": 8}, "aggregate": "median"})", "\"aggregate\""},
      {R"({"name": "m", "input": {"width": 8, "height": 8}, "output": {"kind": "odds"}})", "\"output.kind\""},
      {R"({"name": "m", "input": {"width": 8, "height": 8}, "fusion_weight": 1})", "needs a \"calibration\""},
      {R"({"name": "m", "input": {"width": 8, "height": 8, "scale": -1}})", "\"input.scale\""},
  };
  for (const auto& [text, expected] : cases) {
    const std::string msg = usage_message([&] { lrn::parse_model_spec(text, "m.json"); });
    EXPECT_NE(msg.find(expected), std::string::npos) << text << " -> " << msg;
    EXPECT_NE(msg.find("m.json"), std::string::npos) << msg;
  }
}

TEST(ModelSpec, CropGridFollowsTheContract) {
  auto spec = lrn::parse_model_spec(R"({"name": "m", "input": {"width": 224, "height": 224}})", "m.json");
  auto rects = lrn::crop_grid(300, 260, spec);  // 2 x 2 crops at the corners
  ASSERT_EQ(rects.size(), 4u);
  EXPECT_EQ(rects[0], cv::Rect(0, 0, 224, 224));
  EXPECT_EQ(rects[1], cv::Rect(76, 0, 224, 224));
  EXPECT_EQ(rects[2], cv::Rect(0, 36, 224, 224));
  EXPECT_EQ(rects[3], cv::Rect(76, 36, 224, 224));
  rects = lrn::crop_grid(230, 224, spec);  // one column (ceil(230/224) = 2 -> 2 crops), one row
  ASSERT_EQ(rects.size(), 2u);
  EXPECT_EQ(rects[1], cv::Rect(6, 0, 224, 224));
  rects = lrn::crop_grid(224, 224, spec);
  ASSERT_EQ(rects.size(), 1u);
  EXPECT_EQ(rects[0], cv::Rect(0, 0, 224, 224));
  rects = lrn::crop_grid(2000, 1000, spec);  // at most 3 x 3, spread over the whole image
  ASSERT_EQ(rects.size(), 9u);
  EXPECT_EQ(rects[8], cv::Rect(1776, 776, 224, 224));
  EXPECT_TRUE(lrn::crop_grid(223, 500, spec).empty());  // never up-sampled
  spec.max_crops = 2;
  EXPECT_EQ(lrn::crop_grid(2000, 1000, spec).size(), 2u);
  spec.fit = lrn::Fit::Resize;
  rects = lrn::crop_grid(100, 50, spec);
  ASSERT_EQ(rects.size(), 1u);
  EXPECT_EQ(rects[0], cv::Rect(0, 0, 100, 50));
}

TEST(ModelSpec, BlobIsNchwNormalisedInTheDeclaredChannelOrder) {
  auto spec = lrn::parse_model_spec(kSidecar, "tiny.json");
  const auto img = pattern_image(40, 30);
  const cv::Rect r(3, 2, 32, 24);
  for (bool bgr : {false, true}) {
    spec.bgr = bgr;
    const cv::Mat blob = lrn::make_blob(img.pixels.data(), img.width, img.height, static_cast<size_t>(img.width) * 3, r, spec);
    ASSERT_EQ(blob.size[0], 1);
    ASSERT_EQ(blob.size[1], 3);
    ASSERT_EQ(blob.size[2], 24);
    ASSERT_EQ(blob.size[3], 32);
    for (int c = 0; c < 3; ++c) {
      const int src = bgr ? 2 - c : c;
      const int x = 5, y = 7;
      const double pixel = img.pixels[(static_cast<size_t>(r.y + y) * img.width + r.x + x) * 3 + src];
      const double want = (pixel / 255.0 - spec.mean[c]) / spec.std[c];
      EXPECT_NEAR(blob.ptr<float>()[(c * 24 + y) * 32 + x], want, 1e-5) << "bgr " << bgr << " c " << c;
    }
  }
}

TEST(OnnxDetector, TinyModelScoreIsTheContractsArithmetic) {
  const float w[3] = {0.5f, -1.0f, 2.0f};
  const float b = 0.25f;
  ModelFiles files(vt_test::onnx::channel_mean_model(w[0], w[1], w[2], b, 24, 32), kSidecar);
  lrn::ModelSpec spec;
  auto d = lrn::load_model_file(files.onnx.string(), &spec);
  EXPECT_EQ(d->name(), "tiny");
  EXPECT_EQ(d->version(), "3");
  const auto img = pattern_image(70, 50);  // 3 x 3 crops of 32 x 24
  const auto r = run_on(*d, img);
  ASSERT_EQ(r.status, det::Status::Applied) << r.reason;
  ASSERT_TRUE(r.score);
  // Independently: the mean over crops of w . mean_c((p / 255 - mean_c) / std_c) + b.
  const auto rects = lrn::crop_grid(img.width, img.height, spec);
  ASSERT_EQ(rects.size(), 9u);
  double expected = 0;
  for (const auto& rc : rects) {
    double s = b;
    for (int c = 0; c < 3; ++c) {
      double sum = 0;
      for (int y = rc.y; y < rc.y + rc.height; ++y)
        for (int x = rc.x; x < rc.x + rc.width; ++x) sum += img.pixels[(static_cast<size_t>(y) * img.width + x) * 3 + c];
      const double mean_pixel = sum / (rc.width * rc.height);
      s += w[c] * ((mean_pixel / 255.0 - spec.mean[c]) / spec.std[c]);
    }
    expected += s / static_cast<double>(rects.size());
  }
  EXPECT_NEAR(*r.score, expected, 1e-4);
  EXPECT_EQ(r.points_to, det::Finding::Synthetic);
  EXPECT_NE(r.evidence.summary.find("Test model"), std::string::npos);
  // Too small for one crop: not applicable, never up-sampled.
  const auto small = pattern_image(31, 40);
  const auto na = run_on(*d, small);
  EXPECT_EQ(na.status, det::Status::NotApplicable);
  EXPECT_NE(na.reason.find("smaller"), std::string::npos);
}

TEST(OnnxDetector, MaxAggregateAndManipulationTask) {
  std::string side = kSidecar;
  side.replace(side.find("\"mean\"}"), 7, "\"max\"}");
  side.replace(side.find("\"synthetic\""), 11, "\"manipulated\"");
  ModelFiles files(vt_test::onnx::channel_mean_model(1, 0, 0, 0, 24, 32), side);
  auto d = lrn::load_model_file(files.onnx.string());
  const auto img = pattern_image(70, 50);
  const auto r = run_on(*d, img);
  ASSERT_TRUE(r.score);
  EXPECT_EQ(r.points_to, det::Finding::Manipulated);
  const auto crops = r.evidence.details.at("crop_scores").get<std::vector<double>>();
  ASSERT_EQ(crops.size(), 9u);
  EXPECT_NEAR(*r.score, *std::max_element(crops.begin(), crops.end()), 1e-12);
}

TEST(OnnxDetector, BadModelsAreUsageErrorsWithAClearMessage) {
  const auto good = vt_test::onnx::channel_mean_model(1, 1, 1, 0, 24, 32);
  {  // no sidecar
    vt_test::TempDir dir;
    vt_test::write_file(dir.path() / "m.onnx", good);
    const auto msg = usage_message([&] { lrn::load_model_file((dir.path() / "m.onnx").string()); });
    EXPECT_NE(msg.find("no sidecar"), std::string::npos) << msg;
  }
  {  // missing model file
    const auto msg = usage_message([&] { lrn::load_model_file("/nonexistent/m.onnx"); });
    EXPECT_NE(msg.find("m.onnx"), std::string::npos) << msg;
  }
  {  // truncated network
    ModelFiles files(std::vector<uint8_t>(good.begin(), good.begin() + static_cast<long>(good.size() / 2)), kSidecar);
    const auto msg = usage_message([&] { lrn::load_model_file(files.onnx.string()); });
    EXPECT_NE(msg.find("ONNX"), std::string::npos) << msg;
  }
  {  // not ONNX at all
    const std::string text = "this is a text file, not a network\n";
    ModelFiles files(std::vector<uint8_t>(text.begin(), text.end()), kSidecar);
    const auto msg = usage_message([&] { lrn::load_model_file(files.onnx.string()); });
    EXPECT_NE(msg.find("ONNX"), std::string::npos) << msg;
  }
  {  // empty file
    ModelFiles files({}, kSidecar);
    const auto msg = usage_message([&] { lrn::load_model_file(files.onnx.string()); });
    EXPECT_NE(msg.find("empty"), std::string::npos) << msg;
  }
  {  // the network wants 8 x 8; the sidecar says 32 x 24
    ModelFiles files(vt_test::onnx::fixed_size_model(8), kSidecar);
    const auto msg = usage_message([&] { lrn::load_model_file(files.onnx.string()); });
    EXPECT_NE(msg.find("1x3x24x32"), std::string::npos) << msg;
  }
  {  // the sidecar reads an output element that does not exist
    std::string side = kSidecar;
    side.replace(side.find("\"index\": 0"), 10, "\"index\": 5");
    ModelFiles files(good, side);
    const auto msg = usage_message([&] { lrn::load_model_file(files.onnx.string()); });
    EXPECT_NE(msg.find("element 5"), std::string::npos) << msg;
  }
  {  // a bad sidecar
    ModelFiles files(good, "{\"name\": \"tiny\"}");
    const auto msg = usage_message([&] { lrn::load_model_file(files.onnx.string()); });
    EXPECT_NE(msg.find("\"input\""), std::string::npos) << msg;
  }
}

TEST(OnnxDetector, EngineRunsUserModelsReportedButNotFusedUnlessCalibrated) {
  vt_test::TempDir dir;
  const auto img = vt_test::photo_like(96, 80, 7);
  const auto png = veritrace::media::encode_png(img);
  auto analyze = [&](const std::string& sidecar) {
    ModelFiles files(vt_test::onnx::channel_mean_model(1, 1, 1, 3.0f, 24, 32), sidecar);
    det::EngineOptions o;
    o.detectors = {"noise"};
    o.model_files = {files.onnx.string()};
    o.use_repository = false;
    det::Engine engine(o);
    return engine.analyze_bytes(png, "x.png");
  };
  const auto plain = analyze(kSidecar);
  const det::DetectorResult* tiny = nullptr;
  for (const auto& d : plain.detectors)
    if (d.name == "tiny") tiny = &d;
  ASSERT_NE(tiny, nullptr);
  ASSERT_EQ(tiny->status, det::Status::Applied);
  EXPECT_FALSE(tiny->probability);  // uncalibrated: reported only
  det::EngineOptions noise_only;
  noise_only.detectors = {"noise"};
  noise_only.use_repository = false;
  const auto baseline = det::Engine(noise_only).analyze_bytes(png, "x.png");
  ASSERT_TRUE(plain.score && baseline.score);
  EXPECT_DOUBLE_EQ(*plain.score, *baseline.score);
  // With a calibration and a fusion weight the model votes: a strongly positive logit raises the score.
  std::string side = kSidecar;
  side.insert(side.rfind('}'), R"(, "calibration": {"a": 1.0, "b": 0.0}, "fusion_weight": 2.0)");
  const auto fused = analyze(side);
  for (const auto& d : fused.detectors)
    if (d.name == "tiny") {
      ASSERT_TRUE(d.probability);
      EXPECT_NEAR(*d.probability, 1 / (1 + std::exp(-*d.score)), 1e-12);
    }
  ASSERT_TRUE(fused.score);
  EXPECT_GT(*fused.score, *baseline.score);
  // A user model may not take a built-in detector's name.
  std::string clash = kSidecar;
  clash.replace(clash.find("\"tiny\""), 6, "\"noise\"");
  const auto msg = usage_message([&] { analyze(clash); });
  EXPECT_NE(msg.find("already exists"), std::string::npos) << msg;
}

// Every shipped model (models/<name>.onnx, compiled in) agrees with the outputs torch stored at
// export, on a fixed tensor and on the contract's fixed image through our preprocessing.
TEST(OnnxDetector, ShippedModelsMatchTheirExportParity) {
  const auto& models = lrn::builtin_models();
  size_t onnx_files = 0;
  for (const auto& e : fs::directory_iterator(vt_test::source_dir() / "models"))
    onnx_files += e.path().extension() == ".onnx";
  ASSERT_EQ(models.size(), onnx_files) << "every models/*.onnx is compiled in";
  for (const auto& m : models) {
    SCOPED_TRACE(m.name);
    const auto parity_path = vt_test::source_dir() / "models" / (m.name + ".parity.json");
    ASSERT_TRUE(fs::exists(parity_path)) << parity_path;
    const auto parity = nlohmann::json::parse(std::ifstream(parity_path));
    const auto spec = lrn::parse_model_spec(m.sidecar, m.name);
    // Tensor test: T[0][c][y][x] = sin(0.01 (c + 1)(x + 1) + 0.02 (y + 1)) straight into the network.
    const auto& tt = parity.at("tensor_test");
    const auto shape = tt.at("shape").get<std::vector<int>>();
    ASSERT_EQ(shape.size(), 4u);
    cv::Mat input(4, shape.data(), CV_32F);
    float* p = input.ptr<float>();
    for (int c = 0; c < shape[1]; ++c)
      for (int y = 0; y < shape[2]; ++y)
        for (int x = 0; x < shape[3]; ++x)
          *p++ = static_cast<float>(std::sin(0.01 * (c + 1) * (x + 1) + 0.02 * (y + 1)));
    cv::dnn::Net net = cv::dnn::readNetFromONNX(reinterpret_cast<const char*>(m.onnx_begin), static_cast<size_t>(m.onnx_end - m.onnx_begin));
    net.setInput(input);
    const cv::Mat out = net.forward();
    const auto want = tt.at("output").get<std::vector<double>>();
    ASSERT_EQ(out.total(), want.size());
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(out.ptr<float>()[i], want[i], 1e-4) << "output " << i;
    // Image test: the contract's image through the detector (crops, normalisation, aggregate).
    const auto& it = parity.at("image_test");
    const auto img = pattern_image(it.at("width").get<int>(), it.at("height").get<int>());
    auto d = lrn::make_onnx_detector(spec, std::vector<uint8_t>(m.onnx_begin, m.onnx_end), m.name);
    if (spec.fit == lrn::Fit::Face) {  // face models take the aligned crop itself
      ASSERT_TRUE(d->scores_faces());
      EXPECT_NEAR(d->score_face(img), it.at("score").get<double>(), 1e-4);
      continue;
    }
    const auto r = run_on(*d, img);
    ASSERT_EQ(r.status, det::Status::Applied) << r.reason;
    EXPECT_EQ(r.evidence.details.at("crop_scores").size(), it.at("crops").get<size_t>());
    EXPECT_NEAR(*r.score, it.at("score").get<double>(), 1e-4);
  }
}

// The shipped up-sampling detector scores a simulated up-sampling (halved, then enlarged back
// bilinearly or bicubically) above the original picture, on the repository's example photos.
TEST(OnnxDetector, NprScoresSimulatedUpSamplingAboveTheOriginal) {
  const lrn::BuiltinModel* npr = nullptr;
  for (const auto& m : lrn::builtin_models())
    if (m.name == "npr") npr = &m;
  ASSERT_NE(npr, nullptr) << "models/npr.onnx is compiled in";
  auto d = lrn::make_onnx_detector(lrn::parse_model_spec(npr->sidecar, "npr"), std::vector<uint8_t>(npr->onnx_begin, npr->onnx_end), "npr");
  for (const char* name : {"examples/real-photo.jpg", "examples/copy-move.jpg"}) {
    SCOPED_TRACE(name);
    const auto decoded = veritrace::media::decode_image_file((vt_test::source_dir() / name).string());
    const cv::Mat full(decoded.height, decoded.width, CV_8UC3, const_cast<uint8_t*>(decoded.pixels.data()));
    const cv::Mat crop = full(cv::Rect(0, 0, std::min(600, full.cols), std::min(400, full.rows))).clone();
    auto score_of = [&](const cv::Mat& m) {
      veritrace::media::Image img;
      img.width = m.cols;
      img.height = m.rows;
      img.channels = 3;
      img.pixels.assign(m.data, m.data + m.total() * 3);
      const auto r = run_on(*d, img);
      EXPECT_EQ(r.status, det::Status::Applied) << r.reason;
      return r.score.value_or(0.0);
    };
    const double original = score_of(crop);
    cv::Mat half, up;
    cv::resize(crop, half, cv::Size(crop.cols / 2, crop.rows / 2), 0, 0, cv::INTER_AREA);
    for (int interpolation : {cv::INTER_LINEAR, cv::INTER_CUBIC}) {
      cv::resize(half, up, crop.size(), 0, 0, interpolation);
      EXPECT_GT(score_of(up), original + 0.2) << "interpolation " << interpolation;
    }
  }
}
