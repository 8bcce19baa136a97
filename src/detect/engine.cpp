// The detection engine: read once, decode once, run the applicable detectors, fuse.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <new>
#include <thread>
#include <tuple>

#include "detect/audio_pipeline.hpp"
#include "detect/detectors/detectors.hpp"
#include "detect/fusion.hpp"
#include "detect/learned/onnx_detector.hpp"
#include "detect/video_pipeline.hpp"
#include "formats/formats.hpp"

namespace veritrace::detect {

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

MediaType media_type_of(formats::Format f, const std::string& mime) {
  if (mime.rfind("video/", 0) == 0) return MediaType::Video;
  if (mime.rfind("audio/", 0) == 0 || f == formats::Format::Wav || f == formats::Format::Mp3 ||
      f == formats::Format::Flac)
    return MediaType::Audio;
  return MediaType::Image;
}

// A small JPEG of the analysed pixels for HTML reports (long side <= 768).
void make_preview(const media::Image& image, FileReport& report) {
  const int long_side = std::max(image.width, image.height);
  const double k = long_side > 768 ? 768.0 / long_side : 1.0;
  media::Image small;
  if (k < 1.0) {
    small.width = std::max(1, static_cast<int>(std::lround(image.width * k)));
    small.height = std::max(1, static_cast<int>(std::lround(image.height * k)));
    small.channels = image.channels;
    small.pixels.resize(static_cast<size_t>(small.width) * small.height * small.channels);
    // Box-average the source pixels that fall in each preview pixel.
    for (int y = 0; y < small.height; ++y) {
      const int y0 = static_cast<int>(y / k), y1 = std::max(y0 + 1, std::min(image.height, static_cast<int>((y + 1) / k)));
      for (int x = 0; x < small.width; ++x) {
        const int x0 = static_cast<int>(x / k), x1 = std::max(x0 + 1, std::min(image.width, static_cast<int>((x + 1) / k)));
        for (int c = 0; c < image.channels; ++c) {
          uint32_t sum = 0;
          for (int yy = y0; yy < y1; ++yy)
            for (int xx = x0; xx < x1; ++xx) sum += image.row(yy)[xx * image.channels + c];
          small.row(y)[x * small.channels + c] = static_cast<uint8_t>(sum / static_cast<uint32_t>((y1 - y0) * (x1 - x0)));
        }
      }
    }
  }
  const media::Image& src = k < 1.0 ? small : image;
  report.preview_jpeg = media::encode_jpeg(src, 85);
  report.preview_width = src.width;
  report.preview_height = src.height;
}

nlohmann::json video_summary(const VideoAnalysis& v) {
  size_t face_frames = 0;
  for (const auto& t : v.tracks) face_frames += t.points.size();
  nlohmann::json j = {{"duration_s", v.info.duration_s},
                      {"frame_rate", v.info.frame_rate},
                      {"codec", v.info.codec},
                      {"rotation", v.info.rotation},
                      {"has_audio", v.info.has_audio},
                      {"analysis_fps", v.analysis_fps},
                      {"frames_decoded", v.frames_decoded},
                      {"frames_analysed", v.frames_analysed},
                      {"analysed_s", v.analysed_s},
                      {"packets_rejected", v.packets_rejected},
                      {"face_tracks", v.tracks.size()},
                      {"face_models", v.face_models},
                      {"face_model_fps", v.face_model_fps},
                      {"face_frames", face_frames},
                      {"frame_width", v.frame_width},
                      {"frame_height", v.frame_height},
                      {"landmarks", v.landmarks_unavailable.empty() ? nlohmann::json("dlib 68-point")
                                                                    : nlohmann::json(nullptr)}};
  if (!v.landmarks_unavailable.empty()) j["landmarks_unavailable"] = v.landmarks_unavailable;
  return j;
}

DetectorResult run_one(const Detector& d, const Sample& sample) {
  const auto t0 = Clock::now();
  DetectorResult r;
  try {
    r = d.run(sample);
  } catch (const Error& e) {
    r = DetectorResult{};
    r.status = Status::Error;
    r.reason = e.what();
  } catch (const std::bad_alloc&) {
    r = DetectorResult{};
    r.status = Status::Error;
    r.reason = "out of memory";
  } catch (const std::exception& e) {
    r = DetectorResult{};
    r.status = Status::Error;
    r.reason = std::string("internal error: ") + e.what();
  }
  r.name = d.name();
  r.version = d.version();
  if (r.score && !std::isfinite(*r.score)) {
    r.status = Status::Error;
    r.reason = "the detector produced a non-finite score";
    r.score.reset();
  }
  r.elapsed_ms = ms_since(t0);
  return r;
}

}  // namespace

struct Engine::Impl {
  EngineOptions options;
  Thresholds thresholds;
  const FusionModel* model = nullptr;
  FusionModel with_user_models;  // the shipped model plus user models' calibrations (--model)
  std::vector<std::unique_ptr<Detector>> detectors;
  // The face detector is made on first use (image-only runs never load it).
  mutable std::once_flag faces_once;
  mutable std::unique_ptr<face::FaceDetector> faces;

  const face::FaceDetector& face_detector() const {
    std::call_once(faces_once, [this] { faces = std::make_unique<face::FaceDetector>(); });
    return *faces;
  }
  // dlib's landmark model (100 MB, about a second to load) on first video; null when it cannot be
  // loaded, with the reason in landmarks_error (the eye and mouth detectors then do not apply).
  mutable std::once_flag landmarks_once;
  mutable std::shared_ptr<const face::LandmarkModel> landmark_model;
  mutable std::string landmarks_error;
  bool wants_landmarks() const {
    return std::any_of(detectors.begin(), detectors.end(), [](const auto& d) { return d->uses_landmarks(); });
  }
  // Call after landmarks(): why there are none (empty when there are).
  std::string landmarks_reason() const {
    if (landmark_model) return {};
    return wants_landmarks() ? landmarks_error : "no enabled detector uses landmarks";
  }
  const face::LandmarkModel* landmarks() const {
    if (!wants_landmarks()) return nullptr;
    std::call_once(landmarks_once, [this] {
      const std::string path = options.landmark_model.empty() ? face::LandmarkModel::default_path() : options.landmark_model;
      try {
        landmark_model = face::LandmarkModel::load(path);
      } catch (const Error& e) {
        landmarks_error = fmt::format("68-point landmark model not available: {}", e.what());
      }
    });
    return landmark_model.get();
  }
  // `bytes` is the whole file, or empty when `file` is a video read from disk (streamed).
  void fuse_report(FileReport& report) const {
    const FusionModel* own = report.media_type == MediaType::Video   ? model->video.get()
                             : report.media_type == MediaType::Audio ? model->audio.get()
                                                                     : nullptr;
    if (own) {
      Thresholds t = own->thresholds;  // the media's own model's, unless the caller set them
      if (options.threshold) t.threshold = *options.threshold;
      if (options.unsure_band) t.unsure_band = *options.unsure_band;
      fuse(*own, t, report);
      report.thresholds = t;
    } else {
      fuse(*model, thresholds, report);
      report.thresholds = thresholds;
    }
  }
  std::vector<const Detector*> segment_models() const {
    std::vector<const Detector*> out;
    for (const auto& d : detectors)
      if (d->scores_segments()) out.push_back(d.get());
    return out;
  }
  // The sound of an audio file or a video's track, for the voice detectors: sample.audio on
  // success, else sample.audio_unavailable says why.
  void analyze_sound(std::unique_ptr<ByteSource> source, double max_s, AudioAnalysis& out, Sample& sample) const {
    const auto models = segment_models();
    if (models.empty()) {
      sample.audio_unavailable = "no enabled detector analyses speech";
      return;
    }
    try {
      out = analyze_audio(std::move(source), max_s, models);
      sample.audio = &out;
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::Usage || e.kind() == ErrorKind::Internal) throw;
      sample.audio_unavailable = fmt::format("the sound cannot be analysed ({})", e.what());
    }
  }
  std::vector<const Detector*> face_models() const {
    std::vector<const Detector*> out;
    for (const auto& d : detectors)
      if (d->scores_faces()) out.push_back(d.get());
    return out;
  }
  FileReport analyze(std::vector<uint8_t> bytes, const std::string& name, bool keep_preview,
                     std::unique_ptr<ByteSource> file = nullptr) const;
};

Engine::Engine(EngineOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->model = &FusionModel::shipped();
  impl_->thresholds = impl_->model->thresholds;
  if (options.threshold) impl_->thresholds.threshold = *options.threshold;
  if (options.unsure_band) impl_->thresholds.unsure_band = *options.unsure_band;
  const Thresholds& t = impl_->thresholds;
  if (!(t.threshold > 0 && t.threshold < 1))
    throw Error(ErrorKind::Usage, fmt::format("--threshold must be between 0 and 1 (exclusive), got {}", t.threshold));
  if (!(t.unsure_band >= 0 && t.unsure_band < 0.5))
    throw Error(ErrorKind::Usage, fmt::format("--unsure-band must be in [0, 0.5), got {}", t.unsure_band));
  if (!(options.video_fps >= 0 && options.video_fps <= 240) || !(options.max_video_s >= 0) ||
      !(options.face_model_fps > 0 && options.face_model_fps <= 240))
    throw Error(ErrorKind::Usage, "video sampling options out of range (fps 0-240, max seconds >= 0)");
  const auto& all = builtin_detectors();
  for (const auto& want : options.detectors) {
    if (std::none_of(all.begin(), all.end(), [&](const DetectorInfo& i) { return i.name == want; })) {
      std::string names;
      for (const auto& i : all) names += (names.empty() ? "" : ", ") + i.name;
      throw Error(ErrorKind::Usage, fmt::format("unknown detector '{}' (known: {})", want, names));
    }
  }
  for (const auto& info : all) {
    const bool chosen = options.detectors.empty()
                            ? info.enabled_by_default
                            : std::find(options.detectors.begin(), options.detectors.end(), info.name) !=
                                  options.detectors.end();
    if (chosen) impl_->detectors.push_back(info.make(options));
  }
  if (!options.model_files.empty()) {
    impl_->with_user_models = *impl_->model;
    for (const auto& file : options.model_files) {
      learned::ModelSpec spec;
      auto d = learned::load_model_file(file, &spec);
      const std::string name = d->name();
      if (std::any_of(impl_->detectors.begin(), impl_->detectors.end(), [&](const auto& x) { return x->name() == name; }) ||
          impl_->with_user_models.detectors.count(name))
        throw Error(ErrorKind::Usage, fmt::format("{}: a detector named '{}' already exists; give the model another \"name\" in its sidecar", file, name));
      DetectorCalibration c;
      if (spec.calibration) std::tie(c.a, c.b) = *spec.calibration;
      c.weight = spec.calibration ? spec.fusion_weight : 0.0;
      c.reliability = spec.calibration ? "User-supplied model, calibrated by its sidecar." : "User-supplied model without calibration: reported, not fused.";
      if (spec.calibration) {
        impl_->with_user_models.detectors[name] = c;
        if (impl_->with_user_models.video) {
          auto video = std::make_shared<FusionModel>(*impl_->with_user_models.video);
          video->detectors[name] = c;
          impl_->with_user_models.video = video;
        }
      }
      impl_->detectors.push_back(std::move(d));
    }
    impl_->model = &impl_->with_user_models;
  }
  impl_->options = std::move(options);
}

Engine::~Engine() = default;
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;

const Thresholds& Engine::thresholds() const { return impl_->thresholds; }

std::vector<std::string> Engine::detector_names() const {
  std::vector<std::string> names;
  for (const auto& d : impl_->detectors) names.push_back(d->name());
  return names;
}

FileReport Engine::Impl::analyze(std::vector<uint8_t> bytes, const std::string& name, bool keep_preview,
                                 std::unique_ptr<ByteSource> file) const {
  const auto t0 = Clock::now();
  FileReport report;
  report.path = name;
  try {
    if (bytes.empty() && !file) throw Error(ErrorKind::Malformed, name + ": empty file (0 bytes)");
    std::unique_ptr<ByteSource> source = file ? std::move(file) : make_span_source(bytes, name);
    const formats::Detected kind = formats::detect(*source);
    report.media_type = media_type_of(kind.format, kind.mime);
    report.format = kind.mime.empty() ? "unknown" : kind.mime;
    const media::ImageFormat image_format = media::sniff_image_format(*source);
    // Containers the format sniffer does not name (Matroska, WebM, AVI, MPEG-TS, Ogg, ...), and
    // containers of video formats that hold only sound (M4A, audio-only Matroska or MP4).
    if ((report.media_type == MediaType::Image && image_format == media::ImageFormat::Unknown) ||
        report.media_type == MediaType::Video) {
      const media::StreamKinds kinds = media::probe_streams(*source);
      if (kinds.video) report.media_type = MediaType::Video;
      else if (kinds.audio) report.media_type = MediaType::Audio;
      if (report.format == "unknown" && report.media_type != MediaType::Image)
        report.format = media_type_name(report.media_type);
    }

    media::Image image;
    std::vector<uint8_t> normalized_bytes;
    Sample sample;
    sample.path = name;
    sample.bytes = bytes;
    sample.source = source.get();
    sample.format = image_format;
    sample.media_type = report.media_type;
    std::string no_pixels;  // why the content itself cannot be analysed, when it cannot
    VideoAnalysis video;
    AudioAnalysis sound;
    if (report.media_type == MediaType::Video) {
      try {
        // A second reader over the same bytes: the pipeline owns its source, the detectors keep theirs.
        auto video_source = bytes.empty() ? open_file_source(name) : make_span_source(bytes, name);
        const face::LandmarkModel* lm = landmarks();
        video = analyze_video(std::move(video_source), options, face_detector(), face_models(), lm, landmarks_reason());
        if (std::any_of(detectors.begin(), detectors.end(), [](const auto& d) { return d->uses_audio(); }))
          measure_audio_level(bytes.empty() ? open_file_source(name) : make_span_source(bytes, name), options.max_video_s, video);
        else
          video.audio_unavailable = "no enabled detector uses the sound track";
        sample.video = &video;
        report.width = video.info.width;
        report.height = video.info.height;
        report.video = video_summary(video);
        if (!video.info.has_audio) {
          sample.audio_unavailable = "the video has no sound track";
        } else {
          analyze_sound(bytes.empty() ? open_file_source(name) : make_span_source(bytes, name), options.max_video_s, sound, sample);
          if (sample.audio) report.audio = audio_summary(sound);
        }
      } catch (const Error& e) {
        if (e.kind() == ErrorKind::Usage || e.kind() == ErrorKind::Internal) throw;
        no_pixels = fmt::format("the video stream cannot be analysed ({})", e.what());
      }
    } else if (report.media_type == MediaType::Audio) {
      analyze_sound(bytes.empty() ? open_file_source(name) : make_span_source(bytes, name), options.max_audio_s, sound, sample);
      if (sample.audio) report.audio = audio_summary(sound);
      else no_pixels = sample.audio_unavailable;
    } else if (image_format == media::ImageFormat::Unknown) {
      no_pixels = kind.format == formats::Format::Unknown
                      ? "not a recognised image, video or audio file"
                      : fmt::format("the pixels of {} files are not decoded for detection (JPEG, PNG and WebP are)",
                                    formats::format_name(kind.format));
    } else {
      media::DecodeOptions decode;
      decode.max_pixels = options.max_pixels;
      decode.apply_exif_orientation = false;  // JPEG grids stay aligned; heatmaps follow stored pixels
      decode.force_rgb = true;
      image = media::decode_image(*source, decode);
      if (options.normalize) {
        // Every file alike: pixels only, re-encoded losslessly, no metadata.
        normalized_bytes = media::encode_png(image);
        sample.bytes = normalized_bytes;
        sample.format = media::ImageFormat::Png;
        sample.normalized = true;
      }
      sample.image = &image;
      report.width = image.width;
      report.height = image.height;
    }
    for (const auto& d : detectors) {
      if (!d->applies_to(report.media_type)) continue;
      if (sample.image == nullptr && sample.video == nullptr && sample.audio == nullptr && d->needs_pixels()) continue;
      report.detectors.push_back(run_one(*d, sample));
    }
    if (!no_pixels.empty()) {
      // Provenance alone: fine when it found something; otherwise the file is unsupported.
      const bool any = std::any_of(report.detectors.begin(), report.detectors.end(),
                                   [](const DetectorResult& d) { return d.status == Status::Applied; });
      if (!any) throw Error(ErrorKind::Unsupported, fmt::format("{}: {}, and it carries no Content Credentials", name, no_pixels));
      DetectorResult note;
      note.name = "content";
      note.version = "0";
      note.status = Status::NotApplicable;
      note.reason = no_pixels + "; only provenance was checked";
      report.detectors.push_back(note);
    }
    fuse_report(report);
    for (const auto& d : report.detectors) {
      if (d.name == "c2pa" && d.evidence.details.contains("provenance"))
        report.provenance["c2pa"] = d.evidence.details["provenance"];
      if (d.name == "watermarks" && d.status == Status::Applied) {
        report.provenance["watermark"] = d.evidence.details.value("watermark", nlohmann::json());
        report.provenance["known_marks"] = d.evidence.details.value("known_marks", nlohmann::json::array());
      }
    }
    if (keep_preview && sample.image) make_preview(image, report);
    if (sample.video) {
      report.key_frames = choose_key_frames(report.detectors, video);
      if (keep_preview) {
        try {
          fill_key_frames(bytes.empty() ? open_file_source(name) : make_span_source(bytes, name), options, report.key_frames);
        } catch (const Error&) {
          // The pictures are an extra for the HTML report; the analysis above stands without them.
        }
      }
    }
    if (!options.keep_heatmaps) {
      for (auto& d : report.detectors) d.evidence.heatmap = Heatmap{};
    }
  } catch (const Error& e) {
    report.error = e.what();
    report.error_kind = error_kind_name(e.kind());
    report.detectors.clear();
  } catch (const std::bad_alloc&) {
    report.error = "out of memory";
    report.error_kind = error_kind_name(ErrorKind::Internal);
    report.detectors.clear();
  }
  report.timing_ms = ms_since(t0);
  return report;
}

FileReport Engine::analyze_bytes(std::vector<uint8_t> bytes, const std::string& name, bool keep_preview) const {
  return impl_->analyze(std::move(bytes), name, keep_preview);
}

FileReport Engine::analyze_file(const std::string& path, bool keep_preview) const {
  std::vector<uint8_t> bytes;
  try {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw Error(ErrorKind::Io, path + ": is a directory");
    auto src = open_file_source(path);
    if (src->size() == 0) throw Error(ErrorKind::Malformed, path + ": empty file (0 bytes)");
    // Videos and audio are streamed from disk (any length); everything else is read whole, within
    // the limit.
    const formats::Detected kind = formats::detect(*src);
    if (kind.mime.rfind("video/", 0) == 0 || media_type_of(kind.format, kind.mime) == MediaType::Audio ||
        (media::sniff_image_format(*src) == media::ImageFormat::Unknown && kind.format == formats::Format::Unknown &&
         media::probe_streams(*src).audio) ||
        (media::sniff_image_format(*src) == media::ImageFormat::Unknown && kind.format == formats::Format::Unknown &&
         media::probe_video(*src)))
      return impl_->analyze({}, path, keep_preview, std::move(src));
    if (src->size() > impl_->options.max_file_bytes)
      throw Error(ErrorKind::Unsupported,
                  fmt::format("{}: file of {} bytes is over the {} byte limit for detection", path, src->size(),
                              impl_->options.max_file_bytes));
    bytes = src->read_vector(0, src->size());
  } catch (const Error& e) {
    FileReport r;
    r.path = path;
    r.error = e.what();
    r.error_kind = error_kind_name(e.kind());
    return r;
  }
  return impl_->analyze(std::move(bytes), path, keep_preview);
}

void Engine::analyze_live(const media::LiveSource& source, const LiveOptions& live,
                          const std::function<void(FileReport&&, bool)>& on_window) const {
  if (!(live.window_s > 0) || !(live.history_s >= live.window_s))
    throw Error(ErrorKind::Usage, "live: the window must be positive and the history at least one window");
  const EngineOptions& o = impl_->options;
  media::VideoOptions vo;
  vo.sample_fps = o.video_fps;
  vo.max_long_side = 1280;
  vo.max_pixels = std::min<uint64_t>(o.max_pixels, 8192ull * 4320);
  media::VideoReader reader(source, vo);
  const face::LandmarkModel* lm = impl_->landmarks();
  VideoAnalyzer analyzer(o, impl_->face_detector(), impl_->face_models(), reader.info(), lm, impl_->landmarks_reason());
  analyzer.analysis().audio_unavailable = "live screening reads the picture only";
  const auto t0 = Clock::now();
  double window_start = 0.0;
  auto emit = [&](bool final) {
    const auto w0 = Clock::now();
    VideoAnalysis& v = analyzer.analysis();
    analyzer.forget_before(v.analysed_s - live.history_s);
    v.frames_decoded = reader.frames_decoded();
    v.packets_rejected = reader.packets_rejected();
    FileReport report;
    report.path = source.input;
    report.media_type = MediaType::Video;
    report.format = "live";
    report.width = v.info.width;
    report.height = v.info.height;
    Sample sample;
    sample.path = source.input;
    sample.media_type = MediaType::Video;
    sample.video = &v;
    for (const auto& d : impl_->detectors) {
      // Content detectors only: provenance needs the whole file, which a stream never is.
      if (!d->applies_to(MediaType::Video) || !d->needs_pixels()) continue;
      report.detectors.push_back(run_one(*d, sample));
    }
    impl_->fuse_report(report);
    report.video = video_summary(v);
    const double wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
    report.video["live"] = {{"window_start_s", window_start},
                            {"window_end_s", v.analysed_s},
                            {"history_s", live.history_s},
                            {"final", final},
                            {"report_ms", ms_since(w0)},
                            {"lag_s", std::max(0.0, wall_s - v.analysed_s)}};
    report.timing_ms = ms_since(w0);
    window_start = v.analysed_s;
    on_window(std::move(report), final);
  };
  double next_window = live.window_s;
  while (auto frame = reader.next()) {
    analyzer.add(*frame);
    if (frame->time_s + 1e-9 >= next_window) {
      emit(false);
      next_window = frame->time_s + live.window_s;
    }
  }
  if (analyzer.analysis().frames_analysed == 0)
    throw Error(ErrorKind::Malformed, source.input + ": the stream ended before a video frame could be decoded");
  emit(true);
}

void Engine::analyze_many(const std::vector<std::string>& paths, unsigned threads,
                          const std::function<void(size_t, FileReport&&)>& on_done, bool keep_preview) const {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = std::min<unsigned>(threads, static_cast<unsigned>(std::max<size_t>(1, paths.size())));
  std::mutex mu;
  size_t next = 0;
  auto worker = [&] {
    for (;;) {
      size_t i;
      {
        std::lock_guard lock(mu);
        if (next >= paths.size()) return;
        i = next++;
      }
      FileReport r = analyze_file(paths[i], keep_preview);
      std::lock_guard lock(mu);
      on_done(i, std::move(r));
    }
  };
  if (threads == 1) {
    worker();
    return;
  }
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
}

}  // namespace veritrace::detect
