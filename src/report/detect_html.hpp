// Pieces of the detection HTML report (internal to the report module): images, SVG, provenance.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "veritrace/detect.hpp"

namespace veritrace::report::detail {

// ---- images (detect_html_image.cpp) ----

struct Rgba {
  uint8_t r, g, b, a;
};
// The heatmap colour ramp: transparent below 0.1, then yellow to red with rising opacity.
// NaN counts as 0.
Rgba heat_colour(float v);

// The size of a w x h picture scaled so its long side is at most max_side (never upscaled, >= 1).
void fit_size(int w, int h, int max_side, int& out_w, int& out_h);

// "data:image/jpeg;base64,..." of the bytes, or empty when there are none.
std::string jpeg_data_uri(const std::vector<uint8_t>& jpeg);

// A smaller copy of a preview JPEG (long side <= max_side) as a data URI; the original's URI when it
// is small already; empty when it cannot be decoded.
std::string thumbnail_data_uri(const std::vector<uint8_t>& jpeg, int max_side);

struct HeatmapImage {
  std::string data_uri;  // RGBA PNG, out_w x out_h, "data:image/png;base64,..."
  double peak = 0.0;     // largest value in the map
  double marked = 0.0;   // share of the picture at or above 0.5
};
// Colourises the map, resampled to out_w x out_h (at most 2048 x 2048; box average along an axis
// that shrinks, linear interpolation along one that grows: engine maps may be coarse). nullopt when the map is empty or its values do not match width x height.
std::optional<HeatmapImage> heatmap_image(const detect::Heatmap& map, int out_w, int out_h);

// Video key moments: each frame with its face boxed, the aligned face crop, and what chose it
// (a "<div class=gallery>"), or empty when no key frame has pictures.
std::string key_frames_html(const std::vector<detect::KeyFrame>& frames, int analysed_width, int analysed_height);

// ---- SVG (detect_html_svg.cpp) ----

// A horizontal gauge 0..1 with the "nothing found" / "unsure" / "flagged" zones and a marker.
std::string score_gauge_svg(std::optional<double> score, const detect::Thresholds& t);
// A small bar of length p (0..1), coloured by the zone p falls in.
std::string probability_bar_svg(double p, const detect::Thresholds& t);
// The colour ramp of heat_colour with its end labels.
std::string heatmap_legend_svg();
// Video timeline: each detector's time ranges as a line of its raw score over time (one line per
// detector, min-max scaled per detector, labelled), over the analysed duration.
std::string timeline_svg(const std::vector<detect::DetectorResult>& detectors, double duration_s);
// Rectangles over an analysed image of width x height (for copy-move regions), or empty.
std::string regions_svg(const std::vector<detect::Region>& regions, int width, int height);

// ---- style (detect_html_style.cpp) ----

const char* report_css();

// ---- provenance (detect_html_provenance.cpp) ----

// The provenance JSON as headed blocks with plain labels; unknown keys are rendered generically.
std::string provenance_html(const nlohmann::json& provenance);

// Number formatting for people: 0.8712 -> "0.87", 1.2e-9 -> "1.2 × 10⁻⁹"-like "1.2e-09".
std::string human_number(double v);

}  // namespace veritrace::report::detail
