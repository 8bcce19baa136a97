// Makes the detection benchmark's inputs: N JPEGs with a long side of 1024 px (quality 90), from the
// given images (cycled; resized with area averaging) or, with none given, from synthetic pictures.
//   bench_detect_inputs OUT_DIR N [IMAGES...]
#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include <opencv2/imgproc.hpp>

#include "core/atomic_file.hpp"
#include "veritrace/media.hpp"

using namespace veritrace;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_detect_inputs OUT_DIR N [IMAGES...]\n");
    return 2;
  }
  const std::string out = argv[1];
  const int n = std::stoi(argv[2]);
  std::mt19937 rng(7);
  for (int i = 0; i < n; ++i) {
    cv::Mat rgb;
    if (argc > 3) {
      const media::Image img = media::to_rgb(media::decode_image_file(argv[3 + i % (argc - 3)]));
      rgb = cv::Mat(img.height, img.width, CV_8UC3, const_cast<uint8_t*>(img.pixels.data())).clone();
    } else {
      rgb = cv::Mat(768, 1024, CV_8UC3);
      cv::randn(rgb, cv::Scalar::all(128), cv::Scalar::all(40));
      cv::GaussianBlur(rgb, rgb, cv::Size(0, 0), 2.0 + i % 5);
    }
    const double k = 1024.0 / std::max(rgb.cols, rgb.rows);
    cv::Mat resized;
    cv::resize(rgb, resized, cv::Size(static_cast<int>(std::lround(rgb.cols * k)), static_cast<int>(std::lround(rgb.rows * k))), 0, 0,
               k < 1 ? cv::INTER_AREA : cv::INTER_CUBIC);
    media::Image img;
    img.width = resized.cols, img.height = resized.rows, img.channels = 3;
    img.pixels.assign(resized.data, resized.data + resized.total() * 3);
    const auto jpg = media::encode_jpeg(img, 90);
    char name[64];
    std::snprintf(name, sizeof name, "/%04d.jpg", i);
    write_file_atomically(out + name, jpg);
  }
  return 0;
}
