// PDF container parsing on small hand-made files: classic cross-reference tables, cross-reference
// streams with PNG predictors, object streams, hybrid files, incremental updates, Flate-compressed
// manifest stores, XMP; and hostile input (loops, deep nesting, decompression bombs, huge counts,
// truncation, flipped bytes), which must end in a clean Error, never a crash or a hang.
#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <map>
#include <random>
#include <string_view>

#include "formats/formats.hpp"
#include "formats/pdf.hpp"

using namespace veritrace;
using namespace veritrace::formats;
using Bytes = std::vector<uint8_t>;

namespace {

std::string deflate(std::string_view in) {
  uLongf n = compressBound(uLong(in.size()));
  std::string out(n, '\0');
  EXPECT_EQ(compress2(reinterpret_cast<Bytef*>(out.data()), &n, reinterpret_cast<const Bytef*>(in.data()),
                      uLong(in.size()), 9),
            Z_OK);
  out.resize(n);
  return out;
}

// A C2PA-looking manifest store: a 'jumb' box with a c2pa description, then filler.
std::string fake_store(size_t filler, char fill = 'Z') {
  std::string jumd("\0\0\0\0jumdc2pa\x00\x11\x00\x10\x80\x00\x00\xaa\x00\x38\x9b\x71\x03" "c2pa\0", 30);
  jumd[3] = char(jumd.size());
  uint32_t size = uint32_t(8 + jumd.size() + filler);
  std::string out{char(size >> 24), char(size >> 16), char(size >> 8), char(size)};
  return out + "jumb" + jumd + std::string(filler, fill);
}

// Writes PDFs object by object, remembering offsets for the cross-reference data.
class PdfWriter {
 public:
  std::string data = "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";
  std::map<uint32_t, size_t> offsets;  // objects written since the last cross-reference section

  void object(uint32_t num, std::string_view body) {
    offsets[num] = data.size();
    data += std::to_string(num) + " 0 obj\n" + std::string(body) + "\nendobj\n";
  }
  // Returns the offset of the stream's data. `length` overrides the /Length written.
  size_t stream(uint32_t num, std::string_view dict, std::string_view payload, std::string length = "") {
    offsets[num] = data.size();
    if (length.empty()) length = std::to_string(payload.size());
    data += std::to_string(num) + " 0 obj\n<<" + std::string(dict) + "/Length " + length + ">>\nstream\r\n";
    size_t at = data.size();
    data += std::string(payload) + "\r\nendstream\nendobj\n";
    return at;
  }
  // A classic table for the objects written since the last section; returns its offset.
  size_t xref_table(std::string_view trailer, bool with_free_head = true) {
    size_t at = data.size();
    data += "xref\n";
    if (with_free_head) data += "0 1\n0000000000 65535 f\r\n";
    for (auto it = offsets.begin(); it != offsets.end();) {
      auto run_end = it;
      uint32_t n = 0;
      while (run_end != offsets.end() && run_end->first == it->first + n) ++run_end, ++n;
      data += std::to_string(it->first) + " " + std::to_string(n) + "\n";
      for (; it != run_end; ++it) {
        char line[32];
        std::snprintf(line, sizeof line, "%010zu 00000 n\r\n", it->second);
        data += line;
      }
    }
    data += "trailer\n<<" + std::string(trailer) + ">>\nstartxref\n" + std::to_string(at) + "\n%%EOF\n";
    offsets.clear();
    return at;
  }
  // A cross-reference stream (object `num`, W [1 4 2], Flate + PNG "Up" rows) for the objects
  // written since the last section and `compressed` ones (number -> {object stream, index}).
  size_t xref_stream(uint32_t num, std::string_view trailer,
                     const std::map<uint32_t, std::pair<uint32_t, uint32_t>>& compressed = {}, bool startxref = true) {
    size_t at = data.size();
    offsets[num] = at;
    std::map<uint32_t, std::array<uint8_t, 7>> rows;
    for (auto [n, off] : offsets) rows[n] = {1, uint8_t(off >> 24), uint8_t(off >> 16), uint8_t(off >> 8), uint8_t(off), 0, 0};
    for (auto [n, where] : compressed) {
      rows[n] = {2, uint8_t(where.first >> 24), uint8_t(where.first >> 16), uint8_t(where.first >> 8),
                 uint8_t(where.first), uint8_t(where.second >> 8), uint8_t(where.second)};
    }
    std::string index, raw;
    std::array<uint8_t, 7> prior{};
    for (auto it = rows.begin(); it != rows.end();) {
      uint32_t first = it->first, n = 0;
      for (; it != rows.end() && it->first == first + n; ++it, ++n) {
        raw += char(2);  // PNG "Up"
        for (size_t i = 0; i < 7; ++i) raw += char(uint8_t(it->second[i] - prior[i]));
        prior = it->second;
      }
      index += std::to_string(first) + " " + std::to_string(n) + " ";
    }
    std::string body = deflate(raw);
    data += std::to_string(num) + " 0 obj\n<</Type/XRef/W[1 4 2]/Index[" + index + "]/Filter/FlateDecode" +
            "/DecodeParms<</Predictor 12/Columns 7>>" + std::string(trailer) + "/Length " +
            std::to_string(body.size()) + ">>\nstream\r\n" + body + "\r\nendstream\nendobj\n";
    if (startxref) data += "startxref\n" + std::to_string(at) + "\n%%EOF\n";
    offsets.clear();
    return at;
  }
  Bytes bytes() const { return Bytes(data.begin(), data.end()); }
};

// The objects of an object stream: "num offset ..." then the bodies; returns {payload, First}.
std::pair<std::string, size_t> object_stream_payload(const std::vector<std::pair<uint32_t, std::string>>& objects) {
  std::string head, bodies;
  for (const auto& [num, body] : objects) {
    head += std::to_string(num) + " " + std::to_string(bodies.size()) + " ";
    bodies += body + "\n";
  }
  return {head + bodies, head.size()};
}

C2paCarrier carrier_of(const Bytes& file) {
  auto src = make_span_source(file, "test.pdf");
  EXPECT_EQ(detect(*src).format, Format::Pdf);
  return find_c2pa(*src, Format::Pdf);
}

std::string store_of(const C2paCarrier& c) { return std::string(c.store.begin(), c.store.end()); }

std::optional<ErrorKind> error_of(const Bytes& file) {
  try {
    auto src = make_span_source(file, "test.pdf");
    (void)find_c2pa(*src, Format::Pdf);
  } catch (const Error& e) {
    return e.kind();
  }
  return std::nullopt;
}

const char* kFileSpec = "<</Type/Filespec/F(manifest.c2pa)/UF(manifest.c2pa)/AFRelationship/C2PA_Manifest"
                        "/EF<</F 4 0 R>>>>";
const char* kEmbedded = "/Type/EmbeddedFile/Subtype/application#2Fc2pa";

// Catalog 1, pages 2, file spec 3, the store 4: the layout the C2PA spec describes.
PdfWriter simple_pdf(const std::string& store, size_t* data_at, std::string_view filter = "") {
  PdfWriter w;
  w.object(1, "<</Type/Catalog/Pages 2 0 R/AF[3 0 R]/Names<</EmbeddedFiles<</Names[(manifest.c2pa)3 0 R]>>>>>>");
  w.object(2, "<</Type/Pages/Kids[]/Count 0>>");
  w.object(3, kFileSpec);
  *data_at = w.stream(4, std::string(kEmbedded) + std::string(filter), store);
  return w;
}

}  // namespace

TEST(FormatsPdf, ClassicXrefUncompressedStore) {
  std::string store = fake_store(300);
  size_t at = 0;
  PdfWriter w = simple_pdf(store, &at);
  w.xref_table("/Size 5/Root 1 0 R");
  auto c = carrier_of(w.bytes());
  EXPECT_EQ(store_of(c), store);
  ASSERT_EQ(c.carrier_ranges.size(), 1u);
  EXPECT_EQ(c.carrier_ranges[0].offset, at);
  EXPECT_EQ(c.carrier_ranges[0].length, store.size());
  EXPECT_FALSE(c.remote_url);
}

TEST(FormatsPdf, FlateCompressedStoreIsDecodedAndItsEncodedBytesAreTheCarrier) {
  std::string store = fake_store(5000);
  std::string packed = deflate(store);
  size_t at = 0;
  PdfWriter w = simple_pdf(packed, &at, "/Filter/FlateDecode");
  w.xref_table("/Size 5/Root 1 0 R");
  auto c = carrier_of(w.bytes());
  EXPECT_EQ(store_of(c), store);
  ASSERT_EQ(c.carrier_ranges.size(), 1u);
  EXPECT_EQ(c.carrier_ranges[0].offset, at);
  EXPECT_EQ(c.carrier_ranges[0].length, packed.size());
}

TEST(FormatsPdf, XrefStreamWithObjectStreamAndIndirectLength) {
  std::string store = fake_store(700);
  auto [payload, first] = object_stream_payload({{1, "<</Type/Catalog/Pages 2 0 R/AF 7 0 R>>"},
                                                 {2, "<</Type/Pages/Kids[]/Count 0>>"},
                                                 {3, kFileSpec},
                                                 {7, "[3 0 R]"},
                                                 {8, std::to_string(store.size())}});
  PdfWriter w;
  w.stream(5, "/Type/ObjStm/N 5/First " + std::to_string(first) + "/Filter/FlateDecode", deflate(payload));
  size_t at = w.stream(4, kEmbedded, store, "8 0 R");
  w.xref_stream(6, "/Size 9/Root 1 0 R", {{1, {5, 0}}, {2, {5, 1}}, {3, {5, 2}}, {7, {5, 3}}, {8, {5, 4}}});
  auto c = carrier_of(w.bytes());
  EXPECT_EQ(store_of(c), store);
  ASSERT_EQ(c.carrier_ranges.size(), 1u);
  EXPECT_EQ(c.carrier_ranges[0].offset, at);

  Bytes file = w.bytes();
  auto src = make_span_source(file);
  pdf::Document doc(*src);
  EXPECT_EQ(doc.sections(), 1u);
  EXPECT_EQ(doc.xref().at(3).kind, pdf::XrefEntry::Kind::InStream);
  pdf::Object ref;
  ref.type = pdf::Object::Type::Ref;
  ref.ref = {7, 0};
  pdf::Object af = doc.resolve(ref);
  ASSERT_TRUE(af.is(pdf::Object::Type::Array));
  EXPECT_EQ(af.items.at(0).ref.num, 3u);
}

TEST(FormatsPdf, IncrementalUpdatesUseTheNewestCatalog) {
  std::string first_store = fake_store(100, 'A'), second_store = fake_store(120, 'B');
  size_t at = 0;
  PdfWriter w = simple_pdf(first_store, &at);
  size_t xref1 = w.xref_table("/Size 5/Root 1 0 R");

  // Update 1 (classic table): a new store and file spec, and catalog 1 rewritten to name them.
  PdfWriter updated = w;
  size_t at2 = updated.stream(10, kEmbedded, second_store);
  updated.object(11, "<</Type/Filespec/AFRelationship/C2PA_Manifest/EF<</F 10 0 R>>>>");
  updated.object(1, "<</Type/Catalog/Pages 2 0 R/AF[11 0 R]>>");
  size_t xref2 = updated.xref_table("/Size 12/Root 1 0 R/Prev " + std::to_string(xref1), false);
  auto c = carrier_of(updated.bytes());
  EXPECT_EQ(store_of(c), second_store);
  EXPECT_EQ(c.carrier_ranges.at(0).offset, at2);

  // Update 2 (a cross-reference stream after the tables): the catalog drops its /AF.
  PdfWriter removed = updated;
  removed.object(1, "<</Type/Catalog/Pages 2 0 R>>");
  removed.xref_stream(12, "/Size 13/Root 1 0 R/Prev " + std::to_string(xref2));
  auto none = carrier_of(removed.bytes());
  EXPECT_TRUE(none.store.empty());
  EXPECT_TRUE(none.carrier_ranges.empty());
  Bytes file = removed.bytes();
  auto src = make_span_source(file);
  EXPECT_EQ(pdf::Document(*src).sections(), 3u);
}

TEST(FormatsPdf, HybridFileReadsCompressedObjectsThroughXRefStm) {
  std::string store = fake_store(64);
  auto [payload, first] = object_stream_payload({{3, kFileSpec}});
  PdfWriter w;
  w.object(1, "<</Type/Catalog/Pages 2 0 R/AF[3 0 R]>>");
  w.object(2, "<</Type/Pages/Kids[]/Count 0>>");
  size_t at = w.stream(4, kEmbedded, store);
  w.stream(5, "/Type/ObjStm/N 1/First " + std::to_string(first), payload);
  auto in_file = w.offsets;
  // The xref stream carries only the compressed object; the table carries the rest.
  w.offsets.clear();
  size_t stm = w.xref_stream(6, "/Size 7", {{3, {5, 0}}}, false);
  w.offsets = in_file;
  w.offsets[6] = stm;
  w.xref_table("/Size 7/Root 1 0 R/XRefStm " + std::to_string(stm));
  auto c = carrier_of(w.bytes());
  EXPECT_EQ(store_of(c), store);
  EXPECT_EQ(c.carrier_ranges.at(0).offset, at);
}

TEST(FormatsPdf, IndirectFilterAndDecodeParmsAreResolved) {
  std::string store = fake_store(90);
  PdfWriter w;
  w.object(1, "<</Type/Catalog/AF[3 0 R]>>");
  w.object(3, kFileSpec);
  w.object(7, "/FlateDecode");
  w.object(8, "<</Predictor 1>>");
  size_t at = w.stream(4, std::string(kEmbedded) + "/Filter 7 0 R/DecodeParms 8 0 R", deflate(store));
  w.xref_table("/Size 9/Root 1 0 R");
  auto c = carrier_of(w.bytes());
  EXPECT_EQ(store_of(c), store);
  EXPECT_EQ(c.carrier_ranges.at(0).offset, at);
}

TEST(FormatsPdf, XmpProvenanceUrlAndNoManifest) {
  std::string xmp = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF><rdf:Description "
                    "xmlns:dcterms=\"http://purl.org/dc/terms/\" dcterms:provenance=\"https://example.com/m.c2pa\"/>"
                    "</rdf:RDF></x:xmpmeta>";
  PdfWriter w;
  w.object(1, "<</Type/Catalog/Pages 2 0 R/Metadata 3 0 R>>");
  w.object(2, "<</Type/Pages/Kids[]/Count 0>>");
  w.stream(3, "/Type/Metadata/Subtype/XML/Filter/FlateDecode", deflate(xmp));
  w.xref_table("/Size 4/Root 1 0 R");
  auto c = carrier_of(w.bytes());
  EXPECT_TRUE(c.store.empty());
  ASSERT_TRUE(c.remote_url);
  EXPECT_EQ(*c.remote_url, "https://example.com/m.c2pa");
}

TEST(FormatsPdf, WrongLengthFallsBackToEndstream) {
  std::string store = fake_store(200);
  size_t at = 0;
  PdfWriter w;
  w.object(1, "<</Type/Catalog/AF[3 0 R]>>");
  w.object(3, kFileSpec);
  at = w.stream(4, kEmbedded, store, "17");
  w.xref_table("/Size 5/Root 1 0 R");
  auto c = carrier_of(w.bytes());
  EXPECT_EQ(store_of(c), store);
  EXPECT_EQ(c.carrier_ranges.at(0).offset, at);
  EXPECT_EQ(c.carrier_ranges.at(0).length, store.size());
}

TEST(FormatsPdf, EncryptedPdfWithAStoreIsUnsupported) {
  size_t at = 0;
  PdfWriter w = simple_pdf(fake_store(10), &at);
  w.object(9, "<</Filter/Standard/V 2/R 3/O(x)/U(y)/P -4>>");
  w.xref_table("/Size 10/Root 1 0 R/Encrypt 9 0 R");
  EXPECT_EQ(error_of(w.bytes()), ErrorKind::Unsupported);

  PdfWriter plain;
  plain.object(1, "<</Type/Catalog>>");
  plain.object(9, "<</Filter/Standard/V 2/R 3/O(x)/U(y)/P -4>>");
  plain.xref_table("/Size 10/Root 1 0 R/Encrypt 9 0 R");
  EXPECT_TRUE(carrier_of(plain.bytes()).store.empty());
}

TEST(FormatsPdf, LiteralStringsNamesAndNumbersParse) {
  PdfWriter w;
  w.object(1, "<</Type/Catalog/T (a\\(b\\)c (nested) \\101\\n) /N#20ame 1.5 /H <41 42 4>/Neg -.5/Big "
              "123456789012345678901234567890 % comment\n/AF [ 3 0 R ] >>");
  w.object(3, "<</AFRelationship/C2PA#5FManifest/EF<</UF 4 0 R>>>>");
  std::string store = fake_store(20);
  w.stream(4, kEmbedded, store);
  w.xref_table("/Size 5/Root 1 0 R");
  EXPECT_EQ(store_of(carrier_of(w.bytes())), store);
}

// ---- hostile input ----

TEST(FormatsPdf, HeaderOnlyOrGarbageIsMalformed) {
  for (std::string text : {"%PDF-1.7\n", "%PDF-1.7\nstartxref\n", "%PDF-1.7\nstartxref\n999999\n%%EOF",
                           "%PDF-1.7\nstartxref\n0\n%%EOF", "%PDF-1.7\nxref\n0 1\nstartxref\n9\n%%EOF"}) {
    EXPECT_EQ(error_of(Bytes(text.begin(), text.end())), ErrorKind::Malformed) << text;
  }
}

TEST(FormatsPdf, ReferenceLoopsAndPrevLoopsEnd) {
  PdfWriter loop;
  loop.object(1, "2 0 R");
  loop.object(2, "1 0 R");
  loop.xref_table("/Size 3/Root 1 0 R");
  EXPECT_EQ(error_of(loop.bytes()), ErrorKind::Malformed);

  // The store's /Length refers to the store itself.
  PdfWriter self_length;
  self_length.object(1, "<</AF[3 0 R]>>");
  self_length.object(3, kFileSpec);
  self_length.stream(4, kEmbedded, "x", "4 0 R");
  self_length.xref_table("/Size 5/Root 1 0 R");
  EXPECT_EQ(error_of(self_length.bytes()), ErrorKind::Malformed);

  // A /Prev pointing at its own section, and an object stream that lives in itself.
  PdfWriter prev_loop;
  prev_loop.object(1, "<</Type/Catalog>>");
  size_t self = prev_loop.data.size();  // where the table is about to be written
  prev_loop.xref_table("/Size 2/Root 1 0 R/Prev " + std::to_string(self));
  EXPECT_FALSE(error_of(prev_loop.bytes()));

  PdfWriter self_stream;
  self_stream.xref_stream(6, "/Size 7/Root 1 0 R", {{1, {5, 0}}, {5, {5, 1}}});
  EXPECT_EQ(error_of(self_stream.bytes()), ErrorKind::Malformed);
}

TEST(FormatsPdf, DeepNestingIsRefusedWithoutRecursion) {
  PdfWriter w;
  w.object(1, "<</AF " + std::string(200000, '[') + std::string(200000, ']') + ">>");
  w.xref_table("/Size 2/Root 1 0 R");
  EXPECT_EQ(error_of(w.bytes()), ErrorKind::Malformed);
}

TEST(FormatsPdf, DecompressionBombIsRefused) {
  std::string packed = deflate(std::string(24u << 20, '\0'));  // 24 MB from ~24 KB
  size_t at = 0;
  PdfWriter w = simple_pdf(packed, &at, "/Filter/FlateDecode");
  w.xref_table("/Size 5/Root 1 0 R");
  EXPECT_EQ(error_of(w.bytes()), ErrorKind::Malformed);
}

TEST(FormatsPdf, HugeCountsFailFast) {
  auto started = std::chrono::steady_clock::now();
  for (std::string xref : {"xref\n0 8388607\n0000000000 65535 f\r\n", "xref\n0 99999999999\n", "xref\n-1 2\n",
                           "xref\n5 1\n0000000099999999999 00000 n\r\n"}) {
    std::string text = "%PDF-1.7\n" + xref + "trailer\n<</Root 1 0 R>>\nstartxref\n9\n%%EOF\n";
    EXPECT_EQ(error_of(Bytes(text.begin(), text.end())), ErrorKind::Malformed) << xref;
  }
  // A cross-reference stream whose /Size claims millions of entries with no data for them.
  PdfWriter w;
  size_t at = w.data.size();
  std::string body = deflate(std::string(7, '\0'));
  w.data += "1 0 obj\n<</Type/XRef/W[1 8 8]/Size 8388607/Filter/FlateDecode/Length " + std::to_string(body.size()) +
            ">>\nstream\r\n" + body + "\r\nendstream\nendobj\nstartxref\n" + std::to_string(at) + "\n%%EOF\n";
  EXPECT_EQ(error_of(w.bytes()), ErrorKind::Malformed);
  // An object stream claiming a million objects.
  PdfWriter many;
  many.stream(5, "/Type/ObjStm/N 1000000/First 4", "1 0 <<>>");
  many.xref_stream(6, "/Size 7/Root 1 0 R", {{1, {5, 0}}});
  EXPECT_EQ(error_of(many.bytes()), ErrorKind::Malformed);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST(FormatsPdf, CorruptFlateAndUnknownFiltersAreCleanErrors) {
  size_t at = 0;
  PdfWriter corrupt = simple_pdf("\x78\x9c\xff\xff\xff\xff garbage", &at, "/Filter/FlateDecode");
  corrupt.xref_table("/Size 5/Root 1 0 R");
  EXPECT_EQ(error_of(corrupt.bytes()), ErrorKind::Malformed);
  PdfWriter lzw = simple_pdf("abc", &at, "/Filter/LZWDecode");
  lzw.xref_table("/Size 5/Root 1 0 R");
  EXPECT_EQ(error_of(lzw.bytes()), ErrorKind::Unsupported);
}

// Every prefix of a file with an xref stream and an object stream, and many one-byte changes:
// either a result whose carriers lie inside the file, or Error(Malformed/Unsupported).
TEST(FormatsPdf, TruncationsAndFlipsNeverCrash) {
  std::string store = fake_store(40);
  auto [payload, first] = object_stream_payload({{1, "<</Type/Catalog/AF[3 0 R]>>"}, {3, kFileSpec}});
  PdfWriter w;
  w.stream(5, "/Type/ObjStm/N 2/First " + std::to_string(first) + "/Filter/FlateDecode", deflate(payload));
  w.stream(4, kEmbedded, store);
  w.xref_stream(6, "/Size 7/Root 1 0 R", {{1, {5, 0}}, {3, {5, 1}}});
  Bytes file = w.bytes();
  ASSERT_EQ(store_of(carrier_of(file)), store);
  auto check = [](const Bytes& bytes) {
    try {
      auto src = make_span_source(bytes);
      auto c = find_c2pa(*src, Format::Pdf);
      for (const auto& r : c.carrier_ranges) EXPECT_LE(r.end(), bytes.size());
    } catch (const Error& e) {
      EXPECT_TRUE(e.kind() == ErrorKind::Malformed || e.kind() == ErrorKind::Unsupported) << e.what();
    }
  };
  for (size_t len = 0; len < file.size(); ++len) check(Bytes(file.begin(), file.begin() + long(len)));
  std::mt19937 rng(7);
  for (int i = 0; i < 3000; ++i) {
    Bytes flipped = file;
    flipped[rng() % flipped.size()] ^= uint8_t(1 + rng() % 255);
    check(flipped);
  }
}
