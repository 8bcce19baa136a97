// Veritrace watermark speed at 1920x1080, single thread: embed and detect (issue 4: embed <= 40 ms,
// detect <= 80 ms, median). The host is a real photo from ../shared when present (VERITRACE_SHARED
// or ../shared next to the source tree), else a procedural textured image.
//
//   bench_watermark --benchmark_repetitions=9 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "veritrace/media.hpp"
#include "veritrace/watermark.hpp"

namespace {

using veritrace::media::Image;

Image procedural(int w, int h) {
  cv::Mat m(h, w, CV_8UC3);
  cv::theRNG().state = 7;
  cv::randn(m, cv::Scalar::all(128), cv::Scalar::all(40));
  cv::GaussianBlur(m, m, cv::Size(0, 0), 2.0);
  Image img;
  img.width = w, img.height = h, img.channels = 3;
  img.pixels.assign(m.data, m.data + m.total() * 3);
  return img;
}

// A photo cropped and scaled to 1920x1080, or a procedural image.
const Image& host() {
  static const Image image = [] {
    namespace fs = std::filesystem;
    const char* env = std::getenv("VERITRACE_SHARED");
    const fs::path shared = env ? fs::path(env) : fs::path(__FILE__).parent_path().parent_path().parent_path() / "shared";
    const fs::path photo = shared / "data" / "images" / "photos" / "aqua.jpg";
    if (!fs::exists(photo)) return procedural(1920, 1080);
    const Image rgb = veritrace::media::to_rgb(veritrace::media::decode_image_file(photo.string()));
    cv::Mat m(rgb.height, rgb.width, CV_8UC3, const_cast<uint8_t*>(rgb.pixels.data())), scaled;
    const double f = std::max(1920.0 / m.cols, 1080.0 / m.rows);
    cv::resize(m, scaled, cv::Size(std::max(1920, static_cast<int>(m.cols * f + 1)), std::max(1080, static_cast<int>(m.rows * f + 1))), 0, 0,
               cv::INTER_AREA);
    cv::Mat crop = scaled(cv::Rect(0, 0, 1920, 1080)).clone();
    Image img;
    img.width = 1920, img.height = 1080, img.channels = 3;
    img.pixels.assign(crop.data, crop.data + crop.total() * 3);
    return img;
  }();
  return image;
}

void BM_WatermarkEmbed1080p(benchmark::State& state) {
  cv::setNumThreads(1);
  const Image& img = host();
  for (auto _ : state) benchmark::DoNotOptimize(veritrace::watermark::embed(img, 0x0123456789abcdefULL));
}
BENCHMARK(BM_WatermarkEmbed1080p)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

void BM_WatermarkDetect1080p(benchmark::State& state) {
  cv::setNumThreads(1);
  const Image marked = veritrace::watermark::embed(host(), 0x0123456789abcdefULL);
  for (auto _ : state) {
    auto d = veritrace::watermark::detect(marked);
    if (!d.found) state.SkipWithError("mark not found");
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_WatermarkDetect1080p)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

void BM_WatermarkDetectUnmarked1080p(benchmark::State& state) {
  cv::setNumThreads(1);
  const Image& img = host();
  for (auto _ : state) benchmark::DoNotOptimize(veritrace::watermark::detect(img));
}
BENCHMARK(BM_WatermarkDetectUnmarked1080p)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

}  // namespace

BENCHMARK_MAIN();
