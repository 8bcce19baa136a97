// Watermarks as evidence: the invisible marks that open image generators embed by default (SD 1/2,
// SDXL, FLUX.1) decide `synthetic` and name the generator; our own Veritrace mark is reported (it is a
// soft binding that anyone may embed, so by itself it says nothing about how the picture was made).
#include <fmt/format.h>

#include "detect/detectors/detectors.hpp"
#include "detect/image_util.hpp"
#include "veritrace/provenance.hpp"
#include "veritrace/watermark.hpp"

namespace veritrace::detect {

namespace {

using nlohmann::json;

std::string family_of_mark(const std::string& mark) {
  if (mark == "sd1" || mark == "sd2") return "stable-diffusion";
  return mark;  // sdxl, flux
}

std::string display_name(const std::string& mark) {
  if (mark == "sd1") return "Stable Diffusion 1.x";
  if (mark == "sd2") return "Stable Diffusion 2.x";
  if (mark == "sdxl") return "Stable Diffusion XL";
  if (mark == "flux") return "FLUX.1";
  return mark;
}

class WatermarkDetector final : public Detector {
 public:
  std::string name() const override { return "watermarks"; }
  std::string version() const override { return "1"; }
  bool applies_to(MediaType t) const override { return t == MediaType::Image; }

  DetectorResult run(const Sample& s) const override {
    const media::Image& img = *s.image;
    DetectorResult r = applied(*this, Finding::Synthetic);
    json ours = {{"found", false}};
    if (std::min(img.width, img.height) >= watermark::kMinSide) {
      const watermark::Detection d = watermark::detect(img);
      ours = {{"found", d.found}, {"p_value", d.p_value}};
      if (d.found && d.payload) {
        ours["payload"] = provenance::soft_binding_value(*d.payload);
        ours["algorithm"] = watermark::kAlgorithmName;
      }
    } else {
      ours["note"] = fmt::format("image smaller than {} px: not searched", watermark::kMinSide);
    }
    json known = json::array();
    std::vector<std::string> found;
    for (const auto& k : watermark::detect_known_marks(img)) {
      known.push_back({{"name", k.name}, {"variant", k.variant}, {"detected", k.detected},
                       {"bit_accuracy", k.bit_accuracy}, {"p_value", k.p_value}});
      if (k.detected) {
        found.push_back(fmt::format("{} (bit agreement {:.0f}%, p = {:.0e})", display_name(k.name), 100 * k.bit_accuracy, k.p_value));
        if (!r.generator) r.generator = family_of_mark(k.name);
      }
    }
    r.evidence.details["watermark"] = ours;
    r.evidence.details["known_marks"] = known;
    r.evidence.numbers.emplace_back("known_marks_detected", static_cast<double>(found.size()));
    if (!found.empty()) {
      r.decision = Decision::Synthetic;
      std::string list;
      for (const auto& f : found) list += (list.empty() ? "" : "; ") + f;
      r.evidence.summary = "The image carries the invisible watermark an AI image generator embeds in its output: " + list + ".";
    } else if (ours.value("found", false)) {
      r.evidence.summary = fmt::format("A Veritrace watermark carries id {} (a soft binding to Content Credentials); no generator watermark.",
                                       ours.value("payload", std::string()));
    } else {
      r.evidence.summary = "No generator watermark (Stable Diffusion, SDXL, FLUX.1) and no Veritrace watermark.";
    }
    return r;
  }
};

}  // namespace

std::unique_ptr<Detector> make_watermark_detector() { return std::make_unique<WatermarkDetector>(); }

}  // namespace veritrace::detect
