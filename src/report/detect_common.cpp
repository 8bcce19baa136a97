#include "report/detect_common.hpp"

#include <cmath>
#include <cstdint>
#include <map>

#include <fmt/format.h>

namespace veritrace::report::detail {

using detect::Finding;
using detect::Status;
using detect::Verdict;

Tier tier_of(Verdict v) {
  switch (v) {
    case Verdict::Synthetic:
    case Verdict::Manipulated: return {"Flagged", "\u25B2", "flag"};
    case Verdict::Unsure: return {"Unsure", "?", "unsure"};
    case Verdict::NoEvidence: return {"Nothing found", "\u25CB", "none"};
    case Verdict::NotApplicable: break;
  }
  return {"Not applicable", "\u2013", "na"};
}

Tier error_tier() { return {"Error", "\u2715", "error"}; }

const char* verdict_short(Verdict v) {
  switch (v) {
    case Verdict::Synthetic: return "likely AI-generated";
    case Verdict::Manipulated: return "likely manipulated";
    case Verdict::Unsure: return "unsure: mixed evidence";
    case Verdict::NoEvidence:
      return "no evidence of generation or manipulation found (this does not prove the file is authentic)";
    case Verdict::NotApplicable: break;
  }
  return "not applicable";
}

std::string not_applicable_reason(const detect::FileReport& r) {
  for (const auto& reason : r.reasons)
    if (!reason.empty()) return reason;
  std::string out;
  for (const auto& d : r.detectors) {
    if (d.status != Status::NotApplicable || d.reason.empty()) continue;
    if (out.find(d.reason) != std::string::npos) continue;
    if (!out.empty()) out += "; ";
    out += d.reason;
    if (out.size() > 200) break;
  }
  return out.empty() ? "no check could examine this file" : out;
}

std::optional<double> finite(const std::optional<double>& v) {
  if (v && std::isfinite(*v)) return v;
  return std::nullopt;
}

std::string format_fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "n/a";
  return fmt::format("{:.{}f}", v, decimals);
}

namespace {

struct DetectorWords {
  const char* title;
  const char* about;
  const char* caveat;
};

constexpr const char* kPixelCaveat =
    "Pixel forensics can miss skilled edits and can flag heavy compression, resizing or filters as edits.";

const std::map<std::string, DetectorWords, std::less<>>& detector_words() {
  static const std::map<std::string, DetectorWords, std::less<>> words = {
      {"c2pa",
       {"Content Credentials (C2PA)",
        "Reads the signed record of origin (C2PA, \u201CContent Credentials\u201D) that some cameras, editing "
        "programs and AI tools attach to a file.",
        "Content Credentials show what the signer declared and that the file has not changed since; most files "
        "carry none, and many websites and screenshots remove them."}},
      {"watermarks",
       {"Invisible watermarks",
        "Looks for invisible marks hidden in the pixels by some AI image generators, and for Veritrace's own "
        "watermark.",
        "Only generators that use a known watermark can be recognised this way; cropping, resizing or heavy "
        "compression can remove a mark."}},
      {"metadata",
       {"File metadata",
        "Reads the information stored alongside the picture (camera model, software, AI tool settings, "
        "compression tables).",
        "Metadata is easy to remove or forge: a generator's name in it is a strong hint, its absence means "
        "nothing."}},
      {"frequency",
       {"Up-sampling traces",
        "Looks for regular patterns in the finest detail that many AI image generators leave when they enlarge "
        "an image internally.",
        "These traces fade with resizing and strong compression, and some generators do not leave them."}},
      {"jpeg_ghost",
       {"JPEG compression history",
        "Checks whether parts of the picture were compressed differently, as happens when a piece is pasted in "
        "from another image.",
        kPixelCaveat}},
      {"noise",
       {"Noise consistency",
        "Every camera leaves a fine grain in a photo; a region with a different grain may come from elsewhere.",
        kPixelCaveat}},
      {"block_grid",
       {"JPEG block grid",
        "JPEG stores pictures in 8\u00D78 pixel blocks; a pasted or moved piece often breaks that grid.",
        kPixelCaveat}},
      {"cfa",
       {"Camera sensor pattern",
        "Camera sensors record colour through a mosaic filter that leaves a regular pattern; areas without it "
        "may have been altered or generated.",
        "The sensor pattern survives only in pictures that were never compressed or resized; pixel forensics "
        "can miss skilled edits and can flag smooth or filtered areas as edits."}},
      {"content",
       {"Pixel checks", "Every check that needs the picture's pixels.",
        "Without decodable pixels only the origin records could be checked."}},
      {"rppg",
       {"Pulse in the face (video)",
        "Real skin changes colour very slightly with every heartbeat; this check measures that rhythm on the "
        "forehead and both cheeks and asks whether they beat together.",
        "Strong compression, movement and poor light wash the pulse out of real faces too, and good face swaps "
        "can keep the pulse of the original video: supporting evidence only."}},
      {"blink",
       {"Blinking (video)",
        "People blink every few seconds; this check counts the blinks of the main face from the shape of its "
        "eyes and asks whether there are as many as a person usually makes.",
        "Short clips, a fixed stare, reading or heavy compression lower the count of real people too, and "
        "recent face swaps blink normally: supporting evidence only."}},
      {"lipsync",
       {"Lips and voice (video)",
        "While someone speaks the mouth opens and closes with the loudness of the voice; this check measures "
        "how closely the main face's mouth follows the sound, and whether the sound is shifted in time.",
        "A speaker off screen, music, several voices or a badly synchronised but genuine recording also break "
        "the link; a face swap that keeps the original mouth passes it."}},
      {"seam_flicker",
       {"Face edge flicker (video)",
        "A swapped face is blended into every frame anew, so the colour at its edge can flicker; this check "
        "compares how much the rim of the face changes from frame to frame with how much its inside does.",
        "Movement at the jaw line, hair, beards, shadows and strong compression also make the rim flicker: "
        "supporting evidence only."}},
      {"face_sbi",
       {"Face-swap blending",
        "A network trained to spot the seam and colour mismatch where a face has been blended into a picture, "
        "scored on every face it finds (in videos, several times a second).",
        "Trained on real faces blended with themselves, not on any particular face-swap tool; heavy compression, "
        "make-up, masks and unusual lighting can mislead it."}},
      {"voice_gmm",
       {"Voice statistics (audio)",
        "Compares the fine shape of the voice's spectrum, every 10 ms, with a statistical model of real "
        "recorded speech and one of synthesised speech (the classic reference method of voice anti-spoofing).",
        "Trained on a small set of studio-quality English read speech and older speech synthesisers; phone "
        "lines, noise, other languages and recent voice-cloning systems can mislead it: supporting evidence "
        "only."}},
      {"voice_lcnn",
       {"Cloned or synthetic voice (audio)",
        "A small network trained to spot the traces that speech synthesisers and voice converters leave in "
        "the spectrum of a voice, scored on every 4-second stretch of speech.",
        "Trained here on little data (studio English read speech, older synthesisers, and sounds we made); "
        "it has not seen today's commercial voice-cloning systems, and compression or noise weaken it."}},
      {"copy_move",
       {"Copied regions",
        "Looks for parts of the picture that were copied and pasted elsewhere in the same picture.",
        "Genuine repeated patterns (tiles, windows, crowds) can look like copies; small or heavily altered copies "
        "can be missed."}},
  };
  return words;
}

}  // namespace

std::string detector_title(const std::string& name) {
  const auto& w = detector_words();
  auto it = w.find(name);
  return it == w.end() ? name : it->second.title;
}

std::string detector_about(const std::string& name) {
  const auto& w = detector_words();
  auto it = w.find(name);
  return it == w.end() ? std::string() : it->second.about;
}

std::string detector_caveat(const detect::DetectorResult& d) {
  const auto& details = d.evidence.details;
  if (details.is_object()) {
    auto it = details.find("reliability");
    if (it != details.end() && it->is_string() && !it->get_ref<const std::string&>().empty())
      return it->get<std::string>();
  }
  const auto& w = detector_words();
  auto it = w.find(d.name);
  if (it != w.end()) return it->second.caveat;
  return "Automatic checks can be wrong in both directions; treat this result as one clue among others.";
}

const char* status_words(Status s) {
  switch (s) {
    case Status::Applied: return "checked";
    case Status::NotApplicable: return "not applicable";
    case Status::Error: break;
  }
  return "failed";
}

const char* points_to_words(Finding f) { return f == Finding::Synthetic ? "AI generation" : "editing"; }

std::string generator_display(const std::string& family) {
  static const std::map<std::string, const char*, std::less<>> names = {
      {"stable-diffusion", "Stable Diffusion"},
      {"sd1", "Stable Diffusion 1.x"},
      {"sd2", "Stable Diffusion 2.x"},
      {"sdxl", "Stable Diffusion XL"},
      {"sd3", "Stable Diffusion 3"},
      {"flux", "FLUX (Black Forest Labs)"},
      {"dall-e", "DALL\u00B7E (OpenAI)"},
      {"gpt-image", "GPT Image (OpenAI)"},
      {"midjourney", "Midjourney"},
      {"firefly", "Adobe Firefly"},
      {"imagen", "Imagen (Google)"},
      {"ideogram", "Ideogram"},
      {"stylegan", "StyleGAN"},
      {"comfyui", "ComfyUI (Stable Diffusion workflow)"},
  };
  auto it = names.find(family);
  return it == names.end() ? family : it->second;
}

std::string clean_utf8(std::string_view s, bool for_terminal) {
  std::string out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7F) {
        if (for_terminal) out += fmt::format("\\x{:02x}", c);
        else if (c == '\n' || c == '\t') out += static_cast<char>(c);
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    // Multi-byte: length, minimum code point, then continuation bytes.
    size_t len = 0;
    uint32_t cp = 0, min = 0;
    if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07, min = 0x10000;
    bool ok = len != 0 && i + len <= n;
    for (size_t k = 1; ok && k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) ok = false;
      else cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (!ok) {
      out += "\uFFFD";
      ++i;
      continue;
    }
    if (cp >= 0x80 && cp <= 0x9F) {  // C1 controls (0x9B is a terminal CSI)
      if (for_terminal) out += fmt::format("\\u{:04x}", cp);
    } else {
      out.append(s.substr(i, len));
    }
    i += len;
  }
  return out;
}

}  // namespace veritrace::report::detail
