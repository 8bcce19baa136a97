// The `noise` (local noise-level inconsistency) and `cfa` (demosaicing trace) detectors on images
// made here: a region with another noise level, a consistent but busy texture, a Bayer-mosaiced
// and bilinearly demosaiced picture with a pasted patch, its JPEG copy, and bad input.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "detect/detectors/detectors.hpp"
#include "support/mat_image.hpp"
#include "veritrace/detect.hpp"
#include "veritrace/media.hpp"

namespace {

using namespace veritrace;

detect::DetectorResult run_on(const detect::Detector& d, const media::Image& img) {
  detect::Sample s;
  s.path = "synthetic";
  s.image = &img;
  return d.run(s);
}

// Smooth photo-like content without grain (float, 3 channels): shading and hard-edged blocks.
cv::Mat clean_content(int w, int h) {
  cv::Mat m(h, w, CV_32FC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const float base = 110.f + 45.f * std::sin(x * 0.021f) * std::cos(y * 0.017f) + ((x / 71 + y / 53) % 2) * 30.f;
      m.at<cv::Vec3f>(y, x) = cv::Vec3f(base + 12.f, base, base - 15.f);
    }
  return m;
}

cv::Mat add_noise(const cv::Mat& f32, double sigma, uint64_t seed) {
  cv::RNG rng(seed);
  cv::Mat n(f32.size(), f32.type());
  rng.fill(n, cv::RNG::NORMAL, 0, sigma);
  return f32 + n;
}

media::Image to_image(const cv::Mat& f32) {
  cv::Mat u8;
  f32.convertTo(u8, CV_8U);  // saturates and rounds
  return vt_test::from_mat(u8);
}

// Mean heatmap value inside and outside a rectangle.
std::pair<double, double> in_out(const detect::Heatmap& h, const cv::Rect& r) {
  const cv::Mat m(h.height, h.width, CV_32F, const_cast<float*>(h.values.data()));
  cv::Mat mask = cv::Mat::zeros(m.size(), CV_8U);
  mask(r).setTo(255);
  return {cv::mean(m, mask)[0], cv::mean(m, ~mask)[0]};
}

TEST(DetectNoise, RegionWithOtherNoiseLevelLightsUp) {
  const auto d = detect::make_noise_detector();
  const cv::Mat content = clean_content(384, 320);
  const cv::Mat low = add_noise(content, 2.0, 1), high = add_noise(content, 8.0, 2);
  const cv::Rect region(128, 96, 128, 128);
  cv::Mat spliced = low.clone();
  high(region).copyTo(spliced(region));

  const media::Image untouched_img = to_image(low), spliced_img = to_image(spliced);
  const auto untouched = run_on(*d, untouched_img);
  const auto r = run_on(*d, spliced_img);
  ASSERT_EQ(r.status, detect::Status::Applied) << r.reason;
  ASSERT_EQ(untouched.status, detect::Status::Applied) << untouched.reason;
  EXPECT_EQ(r.points_to, detect::Finding::Manipulated);
  ASSERT_EQ(r.evidence.heatmap.width, 384);
  ASSERT_EQ(r.evidence.heatmap.height, 320);
  ASSERT_EQ(r.evidence.heatmap.values.size(), 384u * 320u);
  for (float v : r.evidence.heatmap.values) ASSERT_TRUE(v >= 0.f && v <= 1.f);
  // The core of the region (away from the window's reach over the border) is bright, the rest dark.
  const auto [inside, outside] = in_out(r.evidence.heatmap, cv::Rect(148, 116, 88, 88));
  EXPECT_GT(inside, 0.6) << "outside " << outside;
  EXPECT_LT(outside, 0.15);
  ASSERT_TRUE(r.score && untouched.score);
  EXPECT_GT(*r.score, 2.0 * *untouched.score);
  EXPECT_FALSE(r.evidence.summary.empty());

  // A denoised (smoothed) region is found as well.
  cv::Mat smoothed = low.clone();
  cv::GaussianBlur(low(region), smoothed(region), cv::Size(0, 0), 1.5);
  const media::Image smoothed_img = to_image(smoothed);
  const auto s = run_on(*d, smoothed_img);
  ASSERT_EQ(s.status, detect::Status::Applied);
  const auto [sin, sout] = in_out(s.evidence.heatmap, cv::Rect(148, 116, 88, 88));
  EXPECT_GT(sin, sout + 0.3);
  EXPECT_GT(*s.score, 2.0 * *untouched.score);
}

TEST(DetectNoise, ConsistentTextureDoesNotLightUp) {
  const auto d = detect::make_noise_detector();
  // Strong texture whose fine-scale strength varies across the image (busy left, calm right),
  // one noise level everywhere.
  cv::Mat acc(320, 384, CV_32FC3, cv::Scalar(128, 128, 128));
  cv::Mat weight(acc.size(), CV_32FC3);
  for (int y = 0; y < acc.rows; ++y)
    for (int x = 0; x < acc.cols; ++x) {
      const float w = 1.5f - 1.2f * x / acc.cols;
      weight.at<cv::Vec3f>(y, x) = cv::Vec3f(w, w, w);
    }
  cv::RNG rng(7);
  vt_test::add_multiscale_noise(acc, rng, weight);
  const media::Image textured = to_image(add_noise(acc, 2.0, 3));
  const auto r = run_on(*d, textured);
  ASSERT_EQ(r.status, detect::Status::Applied) << r.reason;

  // The same texture with a region at another noise level, for scale.
  cv::Mat spliced = add_noise(acc, 2.0, 3);
  const cv::Rect region(128, 96, 128, 128);
  add_noise(acc, 8.0, 4)(region).copyTo(spliced(region));
  const media::Image spliced_img = to_image(spliced);
  const auto s = run_on(*d, spliced_img);
  ASSERT_EQ(s.status, detect::Status::Applied);
  ASSERT_TRUE(r.score && s.score);
  EXPECT_LT(*r.score, 0.5 * *s.score);
  const cv::Mat m(r.evidence.heatmap.height, r.evidence.heatmap.width, CV_32F, const_cast<float*>(r.evidence.heatmap.values.data()));
  EXPECT_LT(cv::countNonZero(m > 0.5), static_cast<int>(0.03 * m.total()));
}

// Bayer RGGB mosaic of a float RGB picture, then bilinear demosaicing; rounded to 8 bits.
cv::Mat bayer_bilinear(const cv::Mat& rgb_f32) {
  std::vector<cv::Mat> ch;
  cv::split(rgb_f32, ch);
  const int h = rgb_f32.rows, w = rgb_f32.cols;
  std::vector<cv::Mat> masked(3);
  for (int c = 0; c < 3; ++c) masked[c] = cv::Mat::zeros(h, w, CV_32F);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const int c = (y % 2 == 0) ? (x % 2 == 0 ? 0 : 1) : (x % 2 == 0 ? 1 : 2);
      masked[c].at<float>(y, x) = ch[c].at<float>(y, x);
    }
  const cv::Mat kg = (cv::Mat_<float>(3, 3) << 0, 1, 0, 1, 4, 1, 0, 1, 0) / 4.f;
  const cv::Mat krb = (cv::Mat_<float>(3, 3) << 1, 2, 1, 2, 4, 2, 1, 2, 1) / 4.f;
  std::vector<cv::Mat> out(3);
  for (int c = 0; c < 3; ++c) cv::filter2D(masked[c], out[c], -1, c == 1 ? kg : krb, cv::Point(-1, -1), 0, cv::BORDER_REFLECT_101);
  cv::Mat merged;
  cv::merge(out, merged);
  return merged;
}

cv::Mat textured_scene(int w, int h, uint64_t seed) {
  cv::Mat acc = clean_content(w, h);
  cv::RNG rng(seed);
  vt_test::add_multiscale_noise(acc, rng);
  return add_noise(acc, 3.0, seed + 1);
}

TEST(DetectCfa, PatchWithoutDemosaicingLightsUp) {
  const auto d = detect::make_cfa_detector();
  const cv::Mat scene = textured_scene(320, 256, 11);
  const cv::Mat demosaiced = bayer_bilinear(scene);
  const cv::Rect region(112, 80, 96, 96);
  cv::Mat pasted = demosaiced.clone();
  scene(region).copyTo(pasted(region));  // full-colour pixels: no interpolated lattice

  const media::Image clean_img = to_image(demosaiced), pasted_img = to_image(pasted);
  const auto clean = run_on(*d, clean_img);
  const auto r = run_on(*d, pasted_img);
  ASSERT_EQ(clean.status, detect::Status::Applied) << clean.reason;
  ASSERT_EQ(r.status, detect::Status::Applied) << r.reason;
  EXPECT_EQ(r.points_to, detect::Finding::Manipulated);
  ASSERT_EQ(r.evidence.heatmap.width, 320);
  ASSERT_EQ(r.evidence.heatmap.height, 256);
  const auto [inside, outside] = in_out(r.evidence.heatmap, cv::Rect(128, 96, 64, 64));
  EXPECT_GT(inside, 0.7) << "outside " << outside;
  EXPECT_LT(outside, 0.1);
  ASSERT_TRUE(r.score && clean.score);
  EXPECT_GT(*r.score, *clean.score + 0.05);
  EXPECT_LT(*clean.score, 0.02);

  // A resampled patch (the demosaiced picture scaled by 1.3) has lost the trace too.
  cv::Mat resized;
  cv::resize(demosaiced, resized, cv::Size(), 1.3, 1.3, cv::INTER_LINEAR);
  cv::Mat pasted2 = demosaiced.clone();
  resized(cv::Rect(60, 60, 96, 96)).copyTo(pasted2(region));
  const media::Image pasted2_img = to_image(pasted2);
  const auto r2 = run_on(*d, pasted2_img);
  ASSERT_EQ(r2.status, detect::Status::Applied);
  const auto [in2, out2] = in_out(r2.evidence.heatmap, cv::Rect(128, 96, 64, 64));
  EXPECT_GT(in2, out2 + 0.5);
}

TEST(DetectCfa, JpegQ75IsNotApplicable) {
  const auto d = detect::make_cfa_detector();
  const media::Image demosaiced = to_image(bayer_bilinear(textured_scene(320, 256, 21)));
  ASSERT_EQ(run_on(*d, demosaiced).status, detect::Status::Applied);
  const std::vector<uint8_t> jpeg = media::encode_jpeg(demosaiced, 75);
  const media::Image decoded = media::decode_image(*make_memory_source(jpeg));
  const auto r = run_on(*d, decoded);
  EXPECT_EQ(r.status, detect::Status::NotApplicable);
  EXPECT_NE(r.reason.find("no colour-filter-array trace"), std::string::npos) << r.reason;
}

TEST(DetectNoiseCfa, BadInputDoesNotCrash) {
  const auto noise = detect::make_noise_detector();
  const auto cfa = detect::make_cfa_detector();
  media::Image tiny;
  tiny.width = tiny.height = 1;
  tiny.channels = 3;
  tiny.pixels = {1, 2, 3};
  media::Image gray;
  gray.width = 200, gray.height = 150, gray.channels = 1;
  gray.pixels.resize(200 * 150);
  cv::RNG rng(5);
  for (auto& p : gray.pixels) p = static_cast<uint8_t>(100 + rng.uniform(0, 20));
  media::Image flat;
  flat.width = 256, flat.height = 256, flat.channels = 3;
  flat.pixels.assign(256 * 256 * 3, 77);
  media::Image black = flat;
  std::fill(black.pixels.begin(), black.pixels.end(), 0);
  media::Image strip;  // 2000 x 64: thin but allowed
  strip.width = 2000, strip.height = 64, strip.channels = 3;
  strip.pixels.resize(2000 * 64 * 3);
  for (auto& p : strip.pixels) p = static_cast<uint8_t>(rng.uniform(0, 256));
  media::Image empty;
  empty.width = 0, empty.height = 0;

  for (const auto* d : {noise.get(), cfa.get()}) {
    EXPECT_EQ(run_on(*d, tiny).status, detect::Status::NotApplicable) << d->name();
    EXPECT_EQ(run_on(*d, flat).status, detect::Status::NotApplicable) << d->name();
    EXPECT_EQ(run_on(*d, black).status, detect::Status::NotApplicable) << d->name();
    EXPECT_EQ(run_on(*d, empty).status, detect::Status::NotApplicable) << d->name();
    detect::Sample none;
    EXPECT_EQ(d->run(none).status, detect::Status::NotApplicable) << d->name();
    const auto s = run_on(*d, strip);
    EXPECT_NE(s.status, detect::Status::Error) << d->name();
    if (s.status == detect::Status::Applied && !s.evidence.heatmap.empty()) {
      EXPECT_EQ(s.evidence.heatmap.width, 2000);
      EXPECT_EQ(s.evidence.heatmap.height, 64);
    }
  }
  const auto g = run_on(*cfa, gray);
  EXPECT_EQ(g.status, detect::Status::NotApplicable);
  EXPECT_NE(g.reason.find("grey"), std::string::npos);
  const auto gn = run_on(*noise, gray);
  EXPECT_EQ(gn.status, detect::Status::Applied) << gn.reason;  // noise works on grey images
  EXPECT_EQ(gn.evidence.heatmap.width, 200);
}

}  // namespace
