// Thumbnails (src/thumbnail): JPEG and PNG inputs made here with TurboJPEG and libpng, every PNG
// colour type and bit depth, Adam7, EXIF orientation; the output decodes, its long side is at most
// max_side and the aspect ratio is kept. Hostile input (truncated, corrupt, huge dimensions) gives
// nullopt quickly and without large allocations.
#include <gtest/gtest.h>
#include <png.h>
#include <sys/resource.h>
#include <turbojpeg.h>
#include <zlib.h>

#include <chrono>
#include <cmath>
#include <csetjmp>
#include <cstring>
#include <functional>
#include <random>

#include "support/test_support.hpp"
#include "thumbnail/thumbnail.hpp"

using veritrace::formats::Format;
using veritrace::thumbnail::make_thumbnail;
using veritrace::thumbnail::Thumbnail;

namespace {

struct Rgba {
  uint8_t r, g, b, a;
};
using PixelFn = std::function<Rgba(int x, int y)>;

Rgba solid(int, int) { return {200, 40, 90, 255}; }

// ---- writers ---------------------------------------------------------------------------------

std::vector<uint8_t> write_jpeg(int w, int h, const PixelFn& px, int subsamp = TJSAMP_420, bool gray = false,
                                int quality = 90) {
  std::vector<uint8_t> pixels(static_cast<size_t>(w) * static_cast<size_t>(h) * 3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      Rgba p = px(x, y);
      uint8_t* d = &pixels[(static_cast<size_t>(y) * static_cast<size_t>(w) + static_cast<size_t>(x)) * 3];
      d[0] = p.r, d[1] = p.g, d[2] = p.b;
    }
  }
  tjhandle h_ = tjInitCompress();
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  int rc = tjCompress2(h_, pixels.data(), w, 0, h, TJPF_RGB, &buf, &size, gray ? TJSAMP_GRAY : subsamp, quality, 0);
  std::vector<uint8_t> out;
  if (rc == 0) out.assign(buf, buf + size);
  tjFree(buf);
  tjDestroy(h_);
  if (rc != 0) ADD_FAILURE() << "tjCompress2 failed";
  return out;
}

// Inserts an APP1 Exif segment with IFD0 Orientation right after SOI.
std::vector<uint8_t> with_orientation(const std::vector<uint8_t>& jpeg, int orientation, bool little_endian) {
  std::vector<uint8_t> tiff;
  auto p16 = [&](uint32_t v) {
    if (little_endian) tiff.insert(tiff.end(), {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8)});
    else tiff.insert(tiff.end(), {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)});
  };
  auto p32 = [&](uint32_t v) {
    if (little_endian) p16(v & 0xFFFF), p16(v >> 16);
    else p16(v >> 16), p16(v & 0xFFFF);
  };
  tiff.insert(tiff.end(), little_endian ? std::initializer_list<uint8_t>{'I', 'I'} : std::initializer_list<uint8_t>{'M', 'M'});
  p16(42);
  p32(8);
  p16(2);  // two entries: XResolution-like filler, then Orientation
  p16(0x011A), p16(5), p32(1), p32(0);
  p16(0x0112), p16(3), p32(1), p16(static_cast<uint32_t>(orientation)), p16(0);
  p32(0);
  std::vector<uint8_t> seg = {'E', 'x', 'i', 'f', 0, 0};
  seg.insert(seg.end(), tiff.begin(), tiff.end());
  std::vector<uint8_t> out(jpeg.begin(), jpeg.begin() + 2);
  out.push_back(0xFF);
  out.push_back(0xE1);
  out.push_back(static_cast<uint8_t>((seg.size() + 2) >> 8));
  out.push_back(static_cast<uint8_t>(seg.size() + 2));
  out.insert(out.end(), seg.begin(), seg.end());
  out.insert(out.end(), jpeg.begin() + 2, jpeg.end());
  return out;
}

struct PngSpec {
  int w = 0, h = 0;
  int color_type = PNG_COLOR_TYPE_RGB;
  int bit_depth = 8;
  bool interlace = false;
  bool trns = false;  // palette: entry 0 fully transparent; gray/RGB: a transparent colour key
};

void png_append(png_structp png, png_bytep data, size_t n) {
  auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + n);
}
void png_flush_noop(png_structp) {}
void png_write_error(png_structp png, png_const_charp) { png_longjmp(png, 1); }

// Only PODs here: longjmp may leave this frame.
bool png_write_all(png_structp png, png_infop info, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, info);
  return true;
}

// Packs px into rows of the PNG's colour type and depth. Palette images use a 2^depth entry ramp
// of the pixel's red value. Gray uses the red channel.
std::vector<uint8_t> write_png(const PngSpec& s, const PixelFn& px) {
  const int depth = s.bit_depth;
  const int channels = s.color_type == PNG_COLOR_TYPE_RGB ? 3 : s.color_type == PNG_COLOR_TYPE_RGBA ? 4
                       : s.color_type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : 1;
  const size_t rowbytes = (static_cast<size_t>(s.w) * static_cast<size_t>(channels) * static_cast<size_t>(depth) + 7) / 8;
  std::vector<uint8_t> data(rowbytes * static_cast<size_t>(s.h), 0);
  const int maxv = (1 << depth) - 1;
  for (int y = 0; y < s.h; ++y) {
    uint8_t* row = &data[rowbytes * static_cast<size_t>(y)];
    for (int x = 0; x < s.w; ++x) {
      Rgba p = px(x, y);
      uint8_t vals8[4] = {p.r, p.g, p.b, p.a};
      int n = channels;
      if (s.color_type == PNG_COLOR_TYPE_GRAY) vals8[0] = p.r;
      if (s.color_type == PNG_COLOR_TYPE_GRAY_ALPHA) vals8[0] = p.r, vals8[1] = p.a;
      for (int c = 0; c < n; ++c) {
        uint32_t v = static_cast<uint32_t>((vals8[c] * maxv + 127) / 255);
        if (s.color_type == PNG_COLOR_TYPE_PALETTE) v = static_cast<uint32_t>((p.r * maxv + 127) / 255);
        const size_t bit = (static_cast<size_t>(x) * static_cast<size_t>(n) + static_cast<size_t>(c)) * static_cast<size_t>(depth);
        if (depth == 16) {
          row[bit / 8] = static_cast<uint8_t>(v >> 8);
          row[bit / 8 + 1] = static_cast<uint8_t>(v);
        } else if (depth == 8) {
          row[bit / 8] = static_cast<uint8_t>(v);
        } else {
          row[bit / 8] = static_cast<uint8_t>(row[bit / 8] | (v << (8 - depth - static_cast<int>(bit % 8))));
        }
      }
    }
  }
  std::vector<uint8_t> out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, png_write_error, nullptr);
  png_infop info = png_create_info_struct(png);
  png_set_write_fn(png, &out, png_append, png_flush_noop);
  png_set_compression_level(png, 1);
  png_set_IHDR(png, info, static_cast<png_uint_32>(s.w), static_cast<png_uint_32>(s.h), depth, s.color_type,
               s.interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  std::vector<png_color> palette;
  if (s.color_type == PNG_COLOR_TYPE_PALETTE) {
    for (int i = 0; i <= maxv; ++i) {
      auto v = static_cast<png_byte>(i * 255 / maxv);
      palette.push_back({v, static_cast<png_byte>(255 - v), 0});
    }
    png_set_PLTE(png, info, palette.data(), static_cast<int>(palette.size()));
    if (s.trns) {
      png_byte alpha[1] = {0};
      png_set_tRNS(png, info, alpha, 1, nullptr);
    }
  } else if (s.trns) {
    png_color_16 key{};  // black is transparent
    png_set_tRNS(png, info, nullptr, 0, &key);
  }
  std::vector<png_bytep> rows(static_cast<size_t>(s.h));
  for (int y = 0; y < s.h; ++y) rows[static_cast<size_t>(y)] = &data[rowbytes * static_cast<size_t>(y)];
  bool ok = png_write_all(png, info, rows.data());
  png_destroy_write_struct(&png, &info);
  if (!ok) ADD_FAILURE() << "writing the PNG failed";
  return out;
}

// ---- checks ----------------------------------------------------------------------------------

struct Decoded {
  int w = 0, h = 0;
  std::vector<uint8_t> rgb;
  Rgba at(int x, int y) const {
    const uint8_t* p = &rgb[(static_cast<size_t>(y) * static_cast<size_t>(w) + static_cast<size_t>(x)) * 3];
    return {p[0], p[1], p[2], 255};
  }
  Rgba center() const { return at(w / 2, h / 2); }
};

Decoded decode(const Thumbnail& t) {
  Decoded d;
  tjhandle h = tjInitDecompress();
  int sub = 0, cs = 0;
  if (tjDecompressHeader3(h, t.data.data(), t.data.size(), &d.w, &d.h, &sub, &cs) != 0) {
    ADD_FAILURE() << "thumbnail header does not decode";
    tjDestroy(h);
    return d;
  }
  EXPECT_EQ(sub, TJSAMP_420);
  d.rgb.resize(static_cast<size_t>(d.w) * static_cast<size_t>(d.h) * 3);
  EXPECT_EQ(tjDecompress2(h, t.data.data(), t.data.size(), d.rgb.data(), d.w, 0, d.h, TJPF_RGB, TJFLAG_STOPONWARNING), 0)
      << tjGetErrorStr2(h);
  tjDestroy(h);
  return d;
}

std::optional<Thumbnail> thumb(const std::vector<uint8_t>& bytes, Format f, int max_side = 1024) {
  auto src = veritrace::make_span_source(bytes, "test");
  return make_thumbnail(*src, f, max_side);
}

void expect_near(Rgba got, Rgba want, int tol, const std::string& what) {
  EXPECT_NEAR(got.r, want.r, tol) << what;
  EXPECT_NEAR(got.g, want.g, tol) << what;
  EXPECT_NEAR(got.b, want.b, tol) << what;
}

// Output geometry: long side <= max_side (== when the input was larger), aspect ratio kept.
void expect_geometry(const Thumbnail& t, const Decoded& d, int w, int h, int max_side, const std::string& what) {
  EXPECT_EQ(t.media_type, "image/jpeg") << what;
  EXPECT_EQ(d.w, t.width) << what;
  EXPECT_EQ(d.h, t.height) << what;
  EXPECT_LE(std::max(d.w, d.h), max_side) << what;
  if (std::max(w, h) <= max_side) {
    EXPECT_EQ(d.w, w) << what;
    EXPECT_EQ(d.h, h) << what;
  } else {
    EXPECT_EQ(std::max(d.w, d.h), max_side) << what;
    const double want = static_cast<double>(w) / h, got = static_cast<double>(d.w) / d.h;
    // One pixel of rounding on the short side.
    const double tol = want * (1.0 / std::min(d.w, d.h)) + 1e-9;
    EXPECT_NEAR(got, want, tol) << what;
  }
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

long peak_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// Left half red, right half blue.
Rgba halves(int x, int, int w) { return x < w / 2 ? Rgba{230, 20, 20, 255} : Rgba{20, 20, 230, 255}; }

// ---- JPEG ------------------------------------------------------------------------------------

TEST(ThumbnailJpeg, SizesAndColour) {
  struct Case {
    int w, h, max_side, subsamp;
    bool gray;
  };
  const std::vector<Case> cases = {
      {640, 480, 1024, TJSAMP_420, false}, {1024, 1024, 1024, TJSAMP_444, false}, {1025, 1, 1024, TJSAMP_420, false},
      {4000, 3000, 1024, TJSAMP_420, false}, {3000, 4000, 1024, TJSAMP_422, false}, {5000, 100, 1024, TJSAMP_420, false},
      {2000, 1000, 256, TJSAMP_444, false}, {1500, 1100, 1024, TJSAMP_420, true},   {17, 9000, 512, TJSAMP_420, false},
      {8, 8, 1024, TJSAMP_420, false},
  };
  for (const auto& c : cases) {
    std::string what = std::to_string(c.w) + "x" + std::to_string(c.h) + " max " + std::to_string(c.max_side) +
                       (c.gray ? " gray" : "");
    auto jpeg = write_jpeg(c.w, c.h, solid, c.subsamp, c.gray);
    auto t = thumb(jpeg, Format::Jpeg, c.max_side);
    ASSERT_TRUE(t) << what;
    Decoded d = decode(*t);
    expect_geometry(*t, d, c.w, c.h, c.max_side, what);
    Rgba want = solid(0, 0);
    if (c.gray) {
      uint8_t y = static_cast<uint8_t>(std::lround(0.299 * want.r + 0.587 * want.g + 0.114 * want.b));
      want = {y, y, y, 255};
    }
    expect_near(d.center(), want, 10, what);
  }
}

TEST(ThumbnailJpeg, KeepsImageContent) {
  const int w = 3000, h = 2000;
  auto jpeg = write_jpeg(w, h, [&](int x, int y) { return halves(x, y, w); });
  auto t = thumb(jpeg, Format::Jpeg);
  ASSERT_TRUE(t);
  Decoded d = decode(*t);
  EXPECT_EQ(d.w, 1024);
  EXPECT_EQ(d.h, 683);
  expect_near(d.at(d.w / 4, d.h / 2), {230, 20, 20, 255}, 12, "left");
  expect_near(d.at(3 * d.w / 4, d.h / 2), {20, 20, 230, 255}, 12, "right");
}

TEST(ThumbnailJpeg, ExifOrientation) {
  const int w = 200, h = 100;
  auto base = write_jpeg(w, h, [&](int x, int y) { return halves(x, y, w); });
  const Rgba red{230, 20, 20, 255}, blue{20, 20, 230, 255};
  // Where the red (left) half ends up: orientation -> {width, height, red probe, blue probe}.
  struct Want {
    int o, w, h;
    std::pair<int, int> red, blue;
  };
  const std::vector<Want> wants = {
      {1, 200, 100, {50, 50}, {150, 50}},  {2, 200, 100, {150, 50}, {50, 50}}, {3, 200, 100, {150, 50}, {50, 50}},
      {4, 200, 100, {50, 50}, {150, 50}},  {5, 100, 200, {50, 50}, {50, 150}}, {6, 100, 200, {50, 50}, {50, 150}},
      {7, 100, 200, {50, 150}, {50, 50}},  {8, 100, 200, {50, 150}, {50, 50}},
  };
  for (bool le : {true, false}) {
    for (const auto& want : wants) {
      std::string what = "orientation " + std::to_string(want.o) + (le ? " II" : " MM");
      auto t = thumb(with_orientation(base, want.o, le), Format::Jpeg);
      ASSERT_TRUE(t) << what;
      Decoded d = decode(*t);
      EXPECT_EQ(d.w, want.w) << what;
      EXPECT_EQ(d.h, want.h) << what;
      expect_near(d.at(want.red.first, want.red.second), red, 12, what + " red");
      expect_near(d.at(want.blue.first, want.blue.second), blue, 12, what + " blue");
    }
  }
}

// ---- PNG -------------------------------------------------------------------------------------

TEST(ThumbnailPng, ColourTypesAndDepths) {
  struct Case {
    PngSpec spec;
    Rgba want;  // the centre colour expected
    std::string name;
  };
  const Rgba c = solid(0, 0);
  const std::vector<Case> cases = {
      {{300, 200, PNG_COLOR_TYPE_RGB, 8, false, false}, c, "rgb8"},
      {{300, 200, PNG_COLOR_TYPE_RGB, 16, false, false}, c, "rgb16"},
      {{300, 200, PNG_COLOR_TYPE_RGBA, 8, false, false}, c, "rgba8 opaque"},
      {{300, 200, PNG_COLOR_TYPE_RGBA, 16, true, false}, c, "rgba16 adam7"},
      {{300, 200, PNG_COLOR_TYPE_GRAY, 8, false, false}, {200, 200, 200, 255}, "gray8"},
      {{300, 200, PNG_COLOR_TYPE_GRAY, 16, false, false}, {200, 200, 200, 255}, "gray16"},
      {{300, 200, PNG_COLOR_TYPE_GRAY, 1, false, false}, {255, 255, 255, 255}, "gray1"},
      {{300, 200, PNG_COLOR_TYPE_GRAY, 2, false, false}, {170, 170, 170, 255}, "gray2"},
      {{301, 199, PNG_COLOR_TYPE_GRAY, 4, true, false}, {204, 204, 204, 255}, "gray4 adam7"},
      {{300, 200, PNG_COLOR_TYPE_GRAY_ALPHA, 8, false, false}, {200, 200, 200, 255}, "gray+alpha8"},
      {{300, 200, PNG_COLOR_TYPE_PALETTE, 8, false, false}, {200, 55, 0, 255}, "palette8"},
      {{300, 200, PNG_COLOR_TYPE_PALETTE, 2, false, false}, {170, 85, 0, 255}, "palette2"},
  };
  for (const auto& k : cases) {
    auto png = write_png(k.spec, solid);
    auto t = thumb(png, Format::Png);
    ASSERT_TRUE(t) << k.name;
    Decoded d = decode(*t);
    expect_geometry(*t, d, k.spec.w, k.spec.h, 1024, k.name);
    expect_near(d.center(), k.want, 10, k.name);
  }
}

TEST(ThumbnailPng, AlphaIsCompositedOnWhite) {
  auto transparent = [](int, int) { return Rgba{0, 0, 0, 0}; };
  auto half = [](int, int) { return Rgba{0, 0, 0, 128}; };
  for (int depth : {8, 16}) {
    auto t = thumb(write_png({64, 48, PNG_COLOR_TYPE_RGBA, depth, false, false}, transparent), Format::Png);
    ASSERT_TRUE(t);
    expect_near(decode(*t).center(), {255, 255, 255, 255}, 4, "transparent");
    t = thumb(write_png({64, 48, PNG_COLOR_TYPE_RGBA, depth, false, false}, half), Format::Png);
    ASSERT_TRUE(t);
    expect_near(decode(*t).center(), {127, 127, 127, 255}, 4, "half");
  }
  // tRNS: palette entry 0 (the pixel's red 0 maps there) and a gray colour key (black).
  auto black = [](int, int) { return Rgba{0, 0, 0, 255}; };
  auto t = thumb(write_png({64, 48, PNG_COLOR_TYPE_PALETTE, 4, false, true}, black), Format::Png);
  ASSERT_TRUE(t);
  expect_near(decode(*t).center(), {255, 255, 255, 255}, 4, "palette tRNS");
  t = thumb(write_png({64, 48, PNG_COLOR_TYPE_GRAY, 8, true, true}, black), Format::Png);
  ASSERT_TRUE(t);
  expect_near(decode(*t).center(), {255, 255, 255, 255}, 4, "gray tRNS adam7");
}

TEST(ThumbnailPng, LargeAndInterlacedKeepContent) {
  for (bool interlace : {false, true}) {
    const int w = 3000, h = 2000;
    auto png = write_png({w, h, PNG_COLOR_TYPE_RGB, 8, interlace, false}, [&](int x, int y) { return halves(x, y, w); });
    auto t = thumb(png, Format::Png);
    ASSERT_TRUE(t);
    Decoded d = decode(*t);
    std::string what = interlace ? "adam7" : "plain";
    EXPECT_EQ(d.w, 1024) << what;
    EXPECT_EQ(d.h, 683) << what;
    expect_near(d.at(d.w / 4, d.h / 2), {230, 20, 20, 255}, 12, what);
    expect_near(d.at(3 * d.w / 4, d.h / 2), {20, 20, 230, 255}, 12, what);
  }
}

// 100 MP (the limit) in 1-bit gray: decoded row by row, never the whole image (300 MB as RGB).
TEST(ThumbnailPng, HundredMegapixelsStreamsRows) {
  const int w = 10000, h = 10000;
  auto png = write_png({w, h, PNG_COLOR_TYPE_GRAY, 1, false, false}, [](int x, int) { return Rgba{static_cast<uint8_t>(x < 5000 ? 0 : 255), 0, 0, 255}; });
  const long rss0 = peak_rss_kb();
  auto t = thumb(png, Format::Png);
  const long rss1 = peak_rss_kb();
  ASSERT_TRUE(t);
  Decoded d = decode(*t);
  EXPECT_EQ(d.w, 1024);
  EXPECT_EQ(d.h, 1024);
  expect_near(d.at(100, 500), {0, 0, 0, 255}, 8, "left");
  expect_near(d.at(900, 500), {255, 255, 255, 255}, 8, "right");
  EXPECT_LT(rss1 - rss0, 64 * 1024) << "peak RSS grew by " << (rss1 - rss0) << " KiB";
}

// ---- hostile input ---------------------------------------------------------------------------

void set_be32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

// A PNG whose IHDR claims w x h (CRC fixed up).
std::vector<uint8_t> png_claiming(uint32_t w, uint32_t h) {
  auto png = write_png({16, 16, PNG_COLOR_TYPE_RGB, 8, false, false}, solid);
  set_be32(png, 16, w);
  set_be32(png, 20, h);
  set_be32(png, 29, static_cast<uint32_t>(crc32(0, &png[12], 17)));
  return png;
}

// A JPEG whose SOF claims w x h.
std::vector<uint8_t> jpeg_claiming(uint16_t w, uint16_t h) {
  auto jpeg = write_jpeg(16, 16, solid);
  for (size_t i = 2; i + 9 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {
      jpeg[i + 5] = static_cast<uint8_t>(h >> 8), jpeg[i + 6] = static_cast<uint8_t>(h);
      jpeg[i + 7] = static_cast<uint8_t>(w >> 8), jpeg[i + 8] = static_cast<uint8_t>(w);
      return jpeg;
    }
  }
  ADD_FAILURE() << "no SOF0";
  return jpeg;
}

TEST(ThumbnailHostile, HugeDimensionsAreRefusedFast) {
  struct Case {
    std::vector<uint8_t> bytes;
    Format f;
    std::string name;
  };
  const std::vector<Case> cases = {
      {png_claiming(20000, 20000), Format::Png, "png 400 MP"},
      {png_claiming(1000001, 1), Format::Png, "png too wide"},
      {png_claiming(0x7FFFFFFF, 0x7FFFFFFF), Format::Png, "png 2^31"},
      {png_claiming(0, 10), Format::Png, "png zero width"},
      {jpeg_claiming(65000, 65000), Format::Jpeg, "jpeg 4 GP"},
      {jpeg_claiming(20000, 5001), Format::Jpeg, "jpeg just over 100 MP"},
      {jpeg_claiming(0, 100), Format::Jpeg, "jpeg zero width"},
  };
  for (const auto& c : cases) {
    const long rss0 = peak_rss_kb();
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(thumb(c.bytes, c.f)) << c.name;
    EXPECT_LT(seconds_since(t0), 0.05) << c.name;
    EXPECT_LT(peak_rss_kb() - rss0, 16 * 1024) << c.name;
  }
}

TEST(ThumbnailHostile, TruncatedGivesNullopt) {
  auto jpeg = write_jpeg(640, 480, [](int x, int y) { return Rgba{static_cast<uint8_t>(x), static_cast<uint8_t>(y), 7, 255}; });
  auto png = write_png({640, 480, PNG_COLOR_TYPE_RGB, 8, false, false},
                       [](int x, int y) { return Rgba{static_cast<uint8_t>(x * 7), static_cast<uint8_t>(y * 3), 7, 255}; });
  auto png_i = write_png({640, 480, PNG_COLOR_TYPE_RGB, 8, true, false},
                         [](int x, int y) { return Rgba{static_cast<uint8_t>(x * 7), static_cast<uint8_t>(y * 3), 7, 255}; });
  for (double frac : {0.0, 0.01, 0.1, 0.5, 0.9, 0.99}) {
    auto cut = [&](const std::vector<uint8_t>& b) { return std::vector<uint8_t>(b.begin(), b.begin() + static_cast<long>(b.size() * frac)); };
    EXPECT_FALSE(thumb(cut(jpeg), Format::Jpeg)) << "jpeg " << frac;
    EXPECT_FALSE(thumb(cut(png), Format::Png)) << "png " << frac;
    EXPECT_FALSE(thumb(cut(png_i), Format::Png)) << "png adam7 " << frac;
  }
  // Only the JPEG's EOI missing: libjpeg warns (premature end), which counts as an error.
  EXPECT_FALSE(thumb(std::vector<uint8_t>(jpeg.begin(), jpeg.end() - 2), Format::Jpeg));
}

TEST(ThumbnailHostile, CorruptGivesNulloptOrAValidThumbnail) {
  auto jpeg = write_jpeg(320, 240, [](int x, int y) { return Rgba{static_cast<uint8_t>(x), static_cast<uint8_t>(y), 7, 255}; });
  auto png = write_png({320, 240, PNG_COLOR_TYPE_RGBA, 8, false, false},
                       [](int x, int y) { return Rgba{static_cast<uint8_t>(x), static_cast<uint8_t>(y), 7, 200}; });
  // A flipped byte in a PNG chunk fails its CRC: critical chunks are errors.
  auto bad = png;
  bad[bad.size() / 2] ^= 0x55;
  EXPECT_FALSE(thumb(bad, Format::Png));
  // Garbage where the JPEG's tables are.
  bad = jpeg;
  for (size_t i = 4; i < 40; ++i) bad[i] = 0xA5;
  EXPECT_FALSE(thumb(bad, Format::Jpeg));
  // Not images at all, and empty input.
  std::vector<uint8_t> noise(5000);
  std::mt19937 rng(7);
  for (auto& b : noise) b = static_cast<uint8_t>(rng());
  EXPECT_FALSE(thumb(noise, Format::Jpeg));
  EXPECT_FALSE(thumb(noise, Format::Png));
  EXPECT_FALSE(thumb({}, Format::Jpeg));
  EXPECT_FALSE(thumb({}, Format::Png));
  // Random byte flips: never a crash; whatever decodes is a real JPEG within bounds.
  for (int i = 0; i < 300; ++i) {
    for (auto* base : {&jpeg, &png}) {
      auto b = *base;
      for (int k = 0; k < 1 + i % 4; ++k) b[rng() % b.size()] = static_cast<uint8_t>(rng());
      auto t = thumb(b, base == &jpeg ? Format::Jpeg : Format::Png, 100);
      if (t) {
        Decoded d = decode(*t);
        EXPECT_LE(std::max(d.w, d.h), 100);
      }
    }
  }
}

TEST(ThumbnailFormats, OtherFormatsHaveNone) {
  auto jpeg = write_jpeg(64, 64, solid);
  for (Format f : {Format::Unknown, Format::Bmff, Format::Wav, Format::Jumbf, Format::Tiff, Format::Gif, Format::WebP}) {
    EXPECT_FALSE(thumb(jpeg, f)) << static_cast<int>(f);
  }
}

TEST(ThumbnailFormats, MaxSideIsClamped) {
  auto jpeg = write_jpeg(400, 300, solid);
  auto t = thumb(jpeg, Format::Jpeg, 1);  // clamped to 16
  ASSERT_TRUE(t);
  EXPECT_EQ(t->width, 16);
  EXPECT_EQ(t->height, 12);
}

}  // namespace
