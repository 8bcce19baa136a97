// The Veritrace watermark robustness table: embeds a random payload in every image of a folder
// (and its subfolders; rescaled and cropped to 1920x1080, or 512x512 with --size 512), applies every attack of issue 4
// and prints PSNR/SSIM and, per attack, bit accuracy and exact-match rate. --unmarked instead
// runs detection over >= 2,000 unmarked images (the photos, crops, re-encodings, flips, rescales
// and synthetic flat/gradient/noise/periodic images) and counts false detections.
//
//   bench_watermark_robustness [--dir DIR] [--size 1080|512] [--limit N] [--seed S]
//                              [--only NAME-PART] [--attacks none,jpeg50,...] [--verbose]
//   bench_watermark_robustness --unmarked [--dir DIR] [--count 2000]
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "watermark/wm_quality.hpp"
#include "veritrace/core.hpp"
#include "veritrace/media.hpp"
#include "veritrace/watermark.hpp"
#include "watermark/wm_detect_internal.hpp"
#include "watermark/wm_common.hpp"
#include "watermark/wm_pattern.hpp"
#include "watermark/wm_sync.hpp"

namespace fs = std::filesystem;
using veritrace::media::Image;
namespace wm = veritrace::watermark;
namespace media = veritrace::media;

namespace {

cv::Mat to_mat(const Image& img) {
  return cv::Mat(img.height, img.width, CV_8UC(img.channels), const_cast<uint8_t*>(img.pixels.data())).clone();
}

Image to_image(const cv::Mat& m) {
  Image img;
  img.width = m.cols;
  img.height = m.rows;
  img.channels = m.channels();
  cv::Mat c = m.isContinuous() ? m : m.clone();
  img.pixels.assign(c.data, c.data + c.total() * c.elemSize());
  return img;
}

// Scales to cover w x h, then crops the centre.
cv::Mat cover(const cv::Mat& m, int w, int h) {
  const double f = std::max(static_cast<double>(w) / m.cols, static_cast<double>(h) / m.rows);
  cv::Mat scaled;
  cv::resize(m, scaled, cv::Size(std::max(w, static_cast<int>(std::ceil(m.cols * f))), std::max(h, static_cast<int>(std::ceil(m.rows * f)))), 0, 0,
             f < 1 ? cv::INTER_AREA : cv::INTER_CUBIC);
  return scaled(cv::Rect((scaled.cols - w) / 2, (scaled.rows - h) / 2, w, h)).clone();
}

Image reencode(const Image& img, media::ImageFormat format, int quality) {
  const auto bytes = media::encode_image(img, format, quality);
  return media::decode_image(*veritrace::make_memory_source(bytes));
}

cv::Mat rotate(const cv::Mat& m, double degrees, bool crop_corners) {
  const cv::Point2f centre(m.cols / 2.0f, m.rows / 2.0f);
  cv::Mat rot = cv::getRotationMatrix2D(centre, degrees, 1.0), out;
  cv::warpAffine(m, out, rot, m.size(), cv::INTER_CUBIC, cv::BORDER_CONSTANT, cv::Scalar::all(0));
  if (!crop_corners) return out;
  // Largest axis-aligned rectangle of the same aspect inside the rotated frame.
  const double t = std::fabs(degrees) * CV_PI / 180.0, w = m.cols, h = m.rows;
  const double s = std::min(w / (w * std::cos(t) + h * std::sin(t)), h / (w * std::sin(t) + h * std::cos(t)));
  const int cw = static_cast<int>(w * s) - 2, ch = static_cast<int>(h * s) - 2;
  return out(cv::Rect((m.cols - cw) / 2, (m.rows - ch) / 2, cw, ch)).clone();
}

cv::Mat crop_area(const cv::Mat& m, double area, std::mt19937_64& rng) {
  const double f = std::sqrt(area);
  const int w = static_cast<int>(m.cols * f), h = static_cast<int>(m.rows * f);
  std::uniform_int_distribution<int> ox(0, m.cols - w), oy(0, m.rows - h);
  return m(cv::Rect(ox(rng), oy(rng), w, h)).clone();
}

cv::Mat lut(const cv::Mat& m, const std::function<double(double)>& f) {
  cv::Mat table(1, 256, CV_8U), out;
  for (int i = 0; i < 256; ++i) table.at<uint8_t>(i) = cv::saturate_cast<uint8_t>(f(i));
  cv::LUT(m, table, out);
  return out;
}

bool g_verbose = false;
std::string g_only;     // a file name substring
std::string g_attacks;  // comma-separated attack names; empty: all

using Attack = std::function<Image(const Image&, std::mt19937_64&)>;

std::vector<std::pair<std::string, Attack>> attacks() {
  using media::ImageFormat;
  auto mat = [](auto f) {
    return [f](const Image& img, std::mt19937_64& rng) { return to_image(f(to_mat(img), rng)); };
  };
  std::vector<std::pair<std::string, Attack>> list = {
      {"none", [](const Image& i, std::mt19937_64&) { return i; }},
      {"png", [](const Image& i, std::mt19937_64&) { return reencode(i, ImageFormat::Png, 0); }},
      {"jpeg90", [](const Image& i, std::mt19937_64&) { return reencode(i, ImageFormat::Jpeg, 90); }},
      {"jpeg75", [](const Image& i, std::mt19937_64&) { return reencode(i, ImageFormat::Jpeg, 75); }},
      {"jpeg50", [](const Image& i, std::mt19937_64&) { return reencode(i, ImageFormat::Jpeg, 50); }},
      {"webp75", [](const Image& i, std::mt19937_64&) { return reencode(i, ImageFormat::WebP, 75); }},
      {"resize0.5+back", mat([](const cv::Mat& m, std::mt19937_64&) {
         cv::Mat s, b;
         cv::resize(m, s, cv::Size(m.cols / 2, m.rows / 2), 0, 0, cv::INTER_AREA);
         cv::resize(s, b, m.size(), 0, 0, cv::INTER_LINEAR);
         return b;
       })},
      {"resize0.75", mat([](const cv::Mat& m, std::mt19937_64&) {
         cv::Mat s;
         cv::resize(m, s, cv::Size(m.cols * 3 / 4, m.rows * 3 / 4), 0, 0, cv::INTER_AREA);
         return s;
       })},
      {"crop50%", mat([](const cv::Mat& m, std::mt19937_64& rng) { return crop_area(m, 0.5, rng); })},
  };
  for (int deg : {1, 2, 3, 4, 5})
    list.push_back({"rotate" + std::to_string(deg), mat([deg](const cv::Mat& m, std::mt19937_64&) { return rotate(m, deg, false); })});
  for (int deg : {1, 3, 5})
    list.push_back({"rotate" + std::to_string(deg) + "+crop", mat([deg](const cv::Mat& m, std::mt19937_64&) { return rotate(m, deg, true); })});
  list.push_back({"brightness1.2", mat([](const cv::Mat& m, std::mt19937_64&) { return lut(m, [](double v) { return v * 1.2; }); })});
  list.push_back({"contrast0.8", mat([](const cv::Mat& m, std::mt19937_64&) { return lut(m, [](double v) { return 128 + 0.8 * (v - 128); }); })});
  list.push_back({"gamma0.8", mat([](const cv::Mat& m, std::mt19937_64&) { return lut(m, [](double v) { return 255 * std::pow(v / 255, 0.8); }); })});
  list.push_back({"noise5", mat([](const cv::Mat& m, std::mt19937_64& rng) {
                    cv::Mat noise(m.size(), CV_32FC(m.channels())), f, out;
                    cv::theRNG().state = rng();
                    cv::randn(noise, 0, 5);
                    m.convertTo(f, CV_32F);
                    f += noise;
                    f.convertTo(out, CV_8U);
                    return out;
                  })});
  list.push_back({"median3", mat([](const cv::Mat& m, std::mt19937_64&) {
                    cv::Mat out;
                    cv::medianBlur(m, out, 3);
                    return out;
                  })});
  list.push_back({"jpeg75+crop80%+rot1", [](const Image& i, std::mt19937_64& rng) {
                    auto m = crop_area(rotate(to_mat(i), 1, false), 0.8, rng);
                    return reencode(to_image(m), ImageFormat::Jpeg, 75);
                  }});
  return list;
}

using veritrace::watermark::detail::psnr;
using veritrace::watermark::detail::ssim;

std::vector<fs::path> list_images(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    auto ext = e.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
    if (ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".webp") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Thread CPU time (the machine may be shared; wall time would count other processes).
double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

// At the embedding geometry (attacks that keep it): the coded bits' soft values against the true
// code word, as an SNR (mean / standard deviation of soft * sign) and raw bit error rate: the
// channel the code sees, before the sync search and the list decoder.
std::pair<double, double> oracle_channel(const Image& attacked, uint64_t payload, int cell) {
  namespace d = wm::detail;
  const auto work = d::make_work_image(d::luma(attacked));
  const auto folded = d::fold(work.residual, d::Lattice{cell * d::kCells / work.downscale, 0.0, 0.0});
  const auto coded = d::encode_message({payload, cell});
  double best_snr = -1e9, best_ber = 1;
  for (int dy = -2; dy <= 2; ++dy)
    for (int dx = -2; dx <= 2; ++dx) {
      const auto soft = d::read_soft_bits(folded, {0, (dx + d::kFoldBins) % d::kFoldBins, (dy + d::kFoldBins) % d::kFoldBins, 0});
      double sum = 0, sum2 = 0;
      int errors = 0;
      for (size_t i = 0; i < soft.size(); ++i) {
        const double v = coded[i] ? soft[i] : -soft[i];
        sum += v, sum2 += v * v, errors += v <= 0;
      }
      const double n = static_cast<double>(soft.size()), mean = sum / n, sd = std::sqrt(std::max(1e-12, sum2 / n - mean * mean));
      if (mean / sd > best_snr) best_snr = mean / sd, best_ber = errors / n;
    }
  return {best_snr, best_ber};
}

int run_marked(const std::vector<fs::path>& files, int side, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const int w = side == 512 ? 512 : 1920, h = side == 512 ? 512 : 1080;
  auto list = attacks();
  if (!g_attacks.empty())
    std::erase_if(list, [](const auto& a) { return ("," + g_attacks + ",").find("," + a.first + ",") == std::string::npos; });
  struct Stat {
    int n = 0, exact = 0, wrong = 0;
    double bits = 0;
    double ms = 0;
  };
  std::map<std::string, Stat> stats;
  std::vector<double> psnrs, ssims, embed_ms;
  std::map<std::string, std::vector<double>> oracle_snr;
  for (const auto& file : files) {
    const Image original = to_image(cover(to_mat(media::to_rgb(media::decode_image_file(file.string()))), w, h));
    const uint64_t payload = rng();
    double t0 = cpu_ms();
    const Image marked = wm::embed(original, payload);
    embed_ms.push_back(cpu_ms() - t0);
    psnrs.push_back(psnr(original, marked));
    ssims.push_back(ssim(original, marked));
    std::string failures;
    for (const auto& [name, attack] : list) {
      const Image attacked = attack(marked, rng);
      t0 = cpu_ms();
      const auto trace = wm::detail::detect_with_trace(attacked);
      auto& s = stats[name];
      s.ms += cpu_ms() - t0;
      ++s.n;
      const auto& d = trace.detection;
      if (d.found && *d.payload == payload) ++s.exact;
      if (d.found && *d.payload != payload) ++s.wrong;
      int ok = 0;
      for (int i = 0; i < 64; ++i)
        ok += trace.best_info_bits.size() == 102 && trace.best_info_bits[static_cast<size_t>(i)] == ((payload >> (63 - i)) & 1);
      s.bits += ok / 64.0;
      if (!(d.found && *d.payload == payload)) failures += " " + name;
      if (g_verbose) {
        std::printf("  %-22s found %d attempts %d period %.2f angle %.2f sync z %.2f agreement %.3f", name.c_str(), d.found, trace.attempts,
                    trace.lattice_period, trace.lattice_angle, trace.best_sync_z, trace.best_agreement);
        if (attacked.width == marked.width && attacked.height == marked.height) {
          const auto [snr, ber] = oracle_channel(attacked, payload, wm::detail::cell_size_for(w, h));
          std::printf(" oracle snr %.2f ber %.3f", snr, ber);
          oracle_snr[name].push_back(snr);
        }
        std::printf("\n");
      }
    }
    std::printf("%-45s PSNR %.2f SSIM %.4f%s%s\n", file.filename().string().c_str(), psnrs.back(), ssims.back(),
                failures.empty() ? "" : "  missed:", failures.c_str());
    std::fflush(stdout);
  }
  std::printf("\n%zu images at %dx%d; PSNR min %.2f median %.2f dB; SSIM min %.4f median %.4f; embed median %.1f ms CPU\n\n", files.size(), w, h,
              *std::min_element(psnrs.begin(), psnrs.end()), median(psnrs), *std::min_element(ssims.begin(), ssims.end()), median(ssims),
              median(embed_ms));
  std::printf("| attack | bit accuracy | exact match | wrong payload | mean detect CPU ms |\n| --- | --- | --- | --- | --- |\n");
  for (const auto& [name, attack] : list) {
    const auto& s = stats[name];
    std::printf("| %s | %.4f | %d/%d (%.1f%%) | %d | %.1f |\n", name.c_str(), s.bits / s.n, s.exact, s.n, 100.0 * s.exact / s.n, s.wrong, s.ms / s.n);
  }
  for (auto& [name, v] : oracle_snr) {
    std::sort(v.begin(), v.end());
    std::printf("oracle channel SNR %-14s min %.2f  10%% %.2f  median %.2f\n", name.c_str(), v.front(), v[v.size() / 10], median(v));
  }
  return 0;
}

// Unmarked images: every photo at several sizes, crops, re-encodings, flips; synthetic images.
int run_unmarked(const std::vector<fs::path>& files, int count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<cv::Mat> photos;
  for (const auto& f : files) photos.push_back(to_mat(media::to_rgb(media::decode_image_file(f.string()))));
  int tested = 0, found = 0;
  std::map<std::string, std::pair<int, int>> per_kind;
  auto check = [&](const std::string& kind, const Image& img) {
    const auto d = wm::detect(img);
    ++tested;
    auto& k = per_kind[kind];
    ++k.first;
    if (d.found) {
      ++found, ++k.second;
      std::printf("FALSE DETECTION: %s #%d payload %016llx\n", kind.c_str(), tested, static_cast<unsigned long long>(*d.payload));
    }
  };
  std::uniform_real_distribution<double> unit(0, 1);
  for (int i = 0; tested < count; ++i) {
    const int kind = i % 8;
    if (kind < 5 && !photos.empty()) {
      const cv::Mat& p = photos[static_cast<size_t>(rng() % photos.size())];
      cv::Mat m;
      if (kind == 0) {  // the photo rescaled to a random size
        const double f = 0.2 + 0.8 * unit(rng);
        cv::resize(p, m, cv::Size(std::max(256, static_cast<int>(p.cols * f)), std::max(256, static_cast<int>(p.rows * f))), 0, 0, cv::INTER_AREA);
      } else {  // a crop at a random offset and size
        const int w = 256 + static_cast<int>(rng() % static_cast<uint64_t>(p.cols - 255));
        const int h = 256 + static_cast<int>(rng() % static_cast<uint64_t>(p.rows - 255));
        m = p(cv::Rect(static_cast<int>(rng() % static_cast<uint64_t>(p.cols - w + 1)), static_cast<int>(rng() % static_cast<uint64_t>(p.rows - h + 1)), w, h))
                .clone();
      }
      if (kind == 2) cv::flip(m, m, 1);
      if (kind == 3) cv::rotate(m, m, cv::ROTATE_90_CLOCKWISE);
      Image img = to_image(m);
      if (kind == 4 || kind == 1) img = reencode(img, rng() % 2 ? media::ImageFormat::Jpeg : media::ImageFormat::WebP, 30 + static_cast<int>(rng() % 66));
      check(kind == 0 ? "photo-rescaled" : kind == 2 ? "photo-crop-flip" : kind == 3 ? "photo-crop-rot90" : "photo-crop-reencoded", img);
    } else {
      const int w = 256 + static_cast<int>(rng() % 1700), h = 256 + static_cast<int>(rng() % 900);
      cv::Mat m(h, w, CV_8UC3);
      const int synth = static_cast<int>(rng() % 5);
      std::string name;
      if (synth == 0) {
        m.setTo(cv::Scalar(static_cast<double>(rng() % 256), static_cast<double>(rng() % 256), static_cast<double>(rng() % 256)));
        name = "flat";
      } else if (synth == 1) {
        const double gx = unit(rng) * 2 - 1, gy = unit(rng) * 2 - 1, base = unit(rng) * 255;
        for (int y = 0; y < h; ++y)
          for (int x = 0; x < w; ++x)
            m.at<cv::Vec3b>(y, x) = cv::Vec3b::all(cv::saturate_cast<uint8_t>(base + gx * x * 255.0 / w + gy * y * 255.0 / h));
        name = "gradient";
      } else if (synth == 2) {
        cv::theRNG().state = rng();
        cv::randn(m, cv::Scalar::all(128), cv::Scalar::all(5 + unit(rng) * 60));
        if (rng() % 2) cv::GaussianBlur(m, m, cv::Size(0, 0), 0.5 + 3 * unit(rng));
        name = "noise";
      } else if (synth == 3) {  // periodic patterns: stripes and checkerboards of random period
        const int period = 4 + static_cast<int>(rng() % 200);
        const bool checker = rng() % 2;
        for (int y = 0; y < h; ++y)
          for (int x = 0; x < w; ++x) {
            const bool on = checker ? (((x / period) + (y / period)) % 2) : ((x / period) % 2);
            m.at<cv::Vec3b>(y, x) = cv::Vec3b::all(on ? 200 : 50);
          }
        if (rng() % 2) cv::GaussianBlur(m, m, cv::Size(0, 0), 1.0);
        name = "periodic";
      } else {  // a tiled random texture: periodic like our mark, but not it
        const int period = 32 + static_cast<int>(rng() % 300);
        cv::Mat tile(period, period, CV_8UC3);
        cv::theRNG().state = rng();
        cv::randu(tile, cv::Scalar::all(0), cv::Scalar::all(255));
        cv::GaussianBlur(tile, tile, cv::Size(0, 0), 1.0 + 3 * unit(rng), 0, cv::BORDER_WRAP);
        for (int y = 0; y < h; ++y)
          for (int x = 0; x < w; ++x) m.at<cv::Vec3b>(y, x) = tile.at<cv::Vec3b>(y % period, x % period);
        name = "tiled-texture";
      }
      check(name, to_image(m));
    }
    if (tested % 200 == 0) {
      std::printf("%d tested, %d detections\n", tested, found);
      std::fflush(stdout);
    }
  }
  std::printf("\n| unmarked kind | images | detections |\n| --- | --- | --- |\n");
  for (const auto& [k, v] : per_kind) std::printf("| %s | %d | %d |\n", k.c_str(), v.first, v.second);
  std::printf("| total | %d | %d |\n", tested, found);
  return found == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  cv::setNumThreads(1);
  std::string dir;
  if (const char* shared = std::getenv("VERITRACE_SHARED")) dir = std::string(shared) + "/data/images/photos";
  else dir = "../shared/data/images/photos";
  int side = 1080, limit = 0, count = 2000;
  uint64_t seed = 1;
  bool unmarked = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--dir") dir = value();
    else if (a == "--size") side = std::stoi(value());
    else if (a == "--limit") limit = std::stoi(value());
    else if (a == "--count") count = std::stoi(value());
    else if (a == "--seed") seed = std::stoull(value());
    else if (a == "--unmarked") unmarked = true;
    else if (a == "--verbose") g_verbose = true;
    else if (a == "--only") g_only = value();
    else if (a == "--attacks") g_attacks = value();
    else {
      std::fprintf(stderr, "usage: %s [--dir DIR] [--size 1080|512] [--limit N] [--seed S] [--unmarked [--count N]]\n", argv[0]);
      return 2;
    }
  }
  if (!fs::is_directory(dir)) {
    std::fprintf(stderr, "no image folder %s (set --dir or VERITRACE_SHARED)\n", dir.c_str());
    return 3;
  }
  auto files = list_images(dir);
  if (!g_only.empty()) std::erase_if(files, [](const fs::path& f) { return f.filename().string().find(g_only) == std::string::npos; });
  if (limit > 0 && static_cast<int>(files.size()) > limit) files.resize(static_cast<size_t>(limit));
  try {
    return unmarked ? run_unmarked(files, count, seed) : run_marked(files, side, seed);
  } catch (const veritrace::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 4;
  }
}
