// Veritrace watermark robustness, small: two picture-like images at 512x512 (the size where the
// goal is hardest) and one at 1152x768 through the main attacks (JPEG 50 with 4:2:0, WebP 75, crop
// to 50% of the area, rotation by 3 degrees, resize to 0.75x), and one real photo at 1080p through
// JPEG 75 + crop + rotation when ../shared is present. The full table over every attack and photo
// is bench/bench_watermark_robustness.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "support/mat_image.hpp"
#include "support/test_support.hpp"
#include "veritrace/core.hpp"
#include "veritrace/media.hpp"
#include "veritrace/watermark.hpp"

namespace {

using veritrace::media::Image;
namespace media = veritrace::media;
namespace wm = veritrace::watermark;

using vt_test::from_mat;
using vt_test::to_mat;

// Picture-like: smooth shading everywhere, fine texture in some regions only (as in photos: sky,
// walls and out-of-focus areas next to foliage or gravel), and a few flat discs with sharp edges.
cv::Mat natural(int w, int h, uint64_t seed) {
  cv::RNG rng(seed);
  cv::Mat acc(h, w, CV_32FC3, cv::Scalar::all(0));
  cv::Mat where(h, w, CV_32F);
  rng.fill(where, cv::RNG::NORMAL, 0, 1);
  cv::GaussianBlur(where, where, cv::Size(0, 0), 40.0);
  cv::normalize(where, where, 0.1, 1.0, cv::NORM_MINMAX);
  cv::Mat where3;
  cv::merge(std::vector<cv::Mat>{where, where, where}, where3);
  vt_test::add_multiscale_noise(acc, rng, where3);
  acc += cv::Scalar(120, 110, 100);
  cv::Mat out;
  acc.convertTo(out, CV_8UC3);
  for (int i = 0; i < 4; ++i)
    cv::circle(out, cv::Point(rng.uniform(0, w), rng.uniform(0, h)), rng.uniform(20, h / 5),
               cv::Scalar(rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255)), cv::FILLED);
  return out;
}

Image jpeg(const Image& img, int quality) {
  return media::decode_image(*veritrace::make_memory_source(media::encode_jpeg(img, quality, media::Subsampling::S420)));
}

cv::Mat rotate(const cv::Mat& m, double degrees) {
  cv::Mat out;
  cv::warpAffine(m, out, cv::getRotationMatrix2D(cv::Point2f(m.cols / 2.0f, m.rows / 2.0f), degrees, 1.0), m.size(), cv::INTER_CUBIC,
                 cv::BORDER_CONSTANT, cv::Scalar::all(0));
  return out;
}

cv::Mat crop_area(const cv::Mat& m, double area, double fx, double fy) {
  const int w = static_cast<int>(m.cols * std::sqrt(area)), h = static_cast<int>(m.rows * std::sqrt(area));
  return m(cv::Rect(static_cast<int>((m.cols - w) * fx), static_cast<int>((m.rows - h) * fy), w, h)).clone();
}

struct Attack {
  std::string name;
  std::function<Image(const Image&)> apply;
};

Image webp(const Image& img, int quality) {
  return media::decode_image(*veritrace::make_memory_source(media::encode_webp(img, quality)));
}

std::vector<Attack> main_attacks() {
  return {
      {"jpeg50-420", [](const Image& i) { return jpeg(i, 50); }},
      {"webp75", [](const Image& i) { return webp(i, 75); }},
      {"crop50%", [](const Image& i) { return from_mat(crop_area(to_mat(i), 0.5, 0.73, 0.21)); }},
      {"rotate3", [](const Image& i) { return from_mat(rotate(to_mat(i), 3.0)); }},
      {"resize0.75", [](const Image& i) {
         cv::Mat s;
         cv::resize(to_mat(i), s, cv::Size(i.width * 3 / 4, i.height * 3 / 4), 0, 0, cv::INTER_AREA);
         return from_mat(s);
       }},
  };
}

TEST(WatermarkRobustness, MainAttacksOnPictureLikeImages) {
  struct Case {
    int width, height;
    uint64_t seed;
  };
  for (const Case c : {Case{512, 512, 21}, Case{512, 512, 22}, Case{1152, 768, 23}}) {
    const uint64_t seed = c.seed;
    const uint64_t payload = 0xa5a5f00dcafe0000ULL + seed;
    const Image marked = wm::embed(from_mat(natural(c.width, c.height, seed)), payload);
    for (const auto& attack : main_attacks()) {
      const auto d = wm::detect(attack.apply(marked));
      ASSERT_TRUE(d.found) << attack.name << " seed " << seed << " " << c.width << "x" << c.height;
      EXPECT_EQ(*d.payload, payload) << attack.name;
      EXPECT_LT(d.p_value, 1e-6);
      if (attack.name == "rotate3") {
        EXPECT_NEAR(d.rotation_degrees, 3.0, 0.3);
      }
      if (attack.name == "resize0.75") {
        EXPECT_NEAR(d.scale, 0.75, 0.02);
      }
    }
  }
}

TEST(WatermarkRobustness, RealPhotoJpeg75CropAndRotation) {
  VT_REQUIRE_SHARED(shared);
  const auto photo = shared / "data" / "images" / "photos" / "aqua.jpg";
  if (!std::filesystem::exists(photo)) GTEST_SKIP() << photo << " is absent";
  cv::Mat m = to_mat(media::to_rgb(media::decode_image_file(photo.string())));
  const double f = std::max(1920.0 / m.cols, 1080.0 / m.rows);
  cv::resize(m, m, cv::Size(std::max(1920, static_cast<int>(m.cols * f + 1)), std::max(1080, static_cast<int>(m.rows * f + 1))), 0, 0,
             cv::INTER_AREA);
  const Image original = from_mat(m(cv::Rect(0, 0, 1920, 1080)).clone());
  const Image marked = wm::embed(original, 0x5eed5eed5eed5eedULL);
  const Image attacked = jpeg(from_mat(crop_area(rotate(to_mat(marked), 1.0), 0.8, 0.3, 0.6)), 75);
  const auto d = wm::detect(attacked);
  ASSERT_TRUE(d.found);
  EXPECT_EQ(*d.payload, 0x5eed5eed5eed5eedULL);
  EXPECT_FALSE(wm::detect(jpeg(original, 75)).found);
}

}  // namespace
