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

}  // namespace veritrace
