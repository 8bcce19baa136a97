// jpeg_ghost and block_grid: pasted regions with another JPEG history light up; untouched
// double-compressed images stay low; hostile input does not crash.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "detect/detectors/detectors.hpp"
#include "support/test_images.hpp"
#include "veritrace/detect.hpp"
#include "veritrace/media.hpp"

namespace vt = veritrace;
namespace det = veritrace::detect;

namespace {

vt::media::Image decode(const std::vector<uint8_t>& bytes) {
  auto src = vt::make_span_source(bytes);
  vt::media::DecodeOptions o;
  o.apply_exif_orientation = false;
  return vt::media::decode_image(*src, o);
}

struct Analysed {
  std::vector<uint8_t> bytes;
  vt::media::Image image;
  det::DetectorResult result;
};

det::DetectorResult run_on(const det::Detector& d, std::span<const uint8_t> bytes, vt::media::ImageFormat format,
                           const vt::media::Image* image) {
  det::Sample s;
  s.path = "test";
  s.bytes = bytes;
  s.format = format;
  s.image = image;
  return d.run(s);
}

Analysed analyse_jpeg(const det::Detector& d, const vt::media::Image& pixels, int quality) {
  Analysed a;
  a.bytes = vt::media::encode_jpeg(pixels, quality, vt::media::Subsampling::S420);
  a.image = decode(a.bytes);
  a.result = run_on(d, a.bytes, vt::media::ImageFormat::Jpeg, &a.image);
  return a;
}

// Copies src's rectangle at (sx, sy) into dst at (dx, dy), w x h pixels, RGB.
void paste(vt::media::Image& dst, const vt::media::Image& src, int sx, int sy, int dx, int dy, int w, int h) {
  for (int y = 0; y < h; ++y)
    std::copy_n(src.row(sy + y) + sx * 3, w * 3, dst.row(dy + y) + dx * 3);
}

struct Means {
  double inside = 0, outside = 0;
};
Means region_means(const det::Heatmap& m, int x0, int y0, int w, int h) {
  double in = 0, out = 0;
  size_t nin = 0, nout = 0;
  for (int y = 0; y < m.height; ++y)
    for (int x = 0; x < m.width; ++x) {
      const float v = m.values[static_cast<size_t>(y) * m.width + x];
      // A margin of one block around the border of the region counts as neither.
      const bool core = x >= x0 + 8 && x < x0 + w - 8 && y >= y0 + 8 && y < y0 + h - 8;
      const bool far = x < x0 - 8 || x >= x0 + w + 8 || y < y0 - 8 || y >= y0 + h + 8;
      if (core) in += v, ++nin;
      if (far) out += v, ++nout;
    }
  return {in / std::max<size_t>(1, nin), out / std::max<size_t>(1, nout)};
}

void expect_valid_map(const det::DetectorResult& r, const vt::media::Image& img) {
  ASSERT_EQ(r.status, det::Status::Applied) << r.reason;
  ASSERT_EQ(r.evidence.heatmap.width, img.width);
  ASSERT_EQ(r.evidence.heatmap.height, img.height);
  ASSERT_EQ(r.evidence.heatmap.values.size(), static_cast<size_t>(img.width) * img.height);
  for (float v : r.evidence.heatmap.values) ASSERT_TRUE(v >= 0.0f && v <= 1.0f);
  ASSERT_TRUE(r.score.has_value());
  EXPECT_EQ(r.points_to, det::Finding::Manipulated);
  EXPECT_FALSE(r.probability.has_value());
}

constexpr int kW = 512, kH = 384;
constexpr int kX0 = 192, kY0 = 128, kRW = 160, kRH = 128;  // the pasted region

}  // namespace

// A q60 JPEG, decoded; a region pasted from the never-compressed original; saved at q90. The
// untouched area keeps the double-quantisation trace of q60, the pasted one does not.
TEST(DetectJpegGhost, PastedRegionWithoutTheFirstCompressionLightsUp) {
  const auto det = det::make_jpeg_ghost_detector();
  const vt::media::Image original = vt_test::photo_like(kW, kH, 11);
  vt::media::Image edited = decode(vt::media::encode_jpeg(original, 60));
  paste(edited, original, kX0, kY0, kX0, kY0, kRW, kRH);
  const Analysed a = analyse_jpeg(*det, edited, 90);
  expect_valid_map(a.result, a.image);
  EXPECT_EQ(a.result.evidence.details.value("coefficients_from", ""), "jpeg_file");
  const Means m = region_means(a.result.evidence.heatmap, kX0, kY0, kRW, kRH);
  EXPECT_GT(m.inside, m.outside + 0.25) << "inside " << m.inside << " outside " << m.outside;

  // The same file re-encoded as PNG (metadata and tables gone): coefficients come from the pixels.
  const std::vector<uint8_t> png = vt::media::encode_png(a.image);
  const det::DetectorResult p = run_on(*det, png, vt::media::ImageFormat::Png, &a.image);
  expect_valid_map(p, a.image);
  EXPECT_EQ(p.evidence.details.value("coefficients_from", ""), "pixels");
  const Means mp = region_means(p.evidence.heatmap, kX0, kY0, kRW, kRH);
  EXPECT_GT(mp.inside, mp.outside + 0.25) << "inside " << mp.inside << " outside " << mp.outside;

  // Untouched, double-compressed the same way: a clearly lower score.
  const Analysed u = analyse_jpeg(*det, decode(vt::media::encode_jpeg(original, 60)), 90);
  expect_valid_map(u.result, u.image);
  EXPECT_LT(*u.result.score, 0.5 * *a.result.score) << "untouched " << *u.result.score << " edited " << *a.result.score;
  const Means mu = region_means(u.result.evidence.heatmap, kX0, kY0, kRW, kRH);
  EXPECT_LT(mu.inside, mu.outside + 0.1);
}

// A region pasted from a q90 JPEG of the original into the q60-decoded image, then saved at q90.
TEST(DetectJpegGhost, PastedRegionFromAnotherQualityLightsUp) {
  const auto det = det::make_jpeg_ghost_detector();
  const vt::media::Image original = vt_test::photo_like(kW, kH, 12);
  vt::media::Image edited = decode(vt::media::encode_jpeg(original, 60));
  const vt::media::Image donor = decode(vt::media::encode_jpeg(original, 90));
  paste(edited, donor, kX0, kY0, kX0, kY0, kRW, kRH);
  const Analysed a = analyse_jpeg(*det, edited, 90);
  expect_valid_map(a.result, a.image);
  const Means m = region_means(a.result.evidence.heatmap, kX0, kY0, kRW, kRH);
  EXPECT_GT(m.inside, m.outside + 0.2) << "inside " << m.inside << " outside " << m.outside;
}

// Content from another q60 JPEG pasted with its grid shifted by (3, 5), the result saved at q90.
TEST(DetectBlockGrid, RegionPastedAtAGridOffsetLightsUp) {
  const auto det = det::make_block_grid_detector();
  vt::media::Image host = decode(vt::media::encode_jpeg(vt_test::photo_like(kW, kH, 21), 60));
  const vt::media::Image donor = decode(vt::media::encode_jpeg(vt_test::photo_like(kW, kH, 22), 60));
  // Donor column c lands on host column c - (kX0 - 3) + kX0: its grid boundaries move by 3 (and 5).
  paste(host, donor, kX0 - 3, kY0 - 5, kX0, kY0, kRW, kRH);
  const Analysed a = analyse_jpeg(*det, host, 90);
  expect_valid_map(a.result, a.image);
  EXPECT_EQ(a.result.evidence.details["grid_phase"]["x"], 0);
  EXPECT_EQ(a.result.evidence.details["grid_phase"]["y"], 0);
  const Means m = region_means(a.result.evidence.heatmap, kX0, kY0, kRW, kRH);
  EXPECT_GT(m.inside, m.outside + 0.2) << "inside " << m.inside << " outside " << m.outside;
  EXPECT_GT(m.inside, 4 * m.outside) << "inside " << m.inside << " outside " << m.outside;

  // Untouched (q60 then q90): the same area stays dark and much less of the image has a shifted grid.
  const Analysed u = analyse_jpeg(*det, decode(vt::media::encode_jpeg(vt_test::photo_like(kW, kH, 21), 60)), 90);
  expect_valid_map(u.result, u.image);
  const Means mu = region_means(u.result.evidence.heatmap, kX0, kY0, kRW, kRH);
  EXPECT_LT(mu.inside, 0.5 * m.inside) << "untouched " << mu.inside << " edited " << m.inside;
  auto number = [](const det::DetectorResult& r, const std::string& key) {
    for (const auto& [k, v] : r.evidence.numbers)
      if (k == key) return v;
    return -1.0;
  };
  EXPECT_LT(number(u.result, "shifted_grid_share"), 0.5 * number(a.result, "shifted_grid_share"));
}

TEST(DetectBlockGrid, NeverCompressedImageHasNoGrid) {
  const auto det = det::make_block_grid_detector();
  const vt::media::Image img = vt_test::photo_like(kW, kH, 23);
  const std::vector<uint8_t> png = vt::media::encode_png(img);
  const det::DetectorResult r = run_on(*det, png, vt::media::ImageFormat::Png, &img);
  EXPECT_EQ(r.status, det::Status::NotApplicable);
  EXPECT_EQ(r.reason, "no JPEG block grid");
}

TEST(DetectJpeg, HostileInputDoesNotCrash) {
  const std::vector<std::unique_ptr<det::Detector>> dets = [] {
    std::vector<std::unique_ptr<det::Detector>> v;
    v.push_back(det::make_jpeg_ghost_detector());
    v.push_back(det::make_block_grid_detector());
    return v;
  }();
  const vt::media::Image photo = vt_test::photo_like(200, 136, 31);
  const std::vector<uint8_t> jpg = vt::media::encode_jpeg(photo, 70);
  const vt::media::Image decoded = decode(jpg);
  // Gray (1 channel), 1x1, a flat image, odd sizes.
  vt::media::Image gray;
  gray.width = 203, gray.height = 97, gray.channels = 1;
  gray.pixels.resize(static_cast<size_t>(gray.width) * gray.height);
  for (size_t i = 0; i < gray.pixels.size(); ++i) gray.pixels[i] = static_cast<uint8_t>((i * 7919) % 251);
  vt::media::Image tiny;
  tiny.width = tiny.height = 1, tiny.channels = 3, tiny.pixels = {1, 2, 3};
  vt::media::Image flat;
  flat.width = 130, flat.height = 70, flat.channels = 3;
  flat.pixels.assign(static_cast<size_t>(130) * 70 * 3, 128);
  const std::vector<uint8_t> png = vt::media::encode_png(photo);
  const std::vector<uint8_t> truncated(jpg.begin(), jpg.begin() + static_cast<long>(jpg.size() / 2));
  std::vector<uint8_t> garbage(jpg.begin(), jpg.begin() + 200);
  for (size_t i = 20; i < garbage.size(); ++i) garbage[i] = static_cast<uint8_t>(i * 31);
  const std::vector<uint8_t> empty;
  const std::vector<uint8_t> gray_jpg = vt::media::encode_jpeg(gray, 80);
  const vt::media::Image gray_decoded = decode(gray_jpg);

  struct Case {
    const char* name;
    std::span<const uint8_t> bytes;
    vt::media::ImageFormat format;
    const vt::media::Image* image;
  };
  const Case cases[] = {
      {"truncated jpeg, valid image", truncated, vt::media::ImageFormat::Jpeg, &decoded},
      {"garbage jpeg bytes", garbage, vt::media::ImageFormat::Jpeg, &decoded},
      {"empty bytes", empty, vt::media::ImageFormat::Jpeg, &decoded},
      {"jpeg of another size", jpg, vt::media::ImageFormat::Jpeg, &gray},
      {"gray", empty, vt::media::ImageFormat::Png, &gray},
      {"gray jpeg", gray_jpg, vt::media::ImageFormat::Jpeg, &gray_decoded},
      {"1x1", empty, vt::media::ImageFormat::Png, &tiny},
      {"flat", empty, vt::media::ImageFormat::Png, &flat},
      {"png", png, vt::media::ImageFormat::Png, &photo},
      {"no image", jpg, vt::media::ImageFormat::Jpeg, nullptr},
  };
  for (const auto& d : dets)
    for (const Case& c : cases) {
      SCOPED_TRACE(d->name() + ": " + c.name);
      const det::DetectorResult r = run_on(*d, c.bytes, c.format, c.image);
      ASSERT_NE(r.status, det::Status::Error) << r.reason;
      if (r.status == det::Status::Applied) {
        expect_valid_map(r, *c.image);
      } else {
        EXPECT_FALSE(r.reason.empty());
      }
    }
  // 1x1 is too small for either.
  for (const auto& d : dets) EXPECT_EQ(run_on(*d, {}, vt::media::ImageFormat::Png, &tiny).reason, "image smaller than 64 px");
  // The truncated JPEG still gives a map, from the pixels or the damaged coefficients.
  const det::DetectorResult t = run_on(*dets[0], truncated, vt::media::ImageFormat::Jpeg, &decoded);
  EXPECT_EQ(t.status, det::Status::Applied);
}
