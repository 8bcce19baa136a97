// Veritrace faces: find faces in pictures and video frames, and follow them across frames.
//
//   face::FaceDetector detector;                        // the built-in YuNet network (models/face/)
//   for (const face::Face& f : detector.detect(rgb)) ...   // boxes, 5 landmarks, a score
//   face::FaceTracker tracker;
//   std::vector<int> ids = tracker.update(frame_time_s, faces);   // one track id per face
//
// Detection runs YuNet (libfacedetection, Apache-2.0; models/face/yunet.md) through OpenCV's dnn
// module with our own decoding of its outputs (OpenCV 4.6's FaceDetectorYN refuses this export).
// Thread-safe: detect() may be called from several threads at once (one network per caller).
#pragma once
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "veritrace/media.hpp"

namespace veritrace::face {

struct Point {
  float x = 0, y = 0;
};

// Landmark order of the detector: the subject's right eye, left eye, nose tip, right mouth
// corner, left mouth corner (the subject's right eye is on the image's left in a frontal view).
enum Landmark { kRightEye = 0, kLeftEye = 1, kNose = 2, kRightMouth = 3, kLeftMouth = 4 };

struct Face {
  float x = 0, y = 0, width = 0, height = 0;  // box in image pixels (may reach past the edges)
  float score = 0;                            // detector confidence in [0, 1]
  std::array<Point, 5> landmarks{};
};

struct DetectorOptions {
  float score_threshold = 0.6f;  // keep faces scoring at least this
  float nms_iou = 0.3f;          // overlapping boxes above this IoU are merged into the best one
  int max_side = 640;            // frames are scaled so the long side is at most this before detection
  int min_face = 16;             // boxes smaller than this (pixels, original image) are dropped
};

class FaceDetector {
 public:
  // Throws Error(Internal) if the built-in network cannot be loaded (a broken build).
  explicit FaceDetector(DetectorOptions options = {});
  ~FaceDetector();
  FaceDetector(FaceDetector&&) noexcept;
  FaceDetector& operator=(FaceDetector&&) noexcept;

  // Faces in a 3-channel RGB image, best first. An image without faces gives an empty list.
  std::vector<Face> detect(const media::Image& rgb) const;
  const DetectorOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

float iou(const Face& a, const Face& b);

// Aligned face crops: the similarity transform (rotation, uniform scale, shift; least squares over
// the five landmarks) that puts the landmarks nearest to a fixed template, applied with bilinear
// sampling and replicated borders. The template leaves a margin round the face so the face's
// boundary and some background are in the crop (face-swap blending leaves its traces there).
// The learned face detectors' input contract (models/face_*.md) is this crop.
inline constexpr int kAlignedSize = 128;
std::array<Point, 5> aligned_template(int size = kAlignedSize);
// 2x3 row-major matrix mapping image pixels to crop pixels (pixel centres at integer coordinates).
std::array<double, 6> alignment_matrix(const Face& face, int size = kAlignedSize);
media::Image align_face(const media::Image& rgb, const Face& face, int size = kAlignedSize);

// 68-point landmarks (the iBUG 300-W layout: jaw 0-16, brows 17-26, nose 27-35, eyes 36-47,
// lips 48-67) from dlib's shape predictor (an ensemble of regression trees, Kazemi and Sullivan
// 2014). The model file is not compiled in: it comes from Debian's libdlib-data (100 MB; terms in
// models/face/dlib-landmarks.md). Thread-safe: fit() may be called from several threads at once.
inline constexpr int kLandmarkCount = 68;
using Landmarks68 = std::array<Point, kLandmarkCount>;

class LandmarkModel {
 public:
  // $VERITRACE_LANDMARK_MODEL if set, else /usr/share/dlib/shape_predictor_68_face_landmarks.dat.
  static std::string default_path();
  // Throws Error(Io) when the file cannot be read, Error(Malformed) when it is not a dlib shape
  // predictor with 68 points. Loading takes about a second; share one model.
  static std::shared_ptr<const LandmarkModel> load(const std::string& path);
  ~LandmarkModel();

  // The 68 points of a detected face (the box dlib expects is derived from the five detector
  // landmarks, so it does not depend on the detector's box framing).
  Landmarks68 fit(const media::Image& rgb, const Face& face) const;

 private:
  LandmarkModel();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Eye aspect ratio (Soukupova and Cech 2016): the eye's two vertical openings over twice its
// width; about 0.25-0.35 open, under 0.15 closed. `subject_right` picks points 36-41, else 42-47.
float eye_aspect_ratio(const Landmarks68& lm, bool subject_right);
// Mouth opening: the inner lips' mean vertical gap (points 61-63 to 67-65) over the mouth's width
// (48 to 54). About 0 closed, 0.3 and more wide open.
float mouth_opening(const Landmarks68& lm);

struct TrackerOptions {
  float min_iou = 0.3f;     // a face continues a track when its box overlaps the track's last box this much
  double max_gap_s = 1.0;   // a track not seen for longer than this ends
};

// Greedy IoU association of the faces of successive (sampled) frames into tracks.
class FaceTracker {
 public:
  explicit FaceTracker(TrackerOptions options = {});
  // Faces of the frame at time_s (times must not decrease). Returns the track id of each face, in
  // the order given; new faces get new ids (0, 1, 2, ... in order of first appearance).
  std::vector<int> update(double time_s, const std::vector<Face>& faces);
  int tracks_started() const { return next_id_; }

 private:
  struct Active {
    int id;
    Face last;
    double last_time;
  };
  TrackerOptions options_;
  std::vector<Active> active_;
  int next_id_ = 0;
};

}  // namespace veritrace::face
