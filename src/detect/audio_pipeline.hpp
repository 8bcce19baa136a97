// The audio side of the engine: decode a sound stream to 16 kHz mono, cut it into 4 s segments,
// check each for speech and let the segment models (voice detectors) score the speech segments as
// the stream is read. The voice detectors then aggregate the scores (aggregate_segments).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "veritrace/detect.hpp"

namespace veritrace::detect {

// Throws Error(Unsupported) when the source has no decodable audio stream, Error(Malformed) for a
// broken one. max_s: stop after this many seconds (0 = the whole stream).
AudioAnalysis analyze_audio(std::unique_ptr<ByteSource> source, double max_s, const std::vector<const Detector*>& segment_models);

// The report's "audio" object.
nlohmann::json audio_summary(const AudioAnalysis& a);

// What a voice detector reports from its segment scores: not_applicable (no sound, no speech) or
// applied with the clip score (mean over speech segments), the segments as time ranges, and the
// worst stretch named in the summary. `what` names the detector in sentences.
DetectorResult aggregate_segments(const Detector& d, const Sample& sample, const std::string& what);

}  // namespace veritrace::detect
