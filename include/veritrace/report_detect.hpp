// Veritrace detection reports for people: a compact terminal text and one self-contained HTML file.
//
//   std::string t = report::detect_text(file_report, {.color = isatty(1)});
//   std::string h = report::detect_html(reports, {.title = "Newsroom check", .generated_at = "...",
//                                                 .tool_version = "0.9", .thresholds = engine.thresholds()});
//
// The HTML file has inline CSS, images as data: URIs and inline SVG: no JavaScript and no network
// request is needed to read it. Every string that comes from a file (paths, metadata values,
// summaries) is escaped. docs/report.md describes what the page shows and why.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "veritrace/detect.hpp"
#include "veritrace/report.hpp"

namespace veritrace::report {

// One file: first line `PATH: VERDICT (score 0.87)`, then the generator when named, the reasons
// (most weighty first) and one line per detector. A report with `error` set gives one line
// `PATH: error: MESSAGE`. Control characters in strings from the file are shown as \xNN, so a
// hostile path cannot drive the terminal. ANSI colours only with style.color. With
// style.verbose every detector that did not apply gets a line of its own (else one line lists them).
std::string detect_text(const detect::FileReport& report, const TextStyle& style = {});

struct HtmlOptions {
  std::string title = "Veritrace detection report";
  std::string generated_at;   // shown as given (e.g. "2025-01-31 14:02 UTC"); empty: not shown
  std::string tool_version;   // e.g. "veritrace 0.9.0"; empty: not shown
  detect::Thresholds thresholds;  // the engine's, for the score gauge (Engine::thresholds())
  // Images (preview, heatmaps) are embedded only for the first max_image_files files of a batch
  // that have them, so a 10,000-file report stays a size a browser can open.
  size_t max_image_files = 200;
};

// One HTML document for one or several files (a batch gets a summary table with links on top).
std::string detect_html(const std::vector<detect::FileReport>& reports, const HtmlOptions& options = {});

// The verdict in plain words: "likely AI-generated", "likely manipulated", "unsure: mixed evidence",
// "no evidence of generation or manipulation found (this does not prove the file is authentic)",
// "not applicable: <why>".
std::string verdict_words(const detect::FileReport& report);

// HTML text/attribute escaping (& < > " '); invalid UTF-8 becomes U+FFFD and control characters
// other than tab and newline are dropped.
std::string html_escape(std::string_view text);

}  // namespace veritrace::report
