// The provenance chain of the HTML report: C2PA state, manifests, signer, digital source type,
// ingredients, watermarks. Known keys get plain labels and a one-line explanation; any other key
// is shown generically, so new engine keys appear without a change here. Everything is escaped and
// bounded (depth, items, string length, total nodes): the values come from the file.
#include <algorithm>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "report/detect_common.hpp"
#include "report/detect_html.hpp"
#include "veritrace/report_detect.hpp"

namespace veritrace::report::detail {

namespace {

using nlohmann::json;

struct Words {
  const char* label;
  const char* explain;  // may be empty
};

const std::map<std::string, Words, std::less<>>& block_words() {
  static const std::map<std::string, Words, std::less<>> w = {
      {"c2pa",
       {"Content Credentials (C2PA)",
        "A signed record of how the file was made, attached by a camera, an editing program or an AI tool."}},
      {"watermark",
       {"Veritrace watermark",
        "An invisible mark Veritrace hides in pictures it signs, so credentials stripped from a copy can be found "
        "again."}},
      {"our_watermark", {"Veritrace watermark", "An invisible mark Veritrace hides in pictures it signs."}},
      {"known_marks",
       {"Known AI-generator watermarks",
        "Invisible marks that some AI image generators (Stable Diffusion, FLUX, ...) hide in the pixels."}},
      {"generator_marks",
       {"Known AI-generator watermarks", "Invisible marks that some AI image generators hide in the pixels."}},
      {"soft_binding",
       {"Credentials recovered through a watermark",
        "The file had no credentials of its own; its watermark pointed to a stored record."}},
      {"metadata", {"File metadata", "Information stored alongside the picture by the camera or software."}},
  };
  return w;
}

const std::map<std::string, Words, std::less<>>& field_words() {
  static const std::map<std::string, Words, std::less<>> w = {
      {"validation_state", {"Check result", ""}},
      {"state", {"Check result", ""}},
      {"manifest_source", {"Where the record was found", ""}},
      {"active_manifest", {"Active record", "The most recent signed record (manifest) in the file."}},
      {"manifests", {"Records (manifests)", "Each edit or export that signed the file adds one."}},
      {"manifest_count", {"Number of records", ""}},
      {"claim_generator", {"Made or saved with", "The program that wrote the record."}},
      {"claim_generator_info", {"Made or saved with", "The program that wrote the record."}},
      {"signer", {"Signer's certificate", "Who signed the record, as their certificate says."}},
      {"signed_by", {"Signed by", "The name in the signing certificate."}},
      {"common_name", {"Signed by", "The name in the signing certificate."}},
      {"issuer", {"Certificate issued by", ""}},
      {"signature_info", {"Signature", ""}},
      {"time", {"Signed at", ""}},
      {"signing_time", {"Signed at", ""}},
      {"digital_source_type", {"Declared source", "How the signer says the content was made (IPTC term)."}},
      {"digital_source_types", {"Declared sources", "How the signer says the content was made (IPTC terms)."}},
      {"digitalSourceType", {"Declared source", "How the signer says the content was made (IPTC term)."}},
      {"ingredients", {"Ingredients", "Files this one was made from, as the record lists them."}},
      {"trust", {"Trust", "Whether the signer's certificate is on a trust list Veritrace was given."}},
      {"trusted", {"Signer on a trust list", ""}},
      {"found", {"Found", ""}},
      {"detected", {"Found", ""}},
      {"watermark_found", {"Watermark found", ""}},
      {"p_value",
       {"Chance of a false alarm", "How often an unmarked picture would give a result this strong."}},
      {"payload", {"Watermark ID", ""}},
      {"bit_accuracy", {"Bits matching the mark", "1 means every bit of the mark matched."}},
      {"actions", {"Recorded actions", "What the record says was done to the file."}},
      {"relationship", {"Relationship", ""}},
      {"title", {"Title", ""}},
      {"format", {"Format", ""}},
      {"name", {"Name", ""}},
      {"variant", {"Variant", ""}},
      {"generator", {"Generator", ""}},
      {"error", {"Could not check", ""}},
      {"failures", {"Problems found", ""}},
      {"repository", {"Repository consulted", ""}},
      {"matches", {"Matching stored records", ""}},
      {"ai_generated", {"Declares AI generation", "Whether the valid record says AI made the content or a part of it."}},
      {"valid", {"Record checks out", ""}},
      {"note", {"Note", ""}},
      {"algorithm", {"Method", ""}},
      {"remote_manifest_url", {"Record stored online", "Not fetched: Veritrace does not go online unless asked."}},
  };
  return w;
}

// IPTC digital source types in plain words.
const char* source_type_meaning(std::string_view term) {
  static const std::map<std::string, const char*, std::less<>> m = {
      {"trainedAlgorithmicMedia", "made by AI (generative model)"},
      {"compositeWithTrainedAlgorithmicMedia", "a composite that includes AI-generated parts"},
      {"algorithmicallyEnhanced", "enhanced by software (e.g. AI upscaling or denoising)"},
      {"algorithmicMedia", "made by a computer program (not trained on examples)"},
      {"compositeSynthetic", "a composite that includes synthetic parts"},
      {"digitalCapture", "captured by a digital camera"},
      {"computationalCapture", "captured by a camera with computational processing"},
      {"negativeFilm", "scanned from a film negative"},
      {"positiveFilm", "scanned from a film positive"},
      {"print", "scanned from a print"},
      {"humanEdits", "edited by a person"},
      {"minorHumanEdits", "with minor edits by a person"},
      {"compositeCapture", "a composite of captured images"},
      {"composite", "a composite of several sources"},
      {"digitalArt", "drawn or painted digitally by a person"},
      {"dataDrivenMedia", "made from data (e.g. a chart)"},
      {"screenCapture", "a screenshot"},
      {"virtualRecording", "recorded in a virtual environment"},
  };
  auto it = m.find(term);
  return it == m.end() ? nullptr : it->second;
}

const char* manifest_source_meaning(std::string_view s) {
  if (s == "embedded") return "inside the file";
  if (s == "sidecar") return "in a separate .c2pa file next to it";
  if (s == "remote") return "online, at the address the file names";
  if (s == "soft-binding")
    return "in the manifest repository, found through the file's watermark (the file's own record was removed)";
  return nullptr;
}

const char* state_meaning(std::string_view s) {
  if (s == "Trusted") return "signed by a certificate on the trust list, and the file is unchanged since signing";
  if (s == "Valid")
    return "the signature and the file check out, but the signer is not on a trust list (anyone can make such a "
           "certificate)";
  if (s == "Invalid") return "the record is broken or the file changed after signing: it is not used as evidence";
  if (s == "NoManifest" || s == "none" || s == "absent") return "the file carries no Content Credentials";
  return nullptr;
}

// Keys shown first, in this order (the answer first, details after); the rest follow alphabetically.
int key_rank(std::string_view key) {
  static constexpr std::string_view order[] = {
      "state", "validation_state", "ai_generated", "digital_source_type", "digital_source_types", "claim_generator",
      "claim_generator_info", "signer", "common_name", "signed_by", "issuer", "time", "name", "detected", "found",
      "payload", "p_value", "bit_accuracy", "failures", "manifest_source", "active_manifest", "ingredients", "title",
      "relationship", "valid"};
  for (size_t i = 0; i < std::size(order); ++i)
    if (order[i] == key) return static_cast<int>(i);
  return static_cast<int>(std::size(order));
}

std::vector<std::string> ordered_keys(std::vector<std::string> keys) {
  std::stable_sort(keys.begin(), keys.end(),
                   [](const std::string& a, const std::string& b) { return key_rank(a) < key_rank(b); });
  return keys;
}

struct Budget {
  int nodes = 1500;  // total values rendered for one file
};

constexpr size_t kMaxString = 400;
constexpr size_t kMaxItems = 30;
constexpr int kMaxDepth = 5;

std::string short_text(const std::string& s) {
  std::string c = clean_utf8(s, false);
  if (c.size() <= kMaxString) return html_escape(c);
  size_t cut = kMaxString;
  while (cut > 0 && (static_cast<unsigned char>(c[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 characters
  return html_escape(c.substr(0, cut)) + fmt::format("\u2026 <span class=\"muted\">({} characters)</span>", c.size());
}

std::string humanise_key(const std::string& key) {
  std::string k = clean_utf8(key, false);
  for (char& ch : k)
    if (ch == '_') ch = ' ';
  if (!k.empty() && k[0] >= 'a' && k[0] <= 'z') k[0] = static_cast<char>(k[0] - 'a' + 'A');
  return html_escape(k);
}

std::string scalar_html(const std::string& key, const json& v) {
  if (v.is_null()) return "<span class=\"muted\">not recorded</span>";
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_number()) return html_escape(human_number(v.get<double>()));
  if (!v.is_string()) return {};
  const std::string& s = v.get_ref<const std::string&>();
  if (key == "validation_state" || key == "state") {
    if (const char* m = state_meaning(s))
      return fmt::format("<strong>{}</strong> \u2014 {}", html_escape(clean_utf8(s, false)), m);
  }
  if (key == "manifest_source") {
    if (const char* m = manifest_source_meaning(s)) return html_escape(m);
  }
  if (key == "name" || key == "generator") {
    const std::string shown = generator_display(s);
    if (shown != s) return html_escape(shown) + " <span class=\"muted\">(" + short_text(s) + ")</span>";
  }
  // IPTC digital source type: the term of a URL such as http://cv.iptc.org/newscodes/digitalsourcetype/X.
  std::string_view term = s;
  if (auto slash = term.find_last_of('/'); slash != std::string_view::npos) term = term.substr(slash + 1);
  if (const char* m = source_type_meaning(term)) {
    const bool ai = term.find("rainedAlgorithmic") != std::string_view::npos;
    return fmt::format("<strong{}>{}</strong> \u2014 {}", ai ? " class=\"ai\"" : "",
                       html_escape(clean_utf8(std::string(term), false)), m);
  }
  return short_text(s);
}

std::string value_html(const std::string& key, const json& v, int depth, Budget& budget);

std::string object_html(const json& obj, int depth, Budget& budget) {
  std::string s = "<table class=\"kv\">";
  size_t n = 0;
  std::vector<std::string> keys;
  for (auto it = obj.begin(); it != obj.end(); ++it) keys.push_back(it.key());
  for (const std::string& key : ordered_keys(std::move(keys))) {
    if (budget.nodes <= 0) {
      s += "<tr><td colspan=\"2\" class=\"muted\">(more entries not shown)</td></tr>";
      break;
    }
    if (++n > 60) {
      s += fmt::format("<tr><td colspan=\"2\" class=\"muted\">(and {} more entries)</td></tr>", obj.size() - 60);
      break;
    }
    const auto& fw = field_words();
    auto w = fw.find(key);
    std::string label = w != fw.end() ? w->second.label : humanise_key(key);
    std::string explain = w != fw.end() && *w->second.explain ? w->second.explain : "";
    s += "<tr><th>" + label;
    if (!explain.empty()) s += "<span class=\"explain\">" + explain + "</span>";
    s += "</th><td>" + value_html(key, obj.at(key), depth + 1, budget) + "</td></tr>";
  }
  return s + "</table>";
}

std::string value_html(const std::string& key, const json& v, int depth, Budget& budget) {
  --budget.nodes;
  if (!v.is_object() && !v.is_array()) return scalar_html(key, v);
  if (v.empty()) return "<span class=\"muted\">none</span>";
  if (depth > kMaxDepth) return "<span class=\"muted\">(nested too deep to show)</span>";
  if (v.is_object()) return object_html(v, depth, budget);
  bool scalars = true;
  for (const auto& e : v) scalars = scalars && !e.is_object() && !e.is_array();
  std::string s;
  size_t n = 0;
  if (scalars) {
    for (const auto& e : v) {
      if (++n > kMaxItems) {
        s += fmt::format(", <span class=\"muted\">and {} more</span>", v.size() - kMaxItems);
        break;
      }
      if (n > 1) s += ", ";
      s += scalar_html(key, e);
      --budget.nodes;
    }
    return s;
  }
  // Records of the same flat shape (known marks, ingredients): one table, a column per key.
  bool flat = true;
  std::vector<std::string> columns;
  for (const auto& e : v) {
    if (!e.is_object()) {
      flat = false;
      break;
    }
    for (auto it = e.begin(); it != e.end() && flat; ++it) {
      if (it.value().is_object() || it.value().is_array()) flat = false;
      else if (std::find(columns.begin(), columns.end(), it.key()) == columns.end()) columns.push_back(it.key());
    }
  }
  if (flat && !columns.empty() && columns.size() <= 8) {
    columns = ordered_keys(std::move(columns));
    s = "<table class=\"kv grid\"><thead><tr>";
    for (const auto& c : columns) {
      auto w = field_words().find(c);
      s += "<th>" + (w != field_words().end() ? std::string(w->second.label) : humanise_key(c)) + "</th>";
    }
    s += "</tr></thead><tbody>";
    for (const auto& e : v) {
      if (++n > kMaxItems || budget.nodes <= 0) {
        s += fmt::format("<tr><td colspan=\"{}\" class=\"muted\">and {} more</td></tr>", columns.size(),
                         v.size() - n + 1);
        break;
      }
      s += "<tr>";
      for (const auto& c : columns) {
        auto it = e.find(c);
        s += "<td>" + (it == e.end() ? std::string() : scalar_html(c, *it)) + "</td>";
        --budget.nodes;
      }
      s += "</tr>";
    }
    return s + "</tbody></table>";
  }
  s = "<ol class=\"items\">";
  for (const auto& e : v) {
    if (++n > kMaxItems || budget.nodes <= 0) {
      s += fmt::format("<li class=\"muted\">and {} more</li>", v.size() - n + 1);
      break;
    }
    s += "<li>" + value_html(key, e, depth + 1, budget) + "</li>";
  }
  return s + "</ol>";
}

}  // namespace

std::string provenance_html(const json& provenance) {
  if (!provenance.is_object() || provenance.empty())
    return "<p class=\"muted\">No origin records (Content Credentials or watermarks) were reported for this file. "
           "Most files carry none; their absence says nothing about the file.</p>";
  Budget budget;
  std::string s;
  json loose = json::object();
  for (auto it = provenance.begin(); it != provenance.end(); ++it) {
    if (!it.value().is_object() && !it.value().is_array()) {
      loose[it.key()] = it.value();
      continue;
    }
    const auto& bw = block_words();
    auto w = bw.find(it.key());
    s += "<div class=\"prov-block\"><h4>";
    s += w != bw.end() ? w->second.label : humanise_key(it.key());
    s += "</h4>";
    if (w != bw.end()) s += fmt::format("<p class=\"explain\">{}</p>", w->second.explain);
    s += value_html(it.key(), it.value(), 0, budget) + "</div>";
  }
  if (!loose.empty()) s += "<div class=\"prov-block\"><h4>Other</h4>" + object_html(loose, 0, budget) + "</div>";
  return s;
}

}  // namespace veritrace::report::detail
