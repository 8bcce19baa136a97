// The video half of the engine's pipeline: decode (sampled), find faces, follow them into tracks,
// and measure per face and frame what the temporal detectors need. Internal to the detect module.
#pragma once
#include <memory>

#include "veritrace/detect.hpp"
#include "veritrace/face.hpp"

namespace veritrace::detect {

// Throws what media::VideoReader throws for a file it cannot open; corrupt packets later in the
// stream are skipped (counted in packets_rejected).
// Frame by frame: faces, tracks and per-face measurements into a VideoAnalysis. Used for files
// (analyze_video) and live streams (the engine's analyze_live, which forgets old points).
class VideoAnalyzer {
 public:
  // landmarks may be null (then landmarks_unavailable must say why).
  VideoAnalyzer(const EngineOptions& options, const face::FaceDetector& faces, std::vector<const Detector*> face_models,
                const media::VideoInfo& info, const face::LandmarkModel* landmarks = nullptr,
                std::string landmarks_unavailable = "no landmark model was given");
  void add(const media::VideoFrame& frame);
  // Drops face points before time t (and tracks left empty): a live window's memory stays bounded.
  void forget_before(double t);
  VideoAnalysis& analysis() { return out_; }

 private:
  const EngineOptions& options_;
  const face::FaceDetector& faces_;
  std::vector<const Detector*> face_models_;
  const face::LandmarkModel* landmarks_;
  face::FaceTracker tracker_;
  VideoAnalysis out_;
  double next_model_s_ = 0.0;
};

// face_models: detectors with scores_faces(), run on aligned face crops at options.face_model_fps.
VideoAnalysis analyze_video(std::unique_ptr<ByteSource> source, const EngineOptions& options,
                            const face::FaceDetector& faces, const std::vector<const Detector*>& face_models = {},
                            const face::LandmarkModel* landmarks = nullptr,
                            const std::string& landmarks_unavailable = "no landmark model was given");

// The loudness of a file's sound track into v.audio_level_db (or the reason into
// v.audio_unavailable): decodes at 16 kHz, at most max_s seconds (0 = all). Never throws for bad
// audio; the video analysis stands without it.
void measure_audio_level(std::unique_ptr<ByteSource> source, double max_s, VideoAnalysis& v);

// Up to three key moments: each applied detector's highest time range, detectors ordered by their
// probability (else raw score), centres at least 1 s apart; with the face of the labelled track
// ("face N") in the analysed frame nearest in time.
std::vector<KeyFrame> choose_key_frames(const std::vector<DetectorResult>& detectors, const VideoAnalysis& v);
// Fills the key frames' pictures by decoding the video again up to the last one.
void fill_key_frames(std::unique_ptr<ByteSource> source, const EngineOptions& options, std::vector<KeyFrame>& frames);

// Mean colours of three bands between the jaw line (points 2-14) and the nose (point 30): at 12%,
// 40% and 60% of the way in (patches of a twentieth of the face's width). False when the face is
// too small or too few patches lie in the picture. Exposed for tests.
bool seam_colours(const media::Image& im, const face::Landmarks68& lm, std::array<float, 3>& rim,
                  std::array<float, 3>& mid, std::array<float, 3>& inner);
inline constexpr double kSeamRim = 0.12, kSeamMid = 0.40, kSeamInner = 0.60;

// Why a detector of the faces' signals cannot run on this sample: no decoded video, no face in
// the analysed frames, or (needs_landmarks) no 68-point landmarks. Empty when it can.
std::string face_signals_unavailable(const Sample& sample, bool needs_landmarks);

// The longest run of consecutive points that `usable` accepts with no two successive points more
// than max_gap_s apart, as [first, last) indices (first == last when there is none; ties go to the
// earliest run).
std::pair<size_t, size_t> longest_run(const std::vector<FacePoint>& points, double max_gap_s,
                                      const std::function<bool(const FacePoint&)>& usable);

// The three skin regions (forehead, subject's right cheek, left cheek) of a face, in image pixels,
// placed from its five landmarks. Exposed for tests.
struct PixelBox {
  int x = 0, y = 0, width = 0, height = 0;
};
std::array<PixelBox, kSkinRegions> skin_regions(const face::Face& f);

}  // namespace veritrace::detect
