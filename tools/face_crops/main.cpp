// face_crops: aligned face crops (the learned face detectors' input contract, face::align_face) of
// pictures and video frames, for training in tools/train/. Not part of the product or of CI:
//   cmake --build build --target face_crops
//   build/face_crops OUT_DIR [--fps F] FILE...
// Per input picture: the best face; per video: the best face of frames sampled at F per second
// (default 1). Writes OUT_DIR/<n>.png (128x128 RGB) and OUT_DIR/index.tsv with the source, the
// frame time, the detector score, the five detector landmarks (x0 y0 .. x4 y4) and, when dlib's
// model is installed, the 68 landmarks (p0x p0y .. p67x p67y), all in crop pixels.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "veritrace/face.hpp"
#include "veritrace/media.hpp"

using namespace veritrace;

namespace {

// Tight face crops (UTKFace, ORL) are framed with grey so the detector sees a face, not an edge.
std::optional<face::Face> best_face(const face::FaceDetector& det, const media::Image& im) {
  const int pad = std::max(im.width, im.height) / 2;
  media::Image big;
  big.width = im.width + 2 * pad;
  big.height = im.height + 2 * pad;
  big.channels = 3;
  big.pixels.assign(static_cast<size_t>(big.width) * big.height * 3, 128);
  for (int y = 0; y < im.height; ++y)
    std::copy(im.row(y), im.row(y) + static_cast<size_t>(im.width) * 3, big.row(y + pad) + static_cast<size_t>(pad) * 3);
  auto found = det.detect(big);
  if (found.empty()) return std::nullopt;
  face::Face f = found.front();
  f.x -= static_cast<float>(pad);
  f.y -= static_cast<float>(pad);
  for (auto& p : f.landmarks) {
    p.x -= static_cast<float>(pad);
    p.y -= static_cast<float>(pad);
  }
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: face_crops OUT_DIR [--fps F] FILE...\n";
    return 2;
  }
  const std::filesystem::path out = argv[1];
  std::filesystem::create_directories(out);
  double fps = 1.0;
  std::vector<std::string> inputs;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--fps" && i + 1 < argc) fps = std::stod(argv[++i]);
    else inputs.push_back(a);
  }
  face::FaceDetector detector;
  std::shared_ptr<const face::LandmarkModel> landmarks;
  try {
    landmarks = face::LandmarkModel::load(face::LandmarkModel::default_path());
  } catch (const std::exception& e) {
    std::cerr << "face_crops: no 68-point landmarks: " << e.what() << "\n";
  }
  std::ofstream index(out / "index.tsv");
  index << "crop\tsource\ttime_s\tscore";
  for (int j = 0; j < 5; ++j) index << "\tx" << j << "\ty" << j;
  if (landmarks)
    for (int j = 0; j < face::kLandmarkCount; ++j) index << "\tp" << j << "x\tp" << j << "y";
  index << "\n";
  int n = 0, missed = 0;
  auto emit = [&](const media::Image& im, const std::string& source, double t) {
    const auto f = best_face(detector, im);
    if (!f) {
      ++missed;
      return;
    }
    const media::Image crop = face::align_face(im, *f);
    const auto m = face::alignment_matrix(*f);
    char name[32];
    std::snprintf(name, sizeof name, "%06d.png", n++);
    const auto png = media::encode_png(crop);
    std::ofstream(out / name, std::ios::binary).write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
    index << name << "\t" << source << "\t" << t << "\t" << f->score;
    auto put = [&](const face::Point& p) { index << "\t" << m[0] * p.x + m[1] * p.y + m[2] << "\t" << m[3] * p.x + m[4] * p.y + m[5]; };
    for (const auto& p : f->landmarks) put(p);
    if (landmarks)
      for (const auto& p : landmarks->fit(im, *f)) put(p);
    index << "\n";
  };
  for (const auto& path : inputs) {
    try {
      auto src = open_file_source(path);
      if (media::sniff_image_format(*src) != media::ImageFormat::Unknown) {
        emit(media::to_rgb(media::decode_image(*src)), path, -1);
      } else {
        media::VideoReader reader(std::move(src), {.sample_fps = fps});
        while (auto f = reader.next()) emit(f->image, path, f->time_s);
      }
    } catch (const std::exception& e) {
      std::cerr << path << ": " << e.what() << "\n";
    }
  }
  std::cerr << "face_crops: " << n << " crops, " << missed << " pictures or frames without a face\n";
  return 0;
}
