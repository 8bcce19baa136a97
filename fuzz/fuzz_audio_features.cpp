// libFuzzer target: what is ours after the decoder in the audio path. The first byte picks the
// part: 'G' a voice GMM model (JSON) scored on a fixed segment, 'S' a voice network sidecar
// (JSON), anything else 16-bit samples cut into segments (blocks of input-chosen sizes, short
// streams tiled) with the energy VAD, the speech check and LFCC on each.
#include <cmath>
#include <cstdint>

#include "detect/detectors/detectors.hpp"
#include "veritrace/audio.hpp"
#include "veritrace/core.hpp"

using namespace veritrace;

namespace {

void check_features(std::span<const float> x) {
  const auto mask = audio::speech_frames(x);
  if (mask.size() != static_cast<size_t>(audio::frame_count(x.size()))) __builtin_trap();
  const auto c = audio::check_speech(x, mask);
  if (!(c.active_share >= 0.0 && c.active_share <= 1.0)) __builtin_trap();
  const auto f = audio::lfcc(x);
  for (float v : f.values)
    if (!std::isfinite(v)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    if (data[0] == 'G') {
      const auto pair = audio::GmmPair::from_json(nlohmann::json::parse(rest));
      if (pair.bonafide.dims() == audio::kFeatureRows) {
        std::vector<float> tone(audio::kSegmentSamples);
        for (size_t i = 0; i < tone.size(); ++i) tone[i] = static_cast<float>(0.1 * std::sin(0.05 * static_cast<double>(i)));
        const auto f = audio::lfcc(tone);
        (void)pair.score(f, audio::speech_frames(tone));
      }
      return 0;
    }
    if (data[0] == 'S') {
      (void)detect::parse_voice_net_spec(nlohmann::json::parse(rest));
      return 0;
    }
  } catch (const Error&) {
    return 0;
  } catch (const nlohmann::json::exception&) {
    return 0;
  }
  std::vector<float> samples;
  for (size_t i = 1; i + 1 < size; i += 2)
    samples.push_back(static_cast<float>(static_cast<int16_t>(data[i] | data[i + 1] << 8)) / 32768.0f);
  int segments = 0;
  audio::Segmenter seg([&](int64_t start, std::span<const float> s, int64_t real) {
    if (s.size() != static_cast<size_t>(audio::kSegmentSamples) || start < 0 || real <= 0) __builtin_trap();
    if (++segments <= 2) check_features(s);
  });
  size_t pos = 0, step = 1 + data[0] * 13u;
  while (pos < samples.size()) {
    const size_t n = std::min(step, samples.size() - pos);
    seg.push(std::span<const float>(samples).subspan(pos, n));
    pos += n;
    step = step * 3 % 4099 + 1;
  }
  seg.finish();
  if (samples.size() > static_cast<size_t>(audio::kFft / 2)) check_features(samples);
  return 0;
}
