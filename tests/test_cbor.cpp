#include <gtest/gtest.h>

#include "cbor/cbor.hpp"
#include "veritrace/core.hpp"

using namespace veritrace;

namespace {
std::vector<uint8_t> hex(const std::string& h) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}
}  // namespace

// Vectors from RFC 8949 Appendix A.
TEST(Cbor, DecodesRfcVectors) {
  EXPECT_EQ(cbor::decode(hex("00")).uint, 0u);
  EXPECT_EQ(cbor::decode(hex("1a000f4240")).uint, 1000000u);
  EXPECT_EQ(cbor::decode(hex("3903e7")).as_int64(), -1000);
  EXPECT_EQ(cbor::decode(hex("1bffffffffffffffff")).uint, UINT64_MAX);
  EXPECT_DOUBLE_EQ(cbor::decode(hex("f93c00")).real, 1.0);
  EXPECT_DOUBLE_EQ(cbor::decode(hex("fb3ff199999999999a")).real, 1.1);
  EXPECT_DOUBLE_EQ(cbor::decode(hex("f90001")).real, 5.960464477539063e-8);
  EXPECT_EQ(cbor::decode(hex("6449455446")).text, "IETF");
  EXPECT_EQ(cbor::decode(hex("7f657374726561646d696e67ff")).text, "streaming");
  EXPECT_EQ(cbor::decode(hex("5f42010243030405ff")).bytes, hex("0102030405"));
  auto m = cbor::decode(hex("a26161016162820203"));
  ASSERT_TRUE(m.is_map());
  EXPECT_EQ(m.get_integer("a"), 1);
  ASSERT_NE(m.get("b"), nullptr);
  EXPECT_EQ(m.get("b")->items.size(), 2u);
  auto t = cbor::decode(hex("c074323031332d30332d32315432303a30343a30305a"));
  EXPECT_EQ(t.type, cbor::Type::Tag);
  EXPECT_EQ(t.untagged().text, "2013-03-21T20:04:00Z");
  auto indef = cbor::decode(hex("bf6346756ef563416d7421ff"));
  EXPECT_EQ(indef.map_size(), 2u);
  EXPECT_EQ(indef.get_integer("Amt"), -2);
}

TEST(Cbor, IntegerKeysForCose) {
  auto m = cbor::decode(hex("a201260442abcd"));  // {1: -7, 4: h'abcd'}
  ASSERT_NE(m.get_int(1), nullptr);
  EXPECT_EQ(m.get_int(1)->as_int64(), -7);
  EXPECT_EQ(m.get_int(4)->bytes, hex("abcd"));
}

TEST(Cbor, RoundTripIsByteExactForPreferredEncoding) {
  for (const char* v : {"00", "17", "1818", "190100", "1a00010000", "1b0000000100000000", "20", "3863",
                        "4401020304", "6449455446", "83010203", "a26161016162820203", "d818456449455446",
                        "f4", "f5", "f6", "fa47c35000", "fb3ff199999999999a"}) {
    auto bytes = hex(v);
    EXPECT_EQ(cbor::encode(cbor::decode(bytes)), bytes) << v;
  }
}

TEST(Cbor, RejectsMalformedInput) {
  for (const char* v : {"", "18", "1c", "5a00000010", "62ff", "9a10000000", "bf61", "ff", "5f01ff", "0000"}) {
    EXPECT_THROW(cbor::decode(hex(v)), Error) << v;
  }
  std::vector<uint8_t> deep(1000, 0x81);  // 1000 nested one-element arrays
  deep.push_back(0x00);
  EXPECT_THROW(cbor::decode(deep), Error);
}

TEST(Cbor, HugeCountsDoNotAllocate) {
  // An array claiming 2^63 items in 9 bytes must fail fast, not reserve memory.
  EXPECT_THROW(cbor::decode(hex("9b7fffffffffffffff")), Error);
  EXPECT_THROW(cbor::decode(hex("5b7fffffffffffffff")), Error);
}

TEST(Cbor, JsonViewRendersBytesAsBase64) {
  auto v = cbor::decode(hex("a2646861736843010203636e756d01"));
  auto j = cbor::to_json(v);
  EXPECT_EQ(j["hash"], "AQID");
  EXPECT_EQ(j["num"], 1);


}

TEST(Cbor, JsonViewReplacesInvalidUtf8) {
  // Text "a\xFFb" and an overlong "/" (C0 AF): both must become U+FFFD, and dump() must not throw.
  auto v = cbor::decode(hex("a16161" "6361ff62"));
  auto j = cbor::to_json(v);
  EXPECT_EQ(j["a"].get<std::string>(), "a\xEF\xBF\xBD" "b");
  EXPECT_NO_THROW((void)j.dump());
  auto overlong = cbor::to_json(cbor::decode(hex("62c0af")));
  EXPECT_EQ(overlong.get<std::string>(), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(cbor::to_json(cbor::decode(hex("63e282ac"))).get<std::string>(), "\xE2\x82\xAC");  // the euro sign survives
}
