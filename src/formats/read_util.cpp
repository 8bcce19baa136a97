#include "formats/read_util.hpp"

#include <algorithm>
#include <utility>

namespace veritrace::formats::detail {

std::string fourcc_string(uint32_t code) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) {
    auto c = static_cast<char>((code >> shift) & 0xff);
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return out;
}

void malformed(const ByteSource& src, const std::string& context, const std::string& message) {
  throw Error(ErrorKind::Malformed, src.name() + ": " + context + ": " + message);
}

std::vector<uint8_t> read_up_to(const ByteSource& src, uint64_t offset, uint64_t max) {
  if (offset >= src.size()) return {};
  uint64_t n = std::min(max, src.size() - offset);
  return src.read_vector(offset, n);
}

std::vector<uint8_t> read_payload(const ByteSource& src, uint64_t offset, uint64_t length, uint64_t cap,
                                  const char* context) {
  if (!fits(src, offset, length)) {
    malformed(src, context, "length " + std::to_string(length) + " at offset " + std::to_string(offset) +
                                " runs past the end of the file");
  }
  if (length > cap) malformed(src, context, "length " + std::to_string(length) + " is larger than supported");
  return src.read_vector(offset, length);
}

namespace {

// Value of `name="..."` (or '...') in an XML text, if present.
std::optional<std::string> attribute_value(std::string_view xml, std::string_view name) {
  size_t pos = 0;
  while ((pos = xml.find(name, pos)) != std::string_view::npos) {
    size_t p = pos + name.size();
    // The attribute name must be followed by optional spaces and '='.
    while (p < xml.size() && (xml[p] == ' ' || xml[p] == '\t' || xml[p] == '\n' || xml[p] == '\r')) ++p;
    if (p < xml.size() && xml[p] == '=') {
      ++p;
      while (p < xml.size() && (xml[p] == ' ' || xml[p] == '\t' || xml[p] == '\n' || xml[p] == '\r')) ++p;
      if (p < xml.size() && (xml[p] == '"' || xml[p] == '\'')) {
        char quote = xml[p];
        size_t end = xml.find(quote, p + 1);
        if (end != std::string_view::npos) return std::string(xml.substr(p + 1, end - p - 1));
      }
    }
    pos += name.size();
  }
  return std::nullopt;
}

// Text of `<name ...>text</name>`, if present.
std::optional<std::string> element_text(std::string_view xml, std::string_view name) {
  std::string open = "<" + std::string(name);
  size_t pos = 0;
  while ((pos = xml.find(open, pos)) != std::string_view::npos) {
    size_t after = pos + open.size();
    if (after < xml.size() && (xml[after] == '>' || xml[after] == ' ' || xml[after] == '\t' ||
                               xml[after] == '\n' || xml[after] == '\r')) {
      size_t gt = xml.find('>', after);
      if (gt == std::string_view::npos) return std::nullopt;
      if (xml[gt - 1] == '/') return std::nullopt;  // self-closing: no text
      size_t close = xml.find("</" + std::string(name), gt + 1);
      if (close == std::string_view::npos) return std::nullopt;
      return std::string(xml.substr(gt + 1, close - gt - 1));
    }
    pos = after;
  }
  return std::nullopt;
}

std::string trim(std::string s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.back())) s.pop_back();
  size_t start = 0;
  while (start < s.size() && is_space(s[start])) ++start;
  return s.substr(start);
}

// XML escapes a URL may carry (&amp; in query strings).
std::string unescape_xml(const std::string& s) {
  static constexpr std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string out;
  for (size_t i = 0; i < s.size();) {
    bool replaced = false;
    if (s[i] == '&') {
      for (const auto& [entity, c] : kEntities) {
        if (std::string_view(s).substr(i, entity.size()) == entity) {
          out += c;
          i += entity.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += s[i++];
  }
  return out;
}

}  // namespace

std::optional<std::string> xmp_provenance(std::string_view xmp) {
  constexpr std::string_view kName = "dcterms:provenance";
  if (auto v = attribute_value(xmp, kName)) {
    auto t = trim(*v);
    if (!t.empty()) return unescape_xml(t);
  }
  if (auto v = element_text(xmp, kName)) {
    auto t = trim(*v);
    if (!t.empty() && t.find('<') == std::string::npos) return unescape_xml(t);
  }
  return std::nullopt;
}

}  // namespace veritrace::formats::detail
