// The manifest store model: parsing real stores and the byte ranges hashed URIs cover.
#include <gtest/gtest.h>

#include "c2pa/store_model.hpp"
#include "core/hash.hpp"
#include "formats/formats.hpp"
#include "support/test_support.hpp"

using namespace veritrace;

namespace {
c2pa::ManifestStore load_store(const std::filesystem::path& file) {
  auto src = open_file_source(file.string());
  auto det = formats::detect(*src);
  auto carrier = formats::find_c2pa(*src, det.format);
  return c2pa::parse_store(std::move(carrier.store));
}
}  // namespace

TEST(C2paStore, EveryAssertionHashMatchesInSignedFiles) {
  VT_REQUIRE_SHARED(shared);
  for (const char* f : {"made/jpeg/es256.jpg", "made/jpeg/es256-claimv1.jpg", "made/png/es256.png", "made/mp4/es256.mp4",
                        "made/wav/es256.wav", "fixtures/c2pa-rs/CA.jpg", "made/chain/gen2-edit.jpg"}) {
    SCOPED_TRACE(f);
    auto store = load_store(shared / "data" / "c2pa" / f);
    ASSERT_FALSE(store.manifests.empty());
    for (const auto& m : store.manifests) {
      ASSERT_TRUE(m.claim.has_value()) << m.problem;
      auto refs = m.assertion_refs();
      EXPECT_FALSE(refs.empty());
      for (const auto& ref : refs) {
        auto uri = c2pa::parse_jumbf_uri(ref.url);
        ASSERT_FALSE(uri.path.empty());
        const auto* box = m.find_assertion(uri.path.back());
        ASSERT_NE(box, nullptr) << ref.url;
        auto alg = hash_alg_from_name(ref.alg.value_or(m.claim_alg()));
        ASSERT_TRUE(alg);
        EXPECT_EQ(hash_bytes(*alg, box->superbox_payload), ref.hash) << ref.url;
      }
    }
  }
}

TEST(C2paStore, ChainHasThreeManifestsActiveLast) {
  VT_REQUIRE_SHARED(shared);
  auto store = load_store(shared / "data" / "c2pa" / "made/chain/gen2-edit.jpg");
  EXPECT_EQ(store.manifests.size(), 3u);
  EXPECT_EQ(store.active()->claim_version, 2);
  EXPECT_TRUE(store.active()->has_signature);
}

TEST(C2paStore, JumbfUris) {
  auto abs = c2pa::parse_jumbf_uri("self#jumbf=/c2pa/urn:c2pa:abc/c2pa.assertions/c2pa.actions.v2");
  ASSERT_TRUE(abs.manifest);
  EXPECT_EQ(*abs.manifest, "urn:c2pa:abc");
  EXPECT_EQ(abs.path, (std::vector<std::string>{"c2pa.assertions", "c2pa.actions.v2"}));
  auto rel = c2pa::parse_jumbf_uri("self#jumbf=c2pa.assertions/c2pa.hash.data");
  EXPECT_FALSE(rel.manifest);
  EXPECT_EQ(rel.path.back(), "c2pa.hash.data");
  EXPECT_EQ(c2pa::split_instance("c2pa.ingredient__2"), (std::pair<std::string, int>{"c2pa.ingredient", 2}));
  EXPECT_EQ(c2pa::split_instance("c2pa.actions"), (std::pair<std::string, int>{"c2pa.actions", 0}));
}
