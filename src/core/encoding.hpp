// Text encodings of bytes (base64, hex). Internal to the library.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace veritrace {

std::string base64_encode(std::span<const uint8_t> bytes);
// Accepts standard and URL-safe alphabets, with or without padding; nullopt on bad input.
std::optional<std::vector<uint8_t>> base64_decode(std::string_view text);
std::string hex_encode(std::span<const uint8_t> bytes);

// Strict base64 as Rust's base64 crate decodes it (CAWG credentials, JWKs): one alphabet
// (standard or URL-safe), padding as asked, and unused trailing bits must be zero.
enum class Base64Padding { Canonical, Indifferent };
std::optional<std::vector<uint8_t>> base64_decode_strict(std::string_view text, bool url_safe, Base64Padding padding);

}  // namespace veritrace
