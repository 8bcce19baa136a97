#include "repo/schema.hpp"

#include "veritrace/repo.hpp"

namespace veritrace::repo::schema {

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> list = {
      {1, "manifest stores and their soft bindings",
       // `store` is the last column so that listing never reads the blob's overflow pages.
       "CREATE TABLE manifests ("
       "  id INTEGER PRIMARY KEY,"
       "  sha256 TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),"
       "  size INTEGER NOT NULL,"
       "  active_manifest TEXT NOT NULL DEFAULT '',"
       "  source_path TEXT NOT NULL DEFAULT '',"
       "  note TEXT NOT NULL DEFAULT '',"
       "  added_at_ms INTEGER NOT NULL,"
       "  store BLOB NOT NULL);"
       "CREATE INDEX manifests_by_label ON manifests(active_manifest);"
       "CREATE INDEX manifests_by_time ON manifests(added_at_ms);"
       "CREATE TABLE soft_bindings ("
       "  manifest_id INTEGER NOT NULL REFERENCES manifests(id) ON DELETE CASCADE,"
       "  alg TEXT NOT NULL,"
       "  value TEXT NOT NULL,"
       "  PRIMARY KEY (alg, value, manifest_id)) WITHOUT ROWID;"
       "CREATE INDEX soft_bindings_by_manifest ON soft_bindings(manifest_id);"},
  };
  static_assert(kSchemaVersion == 1, "add the migration for the new schema version above");
  return list;
}

}  // namespace veritrace::repo::schema
