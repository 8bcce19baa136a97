// Plain words shared by the detection text and HTML reports (internal to the report module).
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "veritrace/detect.hpp"

namespace veritrace::report::detail {

// The verdict's tier: short label, a symbol (so colour is never the only cue) and a CSS class.
struct Tier {
  const char* label;   // "Flagged", "Unsure", "Nothing found", "Not applicable", "Error"
  const char* symbol;  // "▲", "?", "○", "–", "✕"
  const char* css;     // "flag", "unsure", "none", "na", "error"
};
Tier tier_of(detect::Verdict v);
Tier error_tier();

// "likely AI-generated", ... without the not_applicable reason.
const char* verdict_short(detect::Verdict v);
// Why nothing applied: the first reason, else the detectors' reasons, else a generic sentence.
std::string not_applicable_reason(const detect::FileReport& r);

// A finite value or nothing (NaN and infinities become nothing).
std::optional<double> finite(const std::optional<double>& v);
std::string format_fixed(double v, int decimals);

// Detectors in plain words, by name ("c2pa", "noise", ...); unknown names give the name itself
// and an empty description.
std::string detector_title(const std::string& name);
std::string detector_about(const std::string& name);
// What the evaluation and the method say about the detector's reliability: the detector's own
// evidence.details["reliability"] sentence when present, else a generic caveat.
std::string detector_caveat(const detect::DetectorResult& d);
const char* status_words(detect::Status s);  // "checked", "not applicable", "failed"
const char* points_to_words(detect::Finding f);  // "AI generation", "local edits"

// "Stable Diffusion XL" for "sdxl"; unknown names are returned as given.
std::string generator_display(const std::string& family);

// Valid UTF-8 copy: invalid bytes become U+FFFD. for_terminal: every control character (C0, DEL,
// C1; newlines too, lines stay lines) becomes `\xNN` text; else tab and newline stay and the other
// control characters are dropped (HTML).
std::string clean_utf8(std::string_view s, bool for_terminal);

}  // namespace veritrace::report::detail
