// C2PA validation of a parsed manifest store against its asset (C2PA spec, "Validation").
#pragma once
#include "binding/hard_binding.hpp"
#include "c2pa/store_model.hpp"
#include "c2pa/validation_log.hpp"
#include "cose/cose.hpp"
#include "formats/formats.hpp"

namespace veritrace::c2pa {

struct ValidationInput {
  const ManifestStore& store;
  const cose::TrustSettings& trust;
  const ByteSource* asset = nullptr;  // nullptr: no asset to check the hard binding against
  formats::Format format = formats::Format::Unknown;
  const formats::C2paCarrier* carrier = nullptr;
};

struct SignatureSummary {
  nlohmann::json signature_info;
  nlohmann::json details;
};

struct ValidationOutput {
  ValidationLog log;
  std::map<std::string, SignatureSummary> signatures;  // by manifest label
};

// Validates the active manifest, its ingredients (recursively) and the hard binding.
ValidationOutput validate_store(const ValidationInput& input);

}  // namespace veritrace::c2pa
