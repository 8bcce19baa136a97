// Veritrace watermark: channel code, tile layout, synchronisation, embed/detect round trips,
// imperceptibility, channel handling, bad input and unmarked images.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "watermark/wm_quality.hpp"
#include "support/mat_image.hpp"
#include "veritrace/core.hpp"
#include "veritrace/watermark.hpp"
#include "watermark/wm_code.hpp"
#include "watermark/wm_common.hpp"
#include "watermark/wm_detect_internal.hpp"
#include "watermark/wm_pattern.hpp"
#include "watermark/wm_polar.hpp"
#include "watermark/wm_sync.hpp"

namespace {

using veritrace::Error;
using veritrace::ErrorKind;
using veritrace::media::Image;
namespace wm = veritrace::watermark;
namespace detail = veritrace::watermark::detail;

using vt_test::from_mat;
using vt_test::to_mat;

// A picture-like RGB image: noise at three scales (texture), a gradient and a few flat shapes.
cv::Mat natural(int w, int h, uint64_t seed) {
  cv::RNG rng(seed);
  cv::Mat acc(h, w, CV_32FC3, cv::Scalar::all(0));
  vt_test::add_multiscale_noise(acc, rng);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) acc.at<cv::Vec3f>(y, x) += cv::Vec3f(100.0f + 60.0f * x / w, 110.0f, 140.0f - 50.0f * y / h);
  cv::Mat out;
  acc.convertTo(out, CV_8UC3);
  for (int i = 0; i < 4; ++i) {
    const cv::Point c(rng.uniform(0, w), rng.uniform(0, h));
    cv::circle(out, c, rng.uniform(20, h / 4), cv::Scalar(rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255)), cv::FILLED);
  }
  return out;
}

using veritrace::watermark::detail::psnr;
using veritrace::watermark::detail::ssim;

TEST(WatermarkCode, Crc32MatchesTheStandardCheckValue) {
  const char* text = "123456789";
  EXPECT_EQ(detail::crc32(reinterpret_cast<const uint8_t*>(text), std::strlen(text)), 0xCBF43926u);
}

TEST(WatermarkCode, PolarEncoderIsTheKroneckerPowerOfF) {
  // N = 8, every position an information bit: x = u F^(x)3 with F = [[1, 0], [1, 1]], so x_i is
  // the xor of every u_j whose index j has all the bits of i.
  const detail::PolarCode code(3, 8, 0, 0.5);
  for (int word = 0; word < 256; ++word) {
    std::vector<uint8_t> u(8);
    for (int j = 0; j < 8; ++j) u[static_cast<size_t>(j)] = static_cast<uint8_t>((word >> j) & 1);
    const auto x = code.encode(u);
    ASSERT_EQ(x.size(), 8u);
    for (int i = 0; i < 8; ++i) {
      int expected = 0;
      for (int j = 0; j < 8; ++j) expected ^= ((j & i) == i) ? u[static_cast<size_t>(j)] : 0;
      ASSERT_EQ(x[static_cast<size_t>(i)], expected) << "word " << word << " bit " << i;
    }
  }
}

TEST(WatermarkCode, PolarListDecoderCorrectsNoiseNearItsThreshold) {
  const detail::PolarCode code(detail::kPolarLog2, detail::kInfoBits, 1024 - detail::kCodedBits, 0.9);
  ASSERT_EQ(code.sent_bits(), detail::kCodedBits);
  // The punctured bits make the first 256 synthetic channels useless: they must all be frozen.
  EXPECT_GE(code.info_positions().front(), 256);
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0, 1);
  int in_list = 0, first = 0;
  constexpr int kTrials = 60;
  for (int trial = 0; trial < kTrials; ++trial) {
    std::vector<uint8_t> info(detail::kInfoBits);
    for (auto& b : info) b = static_cast<uint8_t>(rng() & 1);
    const auto coded = code.encode(info);
    ASSERT_EQ(coded.size(), static_cast<size_t>(detail::kCodedBits));
    // Amplitude 0.7 per bit against unit noise: 24% of the hard decisions are wrong.
    std::vector<double> soft(coded.size());
    for (size_t i = 0; i < coded.size(); ++i) soft[i] = (coded[i] ? 0.7 : -0.7) + noise(rng);
    const auto words = code.decode_list(soft, detail::kListSize);
    ASSERT_LE(words.size(), static_cast<size_t>(detail::kListSize));
    first += !words.empty() && words.front() == info;
    in_list += std::find(words.begin(), words.end(), info) != words.end();
  }
  // Measured: every word is in the list at this noise level (the simulation in docs/watermark.md
  // gives a frame error rate below 1% from amplitude 0.6).
  EXPECT_EQ(in_list, kTrials);
  EXPECT_GE(first, kTrials * 9 / 10);
}

TEST(WatermarkCode, MessageRoundTripAndCrcRejectsNoise) {
  const detail::Message m{0xfedcba9876543210ULL, 17};
  const auto coded = detail::encode_message(m);
  std::vector<double> soft(coded.size());
  for (size_t i = 0; i < coded.size(); ++i) soft[i] = coded[i] ? 0.7 : -0.7;
  const auto decoded = detail::decode_message(soft);
  ASSERT_TRUE(decoded.message);
  EXPECT_EQ(decoded.message->payload, m.payload);
  EXPECT_EQ(decoded.message->cell_size, 17);
  EXPECT_NEAR(decoded.agreement, 1.0, 1e-9);
  // Pure noise: the decoder always outputs some word, the CRC must reject it.
  std::mt19937_64 rng(9);
  std::normal_distribution<double> noise(0, 1);
  int accepted = 0;
  for (int trial = 0; trial < 300; ++trial) {
    for (auto& s : soft) s = noise(rng);
    accepted += detail::decode_message(soft).message.has_value();
  }
  EXPECT_EQ(accepted, 0);
  // Degenerate inputs (no signal, all one sign) are rejected too.
  std::fill(soft.begin(), soft.end(), 0.0);
  EXPECT_FALSE(detail::decode_message(soft).message);
  std::fill(soft.begin(), soft.end(), 1.0);
  EXPECT_FALSE(detail::decode_message(soft).message);
}

TEST(WatermarkPattern, LayoutUsesEveryCellOnce) {
  const auto& layout = detail::tile_layout();
  std::vector<int> copies(detail::kCodedBits, 0);
  int sync = 0;
  for (int bit : layout.coded_bit) {
    if (bit < 0) ++sync;
    else ++copies[static_cast<size_t>(bit)];
  }
  EXPECT_EQ(sync, detail::kSyncCells);
  for (int c : copies) EXPECT_EQ(c, detail::kCopies);
  EXPECT_EQ(detail::cell_size_for(1920, 1080), 4);
  EXPECT_EQ(detail::cell_size_for(3840, 2160), 8);
  EXPECT_EQ(detail::cell_size_for(300, 300), detail::kMinCellSize);
}

// The fold of a turned image is the tile turned by a quarter turn, at some shift: find_sync must
// report a turn and shift at which read_soft_bits reads the message, for all four turns.
TEST(WatermarkSync, FindsEveryQuarterTurnAndShift) {
  const detail::Message message{0x0f1e2d3c4b5a6978ULL, 5};
  auto tile = detail::render_tile(detail::message_cells(message), detail::kFoldBins);
  const cv::Mat t(detail::kFoldBins, detail::kFoldBins, CV_32F, tile.data());
  cv::RNG rng(11);
  for (int q = 0; q < 4; ++q) {
    cv::Mat turned;
    if (q == 0) turned = t.clone();
    else cv::rotate(t, turned, q == 1 ? cv::ROTATE_90_COUNTERCLOCKWISE : q == 2 ? cv::ROTATE_180 : cv::ROTATE_90_CLOCKWISE);
    const int sy = rng.uniform(0, detail::kFoldBins), sx = rng.uniform(0, detail::kFoldBins);
    cv::Mat fold(detail::kFoldBins, detail::kFoldBins, CV_32F);
    rng.fill(fold, cv::RNG::NORMAL, 0, 1.0);
    for (int y = 0; y < detail::kFoldBins; ++y)
      for (int x = 0; x < detail::kFoldBins; ++x)
        fold.at<float>((y + sy) % detail::kFoldBins, (x + sx) % detail::kFoldBins) += 0.8f * turned.at<float>(y, x);
    const auto hits = detail::find_sync(fold, 1);
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].quarter_turns, q) << "turn " << q;
    EXPECT_GT(hits[0].z, 6.0);
    const auto decoded = detail::decode_message(detail::read_soft_bits(fold, hits[0]));
    ASSERT_TRUE(decoded.message) << "turn " << q;
    EXPECT_EQ(decoded.message->payload, message.payload);
  }
}

// A synthetic mark alone (no picture), scaled and rotated: the lattice search finds the period and
// the angle, the fold and sync search find the message.
TEST(WatermarkSync, RecoversScaleRotationAndShiftOfASyntheticPattern) {
  const int side = 128;  // cell size 4
  const auto tile = detail::render_tile(detail::message_cells({0x1122334455667788ULL, 4}), side);
  const double scale = 0.8, angle_deg = 3.0;
  cv::Mat big(900, 900, CV_32F);
  for (int y = 0; y < big.rows; ++y)
    for (int x = 0; x < big.cols; ++x)
      big.at<float>(y, x) = 128.0f + 6.0f * tile[static_cast<size_t>(((y + 37) % side) * side + (x + 91) % side)];
  cv::Mat rot = cv::getRotationMatrix2D(cv::Point2f(450, 450), angle_deg, scale), warped;
  cv::warpAffine(big, warped, rot, big.size(), cv::INTER_CUBIC, cv::BORDER_REFLECT);
  const cv::Mat luma = warped(cv::Rect(150, 180, 600, 500)).clone();
  const auto work = detail::make_work_image(luma);
  const auto lattices = detail::find_lattices(work.residual, 6);
  ASSERT_FALSE(lattices.empty());
  const auto& best = lattices.front();
  EXPECT_NEAR(best.period() * work.downscale, side * scale, 0.5);
  // Angle modulo 90 degrees; the image turns counter-clockwise, so the lattice angle is negative.
  EXPECT_NEAR(std::atan2(best.b, best.a) * 180.0 / M_PI, -angle_deg, 0.2);
  const cv::Mat folded = detail::fold(work.residual, best);
  const auto hits = detail::find_sync(folded, 3);
  ASSERT_FALSE(hits.empty());
  EXPECT_GT(hits.front().z, 10.0);
  const auto decoded = detail::decode_message(detail::read_soft_bits(folded, hits.front()));
  ASSERT_TRUE(decoded.message);
  EXPECT_EQ(decoded.message->payload, 0x1122334455667788ULL);
}

TEST(Watermark, RoundTripOnPictureLikeImages) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    const Image original = from_mat(natural(512, 512, seed));
    const uint64_t payload = 0x0123456789abcdefULL ^ (seed * 0x9e3779b97f4a7c15ULL);
    const Image marked = wm::embed(original, payload);
    ASSERT_EQ(marked.width, 512);
    ASSERT_EQ(marked.channels, 3);
    EXPECT_GE(psnr(original, marked), 42.0) << "seed " << seed;
    EXPECT_GE(ssim(original, marked), 0.98) << "seed " << seed;
    const auto d = wm::detect(marked);
    ASSERT_TRUE(d.found) << "seed " << seed;
    EXPECT_EQ(*d.payload, payload);
    EXPECT_LT(d.p_value, 1e-6);
    EXPECT_GT(d.bit_confidence, 0.5);
    EXPECT_NEAR(d.scale, 1.0, 0.01);
    EXPECT_NEAR(d.rotation_degrees, 0.0, 0.2);
  }
}

TEST(Watermark, ColourIsKeptTheSameChangeInRGB) {
  const Image original = from_mat(natural(400, 300, 4));
  const Image marked = wm::embed(original, 42);
  size_t changed = 0;
  for (size_t i = 0; i < original.pixels.size(); i += 3) {
    int d[3];
    bool clipped = false;
    for (int c = 0; c < 3; ++c) {
      d[c] = marked.pixels[i + static_cast<size_t>(c)] - original.pixels[i + static_cast<size_t>(c)];
      clipped |= marked.pixels[i + static_cast<size_t>(c)] == 0 || marked.pixels[i + static_cast<size_t>(c)] == 255;
    }
    if (clipped) continue;
    ASSERT_TRUE(d[0] == d[1] && d[1] == d[2]) << "pixel " << i / 3;
    changed += d[0] != 0;
  }
  EXPECT_GT(changed, original.pixels.size() / 3 / 4);  // the mark is really there
}

TEST(Watermark, GrayStaysGrayAndAlphaIsUntouched) {
  cv::Mat rgb = natural(448, 384, 6), gray, rgba;
  cv::cvtColor(rgb, gray, cv::COLOR_RGB2GRAY);
  cv::cvtColor(rgb, rgba, cv::COLOR_RGB2RGBA);
  for (int y = 0; y < rgba.rows; ++y)
    for (int x = 0; x < rgba.cols; ++x) rgba.at<cv::Vec4b>(y, x)[3] = static_cast<uint8_t>((x * 7 + y) & 255);
  const Image g = from_mat(gray), a = from_mat(rgba);
  const Image gm = wm::embed(g, 7), am = wm::embed(a, 8);
  EXPECT_EQ(gm.channels, 1);
  EXPECT_EQ(gm.pixels.size(), g.pixels.size());
  EXPECT_NE(gm.pixels, g.pixels);
  ASSERT_EQ(am.channels, 4);
  for (size_t i = 3; i < a.pixels.size(); i += 4) ASSERT_EQ(am.pixels[i], a.pixels[i]);
  const auto dg = wm::detect(gm), da = wm::detect(am);
  ASSERT_TRUE(dg.found);
  EXPECT_EQ(*dg.payload, 7u);
  ASSERT_TRUE(da.found);
  EXPECT_EQ(*da.payload, 8u);
}

TEST(Watermark, BadInputIsRefusedWithTheRightError) {
  const Image ok = from_mat(natural(300, 300, 7));
  const Image tiny = from_mat(natural(255, 400, 7));
  auto kind_of = [](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      return static_cast<int>(e.kind());
    }
    return -1;
  };
  EXPECT_EQ(kind_of([&] { wm::embed(tiny, 1); }), static_cast<int>(ErrorKind::Unsupported));
  EXPECT_EQ(kind_of([&] { wm::detect(tiny); }), static_cast<int>(ErrorKind::Unsupported));
  EXPECT_EQ(kind_of([&] { wm::embed(ok, 1, {0.0}); }), static_cast<int>(ErrorKind::Usage));
  EXPECT_EQ(kind_of([&] { wm::embed(ok, 1, {4.5}); }), static_cast<int>(ErrorKind::Usage));
  EXPECT_EQ(kind_of([&] { wm::embed(ok, 1, {std::nan("")}); }), static_cast<int>(ErrorKind::Usage));
  Image broken = ok;
  broken.pixels.resize(broken.pixels.size() - 1);
  EXPECT_EQ(kind_of([&] { wm::detect(broken); }), static_cast<int>(ErrorKind::Usage));
  Image two = ok;
  two.channels = 2;
  EXPECT_EQ(kind_of([&] { wm::embed(two, 1); }), static_cast<int>(ErrorKind::Usage));
  Image huge;  // over the pixel limit: refused before the buffer is looked at
  huge.width = 20000, huge.height = 10000, huge.channels = 3;
  EXPECT_EQ(kind_of([&] { wm::detect(huge); }), static_cast<int>(ErrorKind::Unsupported));
}

TEST(Watermark, FlatImagesEmbedWithoutVisibleChangeAndDetectNothing) {
  cv::Mat flat(300, 400, CV_8UC3, cv::Scalar(90, 140, 200));
  const Image original = from_mat(flat);
  const Image marked = wm::embed(original, 99);
  int max_change = 0;
  for (size_t i = 0; i < original.pixels.size(); ++i)
    max_change = std::max(max_change, std::abs(marked.pixels[i] - original.pixels[i]));
  EXPECT_LE(max_change, 2);  // flat areas get only the small floor amplitude
  EXPECT_GE(ssim(original, marked), 0.98);
  EXPECT_FALSE(wm::detect(original).found);
}

// Perceptual masking: where the picture is smooth (a gentle gradient, like a clear sky) the change
// stays near one grey level whatever the image-wide gain, and textured areas take more.
TEST(Watermark, SmoothAreasGetASmallChangeTexturedAreasMore) {
  const int w = 768, h = 512;
  cv::Mat img = natural(w, h, 21);
  for (int y = 0; y < h / 2; ++y)
    for (int x = 0; x < w; ++x) img.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uint8_t>(90 + 60 * x / w), 120, static_cast<uint8_t>(160 - 40 * y / h));
  const Image original = from_mat(img);
  const Image marked = wm::embed(original, 0x5a5a5a5a5a5a5a5aULL);
  auto change = [&](int y0, int y1) {
    double sum = 0;
    int worst = 0;
    size_t n = 0;
    for (int y = y0; y < y1; ++y)
      for (int x = 16; x < w - 16; ++x) {
        const int d = static_cast<int>(marked.row(y)[x * 3 + 1]) - original.row(y)[x * 3 + 1];
        sum += d * d, worst = std::max(worst, std::abs(d)), ++n;
      }
    return std::pair{std::sqrt(sum / static_cast<double>(n)), worst};
  };
  const auto [smooth_rms, smooth_max] = change(16, h / 2 - 16);
  const auto [textured_rms, textured_max] = change(h / 2 + 16, h - 16);
  EXPECT_LE(smooth_rms, 1.0);
  EXPECT_LE(smooth_max, 2);
  EXPECT_GT(textured_rms, 1.5 * smooth_rms);
  EXPECT_GE(psnr(original, marked), 42.0);
  EXPECT_GE(ssim(original, marked), 0.98);
  EXPECT_TRUE(wm::detect(marked).found);
}

TEST(Watermark, UnmarkedImagesGiveNoDetection) {
  std::vector<cv::Mat> images;
  cv::RNG rng(11);
  for (int i = 0; i < 3; ++i) images.push_back(natural(520 + 40 * i, 400, 100 + static_cast<uint64_t>(i)));
  cv::Mat noise(384, 384, CV_8UC3);
  rng.fill(noise, cv::RNG::UNIFORM, 0, 256);
  images.push_back(noise);
  cv::Mat gradient(300, 500, CV_8UC1);
  for (int y = 0; y < gradient.rows; ++y)
    for (int x = 0; x < gradient.cols; ++x) gradient.at<uint8_t>(y, x) = static_cast<uint8_t>(x / 2);
  images.push_back(gradient);
  cv::Mat stripes(400, 400, CV_8UC3);  // periodic like our tiling, but not our mark
  for (int y = 0; y < stripes.rows; ++y)
    for (int x = 0; x < stripes.cols; ++x) stripes.at<cv::Vec3b>(y, x) = cv::Vec3b::all(((x / 16 + y / 16) & 1) ? 200 : 40);
  images.push_back(stripes);
  images.push_back(images[0](cv::Rect(100, 50, 300, 280)).clone());  // a crop
  for (const auto& m : images) {
    const auto d = wm::detect(from_mat(m));
    EXPECT_FALSE(d.found) << m.cols << "x" << m.rows;
    EXPECT_FALSE(d.payload);
    EXPECT_EQ(d.p_value, 1.0);
  }
}

TEST(Watermark, StrengthScalesTheChange) {
  const Image original = from_mat(natural(384, 384, 12));
  const double weak = psnr(original, wm::embed(original, 1, {0.5}));
  const double normal = psnr(original, wm::embed(original, 1, {1.0}));
  const double strong = psnr(original, wm::embed(original, 1, {2.0}));
  EXPECT_GT(weak, normal + 4.0);
  EXPECT_GT(normal, strong + 4.0);
}

}  // namespace
