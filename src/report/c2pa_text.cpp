#include <fmt/format.h>

#include "veritrace/report.hpp"

namespace veritrace::report {

namespace {

using nlohmann::json;

struct Palette {
  const char* bold = "";
  const char* red = "";
  const char* green = "";
  const char* yellow = "";
  const char* dim = "";
  const char* reset = "";
};

Palette palette(bool color) {
  if (!color) return {};
  return {"\033[1m", "\033[31m", "\033[32m", "\033[33m", "\033[2m", "\033[0m"};
}

std::string text_of(const json& j, const char* key) {
  auto it = j.find(key);
  return (it != j.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

std::string generator_of(const json& m) {
  if (auto it = m.find("claim_generator_info"); it != m.end() && it->is_array() && !it->empty()) {
    const json& g = (*it)[0];
    std::string s = text_of(g, "name");
    if (auto v = text_of(g, "version"); !v.empty()) s += " " + v;
    return s;
  }
  return text_of(m, "claim_generator");
}

// Actions with their digitalSourceType: the answer to "how was this made?".
void append_actions(std::string& out, const json& m, const Palette& p) {
  auto it = m.find("assertions");
  if (it == m.end() || !it->is_array()) return;
  for (const auto& a : *it) {
    std::string label = text_of(a, "label");
    if (label.rfind("c2pa.actions", 0) != 0) continue;
    const json& data = a.value("data", json::object());
    if (!data.contains("actions") || !data["actions"].is_array()) continue;
    for (const auto& act : data["actions"]) {
      std::string line = "    action       " + text_of(act, "action");
      std::string dst = text_of(act, "digitalSourceType");
      if (!dst.empty()) {
        std::string term = dst.substr(dst.find_last_of('/') + 1);
        bool ai = term.find("trainedAlgorithmic") != std::string::npos ||
                  term.find("algorithmicMedia") != std::string::npos;
        line += fmt::format(" ({}{}{})", ai ? p.yellow : "", term, ai ? p.reset : "");
        if (ai) line += fmt::format(" {}AI-generated content{}", p.yellow, p.reset);
      }
      out += line + "\n";
    }
  }
}

void append_statuses(std::string& out, const json& codes, const Palette& p, bool verbose, const std::string& indent) {
  for (const char* kind : {"failure", "informational", "success"}) {
    if (!codes.contains(kind)) continue;
    if (std::string(kind) == "success" && !verbose) continue;
    const char* colour = std::string(kind) == "failure" ? p.red : std::string(kind) == "success" ? p.green : p.yellow;
    for (const auto& s : codes[kind]) {
      out += fmt::format("{}{}{:<13}{} {}", indent, colour, kind, p.reset, text_of(s, "code"));
      if (auto e = text_of(s, "explanation"); !e.empty()) out += fmt::format(" {}({}){}", p.dim, e, p.reset);
      out += "\n";
    }
  }
}

// What the watermark / repository lookup found, for files without embedded credentials.
void append_soft_binding(std::string& out, const json& r, const Palette& p) {
  if (!r.contains("soft_binding")) return;
  const json& sb = r["soft_binding"];
  if (!sb.value("watermark_found", false)) {
    out += fmt::format("  watermark      none found{}\n",
                       sb.contains("error") ? " (" + text_of(sb, "error") + ")" : std::string());
    return;
  }
  out += fmt::format("  watermark      {} = {}", text_of(sb, "algorithm"), text_of(sb, "value"));
  if (text_of(r, "manifest_source") == "soft-binding") {
    out += fmt::format("\n  recovered      from {} {}(the file's own credentials were stripped; a hard-binding "
                       "mismatch below means its bytes changed since signing){}\n",
                       text_of(sb, "repository"), p.dim, p.reset);
  } else {
    out += fmt::format(", no manifest with this soft binding in {}\n", text_of(sb, "repository"));
  }
}

}  // namespace

std::string c2pa_text(const json& r, const TextStyle& style) {
  Palette p = palette(style.color);
  std::string out;
  std::string path = text_of(r, "path");
  if (r.contains("error")) {
    out += fmt::format("{}{}{}\n  {}error{} ({}): {}\n", p.bold, path, p.reset, p.red, p.reset,
                       text_of(r["error"], "kind"), text_of(r["error"], "message"));
    return out;
  }
  std::string state = text_of(r, "validation_state");
  const char* colour = state == "Trusted" || state == "Valid" ? p.green : state == "Invalid" ? p.red : p.dim;
  out += fmt::format("{}{}{}\n  state          {}{}{}", p.bold, path, p.reset, colour, state, p.reset);
  if (auto src = text_of(r, "manifest_source"); !src.empty() && src != "none") out += fmt::format(" ({} manifest)", src);
  out += "\n";
  if (auto url = text_of(r, "remote_manifest_url"); !url.empty()) {
    out += fmt::format("  remote         {} (not fetched)\n", url);
  }
  append_soft_binding(out, r, p);
  if (!r.contains("manifests")) return out;
  std::string active = text_of(r, "active_manifest");
  const json& manifests = r["manifests"];
  out += fmt::format("  manifests      {}\n", manifests.size());
  if (manifests.contains(active)) {
    const json& m = manifests[active];
    out += fmt::format("  active         {}\n", active);
    if (auto t = text_of(m, "title"); !t.empty()) out += fmt::format("    title        {}\n", t);
    if (auto g = generator_of(m); !g.empty()) out += fmt::format("    generator    {}\n", g);
    if (m.contains("signature_info")) {
      const json& s = m["signature_info"];
      out += fmt::format("    signed by    {}", text_of(s, "common_name"));
      if (auto i = text_of(s, "issuer"); !i.empty()) out += fmt::format(" (issuer {})", i);
      out += fmt::format(", {}\n", text_of(s, "alg"));
      if (auto t = text_of(s, "time"); !t.empty()) out += fmt::format("    time-stamp   {}\n", t);
    }
    append_actions(out, m, p);
    if (m.contains("ingredients")) {
      for (const auto& ing : m["ingredients"]) {
        out += fmt::format("    ingredient   {} ({})", text_of(ing, "title"), text_of(ing, "relationship"));
        if (auto am = text_of(ing, "active_manifest"); !am.empty()) out += " with credentials";
        out += "\n";
      }
    }
  }
  if (r.contains("validation_results")) {
    const json& vr = r["validation_results"];
    if (vr.contains("activeManifest")) append_statuses(out, vr["activeManifest"], p, style.verbose, "  ");
    if (vr.contains("ingredientDeltas")) {
      for (const auto& d : vr["ingredientDeltas"]) {
        std::string uri = text_of(d, "ingredientAssertionURI");
        std::string inner;
        append_statuses(inner, d["validationDeltas"], p, style.verbose, "    ");
        if (!inner.empty()) out += fmt::format("  ingredient {}\n{}", uri, inner);
      }
    }
  }
  return out;
}

json error_report(const std::string& path, const std::string& kind, const std::string& message) {
  return {{"schema_version", "veritrace.c2pa/1"}, {"path", path}, {"error", {{"kind", kind}, {"message", message}}}};
}

}  // namespace veritrace::report
