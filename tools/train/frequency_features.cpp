// Feature dump for fitting the `frequency` detector (tools/train/fit_frequency.py). It runs the
// detector itself and prints its evidence numbers, so the features fitted are exactly the ones the
// detector computes. Build and use: docs/detection-frequency.md.
//
//   frequency_features labels LABELS.tsv [--crop x,y,w,h]   one row per labelled file
//   frequency_features synth SEED CROPS FILE...   synthetic pairs from camera photos (below)
//
// Synthetic pairs (the literature's simulation of generator up-sampling, e.g. Zhang et al. 2019
// "AutoGAN"): from each photo, CROPS random square crops (400-900 px) are reduced to a 256 px
// "native" image with area averaging. Real variant: the native image resized to 356 px (bilinear
// or bicubic, like the dev set's web page). Fake variants: the native image halved (area) and
// up-sampled 2x back to 256 by nearest, bilinear or a transposed-convolution-like kernel (zeros
// inserted, then a 4 x 4 kernel with uneven phases: a mild checkerboard), then resized to 356 px
// the same way. Every variant is saved as JPEG q75 4:2:0 and decoded again, as gan_dev was.
// Output columns: file label group variant then the detector's numbers.
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "detect/detectors/detectors.hpp"
#include "veritrace/core.hpp"
#include "veritrace/media.hpp"

namespace vd = veritrace::detect;
namespace vm = veritrace::media;

namespace {

const char* const kNames[] = {"hf_ratio", "vhf_ratio", "slope", "grid2", "grid4", "grid8", "offgrid_peak",
                              "resid_rms", "content_std", "sat_mean", "sat_std", "clip_share", "score"};

void header() {
  std::cout << "file\tlabel\tgroup\tvariant";
  for (const char* n : kNames) std::cout << '\t' << n;
  std::cout << '\n';
}

bool emit(const vd::Detector& det, const vm::Image& img, const std::string& file, const std::string& label,
          const std::string& group, const std::string& variant) {
  vd::Sample s;
  s.path = file;
  s.image = &img;
  const vd::DetectorResult r = det.run(s);
  if (r.status != vd::Status::Applied) {
    std::cerr << file << ": " << r.reason << '\n';
    return false;
  }
  std::cout << file << '\t' << label << '\t' << group << '\t' << variant;
  for (const char* n : kNames) {
    double v = std::string(n) == "score" ? *r.score : NAN;
    for (const auto& [k, x] : r.evidence.numbers)
      if (k == n) v = x;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    std::cout << '\t' << buf;
  }
  std::cout << '\n';
  return true;
}

cv::Mat to_mat(const vm::Image& img) {
  return cv::Mat(img.height, img.width, CV_8UC(img.channels), const_cast<uint8_t*>(img.pixels.data())).clone();
}

vm::Image from_mat(const cv::Mat& m) {
  vm::Image img;
  img.width = m.cols, img.height = m.rows, img.channels = m.channels();
  const cv::Mat c = m.isContinuous() ? m : m.clone();
  img.pixels.assign(c.data, c.data + c.total() * c.elemSize());
  return img;
}

vm::Image jpeg75(const cv::Mat& m) {
  const auto bytes = vm::encode_jpeg(from_mat(m), 75, vm::Subsampling::S420);
  return vm::decode_image(*veritrace::make_memory_source(bytes));
}

// Transposed-convolution-like 2x up-sampling: zeros inserted, then a 4 x 4 kernel whose four
// phases have slightly different gains and shapes (what an imperfectly trained layer leaves).
cv::Mat transposed_up(const cv::Mat& src, std::mt19937& rng) {
  cv::Mat f;
  src.convertTo(f, CV_32F);
  cv::Mat z = cv::Mat::zeros(src.rows * 2, src.cols * 2, f.type());
  for (int y = 0; y < src.rows; ++y)
    for (int x = 0; x < src.cols; ++x) z.at<cv::Vec3f>(2 * y, 2 * x) = f.at<cv::Vec3f>(y, x);
  const float base[4] = {0.25f, 0.75f, 0.75f, 0.25f};  // bilinear, stride 2
  std::uniform_real_distribution<float> jitter(-0.12f, 0.12f);
  cv::Mat k(4, 4, CV_32F);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) k.at<float>(i, j) = base[i] * base[j] + jitter(rng) * base[i] * base[j];
  // Normalise each phase to a gain near 1 but not exactly (checkerboard).
  std::uniform_real_distribution<float> gain(0.93f, 1.07f);
  for (int pi = 0; pi < 2; ++pi)
    for (int pj = 0; pj < 2; ++pj) {
      float s = 0;
      for (int i = pi; i < 4; i += 2)
        for (int j = pj; j < 4; j += 2) s += k.at<float>(i, j);
      const float g = gain(rng) / s;
      for (int i = pi; i < 4; i += 2)
        for (int j = pj; j < 4; j += 2) k.at<float>(i, j) *= g;
    }
  cv::Mat out;
  cv::filter2D(z, out, -1, k, cv::Point(1, 1), 0, cv::BORDER_REFLECT);
  cv::Mat u8;
  out.convertTo(u8, CV_8U);
  return u8;
}

// crop: x, y, w, h of the region to analyse (w = 0: the whole image). gan_dev needs one: every file
// is the 256 px picture inside a coloured frame (coloured for fakes, dark grey for reals), so whole
// files carry the label in the frame (docs/detection-frequency.md).
int labels_mode(const std::string& tsv, const cv::Rect& crop) {
  std::ifstream in(tsv);
  if (!in) {
    std::cerr << "cannot read " << tsv << '\n';
    return 2;
  }
  const std::string dir = tsv.substr(0, tsv.find_last_of('/') + 1);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> cols;
  {
    std::stringstream ss(line);
    std::string c;
    while (std::getline(ss, c, '\t')) cols.push_back(c);
  }
  int gcol = -1;
  for (size_t i = 0; i < cols.size(); ++i)
    if (cols[i] == "generator") gcol = static_cast<int>(i);
  const auto det = vd::make_frequency_detector();
  header();
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string c;
    while (std::getline(ss, c, '\t')) f.push_back(c);
    if (f.size() < 2) continue;
    const std::string group = gcol >= 0 && gcol < static_cast<int>(f.size()) ? f[gcol] : "-";
    try {
      vm::DecodeOptions o;
      o.apply_exif_orientation = false;
      const vm::Image img = vm::decode_image_file(dir + f[0], o);
      if (crop.width > 0) {
        const cv::Mat m = to_mat(img);
        if ((crop & cv::Rect(0, 0, m.cols, m.rows)) != crop) throw std::runtime_error("crop outside the image");
        emit(*det, from_mat(m(crop).clone()), f[0], f[1], group, "crop");
      } else {
        emit(*det, img, f[0], f[1], group, "file");
      }
    } catch (const std::exception& e) {
      std::cerr << f[0] << ": " << e.what() << '\n';
    }
  }
  return 0;
}

int synth_mode(unsigned seed, int crops, const std::vector<std::string>& files) {
  const auto det = vd::make_frequency_detector();
  header();
  std::mt19937 rng(seed);
  for (const std::string& path : files) {
    vm::DecodeOptions o;
    o.force_rgb = true;
    const cv::Mat photo = to_mat(vm::decode_image_file(path, o));
    const std::string base = path.substr(path.find_last_of('/') + 1);
    for (int c = 0; c < crops; ++c) {
      const int maxs = std::min(photo.cols, photo.rows);
      const int side = std::uniform_int_distribution<int>(std::min(400, maxs), std::min(900, maxs))(rng);
      const int x0 = std::uniform_int_distribution<int>(0, photo.cols - side)(rng);
      const int y0 = std::uniform_int_distribution<int>(0, photo.rows - side)(rng);
      cv::Mat native, half;
      cv::resize(photo(cv::Rect(x0, y0, side, side)), native, cv::Size(256, 256), 0, 0, cv::INTER_AREA);
      cv::resize(native, half, cv::Size(128, 128), 0, 0, cv::INTER_AREA);
      const int final_interp = std::uniform_int_distribution<int>(0, 1)(rng) ? cv::INTER_LINEAR : cv::INTER_CUBIC;
      auto finish = [&](const cv::Mat& m256) {
        cv::Mat out;
        cv::resize(m256, out, cv::Size(356, 356), 0, 0, final_interp);
        return jpeg75(out);
      };
      const std::string id = base + "#" + std::to_string(c);
      emit(*det, finish(native), id, "real", "synthetic", "native");
      cv::Mat up;
      const int kind = c % 3;
      if (kind == 0) {
        cv::resize(half, up, cv::Size(256, 256), 0, 0, cv::INTER_NEAREST);
      } else if (kind == 1) {
        cv::resize(half, up, cv::Size(256, 256), 0, 0, cv::INTER_LINEAR);
      } else {
        up = transposed_up(half, rng);
      }
      const char* names[] = {"nearest", "bilinear", "transposed"};
      emit(*det, finish(up), id, "fake", "synthetic", names[kind]);
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "labels" && argc == 3) return labels_mode(argv[2], cv::Rect());
    if (mode == "labels" && argc == 5 && std::string(argv[3]) == "--crop") {
      cv::Rect r;
      if (std::sscanf(argv[4], "%d,%d,%d,%d", &r.x, &r.y, &r.width, &r.height) != 4 || r.width <= 0 || r.height <= 0)
        throw std::runtime_error("--crop wants x,y,w,h");
      return labels_mode(argv[2], r);
    }
    if (mode == "synth" && argc >= 5) {
      std::vector<std::string> files(argv + 4, argv + argc);
      return synth_mode(static_cast<unsigned>(std::stoul(argv[2])), std::stoi(argv[3]), files);
    }
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << '\n';
    return 1;
  }
  std::cerr << "usage: frequency_features labels LABELS.tsv [--crop x,y,w,h] | synth SEED CROPS FILE...\n";
  return 2;
}
