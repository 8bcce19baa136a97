// Builds the c2patool-shaped JSON report of a validated manifest store.
#pragma once
#include <nlohmann/json.hpp>

#include "c2pa/store_model.hpp"
#include "c2pa/validator.hpp"
#include "veritrace/c2pa.hpp"

namespace veritrace::c2pa {

struct ValidationSummary {
  nlohmann::json validation_results;  // {activeManifest {...}, ingredientDeltas [...]}
  ValidationState state = ValidationState::Invalid;
};

// Groups the log into activeManifest / ingredientDeltas (dropping ingredient statuses already
// recorded inside ingredient assertions, as c2pa-rs does) and derives the state.
ValidationSummary summarize(const ManifestStore& store, const ValidationLog& log);

// The "manifests" object, keyed by label.
nlohmann::json manifests_json(const ManifestStore& store, const ValidationOutput& validation, bool detailed);

}  // namespace veritrace::c2pa
