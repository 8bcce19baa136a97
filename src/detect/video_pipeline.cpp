// Video analysis: one pass over the sampled frames; only per-face measurements are kept.
#include "detect/video_pipeline.hpp"

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace veritrace::detect {

namespace {

constexpr int kMaxAnalysisLongSide = 1280;  // frames are scaled to this before faces are measured

// Mean RGB of the usable pixels of a box (neither near-black nor clipped: they carry no pulse).
bool region_mean(const media::Image& im, const PixelBox& b, std::array<float, 3>& out) {
  const int x0 = std::max(0, b.x), y0 = std::max(0, b.y);
  const int x1 = std::min(im.width, b.x + b.width), y1 = std::min(im.height, b.y + b.height);
  if (x1 - x0 < 2 || y1 - y0 < 2) return false;
  double s[3] = {0, 0, 0};
  int64_t n = 0;
  for (int y = y0; y < y1; ++y) {
    const uint8_t* p = im.row(y) + static_cast<size_t>(x0) * 3;
    for (int x = x0; x < x1; ++x, p += 3) {
      const int lo = std::min({p[0], p[1], p[2]}), hi = std::max({p[0], p[1], p[2]});
      if (lo < 15 || hi > 245) continue;
      s[0] += p[0];
      s[1] += p[1];
      s[2] += p[2];
      ++n;
    }
  }
  const int64_t area = static_cast<int64_t>(x1 - x0) * (y1 - y0);
  if (n < 4 || n * 2 < area) return false;  // mostly unusable (hair, glare, outside the frame)
  for (int c = 0; c < 3; ++c) out[static_cast<size_t>(c)] = static_cast<float>(s[c] / static_cast<double>(n));
  return true;
}

}  // namespace

bool seam_colours(const media::Image& im, const face::Landmarks68& lm, std::array<float, 3>& rim,
                  std::array<float, 3>& mid, std::array<float, 3>& inner) {
  const face::Point c = lm[30];  // nose tip
  const float width = std::hypot(lm[16].x - lm[0].x, lm[16].y - lm[0].y);
  if (!(width >= 40.0f)) return false;  // too small for bands to mean anything
  const int half = std::max(1, static_cast<int>(std::lround(width / 40.0)));
  const double shares[3] = {kSeamRim, kSeamMid, kSeamInner};
  std::array<float, 3>* outs[3] = {&rim, &mid, &inner};
  for (int b = 0; b < 3; ++b) {
    double sum[3] = {0, 0, 0};
    int patches = 0;
    for (size_t j = 2; j <= 14; ++j) {
      const double x = lm[j].x + shares[b] * (c.x - lm[j].x), y = lm[j].y + shares[b] * (c.y - lm[j].y);
      const PixelBox box{static_cast<int>(std::lround(x)) - half, static_cast<int>(std::lround(y)) - half, 2 * half + 1, 2 * half + 1};
      std::array<float, 3> m{};
      if (!region_mean(im, box, m)) continue;
      for (int k = 0; k < 3; ++k) sum[k] += m[static_cast<size_t>(k)];
      ++patches;
    }
    if (patches < 7) return false;  // most of the jaw line must be usable
    for (int k = 0; k < 3; ++k) (*outs[b])[static_cast<size_t>(k)] = static_cast<float>(sum[k] / patches);
  }
  return true;
}

std::string face_signals_unavailable(const Sample& sample, bool needs_landmarks) {
  const VideoAnalysis* v = sample.video;
  if (!v) return "no decoded video";
  if (v->tracks.empty()) return fmt::format("no face found in {} analysed frames", v->frames_analysed);
  if (needs_landmarks && !v->landmarks_unavailable.empty()) return v->landmarks_unavailable;
  return {};
}

std::pair<size_t, size_t> longest_run(const std::vector<FacePoint>& points, double max_gap_s,
                                      const std::function<bool(const FacePoint&)>& usable) {
  size_t best_a = 0, best_b = 0, a = 0;
  auto span = [&](size_t from, size_t to) { return points[to - 1].time_s - points[from].time_s; };
  for (size_t k = 0; k <= points.size(); ++k) {
    const bool ok = k < points.size() && usable(points[k]);
    const bool breaks = !ok || (k > a && points[k].time_s - points[k - 1].time_s > max_gap_s);
    if (!breaks) continue;
    if (k > a && (best_b == best_a || span(a, k) > span(best_a, best_b))) {
      best_a = a;
      best_b = k;
    }
    a = ok ? k : k + 1;
  }
  return {best_a, best_b};
}

std::array<PixelBox, kSkinRegions> skin_regions(const face::Face& f) {
  const auto& re = f.landmarks[face::kRightEye];
  const auto& le = f.landmarks[face::kLeftEye];
  const auto& rm = f.landmarks[face::kRightMouth];
  const auto& lm = f.landmarks[face::kLeftMouth];
  const float d = std::max(4.0f, std::hypot(le.x - re.x, le.y - re.y));  // inter-ocular distance
  const float ex = 0.5f * (re.x + le.x), ey = 0.5f * (re.y + le.y);
  auto box = [](float cx, float cy, float w, float h) {
    return PixelBox{static_cast<int>(std::lround(cx - w / 2)), static_cast<int>(std::lround(cy - h / 2)),
                    std::max(2, static_cast<int>(std::lround(w))), std::max(2, static_cast<int>(std::lround(h)))};
  };
  // Forehead: centred above the eyes by about half the eye distance. Cheeks: below each eye, at
  // about 40% of the way down to the mouth corner on that side.
  const PixelBox forehead = box(ex, ey - 0.55f * d, 0.8f * d, 0.3f * d);
  const PixelBox right_cheek = box(re.x + 0.4f * (rm.x - re.x) - 0.05f * d, re.y + 0.45f * (rm.y - re.y), 0.32f * d, 0.32f * d);
  const PixelBox left_cheek = box(le.x + 0.4f * (lm.x - le.x) + 0.05f * d, le.y + 0.45f * (lm.y - le.y), 0.32f * d, 0.32f * d);
  return {forehead, right_cheek, left_cheek};
}

VideoAnalyzer::VideoAnalyzer(const EngineOptions& options, const face::FaceDetector& faces,
                             std::vector<const Detector*> face_models, const media::VideoInfo& info,
                             const face::LandmarkModel* landmarks, std::string landmarks_unavailable)
    : options_(options), faces_(faces), face_models_(std::move(face_models)), landmarks_(landmarks) {
  out_.info = info;
  if (!landmarks_) out_.landmarks_unavailable = std::move(landmarks_unavailable);
  out_.analysis_fps = options.video_fps;
  out_.face_model_fps = face_models_.empty() ? 0.0 : options.face_model_fps;
  for (const Detector* d : face_models_) out_.face_models.push_back(d->name());
}

void VideoAnalyzer::add(const media::VideoFrame& frame) {
  ++out_.frames_analysed;
  out_.analysed_s = frame.time_s;
  out_.frame_width = frame.image.width;
  out_.frame_height = frame.image.height;
  const auto found = faces_.detect(frame.image);
  const auto ids = tracker_.update(frame.time_s, found);
  bool score_now = false;
  if (!face_models_.empty() && !found.empty() && frame.time_s + 1e-6 >= next_model_s_) {
    score_now = true;
    next_model_s_ = options_.face_model_fps > 0 ? frame.time_s + 1.0 / options_.face_model_fps : 0.0;
  }
  for (size_t i = 0; i < found.size(); ++i) {
    auto it = std::find_if(out_.tracks.begin(), out_.tracks.end(), [&](const FaceTrack& t) { return t.id == ids[i]; });
    if (it == out_.tracks.end()) {
      out_.tracks.push_back(FaceTrack{ids[i], {}});
      it = std::prev(out_.tracks.end());
    }
    FacePoint p;
    p.time_s = frame.time_s;
    p.face = found[i];
    const auto regions = skin_regions(found[i]);
    for (size_t r = 0; r < regions.size(); ++r) p.skin_valid[r] = region_mean(frame.image, regions[r], p.skin_rgb[r]);
    if (landmarks_) {
      const face::Landmarks68 lm = landmarks_->fit(frame.image, found[i]);
      p.ear_right = face::eye_aspect_ratio(lm, true);
      p.ear_left = face::eye_aspect_ratio(lm, false);
      p.mouth_open = face::mouth_opening(lm);
      p.seam_valid = seam_colours(frame.image, lm, p.rim_rgb, p.mid_rgb, p.inner_rgb);
    }
    p.face_scores.assign(face_models_.size(), std::numeric_limits<float>::quiet_NaN());
    if (score_now) {
      const media::Image crop = face::align_face(frame.image, found[i]);
      for (size_t m = 0; m < face_models_.size(); ++m) p.face_scores[m] = static_cast<float>(face_models_[m]->score_face(crop));
    }
    it->points.push_back(std::move(p));
  }
}

void measure_audio_level(std::unique_ptr<ByteSource> source, double max_s, VideoAnalysis& v) {
  constexpr int kRate = 16000;
  const auto block = static_cast<size_t>(std::lround(v.audio_block_s * kRate));
  try {
    media::AudioReader reader(std::move(source), {.sample_rate = kRate, .max_duration_s = max_s});
    // One-pole high-pass at about 150 Hz, then RMS per block.
    const double a = std::exp(-2.0 * 3.14159265358979323846 * 150.0 / kRate);
    double prev_in = 0.0, prev_out = 0.0, sum = 0.0;
    size_t filled = 0;
    std::vector<float> samples;
    while (reader.next(samples)) {
      for (float x : samples) {
        const double y = a * (prev_out + x - prev_in);
        prev_in = x;
        prev_out = y;
        sum += y * y;
        if (++filled == block) {
          v.audio_level_db.push_back(static_cast<float>(10.0 * std::log10(sum / static_cast<double>(block) + 1e-12)));
          sum = 0.0;
          filled = 0;
        }
      }
    }
    if (v.audio_level_db.empty()) v.audio_unavailable = "the sound track has no decodable audio";
  } catch (const Error& e) {
    v.audio_level_db.clear();
    v.audio_unavailable = e.kind() == ErrorKind::Unsupported && std::string(e.what()).find("no audio stream") != std::string::npos
                              ? "the video has no sound track"
                              : fmt::format("the sound track cannot be decoded ({})", e.what());
  }
}

std::vector<KeyFrame> choose_key_frames(const std::vector<DetectorResult>& detectors, const VideoAnalysis& v) {
  // Each applied detector's most suspicious moment (its highest time range; detectors' raw scales
  // differ, so ranges are compared within a detector only), detectors in order of how strongly
  // they point at manipulation (calibrated probability, else raw score).
  struct Candidate {
    const TimeRange* range;
    const DetectorResult* det;
    double weight;
  };
  std::vector<Candidate> all;
  for (const auto& d : detectors) {
    if (d.status != Status::Applied) continue;
    const TimeRange* top = nullptr;
    for (const auto& t : d.evidence.time_ranges)
      if (std::isfinite(t.score) && (!top || t.score > top->score)) top = &t;
    if (top) all.push_back({top, &d, d.probability.value_or(d.score.value_or(0.0))});
  }
  std::stable_sort(all.begin(), all.end(), [](const Candidate& a, const Candidate& b) { return a.weight > b.weight; });
  std::vector<KeyFrame> out;
  for (const auto& c : all) {
    const double t = 0.5 * (c.range->start_s + c.range->end_s);
    if (std::any_of(out.begin(), out.end(), [&](const KeyFrame& k) { return std::abs(k.time_s - t) < 1.0; })) continue;
    KeyFrame k;
    k.time_s = t;
    k.detector = c.det->name;
    k.score = c.range->score;
    int id = -1;
    if (std::sscanf(c.range->label.c_str(), "face %d", &id) == 1) k.face_track = id;
    // The labelled track's face nearest in time.
    for (const auto& tr : v.tracks) {
      if (tr.id != k.face_track || tr.points.empty()) continue;
      const auto it = std::min_element(tr.points.begin(), tr.points.end(), [&](const FacePoint& a, const FacePoint& b) {
        return std::abs(a.time_s - t) < std::abs(b.time_s - t);
      });
      k.time_s = it->time_s;  // a frame that was analysed and has the face
      k.face = it->face;
    }
    out.push_back(std::move(k));
    if (out.size() == 3) break;
  }
  return out;
}

void fill_key_frames(std::unique_ptr<ByteSource> source, const EngineOptions& options, std::vector<KeyFrame>& frames) {
  if (frames.empty()) return;
  double last = 0;
  for (const auto& k : frames) last = std::max(last, k.time_s);
  media::VideoOptions vo;
  vo.sample_fps = options.video_fps;  // the same frames the analysis saw
  vo.max_duration_s = last + 1.0;
  vo.max_long_side = kMaxAnalysisLongSide;
  vo.max_pixels = std::min<uint64_t>(options.max_pixels, 8192ull * 4320);
  media::VideoReader reader(std::move(source), vo);
  size_t pending = frames.size();
  while (pending > 0) {
    auto frame = reader.next();
    if (!frame) break;
    for (auto& k : frames) {
      if (!k.frame_jpeg.empty() || frame->time_s + 1e-3 < k.time_s) continue;
      const media::Image& im = frame->image;
      // The aligned crop of the face as the analysis found it in this very frame.
      if (k.face.width > 0) k.face_jpeg = media::encode_jpeg(face::align_face(im, k.face), 88);
      const double scale = std::min(1.0, 480.0 / std::max(im.width, im.height));
      media::Image small = im;
      if (scale < 1.0) {
        small.width = std::max(1, static_cast<int>(std::lround(im.width * scale)));
        small.height = std::max(1, static_cast<int>(std::lround(im.height * scale)));
        small.pixels.resize(static_cast<size_t>(small.width) * small.height * 3);
        const cv::Mat src(im.height, im.width, CV_8UC3, const_cast<uint8_t*>(im.pixels.data()));
        cv::Mat dst(small.height, small.width, CV_8UC3, small.pixels.data());
        cv::resize(src, dst, dst.size(), 0, 0, cv::INTER_AREA);
      }
      k.frame_width = small.width;
      k.frame_height = small.height;
      k.frame_jpeg = media::encode_jpeg(small, 82);
      --pending;
    }
  }
}

void VideoAnalyzer::forget_before(double t) {
  for (auto& track : out_.tracks)
    std::erase_if(track.points, [&](const FacePoint& p) { return p.time_s < t; });
  std::erase_if(out_.tracks, [](const FaceTrack& tr) { return tr.points.empty(); });
}

VideoAnalysis analyze_video(std::unique_ptr<ByteSource> source, const EngineOptions& options,
                            const face::FaceDetector& faces, const std::vector<const Detector*>& face_models,
                            const face::LandmarkModel* landmarks, const std::string& landmarks_unavailable) {
  media::VideoOptions vo;
  vo.sample_fps = options.video_fps;
  vo.max_duration_s = options.max_video_s;
  vo.max_long_side = kMaxAnalysisLongSide;
  vo.max_pixels = std::min<uint64_t>(options.max_pixels, 8192ull * 4320);
  const std::string reader_name = source->name();
  media::VideoReader reader(std::move(source), vo);
  VideoAnalyzer analyzer(options, faces, face_models, reader.info(), landmarks, landmarks_unavailable);
  while (auto frame = reader.next()) analyzer.add(*frame);
  VideoAnalysis out = std::move(analyzer.analysis());
  if (out.frames_analysed == 0)
    throw Error(ErrorKind::Malformed, fmt::format("{}: no video frame could be decoded ({} packets rejected; the file may be "
                                                  "truncated or corrupt)", reader_name, reader.packets_rejected()));
  out.frames_decoded = reader.frames_decoded();
  out.packets_rejected = reader.packets_rejected();
  return out;
}

}  // namespace veritrace::detect
