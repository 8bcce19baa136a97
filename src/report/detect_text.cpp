// `veritrace detect` terminal text: a few lines per file, so a batch of 1000 stays readable.
#include <fmt/format.h>

#include "report/detect_common.hpp"
#include "veritrace/report_detect.hpp"

namespace veritrace::report {

namespace {

using detect::Status;
using detect::Verdict;
using detail::clean_utf8;

struct Palette {
  const char* bold = "";
  const char* red = "";
  const char* yellow = "";
  const char* cyan = "";
  const char* dim = "";
  const char* reset = "";
};

Palette palette(bool color) {
  if (!color) return {};
  return {"\033[1m", "\033[31m", "\033[33m", "\033[36m", "\033[2m", "\033[0m"};
}

const char* verdict_colour(Verdict v, const Palette& p) {
  switch (v) {
    case Verdict::Synthetic:
    case Verdict::Manipulated: return p.red;
    case Verdict::Unsure: return p.yellow;
    case Verdict::NoEvidence: return p.cyan;
    case Verdict::NotApplicable: break;
  }
  return p.dim;
}

// A detector's number: the calibrated probability, else the raw score marked as such.
std::string detector_number(const detect::DetectorResult& d) {
  if (auto prob = detail::finite(d.probability)) return "p " + detail::format_fixed(*prob, 2);
  if (auto raw = detail::finite(d.score)) return "raw " + detail::format_fixed(*raw, 2);
  return "";
}

constexpr size_t kReasonsShown = 3;  // without --verbose

}  // namespace

std::string verdict_words(const detect::FileReport& r) {
  if (r.verdict == Verdict::NotApplicable) return "not applicable: " + detail::not_applicable_reason(r);
  return detail::verdict_short(r.verdict);
}

std::string detect_text(const detect::FileReport& r, const TextStyle& style) {
  const Palette p = palette(style.color);
  std::string out;
  const std::string path = clean_utf8(r.path.empty() ? std::string("(unnamed)") : r.path, true);
  if (r.error) {
    out += fmt::format("{}{}{}: {}error{}: {}\n", p.bold, path, p.reset, p.red, p.reset,
                       clean_utf8(r.error->empty() ? std::string("unreadable file") : *r.error, true));
    return out;
  }

  const auto score = detail::finite(r.score);
  out += fmt::format("{}{}{}: {}{}{}{} ({})\n", p.bold, path, p.reset, p.bold, verdict_colour(r.verdict, p),
                     clean_utf8(verdict_words(r), true), p.reset,
                     score ? "score " + detail::format_fixed(*score, 2) : std::string("no score"));
  if (r.generator && !r.generator->empty()) {
    std::string shown = detail::generator_display(*r.generator);
    out += fmt::format("  generator: {}{}\n", clean_utf8(shown, true),
                       shown != *r.generator ? " (" + clean_utf8(*r.generator, true) + ")" : std::string());
  }

  // Reasons, most weighty first (the engine's order). For not_applicable the first one is already
  // on the verdict line.
  size_t first = (r.verdict == Verdict::NotApplicable && !r.reasons.empty()) ? 1 : 0;
  size_t shown = 0;
  for (size_t i = first; i < r.reasons.size(); ++i) {
    if (r.reasons[i].empty()) continue;
    if (!style.verbose && shown == kReasonsShown) {
      out += fmt::format("  {}(+{} more reasons; --verbose lists them){}\n", p.dim, r.reasons.size() - i, p.reset);
      break;
    }
    out += fmt::format("  - {}\n", clean_utf8(r.reasons[i], true));
    ++shown;
  }

  // One line per detector that ran or failed; those that did not apply on one line (verbose: each).
  size_t name_width = 10;
  for (const auto& d : r.detectors) name_width = std::max(name_width, std::min<size_t>(d.name.size(), 24));
  std::string not_applicable;
  for (const auto& d : r.detectors) {
    const std::string name = clean_utf8(d.name.empty() ? std::string("?") : d.name, true);
    if (d.status == Status::NotApplicable && !style.verbose) {
      not_applicable += fmt::format("{}{}{}", not_applicable.empty() ? "" : "; ", name,
                                    d.reason.empty() ? std::string() : " (" + clean_utf8(d.reason, true) + ")");
      continue;
    }
    if (d.status == Status::Error) {
      out += fmt::format("  {:<{}}  {}error{}: {}\n", name, name_width, p.red, p.reset,
                         clean_utf8(d.reason.empty() ? std::string("unknown error") : d.reason, true));
      continue;
    }
    if (d.status == Status::NotApplicable) {
      out += fmt::format("  {:<{}}  {}not applicable{}{}\n", name, name_width, p.dim, p.reset,
                         d.reason.empty() ? std::string() : ": " + clean_utf8(d.reason, true));
      continue;
    }
    std::string number = detector_number(d);
    const auto prob = detail::finite(d.probability);
    const char* colour = prob && *prob >= 0.5 ? p.yellow : "";
    if (d.decision != detect::Decision::None) colour = p.red;
    out += fmt::format("  {:<{}}  applied  {}{:<8}{}", name, name_width, colour, number, p.reset);
    if (d.generator && !d.generator->empty()) out += fmt::format(" [{}]", clean_utf8(*d.generator, true));
    if (!d.evidence.summary.empty()) out += "  " + clean_utf8(d.evidence.summary, true);
    out += "\n";
  }
  if (!not_applicable.empty()) out += fmt::format("  {}not applicable: {}{}\n", p.dim, not_applicable, p.reset);
  return out;
}

}  // namespace veritrace::report
