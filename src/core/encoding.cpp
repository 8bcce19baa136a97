#include "core/encoding.hpp"

namespace veritrace {

std::string base64_encode(std::span<const uint8_t> bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = uint32_t{bytes[i]} << 16;
    if (i + 1 < bytes.size()) v |= uint32_t{bytes[i + 1]} << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += (i + 1 < bytes.size()) ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

namespace {

// Value of a base64 digit; both alphabets when url_safe is empty, else the one asked for.
int base64_digit(char c, std::optional<bool> url_safe) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if ((c == '+' && url_safe != true) || (c == '-' && url_safe != false)) return 62;
  if ((c == '/' && url_safe != true) || (c == '_' && url_safe != false)) return 63;
  return -1;
}

struct Sextets {
  std::vector<uint8_t> bytes;
  int leftover_bits = 0;      // bits after the last whole byte
  uint32_t leftover_value = 0;
};

// Decodes unpadded base64 digits; nullopt on a character outside the alphabet.
std::optional<Sextets> decode_digits(std::string_view body, std::optional<bool> url_safe) {
  Sextets out;
  out.bytes.reserve(body.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : body) {
    int v = base64_digit(c, url_safe);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.bytes.push_back(static_cast<uint8_t>((acc >> bits) & 0xFF));
    }
  }
  out.leftover_bits = bits;
  out.leftover_value = bits > 0 ? acc & ((1u << bits) - 1) : 0;
  return out;
}

}  // namespace

std::optional<std::vector<uint8_t>> base64_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  auto d = decode_digits(text, std::nullopt);
  if (!d || d->leftover_bits >= 6) return std::nullopt;
  return std::move(d->bytes);
}

std::string hex_encode(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

std::optional<std::vector<uint8_t>> base64_decode_strict(std::string_view text, bool url_safe, Base64Padding padding) {
  size_t pad = 0;
  while (pad < text.size() && pad < 2 && text[text.size() - 1 - pad] == '=') ++pad;
  std::string_view body = text.substr(0, text.size() - pad);
  if (body.size() % 4 == 1) return std::nullopt;
  size_t needed = body.size() % 4 == 0 ? 0 : 4 - body.size() % 4;
  if (padding == Base64Padding::Canonical && pad != needed) return std::nullopt;
  if (padding == Base64Padding::Indifferent && pad != 0 && pad != needed) return std::nullopt;
  auto d = decode_digits(body, url_safe);
  // Trailing bits must be zero (the base64 crate's default).
  if (!d || d->leftover_value != 0) return std::nullopt;
  return std::move(d->bytes);
}

}  // namespace veritrace
