// Video through the detection engine: pulse extraction (POS) on synthetic colour traces, the rppg
// detector on clips with a known pulse composited into a real face, and bad or face-less videos.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include <fstream>

#include "detect/detectors/rppg.hpp"
#include "detect/learned/model_spec.hpp"
#include "detect/learned/onnx_detector.hpp"
#include "support/tiny_onnx.hpp"
#include "detect/video_pipeline.hpp"
#include "support/test_support.hpp"
#include "veritrace/detect.hpp"

namespace fs = std::filesystem;
using namespace veritrace;
using namespace veritrace::detect;

namespace {

constexpr double kPi = 3.14159265358979323846;
// The direction in RGB in which blood volume changes skin colour (Wang et al. 2017, normalised).
constexpr double kPulseRgb[3] = {0.33, 0.77, 0.53};

std::vector<std::array<float, 3>> skin_trace(double hz, double fs, double seconds, double amplitude, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 0.3);
  std::vector<std::array<float, 3>> out;
  const double base[3] = {180, 130, 110};
  for (int k = 0; k < static_cast<int>(seconds * fs); ++k) {
    const double p = std::sin(2 * kPi * hz * k / fs);
    std::array<float, 3> c{};
    for (int i = 0; i < 3; ++i)
      c[static_cast<size_t>(i)] = static_cast<float>(base[i] * (1 + amplitude * kPulseRgb[i] * p) + noise(rng) + 0.02 * k);
    out.push_back(c);
  }
  return out;
}

double number(const DetectorResult& d, const std::string& key) {
  for (const auto& [k, v] : d.evidence.numbers)
    if (k == key) return v;
  ADD_FAILURE() << "no number " << key;
  return NAN;
}

const DetectorResult* find(const FileReport& r, const std::string& name) {
  for (const auto& d : r.detectors)
    if (d.name == name) return &d;
  return nullptr;
}

// Writes a 12 s, 15 fps, 480x360 H.264 clip of a UTKFace face on a textured background. The face's
// pixels are modulated along the pulse direction: one rhythm everywhere (incoherent = false), or a
// different rhythm above the eyes and in the left and right halves below them (incoherent = true).
fs::path make_pulse_clip(const fs::path& dir, const fs::path& face_file, double hz, bool incoherent) {
  const auto face = media::decode_image_file(face_file.string(), {.force_rgb = true});
  const fs::path out = dir / (incoherent ? "incoherent.mp4" : "pulse.mp4");
  const std::string cmd = "ffmpeg -nostdin -loglevel error -y -f rawvideo -pix_fmt rgb24 -s 480x360 -r 15 -i - "
                          "-c:v libx264 -crf 14 -pix_fmt yuv420p " + vt_test::shell_quote(out.string());
  FILE* pipe = popen(cmd.c_str(), "w");
  if (!pipe) return {};
  std::vector<uint8_t> frame(480 * 360 * 3);
  const int fx = 140, fy = 80;
  const double rates[3] = {hz, hz * 1.55, hz * 2.1};
  for (int k = 0; k < 180; ++k) {
    const double t = k / 15.0;
    for (int y = 0; y < 360; ++y)
      for (int x = 0; x < 480; ++x)
        for (int c = 0; c < 3; ++c) frame[(static_cast<size_t>(y) * 480 + x) * 3 + c] = static_cast<uint8_t>(60 + (x * 7 + y * 3 + c * 50) % 90);
    for (int y = 0; y < face.height; ++y)
      for (int x = 0; x < face.width; ++x) {
        int part = 0;
        if (incoherent) part = y < face.height * 2 / 5 ? 0 : (x < face.width / 2 ? 1 : 2);
        const double p = std::sin(2 * kPi * rates[incoherent ? part : 0] * t + part * 1.3);
        for (int c = 0; c < 3; ++c) {
          const double v = face.row(y)[x * 3 + c] * (1 + 0.03 * kPulseRgb[c] * p);
          frame[(static_cast<size_t>(fy + y) * 480 + fx + x) * 3 + c] = static_cast<uint8_t>(std::clamp(std::lround(v), 0l, 255l));
        }
      }
    if (fwrite(frame.data(), 1, frame.size(), pipe) != frame.size()) break;
  }
  EXPECT_EQ(pclose(pipe), 0);
  return out;
}

}  // namespace

TEST(Rppg, PosRecoversAKnownPulseRate) {
  const double fs = 15.0;
  const auto trace = skin_trace(1.3, fs, 20, 0.02, 1);
  const auto pulse = rppg::pos_pulse(trace, fs);
  const auto peak = rppg::dominant_frequency(pulse, fs);
  EXPECT_NEAR(peak.hz, 1.3, 0.03);
  EXPECT_GT(peak.snr_db, 3.0);
  // Only noise: no clear peak.
  const auto flat = rppg::pos_pulse(skin_trace(1.3, fs, 20, 0.0, 2), fs);
  EXPECT_LT(rppg::dominant_frequency(flat, fs).snr_db, peak.snr_db - 6.0);
  // Two regions with one pulse correlate in the pulse band; different pulses do not.
  const auto other = rppg::pos_pulse(skin_trace(1.3, fs, 20, 0.02, 3), fs);
  const auto faster = rppg::pos_pulse(skin_trace(2.2, fs, 20, 0.02, 4), fs);
  EXPECT_GT(rppg::band_correlation(pulse, other, fs), 0.8);
  EXPECT_LT(std::abs(rppg::band_correlation(pulse, faster, fs)), 0.3);
}

TEST(Rppg, TrackEstimateNeedsALongEnoughFace) {
  FaceTrack track;
  for (int k = 0; k < 60; ++k) {  // 4 s only
    FacePoint p;
    p.time_s = k / 15.0;
    p.skin_valid = {true, true, true};
    track.points.push_back(p);
  }
  EXPECT_FALSE(rppg::estimate(track));
}

TEST(Rppg, SkinRegionsSitOnForeheadAndCheeks) {
  face::Face f;
  f.landmarks[face::kRightEye] = {100, 100};
  f.landmarks[face::kLeftEye] = {160, 100};
  f.landmarks[face::kNose] = {130, 135};
  f.landmarks[face::kRightMouth] = {108, 165};
  f.landmarks[face::kLeftMouth] = {152, 165};
  const auto r = skin_regions(f);
  EXPECT_LT(r[0].y + r[0].height, 100);                  // forehead above the eyes
  EXPECT_NEAR(r[0].x + r[0].width / 2.0, 130, 2);
  EXPECT_GT(r[1].y, 100);                                // cheeks below the eyes,
  EXPECT_LT(r[1].y + r[1].height, 165);                  // above the mouth,
  EXPECT_LT(r[1].x + r[1].width / 2.0, 130);             // one on each side of the nose
  EXPECT_GT(r[2].x + r[2].width / 2.0, 130);
}

TEST(DetectVideo, RppgFindsTheCompositedPulseAndItsAbsence) {
  VT_REQUIRE_SHARED(shared);
  VT_REQUIRE_FFMPEG();
  vt_test::TempDir tmp;
  const fs::path face = shared / "data/real/faces_utk";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(face)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  // A well-exposed face: the fewest clipped or near-black pixels in the crop's face area, among a
  // few (some UTKFace pictures have blown-out cheeks, which carry no pulse).
  fs::path one;
  double least = 2.0;
  for (size_t i = 0; i < files.size(); i += files.size() / 12) {
    const auto im = media::decode_image_file(files[i].string(), {.force_rgb = true});
    int64_t bad = 0, all = 0;
    for (int y = 0; y < im.height * 3 / 4; ++y)
      for (int x = im.width / 5; x < im.width * 4 / 5; ++x, ++all) {
        const uint8_t* p = im.row(y) + x * 3;
        bad += std::max({p[0], p[1], p[2]}) > 240 || std::min({p[0], p[1], p[2]}) < 20;
      }
    const double frac = static_cast<double>(bad) / static_cast<double>(all);
    if (frac < least) {
      least = frac;
      one = files[i];
    }
  }
  EngineOptions options;
  options.detectors = {"rppg", "blink", "seam_flicker"};
  Engine engine(options);

  const fs::path coherent_clip = make_pulse_clip(tmp.path(), one, 1.2, false);
  const auto coherent = engine.analyze_file(coherent_clip.string());
  ASSERT_FALSE(coherent.error) << *coherent.error;
  EXPECT_EQ(coherent.media_type, MediaType::Video);
  const DetectorResult* d = find(coherent, "rppg");
  ASSERT_TRUE(d);
  ASSERT_EQ(d->status, Status::Applied) << d->reason;
  EXPECT_NEAR(number(*d, "heart_rate_bpm"), 72.0, 3.0);
  const double c1 = number(*d, "coherence");
  EXPECT_GT(c1, 0.6);
  EXPECT_FALSE(d->evidence.time_ranges.empty());
  EXPECT_EQ(coherent.video.value("frames_analysed", 0), 180);
  // A photograph never blinks: 12 s without a blink, when a normal rate expects about 2.
  if (fs::exists(face::LandmarkModel::default_path())) {
    const DetectorResult* bl = find(coherent, "blink");
    ASSERT_TRUE(bl);
    ASSERT_EQ(bl->status, Status::Applied) << bl->reason;
    EXPECT_EQ(number(*bl, "blinks"), 0.0);
    EXPECT_GT(*bl->score, 0.8);
    EXPECT_EQ(coherent.video.value("landmarks", ""), "dlib 68-point");
    // A still photograph: its rim changes no more than its inside.
    const DetectorResult* sf = find(coherent, "seam_flicker");
    ASSERT_TRUE(sf);
    ASSERT_EQ(sf->status, Status::Applied) << sf->reason;
    EXPECT_LT(*sf->score, 0.75) << sf->evidence.summary;  // 0.60 here (ratio 1.5): encoder noise only
  }
  // Key moments: chosen without a preview (times only), with pictures when one is asked for.
  ASSERT_FALSE(coherent.key_frames.empty());
  EXPECT_TRUE(coherent.key_frames.front().frame_jpeg.empty());
  const auto shown = engine.analyze_file(coherent_clip.string(), /*keep_preview=*/true);
  ASSERT_FALSE(shown.key_frames.empty());
  for (const auto& k : shown.key_frames) {
    EXPECT_EQ(k.face_track, 0);
    ASSERT_GT(k.face.width, 0);
    EXPECT_GE(k.face.x, 100);  // the composited face sits at x 140..340 of the 480 px frame
    EXPECT_LE(k.face.x + k.face.width, 380);
    const auto frame = media::decode_image(*make_span_source(k.frame_jpeg));
    EXPECT_EQ(frame.width, 480);
    EXPECT_EQ(frame.height, 360);
    const auto crop = media::decode_image(*make_span_source(k.face_jpeg));
    EXPECT_EQ(crop.width, face::kAlignedSize);
  }
  // Without the landmark model the eye signals do not apply, and say why.
  EngineOptions no_model = options;
  no_model.landmark_model = (tmp.path() / "absent.dat").string();
  const auto without = Engine(no_model).analyze_file(coherent_clip.string());
  ASSERT_FALSE(without.error) << *without.error;
  const DetectorResult* nb = find(without, "blink");
  ASSERT_TRUE(nb);
  EXPECT_EQ(nb->status, Status::NotApplicable);
  EXPECT_NE(nb->reason.find("landmark model not available"), std::string::npos) << nb->reason;
  EXPECT_EQ(find(without, "rppg")->status, Status::Applied);

  // Speech-like bursts put under the still face: the mouth never follows them. Without sound, the
  // detector says so.
  EngineOptions lip = options;
  lip.detectors = {"lipsync"};
  Engine lip_engine(lip);
  const auto mute = lip_engine.analyze_file(coherent_clip.string());
  ASSERT_TRUE(find(mute, "lipsync"));
  EXPECT_EQ(find(mute, "lipsync")->status, Status::NotApplicable);
  EXPECT_EQ(find(mute, "lipsync")->reason, "the video has no sound track");
  if (fs::exists(face::LandmarkModel::default_path())) {
    const fs::path talking = tmp.path() / "talking.mp4";
    auto mux = vt_test::run("ffmpeg -nostdin -loglevel error -y -i " + vt_test::shell_quote(coherent_clip.string()) +
                            " -f lavfi -i 'aevalsrc=0.3*sin(2*PI*220*t)*lt(mod(t\\,0.31)\\,0.18):s=16000:d=12'"
                            " -c:v copy -c:a aac -shortest " + vt_test::shell_quote(talking.string()));
    ASSERT_EQ(mux.exit_code, 0) << mux.err;
    const auto said = lip_engine.analyze_file(talking.string());
    ASSERT_FALSE(said.error) << *said.error;
    const DetectorResult* ls = find(said, "lipsync");
    ASSERT_TRUE(ls);
    ASSERT_EQ(ls->status, Status::Applied) << ls->reason;
    EXPECT_GT(*ls->score, 0.6);
  }

  const auto broken = engine.analyze_file(make_pulse_clip(tmp.path(), one, 1.2, true).string());
  ASSERT_FALSE(broken.error) << *broken.error;
  const DetectorResult* b = find(broken, "rppg");
  ASSERT_TRUE(b);
  ASSERT_EQ(b->status, Status::Applied) << b->reason;
  EXPECT_LT(number(*b, "coherence"), c1 - 0.2);
  EXPECT_GT(*b->score, *d->score);
}

TEST(DetectVideo, KeyFramesAreEachDetectorsWorstMomentStrongestFirst) {
  VideoAnalysis v;
  FaceTrack tr;
  tr.id = 3;
  for (int k = 0; k < 100; ++k) {
    FacePoint p;
    p.time_s = k * 0.1;
    p.face.x = static_cast<float>(k);
    p.face.width = p.face.height = 50;
    tr.points.push_back(p);
  }
  v.tracks.push_back(tr);
  auto det = [](const std::string& name, double probability, std::vector<TimeRange> ranges) {
    DetectorResult d;
    d.name = name;
    d.status = Status::Applied;
    d.score = probability;
    d.probability = probability;
    d.evidence.time_ranges = std::move(ranges);
    return d;
  };
  std::vector<DetectorResult> ds = {
      det("weak", 0.2, {{0, 2, 0.9, "face 3"}, {6, 8, 0.95, "face 3"}}),       // its worst: 7 s
      det("strong", 0.8, {{2, 4, 0.1, "face 3"}, {4, 6, 0.7, "face 3"}}),      // its worst: 5 s
      det("close", 0.5, {{4.5, 5.9, 0.9, "face 3"}}),                          // 5.2 s: too close to 5 s
      det("none", 0.9, {}),                                                     // no ranges
  };
  DetectorResult off = det("off", 0.99, {{1, 2, 1.0, "face 3"}});
  off.status = Status::NotApplicable;
  ds.push_back(off);
  const auto keys = choose_key_frames(ds, v);
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].detector, "strong");
  EXPECT_NEAR(keys[0].time_s, 5.0, 1e-9);
  EXPECT_EQ(keys[0].face_track, 3);
  EXPECT_FLOAT_EQ(keys[0].face.x, 50.0f);  // the track's face at 5.0 s
  EXPECT_EQ(keys[1].detector, "weak");
  EXPECT_NEAR(keys[1].time_s, 7.0, 1e-9);
}

TEST(DetectVideo, FacelessAndBrokenVideosAreReportedNotCrashed) {
  VT_REQUIRE_FFMPEG();
  vt_test::TempDir tmp;
  const fs::path plain = tmp.path() / "plain.mkv";
  auto r = vt_test::run("ffmpeg -nostdin -loglevel error -y -f lavfi -i 'color=gray:s=320x240:r=10:d=2' -c:v libx264 " +
                        vt_test::shell_quote(plain.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Engine engine;
  const auto rep = engine.analyze_file(plain.string());
  ASSERT_FALSE(rep.error) << *rep.error;
  EXPECT_EQ(rep.media_type, MediaType::Video);
  EXPECT_EQ(rep.verdict, Verdict::NotApplicable);
  const DetectorResult* d = find(rep, "rppg");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->status, Status::NotApplicable);
  EXPECT_NE(d->reason.find("no face"), std::string::npos) << d->reason;
  EXPECT_EQ(rep.video.value("frames_analysed", 0), 20);

  // Cut inside the first frame: an error for this file, exit 3 territory, no crash.
  auto bytes = vt_test::read_file(plain);
  bytes.resize(bytes.size() / 3);
  const auto cut = engine.analyze_bytes(bytes, "cut.mkv");
  if (cut.error) {
    EXPECT_EQ(cut.error_kind == "malformed" || cut.error_kind == "unsupported", true) << cut.error_kind;
  } else {
    EXPECT_LT(cut.video.value("frames_analysed", 0), 20);
  }
  // Audio only: not a video, but an audio file (a steady tone holds no speech).
  const fs::path tone = tmp.path() / "tone.m4a";
  r = vt_test::run("ffmpeg -nostdin -loglevel error -y -f lavfi -i sine=d=1 -c:a aac " + vt_test::shell_quote(tone.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto audio = engine.analyze_file(tone.string());
  ASSERT_FALSE(audio.error) << *audio.error;
  EXPECT_EQ(audio.media_type, detect::MediaType::Audio);
  EXPECT_EQ(audio.verdict, detect::Verdict::NotApplicable);
}

namespace {

// A face-level user model: score = mean of the crop's first channel after normalisation (a tiny
// network made here), sidecar "fit": "face".
fs::path write_face_model(const fs::path& dir, int side = face::kAlignedSize) {
  const fs::path onnx = dir / "facemean.onnx";
  vt_test::write_file(onnx, vt_test::onnx::channel_mean_model(1.0f, 0.0f, 0.0f, 0.0f, side, side));
  const std::string sidecar = R"({"name": "facemean", "version": "1", "task": "manipulated",
    "input": {"width": )" + std::to_string(side) + R"(, "height": )" + std::to_string(side) +
                              R"(, "colour": "rgb", "scale": 0.00392156862745098, "fit": "face"},
    "output": {"kind": "logit", "index": 0}})";
  vt_test::write_file(dir / "facemean.json", std::vector<uint8_t>(sidecar.begin(), sidecar.end()));
  return onnx;
}

double red_mean(const media::Image& im) {
  double s = 0;
  for (int y = 0; y < im.height; ++y)
    for (int x = 0; x < im.width; ++x) s += im.row(y)[x * 3];
  return s / (255.0 * im.width * im.height);
}

}  // namespace

TEST(FaceModels, SidecarFitFaceNeedsTheAlignedCropSize) {
  vt_test::TempDir tmp;
  EXPECT_THROW(learned::load_model_file(write_face_model(tmp.path(), 96).string()), Error);
  auto d = learned::load_model_file(write_face_model(tmp.path()).string());
  EXPECT_TRUE(d->scores_faces());
  EXPECT_TRUE(d->applies_to(MediaType::Video));
  EXPECT_TRUE(d->applies_to(MediaType::Image));
}

TEST(FaceModels, ScorePicturesAndVideosByTheirAlignedFaces) {
  VT_REQUIRE_SHARED(shared);
  VT_REQUIRE_FFMPEG();
  vt_test::TempDir tmp;
  const auto model = write_face_model(tmp.path());
  EngineOptions options;
  options.detectors = {"c2pa"};
  options.model_files = {model.string()};
  Engine engine(options);

  // A still picture with one face: the score is the model's arithmetic on the aligned crop.
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(shared / "data/real/faces_utk")) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  const auto face_img = media::decode_image_file(files[7].string(), {.force_rgb = true});
  media::Image pic;
  pic.width = 480;
  pic.height = 360;
  pic.pixels.assign(480 * 360 * 3, 120);
  for (int y = 0; y < face_img.height; ++y)
    std::copy(face_img.row(y), face_img.row(y) + face_img.width * 3, pic.row(y + 80) + 140 * 3);
  const fs::path png = tmp.path() / "face.png";
  vt_test::write_file(png, media::encode_png(pic));
  const auto rep = engine.analyze_file(png.string());
  ASSERT_FALSE(rep.error) << *rep.error;
  const DetectorResult* d = find(rep, "facemean");
  ASSERT_TRUE(d);
  ASSERT_EQ(d->status, Status::Applied) << d->reason;
  ASSERT_EQ(d->evidence.regions.size(), 1u);
  const auto faces = face::FaceDetector().detect(pic);
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_NEAR(*d->score, red_mean(face::align_face(pic, faces[0])), 1e-4);
  EXPECT_GT(face::iou(faces[0], [&] { face::Face f; f.x = 140; f.y = 80; f.width = f.height = 200; return f; }()), 0.3f);

  // No face: not applicable, with the reason.
  media::Image blank = pic;
  std::fill(blank.pixels.begin(), blank.pixels.end(), 90);
  vt_test::write_file(tmp.path() / "blank.png", media::encode_png(blank));
  const auto none = engine.analyze_file((tmp.path() / "blank.png").string());
  ASSERT_FALSE(none.error);
  EXPECT_EQ(find(none, "facemean")->status, Status::NotApplicable);
  EXPECT_EQ(find(none, "facemean")->reason, "no face found");

  // A 3 s video of that picture: the engine scores the face at 5 frames/s while it decodes.
  const fs::path clip = tmp.path() / "still.mp4";
  auto r = vt_test::run("ffmpeg -nostdin -loglevel error -y -loop 1 -framerate 15 -t 3 -i " + vt_test::shell_quote(png.string()) +
                        " -c:v libx264 -crf 12 -pix_fmt yuv420p " + vt_test::shell_quote(clip.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto vid = engine.analyze_file(clip.string());
  ASSERT_FALSE(vid.error) << *vid.error;
  const DetectorResult* v = find(vid, "facemean");
  ASSERT_TRUE(v);
  ASSERT_EQ(v->status, Status::Applied) << v->reason;
  EXPECT_NEAR(number(*v, "faces_scored"), 15.0, 1.0);
  EXPECT_NEAR(*v->score, *d->score, 0.03);  // same face, through H.264
  EXPECT_EQ(v->evidence.time_ranges.size(), 3u);
  EXPECT_EQ(vid.video.at("face_models"), nlohmann::json::array({"facemean"}));
}
