// Container formats against the shared corpus: detection, finding the manifest store, box maps,
// the BMFF box tree, and robustness on truncated files.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "formats/formats.hpp"
#include "jumbf/jumbf.hpp"
#include "support/test_support.hpp"

using namespace veritrace;
using namespace veritrace::formats;
namespace fs = std::filesystem;

namespace {

struct IndexRow {
  std::string file, mime, state;
};

std::vector<IndexRow> read_index(const fs::path& corpus) {
  std::ifstream in(corpus / "INDEX.tsv");
  std::vector<IndexRow> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    IndexRow row;
    std::getline(fields, row.file, '\t');
    std::getline(fields, row.mime, '\t');
    std::string source;
    std::getline(fields, source, '\t');
    std::getline(fields, row.state, '\t');
    rows.push_back(row);
  }
  return rows;
}

fs::path corpus_dir(const fs::path& shared) { return shared / "data" / "c2pa"; }

bool has_embedded_store(const IndexRow& row) {
  // NoManifest files carry nothing; the remote-only files carry only an XMP URL.
  if (row.state == "NoManifest") return false;
  return row.file.find("cloud.jpg") == std::string::npos && row.file.find("with_url") == std::string::npos &&
         row.file.find("save_credentials_to_cloud") == std::string::npos;
}

}  // namespace

TEST(FormatsCorpus, DetectsEveryFileByContent) {
  VT_REQUIRE_SHARED(shared);
  auto rows = read_index(corpus_dir(shared));
  ASSERT_GT(rows.size(), 80u);
  for (const auto& row : rows) {
    auto src = open_file_source((corpus_dir(shared) / row.file).string());
    auto detected = detect(*src);
    EXPECT_EQ(detected.mime, row.mime) << row.file;
  }
}

TEST(FormatsCorpus, FindsManifestStores) {
  VT_REQUIRE_SHARED(shared);
  for (const auto& row : read_index(corpus_dir(shared))) {
    auto src = open_file_source((corpus_dir(shared) / row.file).string());
    auto detected = detect(*src);
    if (!c2pa_supported(detected.format)) {
      EXPECT_THROW(find_c2pa(*src, detected.format), Error) << row.file;
      continue;
    }
    if (row.file.find("trunc-jumbf") != std::string::npos) {
      EXPECT_THROW(find_c2pa(*src, detected.format), Error) << row.file;
      continue;
    }
    C2paCarrier carrier;
    ASSERT_NO_THROW(carrier = find_c2pa(*src, detected.format)) << row.file;
    if (!has_embedded_store(row)) {
      EXPECT_TRUE(carrier.store.empty()) << row.file;
      continue;
    }
    ASSERT_GE(carrier.store.size(), 8u) << row.file;
    EXPECT_EQ(std::string(carrier.store.begin() + 4, carrier.store.begin() + 8), "jumb") << row.file;
    EXPECT_NO_THROW(jumbf::parse(carrier.store)) << row.file;
    ASSERT_FALSE(carrier.carrier_ranges.empty()) << row.file;
    for (const auto& range : carrier.carrier_ranges) EXPECT_LE(range.end(), src->size()) << row.file;
  }
}

TEST(FormatsCorpus, FindsRemoteManifestUrlsInXmp) {
  VT_REQUIRE_SHARED(shared);
  const std::map<std::string, std::string> expected = {
      {"fixtures/c2pa-rs/cloud.jpg", "https://cai-manifests.adobe.com/manifests/adobe-urn-uuid-5f"},
      {"fixtures/c2pa-rs/libpng-test_with_url.png", "http://localhost:5000/libpng-test.c2pa"},
      {"fixtures/c2pa-js/PirateShip_save_credentials_to_cloud.jpg",
       "https://cai-manifests.adobe.com/manifests/urn-c2pa-d41d1251-5724-47d0-b86c-00c43c656d92-adobe"},
  };
  for (const auto& [file, url_prefix] : expected) {
    auto src = open_file_source((corpus_dir(shared) / file).string());
    auto carrier = find_c2pa(*src, detect(*src).format);
    ASSERT_TRUE(carrier.remote_url.has_value()) << file;
    EXPECT_EQ(carrier.remote_url->substr(0, url_prefix.size()), url_prefix) << file;
  }
  auto plain = open_file_source((corpus_dir(shared) / "made/jpeg/es256.jpg").string());
  EXPECT_FALSE(find_c2pa(*plain, Format::Jpeg).remote_url.has_value());
}
