// Inline SVG of the HTML report: score gauge, probability bars, heatmap legend, region boxes.
// No ids, gradients or scripts: each drawing stands alone, so a page of many files stays valid.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "report/detect_common.hpp"
#include "report/detect_html.hpp"

namespace veritrace::report::detail {

namespace {

// Zone colours (light fills) and their strong counterparts; words always accompany them.
constexpr const char* kNoneFill = "#d7e6f2";
constexpr const char* kUnsureFill = "#f7dc9a";
constexpr const char* kFlagFill = "#f2aaa3";
constexpr const char* kNoneStrong = "#3f6f95";
constexpr const char* kUnsureStrong = "#b07800";
constexpr const char* kFlagStrong = "#b3261e";

struct Zones {
  double lo, hi;  // [0, lo) nothing found, [lo, hi) unsure, [hi, 1] flagged
};
Zones zones_of(const detect::Thresholds& t) {
  double th = std::isfinite(t.threshold) ? t.threshold : 0.5;
  double band = std::isfinite(t.unsure_band) ? std::max(0.0, t.unsure_band) : 0.0;
  double lo = std::clamp(th - band, 0.0, 1.0);
  double hi = std::clamp(th + band, lo, 1.0);
  return {lo, hi};
}

}  // namespace

std::string human_number(double v) {
  if (!std::isfinite(v)) return "n/a";
  const double a = std::fabs(v);
  if (a != 0.0 && a < 0.001) return fmt::format("{:.1e}", v);
  if (a >= 10000) return fmt::format("{:.0f}", v);
  if (a >= 100) return fmt::format("{:.1f}", v);
  if (a == std::floor(a)) return fmt::format("{:.0f}", v);
  return fmt::format("{:.3g}", v);
}

std::string score_gauge_svg(std::optional<double> score, const detect::Thresholds& t) {
  constexpr double X0 = 24, X1 = 456, W = X1 - X0, Y = 36, H = 18;
  const Zones z = zones_of(t);
  auto xof = [&](double v) { return X0 + W * std::clamp(v, 0.0, 1.0); };
  score = finite(score);
  std::string label = score ? fmt::format("Score {:.2f} on a scale from 0 to 1", *score) : "No score";
  label += fmt::format("; below {:.2f}: nothing found, {:.2f} to {:.2f}: unsure, from {:.2f}: flagged", z.lo, z.lo,
                       z.hi, z.hi);
  std::string s = fmt::format(
      "<svg class=\"gauge\" viewBox=\"0 0 480 96\" role=\"img\" aria-label=\"{0}\"><title>{0}</title>", label);
  // Zones.
  const double xs[4] = {X0, xof(z.lo), xof(z.hi), X1};
  const char* fills[3] = {kNoneFill, kUnsureFill, kFlagFill};
  const char* names[3] = {"nothing found", "unsure", "flagged"};
  const char* strong[3] = {kNoneStrong, kUnsureStrong, kFlagStrong};
  for (int i = 0; i < 3; ++i) {
    if (xs[i + 1] - xs[i] <= 0.0) continue;
    s += fmt::format("<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\"/>", xs[i], Y,
                     xs[i + 1] - xs[i], H, fills[i]);
    if (xs[i + 1] - xs[i] >= 64)
      s += fmt::format(
          "<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\" font-size=\"12\" fill=\"{}\" "
          "font-weight=\"600\">{}</text>",
          (xs[i] + xs[i + 1]) / 2, Y + H + 30, strong[i], names[i]);
  }
  s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#6b6b6b\"/>", X0, Y, W,
                   H);
  // Threshold ticks and numbers.
  for (double v : {0.0, z.lo, z.hi, 1.0}) {
    s += fmt::format(
        "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#6b6b6b\"/>"
        "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#444\">{4}</text>",
        xof(v), Y + H, Y + H + 5, Y + H + 16, v == 0.0 ? "0" : v == 1.0 ? "1" : fmt::format("{:.2f}", v));
  }
  if (score) {
    const double x = xof(*score);
    const double lx = std::clamp(x, X0 + 18, X1 - 18);
    s += fmt::format(
        "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#111\" stroke-width=\"3\"/>"
        "<path d=\"M{0:.1f} {1} l-7 -10 h14 z\" fill=\"#111\"/>"
        "<text x=\"{3:.1f}\" y=\"18\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"700\" "
        "fill=\"#111\">{4:.2f}</text>",
        x, Y - 2, Y + H + 2, lx, *score);
  } else {
    s += fmt::format("<text x=\"240\" y=\"18\" text-anchor=\"middle\" font-size=\"13\" fill=\"#555\">no score</text>");
  }
  return s + "</svg>";
}

std::string probability_bar_svg(double p, const detect::Thresholds& t) {
  if (!std::isfinite(p)) return {};
  p = std::clamp(p, 0.0, 1.0);
  const Zones z = zones_of(t);
  const char* fill = p >= z.hi ? kFlagStrong : p >= z.lo ? kUnsureStrong : kNoneStrong;
  return fmt::format(
      "<svg class=\"pbar\" viewBox=\"0 0 100 10\" aria-hidden=\"true\"><rect width=\"100\" height=\"10\" "
      "fill=\"#e4e4e4\"/><rect width=\"{:.1f}\" height=\"10\" fill=\"{}\"/>"
      "<line x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"0\" y2=\"10\" stroke=\"#333\" stroke-width=\"0.8\"/></svg>",
      100 * p, fill, 100 * z.hi, 100 * z.hi);
}

std::string heatmap_legend_svg() {
  constexpr int kSteps = 50;
  constexpr double X0 = 8, W = 300, Y = 6, H = 12;
  std::string s =
      "<svg class=\"legend\" viewBox=\"0 0 316 48\" role=\"img\" aria-label=\"Colour scale: clear means no "
      "sign of alteration, yellow a weak sign, red a strong sign\"><title>Colour scale of the map</title>";
  // Two rows: how the colours look over a light and over a dark part of a picture.
  s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>", X0, Y, W, H);
  s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#4a4a4a\"/>", X0, Y + H, W, H);
  for (int i = 0; i < kSteps; ++i) {
    const Rgba c = heat_colour(static_cast<float>((i + 0.5) / kSteps));
    if (c.a == 0) continue;
    s += fmt::format(
        "<rect x=\"{:.2f}\" y=\"{}\" width=\"{:.2f}\" height=\"{}\" fill=\"rgb({},{},{})\" fill-opacity=\"{:.3f}\"/>",
        X0 + W * i / kSteps, Y, W / kSteps + 0.3, 2 * H, c.r, c.g, c.b, c.a / 255.0);
  }
  s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#777\"/>", X0, Y, W,
                   2 * H);
  s += fmt::format(
      "<text x=\"{}\" y=\"44\" font-size=\"11\" fill=\"#333\">0 \u00B7 no sign</text>"
      "<text x=\"{}\" y=\"44\" font-size=\"11\" fill=\"#333\" text-anchor=\"middle\">0.5</text>"
      "<text x=\"{}\" y=\"44\" font-size=\"11\" fill=\"#333\" text-anchor=\"end\">1 \u00B7 strong sign</text>",
      X0, X0 + W / 2, X0 + W);
  return s + "</svg>";
}

std::string regions_svg(const std::vector<detect::Region>& regions, int width, int height) {
  if (regions.empty() || width <= 0 || height <= 0) return {};
  std::string s = fmt::format(
      "<svg class=\"regions\" viewBox=\"0 0 {} {}\" preserveAspectRatio=\"none\" aria-hidden=\"true\">", width,
      height);
  size_t n = 0;
  for (const auto& r : regions) {
    if (++n > 64) break;
    const int x = std::clamp(r.x, 0, width), y = std::clamp(r.y, 0, height);
    const int w = std::clamp(r.width, 0, width - x), h = std::clamp(r.height, 0, height - y);
    if (w == 0 || h == 0) continue;
    s += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#00d5ff\" stroke-width=\"3\" "
        "stroke-dasharray=\"8 4\" vector-effect=\"non-scaling-stroke\"/>",
        x, y, w, h);
  }
  return s + "</svg>";
}

std::string timeline_svg(const std::vector<detect::DetectorResult>& detectors, double duration_s) {
  constexpr double X0 = 40, X1 = 620, Y0 = 14, ROW = 46;
  std::vector<const detect::DetectorResult*> rows;
  for (const auto& d : detectors)
    if (!d.evidence.time_ranges.empty()) rows.push_back(&d);
  if (rows.empty() || !(duration_s > 0)) return {};
  const double H = Y0 + ROW * static_cast<double>(rows.size()) + 22;
  auto xof = [&](double t) { return X0 + (X1 - X0) * std::clamp(t / duration_s, 0.0, 1.0); };
  std::string label = "Scores over time: higher is more suspicious, each line scaled to its own range";
  std::string s = fmt::format(
      "<svg class=\"timeline\" viewBox=\"0 0 640 {0:.0f}\" role=\"img\" aria-label=\"{1}\"><title>{1}</title>", H, label);
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& ranges = rows[i]->evidence.time_ranges;
    double lo = ranges.front().score, hi = lo;
    for (const auto& t : ranges) {
      lo = std::min(lo, t.score);
      hi = std::max(hi, t.score);
    }
    const double top = Y0 + ROW * static_cast<double>(i), bottom = top + ROW - 14;
    auto yof = [&](double v) { return hi > lo ? bottom - (bottom - top) * (v - lo) / (hi - lo) : 0.5 * (top + bottom); };
    s += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"#f4f6f8\"/>", X0, top, X1 - X0,
                     bottom - top);
    std::string pts;
    for (const auto& t : ranges) pts += fmt::format("{:.1f},{:.1f} ", xof(0.5 * (t.start_s + t.end_s)), yof(t.score));
    s += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>", pts, kFlagStrong);
    for (const auto& t : ranges)
      s += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.5\" fill=\"{}\"/>", xof(0.5 * (t.start_s + t.end_s)),
                       yof(t.score), kFlagStrong);
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"10\">{} ({} to {})</text>", X0 + 4, top + 11,
                     rows[i]->name, human_number(lo), human_number(hi));
  }
  const double axis = Y0 + ROW * static_cast<double>(rows.size()) + 2;
  for (int k = 0; k <= 4; ++k) {
    const double t = duration_s * k / 4.0;
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"10\" text-anchor=\"middle\">{} s</text>", xof(t), axis + 12,
                     human_number(t));
  }
  return s + "</svg>";
}

}  // namespace veritrace::report::detail
