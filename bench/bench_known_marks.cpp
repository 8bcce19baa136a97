// Known generator marks (invisible-watermark dwtDct, docs/known-marks.md).
//
//   bench_known_marks [benchmark flags]        speed of detect_known_marks at 512 and 1024 px
//   bench_known_marks --sweep DIR...           false-positive sweep: every image under the DIRs
//   bench_known_marks --sweep-crops DIR...     the same with the crop search on (slower)
//                                              (recursively) becomes random crops, rescales and
//                                              JPEG/WebP re-encodings; all must be unmarked
//
// The sweep is deterministic (fixed seed) and prints the number of images checked, the number
// flagged, the smallest corrected p-value per generator and the closest calls.
#include <benchmark/benchmark.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "veritrace/core.hpp"
#include "veritrace/media.hpp"
#include "veritrace/watermark.hpp"

using namespace veritrace;

namespace {

// A textured colour image like a photo's chroma: smooth ramps plus noise.
media::Image textured(int size) {
  media::Image img;
  img.width = img.height = size;
  img.channels = 3;
  img.pixels.resize(static_cast<size_t>(size) * size * 3);
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> noise(-20, 20);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      uint8_t* p = img.row(y) + static_cast<size_t>(x) * 3;
      p[0] = static_cast<uint8_t>(std::clamp(80 + 90 * x / size + noise(rng), 0, 255));
      p[1] = static_cast<uint8_t>(std::clamp(120 + noise(rng), 0, 255));
      p[2] = static_cast<uint8_t>(std::clamp(70 + 100 * y / size + noise(rng), 0, 255));
    }
  return img;
}

void BM_DetectKnownMarks(benchmark::State& state) {
  const media::Image img = textured(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(watermark::detect_known_marks(img));
}
BENCHMARK(BM_DetectKnownMarks)->Arg(512)->Arg(1024)->Unit(benchmark::kMillisecond)->MinTime(1.0);

void BM_DetectKnownMarksWithCrops(benchmark::State& state) {
  const media::Image img = textured(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(watermark::detect_known_marks(img, {.search_crops = true}));
}
BENCHMARK(BM_DetectKnownMarksWithCrops)->Arg(512)->Arg(1024)->Unit(benchmark::kMillisecond)->MinTime(1.0);

// ---- false-positive sweep ----

cv::Mat to_mat(const media::Image& img) {
  cv::Mat m(img.height, img.width, CV_8UC3);
  for (int y = 0; y < img.height; ++y) std::memcpy(m.ptr(y), img.row(y), static_cast<size_t>(img.width) * 3);
  return m;
}

media::Image from_mat(const cv::Mat& m) {
  media::Image img;
  img.width = m.cols;
  img.height = m.rows;
  img.channels = 3;
  img.pixels.resize(static_cast<size_t>(m.cols) * m.rows * 3);
  for (int y = 0; y < m.rows; ++y) std::memcpy(img.row(y), m.ptr(y), static_cast<size_t>(m.cols) * 3);
  return img;
}

media::Image reencode(const media::Image& img, std::mt19937& rng, std::string& what) {
  static const int qualities[] = {50, 60, 75, 85, 90, 95};
  const int q = qualities[rng() % 6];
  if (rng() % 4 == 0) {
    what += " webp" + std::to_string(q);
    return media::decode_image(*make_memory_source(media::encode_webp(img, q)), {.force_rgb = true});
  }
  const bool full_chroma = rng() % 2 == 0;
  what += " jpeg" + std::to_string(q) + (full_chroma ? "-444" : "-420");
  const auto bytes = media::encode_jpeg(img, q, full_chroma ? media::Subsampling::S444 : media::Subsampling::S420);
  return media::decode_image(*make_memory_source(bytes), {.force_rgb = true});
}

// One random derivative of `src`: a crop (any offset, 256..1024 px sides), a rescale (0.3x..1.3x,
// area or linear), or both, then with probability 1/2 a JPEG or WebP re-encoding.
media::Image derive(const media::Image& src, std::mt19937& rng, std::string& what) {
  cv::Mat m = to_mat(src);
  const int kind = static_cast<int>(rng() % 3);
  if (kind != 1 && std::min(m.cols, m.rows) > 300) {
    const int w = 256 + static_cast<int>(rng() % static_cast<unsigned>(std::min(m.cols, 1024) - 255));
    const int h = 256 + static_cast<int>(rng() % static_cast<unsigned>(std::min(m.rows, 1024) - 255));
    const int x = static_cast<int>(rng() % static_cast<unsigned>(m.cols - w + 1));
    const int y = static_cast<int>(rng() % static_cast<unsigned>(m.rows - h + 1));
    m = m(cv::Rect(x, y, w, h)).clone();
    what += " crop" + std::to_string(w) + "x" + std::to_string(h) + "+" + std::to_string(x) + "+" + std::to_string(y);
  }
  if (kind != 0) {
    double f = 0.3 + static_cast<double>(rng() % 1000) / 1000.0;
    // Keep the area at the library's minimum or more, and the result at most ~1600 px wide.
    f = std::max(f, std::sqrt(65536.0 / (static_cast<double>(m.cols) * m.rows)) * 1.01);
    f = std::min(f, 1600.0 / std::max(m.cols, m.rows));
    const bool area = rng() % 2 == 0;
    cv::Mat out;
    cv::resize(m, out, cv::Size(), f, f, area ? cv::INTER_AREA : cv::INTER_LINEAR);
    m = out;
    what += " scale" + std::to_string(f).substr(0, 4) + (area ? "-area" : "-linear");
  }
  media::Image img = from_mat(m);
  if (rng() % 2 == 0) img = reencode(img, rng, what);
  return img;
}

int sweep(const std::vector<std::string>& dirs, bool crops) {
  std::vector<std::filesystem::path> files;
  for (const auto& d : dirs)
    for (const auto& e : std::filesystem::recursive_directory_iterator(d)) {
      if (!e.is_regular_file()) continue;
      std::string ext = e.path().extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".webp") files.push_back(e.path());
    }
  std::sort(files.begin(), files.end());
  std::mt19937 rng(20240611);
  int checked = 0, flagged = 0, skipped = 0;
  std::map<std::string, double> min_p;
  std::vector<std::pair<double, std::string>> closest;
  for (const auto& path : files) {
    media::Image src;
    try {
      src = media::decode_image_file(path.string(), {.force_rgb = true});
    } catch (const Error&) {
      ++skipped;
      continue;
    }
    // More derivatives from larger sources: one per ~150k pixels, 2..48 (plus the file itself).
    const double area = static_cast<double>(src.width) * src.height;
    const int derived = std::clamp(static_cast<int>(area / 150000), 2, 48);
    for (int i = 0; i <= derived; ++i) {
      std::string what = path.filename().string();
      const media::Image img = i == 0 ? src : derive(src, rng, what);
      if (static_cast<int64_t>(img.width) * img.height < 256 * 256) continue;
      ++checked;
      for (const auto& k : watermark::detect_known_marks(img, {.search_crops = crops})) {
        auto [it, fresh] = min_p.emplace(k.name, k.p_value);
        if (!fresh) it->second = std::min(it->second, k.p_value);
        closest.emplace_back(k.p_value, what + " " + k.name + " " + k.variant);
        if (k.detected) {
          ++flagged;
          std::printf("FLAGGED %s %s p=%.3g bits=%.3f\n", what.c_str(), k.name.c_str(), k.p_value, k.bit_accuracy);
        }
      }
      if (closest.size() > 64) {
        std::sort(closest.begin(), closest.end());
        closest.resize(8);
      }
    }
  }
  std::sort(closest.begin(), closest.end());
  std::printf("known-marks sweep: %zu source files (%d unreadable), %d images checked, %d flagged\n", files.size(),
              skipped, checked, flagged);
  for (const auto& [name, p] : min_p) std::printf("  smallest corrected p-value %-5s %.3g\n", name.c_str(), p);
  std::printf("  closest calls:\n");
  for (size_t i = 0; i < std::min<size_t>(5, closest.size()); ++i)
    std::printf("    p=%.3g %s\n", closest[i].first, closest[i].second.c_str());
  return flagged == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && (std::string(argv[1]) == "--sweep" || std::string(argv[1]) == "--sweep-crops")) {
    if (argc < 3) {
      std::fprintf(stderr, "usage: %s --sweep|--sweep-crops DIR...\n", argv[0]);
      return 2;
    }
    return sweep(std::vector<std::string>(argv + 2, argv + argc), std::string(argv[1]) == "--sweep-crops");
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
