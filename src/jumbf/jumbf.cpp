#include "jumbf/jumbf.hpp"

#include <cstring>

#include "veritrace/core.hpp"

namespace veritrace::jumbf {

namespace {

constexpr uint8_t kIsoTail[12] = {0x00, 0x11, 0x00, 0x10, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};

uint32_t be32(std::span<const uint8_t> d, size_t at) {
  return (uint32_t(d[at]) << 24) | (uint32_t(d[at + 1]) << 16) | (uint32_t(d[at + 2]) << 8) | uint32_t(d[at + 3]);
}

struct BoxHeader {
  uint32_t type;
  size_t size;
  size_t header;
};

// Reads a box header at `at` inside [at, end). A 0 length means "to the end of the parent".
BoxHeader read_header(std::span<const uint8_t> d, size_t at, size_t end) {
  if (end - at < 8) throw_malformed("JUMBF: box header truncated at byte " + std::to_string(at));
  uint64_t size = be32(d, at);
  uint32_t type = be32(d, at + 4);
  size_t header = 8;
  if (size == 1) {
    if (end - at < 16) throw_malformed("JUMBF: extended box header truncated at byte " + std::to_string(at));
    size = (uint64_t(be32(d, at + 8)) << 32) | be32(d, at + 12);
    header = 16;
  } else if (size == 0) {
    size = end - at;
  }
  if (size < header || size > end - at) {
    throw_malformed("JUMBF: box '" + fourcc_text(type) + "' at byte " + std::to_string(at) + " claims " +
                    std::to_string(size) + " bytes, " + std::to_string(end - at) + " available");
  }
  return {type, static_cast<size_t>(size), header};
}

class Parser {
 public:
  Parser(std::span<const uint8_t> d, const ParseLimits& l) : d_(d), limits_(l) {}

  SuperBox superbox(size_t at, size_t end, size_t depth) {
    if (depth > limits_.max_depth) throw_malformed("JUMBF: superboxes nested too deep");
    BoxHeader h = read_header(d_, at, end);
    if (h.type != fourcc("jumb")) throw_malformed("JUMBF: expected a 'jumb' superbox at byte " + std::to_string(at) + ", found '" + fourcc_text(h.type) + "'");
    count();
    SuperBox sb;
    sb.offset = at;
    sb.size = h.size;
    sb.header_size = h.header;
    size_t pos = at + h.header;
    size_t box_end = at + h.size;
    description(sb, pos, box_end);
    pos = sb.description_offset + sb.description_size;
    while (pos < box_end) {
      BoxHeader ch = read_header(d_, pos, box_end);
      if (ch.type == fourcc("jumb")) {
        sb.superboxes.push_back(superbox(pos, box_end, depth + 1));
      } else {
        count();
        sb.contents.push_back({ch.type, pos, ch.size, pos + ch.header, ch.size - ch.header});
      }
      pos += ch.size;
    }
    return sb;
  }

 private:
  void count() {
    if (++boxes_ > limits_.max_boxes) throw_malformed("JUMBF: too many boxes");
  }

  void description(SuperBox& sb, size_t at, size_t end) {
    BoxHeader h = read_header(d_, at, end);
    if (h.type != fourcc("jumd")) throw_malformed("JUMBF: superbox at byte " + std::to_string(sb.offset) + " does not start with a 'jumd' description box");
    sb.description_offset = at;
    sb.description_size = h.size;
    size_t pos = at + h.header;
    size_t dend = at + h.size;
    if (dend - pos < 17) throw_malformed("JUMBF: description box too short");
    std::memcpy(sb.type.data(), d_.data() + pos, 16);
    sb.toggles = d_[pos + 16];
    pos += 17;
    if (sb.toggles & 0x02) {  // label: null-terminated UTF-8
      size_t start = pos;
      while (pos < dend && d_[pos] != 0) ++pos;
      if (pos >= dend) throw_malformed("JUMBF: description label is not terminated");
      sb.label.assign(reinterpret_cast<const char*>(d_.data() + start), pos - start);
      ++pos;
    }
    if (sb.toggles & 0x04) {
      if (dend - pos < 4) throw_malformed("JUMBF: description ID truncated");
      sb.id = be32(d_, pos);
      pos += 4;
    }
    if (sb.toggles & 0x08) {
      if (dend - pos < 32) throw_malformed("JUMBF: description signature truncated");
      std::array<uint8_t, 32> sig{};
      std::memcpy(sig.data(), d_.data() + pos, 32);
      sb.signature = sig;
      pos += 32;
    }
    if (sb.toggles & 0x10) {
      BoxHeader ph = read_header(d_, pos, dend);
      sb.private_box = ContentBox{ph.type, pos, ph.size, pos + ph.header, ph.size - ph.header};
    }
  }

  std::span<const uint8_t> d_;
  ParseLimits limits_;
  size_t boxes_ = 0;
};

}  // namespace

std::string fourcc_text(uint32_t type) {
  std::string s;
  for (int shift = 24; shift >= 0; shift -= 8) {
    char c = static_cast<char>((type >> shift) & 0xFF);
    s += (c >= 0x20 && c < 0x7F) ? c : '?';
  }
  return s;
}

Uuid c2pa_uuid(const char (&four)[5]) {
  Uuid u{};
  std::memcpy(u.data(), four, 4);
  std::memcpy(u.data() + 4, kIsoTail, 12);
  return u;
}

std::string uuid_fourcc(const Uuid& u) {
  if (std::memcmp(u.data() + 4, kIsoTail, 12) != 0) return "";
  return std::string(reinterpret_cast<const char*>(u.data()), 4);
}

const SuperBox* SuperBox::child(std::string_view child_label) const {
  for (const auto& s : superboxes) {
    if (s.label == child_label) return &s;
  }
  return nullptr;
}

SuperBox parse(std::span<const uint8_t> data, const ParseLimits& limits) {
  Parser p(data, limits);
  size_t end = data.size();
  if (end >= 4) {
    // Honour the outer box's own length; bytes after it are padding.
    BoxHeader h = read_header(data, 0, end);
    end = h.size;
  }
  return p.superbox(0, end, 0);
}

}  // namespace veritrace::jumbf
