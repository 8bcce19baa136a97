// media: decode/encode round trips, channel handling, orientation, limits and hostile input.
#include <gtest/gtest.h>
#include <turbojpeg.h>

#include <cmath>
#include <cstring>

#include "media/internal.hpp"
#include "support/test_support.hpp"
#include "veritrace/media.hpp"

using namespace veritrace;
using namespace veritrace::media;

namespace {

Image gradient(int w, int h, int channels) {
  Image img;
  img.width = w;
  img.height = h;
  img.channels = channels;
  img.pixels.resize(static_cast<size_t>(w) * h * channels);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < channels; ++c)
        img.row(y)[x * channels + c] = static_cast<uint8_t>((x * 3 + y * 5 + c * 70) & 0xFF);
  return img;
}

Image decode_bytes(const std::vector<uint8_t>& bytes, DecodeOptions options = {}) {
  auto src = make_span_source(bytes);
  return decode_image(*src, options);
}

// No wrap-around edges: what a lossy codec should reproduce closely.
Image smooth(int w, int h, int channels) {
  Image img = gradient(w, h, channels);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < channels; ++c)
        img.row(y)[x * channels + c] = static_cast<uint8_t>(std::min(255, x * 2 + y * 2 + c * 20));
  return img;
}

double mean_abs_diff(const Image& a, const Image& b) {
  EXPECT_EQ(a.pixels.size(), b.pixels.size());
  double sum = 0;
  for (size_t i = 0; i < a.pixels.size() && i < b.pixels.size(); ++i) sum += std::abs(a.pixels[i] - b.pixels[i]);
  return sum / static_cast<double>(a.pixels.size());
}

ErrorKind kind_of(const std::vector<uint8_t>& bytes, DecodeOptions options = {}) {
  try {
    decode_bytes(bytes, options);
  } catch (const Error& e) {
    return e.kind();
  }
  return ErrorKind::Internal;  // "no error" is reported as Internal so tests fail clearly
}

}  // namespace

TEST(Media, PngRoundTripIsExactForEveryChannelCount) {
  for (int channels : {1, 3, 4}) {
    const Image img = gradient(37, 19, channels);
    const auto png = encode_png(img);
    const Image back = decode_bytes(png);
    EXPECT_EQ(back.width, 37);
    EXPECT_EQ(back.height, 19);
    EXPECT_EQ(back.channels, channels);
    EXPECT_EQ(back.pixels, img.pixels) << channels;
    EXPECT_EQ(back.source_format, "png");
  }
}

TEST(Media, ForceRgbDropsAlphaAndExpandsGray) {
  const Image rgba = gradient(8, 8, 4);
  const Image rgb = decode_bytes(encode_png(rgba), DecodeOptions{.force_rgb = true});
  ASSERT_EQ(rgb.channels, 3);
  EXPECT_EQ(rgb.pixels[0], rgba.pixels[0]);
  EXPECT_EQ(rgb.pixels[5], rgba.pixels[6]);  // pixel 1, channel 2
  const Image gray = gradient(8, 8, 1);
  const Image g3 = decode_bytes(encode_png(gray), DecodeOptions{.force_rgb = true});
  ASSERT_EQ(g3.channels, 3);
  EXPECT_EQ(g3.pixels[3], gray.pixels[1]);
  EXPECT_EQ(g3.pixels[4], gray.pixels[1]);
}

TEST(Media, JpegRoundTripIsClose) {
  const Image img = smooth(64, 48, 3);
  for (auto s : {Subsampling::S444, Subsampling::S420}) {
    const Image back = decode_bytes(encode_jpeg(img, 95, s));
    ASSERT_EQ(back.channels, 3);
    ASSERT_EQ(back.width, 64);
    EXPECT_LT(mean_abs_diff(img, back), 6.0);
  }
  const Image gray = smooth(64, 48, 1);
  const Image gback = decode_bytes(encode_jpeg(gray, 95));
  EXPECT_EQ(gback.channels, 1);
  EXPECT_LT(mean_abs_diff(gray, gback), 6.0);
  // Lower quality gives a smaller file: the parameter reaches the encoder.
  EXPECT_LT(encode_jpeg(img, 30).size(), encode_jpeg(img, 95).size());
}

TEST(Media, WebpRoundTripIsCloseAndKeepsAlpha) {
  const Image img = smooth(40, 30, 3);
  const Image back = decode_bytes(encode_webp(img, 90));
  ASSERT_EQ(back.channels, 3);
  EXPECT_LT(mean_abs_diff(img, back), 12.0);
  const Image rgba = gradient(40, 30, 4);
  const Image back4 = decode_bytes(encode_webp(rgba, 90));
  EXPECT_EQ(back4.channels, 4);
  EXPECT_EQ(back4.source_format, "webp");
}

TEST(Media, SixteenBitPngIsReducedToEightBits) {
  // Our encoder writes 8 bits; the 16-bit case uses a tiny fixture (3x1 gray, made with zlib).
  const Image img = gradient(4, 4, 3);
  EXPECT_EQ(decode_bytes(encode_png(img)).source_bit_depth, 8);
  const auto path = std::string(VT_SOURCE_DIR) + "/tests/fixtures/media/gray16.png";
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    std::fclose(f);
    const Image g = decode_image_file(path);
    EXPECT_EQ(g.source_bit_depth, 16);
    EXPECT_EQ(g.channels, 1);
    ASSERT_EQ(g.width, 3);
    // The fixture holds 0x0000, 0x8080, 0xFFFF: the high byte survives.
    EXPECT_EQ(g.pixels[0], 0x00);
    EXPECT_EQ(g.pixels[1], 0x80);
    EXPECT_EQ(g.pixels[2], 0xFF);
  } else {
    ADD_FAILURE() << "fixture missing: " << path;
  }
}

TEST(Media, ExifOrientationIsApplied) {
  // 3x2 image, orientation 6 (rotate 90 clockwise to view) -> 2x3.
  Image img = gradient(3, 2, 1);
  const Image turned = detail::apply_orientation(img, 6);
  ASSERT_EQ(turned.width, 2);
  ASSERT_EQ(turned.height, 3);
  // Top-left of the upright view is the stored bottom-left pixel.
  EXPECT_EQ(turned.pixels[0], img.row(1)[0]);
  EXPECT_EQ(turned.row(0)[1], img.row(0)[0]);
  const Image flipped = detail::apply_orientation(img, 3);
  EXPECT_EQ(flipped.row(0)[0], img.row(1)[2]);

  // A JPEG with an APP1 Exif segment carrying orientation 6 is decoded upright.
  auto jpg = encode_jpeg(gradient(16, 8, 3), 95);
  const uint8_t exif[] = {0xFF, 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0,  // APP1, length 34
                          'M', 'M', 0, 42, 0, 0, 0, 8,                       // TIFF header
                          0, 1,                                              // one entry
                          0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0,          // Orientation = 6
                          0, 0, 0, 0};                                       // no next IFD
  jpg.insert(jpg.begin() + 2, std::begin(exif), std::end(exif));
  EXPECT_EQ(detail::jpeg_exif_orientation(jpg), 6);
  const Image upright = decode_bytes(jpg);
  EXPECT_EQ(upright.width, 8);
  EXPECT_EQ(upright.height, 16);
  const Image stored = decode_bytes(jpg, DecodeOptions{.apply_exif_orientation = false});
  EXPECT_EQ(stored.width, 16);
}

TEST(Media, PixelLimitIsCheckedBeforeDecoding) {
  const auto png = encode_png(gradient(100, 100, 3));
  EXPECT_EQ(kind_of(png, DecodeOptions{.max_pixels = 9999}), ErrorKind::Unsupported);
  EXPECT_NO_THROW(decode_bytes(png, DecodeOptions{.max_pixels = 10000}));
  const auto jpg = encode_jpeg(gradient(100, 100, 3), 80);
  EXPECT_EQ(kind_of(jpg, DecodeOptions{.max_pixels = 9999}), ErrorKind::Unsupported);
  const auto webp = encode_webp(gradient(100, 100, 3), 80);
  EXPECT_EQ(kind_of(webp, DecodeOptions{.max_pixels = 9999}), ErrorKind::Unsupported);
}

TEST(Media, UnknownAndEmptyInputIsUnsupported) {
  EXPECT_EQ(kind_of({}), ErrorKind::Unsupported);
  EXPECT_EQ(kind_of({'G', 'I', 'F', '8', '9', 'a'}), ErrorKind::Unsupported);
  auto src = make_memory_source({'B', 'M', 0, 0});
  EXPECT_EQ(sniff_image_format(*src), ImageFormat::Unknown);
}

TEST(Media, TruncatedAndCorruptFilesAreMalformedAtEveryLength) {
  const Image img = gradient(48, 32, 3);
  const std::vector<std::vector<uint8_t>> files = {encode_jpeg(img, 90), encode_png(img), encode_webp(img, 80)};
  for (const auto& full : files) {
    for (size_t cut = 1; cut < full.size(); cut += std::max<size_t>(1, full.size() / 97)) {
      std::vector<uint8_t> part(full.begin(), full.begin() + static_cast<long>(cut));
      const ErrorKind k = kind_of(part);
      EXPECT_TRUE(k == ErrorKind::Malformed || k == ErrorKind::Unsupported) << "cut at " << cut << " of " << full.size();
    }
    // Overwrite the middle with garbage: an error or a decoded image, never a crash.
    std::vector<uint8_t> bad = full;
    for (size_t i = bad.size() / 3; i < bad.size() / 3 + 40 && i < bad.size(); ++i) bad[i] = static_cast<uint8_t>(i * 37);
    try {
      decode_bytes(bad);
    } catch (const Error& e) {
      EXPECT_TRUE(e.kind() == ErrorKind::Malformed || e.kind() == ErrorKind::Unsupported) << e.what();
    }
  }
}

TEST(Media, EncodersRejectBadArguments) {
  const Image img = gradient(8, 8, 3);
  EXPECT_THROW(encode_jpeg(img, 0), Error);
  EXPECT_THROW(encode_jpeg(img, 101), Error);
  EXPECT_THROW(encode_webp(img, 101), Error);
  EXPECT_THROW(encode_png(Image{}), Error);
}

TEST(Media, CmykJpegIsUnsupported) {
  // libjpeg-turbo writes a 4-component (Adobe CMYK) JPEG from CMYK pixels.
  std::vector<uint8_t> cmyk(16 * 16 * 4, 0);
  for (size_t i = 0; i < cmyk.size(); ++i) cmyk[i] = static_cast<uint8_t>(i * 13);
  tjhandle tj = tjInitCompress();
  ASSERT_NE(tj, nullptr);
  unsigned char* out = nullptr;
  unsigned long size = 0;
  ASSERT_EQ(tjCompress2(tj, cmyk.data(), 16, 0, 16, TJPF_CMYK, &out, &size, TJSAMP_444, 90, 0), 0) << tjGetErrorStr2(tj);
  std::vector<uint8_t> jpg(out, out + size);
  tjFree(out);
  tjDestroy(tj);
  try {
    decode_bytes(jpg);
    ADD_FAILURE() << "a CMYK JPEG was decoded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_NE(std::string(e.what()).find("CMYK"), std::string::npos) << e.what();
  }
}

TEST(Media, AnimatedWebpIsUnsupported) {
  // RIFF/WEBP with a VP8X header whose animation flag is set, and an ANIM chunk: the header is
  // enough for libwebp to report an animation.
  std::vector<uint8_t> w = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P',
                            'V', 'P', '8', 'X', 10, 0, 0, 0, 0x02, 0, 0, 0, 15, 0, 0, 15, 0, 0,
                            'A', 'N', 'I', 'M', 6, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  const uint32_t riff = static_cast<uint32_t>(w.size() - 8);
  for (int i = 0; i < 4; ++i) w[4 + i] = static_cast<uint8_t>(riff >> (8 * i));
  try {
    decode_bytes(w);
    ADD_FAILURE() << "an animated WebP was decoded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported) << e.what();
  }
}
