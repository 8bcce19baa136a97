#include "detect/png_text.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace veritrace::detect::png_text {
namespace {

constexpr uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
constexpr size_t kMaxKeyword = 79;
constexpr size_t kMaxOtherTypes = 32;

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

bool is_letter(uint8_t c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

std::string printable_type(const uint8_t* p) {
  std::string s;
  for (int i = 0; i < 4; ++i) s += is_letter(p[i]) ? static_cast<char>(p[i]) : '?';
  return s;
}

// Position of the first NUL in [from, end), or end.
size_t find_nul(std::span<const uint8_t> d, size_t from) {
  for (size_t i = from; i < d.size(); ++i)
    if (d[i] == 0) return i;
  return d.size();
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::string latin1_to_utf8(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (uint8_t c : bytes) append_utf8(out, c == 0 ? 0xFFFD : c);
  return out;
}

std::string sanitize_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const uint8_t c = p[i];
    if (c == 0) {
      append_utf8(out, 0xFFFD);
      ++i;
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    int len = 0;
    uint32_t cp = 0, min = 0;
    if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07, min = 0x10000;
    bool ok = len > 0 && i + len <= n;
    for (int k = 1; ok && k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) ok = false;
      else cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (!ok) {
      append_utf8(out, 0xFFFD);
      ++i;
      continue;
    }
    out.append(s.substr(i, static_cast<size_t>(len)));
    i += static_cast<size_t>(len);
  }
  return out;
}

bool inflate_capped(std::span<const uint8_t> in, size_t cap, std::string& out, bool& over_cap) {
  out.clear();
  over_cap = false;
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return false;
  uint8_t buf[65536];
  // zlib counts avail_in in uInt; feed at most 1 GiB at a time (chunks are < 2^31 anyway).
  size_t fed = 0;
  int rc = Z_OK;
  bool ok = false;
  while (true) {
    if (zs.avail_in == 0 && fed < in.size()) {
      const size_t n = std::min<size_t>(in.size() - fed, 1u << 30);
      zs.next_in = const_cast<Bytef*>(in.data() + fed);
      zs.avail_in = static_cast<uInt>(n);
      fed += n;
    }
    zs.next_out = buf;
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    const size_t produced = sizeof buf - zs.avail_out;
    if (out.size() + produced > cap) {
      over_cap = true;
      break;
    }
    out.append(reinterpret_cast<const char*>(buf), produced);
    if (rc == Z_STREAM_END) {
      ok = true;
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) break;          // corrupt data
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && fed >= in.size()) break;  // input ran out
    if (produced == 0 && zs.avail_in == 0 && fed >= in.size()) break;
  }
  inflateEnd(&zs);
  if (!ok) {
    out.clear();
    out.shrink_to_fit();
  }
  return ok;
}

Result parse(std::span<const uint8_t> bytes, const Limits& limits) {
  Result r;
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kSignature, 8) != 0) return r;
  r.is_png = true;
  size_t pos = 8;
  size_t text_bytes = 0;
  size_t crc_notes = 0;
  while (pos < bytes.size()) {
    if (r.chunk_count >= limits.max_chunks) {
      r.notes.push_back("Stopped after " + std::to_string(r.chunk_count) + " chunks (limit).");
      break;
    }
    if (bytes.size() - pos < 8) {
      r.truncated = true;
      r.notes.push_back("The file ends inside a chunk header at offset " + std::to_string(pos) + ".");
      break;
    }
    const uint32_t length = be32(bytes.data() + pos);
    const uint8_t* type = bytes.data() + pos + 4;
    if (!is_letter(type[0]) || !is_letter(type[1]) || !is_letter(type[2]) || !is_letter(type[3])) {
      r.notes.push_back("Invalid chunk type at offset " + std::to_string(pos) + "; the rest was not read.");
      break;
    }
    const std::string tname = printable_type(type);
    if (length > 0x7FFFFFFFu || bytes.size() - pos - 8 < static_cast<size_t>(length) + 4) {
      r.truncated = true;
      r.notes.push_back("Chunk '" + tname + "' at offset " + std::to_string(pos) + " (length " +
                        std::to_string(length) + ") runs past the end of the file: truncated.");
      break;
    }
    ++r.chunk_count;
    const std::span<const uint8_t> data = bytes.subspan(pos + 8, length);
    const uint32_t stored_crc = be32(bytes.data() + pos + 8 + length);
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, type, 4);
    // crc32 takes uInt lengths; chunks are <= 2^31 - 1 so one call suffices on 32-bit uInt.
    crc = crc32(crc, data.data(), static_cast<uInt>(data.size()));
    const bool crc_ok = static_cast<uint32_t>(crc) == stored_crc;
    if (!crc_ok) {
      ++r.crc_mismatches;
      if (crc_notes++ < 8)
        r.notes.push_back("Chunk '" + tname + "' at offset " + std::to_string(pos) + " has a bad CRC.");
    }
    const size_t chunk_pos = pos;
    pos += 12 + static_cast<size_t>(length);

    if (tname == "IHDR" && length >= 8) {
      r.width = be32(data.data());
      r.height = be32(data.data() + 4);
    }
    if (tname == "IEND") {
      r.saw_iend = true;
      if (pos < bytes.size())
        r.notes.push_back(std::to_string(bytes.size() - pos) + " bytes follow the IEND chunk.");
      break;
    }
    const bool is_text = tname == "tEXt" || tname == "zTXt" || tname == "iTXt";
    if (!is_text) {
      if (!(type[0] & 0x20)) continue;  // critical chunk: not metadata
      if (r.other_chunk_types.size() < kMaxOtherTypes &&
          std::find(r.other_chunk_types.begin(), r.other_chunk_types.end(), tname) == r.other_chunk_types.end())
        r.other_chunk_types.push_back(tname);
      continue;
    }
    if (r.chunks.size() >= limits.max_text_chunks) {
      if (r.chunks.size() == limits.max_text_chunks)
        r.notes.push_back("More than " + std::to_string(limits.max_text_chunks) + " text chunks: the rest were skipped.");
      continue;
    }
    const size_t nul = find_nul(data, 0);
    if (nul == data.size() || nul == 0 || nul > kMaxKeyword) {
      r.notes.push_back("Text chunk '" + tname + "' at offset " + std::to_string(chunk_pos) +
                        " has no valid keyword; skipped.");
      continue;
    }
    TextChunk tc;
    tc.type = tname;
    tc.keyword = latin1_to_utf8(data.first(nul));
    tc.crc_ok = crc_ok;
    tc.offset = chunk_pos;
    std::span<const uint8_t> payload;
    bool utf8 = false;
    if (tname == "tEXt") {
      payload = data.subspan(nul + 1);
    } else if (tname == "zTXt") {
      if (nul + 2 > data.size()) {
        r.notes.push_back("zTXt '" + tc.keyword + "' has no compression method; skipped.");
        continue;
      }
      tc.compressed = true;
      payload = data.subspan(nul + 2);  // method byte: only 0 (zlib) is defined; zlib checks its header
    } else {  // iTXt
      size_t p = nul + 1;
      if (p + 2 > data.size()) {
        r.notes.push_back("iTXt '" + tc.keyword + "' is cut short; skipped.");
        continue;
      }
      tc.compressed = data[p] != 0;
      p += 2;
      const size_t lang_end = find_nul(data, p);
      if (lang_end == data.size()) {
        r.notes.push_back("iTXt '" + tc.keyword + "' has no language tag terminator; skipped.");
        continue;
      }
      tc.language = sanitize_utf8(std::string_view(reinterpret_cast<const char*>(data.data() + p), lang_end - p));
      p = lang_end + 1;
      const size_t tk_end = find_nul(data, p);
      if (tk_end == data.size()) {
        r.notes.push_back("iTXt '" + tc.keyword + "' has no translated keyword terminator; skipped.");
        continue;
      }
      tc.translated_keyword =
          sanitize_utf8(std::string_view(reinterpret_cast<const char*>(data.data() + p), tk_end - p));
      payload = data.subspan(tk_end + 1);
      utf8 = true;
    }
    std::string raw;
    if (tc.compressed) {
      const size_t left = limits.max_inflated_total > r.inflated_total ? limits.max_inflated_total - r.inflated_total : 0;
      const size_t cap = std::min(limits.max_inflated_per_chunk, left);
      bool over = false;
      if (!inflate_capped(payload, cap, raw, over)) {
        ++r.refused_chunks;
        if (over)
          r.notes.push_back(tname + " '" + tc.keyword + "' would inflate past " +
                            std::to_string(cap >> 10) + " KiB (" + std::to_string(payload.size()) +
                            " compressed bytes): refused as a possible decompression bomb.");
        else
          r.notes.push_back(tname + " '" + tc.keyword + "' holds corrupt or incomplete compressed text; skipped.");
        continue;
      }
      r.inflated_total += raw.size();
    } else {
      raw.assign(reinterpret_cast<const char*>(payload.data()), payload.size());
    }
    if (text_bytes + raw.size() > limits.max_text_bytes_total) {
      r.notes.push_back("Text chunk '" + tc.keyword + "' skipped: the file's text exceeds the total limit.");
      continue;
    }
    text_bytes += raw.size();
    tc.text = utf8 ? sanitize_utf8(raw)
                   : latin1_to_utf8(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()));
    r.chunks.push_back(std::move(tc));
  }
  return r;
}

}  // namespace veritrace::detect::png_text
