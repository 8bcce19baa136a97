// Container formats against the shared corpus: detection, finding the manifest store, box maps,
// the BMFF box tree, and robustness on truncated files.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>

#include "formats/formats.hpp"
#include "jumbf/jumbf.hpp"
#include "support/test_support.hpp"

using namespace veritrace;
using namespace veritrace::formats;
namespace fs = std::filesystem;

namespace {

struct IndexRow {
  std::string file, mime, state;
};

std::vector<IndexRow> read_index(const fs::path& corpus) {
  std::ifstream in(corpus / "INDEX.tsv");
  std::vector<IndexRow> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    IndexRow row;
    std::getline(fields, row.file, '\t');
    std::getline(fields, row.mime, '\t');
    std::string source;
    std::getline(fields, source, '\t');
    std::getline(fields, row.state, '\t');
    rows.push_back(row);
  }
  return rows;
}

fs::path corpus_dir(const fs::path& shared) { return shared / "data" / "c2pa"; }

bool has_embedded_store(const IndexRow& row) {
  // NoManifest files carry nothing; the remote-only files carry only an XMP URL.
  if (row.state == "NoManifest") return false;
  return row.file.find("cloud.jpg") == std::string::npos && row.file.find("with_url") == std::string::npos &&
         row.file.find("save_credentials_to_cloud") == std::string::npos;
}

}  // namespace

TEST(FormatsCorpus, DetectsEveryFileByContent) {
  VT_REQUIRE_SHARED(shared);
  auto rows = read_index(corpus_dir(shared));
  ASSERT_GT(rows.size(), 80u);
  for (const auto& row : rows) {
    auto src = open_file_source((corpus_dir(shared) / row.file).string());
    auto detected = detect(*src);
    EXPECT_EQ(detected.mime, row.mime) << row.file;
  }
}

TEST(FormatsCorpus, FindsManifestStores) {
  VT_REQUIRE_SHARED(shared);
  for (const auto& row : read_index(corpus_dir(shared))) {
    auto src = open_file_source((corpus_dir(shared) / row.file).string());
    auto detected = detect(*src);
    if (!c2pa_supported(detected.format)) {
      EXPECT_THROW(find_c2pa(*src, detected.format), Error) << row.file;
      continue;
    }
    if (row.file.find("trunc-jumbf") != std::string::npos) {
      EXPECT_THROW(find_c2pa(*src, detected.format), Error) << row.file;
      continue;
    }
    C2paCarrier carrier;
    ASSERT_NO_THROW(carrier = find_c2pa(*src, detected.format)) << row.file;
    if (!has_embedded_store(row)) {
      EXPECT_TRUE(carrier.store.empty()) << row.file;
      continue;
    }
    ASSERT_GE(carrier.store.size(), 8u) << row.file;
    EXPECT_EQ(std::string(carrier.store.begin() + 4, carrier.store.begin() + 8), "jumb") << row.file;
    EXPECT_NO_THROW(jumbf::parse(carrier.store)) << row.file;
    ASSERT_FALSE(carrier.carrier_ranges.empty()) << row.file;
    for (const auto& range : carrier.carrier_ranges) EXPECT_LE(range.end(), src->size()) << row.file;
  }
}

TEST(FormatsCorpus, FindsRemoteManifestUrlsInXmp) {
  VT_REQUIRE_SHARED(shared);
  const std::map<std::string, std::string> expected = {
      {"fixtures/c2pa-rs/cloud.jpg", "https://cai-manifests.adobe.com/manifests/adobe-urn-uuid-5f"},
      {"fixtures/c2pa-rs/libpng-test_with_url.png", "http://localhost:5000/libpng-test.c2pa"},
      {"fixtures/c2pa-js/PirateShip_save_credentials_to_cloud.jpg",
       "https://cai-manifests.adobe.com/manifests/urn-c2pa-d41d1251-5724-47d0-b86c-00c43c656d92-adobe"},
  };
  for (const auto& [file, url_prefix] : expected) {
    auto src = open_file_source((corpus_dir(shared) / file).string());
    auto carrier = find_c2pa(*src, detect(*src).format);
    ASSERT_TRUE(carrier.remote_url.has_value()) << file;
    EXPECT_EQ(carrier.remote_url->substr(0, url_prefix.size()), url_prefix) << file;
  }
  auto plain = open_file_source((corpus_dir(shared) / "made/jpeg/es256.jpg").string());
  EXPECT_FALSE(find_c2pa(*plain, Format::Jpeg).remote_url.has_value());
}

// ---- Synthetic files: these run without ../shared. ----

namespace {

using Bytes = std::vector<uint8_t>;

void append(Bytes& out, std::string_view s) { out.insert(out.end(), s.begin(), s.end()); }
void append(Bytes& out, const Bytes& b) { out.insert(out.end(), b.begin(), b.end()); }
void be16(Bytes& out, uint32_t v) {
  out.push_back(uint8_t(v >> 8));
  out.push_back(uint8_t(v));
}
void be32(Bytes& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(uint8_t(v >> s));
}
void le32(Bytes& out, uint32_t v) {
  for (int s = 0; s < 32; s += 8) out.push_back(uint8_t(v >> s));
}

// A minimal C2PA manifest store: 'jumb' superbox with a 'jumd' of type c2pa, plus filler.
Bytes fake_store(size_t filler) {
  Bytes jumd;
  be32(jumd, 0);
  append(jumd, "jumd");
  append(jumd, "c2pa");
  append(jumd, Bytes{0x00, 0x11, 0x00, 0x10, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71});
  jumd.push_back(0x03);
  append(jumd, std::string_view("c2pa\0", 5));
  jumd[3] = uint8_t(jumd.size());
  Bytes payload;
  be32(payload, uint32_t(8 + filler));
  append(payload, "free");
  for (size_t i = 0; i < filler; ++i) payload.push_back(uint8_t(i * 7));
  Bytes store;
  be32(store, uint32_t(8 + jumd.size() + payload.size()));
  append(store, "jumb");
  append(store, jumd);
  append(store, payload);
  return store;
}

// The store split over APP11 segments of at most `chunk` JUMBF bytes each.
Bytes jpeg_with_store(const Bytes& store, size_t chunk, uint16_t en = 0x0211) {
  Bytes out{0xFF, 0xD8};
  append(out, Bytes{0xFF, 0xE0});
  be16(out, 16);
  append(out, std::string_view("JFIF\0\1\1\0\0\1\0\1\0\0", 14));
  uint32_t z = 1;
  for (size_t pos = 0; pos < store.size(); pos += chunk, ++z) {
    size_t n = std::min(chunk, store.size() - pos);
    Bytes seg{'J', 'P'};
    be16(seg, en);
    be32(seg, z);
    if (pos > 0) seg.insert(seg.end(), store.begin(), store.begin() + 8);  // repeated LBox/TBox
    seg.insert(seg.end(), store.begin() + long(pos), store.begin() + long(pos + n));
    append(out, Bytes{0xFF, 0xEB});
    be16(out, uint32_t(seg.size() + 2));
    append(out, seg);
  }
  append(out, Bytes{0xFF, 0xDB});  // DQT
  be16(out, 4);
  append(out, Bytes{0x00, 0x01});
  append(out, Bytes{0xFF, 0xDA});  // SOS
  be16(out, 4);
  append(out, Bytes{0x01, 0x00});
  append(out, Bytes{0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56});  // scan data with stuffing and RST3
  append(out, Bytes{0xFF, 0xD9});
  return out;
}

Bytes png_chunk(std::string_view type, const Bytes& data) {
  Bytes out;
  be32(out, uint32_t(data.size()));
  append(out, type);
  append(out, data);
  be32(out, 0);  // CRC is not checked
  return out;
}

Bytes png_with_store(const Bytes& store) {
  Bytes out;
  append(out, "\x89PNG\r\n\x1a\n");
  append(out, png_chunk("IHDR", Bytes(13, 1)));
  append(out, png_chunk("caBX", store));
  append(out, png_chunk("IDAT", Bytes(20, 2)));
  append(out, png_chunk("IEND", {}));
  return out;
}

Bytes bmff_box(std::string_view type, const Bytes& body) {
  Bytes out;
  be32(out, uint32_t(8 + body.size()));
  append(out, type);
  append(out, body);
  return out;
}

const Bytes kC2paUuid = {0xd8, 0xfe, 0xc3, 0xd6, 0x1b, 0x0e, 0x48, 0x3c, 0x92, 0x97, 0x58, 0x28, 0x87, 0x7e, 0xc4, 0x81};

Bytes mp4_with_store(const Bytes& store, bool moov_after_mdat) {
  Bytes ftyp;
  append(ftyp, "isom");
  be32(ftyp, 0);
  append(ftyp, "isommp41");
  Bytes uuid_body = kC2paUuid;
  be32(uuid_body, 0);  // version, flags
  append(uuid_body, std::string_view("manifest\0", 9));
  append(uuid_body, Bytes(8, 0));  // offset of the first merkle box
  append(uuid_body, store);
  Bytes mvhd_body(4 + 96, 0);
  Bytes moov = bmff_box("moov", bmff_box("mvhd", mvhd_body));
  Bytes mdat = bmff_box("mdat", Bytes(64, 9));
  Bytes out = bmff_box("ftyp", ftyp);
  if (moov_after_mdat) {
    append(out, mdat);
    append(out, bmff_box("uuid", uuid_body));
    append(out, moov);
  } else {
    append(out, bmff_box("uuid", uuid_body));
    append(out, moov);
    append(out, mdat);
  }
  return out;
}

Bytes wav_with_store(const Bytes& store) {
  Bytes chunks;
  append(chunks, "fmt ");
  le32(chunks, 16);
  append(chunks, Bytes(16, 1));
  append(chunks, "data");
  le32(chunks, 11);
  append(chunks, Bytes(12, 3));  // 11 bytes + pad byte
  append(chunks, "C2PA");
  le32(chunks, uint32_t(store.size()));
  append(chunks, store);
  if (store.size() % 2) chunks.push_back(0);
  Bytes out;
  append(out, "RIFF");
  le32(out, uint32_t(4 + chunks.size()));
  append(out, "WAVE");
  append(out, chunks);
  return out;
}

C2paCarrier carrier_of(const Bytes& file) {
  auto src = make_span_source(file);
  return find_c2pa(*src, detect(*src).format);
}

// Every prefix of `file` either parses or throws veritrace::Error; nothing else happens.
void expect_truncations_handled(const Bytes& file, size_t stop_before) {
  for (size_t len = 0; len < stop_before && len < file.size(); ++len) {
    auto src = make_span_source(std::span(file.data(), len));
    try {
      auto d = detect(*src);
      if (c2pa_supported(d.format)) (void)find_c2pa(*src, d.format);
      if (d.format == Format::Jpeg || d.format == Format::Png) (void)box_map(*src, d.format);
      if (d.format == Format::Bmff) (void)bmff_boxes(*src);
    } catch (const Error&) {
    }
  }
}

}  // namespace

TEST(FormatsSynthetic, DetectsByMagicBytes) {
  auto mime = [](const Bytes& head) { return detect(*make_span_source(head)).mime; };
  Bytes jp{0xFF, 0xD8, 0xFF, 0xE0};
  EXPECT_EQ(mime(jp), "image/jpeg");
  Bytes riff_webp;
  append(riff_webp, std::string_view("RIFF\0\0\0\0WEBPVP8 ", 16));
  EXPECT_EQ(detect(*make_span_source(riff_webp)).format, Format::WebP);
  Bytes gif, pdf, svg, svg2, flac, id3, otf, jumbf, tiff, empty;
  append(gif, "GIF89a....");
  append(pdf, "%PDF-1.7\n");
  append(svg, "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
  append(svg2, "  <svg width=\"1\"/>");
  append(flac, "fLaC\0\0\0\x22");
  append(id3, "ID3\4\0\0\0\0\0\0");
  append(otf, "OTTO\0\x0a");
  append(tiff, std::string_view("II*\0\x08\0\0\0", 8));
  be32(jumbf, 100);
  append(jumbf, "jumb");
  EXPECT_EQ(detect(*make_span_source(gif)).format, Format::Gif);
  EXPECT_EQ(detect(*make_span_source(pdf)).format, Format::Pdf);
  EXPECT_EQ(detect(*make_span_source(svg)).format, Format::Svg);
  EXPECT_EQ(detect(*make_span_source(svg2)).format, Format::Svg);
  EXPECT_EQ(detect(*make_span_source(flac)).format, Format::Flac);
  EXPECT_EQ(detect(*make_span_source(id3)).format, Format::Mp3);
  EXPECT_EQ(detect(*make_span_source(otf)).format, Format::Font);
  EXPECT_EQ(detect(*make_span_source(tiff)).format, Format::Tiff);
  EXPECT_EQ(mime(jumbf), "application/c2pa");
  EXPECT_EQ(detect(*make_span_source(empty)).format, Format::Unknown);
  EXPECT_EQ(mime(mp4_with_store(fake_store(4), false)), "video/mp4");
  Bytes qt = bmff_box("ftyp", Bytes{'q', 't', ' ', ' ', 0, 0, 0, 0});
  EXPECT_EQ(mime(qt), "video/quicktime");
  Bytes m4a = bmff_box("ftyp", Bytes{'M', '4', 'A', ' ', 0, 0, 0, 0});
  EXPECT_EQ(mime(m4a), "audio/mp4");
  EXPECT_EQ(detect(*make_span_source(wav_with_store(fake_store(3)))).mime, "audio/wav");
  // The extension plays no part: a PNG named .jpg is a PNG.
  EXPECT_EQ(mime(png_with_store(fake_store(1))), "image/png");
  auto font = make_span_source(otf);
  EXPECT_FALSE(c2pa_supported(detect(*font).format));
  try {
    find_c2pa(*font, detect(*font).format);
    FAIL() << "fonts must be unsupported";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  }
}

TEST(FormatsSynthetic, ReassemblesJpegStoreAcrossApp11Segments) {
  Bytes store = fake_store(1000);
  Bytes file = jpeg_with_store(store, 300);
  auto carrier = carrier_of(file);
  EXPECT_EQ(carrier.store, store);
  ASSERT_EQ(carrier.carrier_ranges.size(), 4u);  // 1040 bytes in 300-byte pieces
  EXPECT_EQ(carrier.carrier_ranges[0].offset, 20u);
  EXPECT_NO_THROW(jumbf::parse(carrier.store));

  auto map = box_map(*make_span_source(file), Format::Jpeg);
  std::vector<std::string> names;
  for (const auto& piece : map) names.push_back(piece.name);
  EXPECT_EQ(names, (std::vector<std::string>{"SOI", "APP0", "C2PA", "DQT", "SOS", "EOI"}));
  // Pieces are contiguous and cover the file; the C2PA piece spans all APP11 segments; the scan
  // piece runs past stuffed bytes and restart markers up to EOI.
  uint64_t pos = 0;
  for (const auto& piece : map) {
    EXPECT_EQ(piece.range.offset, pos) << piece.name;
    pos = piece.range.end();
  }
  EXPECT_EQ(pos, file.size());
  EXPECT_EQ(map[2].range.length, carrier.carrier_ranges.back().end() - carrier.carrier_ranges.front().offset);
}

TEST(FormatsSynthetic, JpegTakesTheC2paStoreAmongOtherJumbf) {
  Bytes other = fake_store(50);
  std::copy_n("xxxx", 4, other.begin() + 16);  // jumd type is not c2pa
  Bytes store = fake_store(80);
  Bytes a = jpeg_with_store(other, 1000, 7);
  Bytes b = jpeg_with_store(store, 1000, 9);
  // Splice b's APP11 segment after a's.
  Bytes file(a.begin(), a.begin() + 20 + 4 + 8 + long(other.size()));
  file.insert(file.end(), b.begin() + 20, b.end());
  EXPECT_EQ(carrier_of(file).store, store);
}

TEST(FormatsSynthetic, JpegStoreCutShortIsMalformed) {
  Bytes file = jpeg_with_store(fake_store(500), 200);
  Bytes truncated(file.begin(), file.begin() + 300);
  EXPECT_THROW(carrier_of(truncated), Error);
  expect_truncations_handled(file, file.size());
}

TEST(FormatsSynthetic, FindsPngStoreAndBoxMap) {
  Bytes store = fake_store(33);
  Bytes file = png_with_store(store);
  auto carrier = carrier_of(file);
  EXPECT_EQ(carrier.store, store);
  ASSERT_EQ(carrier.carrier_ranges.size(), 1u);
  EXPECT_EQ(carrier.carrier_ranges[0].offset, 8u + 25u);
  EXPECT_EQ(carrier.carrier_ranges[0].length, store.size() + 12);
  auto map = box_map(*make_span_source(file), Format::Png);
  std::vector<std::string> names;
  for (const auto& piece : map) names.push_back(piece.name);
  EXPECT_EQ(names, (std::vector<std::string>{"PNGh", "IHDR", "C2PA", "IDAT", "IEND"}));
  expect_truncations_handled(file, file.size());
}

TEST(FormatsSynthetic, FindsPngXmpProvenance) {
  Bytes itxt;
  append(itxt, std::string_view("XML:com.adobe.xmp\0\0\0\0\0", 22));
  append(itxt, "<x:xmpmeta><rdf:Description dcterms:provenance=\"https://example.com/m.c2pa?a=1&amp;b=2\"/>");
  Bytes file;
  append(file, "\x89PNG\r\n\x1a\n");
  append(file, png_chunk("IHDR", Bytes(13, 1)));
  append(file, png_chunk("iTXt", itxt));
  append(file, png_chunk("IEND", {}));
  auto carrier = carrier_of(file);
  EXPECT_TRUE(carrier.store.empty());
  EXPECT_EQ(carrier.remote_url, "https://example.com/m.c2pa?a=1&b=2");
}

TEST(FormatsSynthetic, FindsBmffStoreWhereverTheUuidBoxIs) {
  Bytes store = fake_store(21);
  for (bool moov_after : {false, true}) {
    Bytes file = mp4_with_store(store, moov_after);
    auto carrier = carrier_of(file);
    EXPECT_EQ(carrier.store, store);
    ASSERT_EQ(carrier.carrier_ranges.size(), 1u);
    auto boxes = bmff_boxes(*make_span_source(file));
    ASSERT_EQ(boxes.size(), 4u);
    const auto& moov = moov_after ? boxes[3] : boxes[2];
    ASSERT_EQ(moov.children.size(), 1u);
    EXPECT_EQ(moov.children[0].offset, moov.offset + 8);
    EXPECT_EQ(moov.children[0].version, 0);
    expect_truncations_handled(file, file.size());
  }
}

TEST(FormatsSynthetic, BmffLargeSizeAndSizeZero) {
  Bytes file = bmff_box("ftyp", Bytes{'i', 's', 'o', 'm', 0, 0, 0, 0});
  // 'free' with a 64-bit size, then 'mdat' with size 0 (to the end of the file).
  be32(file, 1);
  append(file, "free");
  be32(file, 0);
  be32(file, 24);
  append(file, Bytes(8, 0));
  be32(file, 0);
  append(file, "mdat");
  append(file, Bytes(100, 5));
  auto boxes = bmff_boxes(*make_span_source(file));
  ASSERT_EQ(boxes.size(), 3u);
  EXPECT_EQ(boxes[1].header_size, 16u);
  EXPECT_EQ(boxes[1].size, 24u);
  EXPECT_EQ(boxes[2].size, 108u);
  EXPECT_EQ(boxes[2].end(), file.size());
  // A box that claims to be smaller than its header is broken, not an endless loop.
  Bytes bad = bmff_box("ftyp", Bytes{'i', 's', 'o', 'm', 0, 0, 0, 0});
  be32(bad, 4);
  append(bad, "free");
  EXPECT_THROW(bmff_boxes(*make_span_source(bad)), Error);
}

TEST(FormatsSynthetic, BmffRefusesDeepNesting) {
  Bytes inner = bmff_box("free", {});
  for (int i = 0; i < 40; ++i) inner = bmff_box("moov", inner);
  Bytes file = bmff_box("ftyp", Bytes{'i', 's', 'o', 'm', 0, 0, 0, 0});
  append(file, inner);
  EXPECT_THROW(bmff_boxes(*make_span_source(file)), Error);
}

TEST(FormatsSynthetic, FindsWavStore) {
  Bytes store = fake_store(5);  // odd size: the chunk is padded
  Bytes file = wav_with_store(store);
  auto carrier = carrier_of(file);
  EXPECT_EQ(carrier.store, store);
  ASSERT_EQ(carrier.carrier_ranges.size(), 1u);
  EXPECT_EQ(carrier.carrier_ranges[0].end(), file.size());
  expect_truncations_handled(file, file.size());
}

TEST(FormatsSynthetic, SidecarIsTheWholeStore) {
  Bytes store = fake_store(10);
  auto carrier = carrier_of(store);
  EXPECT_EQ(carrier.store, store);
  EXPECT_EQ(carrier.carrier_ranges[0].length, store.size());
}

TEST(FormatsCorpus, TruncatedFilesNeverCrash) {
  VT_REQUIRE_SHARED(shared);
  for (const char* file : {"made/jpeg/es256.jpg", "made/png/es256.png", "made/mp4/es256.mp4", "made/wav/es256.wav",
                           "fixtures/c2pa-rs/video1.mp4", "fixtures/c2pa-rs/sample1.heif"}) {
    Bytes bytes = vt_test::read_file(corpus_dir(shared) / file);
    auto src = make_span_source(bytes);
    auto carrier = find_c2pa(*src, detect(*src).format);
    if (!carrier.carrier_ranges.empty()) {
      // Every cut inside the store's segments/chunks/box must be reported as an error.
      uint64_t first = carrier.carrier_ranges.front().offset + 8;  // shorter: trailing bytes
      uint64_t last = carrier.carrier_ranges.back().end();
      for (uint64_t len = first; len < last; len += 97) {
        auto cut = make_span_source(std::span(bytes.data(), len));
        EXPECT_THROW(find_c2pa(*cut, detect(*cut).format), Error) << file << " cut at " << len;
      }
    }
    expect_truncations_handled(bytes, std::min<size_t>(bytes.size(), 3000));
  }
}

TEST(FormatsCorpus, RiffBombIsQuick) {
  VT_REQUIRE_SHARED(shared);
  auto src = open_file_source((corpus_dir(shared) / "fixtures/c2pa-rs/riff_bomb_1000.wav").string());
  auto start = std::chrono::steady_clock::now();
  auto detected = detect(*src);
  EXPECT_EQ(detected.format, Format::Wav);
  try {
    EXPECT_TRUE(find_c2pa(*src, detected.format).store.empty());
  } catch (const Error&) {
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(FormatsCorpus, JpegBoxMapMatchesFileLayout) {
  VT_REQUIRE_SHARED(shared);
  auto src = open_file_source((corpus_dir(shared) / "made/jpeg/es256.jpg").string());
  auto map = box_map(*src, Format::Jpeg);
  ASSERT_GE(map.size(), 5u);
  EXPECT_EQ(map.front().name, "SOI");
  EXPECT_EQ(map.back().name, "EOI");
  EXPECT_EQ(map.back().range.end(), src->size());
  auto carrier = find_c2pa(*src, Format::Jpeg);
  int c2pa_pieces = 0;
  for (const auto& piece : map) {
    if (piece.name != "C2PA") continue;
    ++c2pa_pieces;
    EXPECT_EQ(piece.range.offset, carrier.carrier_ranges.front().offset);
    EXPECT_EQ(piece.range.end(), carrier.carrier_ranges.back().end());
  }
  EXPECT_EQ(c2pa_pieces, 1);
}
