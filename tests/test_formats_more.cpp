// More container formats on synthetic inputs (no ../shared needed): WebP, TIFF/DNG (both byte
// orders, BigTIFF), GIF, MP3 and SVG: detection, finding the store, carrier ranges, XMP URLs,
// and robustness (truncation, loops, huge counts, offsets past the end).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string_view>

#include "formats/formats.hpp"
#include "support/test_support.hpp"

using namespace veritrace;
using namespace veritrace::formats;

namespace {

using Bytes = std::vector<uint8_t>;

void append(Bytes& out, std::string_view s) { out.insert(out.end(), s.begin(), s.end()); }
void append(Bytes& out, const Bytes& b) { out.insert(out.end(), b.begin(), b.end()); }
void le32(Bytes& out, uint32_t v) {
  for (int s = 0; s < 32; s += 8) out.push_back(uint8_t(v >> s));
}

// A minimal C2PA manifest store: 'jumb' superbox with a 'jumd' of type c2pa, plus filler.
Bytes fake_store(size_t filler) {
  Bytes jumd;
  append(jumd, std::string_view("\0\0\0\0jumd", 8));
  append(jumd, std::string_view("c2pa\x00\x11\x00\x10\x80\x00\x00\xaa\x00\x38\x9b\x71", 16));
  jumd.push_back(0x03);
  append(jumd, std::string_view("c2pa\0", 5));
  jumd[3] = uint8_t(jumd.size());
  Bytes out;
  uint32_t size = uint32_t(8 + jumd.size() + filler);
  for (int s = 24; s >= 0; s -= 8) out.push_back(uint8_t(size >> s));
  append(out, "jumb");
  append(out, jumd);
  out.resize(out.size() + filler, 0x5a);
  return out;
}

C2paCarrier carrier_of(const Bytes& file) {
  auto src = make_span_source(file);
  return find_c2pa(*src, detect(*src).format);
}

ErrorKind error_kind_of(const Bytes& file) {
  try {
    (void)carrier_of(file);
  } catch (const Error& e) {
    return e.kind();
  }
  return ErrorKind::Internal;  // "no error"
}

// Every prefix of `file` either parses or throws veritrace::Error.
void expect_truncations_handled(const Bytes& file) {
  for (size_t len = 0; len < file.size(); ++len) {
    auto src = make_span_source(std::span(file.data(), len));
    try {
      auto d = detect(*src);
      if (c2pa_supported(d.format)) (void)find_c2pa(*src, d.format);
      if (d.format == Format::Gif) (void)box_map(*src, d.format);
    } catch (const Error&) {
    }
  }
}

// ---- WebP ----

Bytes riff_chunk(std::string_view id, const Bytes& data) {
  Bytes out;
  append(out, id);
  le32(out, uint32_t(data.size()));
  append(out, data);
  if (data.size() & 1) out.push_back(0);
  return out;
}

Bytes webp(const std::vector<Bytes>& chunks) {
  Bytes body;
  append(body, "WEBP");
  for (const auto& c : chunks) append(body, c);
  Bytes out;
  append(out, "RIFF");
  le32(out, uint32_t(body.size()));
  append(out, body);
  return out;
}

}  // namespace

TEST(WebP, DetectsAndFindsTheC2paChunk) {
  Bytes store = fake_store(7);
  Bytes vp8 = riff_chunk("VP8 ", Bytes(30, 0x11));
  Bytes file = webp({vp8, riff_chunk("C2PA", store)});
  auto src = make_span_source(file);
  EXPECT_EQ(detect(*src).format, Format::WebP);
  EXPECT_EQ(detect(*src).mime, "image/webp");
  EXPECT_TRUE(c2pa_supported(Format::WebP));
  auto carrier = find_c2pa(*src, Format::WebP);
  EXPECT_EQ(carrier.store, store);
  ASSERT_EQ(carrier.carrier_ranges.size(), 1u);
  // The range is the whole chunk (header and pad byte): what c2pa-rs excludes from the data hash.
  EXPECT_EQ(carrier.carrier_ranges[0].offset, 12 + vp8.size());
  EXPECT_EQ(carrier.carrier_ranges[0].end(), file.size());
  expect_truncations_handled(file);
}

TEST(WebP, PlainWebPHasNoStoreAndXmpGivesTheRemoteUrl) {
  Bytes xmp;
  append(xmp, "<x:xmpmeta><rdf:Description dcterms:provenance=\"https://example.com/m.c2pa\"/></x:xmpmeta>");
  Bytes file = webp({riff_chunk("VP8X", Bytes(10, 0)), riff_chunk("VP8 ", Bytes(20, 1)), riff_chunk("XMP ", xmp)});
  auto carrier = carrier_of(file);
  EXPECT_TRUE(carrier.store.empty());
  EXPECT_TRUE(carrier.carrier_ranges.empty());
  ASSERT_TRUE(carrier.remote_url.has_value());
  EXPECT_EQ(*carrier.remote_url, "https://example.com/m.c2pa");
}

TEST(WebP, BrokenChunksAreMalformed) {
  Bytes file = webp({riff_chunk("VP8 ", Bytes(20, 1))});
  file[16] = 0xFF;  // VP8 chunk size far past the end
  file[17] = 0xFF;
  EXPECT_EQ(error_kind_of(file), ErrorKind::Malformed);
  Bytes rf64 = webp({});
  std::copy_n("RF64", 4, rf64.begin());  // RF64 is only for WAVE
  auto src = make_span_source(rf64);
  EXPECT_THROW(find_c2pa(*src, Format::WebP), Error);
}

// ---- TIFF ----

namespace {

struct TiffEntry {
  uint16_t tag, type;
  uint64_t count;
  uint64_t value;  // an offset, or an inline value
};

// Writes integers in the chosen byte order.
struct TiffWriter {
  bool little = true;
  bool big = false;
  Bytes out;
  void put(uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) {
      int shift = little ? 8 * i : 8 * (bytes - 1 - i);
      out.push_back(uint8_t(v >> shift));
    }
  }
  void put_at(size_t at, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) {
      int shift = little ? 8 * i : 8 * (bytes - 1 - i);
      out[at + size_t(i)] = uint8_t(v >> shift);
    }
  }
  int off_size() const { return big ? 8 : 4; }
  void header() {
    append(out, little ? "II" : "MM");
    if (big) {
      put(43, 2);
      put(8, 2);
      put(0, 2);
      put(16, 8);
    } else {
      put(42, 2);
      put(8, 4);
    }
  }
  // Appends an IFD; returns the position of its next-IFD field.
  size_t ifd(const std::vector<TiffEntry>& entries, uint64_t next) {
    put(entries.size(), big ? 8 : 2);
    for (const auto& e : entries) {
      put(e.tag, 2);
      put(e.type, 2);
      put(e.count, big ? 8 : 4);
      put(e.value, off_size());
    }
    size_t next_at = out.size();
    put(next, off_size());
    return next_at;
  }
};

// A TIFF whose IFD0 (and, with `pages` > 1, later page IFDs) are followed by the store and XMP.
Bytes tiff_with_store(bool little, bool big, const Bytes& store, const std::string& xmp = {},
                      bool store_in_last_page = false) {
  TiffWriter w{little, big, {}};
  w.header();
  size_t first_ifd = w.out.size();
  size_t entry_size = big ? 20 : 12;
  size_t count_size = big ? 8 : 2;
  size_t ifd0_entries = 2 + (xmp.empty() ? 0 : 1) + (store_in_last_page ? 0 : 1);
  size_t ifd0_size = count_size + entry_size * ifd0_entries + size_t(w.off_size());
  size_t ifd1 = first_ifd + ifd0_size;
  size_t ifd1_size = store_in_last_page ? count_size + entry_size + size_t(w.off_size()) : 0;
  size_t data = ifd1 + ifd1_size;
  uint64_t store_at = data, xmp_at = data + store.size();
  std::vector<TiffEntry> entries = {{256, 3, 1, little ? 16u : uint64_t{16} << (big ? 48 : 16)},
                                    {257, 3, 1, little ? 12u : uint64_t{12} << (big ? 48 : 16)}};
  if (!xmp.empty()) entries.push_back({700, 1, xmp.size(), xmp_at});
  if (!store_in_last_page) entries.push_back({0xCD41, 7, store.size(), store_at});
  w.ifd(entries, store_in_last_page ? ifd1 : 0);
  if (store_in_last_page) w.ifd({{0xCD41, 7, store.size(), store_at}}, 0);
  EXPECT_EQ(w.out.size(), data);
  append(w.out, store);
  append(w.out, xmp);
  return w.out;
}

}  // namespace

TEST(Tiff, FindsTheStoreInBothByteOrdersAndBigTiff) {
  Bytes store = fake_store(9);
  for (bool little : {true, false}) {
    for (bool big : {false, true}) {
      for (bool last_page : {false, true}) {
        SCOPED_TRACE(std::string(little ? "II" : "MM") + (big ? " BigTIFF" : "") + (last_page ? " last page" : ""));
        Bytes file = tiff_with_store(little, big, store, {}, last_page);
        auto src = make_span_source(file);
        EXPECT_EQ(detect(*src).format, Format::Tiff);
        EXPECT_EQ(detect(*src).mime, "image/tiff");
        auto carrier = find_c2pa(*src, Format::Tiff);
        EXPECT_EQ(carrier.store, store);
        ASSERT_EQ(carrier.carrier_ranges.size(), 1u);
        // The range is the tag's value only: what c2pa-rs excludes from the data hash.
        EXPECT_EQ(carrier.carrier_ranges[0].length, store.size());
        EXPECT_EQ(carrier.carrier_ranges[0].end(), file.size());
        expect_truncations_handled(file);
      }
    }
  }
  EXPECT_TRUE(c2pa_supported(Format::Tiff));
}

TEST(Tiff, XmpProvenanceInTag700) {
  std::string xmp = "<x:xmpmeta><rdf:Description dcterms:provenance=\"https://example.com/a.c2pa\"/></x:xmpmeta>";
  for (bool little : {true, false}) {
    auto carrier = carrier_of(tiff_with_store(little, false, fake_store(3), xmp));
    ASSERT_TRUE(carrier.remote_url.has_value());
    EXPECT_EQ(*carrier.remote_url, "https://example.com/a.c2pa");
  }
}

TEST(Tiff, NoStoreIsEmpty) {
  TiffWriter w{true, false, {}};
  w.header();
  w.ifd({{256, 3, 1, 16}, {257, 3, 1, 12}}, 0);
  auto carrier = carrier_of(w.out);
  EXPECT_TRUE(carrier.store.empty());
  EXPECT_TRUE(carrier.carrier_ranges.empty());
}

TEST(Tiff, BrokenStructuresAreMalformed) {
  Bytes store = fake_store(4);
  // Next-IFD pointer back to IFD0: a loop.
  {
    TiffWriter w{true, false, {}};
    w.header();
    w.ifd({{256, 3, 1, 16}}, 8);
    EXPECT_EQ(error_kind_of(w.out), ErrorKind::Malformed);
  }
  // Two IFDs pointing at each other.
  {
    TiffWriter w{false, false, {}};
    w.header();
    size_t next0 = w.ifd({{256, 3, 1, 16}}, 0);
    size_t ifd1 = w.out.size();
    w.ifd({{257, 3, 1, 16}}, 8);
    w.put_at(next0, ifd1, 4);
    EXPECT_EQ(error_kind_of(w.out), ErrorKind::Malformed);
  }
  // First IFD past the end; next IFD past the end.
  {
    TiffWriter w{true, false, {}};
    w.header();
    w.put_at(4, 0xFFFFFFF0u, 4);
    EXPECT_EQ(error_kind_of(w.out), ErrorKind::Malformed);
    TiffWriter v{true, false, {}};
    v.header();
    v.ifd({{256, 3, 1, 16}}, 0x7FFFFFFF);
    EXPECT_EQ(error_kind_of(v.out), ErrorKind::Malformed);
  }
  // A huge entry count (BigTIFF) and a store count far past the end.
  {
    TiffWriter w{true, true, {}};
    w.header();
    w.put(uint64_t{1} << 60, 8);
    EXPECT_EQ(error_kind_of(w.out), ErrorKind::Malformed);
    Bytes file = tiff_with_store(true, true, store);
    auto src = make_span_source(file);
    auto range = find_c2pa(*src, Format::Tiff).carrier_ranges.at(0);
    TiffWriter v{true, true, {}};
    v.header();
    v.ifd({{0xCD41, 7, uint64_t{1} << 62, range.offset}}, 0);
    EXPECT_EQ(error_kind_of(v.out), ErrorKind::Malformed);
  }
  // The C2PA tag must be UNDEFINED (7), as c2pa-rs requires.
  {
    Bytes file = tiff_with_store(true, false, store);
    // IFD0: count(2) + 2 entries; the C2PA entry is the third: its type is at 8+2+24+2.
    ASSERT_EQ(file[8 + 2 + 24], 0x41);
    file[8 + 2 + 24 + 2] = 4;
    EXPECT_EQ(error_kind_of(file), ErrorKind::Malformed);
  }
  // Bad BigTIFF header and bad magic.
  {
    Bytes file = tiff_with_store(false, true, store);
    file[5] = 4;  // offset size must be 8
    EXPECT_EQ(error_kind_of(file), ErrorKind::Malformed);
    Bytes plain = tiff_with_store(true, false, store);
    auto src = make_span_source(std::span(plain.data(), 3));
    EXPECT_THROW(find_c2pa(*src, Format::Tiff), Error);
  }
}

TEST(Tiff, LongIfdChainIsBoundedAndQuick) {
  // 100k tiny IFDs chained one after the other: refused (too many IFDs) quickly, no blow-up.
  TiffWriter w{true, false, {}};
  w.header();
  for (int i = 0; i < 100000; ++i) {
    size_t next_at = w.ifd({}, 0);
    w.put_at(next_at, i + 1 < 100000 ? w.out.size() : 0, 4);
  }
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(error_kind_of(w.out), ErrorKind::Malformed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

// ---- GIF ----

namespace {

Bytes sub_blocks(const Bytes& data) {
  Bytes out;
  for (size_t i = 0; i < data.size(); i += 255) {
    size_t n = std::min<size_t>(255, data.size() - i);
    out.push_back(uint8_t(n));
    out.insert(out.end(), data.begin() + long(i), data.begin() + long(i + n));
  }
  out.push_back(0);
  return out;
}

Bytes gif_app(std::string_view id11, const Bytes& data) {
  Bytes out{0x21, 0xFF, 0x0B};
  append(out, id11);
  append(out, sub_blocks(data));
  return out;
}

// Header, screen descriptor with a 2-color global table, optional blocks, one image, trailer.
Bytes gif_with(const std::vector<Bytes>& blocks_before_image, bool local_table = false) {
  Bytes out;
  append(out, "GIF89a");
  append(out, Bytes{1, 0, 1, 0, 0x80, 0, 0});  // 1x1, global color table of 2 entries
  append(out, Bytes(6, 0xEE));
  for (const auto& b : blocks_before_image) append(out, b);
  append(out, Bytes{0x21, 0xF9, 4, 0, 0, 0, 0, 0});  // graphic control extension
  append(out, Bytes{0x2C, 0, 0, 0, 0, 1, 0, 1, 0, uint8_t(local_table ? 0x80 : 0)});
  if (local_table) append(out, Bytes(6, 0xDD));
  out.push_back(2);  // LZW minimum code size
  append(out, sub_blocks(Bytes{0x44, 0x01}));
  out.push_back(0x3B);
  return out;
}

}  // namespace

TEST(Gif, FindsTheStoreAcrossSubBlocks) {
  Bytes store = fake_store(600);  // spans three sub-blocks
  Bytes comment{0x21, 0xFE};
  append(comment, sub_blocks(Bytes(10, 'c')));
  Bytes c2pa = gif_app(std::string_view("C2PA_GIF\x01\x00\x00", 11), store);
  Bytes file = gif_with({comment, c2pa});
  auto src = make_span_source(file);
  EXPECT_EQ(detect(*src).format, Format::Gif);
  EXPECT_TRUE(c2pa_supported(Format::Gif));
  auto carrier = find_c2pa(*src, Format::Gif);
  EXPECT_EQ(carrier.store, store);
  ASSERT_EQ(carrier.carrier_ranges.size(), 1u);
  EXPECT_EQ(carrier.carrier_ranges[0].offset, 13 + 6 + comment.size());
  EXPECT_EQ(carrier.carrier_ranges[0].length, c2pa.size());
  expect_truncations_handled(file);
}

TEST(Gif, BoxMapNamesBlocksLikeC2paRs) {
  Bytes c2pa = gif_app(std::string_view("C2PA_GIF\x01\x00\x00", 11), fake_store(3));
  Bytes file = gif_with({c2pa}, true);
  auto map = box_map(*make_span_source(file), Format::Gif);
  std::vector<std::string> names;
  for (const auto& piece : map) names.push_back(piece.name);
  EXPECT_EQ(names, (std::vector<std::string>{"GIF89a", "LSD", "C2PA", "21F9", "2C", "TBID", "3B"}));
  EXPECT_EQ(map[1].range.length, 7u + 6u);   // the global color table joins the descriptor
  EXPECT_EQ(map[4].range.length, 10u + 6u);  // and a local one its image descriptor
  uint64_t expected_offset = 0;
  for (const auto& piece : map) {
    EXPECT_EQ(piece.range.offset, expected_offset) << piece.name;
    expected_offset = piece.range.end();
  }
  EXPECT_EQ(expected_offset, file.size());
  // Without a store: an empty "C2PA" piece where one would go.
  auto plain = box_map(*make_span_source(gif_with({})), Format::Gif);
  ASSERT_GE(plain.size(), 3u);
  EXPECT_EQ(plain[2].name, "C2PA");
  EXPECT_EQ(plain[2].range.length, 0u);
}

TEST(Gif, StoreAfterTheFirstImageIsIgnoredAndXmpGivesTheUrl) {
  std::string xmp = "<x:xmpmeta><rdf:Description dcterms:provenance=\"https://example.com/g.c2pa\"/></x:xmpmeta>";
  Bytes file = gif_with({gif_app("XMP DataXMP", Bytes(xmp.begin(), xmp.end()))});
  auto carrier = carrier_of(file);
  EXPECT_TRUE(carrier.store.empty());
  ASSERT_TRUE(carrier.remote_url.has_value());
  EXPECT_EQ(*carrier.remote_url, "https://example.com/g.c2pa");
  Bytes late = gif_with({});
  late.pop_back();  // trailer
  append(late, gif_app(std::string_view("C2PA_GIF\x01\x00\x00", 11), fake_store(3)));
  late.push_back(0x3B);
  EXPECT_TRUE(carrier_of(late).store.empty());
}

TEST(Gif, BrokenBlocksAreMalformed) {
  Bytes file = gif_with({});
  file[13 + 6] = 0x99;  // unknown block introducer
  EXPECT_EQ(error_kind_of(file), ErrorKind::Malformed);
  Bytes bad_app = gif_with({Bytes{0x21, 0xFF, 0x0A}});
  EXPECT_EQ(error_kind_of(bad_app), ErrorKind::Malformed);
  // A store whose sub-blocks run past the end.
  Bytes cut = gif_with({gif_app(std::string_view("C2PA_GIF\x01\x00\x00", 11), fake_store(300))});
  cut.resize(13 + 6 + 100);
  EXPECT_EQ(error_kind_of(cut), ErrorKind::Malformed);
}

// ---- MP3 ----

namespace {

void syncsafe(Bytes& out, uint32_t v) {
  for (int s = 21; s >= 0; s -= 7) out.push_back(uint8_t((v >> s) & 0x7F));
}

Bytes id3_frame(std::string_view id, const Bytes& body) {
  Bytes out;
  append(out, id);
  syncsafe(out, uint32_t(body.size()));
  out.push_back(0);
  out.push_back(0);
  append(out, body);
  return out;
}

Bytes geob(std::string_view mime, const Bytes& data, uint8_t encoding = 3) {
  Bytes body{encoding};
  append(body, mime);
  body.push_back(0);
  bool wide = encoding == 1 || encoding == 2;
  append(body, wide ? std::string_view("c\0\0\0", 4) : std::string_view("c2pa\0", 5));
  append(body, wide ? std::string_view("d\0\0\0", 4) : std::string_view("desc\0", 5));
  append(body, data);
  return id3_frame("GEOB", body);
}

Bytes mp3_with(const std::vector<Bytes>& frames, size_t padding = 16) {
  Bytes body;
  for (const auto& f : frames) append(body, f);
  body.resize(body.size() + padding, 0);
  Bytes out;
  append(out, std::string_view("ID3\x04\x00\x00", 6));
  syncsafe(out, uint32_t(body.size()));
  append(out, body);
  append(out, Bytes{0xFF, 0xFB, 0x90, 0x64});  // an MPEG frame header
  out.resize(out.size() + 200, 0x55);
  return out;
}

}  // namespace

TEST(Mp3, FindsTheStoreInAGeobFrame) {
  Bytes store = fake_store(40);
  for (uint8_t encoding : {0, 1, 3}) {
    for (std::string_view mime : {"application/c2pa", "application/x-c2pa-manifest-store"}) {
      Bytes tit2 = id3_frame("TIT2", Bytes{3, 'x', 0});
      Bytes file = mp3_with({tit2, geob(mime, store, encoding)});
      auto src = make_span_source(file);
      EXPECT_EQ(detect(*src).format, Format::Mp3);
      auto carrier = find_c2pa(*src, Format::Mp3);
      EXPECT_EQ(carrier.store, store) << mime;
      ASSERT_EQ(carrier.carrier_ranges.size(), 1u);
      EXPECT_EQ(carrier.carrier_ranges[0].length, store.size());
      EXPECT_TRUE(std::equal(store.begin(), store.end(), file.begin() + long(carrier.carrier_ranges[0].offset)));
      expect_truncations_handled(file);
    }
  }
  EXPECT_TRUE(c2pa_supported(Format::Mp3));
}

TEST(Mp3, OtherGeobFramesXmpAndPlainMp3) {
  std::string xmp = "XMP";
  xmp.push_back('\0');
  xmp += "<x:xmpmeta><rdf:Description dcterms:provenance=\"https://example.com/s.c2pa\"/></x:xmpmeta>";
  Bytes file = mp3_with({geob("image/png", Bytes(20, 1)), id3_frame("PRIV", Bytes(xmp.begin(), xmp.end()))});
  auto carrier = carrier_of(file);
  EXPECT_TRUE(carrier.store.empty());
  ASSERT_TRUE(carrier.remote_url.has_value());
  EXPECT_EQ(*carrier.remote_url, "https://example.com/s.c2pa");
  Bytes bare{0xFF, 0xFB, 0x90, 0x64};
  bare.resize(300, 0);
  EXPECT_TRUE(carrier_of(bare).store.empty());
}

TEST(Mp3, BrokenTagsAreMalformed) {
  // Two stores.
  Bytes two = mp3_with({geob("application/c2pa", fake_store(1)), geob("application/c2pa", fake_store(2))});
  EXPECT_EQ(error_kind_of(two), ErrorKind::Malformed);
  // Tag size past the end of the file.
  Bytes big = mp3_with({});
  big[6] = 0x7F;
  EXPECT_EQ(error_kind_of(big), ErrorKind::Malformed);
  // A frame larger than the tag.
  Bytes frame = mp3_with({geob("application/c2pa", fake_store(2))}, 0);
  frame[10 + 4] = 0x7F;
  EXPECT_EQ(error_kind_of(frame), ErrorKind::Malformed);
  // Unknown ID3 version.
  Bytes v9 = mp3_with({});
  v9[3] = 9;
  EXPECT_EQ(error_kind_of(v9), ErrorKind::Malformed);
}
