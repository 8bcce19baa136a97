#include "c2pa/validator.hpp"

#include "c2pa/cawg.hpp"

#include <algorithm>
#include <set>

#include "core/hash.hpp"

namespace veritrace::c2pa {

namespace {

constexpr size_t kMaxIngredientDepth = 64;
constexpr size_t kMaxClaimVerifications = 10'000;

bool is_ingredient_label(const std::string& base) {
  return base == "c2pa.ingredient" || base == "c2pa.ingredient.v2" || base == "c2pa.ingredient.v3";
}

struct Ingredient {
  const AssertionBox* box = nullptr;
  int version = 1;
  std::string relationship;
  std::optional<HashedUri> manifest_ref;  // c2pa_manifest (v1/v2) or activeManifest (v3)
  std::optional<HashedUri> claim_signature;
  bool has_validation_results = false;
  std::string title;
};

std::optional<Ingredient> read_ingredient(const AssertionBox& box) {
  if (!box.cbor) return std::nullopt;
  const cbor::Value& v = box.cbor->untagged();
  if (!v.is_map()) return std::nullopt;
  Ingredient ing;
  ing.box = &box;
  auto base = split_instance(box.label).first;
  ing.version = base == "c2pa.ingredient.v3" ? 3 : base == "c2pa.ingredient.v2" ? 2 : 1;
  ing.relationship = v.get_text("relationship").value_or("componentOf");
  ing.manifest_ref = hashed_uri_from(v.get("activeManifest"));
  if (!ing.manifest_ref) ing.manifest_ref = hashed_uri_from(v.get("c2pa_manifest"));
  ing.claim_signature = hashed_uri_from(v.get("claimSignature"));
  ing.has_validation_results = v.get("validationResults") != nullptr;
  ing.title = v.get_text("dc:title").value_or(v.get_text("title").value_or("no title"));
  return ing;
}

std::vector<Ingredient> ingredients_of(const Manifest& m) {
  std::vector<Ingredient> out;
  for (const auto& a : m.assertions) {
    if (!is_ingredient_label(split_instance(a.label).first)) continue;
    if (auto ing = read_ingredient(a)) out.push_back(std::move(*ing));
  }
  return out;
}

std::vector<uint8_t> hash_with(const std::string& alg_name, std::span<const uint8_t> data, bool& known) {
  auto alg = hash_alg_from_name(alg_name);
  known = alg.has_value();
  if (!alg) return {};
  return hash_bytes(*alg, data);
}

class Validator {
 public:
  explicit Validator(const ValidationInput& in) : in_(in) {}

  ValidationOutput run() {
    const Manifest* active = in_.store.active();
    if (!active) {
      out_.log.failure("claim.missing", "Unknown", "could not find active manifest");
      return std::move(out_);
    }
    const Manifest* binding = hash_binding_manifest(*active, 0);
    if (!binding) {
      out_.log.failure("claim.hardBindings.missing", manifest_uri(active->label), "could not find manifest with hard binding");
    }
    std::vector<std::string> path;
    if (!collect_referenced_manifests(*active, path)) {
      return std::move(out_);  // cyclic ingredients: c2pa-rs refuses to go further
    }
    verify_claim(*active);
    ingredient_checks(*active, 0);
    if (binding && in_.asset) verify_hard_binding(*binding);
    else if (binding && !in_.asset) verify_hard_binding_without_asset(*binding);
    return std::move(out_);
  }

 private:
  // The manifest whose hard binding covers the asset: the active one, or for update manifests the
  // nearest parent that has one.
  const Manifest* hash_binding_manifest(const Manifest& m, size_t depth) const {
    if (depth > kMaxIngredientDepth) return nullptr;
    if (!m.update_manifest && !hard_bindings(m).empty()) return &m;
    for (const auto& ing : ingredients_of(m)) {
      if (ing.relationship != "parentOf" || !ing.manifest_ref) continue;
      auto uri = parse_jumbf_uri(ing.manifest_ref->url);
      if (!uri.manifest) continue;
      const Manifest* parent = in_.store.find(*uri.manifest);
      if (!parent) continue;
      if (parent->update_manifest) return hash_binding_manifest(*parent, depth + 1);
      if (!hard_bindings(*parent).empty()) return parent;
    }
    return nullptr;
  }

  // Walks every manifest the active one references through ingredients, as c2pa-rs does before
  // validating: missing ones are failures of the active manifest, a cycle stops validation.
  bool collect_referenced_manifests(const Manifest& m, std::vector<std::string>& path) {
    if (path.size() >= kMaxIngredientDepth || !visited_.insert(m.label).second) return true;
    path.push_back(m.label);
    for (const auto& ing : ingredients_of(m)) {
      if (!ing.manifest_ref) continue;
      auto uri = parse_jumbf_uri(ing.manifest_ref->url);
      std::string label = uri.manifest.value_or(uri.path.empty() ? "" : uri.path.back());
      const Manifest* target = in_.store.find(label);
      if (!target) {
        out_.log.failure("ingredient.manifest.missing", label, "ingredient manifest missing");
        continue;
      }
      if (std::find(path.begin(), path.end(), target->label) != path.end()) {
        out_.log.failure("assertion.ingredient.malformed", assertion_uri(m.label, ing.box->label), "ingredient cannot be cyclic");
        return false;
      }
      if (!collect_referenced_manifests(*target, path)) return false;
    }
    path.pop_back();
    return true;
  }

  static std::vector<const AssertionBox*> hard_bindings(const Manifest& m) {
    std::vector<const AssertionBox*> out;
    for (const auto& a : m.assertions) {
      if (binding::is_hard_binding_label(split_instance(a.label).first)) out.push_back(&a);
    }
    return out;
  }

  void verify_claim(const Manifest& m) {
    const std::string sig_url = signature_uri(m.label);
    if (!m.claim) {
      out_.log.failure("claim.malformed", manifest_uri(m.label), m.problem.empty() ? "claim missing" : m.problem);
      return;
    }
    // The claim must name its own signature box.
    std::string sig_ref = m.claim->get_text("signature").value_or("");
    auto sig_parts = parse_jumbf_uri(sig_ref);
    bool sig_box_wrong = (sig_parts.manifest && *sig_parts.manifest != m.label) || sig_parts.path.empty() ||
                         sig_parts.path.back() != "c2pa.signature";
    if (sig_box_wrong || !m.has_signature) {
      out_.log.failure("claimSignature.missing", sig_url, "signature missing");
    }
    if (m.has_signature) verify_signature(m, sig_url);

    verify_parent_count(m);
    verify_assertion_hashes(m);
    for (const auto& a : m.assertions) {
      if (split_instance(a.label).first == "cawg.identity") validate_cawg_identity(in_.store, m, a, in_.trust, out_.log);
    }
  }

  void verify_signature(const Manifest& m, const std::string& sig_url) {
    cose::SignatureResult result;
    try {
      result = cose::verify_claim_signature(m.signature_bytes, m.claim_bytes, in_.trust, m.claim_version);
    } catch (const Error& e) {
      out_.log.failure("claimSignature.mismatch", sig_url, std::string("claim signature is not valid: ") + e.what());
      return;
    }
    for (const auto& s : result.statuses) out_.log.add(s.kind, s.code, sig_url, s.explanation);
    out_.signatures[m.label] = SignatureSummary{result.signature_info, result.details};
  }

  void verify_parent_count(const Manifest& m) {
    int parents = 0;
    for (const auto& ing : ingredients_of(m)) parents += ing.relationship == "parentOf" ? 1 : 0;
    if (m.update_manifest) {
      if (parents == 0) {
        out_.log.failure("manifest.update.wrongParents", manifest_uri(m.label), "update manifest must have ingredient with parentOf relationship");
      } else if (parents > 1) {
        out_.log.failure("manifest.update.invalid", manifest_uri(m.label), "update manifests can have only one ingredient");
      }
    } else if (parents > 1) {
      out_.log.failure("manifest.multipleParents", manifest_uri(m.label), "too many ingredient parents");
    }
  }

  void verify_assertion_hashes(const Manifest& m) {
    std::vector<const AssertionBox*> unreferenced;
    for (const auto& a : m.assertions) unreferenced.push_back(&a);
    for (const auto& ref : m.assertion_refs()) {
      auto uri = parse_jumbf_uri(ref.url);
      std::string absolute;
      if (uri.manifest) {
        if (*uri.manifest != m.label) {
          out_.log.failure("assertion.outsideManifest", ref.url, "assertion reference to external assertion store: " + ref.url);
          continue;
        }
        absolute = ref.url;
      }
      if (uri.path.size() < 2 || uri.path[uri.path.size() - 2] != "c2pa.assertions") {
        out_.log.failure("assertion.hashedURI.mismatch", ref.url, "assertion URI malformed: " + ref.url);
        continue;
      }
      const std::string& label = uri.path.back();
      if (absolute.empty()) absolute = assertion_uri(m.label, label);
      std::erase_if(unreferenced, [&](const AssertionBox* a) { return a->label == label; });
      const AssertionBox* box = m.find_assertion(label);
      if (!box) {
        out_.log.failure("assertion.missing", absolute, "cannot find matching assertion: " + ref.url);
        continue;
      }
      bool known = false;
      auto digest = hash_with(ref.alg.value_or(m.claim_alg()), box->superbox_payload, known);
      if (known && digest == ref.hash) {
        out_.log.success("assertion.hashedURI.match", absolute, "hashed uri matched: " + ref.url);
      } else {
        out_.log.failure("assertion.hashedURI.mismatch", absolute, "hash does not match assertion data: " + ref.url);
      }
    }
    for (const auto* a : unreferenced) {
      out_.log.failure("assertion.undeclared", assertion_uri(m.label, a->label), "assertion is not referenced by the claim");
    }
  }

  void ingredient_checks(const Manifest& m, size_t depth) {
    if (depth >= kMaxIngredientDepth) {
      out_.log.failure("ingredient.manifest.missing", manifest_uri(m.label), "ingredient chain too deep");
      return;
    }
    for (const auto& ing : ingredients_of(m)) {
      if (ing.relationship == "inputTo") continue;
      std::string ing_uri = assertion_uri(m.label, ing.box->label);
      out_.log.push_ingredient(ing_uri);
      if (!ing.manifest_ref) {
        out_.log.informational("ingredient.unknownProvenance", ing_uri, ing.title + ": ingredient does not have provenance");
        out_.log.pop_ingredient();
        continue;
      }
      if (ing.version >= 3 && !ing.has_validation_results) {
        out_.log.failure("assertion.ingredient.malformed", ing_uri, "ingredient V3 must have validation results");
      }
      auto uri = parse_jumbf_uri(ing.manifest_ref->url);
      std::string label = uri.manifest.value_or(uri.path.empty() ? "" : uri.path.back());
      const Manifest* target = in_.store.find(label);
      if (!target) {
        out_.log.failure("ingredient.manifest.missing", label, "ingredient not found");
        out_.log.pop_ingredient();
        continue;
      }
      check_ingredient_manifest_hash(ing, *target);
      // A store may share one ingredient manifest between many ingredients (a DAG); cap the total
      // work so a hostile store cannot make validation exponential.
      if (depth + 1 < kMaxIngredientDepth && target != &m && ++claims_verified_ <= kMaxClaimVerifications) {
        verify_claim(*target);
        ingredient_checks(*target, depth + 1);
      }
      out_.log.pop_ingredient();
    }
  }

  void check_ingredient_manifest_hash(const Ingredient& ing, const Manifest& target) {
    const HashedUri& ref = *ing.manifest_ref;
    std::string alg = ref.alg.value_or(target.claim_alg());
    bool known = false;
    bool box_match = hash_with(alg, target.superbox_payload, known) == ref.hash && known;
    bool claim_match = false;
    if (!box_match) {
      // Manifests made before C2PA 1.3 hashed the claim instead of the manifest box.
      claim_match = hash_with(alg, target.claim_bytes, known) == ref.hash && known;
    }
    if (box_match) {
      out_.log.success("ingredient.manifest.validated", ref.url, "ingredient hash matched");
    } else if (!claim_match) {
      out_.log.failure("ingredient.manifest.mismatch", ref.url, "ingredient hash incorrect");
    }
  }

  void verify_hard_binding(const Manifest& m) {
    auto bindings = hard_bindings(m);
    if (bindings.size() > 1) {
      out_.log.failure("assertion.multipleHardBindings", manifest_uri(m.label), "claim has multiple data bindings");
    }
    for (const auto* a : bindings) {
      std::string url = assertion_uri(m.label, a->label);
      std::string base = split_instance(a->label).first;
      if (!a->cbor) {
        std::string code = base == "c2pa.hash.data" ? "assertion.dataHash.malformed"
                           : base == "c2pa.hash.boxes" ? "assertion.boxesHash.malformed"
                                                      : "assertion.bmffHash.malformed";
        out_.log.failure(code, url, "hard binding assertion cannot be decoded");
        continue;
      }
      formats::C2paCarrier empty;
      const formats::C2paCarrier& carrier = in_.carrier ? *in_.carrier : empty;
      cbor::Value assertion = *a->cbor;
      if (base == "c2pa.hash.data") {
        if (auto ex = a->cbor->get("exclusions"); ex && ex->untagged().items.size() > 1) {
          out_.log.informational("assertion.dataHash.additionalExclusionsPresent", url, "extra data hash exclusions found");
        }
        if (in_.store.active() && in_.store.active()->update_manifest) adjust_for_grown_store(assertion, carrier);
      }
      auto status = binding::check_hard_binding(base, assertion, *in_.asset, in_.format, carrier, m.claim_alg());
      if (status.ok) out_.log.success(status.code, url, status.explanation);
      else out_.log.failure(status.code, url, status.explanation);
    }
  }

  // An update manifest appended to the store after the parent was signed makes the store larger:
  // the parent's exclusion of the store is widened to the store's current extent and later
  // exclusions move by the growth (as c2pa-rs does).
  static void adjust_for_grown_store(cbor::Value& data_hash, const formats::C2paCarrier& carrier) {
    if (carrier.carrier_ranges.empty()) return;
    uint64_t start = carrier.carrier_ranges.front().offset, end = carrier.carrier_ranges.front().end();
    for (const auto& r : carrier.carrier_ranges) {
      start = std::min(start, r.offset);
      end = std::max(end, r.end());
    }
    cbor::Value& m = data_hash.type == cbor::Type::Tag ? data_hash.items[0] : data_hash;
    cbor::Value* ex = nullptr;
    for (size_t i = 0; i + 1 < m.items.size(); i += 2) {
      if (m.items[i].is_text() && m.items[i].text == "exclusions") ex = &m.items[i + 1];
    }
    if (!ex || !ex->is_array()) return;
    auto field = [](cbor::Value& range, const char* key) -> cbor::Value* {
      for (size_t i = 0; i + 1 < range.items.size(); i += 2) {
        if (range.items[i].is_text() && range.items[i].text == key) return &range.items[i + 1];
      }
      return nullptr;
    };
    uint64_t growth = 0;
    bool found = false;
    for (auto& range : ex->items) {
      cbor::Value* s = field(range, "start");
      cbor::Value* l = field(range, "length");
      if (!s || !l || s->type != cbor::Type::Unsigned || l->type != cbor::Type::Unsigned) continue;
      if (s->uint == start && !found) {
        found = true;
        growth = (end - start) > l->uint ? (end - start) - l->uint : 0;
        l->uint = end - start;
      }
    }
    if (!found || growth == 0) return;
    for (auto& range : ex->items) {
      cbor::Value* s = field(range, "start");
      if (s && s->type == cbor::Type::Unsigned && s->uint > start) s->uint += growth;
    }
  }

  // A manifest store read on its own (a .c2pa file without its asset): nothing to hash, so the
  // binding cannot match, as c2pa-rs reports.
  void verify_hard_binding_without_asset(const Manifest& m) {
    for (const auto* a : hard_bindings(m)) {
      std::string base = split_instance(a->label).first;
      std::string code = base == "c2pa.hash.data" ? "assertion.dataHash.mismatch"
                         : base == "c2pa.hash.boxes" ? "assertion.boxesHash.mismatch"
                                                    : "assertion.bmffHash.mismatch";
      out_.log.failure(code, assertion_uri(m.label, a->label), "no asset to check the hard binding against");
    }
  }

  const ValidationInput& in_;
  ValidationOutput out_;
  std::set<std::string> visited_;
  size_t claims_verified_ = 0;
};

}  // namespace

ValidationOutput validate_store(const ValidationInput& input) { return Validator(input).run(); }

}  // namespace veritrace::c2pa
