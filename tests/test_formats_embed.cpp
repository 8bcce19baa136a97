// Embedding a manifest store into containers (formats/embed.hpp): placement, carriers, byte-exact
// preservation of everything else, moved BMFF offsets, replacement of old stores, bad inputs.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "formats/embed.hpp"
#include "jumbf/jumbf.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using namespace veritrace;
using namespace veritrace::formats;
using Bytes = std::vector<uint8_t>;

namespace {

// ---- byte helpers ------------------------------------------------------------------------------

void be32(Bytes& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
}
void be16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void be64(Bytes& b, uint64_t v) {
  be32(b, static_cast<uint32_t>(v >> 32));
  be32(b, static_cast<uint32_t>(v));
}
void le32(Bytes& b, uint32_t v) {
  for (int s = 0; s <= 24; s += 8) b.push_back(static_cast<uint8_t>(v >> s));
}
void text(Bytes& b, const std::string& s) { b.insert(b.end(), s.begin(), s.end()); }
void append(Bytes& b, const Bytes& more) { b.insert(b.end(), more.begin(), more.end()); }
uint32_t get_be32(const Bytes& b, uint64_t at) {
  return (uint32_t(b[at]) << 24) | (uint32_t(b[at + 1]) << 16) | (uint32_t(b[at + 2]) << 8) | b[at + 3];
}
uint64_t get_be64(const Bytes& b, uint64_t at) { return (uint64_t(get_be32(b, at)) << 32) | get_be32(b, at + 4); }
uint32_t get_le32(const Bytes& b, uint64_t at) {
  return (uint32_t(b[at + 3]) << 24) | (uint32_t(b[at + 2]) << 16) | (uint32_t(b[at + 1]) << 8) | b[at];
}

// Bitwise CRC-32, independent of the library's table version.
uint32_t crc32_bitwise(const uint8_t* p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
  }
  return ~c;
}

Bytes box(const std::string& type, const Bytes& payload) {
  Bytes b;
  be32(b, static_cast<uint32_t>(8 + payload.size()));
  text(b, type);
  append(b, payload);
  return b;
}

// A valid JUMBF manifest store of exactly `size` bytes: 'jumb' { 'jumd' (type c2pa, label
// "c2pa"), 'bidb' filler }. `seed` makes stores of the same size differ.
Bytes fake_store(size_t size, uint8_t seed = 1) {
  Bytes jumd_payload = {'c', '2', 'p', 'a', 0x00, 0x11, 0x00, 0x10, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71, 0x03};
  text(jumd_payload, std::string("c2pa", 5));
  Bytes jumd = box("jumd", jumd_payload);
  size_t filler = size - 8 - jumd.size() - 8;
  Bytes data(filler);
  for (size_t i = 0; i < filler; ++i) data[i] = static_cast<uint8_t>(i * 31 + seed);
  Bytes content = jumd;
  append(content, box("bidb", data));
  Bytes store = box("jumb", content);
  EXPECT_EQ(store.size(), size);
  return store;
}

// The file without the given ranges.
Bytes strip(const Bytes& file, std::vector<ByteRange> ranges) {
  std::sort(ranges.begin(), ranges.end(), [](auto& a, auto& b) { return a.offset < b.offset; });
  Bytes out;
  uint64_t pos = 0;
  for (const auto& r : ranges) {
    EXPECT_GE(r.offset, pos);
    out.insert(out.end(), file.begin() + static_cast<long>(pos), file.begin() + static_cast<long>(r.offset));
    pos = r.end();
  }
  out.insert(out.end(), file.begin() + static_cast<long>(std::min<uint64_t>(pos, file.size())), file.end());
  return out;
}

bool same_ranges(const std::vector<ByteRange>& a, const std::vector<ByteRange>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].offset != b[i].offset || a[i].length != b[i].length) return false;
  }
  return true;
}

// ---- embedding and the checks every format shares ------------------------------------------------

struct Embedded {
  Bytes bytes;
  EmbedLayout layout;
};

Embedded embed(const Bytes& input, Format format, const Bytes& store) {
  auto src = make_memory_source(input, "input");
  Embedded out;
  out.layout = plan_embedding(*src, format, store.size());
  vt_test::TempDir dir;
  fs::path path = dir.path() / "out";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  EXPECT_GE(fd, 0);
  write_layout(*src, out.layout, store, fd);
  ::close(fd);
  out.bytes = vt_test::read_file(path);
  EXPECT_EQ(out.bytes.size(), out.layout.output_size());

  // The source view hashes exactly what gets written; with no store the slot reads as zeros.
  auto view = layout_source(*src, out.layout, store);
  EXPECT_EQ(view->read_vector(0, view->size()), out.bytes);
  auto blank = layout_source(*src, out.layout, {});
  Bytes blank_bytes = blank->read_vector(0, blank->size());
  EXPECT_EQ(blank_bytes.size(), out.bytes.size());
  EXPECT_TRUE(std::all_of(blank_bytes.begin() + static_cast<long>(out.layout.store_offset),
                          blank_bytes.begin() + static_cast<long>(out.layout.store_offset + std::min<uint64_t>(8, store.size())),
                          [](uint8_t b) { return b == 0; }));
  return out;
}

// Embeds and checks: the reader finds exactly the store in exactly the planned carrier, and
// nothing else changed (except bytes the caller names, e.g. the RIFF size).
Embedded embed_and_check(const Bytes& input, Format format, const Bytes& store, const std::set<uint64_t>& changed = {}) {
  Embedded out = embed(input, format, store);
  auto out_src = make_memory_source(out.bytes, "output");
  C2paCarrier found = find_c2pa(*out_src, format);
  EXPECT_EQ(found.store, store);
  EXPECT_TRUE(same_ranges(found.carrier_ranges, out.layout.carrier));
  EXPECT_EQ(Bytes(out.bytes.begin() + static_cast<long>(out.layout.store_offset),
                  out.bytes.begin() + static_cast<long>(out.layout.store_offset + 8)),
            Bytes(store.begin(), store.begin() + 8));

  auto in_src = make_memory_source(input, "input");
  C2paCarrier old = find_c2pa(*in_src, format);
  Bytes before = strip(input, old.carrier_ranges);
  Bytes after = strip(out.bytes, out.layout.carrier);
  for (uint64_t at : changed) {
    if (at < before.size()) before[at] = 0;
    if (at < after.size()) after[at] = 0;
  }
  if (format != Format::Bmff) {
    EXPECT_EQ(before, after);
  }

  // The data hash exclusion is one range covering the carrier (RIFF: without the pad byte).
  auto exclusions = data_hash_exclusions(out.layout);
  EXPECT_EQ(exclusions.size(), 1u);
  EXPECT_EQ(exclusions[0].offset, out.layout.carrier.front().offset);
  return out;
}

// ---- synthetic inputs --------------------------------------------------------------------------

Bytes segment(uint8_t marker, const Bytes& payload) {
  Bytes s{0xFF, marker};
  be16(s, static_cast<uint16_t>(payload.size() + 2));
  append(s, payload);
  return s;
}

Bytes make_jpeg(bool app0, bool exif) {
  Bytes j{0xFF, 0xD8};
  if (app0) append(j, segment(0xE0, {'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0}));
  if (exif) {
    Bytes e;
    text(e, std::string("Exif\0\0MM", 8));
    e.resize(40, 0x2A);
    append(j, segment(0xE1, e));
  }
  append(j, segment(0xDB, Bytes(65, 7)));
  append(j, segment(0xC0, {8, 0, 16, 0, 16, 1, 1, 0x11, 0}));
  append(j, segment(0xDA, {1, 1, 0, 0, 63, 0}));
  for (int i = 0; i < 300; ++i) j.push_back(static_cast<uint8_t>(i % 251));  // no 0xFF: no stuffing
  append(j, {0xFF, 0xD9});
  return j;
}

Bytes png_chunk(const std::string& type, const Bytes& data) {
  Bytes c;
  be32(c, static_cast<uint32_t>(data.size()));
  text(c, type);
  append(c, data);
  be32(c, crc32_bitwise(c.data() + 4, data.size() + 4));
  return c;
}

Bytes make_png() {
  Bytes p{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  append(p, png_chunk("IHDR", {0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0}));
  append(p, png_chunk("tEXt", {'a', 0, 'b'}));
  append(p, png_chunk("IDAT", {0x78, 0x9C, 0x63, 0x60, 0, 0, 0, 2, 0, 1}));
  append(p, png_chunk("IEND", {}));
  return p;
}

Bytes riff_chunk(const std::string& id, const Bytes& data, bool pad = true) {
  Bytes c;
  text(c, id);
  le32(c, static_cast<uint32_t>(data.size()));
  append(c, data);
  if (pad && data.size() % 2) c.push_back(0);
  return c;
}

Bytes make_riff(const std::string& form, const std::vector<Bytes>& chunks) {
  Bytes body;
  text(body, form);
  for (const auto& c : chunks) append(body, c);
  Bytes r;
  text(r, "RIFF");
  le32(r, static_cast<uint32_t>(body.size()));
  append(r, body);
  return r;
}

Bytes make_wav(size_t data_size = 101, bool pad_last = true) {
  Bytes fmt{1, 0, 1, 0, 0x40, 0x1F, 0, 0, 0x40, 0x1F, 0, 0, 1, 0, 8, 0};
  Bytes data(data_size);
  for (size_t i = 0; i < data_size; ++i) data[i] = static_cast<uint8_t>(i * 7);
  return make_riff("WAVE", {riff_chunk("fmt ", fmt), riff_chunk("LIST", {'I', 'N', 'F', 'O'}),
                            riff_chunk("data", data, pad_last)});
}

Bytes full_box(const std::string& type, uint8_t version, uint32_t flags, const Bytes& payload) {
  Bytes p{version, static_cast<uint8_t>(flags >> 16), static_cast<uint8_t>(flags >> 8), static_cast<uint8_t>(flags)};
  append(p, payload);
  return box(type, p);
}

Bytes sample_data(size_t n, uint8_t seed) {
  Bytes d(n);
  for (size_t i = 0; i < n; ++i) d[i] = static_cast<uint8_t>((i * 13 + seed * 101) ^ (i >> 3));
  return d;
}

// ftyp, [moov], free, mdat with 3 chunks, [moov]; stco (or co64) points at the chunks.
Bytes make_mp4(bool moov_first, bool co64) {
  Bytes ftyp = box("ftyp", {'i', 's', 'o', 'm', 0, 0, 2, 0, 'i', 's', 'o', 'm', 'm', 'p', '4', '1'});
  Bytes free_box = box("free", Bytes(8, 0));
  Bytes chunks[3] = {sample_data(100, 1), sample_data(57, 2), sample_data(210, 3)};
  Bytes mdat_payload;
  for (const auto& c : chunks) append(mdat_payload, c);
  Bytes mdat = box("mdat", mdat_payload);
  auto make_moov = [&](uint64_t mdat_offset) {
    Bytes table;
    be32(table, 3);
    uint64_t pos = mdat_offset + 8;
    for (const auto& c : chunks) {
      if (co64) be64(table, pos);
      else be32(table, static_cast<uint32_t>(pos));
      pos += c.size();
    }
    Bytes stbl = box("stbl", full_box(co64 ? "co64" : "stco", 0, 0, table));
    return box("moov", box("trak", box("mdia", box("minf", stbl))));
  };
  Bytes file = ftyp;
  if (moov_first) {
    size_t moov_size = make_moov(0).size();
    append(file, make_moov(ftyp.size() + moov_size + free_box.size()));
    append(file, free_box);
    append(file, mdat);
  } else {
    append(file, free_box);
    uint64_t mdat_offset = file.size();
    append(file, mdat);
    append(file, make_moov(mdat_offset));
  }
  return file;
}

// HEIF-like: ftyp, meta { hdlr, iloc v1 (one item by extent file offsets, one by base offset,
// one in idat) }, mdat.
Bytes make_heif() {
  Bytes ftyp = box("ftyp", {'h', 'e', 'i', 'c', 0, 0, 0, 0, 'm', 'i', 'f', '1', 'h', 'e', 'i', 'c'});
  Bytes item_a = sample_data(80, 4), item_b = sample_data(40, 5);
  auto make_meta = [&](uint32_t mdat_data) {
    Bytes iloc;
    iloc.push_back(0x44);  // offset_size 4, length_size 4
    iloc.push_back(0x40);  // base_offset_size 4, index_size 0
    be16(iloc, 3);
    // item 1: base 0, two extents by file offset
    be16(iloc, 1); be16(iloc, 0); be16(iloc, 0); be32(iloc, 0); be16(iloc, 2);
    be32(iloc, mdat_data); be32(iloc, 30);
    be32(iloc, mdat_data + 30); be32(iloc, 50);
    // item 2: base offset, extent relative to it
    be16(iloc, 2); be16(iloc, 0); be16(iloc, 0); be32(iloc, mdat_data + 80); be16(iloc, 1);
    be32(iloc, 0); be32(iloc, 40);
    // item 3: construction method 1 (idat): not a file offset
    be16(iloc, 3); be16(iloc, 1); be16(iloc, 0); be32(iloc, 0); be16(iloc, 1);
    be32(iloc, 2); be32(iloc, 4);
    Bytes hdlr = full_box("hdlr", 0, 0, {0, 0, 0, 0, 'p', 'i', 'c', 't', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
    Bytes payload = hdlr;
    append(payload, full_box("iloc", 1, 0, iloc));
    append(payload, box("idat", {9, 9, 9, 9, 9, 9, 9, 9}));
    return full_box("meta", 0, 0, payload);
  };
  Bytes mdat_payload = item_a;
  append(mdat_payload, item_b);
  size_t meta_size = make_meta(0).size();
  Bytes file = ftyp;
  append(file, make_meta(static_cast<uint32_t>(ftyp.size() + meta_size + 8)));
  append(file, box("mdat", mdat_payload));
  return file;
}

// Fragmented: ftyp, moov { mvex }, moof { mfhd, traf { tfhd (base offset), trun } }, mdat,
// mfra { tfra v1 }.
Bytes make_fragmented() {
  Bytes ftyp = box("ftyp", {'i', 's', 'o', '6', 0, 0, 0, 0, 'i', 's', 'o', '6'});
  Bytes moov = box("moov", box("mvex", full_box("trex", 0, 0, Bytes(20, 0))));
  Bytes samples = sample_data(120, 6);
  auto make_moof = [&](uint64_t base) {
    Bytes tfhd_payload;
    be32(tfhd_payload, 1);
    be64(tfhd_payload, base);
    Bytes traf = full_box("tfhd", 0, 1, tfhd_payload);
    Bytes trun;
    be32(trun, 1);
    be32(trun, 120);
    append(traf, full_box("trun", 0, 0x200, trun));
    Bytes payload = full_box("mfhd", 0, 0, {0, 0, 0, 1});
    append(payload, box("traf", traf));
    return box("moof", payload);
  };
  uint64_t moof_offset = ftyp.size() + moov.size();
  size_t moof_size = make_moof(0).size();
  Bytes file = ftyp;
  append(file, moov);
  append(file, make_moof(moof_offset + moof_size + 8));
  append(file, box("mdat", samples));
  Bytes tfra;
  be32(tfra, 1);  // track
  be32(tfra, 0);  // sizes: 1 byte each
  be32(tfra, 1);  // entries
  be64(tfra, 0);  // time
  be64(tfra, moof_offset);
  tfra.insert(tfra.end(), {1, 1, 1});
  append(file, box("mfra", full_box("tfra", 1, 0, tfra)));
  return file;
}

// ---- BMFF offset checks ------------------------------------------------------------------------

struct OffsetField {
  std::string kind;
  uint64_t value = 0;
};

void collect_offsets(const Bytes& file, const std::vector<BmffBox>& boxes, std::vector<OffsetField>& out) {
  for (const auto& b : boxes) {
    uint64_t body = b.offset + b.header_size + 4;
    std::string type = std::string(reinterpret_cast<const char*>(file.data() + b.offset + 4), 4);
    if (type == "stco" || type == "co64") {
      uint32_t count = get_be32(file, body);
      for (uint32_t i = 0; i < count; ++i) {
        out.push_back({"chunk", type == "stco" ? get_be32(file, body + 4 + 4 * i) : get_be64(file, body + 4 + 8 * i)});
      }
    } else if (type == "tfhd" && b.flags && (*b.flags & 1)) {
      out.push_back({"data", get_be64(file, body + 4)});
    } else if (type == "tfra") {
      out.push_back({"moof", get_be64(file, body + 12 + 8)});
    } else if (type == "iloc") {  // the layout make_heif writes
      uint64_t p = body + 4;
      for (int item = 0; item < 3; ++item) {
        uint16_t method = static_cast<uint16_t>(get_be32(file, p) & 0xF);
        uint32_t base = get_be32(file, p + 6);
        uint16_t extents = static_cast<uint16_t>(get_be32(file, p + 10) >> 16);
        p += 12;
        for (int e = 0; e < extents; ++e, p += 8) {
          if (method == 0) out.push_back({"data", uint64_t{base} + get_be32(file, p)});
        }
      }
    }
    collect_offsets(file, b.children, out);
  }
}

std::vector<OffsetField> offsets_of(const Bytes& file) {
  auto src = make_memory_source(file, "bmff");
  std::vector<OffsetField> out;
  collect_offsets(file, bmff_boxes(*src), out);
  return out;
}

// Every absolute media offset in the output points at the same bytes as in the input (compared
// up to 64 bytes, within the box that holds them).
void expect_same_targets(const Bytes& input, const Bytes& output) {
  auto before = offsets_of(input), after = offsets_of(output);
  ASSERT_EQ(before.size(), after.size());
  ASSERT_FALSE(before.empty());
  auto in_src = make_memory_source(input, "input");
  auto top = bmff_boxes(*in_src);
  for (size_t i = 0; i < before.size(); ++i) {
    if (before[i].kind == "moof") continue;  // the moof itself changes (tfhd); checked elsewhere
    ASSERT_LT(before[i].value, input.size());
    ASSERT_LT(after[i].value, output.size());
    uint64_t box_end = input.size();
    for (const auto& b : top) {
      if (b.offset <= before[i].value && before[i].value < b.end()) box_end = b.end();
    }
    size_t n = std::min<uint64_t>(64, std::min(box_end - before[i].value, output.size() - after[i].value));
    EXPECT_TRUE(std::equal(input.begin() + static_cast<long>(before[i].value),
                           input.begin() + static_cast<long>(before[i].value + n),
                           output.begin() + static_cast<long>(after[i].value)))
        << before[i].kind << " offset " << before[i].value << " -> " << after[i].value;
  }
}

int count_c2pa_boxes(const Bytes& file) {
  auto src = make_memory_source(file, "bmff");
  int n = 0;
  for (const auto& b : bmff_boxes(*src)) n += b.user_type && (*b.user_type)[0] == 0xd8 && (*b.user_type)[1] == 0xfe;
  return n;
}

bool have_ffmpeg() { return vt_test::run("command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null").exit_code == 0; }

// ffprobe reads the container and ffmpeg decodes every frame, both without a single error.
void expect_decodes(const fs::path& file) {
  auto probe = vt_test::run("ffprobe -v error -show_streams " + vt_test::shell_quote(file.string()) + " >/dev/null");
  EXPECT_EQ(probe.exit_code, 0);
  EXPECT_TRUE(probe.err.empty()) << probe.err.substr(0, 400);
  auto decode = vt_test::run("ffmpeg -nostdin -v error -i " + vt_test::shell_quote(file.string()) + " -f null -");
  EXPECT_EQ(decode.exit_code, 0);
  EXPECT_TRUE(decode.err.empty()) << decode.err.substr(0, 400);
}

// Embeds twice (the second store replaces the first) and checks both outputs.
void embed_bmff_twice(const Bytes& input, const fs::path* decode_dir) {
  Bytes store_a = fake_store(5000, 1), store_b = fake_store(300, 2);
  Embedded first = embed_and_check(input, Format::Bmff, store_a);
  expect_same_targets(input, first.bytes);
  EXPECT_EQ(count_c2pa_boxes(first.bytes), 1);
  Embedded second = embed_and_check(first.bytes, Format::Bmff, store_b);
  expect_same_targets(input, second.bytes);
  EXPECT_EQ(count_c2pa_boxes(second.bytes), 1);
  EXPECT_EQ(second.bytes.size(), input.size() + second.layout.carrier[0].length);
  EXPECT_EQ(strip(second.bytes, second.layout.carrier).size(), input.size());
  if (decode_dir) {
    vt_test::write_file(*decode_dir / "first.mp4", first.bytes);
    vt_test::write_file(*decode_dir / "second.mp4", second.bytes);
    expect_decodes(*decode_dir / "first.mp4");
    expect_decodes(*decode_dir / "second.mp4");
  }
}

// Cut and damaged copies of `input` either plan and read fine or throw veritrace::Error.
void expect_no_crash_on_damage(const Bytes& input, Format format) {
  auto attempt = [&](const Bytes& bad) {
    try {
      auto src = make_memory_source(bad, "damaged");
      auto layout = plan_embedding(*src, format, 100);
      auto view = layout_source(*src, layout, fake_store(100));
      (void)view->read_vector(0, view->size());
    } catch (const Error&) {
    }
  };
  for (size_t cut = 0; cut < input.size(); cut += std::max<size_t>(1, input.size() / 200)) {
    attempt(Bytes(input.begin(), input.begin() + static_cast<long>(cut)));
  }
  uint32_t rng = 12345;
  for (int round = 0; round < 400; ++round) {
    Bytes bad = input;
    for (int k = 0; k < 3; ++k) {
      rng = rng * 1103515245u + 12345u;
      bad[(rng >> 8) % bad.size()] = static_cast<uint8_t>(rng >> 24);
    }
    attempt(bad);
  }
}

}  // namespace

// ---- JPEG ----------------------------------------------------------------------------------------

TEST(EmbedJpeg, GoesAfterApp0AndBeforeExif) {
  Bytes input = make_jpeg(true, true);
  Embedded out = embed_and_check(input, Format::Jpeg, fake_store(500));
  EXPECT_EQ(out.layout.carrier.size(), 1u);
  EXPECT_EQ(out.layout.carrier[0].offset, 2u + 18u);  // SOI, APP0 (2 + 16)
  const Bytes& o = out.bytes;
  uint64_t at = out.layout.carrier[0].offset;
  EXPECT_EQ(Bytes(o.begin() + static_cast<long>(at), o.begin() + static_cast<long>(at + 12)),
            (Bytes{0xFF, 0xEB, 0x01, 0xFE, 'J', 'P', 0x02, 0x11, 0, 0, 0, 1}));
  EXPECT_EQ(o[at + out.layout.carrier[0].length + 1], 0xE1);  // Exif follows
}

TEST(EmbedJpeg, GoesRightAfterSoiWithoutApp0) {
  Embedded out = embed_and_check(make_jpeg(false, true), Format::Jpeg, fake_store(200));
  EXPECT_EQ(out.layout.carrier[0].offset, 2u);
}

TEST(EmbedJpeg, SplitsLargeStoresIntoSegmentsLikeC2paRs) {
  Bytes input = make_jpeg(true, false);
  for (size_t size : {63999u, 64000u, 64001u, 65527u, 65535u, 65536u, 128000u, 128001u, 200000u}) {
    SCOPED_TRACE(size);
    Bytes store = fake_store(size, static_cast<uint8_t>(size));
    Embedded out = embed_and_check(input, Format::Jpeg, store);
    size_t segments = (size + 63999) / 64000;
    ASSERT_EQ(out.layout.carrier.size(), segments);
    for (size_t i = 0; i < segments; ++i) {
      const ByteRange& r = out.layout.carrier[i];
      uint64_t length_field = (uint64_t{out.bytes[r.offset + 2]} << 8) | out.bytes[r.offset + 3];
      EXPECT_EQ(r.length, length_field + 2);
      EXPECT_LE(length_field, 65535u);
      EXPECT_EQ(get_be32(out.bytes, r.offset + 8), i + 1);  // sequence number Z
      if (i > 0) {  // continuation: LBox and TBox repeated
        EXPECT_TRUE(std::equal(store.begin(), store.begin() + 8, out.bytes.begin() + static_cast<long>(r.offset + 12)));
      }
      if (i + 1 < segments) {
        EXPECT_EQ(r.end(), out.layout.carrier[i + 1].offset);
      }
    }
    auto excl = data_hash_exclusions(out.layout);
    EXPECT_EQ(excl[0].length, out.layout.carrier.back().end() - out.layout.carrier.front().offset);
  }
}

TEST(EmbedJpeg, ReplacesTheOldStoreInPlace) {
  Bytes input = make_jpeg(true, true);
  Embedded first = embed_and_check(input, Format::Jpeg, fake_store(150000, 1));
  Embedded second = embed_and_check(first.bytes, Format::Jpeg, fake_store(900, 2));
  EXPECT_EQ(second.layout.carrier.size(), 1u);
  EXPECT_EQ(second.layout.carrier[0].offset, first.layout.carrier[0].offset);
  EXPECT_EQ(strip(second.bytes, second.layout.carrier), input);

  // An old store between Exif and DQT is replaced where it was.
  Bytes moved = make_jpeg(false, true);
  Embedded third = embed(moved, Format::Jpeg, fake_store(400, 3));
  Bytes with_old = moved;
  uint64_t dqt = 2 + 44;  // after SOI and Exif
  Bytes tiny_old = Bytes(third.bytes.begin() + static_cast<long>(third.layout.carrier[0].offset),
                         third.bytes.begin() + static_cast<long>(third.layout.carrier[0].end()));
  with_old.insert(with_old.begin() + static_cast<long>(dqt), tiny_old.begin(), tiny_old.end());
  Embedded fourth = embed_and_check(with_old, Format::Jpeg, fake_store(700, 4));
  EXPECT_EQ(fourth.layout.carrier[0].offset, dqt);
  EXPECT_EQ(strip(fourth.bytes, fourth.layout.carrier), moved);
}

TEST(EmbedJpeg, RealFile) {
  VT_REQUIRE_SHARED(shared);
  Bytes input = vt_test::read_file(shared / "data/c2pa/made/src/src640.jpg");
  Embedded first = embed_and_check(input, Format::Jpeg, fake_store(70000));
  Embedded second = embed_and_check(first.bytes, Format::Jpeg, fake_store(1000, 9));
  auto in_src = make_memory_source(input);
  EXPECT_EQ(strip(second.bytes, second.layout.carrier), strip(input, find_c2pa(*in_src, Format::Jpeg).carrier_ranges));
  if (have_ffmpeg()) {
    vt_test::TempDir dir;
    vt_test::write_file(dir.path() / "out.jpg", second.bytes);
    expect_decodes(dir.path() / "out.jpg");
  }
}

TEST(EmbedJpeg, DamagedInputsThrowErrors) {
  expect_no_crash_on_damage(make_jpeg(true, true), Format::Jpeg);
  auto src = make_memory_source({0xFF, 0xD8, 0xFF, 0xE0, 0x00});
  EXPECT_THROW(plan_embedding(*src, Format::Jpeg, 100), Error);
}

// ---- PNG -----------------------------------------------------------------------------------------

TEST(EmbedPng, CaBXChunkRightAfterIhdrWithValidCrc) {
  Bytes input = make_png();
  Bytes store = fake_store(777);
  Embedded out = embed_and_check(input, Format::Png, store);
  ASSERT_EQ(out.layout.carrier.size(), 1u);
  EXPECT_EQ(out.layout.carrier[0].offset, 8u + 25u);
  EXPECT_EQ(out.layout.carrier[0].length, store.size() + 12);
  uint64_t at = out.layout.carrier[0].offset;
  EXPECT_EQ(get_be32(out.bytes, at), store.size());
  EXPECT_EQ(get_be32(out.bytes, at + 8 + store.size()), crc32_bitwise(out.bytes.data() + at + 4, store.size() + 4));
}

TEST(EmbedPng, ReplacesOldStoresWherever) {
  Bytes input = make_png();
  Embedded first = embed_and_check(input, Format::Png, fake_store(300, 1));
  // Move the old caBX to the end (before IEND) and embed again: one caBX, after IHDR.
  Bytes caBX(first.bytes.begin() + 33, first.bytes.begin() + 33 + static_cast<long>(first.layout.carrier[0].length));
  Bytes moved = input;
  moved.insert(moved.end() - 12, caBX.begin(), caBX.end());
  Embedded second = embed_and_check(moved, Format::Png, fake_store(600, 2));
  EXPECT_EQ(second.layout.carrier[0].offset, 33u);
  EXPECT_EQ(strip(second.bytes, second.layout.carrier), input);
}

TEST(EmbedPng, RealFile) {
  VT_REQUIRE_SHARED(shared);
  Bytes input = vt_test::read_file(shared / "data/c2pa/made/src/src640.png");
  Embedded first = embed_and_check(input, Format::Png, fake_store(4000));
  embed_and_check(first.bytes, Format::Png, fake_store(90000, 3));
  if (have_ffmpeg()) {
    vt_test::TempDir dir;
    vt_test::write_file(dir.path() / "out.png", first.bytes);
    expect_decodes(dir.path() / "out.png");
  }
}

TEST(EmbedPng, DamagedInputsThrowErrors) { expect_no_crash_on_damage(make_png(), Format::Png); }

// ---- RIFF ----------------------------------------------------------------------------------------

TEST(EmbedRiff, C2paChunkAtTheEndWithRiffSizeAndPad) {
  Bytes input = make_wav(101);
  for (size_t size : {400u, 401u}) {
    Bytes store = fake_store(size);
    Embedded out = embed_and_check(input, Format::Wav, store, {4, 5, 6, 7});
    uint64_t pad = size & 1;
    EXPECT_EQ(out.layout.carrier[0].offset, input.size());
    EXPECT_EQ(out.layout.carrier[0].length, 8 + size + pad);
    EXPECT_EQ(out.bytes.size(), input.size() + 8 + size + pad);
    EXPECT_EQ(get_le32(out.bytes, 4), out.bytes.size() - 8);
    EXPECT_EQ(data_hash_exclusions(out.layout)[0].length, 8 + size);  // c2pa-rs: pad byte not excluded
  }
}

TEST(EmbedRiff, AddsTheMissingPadOfTheLastChunk) {
  Bytes input = make_wav(101, false);
  Embedded out = embed(input, Format::Wav, fake_store(300));
  EXPECT_EQ(out.layout.carrier[0].offset, input.size() + 1);
  EXPECT_EQ(out.bytes[input.size()], 0);
  EXPECT_EQ(get_le32(out.bytes, 4), out.bytes.size() - 8);
  auto src = make_memory_source(out.bytes);
  EXPECT_EQ(find_c2pa(*src, Format::Wav).store, fake_store(300));
}

TEST(EmbedRiff, ReplacesAStoreInTheMiddleAndKeepsTrailingData) {
  Bytes store_old = fake_store(99, 5);
  Bytes fmt{1, 0, 1, 0, 0x40, 0x1F, 0, 0, 0x40, 0x1F, 0, 0, 1, 0, 8, 0};
  Bytes clean = make_riff("WAVE", {riff_chunk("fmt ", fmt), riff_chunk("data", sample_data(64, 1))});
  Bytes with_old = make_riff("WAVE", {riff_chunk("fmt ", fmt), riff_chunk("C2PA", store_old),
                                      riff_chunk("data", sample_data(64, 1))});
  append(with_old, {'J', 'U', 'N', 'K'});  // bytes after the RIFF form stay after it
  Bytes store = fake_store(250, 6);
  Embedded out = embed_and_check(with_old, Format::Wav, store, {4, 5, 6, 7});
  EXPECT_EQ(out.layout.carrier[0].offset, clean.size());
  EXPECT_EQ(Bytes(out.bytes.end() - 4, out.bytes.end()), (Bytes{'J', 'U', 'N', 'K'}));
  EXPECT_EQ(get_le32(out.bytes, 4), clean.size() - 8 + 8 + store.size());
}

TEST(EmbedRiff, WebP) {
  Bytes input = make_riff("WEBP", {riff_chunk("VP8L", sample_data(33, 2))});
  Embedded out = embed(input, Format::WebP, fake_store(128));
  EXPECT_EQ(get_le32(out.bytes, 4), out.bytes.size() - 8);
  EXPECT_EQ(out.layout.carrier[0].offset, input.size());
}

TEST(EmbedRiff, RealFile) {
  VT_REQUIRE_SHARED(shared);
  Bytes input = vt_test::read_file(shared / "data/c2pa/made/src/src1s.wav");
  Embedded first = embed_and_check(input, Format::Wav, fake_store(3001), {4, 5, 6, 7});
  embed_and_check(first.bytes, Format::Wav, fake_store(20000, 2), {4, 5, 6, 7});
  if (have_ffmpeg()) {
    vt_test::TempDir dir;
    vt_test::write_file(dir.path() / "out.wav", first.bytes);
    expect_decodes(dir.path() / "out.wav");
  }
}

TEST(EmbedRiff, DamagedInputsThrowErrors) { expect_no_crash_on_damage(make_wav(), Format::Wav); }

// ---- BMFF ----------------------------------------------------------------------------------------

TEST(EmbedBmff, UuidBoxAfterFtypWithExactLayout) {
  Bytes input = make_mp4(true, false);
  Bytes store = fake_store(1234);
  Embedded out = embed_and_check(input, Format::Bmff, store);
  uint64_t at = out.layout.carrier[0].offset;
  EXPECT_EQ(at, 24u);  // right after ftyp
  EXPECT_EQ(out.layout.carrier[0].length, 8 + 16 + 4 + 9 + 8 + store.size());
  Bytes head(out.bytes.begin() + static_cast<long>(at), out.bytes.begin() + static_cast<long>(at + 45));
  Bytes expected;
  be32(expected, static_cast<uint32_t>(45 + store.size()));
  text(expected, "uuid");
  append(expected, {0xd8, 0xfe, 0xc3, 0xd6, 0x1b, 0x0e, 0x48, 0x3c, 0x92, 0x97, 0x58, 0x28, 0x87, 0x7e, 0xc4, 0x81});
  append(expected, {0, 0, 0, 0});
  text(expected, std::string("manifest", 9));
  be64(expected, 0);
  EXPECT_EQ(head, expected);
  EXPECT_EQ(out.layout.store_offset, at + 45);
}

TEST(EmbedBmff, MovesChunkOffsets) {
  for (bool moov_first : {true, false}) {
    for (bool co64 : {false, true}) {
      SCOPED_TRACE(std::to_string(moov_first) + std::to_string(co64));
      embed_bmff_twice(make_mp4(moov_first, co64), nullptr);
    }
  }
}

TEST(EmbedBmff, MovesHeifItemOffsets) { embed_bmff_twice(make_heif(), nullptr); }

TEST(EmbedBmff, MovesFragmentOffsets) {
  Bytes input = make_fragmented();
  embed_bmff_twice(input, nullptr);
  Embedded out = embed(input, Format::Bmff, fake_store(64));
  auto fields = offsets_of(out.bytes);
  for (const auto& f : fields) {
    if (f.kind == "moof") {
      EXPECT_EQ(std::string(out.bytes.begin() + static_cast<long>(f.value + 4),
                            out.bytes.begin() + static_cast<long>(f.value + 8)), "moof");
    }
  }
}

TEST(EmbedBmff, DefaultExclusionsMatchC2paRs) {
  auto list = default_bmff_exclusions();
  ASSERT_EQ(list.size(), 5u);
  EXPECT_EQ(list[0].xpath, "/uuid");
  ASSERT_EQ(list[0].data.size(), 1u);
  EXPECT_EQ(list[0].data[0].offset, 8u);
  EXPECT_EQ(list[0].data[0].value.front(), 0xd8);
  EXPECT_EQ(list[1].xpath, "/ftyp");
  EXPECT_EQ(list[2].xpath, "/mfra");
  EXPECT_EQ(list[3].xpath, "/free");
  EXPECT_EQ(list[4].xpath, "/skip");
}

TEST(EmbedBmff, RealMp4) {
  VT_REQUIRE_SHARED(shared);
  Bytes input = vt_test::read_file(shared / "data/c2pa/made/src/src2s.mp4");
  vt_test::TempDir dir;
  embed_bmff_twice(input, have_ffmpeg() ? &dir.path() : nullptr);
}

TEST(EmbedBmff, FfmpegMovVariants) {
  if (!have_ffmpeg()) GTEST_SKIP() << "ffmpeg is not installed";
  vt_test::TempDir dir;
  for (std::string flags : {"-f mov", "-f mov -movflags +faststart", "-f mp4", "-f mp4 -movflags +faststart"}) {
    SCOPED_TRACE(flags);
    fs::path src = dir.path() / "src.bin";
    auto made = vt_test::run("ffmpeg -nostdin -v error -y -f lavfi -i testsrc=s=64x48:d=1 -c:v libx264 " + flags + " " +
                             vt_test::shell_quote(src.string()));
    if (made.exit_code != 0) GTEST_SKIP() << "ffmpeg cannot make the input: " << made.err;
    embed_bmff_twice(vt_test::read_file(src), &dir.path());
  }
}

TEST(EmbedBmff, DamagedInputsThrowErrors) {
  expect_no_crash_on_damage(make_mp4(false, false), Format::Bmff);
  expect_no_crash_on_damage(make_heif(), Format::Bmff);
  expect_no_crash_on_damage(make_fragmented(), Format::Bmff);
}

// ---- common ----------------------------------------------------------------------------------

TEST(Embed, FileSourceAndUnsupportedFormats) {
  vt_test::TempDir dir;
  vt_test::write_file(dir.path() / "in.png", make_png());
  auto src = open_file_source((dir.path() / "in.png").string());
  auto layout = plan_embedding(*src, Format::Png, 100);
  EXPECT_EQ(layout.output_size(), make_png().size() + 112);
  try {
    plan_embedding(*src, Format::Gif, 100);
    FAIL() << "expected Unsupported";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  }
}

TEST(Embed, WriteFailuresAreOutputErrors) {
  auto src = make_memory_source(make_png());
  auto layout = plan_embedding(*src, Format::Png, 100);
  Bytes store = fake_store(100);
  int full = ::open("/dev/full", O_WRONLY);
  if (full >= 0) {
    try {
      write_layout(*src, layout, store, full);
      ADD_FAILURE() << "expected an Output error on /dev/full";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Output);
      EXPECT_NE(std::string(e.what()).find("No space"), std::string::npos) << e.what();
    }
    ::close(full);
  }
  int read_only = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(read_only, 0);
  try {
    write_layout(*src, layout, store, read_only);
    ADD_FAILURE() << "expected an Output error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Output);
  }
  ::close(read_only);
  // A store of the wrong size is a caller bug.
  EXPECT_THROW(write_layout(*src, layout, fake_store(120), 1), Error);
}

TEST(Embed, FakeStoreIsValidJumbf) {
  Bytes store = fake_store(300);
  auto parsed = jumbf::parse(store);
  EXPECT_EQ(parsed.label, "c2pa");
  EXPECT_EQ(jumbf::uuid_fourcc(parsed.type), "c2pa");
}
