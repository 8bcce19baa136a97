// Collects C2PA validation statuses the way c2pa-rs groups them: statuses logged while an
// ingredient is being checked carry that ingredient's assertion URI and become ingredient deltas.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cose/cose.hpp"

namespace veritrace::c2pa {

using cose::StatusKind;

struct LogEntry {
  StatusKind kind = StatusKind::Success;
  std::string code;
  std::string url;
  std::string explanation;
  std::string ingredient_uri;  // empty: the active manifest
};

// The kind the spec gives a status code (as c2pa-rs's log_kind does).
StatusKind kind_of_code(const std::string& code);

class ValidationLog {
 public:
  void add(StatusKind kind, std::string code, std::string url, std::string explanation);
  void success(std::string code, std::string url, std::string explanation) {
    add(StatusKind::Success, std::move(code), std::move(url), std::move(explanation));
  }
  void failure(std::string code, std::string url, std::string explanation) {
    add(StatusKind::Failure, std::move(code), std::move(url), std::move(explanation));
  }
  void informational(std::string code, std::string url, std::string explanation) {
    add(StatusKind::Informational, std::move(code), std::move(url), std::move(explanation));
  }
  void push_ingredient(std::string uri) { ingredient_stack_.push_back(std::move(uri)); }
  void pop_ingredient() { ingredient_stack_.pop_back(); }
  const std::vector<LogEntry>& entries() const { return entries_; }
  std::vector<LogEntry>& entries() { return entries_; }

 private:
  std::vector<LogEntry> entries_;
  std::vector<std::string> ingredient_stack_;
};

}  // namespace veritrace::c2pa
