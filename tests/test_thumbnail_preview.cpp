// Embedded previews and the fast thumbnail policy (src/thumbnail/jpeg_preview.cpp): a JPEG's EXIF
// IFD1 thumbnail and MPF large thumbnails are found and used instead of decoding the pixels when they
// show the same picture (aspect ratio) and are large enough; large images without one get no
// thumbnail in fast mode; hostile offsets never crash. The preview and the main image have different
// colours here, so each test can tell which one the thumbnail came from. The last test signs through
// the CLI (keys from `veritrace c2pa keygen`).
#include <gtest/gtest.h>
#include <turbojpeg.h>
#include <zlib.h>

#include <filesystem>

#include "support/test_support.hpp"
#include "thumbnail/internal.hpp"
#include "thumbnail/thumbnail.hpp"

using veritrace::formats::Format;
using veritrace::thumbnail::make_thumbnail;
using veritrace::thumbnail::Thumbnail;
using veritrace::thumbnail::ThumbnailOptions;
using veritrace::thumbnail::ThumbnailOutcome;
using veritrace::thumbnail::ThumbnailSource;

namespace {

using Bytes = std::vector<uint8_t>;

struct Rgb {
  uint8_t r, g, b;
};
constexpr Rgb kMainColour{220, 30, 30};     // red
constexpr Rgb kExifColour{30, 30, 220};     // blue
constexpr Rgb kMpfColour{30, 200, 30};      // green

Bytes solid_jpeg(int w, int h, Rgb c) {
  std::vector<uint8_t> px(static_cast<size_t>(w) * static_cast<size_t>(h) * 3);
  for (size_t i = 0; i < px.size(); i += 3) px[i] = c.r, px[i + 1] = c.g, px[i + 2] = c.b;
  tjhandle t = tjInitCompress();
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  int rc = tjCompress2(t, px.data(), w, 0, h, TJPF_RGB, &buf, &size, TJSAMP_420, 90, 0);
  Bytes out;
  if (rc == 0) out.assign(buf, buf + size);
  tjFree(buf);
  tjDestroy(t);
  EXPECT_EQ(rc, 0);
  return out;
}

// The colour at the centre of a decoded JPEG, and its size.
struct Decoded {
  int w = 0, h = 0;
  Rgb centre{0, 0, 0};
};
Decoded decode(const Bytes& jpeg) {
  Decoded d;
  tjhandle t = tjInitDecompress();
  int sub = 0, cs = 0;
  EXPECT_EQ(tjDecompressHeader3(t, jpeg.data(), jpeg.size(), &d.w, &d.h, &sub, &cs), 0);
  std::vector<uint8_t> px(static_cast<size_t>(d.w) * static_cast<size_t>(d.h) * 3);
  EXPECT_EQ(tjDecompress2(t, jpeg.data(), jpeg.size(), px.data(), d.w, 0, d.h, TJPF_RGB, 0), 0);
  tjDestroy(t);
  const size_t at = (static_cast<size_t>(d.h / 2) * static_cast<size_t>(d.w) + static_cast<size_t>(d.w / 2)) * 3;
  d.centre = {px[at], px[at + 1], px[at + 2]};
  return d;
}
bool near(Rgb a, Rgb b) { return std::abs(a.r - b.r) < 24 && std::abs(a.g - b.g) < 24 && std::abs(a.b - b.b) < 24; }

void put16(Bytes& b, uint32_t v) { b.insert(b.end(), {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)}); }
void put32(Bytes& b, uint32_t v) { put16(b, v >> 16), put16(b, v & 0xFFFF); }
void put_segment(Bytes& out, uint8_t marker, const Bytes& body) {
  out.insert(out.end(), {0xFF, marker});
  put16(out, static_cast<uint32_t>(body.size() + 2));
  out.insert(out.end(), body.begin(), body.end());
}

struct CameraJpeg {
  CameraJpeg(Bytes m, std::optional<Bytes> e = std::nullopt, std::optional<Bytes> p = std::nullopt)
      : main(std::move(m)), exif(std::move(e)), mpf(std::move(p)) {}
  Bytes main;                    // the primary image (SOI..EOI of a plain JPEG)
  std::optional<Bytes> exif;     // IFD1 thumbnail
  std::optional<Bytes> mpf;      // MPF large thumbnail, appended after the primary image
  int orientation = 1;
  size_t padding = 0;            // bytes after the main image, to make a large file cheaply
  uint32_t exif_offset_bias = 0; // corrupts the IFD1 offset
  uint32_t mpf_offset_bias = 0;  // corrupts the MPF entry offset
};

// SOI, APP1 Exif (IFD0 Orientation -> IFD1 thumbnail), APP2 MPF (two entries), the rest of the main
// image, padding, then the MPF preview.
Bytes build(const CameraJpeg& c) {
  Bytes app1 = {'E', 'x', 'i', 'f', 0, 0, 'M', 'M'};
  put16(app1, 42), put32(app1, 8);
  put16(app1, 1), put16(app1, 0x0112), put16(app1, 3), put32(app1, 1), put16(app1, static_cast<uint32_t>(c.orientation)), put16(app1, 0);
  if (c.exif) {
    put32(app1, 26);
    put16(app1, 2);
    put16(app1, 0x0201), put16(app1, 4), put32(app1, 1), put32(app1, 56 + c.exif_offset_bias);
    put16(app1, 0x0202), put16(app1, 4), put32(app1, 1), put32(app1, static_cast<uint32_t>(c.exif->size()));
    put32(app1, 0);
    app1.insert(app1.end(), c.exif->begin(), c.exif->end());
  } else {
    put32(app1, 0);
  }
  Bytes out = {0xFF, 0xD8};
  put_segment(out, 0xE1, app1);
  size_t mpf_tiff = 0, mpf_entry1 = 0;
  if (c.mpf) {
    Bytes app2 = {'M', 'P', 'F', 0, 'M', 'M'};
    put16(app2, 42), put32(app2, 8);
    put16(app2, 2);
    put16(app2, 0xB001), put16(app2, 4), put32(app2, 1), put32(app2, 2);
    put16(app2, 0xB002), put16(app2, 7), put32(app2, 32), put32(app2, 38);
    put32(app2, 0);
    put32(app2, 0x20030000), put32(app2, 0), put32(app2, 0), put32(app2, 0);  // size patched below
    put32(app2, 0x00010002), put32(app2, static_cast<uint32_t>(c.mpf->size())), put32(app2, 0), put32(app2, 0);
    mpf_tiff = out.size() + 4 + 4;
    mpf_entry1 = mpf_tiff + 38 + 16;
    put_segment(out, 0xE2, app2);
  }
  out.insert(out.end(), c.main.begin() + 2, c.main.end());
  out.resize(out.size() + c.padding, 0);
  if (c.mpf) {
    const uint32_t rel = static_cast<uint32_t>(out.size() - mpf_tiff) + c.mpf_offset_bias;
    for (int i = 0; i < 4; ++i) out[mpf_entry1 + 8 + static_cast<size_t>(i)] = static_cast<uint8_t>(rel >> (24 - 8 * i));
    out.insert(out.end(), c.mpf->begin(), c.mpf->end());
  }
  return out;
}

std::optional<Thumbnail> thumb(const Bytes& jpeg, bool fast, int max_side, ThumbnailOutcome* outcome = nullptr) {
  auto src = veritrace::make_span_source(jpeg);
  ThumbnailOptions o;
  o.fast = fast;
  o.max_side = max_side;
  return make_thumbnail(*src, Format::Jpeg, o, outcome);
}

TEST(ThumbnailPreview, FindsExifAndMpfPreviews) {
  CameraJpeg c{solid_jpeg(640, 480, kMainColour), solid_jpeg(160, 120, kExifColour), solid_jpeg(320, 240, kMpfColour)};
  Bytes file = build(c);
  auto refs = veritrace::thumbnail::detail::find_jpeg_previews(file, file.size());
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_FALSE(refs[0].from_mpf);
  EXPECT_EQ(Bytes(file.begin() + static_cast<ptrdiff_t>(refs[0].offset), file.begin() + static_cast<ptrdiff_t>(refs[0].offset + refs[0].length)), *c.exif);
  EXPECT_TRUE(refs[1].from_mpf);
  EXPECT_EQ(Bytes(file.begin() + static_cast<ptrdiff_t>(refs[1].offset), file.end()), *c.mpf);
}

TEST(ThumbnailPreview, ExifThumbnailUsedWhenLargeEnough) {
  Bytes file = build(CameraJpeg{solid_jpeg(640, 480, kMainColour), solid_jpeg(160, 120, kExifColour)});
  auto t = thumb(file, true, 128);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->source, ThumbnailSource::EmbeddedPreview);
  Decoded d = decode(t->data);
  EXPECT_EQ(d.w, 128);
  EXPECT_EQ(d.h, 96);
  EXPECT_TRUE(near(d.centre, kExifColour));
  // Not in fast mode: always the pixels.
  auto p = thumb(file, false, 128);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->source, ThumbnailSource::Pixels);
  EXPECT_TRUE(near(decode(p->data).centre, kMainColour));
}

TEST(ThumbnailPreview, SmallFileWithSmallPreviewDecodesThePixels) {
  // 160 px < the 640 px the pixels give, and the file is cheap to decode: pixels win.
  Bytes file = build(CameraJpeg{solid_jpeg(640, 480, kMainColour), solid_jpeg(160, 120, kExifColour), solid_jpeg(320, 240, kMpfColour)});
  auto t = thumb(file, true, 1024);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->source, ThumbnailSource::Pixels);
  EXPECT_EQ(decode(t->data).w, 640);
  EXPECT_TRUE(near(decode(t->data).centre, kMainColour));
}

TEST(ThumbnailPreview, LargestPreviewChosen) {
  Bytes file = build(CameraJpeg{solid_jpeg(640, 480, kMainColour), solid_jpeg(160, 120, kExifColour), solid_jpeg(320, 240, kMpfColour)});
  auto t = thumb(file, true, 256);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->source, ThumbnailSource::EmbeddedPreview);
  Decoded d = decode(t->data);
  EXPECT_EQ(d.w, 256);
  EXPECT_EQ(d.h, 192);
  EXPECT_TRUE(near(d.centre, kMpfColour));
}

TEST(ThumbnailPreview, OtherAspectRatioIsNotAPreview) {
  // A square thumbnail of a 4:3 image shows something else (a crop, letterbox bars, a stale edit).
  Bytes file = build(CameraJpeg{solid_jpeg(640, 480, kMainColour), solid_jpeg(160, 160, kExifColour)});
  auto t = thumb(file, true, 128);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->source, ThumbnailSource::Pixels);
  EXPECT_TRUE(near(decode(t->data).centre, kMainColour));
}

TEST(ThumbnailPreview, LargeFileUsesSmallPreviewOrSkips) {
  const size_t padding = veritrace::thumbnail::kQuickJpegBytes + 1000;
  CameraJpeg with{solid_jpeg(640, 480, kMainColour), solid_jpeg(160, 120, kExifColour)};
  with.padding = padding;
  ThumbnailOutcome outcome;
  auto t = thumb(build(with), true, 1024, &outcome);
  ASSERT_TRUE(t);
  EXPECT_FALSE(outcome.skipped_large);
  EXPECT_EQ(t->source, ThumbnailSource::EmbeddedPreview);
  EXPECT_EQ(decode(t->data).w, 160);
  EXPECT_TRUE(near(decode(t->data).centre, kExifColour));

  CameraJpeg tiny = with;  // a preview below kMinPreviewSide is not used
  tiny.exif = solid_jpeg(96, 72, kExifColour);
  EXPECT_FALSE(thumb(build(tiny), true, 1024, &outcome));
  EXPECT_TRUE(outcome.skipped_large);

  CameraJpeg none = with;
  none.exif.reset();
  EXPECT_FALSE(thumb(build(none), true, 1024, &outcome));
  EXPECT_TRUE(outcome.skipped_large);
  auto forced = thumb(build(none), false, 1024, &outcome);  // the pixels on request
  ASSERT_TRUE(forced);
  EXPECT_FALSE(outcome.skipped_large);
  EXPECT_TRUE(near(decode(forced->data).centre, kMainColour));
}

TEST(ThumbnailPreview, MainImageOrientationApplies) {
  CameraJpeg c{solid_jpeg(640, 480, kMainColour), solid_jpeg(160, 120, kExifColour)};
  c.orientation = 6;  // rotate 90 degrees to display
  auto t = thumb(build(c), true, 128);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->source, ThumbnailSource::EmbeddedPreview);
  EXPECT_EQ(decode(t->data).w, 96);
  EXPECT_EQ(decode(t->data).h, 128);
}

TEST(ThumbnailPreview, BrokenPreviewsFallBack) {
  CameraJpeg c{solid_jpeg(640, 480, kMainColour), solid_jpeg(160, 120, kExifColour), solid_jpeg(320, 240, kMpfColour)};
  c.exif_offset_bias = 0x10000000;  // past the segment
  c.mpf_offset_bias = 0x10000000;   // past the file
  Bytes file = build(c);
  EXPECT_TRUE(veritrace::thumbnail::detail::find_jpeg_previews(file, file.size()).empty());
  auto t = thumb(file, true, 128);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->source, ThumbnailSource::Pixels);

  CameraJpeg garbage{solid_jpeg(640, 480, kMainColour), Bytes{0xFF, 0xD8, 0xFF, 0xDB, 0, 4, 1, 2}};
  t = thumb(build(garbage), true, 128);  // a preview that does not decode
  ASSERT_TRUE(t);
  EXPECT_EQ(t->source, ThumbnailSource::Pixels);

  // Every truncation of a file with both previews: no crash, a thumbnail or none.
  Bytes both = build(CameraJpeg{solid_jpeg(64, 48, kMainColour), solid_jpeg(32, 24, kExifColour), solid_jpeg(48, 36, kMpfColour)});
  for (size_t n = 0; n < both.size(); n += 7) {
    Bytes cut(both.begin(), both.begin() + static_cast<ptrdiff_t>(n));
    (void)veritrace::thumbnail::detail::find_jpeg_previews(cut, cut.size());
    (void)thumb(cut, true, 16);
  }
}

TEST(ThumbnailPreview, LargePngSkippedInFastMode) {
  // Headers only: a PNG signature, IHDR for 4000x3000 and an empty IDAT are enough for the budget
  // check (without fast mode this file would fail later, at the missing image data).
  Bytes png = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
  put32(png, 4000), put32(png, 3000);
  png.insert(png.end(), {8, 2, 0, 0, 0});
  put32(png, static_cast<uint32_t>(crc32(0, png.data() + 12, 17)));
  put32(png, 0);  // the header of an (empty) IDAT: libpng's header read stops there
  png.insert(png.end(), {'I', 'D', 'A', 'T'});
  put32(png, static_cast<uint32_t>(crc32(0, png.data() + png.size() - 4, 4)));
  auto src = veritrace::make_span_source(png);
  ThumbnailOptions o;
  o.fast = true;
  ThumbnailOutcome outcome;
  EXPECT_FALSE(make_thumbnail(*src, Format::Png, o, &outcome));
  EXPECT_TRUE(outcome.skipped_large);
}

TEST(ThumbnailPreview, SignerUsesTheEmbeddedPreview) {
  const auto cli = vt_test::cli_path();
  if (!std::filesystem::exists(cli)) GTEST_SKIP() << "the veritrace CLI is not built (" << cli << "): skipping";
  vt_test::TempDir dir;
  auto q = [](const std::filesystem::path& p) { return vt_test::shell_quote(p.string()); };
  ASSERT_EQ(vt_test::run(q(cli) + " c2pa keygen " + q(dir.path() / "keys")).exit_code, 0);
  CameraJpeg c{solid_jpeg(640, 480, kMainColour), solid_jpeg(160, 120, kExifColour)};
  c.padding = veritrace::thumbnail::kQuickJpegBytes + 1000;
  vt_test::write_file(dir.path() / "cam.jpg", build(c));
  c.exif.reset();
  vt_test::write_file(dir.path() / "plain.jpg", build(c));
  const std::string keys = " --cert " + q(dir.path() / "keys/chain.pem") + " --key " + q(dir.path() / "keys/key.pem");
  auto sign = [&](const std::string& in, const std::string& extra) {
    return vt_test::run(q(cli) + " c2pa sign " + q(dir.path() / in) + " -o " + q(dir.path() / "out.jpg") + keys + " --json" + extra);
  };
  auto r = sign("cam.jpg", "");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"claim_thumbnail\": \"embedded-preview\""), std::string::npos) << r.out;
  auto read = vt_test::run(q(cli) + " c2pa read --json " + q(dir.path() / "out.jpg") + " --trust " + q(dir.path() / "keys/root.pem"));
  EXPECT_EQ(read.exit_code, 0) << read.err;
  EXPECT_NE(read.out.find("\"Trusted\""), std::string::npos) << read.out;
  EXPECT_NE(read.out.find("c2pa.thumbnail.claim"), std::string::npos);

  r = sign("plain.jpg", "");  // large, no preview: none by default, with a note
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"claim_thumbnail\": \"none\""), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("--thumbnail"), std::string::npos) << r.err;
  r = sign("plain.jpg", " --thumbnail");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"claim_thumbnail\": \"pixels\""), std::string::npos) << r.out;
  EXPECT_EQ(sign("plain.jpg", " --thumbnail --no-thumbnail").exit_code, 2);

  // A parent always gets an ingredient thumbnail, even a large one without a preview.
  r = sign("cam.jpg", " --no-thumbnail");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::filesystem::rename(dir.path() / "out.jpg", dir.path() / "small.jpg");
  r = vt_test::run(q(cli) + " c2pa sign " + q(dir.path() / "small.jpg") + " -o " + q(dir.path() / "child.jpg") + keys +
                   " --parent " + q(dir.path() / "plain.jpg"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  read = vt_test::run(q(cli) + " c2pa read --json " + q(dir.path() / "child.jpg") + " --trust " + q(dir.path() / "keys/root.pem"));
  EXPECT_NE(read.out.find("c2pa.thumbnail.ingredient"), std::string::npos) << read.out.substr(0, 3000);
}

}  // namespace
