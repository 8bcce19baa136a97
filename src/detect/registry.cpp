// The built-in detectors in report order: provenance first, then metadata, then pixel forensics.
#include "detect/detectors/detectors.hpp"
#include "detect/learned/onnx_detector.hpp"

namespace veritrace::detect {

namespace {

std::vector<DetectorInfo> with_learned(std::vector<DetectorInfo> list) {
  // The learned detectors compiled into the library (models/*.onnx), after the classic ones.
  for (const auto& m : learned::builtin_models()) {
    const learned::ModelSpec spec = learned::parse_model_spec(m.sidecar, "built-in model " + m.name);
    list.push_back({spec.name, spec.description.empty() ? "Learned detector (models/" + m.name + ".onnx)" : spec.description, true,
                    [m, spec](const EngineOptions&) {
                      return learned::make_onnx_detector(spec, std::vector<uint8_t>(m.onnx_begin, m.onnx_end),
                                                         "built-in model " + m.name);
                    }});
  }
  return list;
}

}  // namespace

const std::vector<DetectorInfo>& builtin_detectors() {
  static const std::vector<DetectorInfo> list = with_learned({
      {"c2pa", "Content Credentials (C2PA): validity, AI digital source types, ingredients", true,
       [](const EngineOptions& o) { return make_c2pa_detector(o); }},
      {"watermarks", "Invisible watermarks: Veritrace's own and the marks of open image generators", true,
       [](const EngineOptions&) { return make_watermark_detector(); }},
      {"metadata", "EXIF/XMP/IPTC and PNG text: generator and editing-software traces, JPEG tables", true,
       [](const EngineOptions&) { return make_metadata_detector(); }},
      {"frequency", "Spectral traces of up-sampling in the image's noise residual", true,
       [](const EngineOptions&) { return make_frequency_detector(); }},
      {"jpeg_ghost", "JPEG double quantisation and ghosts: regions with another compression history", true,
       [](const EngineOptions&) { return make_jpeg_ghost_detector(); }},
      {"block_grid", "JPEG block-grid misalignment: regions pasted at another 8x8 offset", true,
       [](const EngineOptions&) { return make_block_grid_detector(); }},
      {"noise", "Local noise-level inconsistency", true, [](const EngineOptions&) { return make_noise_detector(); }},
      {"cfa", "Colour-filter-array (demosaicing) traces in uncompressed images", true,
       [](const EngineOptions&) { return make_cfa_detector(); }},
      {"copy_move", "Copied-and-pasted regions within the image (keypoints + geometric check)", true,
       [](const EngineOptions&) { return make_copy_move_detector(); }},
      {"rppg", "Video: one coherent pulse (remote photoplethysmography) across the face's skin regions", true,
       [](const EngineOptions&) { return make_rppg_detector(); }},
      {"blink", "Video: blink rate and eye-aspect-ratio dynamics of the main face (68-point landmarks)", true,
       [](const EngineOptions&) { return make_blink_detector(); }},
      {"lipsync", "Video: the main face's mouth movement against the loudness of the sound track (offset and link)", true,
       [](const EngineOptions&) { return make_lipsync_detector(); }},
      {"seam_flicker", "Video: frame-to-frame colour jitter at the rim of the main face, where a swapped face is blended in", true,
       [](const EngineOptions&) { return make_seam_flicker_detector(); }},
      {"voice_gmm", "Audio: LFCC Gaussian-mixture reference, bona fide vs spoofed speech (the ASVspoof baseline)", true,
       [](const EngineOptions&) { return make_voice_gmm_detector(); }},
      {"voice_lcnn", "Audio: learned detector of synthetic and cloned voices (light CNN on LFCC)", true,
       [](const EngineOptions&) { return make_voice_lcnn_detector(); }},
  });
  return list;
}

}  // namespace veritrace::detect
