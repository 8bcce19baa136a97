// The shipped voice models (models/voice/), compiled into the library as bytes: no model file is
// read at run time. CMake sets VT_VOICE_GMM_JSON, VT_VOICE_LCNN_ONNX and VT_VOICE_LCNN_JSON to the
// files' absolute paths.
#include "detect/detectors/detectors.hpp"

#define VT_INCBIN(sym, path)                                                                                 \
  __asm__(".section .rodata\n.balign 16\n.global " #sym "_begin\n" #sym "_begin:\n.incbin \"" path "\"\n" \
          ".global " #sym "_end\n" #sym "_end:\n.previous\n");                                              \
  extern "C" const unsigned char sym##_begin[], sym##_end[];

VT_INCBIN(vt_voice_gmm_json, VT_VOICE_GMM_JSON)
VT_INCBIN(vt_voice_lcnn_onnx, VT_VOICE_LCNN_ONNX)
VT_INCBIN(vt_voice_lcnn_json, VT_VOICE_LCNN_JSON)

namespace veritrace::detect {

std::span<const unsigned char> builtin_voice_file(VoiceFile which) {
  switch (which) {
    case VoiceFile::GmmJson: return {vt_voice_gmm_json_begin, vt_voice_gmm_json_end};
    case VoiceFile::LcnnOnnx: return {vt_voice_lcnn_onnx_begin, vt_voice_lcnn_onnx_end};
    case VoiceFile::LcnnSidecar: return {vt_voice_lcnn_json_begin, vt_voice_lcnn_json_end};
  }
  return {};
}

}  // namespace veritrace::detect
