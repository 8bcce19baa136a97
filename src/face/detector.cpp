// YuNet face detection through OpenCV dnn, with our own decoding of the network's twelve output
// heads (models/face/yunet.md): per stride s in {8, 16, 32}, one anchor point per grid cell, a
// class and an objectness score (already sigmoid), a box as (dx, dy, log w, log h) in stride units
// and five landmarks as offsets from the cell; then non-maximum suppression.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "veritrace/face.hpp"

extern "C" const unsigned char vt_face_yunet_begin[], vt_face_yunet_end[];

namespace veritrace::face {

namespace {

constexpr int kStrides[3] = {8, 16, 32};

cv::dnn::Net load_yunet() {
  try {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(reinterpret_cast<const char*>(vt_face_yunet_begin),
                                                static_cast<size_t>(vt_face_yunet_end - vt_face_yunet_begin));
    if (net.empty()) throw Error(ErrorKind::Internal, "the built-in face detector network is empty");
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    return net;
  } catch (const cv::Exception& e) {
    throw Error(ErrorKind::Internal, fmt::format("cannot load the built-in face detector: {}", e.what()));
  }
}

float clamp01(float v) { return std::min(1.0f, std::max(0.0f, v)); }

}  // namespace

float iou(const Face& a, const Face& b) {
  const float x0 = std::max(a.x, b.x), y0 = std::max(a.y, b.y);
  const float x1 = std::min(a.x + a.width, b.x + b.width), y1 = std::min(a.y + a.height, b.y + b.height);
  const float inter = std::max(0.0f, x1 - x0) * std::max(0.0f, y1 - y0);
  const float uni = a.width * a.height + b.width * b.height - inter;
  return uni > 0 ? inter / uni : 0.0f;
}

struct FaceDetector::Impl {
  DetectorOptions options;
  std::vector<std::string> output_names;
  mutable std::mutex mutex;
  mutable std::vector<std::unique_ptr<cv::dnn::Net>> free_nets;

  std::unique_ptr<cv::dnn::Net> acquire() const {
    {
      std::lock_guard lock(mutex);
      if (!free_nets.empty()) {
        auto n = std::move(free_nets.back());
        free_nets.pop_back();
        return n;
      }
    }
    return std::make_unique<cv::dnn::Net>(load_yunet());
  }
  void release(std::unique_ptr<cv::dnn::Net> n) const {
    std::lock_guard lock(mutex);
    free_nets.push_back(std::move(n));
  }
};

FaceDetector::FaceDetector(DetectorOptions options) : impl_(std::make_unique<Impl>()) {
  if (!(options.score_threshold >= 0 && options.score_threshold <= 1) || !(options.nms_iou > 0 && options.nms_iou <= 1) ||
      options.max_side < 32 || options.min_face < 0)
    throw Error(ErrorKind::Usage, "face detector options out of range");
  impl_->options = options;
  auto net = std::make_unique<cv::dnn::Net>(load_yunet());
  for (const char* head : {"cls", "obj", "bbox", "kps"})
    for (int s : kStrides) impl_->output_names.push_back(fmt::format("{}_{}", head, s));
  impl_->release(std::move(net));
}

FaceDetector::~FaceDetector() = default;
FaceDetector::FaceDetector(FaceDetector&&) noexcept = default;
FaceDetector& FaceDetector::operator=(FaceDetector&&) noexcept = default;
const DetectorOptions& FaceDetector::options() const { return impl_->options; }

std::vector<Face> FaceDetector::detect(const media::Image& rgb) const {
  if (rgb.empty() || rgb.channels != 3) throw Error(ErrorKind::Usage, "face detection needs a 3-channel RGB image");
  const DetectorOptions& o = impl_->options;
  // Scale so the long side fits max_side, then pad right/bottom to a multiple of 32.
  const double k = std::min(1.0, static_cast<double>(o.max_side) / std::max(rgb.width, rgb.height));
  const int w = std::max(1, static_cast<int>(std::lround(rgb.width * k)));
  const int h = std::max(1, static_cast<int>(std::lround(rgb.height * k)));
  const int pw = (w + 31) / 32 * 32, ph = (h + 31) / 32 * 32;
  const cv::Mat src(rgb.height, rgb.width, CV_8UC3, const_cast<uint8_t*>(rgb.pixels.data()));
  cv::Mat bgr;
  cv::cvtColor(src, bgr, cv::COLOR_RGB2BGR);
  if (w != rgb.width || h != rgb.height) cv::resize(bgr, bgr, cv::Size(w, h), 0, 0, cv::INTER_AREA);
  cv::Mat padded(ph, pw, CV_8UC3, cv::Scalar(0, 0, 0));
  bgr.copyTo(padded(cv::Rect(0, 0, w, h)));
  const cv::Mat blob = cv::dnn::blobFromImage(padded);  // 1x3xHxW float, BGR, 0..255

  std::vector<cv::Mat> outs;
  auto net = impl_->acquire();
  try {
    net->setInput(blob);
    net->forward(outs, impl_->output_names);
  } catch (const cv::Exception& e) {
    throw Error(ErrorKind::Internal, fmt::format("face detector failed: {}", e.what()));
  }
  impl_->release(std::move(net));

  std::vector<Face> found;
  std::vector<cv::Rect2d> boxes;
  std::vector<float> scores;
  for (int si = 0; si < 3; ++si) {
    const int s = kStrides[si];
    const int cols = pw / s, rows = ph / s;
    const cv::Mat& cls = outs[static_cast<size_t>(si)];
    const cv::Mat& obj = outs[static_cast<size_t>(3 + si)];
    const cv::Mat& box = outs[static_cast<size_t>(6 + si)];
    const cv::Mat& kps = outs[static_cast<size_t>(9 + si)];
    const size_t n = static_cast<size_t>(cols) * rows;
    if (cls.total() < n || obj.total() < n || box.total() < 4 * n || kps.total() < 10 * n)
      throw Error(ErrorKind::Internal, "face detector output of unexpected size");
    const float* pc = cls.ptr<float>();
    const float* po = obj.ptr<float>();
    const float* pb = box.ptr<float>();
    const float* pk = kps.ptr<float>();
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c) {
        const size_t i = static_cast<size_t>(r) * cols + c;
        const float score = std::sqrt(clamp01(pc[i]) * clamp01(po[i]));
        if (score < o.score_threshold) continue;
        const float cx = (c + pb[4 * i]) * s, cy = (r + pb[4 * i + 1]) * s;
        const float bw = std::exp(std::min(pb[4 * i + 2], 10.0f)) * s, bh = std::exp(std::min(pb[4 * i + 3], 10.0f)) * s;
        Face f;
        const float back = static_cast<float>(1.0 / k);  // to original image pixels
        f.x = (cx - bw / 2) * back;
        f.y = (cy - bh / 2) * back;
        f.width = bw * back;
        f.height = bh * back;
        f.score = score;
        for (int j = 0; j < 5; ++j)
          f.landmarks[static_cast<size_t>(j)] = {(c + pk[10 * i + 2 * j]) * s * back, (r + pk[10 * i + 2 * j + 1]) * s * back};
        if (f.width < o.min_face || f.height < o.min_face || !std::isfinite(f.x) || !std::isfinite(f.y)) continue;
        found.push_back(f);
        boxes.emplace_back(f.x, f.y, f.width, f.height);
        scores.push_back(score);
      }
    }
  }
  std::vector<int> keep;
  cv::dnn::NMSBoxes(boxes, scores, o.score_threshold, o.nms_iou, keep);
  std::vector<Face> out;
  for (int i : keep) out.push_back(found[static_cast<size_t>(i)]);
  std::sort(out.begin(), out.end(), [](const Face& a, const Face& b) { return a.score > b.score; });
  return out;
}

FaceTracker::FaceTracker(TrackerOptions options) : options_(options) {}

std::vector<int> FaceTracker::update(double time_s, const std::vector<Face>& faces) {
  // End the tracks not seen for too long.
  std::erase_if(active_, [&](const Active& a) { return time_s - a.last_time > options_.max_gap_s; });
  // Greedy: the best-overlapping (track, face) pairs first.
  struct Pair {
    float overlap;
    size_t track, face;
  };
  std::vector<Pair> pairs;
  for (size_t t = 0; t < active_.size(); ++t)
    for (size_t f = 0; f < faces.size(); ++f) {
      const float v = iou(active_[t].last, faces[f]);
      if (v >= options_.min_iou) pairs.push_back({v, t, f});
    }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.overlap > b.overlap; });
  std::vector<int> ids(faces.size(), -1);
  std::vector<bool> track_used(active_.size(), false);
  for (const auto& p : pairs) {
    if (track_used[p.track] || ids[p.face] >= 0) continue;
    track_used[p.track] = true;
    ids[p.face] = active_[p.track].id;
    active_[p.track].last = faces[p.face];
    active_[p.track].last_time = time_s;
  }
  for (size_t f = 0; f < faces.size(); ++f) {
    if (ids[f] >= 0) continue;
    ids[f] = next_id_++;
    active_.push_back({ids[f], faces[f], time_s});
  }
  return ids;
}

}  // namespace veritrace::face
