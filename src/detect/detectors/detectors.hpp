// The built-in detectors, one file each under src/detect/detectors/. Internal to the detect module:
// the engine makes them through builtin_detectors() (src/detect/registry.cpp).
#pragma once
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "veritrace/detect.hpp"

namespace veritrace::detect {

// Provenance: C2PA manifests (AI digital source types, validity) and watermarks (ours, the
// generators' known marks).
std::unique_ptr<Detector> make_c2pa_detector(const EngineOptions& options);  // "c2pa"  (c2pa.cpp)
std::unique_ptr<Detector> make_watermark_detector();   // "watermarks"  (watermarks.cpp)
// Metadata: EXIF/XMP/IPTC (exiv2), PNG text chunks, JPEG quantisation tables.
std::unique_ptr<Detector> make_metadata_detector();    // "metadata"    (metadata.cpp)
// Pixel forensics.
std::unique_ptr<Detector> make_frequency_detector();   // "frequency"   (frequency.cpp)
std::unique_ptr<Detector> make_jpeg_ghost_detector();  // "jpeg_ghost"  (jpeg_ghost.cpp)
std::unique_ptr<Detector> make_noise_detector();       // "noise"       (noise.cpp)
std::unique_ptr<Detector> make_block_grid_detector();  // "block_grid"  (block_grid.cpp)
std::unique_ptr<Detector> make_cfa_detector();         // "cfa"         (cfa.cpp)
std::unique_ptr<Detector> make_copy_move_detector();   // "copy_move"   (copy_move.cpp)
// Video: temporal and biological signals of the faces (the engine's VideoAnalysis).
std::unique_ptr<Detector> make_rppg_detector();        // "rppg"        (rppg.cpp)
std::unique_ptr<Detector> make_blink_detector();       // "blink"       (blink.cpp)
std::unique_ptr<Detector> make_lipsync_detector();     // "lipsync"     (lipsync.cpp)
std::unique_ptr<Detector> make_seam_flicker_detector(); // "seam_flicker" (seam_flicker.cpp)
// Audio (files and sound tracks): segment models over 4 s speech segments (audio_pipeline.hpp).
std::unique_ptr<Detector> make_voice_gmm_detector();   // "voice_gmm"   (voice_gmm.cpp), shipped model
std::unique_ptr<Detector> make_voice_gmm_detector(const audio::GmmPair& model);
struct VoiceNetSpec {  // models/voice/lcnn.json
  std::string name, version;
  int frames = 0;
  std::vector<float> mean, std;  // per LFCC row
  int output_index = 0;
};
VoiceNetSpec parse_voice_net_spec(const nlohmann::json& sidecar);  // Error(Malformed) when bad
std::unique_ptr<Detector> make_voice_lcnn_detector();  // "voice_lcnn"  (voice_lcnn.cpp), shipped model
std::unique_ptr<Detector> make_voice_lcnn_detector(const VoiceNetSpec& spec, std::vector<uint8_t> onnx);  // Error(Malformed)
enum class VoiceFile { GmmJson, LcnnOnnx, LcnnSidecar };
std::span<const unsigned char> builtin_voice_file(VoiceFile which);  // voice_models.cpp

}  // namespace veritrace::detect
