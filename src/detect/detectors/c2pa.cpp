// Content Credentials as evidence: a manifest that validates and declares an AI digital source type
// decides the verdict (trainedAlgorithmicMedia -> synthetic, composites -> manipulated), also through
// a valid parent ingredient. An Invalid manifest is reported, never used as evidence of origin.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "detect/detectors/detectors.hpp"
#include "detect/image_util.hpp"
#include "veritrace/c2pa.hpp"
#include "veritrace/provenance.hpp"
#include "veritrace/repo.hpp"

namespace veritrace::detect {

namespace {

using nlohmann::json;

enum class SourceKind { None, Capture, Synthetic, Composite, Other };

std::string term_of(const std::string& uri) { return uri.substr(uri.find_last_of('/') + 1); }

SourceKind kind_of(const std::string& term) {
  if (term == "trainedAlgorithmicMedia" || term == "algorithmicMedia") return SourceKind::Synthetic;
  if (term == "compositeWithTrainedAlgorithmicMedia" || term == "compositeSynthetic") return SourceKind::Composite;
  if (term == "digitalCapture" || term == "negativeFilm" || term == "positiveFilm" || term == "print")
    return SourceKind::Capture;
  return term.empty() ? SourceKind::None : SourceKind::Other;
}

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The generator family of a claim generator or software agent name, lower case, when known.
std::optional<std::string> family_of(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  static const std::vector<std::pair<const char*, const char*>> known = {
      {"firefly", "firefly"},   {"dall-e", "dall-e"},       {"dall·e", "dall-e"},        {"dalle", "dall-e"},
      {"chatgpt", "dall-e"},    {"openai", "dall-e"},       {"bing image", "dall-e"},    {"midjourney", "midjourney"},
      {"sdxl", "sdxl"},         {"stable diffusion", "stable-diffusion"}, {"stability", "stable-diffusion"},
      {"flux", "flux"},         {"black forest", "flux"},   {"imagen", "imagen"},        {"gemini", "imagen"},
      {"ideogram", "ideogram"}, {"runway", "runway"},       {"sora", "sora"},            {"leonardo", "leonardo"}};
  for (const auto& [needle, family] : known)
    if (name.find(needle) != std::string::npos) return std::string(family);
  return std::nullopt;
}

struct ManifestFacts {
  std::string source_type;  // the strongest digital source type term its actions declare
  SourceKind kind = SourceKind::None;
  std::string agent;        // softwareAgent of that action, or the claim generator
};

std::string claim_generator(const json& m) {
  if (auto it = m.find("claim_generator_info"); it != m.end() && it->is_array() && !it->empty() && (*it)[0].is_object())
    return str((*it)[0], "name");
  return str(m, "claim_generator");
}

ManifestFacts facts_of(const json& m) {
  ManifestFacts f;
  f.agent = claim_generator(m);
  auto it = m.find("assertions");
  if (it == m.end() || !it->is_array()) return f;
  for (const auto& a : *it) {
    if (!a.is_object() || str(a, "label").rfind("c2pa.actions", 0) != 0) continue;
    const json data = a.value("data", json::object());
    if (!data.is_object() || !data.contains("actions") || !data["actions"].is_array()) continue;
    for (const auto& act : data["actions"]) {
      if (!act.is_object()) continue;
      const std::string term = term_of(str(act, "digitalSourceType"));
      const SourceKind k = kind_of(term);
      // Synthetic outranks composite outranks anything else.
      auto rank = [](SourceKind s) { return s == SourceKind::Synthetic ? 3 : s == SourceKind::Composite ? 2 : s == SourceKind::None ? 0 : 1; };
      if (rank(k) > rank(f.kind)) {
        f.kind = k;
        f.source_type = term;
        if (auto sa = act.find("softwareAgent"); sa != act.end()) {
          if (sa->is_string()) f.agent = sa->get<std::string>();
          else if (sa->is_object() && !str(*sa, "name").empty()) f.agent = str(*sa, "name");
        }
      }
    }
  }
  return f;
}

// What a manifest declares, or else what its valid parent chain declares: an edit of an edit of an
// AI-generated picture is still AI-generated content. Depth-limited (the store was already checked
// for cycles by the validator; the limit only bounds the work).
ManifestFacts lineage_facts(const json& manifests, const json& m, int depth) {
  ManifestFacts f = facts_of(m);
  if (f.kind == SourceKind::Synthetic || f.kind == SourceKind::Composite || depth >= 8) return f;
  for (const auto& ing : m.value("ingredients", json::array())) {
    if (!ing.is_object() || str(ing, "relationship") != "parentOf") continue;
    const std::string label = str(ing, "active_manifest");
    if (label.empty() || !manifests.contains(label)) continue;
    const json results = ing.value("validation_results", json::object());
    const json am = results.is_object() ? results.value("activeManifest", json::object()) : json::object();
    bool ok = true;
    for (const auto& fl : am.value("failure", json::array()))
      if (fl.is_object() && str(fl, "code") != "signingCredential.untrusted") ok = false;
    if (!ok) continue;
    const ManifestFacts parent = lineage_facts(manifests, manifests[label], depth + 1);
    if (parent.kind == SourceKind::Synthetic || parent.kind == SourceKind::Composite) return parent;
  }
  return f;
}

// Failure codes of a validation_results object's active manifest, except "untrusted" (no anchors
// given is the normal case, and provenance then still counts as Valid).
std::vector<std::string> failures_of(const json& validation_results) {
  std::vector<std::string> codes;
  if (!validation_results.is_object()) return codes;
  const json am = validation_results.value("activeManifest", json::object());
  for (const auto& f : am.value("failure", json::array()))
    if (f.is_object() && str(f, "code") != "signingCredential.untrusted") codes.push_back(str(f, "code"));
  return codes;
}

class C2paDetector final : public Detector {
 public:
  explicit C2paDetector(const EngineOptions& o)
      : reader_(c2pa::ReadOptions{.trust_anchor_files = o.trust_anchor_files, .no_trust_check = o.no_trust_check}),
        use_repository_(o.use_repository),
        repository_path_(o.repository_path) {}
  std::string name() const override { return "c2pa"; }
  std::string version() const override { return "1"; }
  bool applies_to(MediaType) const override { return true; }
  bool needs_pixels() const override { return false; }

  DetectorResult run(const Sample& s) const override {
    std::unique_ptr<ByteSource> span;
    if (!s.source) span = make_span_source(s.bytes, s.path);
    const ByteSource& source = s.source ? *s.source : *span;
    c2pa::ReadResult read;
    try {
      read = reader_.read(source);
    } catch (const Error& e) {
      // A container C2PA is not read from (Matroska, AVI, ...): nothing to check, not a failure.
      if (e.kind() != ErrorKind::Unsupported || s.media_type == MediaType::Image) throw;
      return not_applicable(*this, "Content Credentials are not read from this container format");
    }
    if (read.state == c2pa::ValidationState::NoManifest && use_repository_ && !s.normalized) {
      std::error_code ec;
      const std::string db = repository_path_.empty() ? repo::default_path() : repository_path_;
      if (std::filesystem::exists(db, ec) && std::filesystem::is_regular_file(s.path, ec))
        read = provenance::read_with_recovery(reader_, s.path, {.use_repository = true, .db_path = db});
    }
    const json& report = read.report;
    if (read.state == c2pa::ValidationState::NoManifest) {
      DetectorResult r = not_applicable(*this, report.contains("remote_manifest_url")
                                                   ? "the Content Credentials are only remote (not fetched)"
                                                   : "no Content Credentials");
      if (report.contains("remote_manifest_url"))
        r.evidence.details["provenance"] = {{"state", "NoManifest"}, {"remote_manifest_url", report["remote_manifest_url"]}};
      return r;
    }
    return judge(read, report);
  }

 private:
  DetectorResult judge(const c2pa::ReadResult& read, const json& report) const {
    DetectorResult r = applied(*this, Finding::Synthetic);
    const std::string state = c2pa::state_name(read.state);
    const std::string active = str(report, "active_manifest");
    const json manifests = report.value("manifests", json::object());
    const json m = manifests.is_object() && manifests.contains(active) ? manifests[active] : json::object();
    const ManifestFacts own = facts_of(m);
    json prov = {{"state", state},
                 {"manifest_source", report.value("manifest_source", json("embedded"))},
                 {"active_manifest", active.empty() ? json(nullptr) : json(active)},
                 {"claim_generator", own.agent.empty() ? json(nullptr) : json(claim_generator(m))},
                 {"digital_source_type", own.source_type.empty() ? json(nullptr) : json(own.source_type)}};
    if (auto si = m.find("signature_info"); si != m.end() && si->is_object())
      prov["signer"] = {{"issuer", si->value("issuer", json(nullptr))}, {"common_name", si->value("common_name", json(nullptr))},
                        {"time", si->value("time", json(nullptr))}};
    const std::vector<std::string> failures = failures_of(report.value("validation_results", json::object()));
    prov["failures"] = failures;

    // Ingredients whose own manifests are present: what they declare.
    json ingredients = json::array();
    const DetectorResult* none = nullptr;
    (void)none;
    std::string parent_ai_term, component_ai_term, parent_agent, component_agent;
    for (const auto& ing : m.value("ingredients", json::array())) {
      if (!ing.is_object()) continue;
      json ij = {{"title", ing.value("title", json(nullptr))}, {"relationship", ing.value("relationship", json(nullptr))}};
      const std::string label = str(ing, "active_manifest");
      const bool ingredient_ok = failures_of(ing.value("validation_results", json::object())).empty();
      if (!label.empty() && manifests.is_object() && manifests.contains(label)) {
        const ManifestFacts f = lineage_facts(manifests, manifests[label], 0);
        ij["digital_source_type"] = f.source_type.empty() ? json(nullptr) : json(f.source_type);
        ij["claim_generator"] = claim_generator(manifests[label]);
        ij["valid"] = ingredient_ok;
        if (ingredient_ok && (f.kind == SourceKind::Synthetic || f.kind == SourceKind::Composite)) {
          if (str(ing, "relationship") == "parentOf") {
            parent_ai_term = f.source_type;
            parent_agent = f.agent;
          } else {
            component_ai_term = f.source_type;
            component_agent = f.agent;
          }
        }
      }
      ingredients.push_back(ij);
    }
    prov["ingredients"] = ingredients;

    const bool valid = read.state == c2pa::ValidationState::Valid || read.state == c2pa::ValidationState::Trusted;
    prov["ai_generated"] = false;
    r.evidence.numbers = {{"manifests", static_cast<double>(manifests.is_object() ? manifests.size() : 0)},
                          {"failures", static_cast<double>(failures.size())}};
    if (!valid) {
      std::string codes;
      for (const auto& c : failures) codes += (codes.empty() ? "" : ", ") + c;
      r.evidence.summary = fmt::format(
          "The file carries Content Credentials that do not validate ({}); they are not used as evidence of origin.",
          codes.empty() ? "an ingredient failed" : codes);
      r.evidence.details["provenance"] = prov;
      return r;
    }
    const std::string trust = read.state == c2pa::ValidationState::Trusted ? "trusted" : "valid";
    auto decide = [&](Decision d, const std::string& term, const std::string& agent, const std::string& how) {
      r.decision = d;
      r.generator = family_of(agent);
      prov["ai_generated"] = true;
      r.evidence.summary = fmt::format("Its {} Content Credentials declare {} ({}{}).", trust, how, term,
                                       agent.empty() ? "" : ", by " + agent);
    };
    if (own.kind == SourceKind::Synthetic) {
      decide(Decision::Synthetic, own.source_type, own.agent, "that it was generated by AI");
    } else if (own.kind == SourceKind::Composite) {
      decide(Decision::Manipulated, own.source_type, own.agent, "a composite that includes AI-generated content");
    } else if (!parent_ai_term.empty()) {
      // An edit of an AI-generated picture is still AI-generated content (docs/detection.md).
      decide(kind_of(parent_ai_term) == SourceKind::Synthetic ? Decision::Synthetic : Decision::Manipulated,
             parent_ai_term, parent_agent, "that it was edited from an AI-generated original");
    } else if (!component_ai_term.empty()) {
      decide(Decision::Manipulated, component_ai_term, component_agent, "that AI-generated content was composited in");
    } else {
      r.evidence.summary = fmt::format("The file carries {} Content Credentials{}{}; they declare no AI generation.",
                                       trust, own.agent.empty() ? "" : " from " + own.agent,
                                       own.source_type.empty() ? "" : " (source: " + own.source_type + ")");
    }
    r.evidence.details["provenance"] = prov;
    return r;
  }

  c2pa::Reader reader_;
  bool use_repository_;
  std::string repository_path_;
};

}  // namespace

std::unique_ptr<Detector> make_c2pa_detector(const EngineOptions& options) { return std::make_unique<C2paDetector>(options); }

}  // namespace veritrace::detect
