// Veritrace reports: every command builds one JSON report model (versioned schema, see
// docs/json-schema.md); these functions render it for people.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace veritrace::report {

struct TextStyle {
  bool color = false;     // ANSI colours (terminals only)
  bool verbose = false;   // list every success status too
};

// A readable summary of one `c2pa read` report (one file).
std::string c2pa_text(const nlohmann::json& report, const TextStyle& style = {});

// A report for a file that could not be read at all.
nlohmann::json error_report(const std::string& path, const std::string& kind, const std::string& message);

}  // namespace veritrace::report
