// Veritrace detection: is this file real, AI-generated or manipulated, and why do we think so?
//
//   detect::Engine engine(detect::EngineOptions{});         // the default detectors
//   detect::FileReport r = engine.analyze_file("photo.jpg");
//   r.verdict, r.score, r.generator, r.detectors[i].evidence.summary
//   nlohmann::json j = detect::to_json(r);                  // schema veritrace.detect/1
//
// One pipeline: the file is read and decoded once, every detector that applies runs on the decoded
// sample, and fusion turns their calibrated probabilities (and provenance rules) into one verdict.
// Detectors are small classes behind `Detector`; images now, video and audio later, one engine.
// Pixels alone never say "authentic": the best a file without evidence gets is `no_evidence`.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "veritrace/audio.hpp"
#include "veritrace/core.hpp"
#include "veritrace/face.hpp"
#include "veritrace/media.hpp"

namespace veritrace::detect {

inline constexpr const char* kSchemaVersion = "veritrace.detect/1";

enum class MediaType { Image, Video, Audio };
enum class Status { Applied, NotApplicable, Error };
enum class Verdict { Synthetic, Manipulated, Unsure, NoEvidence, NotApplicable };
// What a high score of a detector points to.
enum class Finding { Synthetic, Manipulated };

const char* media_type_name(MediaType t);
const char* status_name(Status s);
const char* verdict_name(Verdict v);
const char* finding_name(Finding f);

// A map over the analysed image (stored pixel orientation), values in [0, 1], brighter = more
// likely altered. Row-major. Its size is the image's or a uniform downscale of it (large images:
// maps are kept coarse in memory); heatmap_png() scales it to the image's size when written.
struct Heatmap {
  int width = 0;
  int height = 0;
  std::vector<float> values;
  bool empty() const { return width <= 0 || height <= 0 || values.empty(); }
};

struct Region {  // pixels, in the analysed image
  int x = 0, y = 0, width = 0, height = 0;
  double score = 0.0;
  std::string label;  // e.g. "source", "copy"
};

struct TimeRange {  // seconds, for video and audio
  double start_s = 0.0, end_s = 0.0;
  double score = 0.0;
  std::string label;
};

struct Evidence {
  std::string summary;                                  // one plain sentence
  std::vector<std::pair<std::string, double>> numbers;  // named measurements
  nlohmann::json details = nlohmann::json::object();    // structured extras (fields found, ...)
  Heatmap heatmap;                                      // empty when the detector does not localise
  std::vector<Region> regions;
  std::vector<TimeRange> time_ranges;
};

// A rule-based conclusion that overrides statistics (provenance, generator marks, metadata that
// names a generator). `None` for statistical detectors.
enum class Decision { None, Synthetic, Manipulated };

struct DetectorResult {
  std::string name;
  std::string version;
  Status status = Status::NotApplicable;
  std::string reason;                 // why not applicable, or the error message
  std::optional<double> score;        // the detector's raw score (its own scale)
  std::optional<double> probability;  // calibrated P(synthetic or manipulated); unset: not calibrated
  Finding points_to = Finding::Synthetic;
  Decision decision = Decision::None;
  std::optional<std::string> generator;  // a generator family named by this evidence
  Evidence evidence;
  double elapsed_ms = 0.0;
};

// Video: what the engine measured once per analysed frame, for the video detectors. Faces are
// followed into tracks; per face and frame the mean colour of three skin regions is kept (forehead,
// the subject's right and left cheek) for pulse signals. Frames themselves are not kept, so memory
// grows by a few hundred bytes per analysed face-frame, not with the picture size.
inline constexpr int kSkinRegions = 3;
struct FacePoint {
  double time_s = 0.0;
  face::Face face;
  // Mean R, G, B (0..255) of each skin region; valid[r] false when the region left the frame or had
  // too few usable pixels.
  std::array<std::array<float, 3>, kSkinRegions> skin_rgb{};
  std::array<bool, kSkinRegions> skin_valid{};
  // One raw score per face-level model (VideoAnalysis::face_models), NaN when the models did not
  // run on this frame (they run at VideoAnalysis::face_model_fps).
  std::vector<float> face_scores;
  // From the 68-point landmarks (face::eye_aspect_ratio, face::mouth_opening); NaN when the
  // landmark model is not available (VideoAnalysis::landmarks_unavailable says why).
  float ear_right = std::numeric_limits<float>::quiet_NaN();
  float ear_left = std::numeric_limits<float>::quiet_NaN();
  float mouth_open = std::numeric_limits<float>::quiet_NaN();
  // Seam colours (seam_flicker detector), from the 68 landmarks: mean RGB of the face's rim (just
  // inside the jaw line), of a band halfway to the nose, and of a band nearer the nose. NaN-free
  // only when seam_valid.
  std::array<float, 3> rim_rgb{}, mid_rgb{}, inner_rgb{};
  bool seam_valid = false;
};
struct FaceTrack {
  int id = 0;
  std::vector<FacePoint> points;  // in time order
  double start_s() const { return points.empty() ? 0.0 : points.front().time_s; }
  double end_s() const { return points.empty() ? 0.0 : points.back().time_s; }
};
struct VideoAnalysis {
  media::VideoInfo info;
  double analysis_fps = 0.0;       // the sampling rate asked for (0: every frame)
  int64_t frames_decoded = 0;
  int64_t frames_analysed = 0;     // frames that went through face detection
  int64_t packets_rejected = 0;    // corrupt packets skipped by the decoder
  double analysed_s = 0.0;         // presentation time of the last analysed frame
  // Size of the analysed frames (faces' coordinates are in these pixels): the picture upright,
  // scaled so its long side is at most 1280.
  int frame_width = 0, frame_height = 0;
  std::vector<FaceTrack> tracks;   // every track, in order of first appearance
  std::vector<std::string> face_models;  // names of the face-level models that scored faces
  double face_model_fps = 0.0;
  std::string landmarks_unavailable;     // empty when 68-point landmarks were measured, else why not
  // The sound track's loudness, for lip-sync: RMS level in dBFS of consecutive 10 ms blocks of the
  // mono mix, high-passed at about 150 Hz (hum and rumble are not speech). Empty when there is no
  // sound track or no detector asked for it; audio_unavailable then says why.
  std::vector<float> audio_level_db;
  double audio_block_s = 0.01;
  std::string audio_unavailable;
};

// Audio (audio files and the sound track of videos): the stream is decoded to 16 kHz mono and cut
// into 4 s segments every 2 s (audio::Segmenter); each segment is checked for speech and, when it
// has some, scored by every segment model (Detector::scores_segments) while the stream is read, so
// memory does not grow with the samples, only by a few dozen bytes per segment.
struct AudioSegment {
  double start_s = 0.0, end_s = 0.0;  // end_s - start_s < 4 only for a clip shorter than 4 s (tiled)
  bool speech = false;
  std::string why_not;                // why the segment is not counted as speech
  double active_share = 0.0;          // share of its 10 ms frames that are voice-active
  std::vector<float> scores;          // one per AudioAnalysis::segment_models; NaN when not scored
};
struct AudioAnalysis {
  media::AudioInfo info;
  double analysed_s = 0.0;          // decoded duration
  int64_t packets_rejected = 0;
  double speech_s = 0.0;            // time covered by speech segments
  bool truncated = false;           // stopped at EngineOptions::max_audio_s
  std::vector<AudioSegment> segments;
  std::vector<std::string> segment_models;
};
// What a segment model sees: one 4 s segment, its LFCC (audio::lfcc) and its speech frames.
struct AudioSegmentInput {
  std::span<const float> samples;
  const audio::Features& lfcc;
  std::span<const uint8_t> speech_frames;
};

// What every detector receives: the file's bytes and its decoded form, made once.
struct Sample {
  std::string path;                   // as given by the caller
  MediaType media_type = MediaType::Image;
  std::span<const uint8_t> bytes;     // the whole encoded file (empty for videos read from disk)
  // Random access to the whole file; always set. Videos are read through it, never loaded whole.
  const ByteSource* source = nullptr;
  media::ImageFormat format = media::ImageFormat::Unknown;
  // Stored pixel orientation (EXIF orientation not applied: JPEG grids stay aligned), 3-channel RGB
  // (gray replicated, alpha dropped). Heatmaps use this geometry. Null when the pixels cannot be
  // decoded (then only detectors with needs_pixels() == false run).
  const media::Image* image = nullptr;
  // Set when the detector runs on a file whose metadata was stripped and re-encoded (eval
  // --normalize); metadata detectors then see nothing, by design.
  bool normalized = false;
  // Video files: the frames' faces and tracks (null for images and audio, or when the video
  // stream could not be decoded).
  const VideoAnalysis* video = nullptr;
  // Audio files and videos with a sound track: the speech segments and their scores (null when
  // there is no sound or no detector scores segments; audio_unavailable then says why).
  const AudioAnalysis* audio = nullptr;
  std::string audio_unavailable;
};

class Detector {
 public:
  virtual ~Detector() = default;
  virtual std::string name() const = 0;
  virtual std::string version() const = 0;
  virtual bool applies_to(MediaType type) const = 0;
  // Whether the detector localises (writes heatmaps); informational.
  virtual bool localizes() const { return false; }
  // Whether it needs decoded pixels (Sample::image). Provenance does not: it also runs on files whose
  // pixels cannot be decoded (TIFF, HEIF, PDF, video, audio).
  virtual bool needs_pixels() const { return true; }
  // Thread-safe: the engine calls run() for several files at once. Returns a result with status
  // Applied, NotApplicable (with a reason) or Error; may throw veritrace::Error, which the engine
  // turns into Status::Error for this detector only.
  virtual DetectorResult run(const Sample& sample) const = 0;
  // Face-level models ("fit": "face" learned detectors): the engine calls score_face() on the aligned
  // crop (face::align_face) of every face of the sampled video frames while it decodes, because
  // frames are not kept; run() then aggregates FacePoint::face_scores. Thread-safe like run().
  virtual bool scores_faces() const { return false; }
  // Whether it reads the 68-point landmark signals of FacePoint (the engine loads dlib's model only
  // when an enabled detector does).
  virtual bool uses_landmarks() const { return false; }
  // Whether it reads the video's sound track level (VideoAnalysis::audio_level_db).
  virtual bool uses_audio() const { return false; }
  // Segment models (the voice detectors): the engine calls score_segment() on every 4 s speech
  // segment of the audio while it decodes; run() then aggregates AudioSegment::scores. Unset: the
  // model cannot score this segment. Thread-safe like run().
  virtual bool scores_segments() const { return false; }
  virtual std::optional<double> score_segment(const AudioSegmentInput& segment) const {
    (void)segment;
    return std::nullopt;
  }
  virtual double score_face(const media::Image& aligned_crop) const {
    (void)aligned_crop;
    return 0.0;
  }
};

struct EngineOptions;

// Every built-in detector, in report order (name -> factory).
struct DetectorInfo {
  std::string name;
  std::string description;
  bool enabled_by_default = true;
  std::function<std::unique_ptr<Detector>(const EngineOptions&)> make;
};
const std::vector<DetectorInfo>& builtin_detectors();

struct Thresholds {
  double threshold = 0.5;     // fused score at or above threshold + band: flagged
  double unsure_band = 0.15;  // scores in [threshold - band, threshold + band) are `unsure`
  double pixel_threshold = 0.5;  // a heatmap pixel at or above it counts as altered (eval's F1)
};

struct EngineOptions {
  std::vector<std::string> detectors;     // names; empty = every detector enabled by default
  // Extra learned detectors: ONNX files, each with its JSON sidecar next to it (docs/models.md).
  // They run after the built-in ones; they join the fused score only when their sidecar carries a
  // calibration and a fusion_weight, otherwise they are reported, not fused.
  std::vector<std::string> model_files;
  std::optional<double> threshold;        // overrides the shipped threshold
  std::optional<double> unsure_band;
  std::vector<std::string> trust_anchor_files;  // C2PA trust anchors (PEM)
  bool no_trust_check = false;            // C2PA: check everything but the chain's trust
  bool use_repository = true;             // C2PA: recover stripped credentials by watermark
  std::string repository_path;            // empty: the default repository, when it exists
  bool keep_heatmaps = true;              // false: drop heatmaps after fusion to save memory
  bool normalize = false;                 // decode, strip metadata, re-encode as PNG before detecting
  uint64_t max_pixels = media::kDefaultMaxPixels;
  uint64_t max_file_bytes = media::kMaxEncodedBytes;
  // Video: frames analysed per second of presentation time (face detection, pulse and blink
  // signals need >= 8); 0 = every frame. max_video_s: analyse at most this much (0 = all).
  double video_fps = 15.0;
  double max_video_s = 0.0;
  double face_model_fps = 5.0;  // how often face-level models score the faces (<= video_fps)
  // Audio: analyse at most this many seconds (0 = all); videos' sound tracks follow max_video_s.
  double max_audio_s = 0.0;
  // dlib's 68-point landmark model (eye and mouth signals); empty: face::LandmarkModel::default_path().
  std::string landmark_model;
};

// Video: a moment that weighs in the verdict, shown in reports. Chosen from the highest-scoring
// time ranges of the detectors that applied (at most three, at least 1 s apart); the pictures are
// filled only when a preview is asked for (HTML reports), by a second decoding pass.
struct KeyFrame {
  double time_s = 0.0;
  int face_track = -1;
  std::string detector;            // whose time range chose it
  double score = 0.0;              // that range's score (the detector's raw scale)
  face::Face face;                 // in analysed-frame pixels; width 0 when no face is known
  std::vector<uint8_t> frame_jpeg; // the frame, long side <= 480 (keep_preview only)
  int frame_width = 0, frame_height = 0;
  std::vector<uint8_t> face_jpeg;  // the aligned face crop, 128 x 128 (keep_preview only)
};

struct FileReport {
  std::string path;
  MediaType media_type = MediaType::Image;
  std::optional<std::string> error;       // set when the file could not be read at all
  std::string error_kind;                 // error_kind_name() of the error
  Verdict verdict = Verdict::NotApplicable;
  std::optional<double> score;            // fused P(synthetic or manipulated); unset: nothing applied
  // The thresholds the verdict was read with (each kind of media has its own fusion model).
  std::optional<Thresholds> thresholds;
  std::optional<std::string> generator;
  std::vector<std::string> reasons;       // plain sentences, most weighty first
  nlohmann::json provenance = nlohmann::json::object();
  std::vector<DetectorResult> detectors;
  Heatmap heatmap;                        // the fused localisation map, when any detector localised
  std::string heatmap_path;               // set by the caller when it wrote the heatmap
  int width = 0, height = 0;
  std::string format;
  double timing_ms = 0.0;
  // Video files: the stream and what was analysed (duration, frame rate, frames, faces).
  nlohmann::json video = nlohmann::json::object();
  // Audio files and sound tracks: the stream and what was analysed (duration, rate, speech).
  nlohmann::json audio = nlohmann::json::object();
  std::vector<KeyFrame> key_frames;
  // The analysed pixels as a small JPEG (long side <= 768) for HTML reports; filled only when
  // EngineOptions asks for it through analyze(..., keep_preview = true).
  std::vector<uint8_t> preview_jpeg;
  int preview_width = 0, preview_height = 0;
};

class Engine {
 public:
  // Throws Error(Usage) for an unknown detector name, a bad threshold or a model file that is
  // missing, unreadable or does not match its sidecar; Error(Io/Key) when the trust anchors cannot
  // be read.
  explicit Engine(EngineOptions options = {});
  ~Engine();
  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;

  // Never throws for bad input: an unreadable file gives a report with `error` set.
  FileReport analyze_file(const std::string& path, bool keep_preview = false) const;
  FileReport analyze_bytes(std::vector<uint8_t> bytes, const std::string& name, bool keep_preview = false) const;

  // Runs over many files with `threads` workers (0 = hardware concurrency), at most `threads`
  // files in memory at once. `on_done(index, report)` is called as each file finishes (any order,
  // one call at a time).
  void analyze_many(const std::vector<std::string>& paths, unsigned threads,
                    const std::function<void(size_t, FileReport&&)>& on_done, bool keep_preview = false) const;

  // Live screening (a video call, a pipe, a growing file, an RTSP stream): reads `source` frame by
  // frame and, every `window_s` seconds of stream time, calls on_window with a report on the last
  // `history_s` seconds (faces, pulse, face models; fused with the video model), then once more
  // at the end with final = true. report.video["live"] has the window's start and end (stream
  // seconds), the wall time spent, and the lag behind real time. Memory is bounded by history_s.
  // Throws Error(Io) when the source cannot be opened, Error(Unsupported/Malformed) for a stream
  // that is not video.
  struct LiveOptions {
    double window_s = 2.0;
    double history_s = 10.0;
  };
  void analyze_live(const media::LiveSource& source, const LiveOptions& live,
                    const std::function<void(FileReport&&, bool final)>& on_window) const;

  const Thresholds& thresholds() const;
  std::vector<std::string> detector_names() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The report model as JSON (schema veritrace.detect/1, docs/json-schema.md). Heatmaps are not
// inlined: `heatmap` is the path the caller wrote, when any.
nlohmann::json to_json(const FileReport& report);

// An 8-bit grey PNG of a heatmap (0 -> 0, 1 -> 255), scaled (bilinear) to width x height.
std::vector<uint8_t> heatmap_png(const Heatmap& map, int width, int height);
// The map scaled to width x height (bilinear), values clamped to [0, 1].
Heatmap resize_heatmap(const Heatmap& map, int width, int height);

}  // namespace veritrace::detect
