#include "detect/audio_pipeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "detect/image_util.hpp"

namespace veritrace::detect {

namespace {

// Seconds covered by the union of the speech segments' time ranges.
double speech_seconds(const std::vector<AudioSegment>& segments) {
  double total = 0.0, cur_start = -1.0, cur_end = -1.0;
  for (const auto& s : segments) {  // in start order
    if (!s.speech) continue;
    if (s.start_s > cur_end) {
      if (cur_end > cur_start) total += cur_end - cur_start;
      cur_start = s.start_s;
    }
    cur_end = std::max(cur_end, s.end_s);
  }
  if (cur_end > cur_start) total += cur_end - cur_start;
  return total;
}

}  // namespace

AudioAnalysis analyze_audio(std::unique_ptr<ByteSource> source, double max_s, const std::vector<const Detector*>& segment_models) {
  media::AudioOptions options;
  options.sample_rate = audio::kSampleRate;
  options.max_duration_s = max_s;
  media::AudioReader reader(std::move(source), options);
  AudioAnalysis a;
  a.info = reader.info();
  for (const Detector* d : segment_models) a.segment_models.push_back(d->name());
  audio::Segmenter segmenter([&](int64_t start, std::span<const float> samples, int64_t real) {
    AudioSegment seg;
    seg.start_s = static_cast<double>(start) / audio::kSampleRate;
    seg.end_s = static_cast<double>(start + real) / audio::kSampleRate;
    const auto speech = audio::speech_frames(samples);
    // A short clip is tiled to a whole segment; the repetition would look like rhythm, so the
    // speech check sees the clip's own samples only.
    const auto own = samples.first(static_cast<size_t>(real));
    const audio::SpeechCheck check = real < audio::kSegmentSamples ? audio::check_speech(own, audio::speech_frames(own))
                                                                   : audio::check_speech(samples, speech);
    seg.speech = check.speech;
    seg.why_not = check.why_not;
    seg.active_share = check.active_share;
    seg.scores.assign(segment_models.size(), std::numeric_limits<float>::quiet_NaN());
    if (seg.speech && !segment_models.empty()) {
      const audio::Features f = audio::lfcc(samples);
      const AudioSegmentInput input{samples, f, speech};
      for (size_t i = 0; i < segment_models.size(); ++i)
        if (auto v = segment_models[i]->score_segment(input); v && std::isfinite(*v)) seg.scores[i] = static_cast<float>(*v);
    }
    a.segments.push_back(std::move(seg));
  });
  std::vector<float> block;
  while (reader.next(block)) segmenter.push(block);
  segmenter.finish();
  a.analysed_s = static_cast<double>(segmenter.samples()) / audio::kSampleRate;
  a.packets_rejected = reader.packets_rejected();
  a.truncated = max_s > 0 && a.analysed_s + 1e-6 >= max_s;
  a.speech_s = speech_seconds(a.segments);
  return a;
}

nlohmann::json audio_summary(const AudioAnalysis& a) {
  size_t speech = 0;
  for (const auto& s : a.segments) speech += s.speech;
  return {{"duration_s", a.info.duration_s},
          {"codec", a.info.codec},
          {"container", a.info.container},
          {"source_rate", a.info.source_rate},
          {"channels", a.info.channels},
          {"analysis_rate", audio::kSampleRate},
          {"analysed_s", a.analysed_s},
          {"truncated", a.truncated},
          {"packets_rejected", a.packets_rejected},
          {"segments", a.segments.size()},
          {"speech_segments", speech},
          {"speech_s", a.speech_s},
          {"segment_models", a.segment_models}};
}

DetectorResult aggregate_segments(const Detector& d, const Sample& sample, const std::string& what) {
  const AudioAnalysis* a = sample.audio;
  if (a == nullptr)
    return not_applicable(d, sample.audio_unavailable.empty() ? "no sound to analyse" : sample.audio_unavailable);
  const auto it = std::find(a->segment_models.begin(), a->segment_models.end(), d.name());
  if (it == a->segment_models.end()) return not_applicable(d, "the engine did not run this model on the audio");
  const size_t index = static_cast<size_t>(it - a->segment_models.begin());
  std::vector<const AudioSegment*> scored;
  std::map<std::string, int> why;
  for (const auto& s : a->segments) {
    if (s.speech && std::isfinite(s.scores[index])) scored.push_back(&s);
    else if (!s.speech) ++why[s.why_not];
  }
  if (scored.empty()) {
    if (a->segments.empty()) return not_applicable(d, "no audio samples could be decoded");
    const auto most = std::max_element(why.begin(), why.end(), [](const auto& x, const auto& y) { return x.second < y.second; });
    return not_applicable(d, fmt::format("no speech found in {:.1f} s of audio ({})", a->analysed_s,
                                         most == why.end() ? "no segment could be scored" : most->first));
  }
  double sum = 0.0;
  const AudioSegment* worst = scored.front();
  for (const AudioSegment* s : scored) {
    sum += s->scores[index];
    if (s->scores[index] > worst->scores[index]) worst = s;
  }
  const double mean = sum / static_cast<double>(scored.size());
  DetectorResult r = applied(d, Finding::Synthetic);
  r.score = mean;
  for (const AudioSegment* s : scored) r.evidence.time_ranges.push_back({s->start_s, s->end_s, s->scores[index], "speech"});
  r.evidence.numbers = {{"raw_score", mean},
                        {"speech_segments", static_cast<double>(scored.size())},
                        {"speech_s", a->speech_s},
                        {"max_segment_score", worst->scores[index]},
                        {"worst_start_s", worst->start_s}};
  r.evidence.summary = fmt::format("{}: mean spoof score {:.2f} over {} speech segment{} ({:.1f} s of speech); the highest, {:.2f}, at {:.1f}-{:.1f} s.",
                                   what, mean, scored.size(), scored.size() == 1 ? "" : "s", a->speech_s, worst->scores[index],
                                   worst->start_s, worst->end_s);
  return r;
}

}  // namespace veritrace::detect
