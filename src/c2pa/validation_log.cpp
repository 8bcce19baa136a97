#include "c2pa/validation_log.hpp"

#include <set>

namespace veritrace::c2pa {

StatusKind kind_of_code(const std::string& code) {
  static const std::set<std::string> kSuccess = {
      "claimSignature.validated", "claimSignature.insideValidity", "signingCredential.trusted",
      "signingCredential.ocsp.notRevoked", "timeStamp.trusted", "timeStamp.validated",
      "assertion.hashedURI.match", "assertion.dataHash.match", "assertion.bmffHash.match",
      "assertion.accessible", "assertion.boxesHash.match", "assertion.collectionHash.match",
      "ingredient.manifest.validated",
      // c2pa-rs 0.90.1 classes this one as success when it re-reads recorded statuses.
      "ingredient.manifest.missing", "ingredient.claimSignature.validated"};
  static const std::set<std::string> kInformational = {
      "signingCredential.ocsp.skipped", "signingCredential.ocsp.inaccessible", "timeStamp.untrusted",
      "timeStamp.outsideValidity", "timeStamp.mismatch", "timeStamp.malformed", "manifest.unknownProvenance",
      "algorithm.deprecated", "timeOfSigning.insideValidity", "ingredient.unknownProvenance",
      "assertion.dataHash.additionalExclusionsPresent"};
  if (kSuccess.count(code)) return StatusKind::Success;
  if (kInformational.count(code)) return StatusKind::Informational;
  return StatusKind::Failure;
}

void ValidationLog::add(StatusKind kind, std::string code, std::string url, std::string explanation) {
  LogEntry e;
  e.kind = kind;
  e.code = std::move(code);
  e.url = std::move(url);
  e.explanation = std::move(explanation);
  if (!ingredient_stack_.empty()) e.ingredient_uri = ingredient_stack_.back();
  entries_.push_back(std::move(e));
}

}  // namespace veritrace::c2pa
