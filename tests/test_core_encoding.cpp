// base64 decoders: the lenient one (reports) and the strict one (CAWG, as Rust's base64 crate).
#include <gtest/gtest.h>

#include "core/encoding.hpp"

using namespace veritrace;

namespace {
std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }
}  // namespace

TEST(CoreEncoding, LenientBase64AcceptsBothAlphabetsAndOptionalPadding) {
  EXPECT_EQ(base64_decode("aGVsbG8="), bytes("hello"));
  EXPECT_EQ(base64_decode("aGVsbG8"), bytes("hello"));
  EXPECT_EQ(base64_decode("-_8"), base64_decode("+/8"));
  EXPECT_EQ(base64_encode(bytes("hello")), "aGVsbG8=");
  EXPECT_FALSE(base64_decode("aGVs*G8="));
  EXPECT_FALSE(base64_decode("a"));  // a lone digit cannot make a byte
}

TEST(CoreEncoding, StrictBase64FollowsItsRules) {
  EXPECT_EQ(base64_decode_strict("aGVsbG8=", false, Base64Padding::Canonical), bytes("hello"));
  EXPECT_FALSE(base64_decode_strict("aGVsbG8", false, Base64Padding::Canonical));  // padding required
  EXPECT_EQ(base64_decode_strict("aGVsbG8", true, Base64Padding::Indifferent), bytes("hello"));
  EXPECT_FALSE(base64_decode_strict("+/8=", true, Base64Padding::Canonical));   // wrong alphabet
  EXPECT_FALSE(base64_decode_strict("aGVsbG9=", false, Base64Padding::Canonical));  // non-zero trailing bits
  EXPECT_FALSE(base64_decode_strict("aGVsbG8==", false, Base64Padding::Indifferent));  // too much padding
}
