// The repository's schema and its ordered migrations. Internal to the repo module.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace veritrace::repo::schema {

// PRAGMA application_id of a Veritrace manifest repository ("VTMR"), so that another program's
// SQLite file is recognised and left alone.
inline constexpr int32_t kApplicationId = 0x56544d52;

// Migration i (1-based) brings a database from user_version i-1 to i. Never edit a released
// migration: append a new one and raise kSchemaVersion (include/veritrace/repo.hpp).
struct Migration {
  int to_version;
  std::string description;
  std::string sql;
};
const std::vector<Migration>& migrations();

}  // namespace veritrace::repo::schema
