// 68-point landmarks through dlib's shape predictor (face.hpp).
#include <dlib/image_processing/shape_predictor.h>
#include <dlib/serialize.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>

#include "veritrace/face.hpp"

namespace veritrace::face {

struct LandmarkModel::Impl {
  dlib::shape_predictor predictor;
};

LandmarkModel::LandmarkModel() : impl_(std::make_unique<Impl>()) {}
LandmarkModel::~LandmarkModel() = default;

std::string LandmarkModel::default_path() {
  if (const char* p = std::getenv("VERITRACE_LANDMARK_MODEL"); p && *p) return p;
  return "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";
}

std::shared_ptr<const LandmarkModel> LandmarkModel::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::Io, fmt::format("{}: cannot read the 68-point landmark model (Debian package libdlib-data)", path));
  std::shared_ptr<LandmarkModel> model(new LandmarkModel());
  try {
    dlib::deserialize(model->impl_->predictor, in);
  } catch (const std::exception& e) {
    throw Error(ErrorKind::Malformed, fmt::format("{}: not a dlib shape predictor ({})", path, e.what()));
  }
  if (model->impl_->predictor.num_parts() != static_cast<unsigned long>(kLandmarkCount))
    throw Error(ErrorKind::Malformed, fmt::format("{}: the shape predictor has {} points, not {}", path,
                                                  model->impl_->predictor.num_parts(), kLandmarkCount));
  return model;
}

namespace {

// dlib's 68-point model was trained on the boxes of its HOG face detector: roughly square, from
// the brows to the chin. We place that box from the five detector landmarks (eye and mouth
// centres). The factors were chosen on 120 UTKFace faces, where dlib's eye centres, mouth corners
// and nose tip then fall within 0.08 eye distances of the detector's (a flat optimum between
// 1.8 and 2.7 for the scale; docs/detection-video.md, "Landmarks").
constexpr float kBoxScale = 2.05f;   // box side over the eye-centre to mouth-centre distance
constexpr float kBoxShift = 0.10f;   // box centre below the eye-mouth midpoint, same unit

// A grey crop round the box (dlib reads pixels a little outside it) in dlib's image form.
struct GreyPatch {
  dlib::array2d<unsigned char> pixels;
  long x0 = 0, y0 = 0;
};

GreyPatch grey_patch(const media::Image& rgb, long left, long top, long right, long bottom) {
  const long margin = std::max(8L, (right - left) / 4);
  GreyPatch g;
  g.x0 = std::max(0L, left - margin);
  g.y0 = std::max(0L, top - margin);
  const long x1 = std::min<long>(rgb.width, right + margin), y1 = std::min<long>(rgb.height, bottom + margin);
  const long w = std::max(1L, x1 - g.x0), h = std::max(1L, y1 - g.y0);
  g.pixels.set_size(h, w);
  for (long y = 0; y < h; ++y) {
    const long sy = std::clamp(g.y0 + y, 0L, static_cast<long>(rgb.height) - 1);
    const uint8_t* row = rgb.row(static_cast<int>(sy));
    for (long x = 0; x < w; ++x) {
      const long sx = std::clamp(g.x0 + x, 0L, static_cast<long>(rgb.width) - 1);
      const uint8_t* p = row + sx * 3;
      g.pixels[y][x] = static_cast<unsigned char>((77 * p[0] + 150 * p[1] + 29 * p[2] + 128) >> 8);
    }
  }
  return g;
}

}  // namespace

Landmarks68 LandmarkModel::fit(const media::Image& rgb, const Face& face) const {
  if (rgb.empty() || rgb.channels != 3) throw Error(ErrorKind::Usage, "landmarks need a 3-channel RGB image");
  const auto& L = face.landmarks;
  const float ex = 0.5f * (L[kRightEye].x + L[kLeftEye].x), ey = 0.5f * (L[kRightEye].y + L[kLeftEye].y);
  const float mx = 0.5f * (L[kRightMouth].x + L[kLeftMouth].x), my = 0.5f * (L[kRightMouth].y + L[kLeftMouth].y);
  const float vx = mx - ex, vy = my - ey;
  const float len = std::max(2.0f, std::hypot(vx, vy));
  const float cx = 0.5f * (ex + mx) + kBoxShift * vx, cy = 0.5f * (ey + my) + kBoxShift * vy;
  const float half = 0.5f * kBoxScale * len;
  const long left = std::lround(cx - half), top = std::lround(cy - half);
  const long right = std::lround(cx + half), bottom = std::lround(cy + half);
  const GreyPatch g = grey_patch(rgb, left, top, right, bottom);
  const dlib::rectangle box(left - g.x0, top - g.y0, right - g.x0, bottom - g.y0);
  const dlib::full_object_detection shape = impl_->predictor(g.pixels, box);
  Landmarks68 out{};
  for (unsigned long i = 0; i < shape.num_parts() && i < out.size(); ++i)
    out[i] = Point{static_cast<float>(shape.part(i).x() + g.x0), static_cast<float>(shape.part(i).y() + g.y0)};
  return out;
}

namespace {
float dist(const Point& a, const Point& b) { return std::hypot(a.x - b.x, a.y - b.y); }
}  // namespace

float eye_aspect_ratio(const Landmarks68& lm, bool subject_right) {
  const size_t o = subject_right ? 36 : 42;  // corners o and o+3; upper lid o+1, o+2; lower o+5, o+4
  const float width = dist(lm[o], lm[o + 3]);
  if (width < 1e-3f) return 0.0f;
  return (dist(lm[o + 1], lm[o + 5]) + dist(lm[o + 2], lm[o + 4])) / (2.0f * width);
}

float mouth_opening(const Landmarks68& lm) {
  const float width = dist(lm[48], lm[54]);
  if (width < 1e-3f) return 0.0f;
  return (dist(lm[61], lm[67]) + dist(lm[62], lm[66]) + dist(lm[63], lm[65])) / (3.0f * width);
}

}  // namespace veritrace::face
