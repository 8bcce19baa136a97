// SVG plots of evaluation results (include/veritrace/evaluate.hpp): ROC curves and reliability
// diagrams as self-contained strings, drawn with a generic sans-serif font and no external
// resources, so they can be written to a file or inlined in an HTML report.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include "veritrace/evaluate.hpp"

namespace veritrace::evaluate {
namespace {

// Locale-independent fixed-point number.
std::string num(double v, int decimals = 1) {
  if (!std::isfinite(v)) v = 0.0;
  if (std::fabs(v) < 0.5 * std::pow(10.0, -decimals)) v = 0.0;  // no "-0.0"
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
  return std::string(buf, r.ptr);
}

// Okabe-Ito palette (distinguishable with colour-vision deficiencies).
constexpr const char* kColours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                    "#E69F00", "#56B4E9", "#000000", "#F0E442"};
constexpr std::size_t kColourCount = sizeof kColours / sizeof kColours[0];

struct Frame {
  double left = 0, top = 0, width = 0, height = 0;
  double x(double v) const { return left + std::clamp(v, 0.0, 1.0) * width; }
  double y(double v) const { return top + (1.0 - std::clamp(v, 0.0, 1.0)) * height; }
};

Frame frame_for(const PlotOptions& o, int* w, int* h) {
  *w = std::clamp(o.width, 200, 4000);
  *h = std::clamp(o.height, 200, 4000);
  Frame f;
  f.left = 58;
  f.top = o.title.empty() ? 16 : 36;
  f.width = *w - f.left - 18;
  f.height = *h - f.top - 50;
  return f;
}

std::string open_svg(int w, int h, const PlotOptions& o, const std::string& fallback_title) {
  std::string s;
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(w) + "\" height=\"" +
       std::to_string(h) + "\" viewBox=\"0 0 " + std::to_string(w) + " " + std::to_string(h) +
       "\" font-family=\"sans-serif\" font-size=\"12\" role=\"img\">\n";
  s += "<title>" + xml_escape(o.title.empty() ? fallback_title : o.title) + "</title>\n";
  s += "<rect x=\"0\" y=\"0\" width=\"" + std::to_string(w) + "\" height=\"" + std::to_string(h) +
       "\" fill=\"#ffffff\"/>\n";
  if (!o.title.empty())
    s += "<text x=\"" + num(w / 2.0) + "\" y=\"22\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">" +
         xml_escape(o.title) + "</text>\n";
  return s;
}

// Grid, frame, ticks at 0, 0.2, ..., 1 and axis titles.
std::string axes(const Frame& f, const std::string& x_title, const std::string& y_title) {
  std::string s = "<g stroke=\"#dddddd\" stroke-width=\"1\">\n";
  for (int i = 1; i < 5; ++i) {
    const double t = i / 5.0;
    s += "<line x1=\"" + num(f.x(t)) + "\" y1=\"" + num(f.y(0)) + "\" x2=\"" + num(f.x(t)) + "\" y2=\"" +
         num(f.y(1)) + "\"/>\n";
    s += "<line x1=\"" + num(f.x(0)) + "\" y1=\"" + num(f.y(t)) + "\" x2=\"" + num(f.x(1)) + "\" y2=\"" +
         num(f.y(t)) + "\"/>\n";
  }
  s += "</g>\n";
  s += "<rect x=\"" + num(f.left) + "\" y=\"" + num(f.top) + "\" width=\"" + num(f.width) + "\" height=\"" +
       num(f.height) + "\" fill=\"none\" stroke=\"#333333\" stroke-width=\"1\"/>\n";
  s += "<g stroke=\"#333333\" stroke-width=\"1\">\n";
  for (int i = 0; i <= 5; ++i) {
    const double t = i / 5.0;
    s += "<line x1=\"" + num(f.x(t)) + "\" y1=\"" + num(f.y(0)) + "\" x2=\"" + num(f.x(t)) + "\" y2=\"" +
         num(f.y(0) + 5) + "\"/>\n";
    s += "<line x1=\"" + num(f.x(0) - 5) + "\" y1=\"" + num(f.y(t)) + "\" x2=\"" + num(f.x(0)) + "\" y2=\"" +
         num(f.y(t)) + "\"/>\n";
  }
  s += "</g>\n<g fill=\"#333333\">\n";
  for (int i = 0; i <= 5; ++i) {
    const double t = i / 5.0;
    s += "<text x=\"" + num(f.x(t)) + "\" y=\"" + num(f.y(0) + 18) + "\" text-anchor=\"middle\">" + num(t) +
         "</text>\n";
    s += "<text x=\"" + num(f.x(0) - 8) + "\" y=\"" + num(f.y(t) + 4) + "\" text-anchor=\"end\">" + num(t) +
         "</text>\n";
  }
  s += "<text x=\"" + num(f.left + f.width / 2) + "\" y=\"" + num(f.y(0) + 38) + "\" text-anchor=\"middle\">" +
       xml_escape(x_title) + "</text>\n";
  const double yc = f.top + f.height / 2;
  s += "<text x=\"16\" y=\"" + num(yc) + "\" text-anchor=\"middle\" transform=\"rotate(-90 16 " + num(yc) +
       ")\">" + xml_escape(y_title) + "</text>\n";
  s += "</g>\n";
  return s;
}

std::string diagonal(const Frame& f) {
  return "<path d=\"M" + num(f.x(0)) + " " + num(f.y(0)) + " L" + num(f.x(1)) + " " + num(f.y(1)) +
         "\" fill=\"none\" stroke=\"#888888\" stroke-width=\"1\" stroke-dasharray=\"5 4\"/>\n";
}

struct LegendEntry {
  std::string text;
  std::string colour;
  enum Kind { Line, Dashed, Box, Dot, Text } kind = Line;
};

// Legend box in the lower right (ROC: the empty corner) or upper left corner of the frame.
std::string legend(const Frame& f, const std::vector<LegendEntry>& entries, bool upper_left = false) {
  if (entries.empty()) return {};
  std::size_t longest = 0;
  for (const auto& e : entries) longest = std::max(longest, e.text.size());
  const double row = 18, pad = 8;
  const double w = std::min(f.width - 2 * pad, 36 + 6.6 * static_cast<double>(longest) + pad);
  const double h = row * static_cast<double>(entries.size()) + pad;
  const double x0 = upper_left ? f.left + pad : f.left + f.width - w - pad;
  const double y0 = upper_left ? f.top + pad : f.top + f.height - h - pad;
  std::string s = "<g>\n<rect x=\"" + num(x0) + "\" y=\"" + num(y0) + "\" width=\"" + num(w) + "\" height=\"" +
                  num(h) + "\" fill=\"#ffffff\" fill-opacity=\"0.9\" stroke=\"#bbbbbb\"/>\n";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    const double cy = y0 + pad / 2 + row * (static_cast<double>(i) + 0.5);
    switch (e.kind) {
      case LegendEntry::Line:
      case LegendEntry::Dashed:
        s += "<path d=\"M" + num(x0 + 8) + " " + num(cy) + " L" + num(x0 + 30) + " " + num(cy) +
             "\" stroke=\"" + e.colour + "\" stroke-width=\"2\"" +
             (e.kind == LegendEntry::Dashed ? " stroke-dasharray=\"5 4\"" : "") + "/>\n";
        break;
      case LegendEntry::Box:
        s += "<rect x=\"" + num(x0 + 10) + "\" y=\"" + num(cy - 6) + "\" width=\"18\" height=\"12\" fill=\"" +
             e.colour + "\" fill-opacity=\"0.45\" stroke=\"" + e.colour + "\"/>\n";
        break;
      case LegendEntry::Dot:
        s += "<circle cx=\"" + num(x0 + 19) + "\" cy=\"" + num(cy) + "\" r=\"4\" fill=\"" + e.colour + "\"/>\n";
        break;
      case LegendEntry::Text:
        break;
    }
    s += "<text x=\"" + num(x0 + 36) + "\" y=\"" + num(cy + 4) + "\">" + xml_escape(e.text) + "</text>\n";
  }
  s += "</g>\n";
  return s;
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // Control characters other than tab/newline are not allowed in XML 1.0: drop them.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') break;
        out += c;
    }
  }
  return out;
}

std::string roc_svg(std::span<const RocSeries> curves, const PlotOptions& options) {
  int w = 0, h = 0;
  const Frame f = frame_for(options, &w, &h);
  std::string s = open_svg(w, h, options, "ROC curve");
  s += axes(f, "False positive rate", "True positive rate");
  s += diagonal(f);
  std::vector<LegendEntry> entries;
  for (std::size_t c = 0; c < curves.size(); ++c) {
    const auto& series = curves[c];
    const std::string colour = kColours[c % kColourCount];
    std::string label = series.label.empty() ? "curve " + std::to_string(c + 1) : series.label;
    label += series.auc ? " (AUC " + num(*series.auc, 3) + ")" : " (AUC n/a)";
    entries.push_back({label, colour, LegendEntry::Line});
    if (series.points.empty()) continue;
    // Points closer than 0.25 px to the previous one add nothing visible.
    std::string d;
    double px = -1e9, py = -1e9;
    for (std::size_t i = 0; i < series.points.size(); ++i) {
      const double x = f.x(series.points[i].fpr), y = f.y(series.points[i].tpr);
      const bool last = i + 1 == series.points.size();
      if (!d.empty() && !last && std::fabs(x - px) < 0.25 && std::fabs(y - py) < 0.25) continue;
      d += (d.empty() ? "M" : " L") + num(x, 2) + " " + num(y, 2);
      px = x;
      py = y;
    }
    s += "<path d=\"" + d + "\" fill=\"none\" stroke=\"" + colour +
         "\" stroke-width=\"2\" stroke-linejoin=\"round\"/>\n";
  }
  entries.push_back({"chance", "#888888", LegendEntry::Dashed});
  s += legend(f, entries);
  s += "</svg>\n";
  return s;
}

std::string reliability_svg(std::span<const ReliabilityBin> bins, const PlotOptions& options,
                            std::optional<double> ece) {
  int w = 0, h = 0;
  const Frame f = frame_for(options, &w, &h);
  std::string s = open_svg(w, h, options, "Reliability diagram");
  s += axes(f, "Predicted probability", "Observed frequency");
  const char* bar = kColours[0];
  const char* dot = kColours[1];
  s += "<g fill=\"" + std::string(bar) + "\" fill-opacity=\"0.35\" stroke=\"" + bar + "\" stroke-width=\"1\">\n";
  for (const auto& b : bins) {
    if (b.count == 0) continue;
    const double x0 = f.x(b.lower), x1 = f.x(b.upper), y = f.y(b.observed_frequency);
    s += "<rect x=\"" + num(x0 + 1) + "\" y=\"" + num(y) + "\" width=\"" + num(std::max(0.0, x1 - x0 - 2)) +
         "\" height=\"" + num(f.y(0) - y) + "\"/>\n";
  }
  s += "</g>\n<g fill=\"#333333\" font-size=\"9\" text-anchor=\"middle\">\n";
  for (const auto& b : bins) {
    if (b.count == 0) continue;
    const double y = std::max(f.y(b.observed_frequency) - 3, f.top + 10);
    s += "<text x=\"" + num((f.x(b.lower) + f.x(b.upper)) / 2) + "\" y=\"" + num(y) + "\">" +
         std::to_string(b.count) + "</text>\n";
  }
  s += "</g>\n";
  s += diagonal(f);
  std::string d;
  std::string dots;
  for (const auto& b : bins) {
    if (b.count == 0) continue;
    const double x = f.x(b.mean_predicted), y = f.y(b.observed_frequency);
    d += (d.empty() ? "M" : " L") + num(x, 2) + " " + num(y, 2);
    dots += "<circle cx=\"" + num(x, 2) + "\" cy=\"" + num(y, 2) + "\" r=\"4\"/>\n";
  }
  if (!d.empty()) {
    s += "<path d=\"" + d + "\" fill=\"none\" stroke=\"" + dot + "\" stroke-width=\"1.5\"/>\n";
    s += "<g fill=\"" + std::string(dot) + "\">\n" + dots + "</g>\n";
  }
  std::vector<LegendEntry> entries = {{"observed frequency (number: samples in bin)", bar, LegendEntry::Box},
                                      {"mean predicted vs observed", dot, LegendEntry::Dot},
                                      {"perfect calibration", "#888888", LegendEntry::Dashed}};
  if (ece) entries.push_back({"expected calibration error " + num(*ece, 3), "", LegendEntry::Text});
  s += legend(f, entries, /*upper_left=*/true);
  s += "</svg>\n";
  return s;
}

}  // namespace veritrace::evaluate
