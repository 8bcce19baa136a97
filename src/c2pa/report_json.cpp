#include "c2pa/report_json.hpp"

#include <algorithm>

#include "core/encoding.hpp"

namespace veritrace::c2pa {

namespace {

using nlohmann::json;

json status_json(const LogEntry& e) {
  json j = {{"code", e.code}, {"url", e.url}};
  if (!e.explanation.empty()) j["explanation"] = e.explanation;
  return j;
}

json empty_codes() {
  return {{"success", json::array()}, {"informational", json::array()}, {"failure", json::array()}};
}

const char* kind_key(StatusKind k) {
  switch (k) {
    case StatusKind::Success: return "success";
    case StatusKind::Informational: return "informational";
    case StatusKind::Failure: return "failure";
  }
  return "failure";
}

// "self#jumbf=c2pa.assertions/x" recorded inside manifest L becomes "self#jumbf=/c2pa/L/c2pa.assertions/x".
std::string make_absolute(const std::string& url, const std::string& manifest_label) {
  const std::string prefix = "self#jumbf=";
  if (url.rfind(prefix, 0) == 0 && url.size() > prefix.size() && url[prefix.size()] != '/') {
    return prefix + "/c2pa/" + manifest_label + "/" + url.substr(prefix.size());
  }
  return url;
}

void collect_recorded(const cbor::Value* list, const std::string& label, std::vector<LogEntry>& out) {
  if (!list || !list->untagged().is_array()) return;
  for (const auto& item : list->untagged().items) {
    auto code = item.get_text("code");
    if (!code) continue;
    LogEntry e;
    e.code = *code;
    e.kind = kind_of_code(*code);
    e.url = make_absolute(item.get_text("url").value_or(""), label);
    out.push_back(std::move(e));
  }
}

// Statuses stored inside every ingredient assertion of the store (validationStatus of v1/v2,
// validationResults of v3), with URLs made absolute against the ingredient's manifest.
std::vector<LogEntry> recorded_ingredient_statuses(const ManifestStore& store) {
  std::vector<LogEntry> out;
  for (const auto& m : store.manifests) {
    for (const auto& a : m.assertions) {
      auto base = split_instance(a.label).first;
      if (base.rfind("c2pa.ingredient", 0) != 0 || !a.cbor) continue;
      const cbor::Value& v = a.cbor->untagged();
      auto ref = hashed_uri_from(v.get("activeManifest"));
      if (!ref) ref = hashed_uri_from(v.get("c2pa_manifest"));
      std::string label = ref ? parse_jumbf_uri(ref->url).manifest.value_or("") : "";
      if (const cbor::Value* results = v.get("validationResults")) {
        if (const cbor::Value* am = results->get("activeManifest")) {
          for (const char* k : {"success", "informational", "failure"}) collect_recorded(am->get(k), label, out);
        }
        if (const cbor::Value* deltas = results->get("ingredientDeltas"); deltas && deltas->untagged().is_array()) {
          for (const auto& d : deltas->untagged().items) {
            if (const cbor::Value* vd = d.get("validationDeltas")) {
              for (const char* k : {"success", "informational", "failure"}) collect_recorded(vd->get(k), label, out);
            }
          }
        }
      } else {
        collect_recorded(v.get("validationStatus"), label, out);
      }
    }
  }
  return out;
}

bool has_code(const json& list, const char* code) {
  return std::any_of(list.begin(), list.end(), [&](const json& s) { return s.value("code", "") == code; });
}

bool only_untrusted(const json& failures) {
  return std::all_of(failures.begin(), failures.end(),
                     [](const json& s) { return s.value("code", "") == "signingCredential.untrusted"; });
}

}  // namespace

ValidationSummary summarize(const ManifestStore& store, const ValidationLog& log) {
  ValidationSummary out;
  const Manifest* active = store.active();
  std::string active_label = active ? active->label : "";
  std::vector<LogEntry> recorded = recorded_ingredient_statuses(store);

  json active_codes = empty_codes();
  json deltas = json::array();
  for (const auto& e : log.entries()) {
    bool about_active = parse_jumbf_uri(e.url).manifest.value_or("") == active_label;
    if (!about_active) {
      bool already_recorded = std::any_of(recorded.begin(), recorded.end(), [&](const LogEntry& r) {
        return r.code == e.code && r.url == e.url && r.kind == e.kind;
      });
      if (already_recorded) continue;
    }
    if (e.ingredient_uri.empty()) {
      active_codes[kind_key(e.kind)].push_back(status_json(e));
      continue;
    }
    auto it = std::find_if(deltas.begin(), deltas.end(),
                           [&](const json& d) { return d["ingredientAssertionURI"] == e.ingredient_uri; });
    if (it == deltas.end()) {
      deltas.push_back({{"ingredientAssertionURI", e.ingredient_uri}, {"validationDeltas", empty_codes()}});
      it = deltas.end() - 1;
    }
    (*it)["validationDeltas"][kind_key(e.kind)].push_back(status_json(e));
  }

  out.validation_results = {{"activeManifest", active_codes}};
  if (!deltas.empty()) out.validation_results["ingredientDeltas"] = deltas;

  // The C2PA 2.2 rules for "valid" and "trusted" manifests, as c2pa-rs applies them.
  bool deltas_clean = true, deltas_only_untrusted = true;
  for (const auto& d : deltas) {
    const json& f = d["validationDeltas"]["failure"];
    deltas_clean = deltas_clean && f.empty();
    deltas_only_untrusted = deltas_only_untrusted && only_untrusted(f);
  }
  const json& success = active_codes["success"];
  const json& failure = active_codes["failure"];
  bool valid = has_code(success, "claimSignature.validated") && has_code(success, "claimSignature.insideValidity") &&
               only_untrusted(failure) && deltas_only_untrusted;
  bool trusted = valid && has_code(success, "signingCredential.trusted") && failure.empty() && deltas_clean;
  out.state = trusted ? ValidationState::Trusted : valid ? ValidationState::Valid : ValidationState::Invalid;
  return out;
}

namespace {

bool hidden_from_summary(const std::string& base) {
  return base.rfind("c2pa.hash.", 0) == 0 || base.rfind("c2pa.ingredient", 0) == 0 ||
         base.rfind("c2pa.thumbnail.", 0) == 0 || base == "c2pa.signature";
}

json assertion_data(const AssertionBox& a) {
  switch (a.kind) {
    case AssertionKind::Cbor: return a.cbor ? cbor::to_json(*a.cbor) : json("<malformed CBOR>");
    case AssertionKind::Json: {
      json parsed = json::parse(a.content.begin(), a.content.end(), nullptr, false);
      return parsed.is_discarded() ? json("<malformed JSON>") : parsed;
    }
    case AssertionKind::EmbeddedFile:
      return {{"format", a.media_type}, {"size", a.content.size()}};
    case AssertionKind::Uuid: return {{"size", a.content.size()}};
    case AssertionKind::Unknown: return nullptr;
  }
  return nullptr;
}

json ingredient_json(const Manifest& m, const AssertionBox& a) {
  json j = json::object();
  if (!a.cbor) return {{"label", a.label}, {"error", "malformed ingredient assertion"}};
  const cbor::Value& v = a.cbor->untagged();
  if (auto t = v.get_text("dc:title")) j["title"] = *t;
  else if (auto t2 = v.get_text("title")) j["title"] = *t2;
  if (auto f = v.get_text("dc:format")) j["format"] = *f;
  if (auto d = v.get_text("documentID")) j["document_id"] = *d;
  if (auto i = v.get_text("instanceID")) j["instance_id"] = *i;
  if (auto thumb = hashed_uri_from(v.get("thumbnail"))) {
    auto uri = parse_jumbf_uri(thumb->url);
    std::string label = uri.path.empty() ? "" : uri.path.back();
    const AssertionBox* tb = m.find_assertion(label);
    j["thumbnail"] = {{"format", tb ? tb->media_type : ""}, {"identifier", assertion_uri(m.label, label)}};
  }
  j["relationship"] = v.get_text("relationship").value_or("componentOf");
  auto ref = hashed_uri_from(v.get("activeManifest"));
  if (!ref) ref = hashed_uri_from(v.get("c2pa_manifest"));
  if (ref) {
    if (auto label = parse_jumbf_uri(ref->url).manifest) j["active_manifest"] = *label;
  }
  if (const cbor::Value* vr = v.get("validationResults")) j["validation_results"] = cbor::to_json(*vr);
  if (const cbor::Value* vs = v.get("validationStatus")) j["validation_status"] = cbor::to_json(*vs);
  j["label"] = a.label;
  return j;
}

}  // namespace

json manifests_json(const ManifestStore& store, const ValidationOutput& validation, bool detailed) {
  json manifests = json::object();
  for (const auto& m : store.manifests) {
    json j = json::object();
    if (m.claim) {
      const cbor::Value& c = *m.claim;
      if (auto g = c.get_text("claim_generator")) j["claim_generator"] = *g;
      if (const cbor::Value* info = c.get("claim_generator_info")) {
        json gi = cbor::to_json(*info);
        j["claim_generator_info"] = gi.is_array() ? gi : json::array({gi});
      }
      if (auto t = c.get_text("dc:title")) j["title"] = *t;
      if (auto f = c.get_text("dc:format")) j["format"] = *f;
      if (auto i = c.get_text("instanceID")) j["instance_id"] = *i;
    }
    for (const auto& a : m.assertions) {
      if (a.label.rfind("c2pa.thumbnail.claim", 0) == 0) {
        j["thumbnail"] = {{"format", a.media_type}, {"identifier", assertion_uri(m.label, a.label)}};
      }
    }
    json ingredients = json::array();
    json assertions = json::array();
    for (const auto& a : m.assertions) {
      auto [base, instance] = split_instance(a.label);
      if (base.rfind("c2pa.ingredient", 0) == 0) {
        ingredients.push_back(ingredient_json(m, a));
        continue;
      }
      if (!detailed && hidden_from_summary(base)) continue;
      json aj = {{"label", base}, {"data", assertion_data(a)}};
      if (a.kind == AssertionKind::Json) aj["kind"] = "Json";
      if (instance > 0) aj["instance"] = instance + 1;
      assertions.push_back(std::move(aj));
    }
    if (!ingredients.empty()) j["ingredients"] = ingredients;
    j["assertions"] = assertions;
    if (auto it = validation.signatures.find(m.label); it != validation.signatures.end()) {
      j["signature_info"] = it->second.signature_info;
      if (detailed && !it->second.details.empty()) j["signature_details"] = it->second.details;
    }
    j["label"] = m.label;
    if (m.claim_version > 0) j["claim_version"] = m.claim_version;
    if (m.update_manifest) j["update_manifest"] = true;
    if (detailed && m.claim) j["claim"] = cbor::to_json(*m.claim);
    if (!m.problem.empty()) j["problem"] = m.problem;
    manifests[m.label] = std::move(j);
  }
  return manifests;
}

}  // namespace veritrace::c2pa
