// Known generator marks (invisible-watermark dwtDct: SD1, SD2, SDXL, FLUX.1): the library-compatible
// decoder's building blocks, an embed/decode round trip with an encoder written here from the
// documented rule, bad input, and zero detections on generated unmarked images.
#include <gtest/gtest.h>

#include <cstring>

#include <cmath>
#include <random>

#include "veritrace/core.hpp"
#include "veritrace/watermark.hpp"
#include "watermark/known_dwtdct.hpp"
#include "watermark/known_stats.hpp"

using namespace veritrace;
using namespace veritrace::watermark::known;

namespace {

media::Image make_image(int w, int h, int channels = 3) {
  media::Image img;
  img.width = w;
  img.height = h;
  img.channels = channels;
  img.pixels.assign(static_cast<size_t>(w) * h * channels, 0);
  return img;
}

// A textured colour image: smooth colour ramps plus per-pixel noise (values kept inside 30..225).
media::Image textured_image(int w, int h, uint32_t seed) {
  media::Image img = make_image(w, h);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> noise(-25, 25);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = img.row(y) + static_cast<size_t>(x) * 3;
      p[0] = static_cast<uint8_t>(std::clamp(90 + 60 * x / w + noise(rng), 30, 225));
      p[1] = static_cast<uint8_t>(std::clamp(120 + noise(rng), 30, 225));
      p[2] = static_cast<uint8_t>(std::clamp(80 + 70 * y / h + noise(rng), 30, 225));
    }
  return img;
}

// Textured, and in every 8x8 block one 2x2 cell (never the top-left one) has much more blue, so
// that cell's cA coefficient stays the block's largest after the embedding lowers it by up to 27
// (otherwise the decoder may read another coefficient, as it does in flat areas of real images).
media::Image spiky_textured_image(int w, int h, uint32_t seed) {
  media::Image img = textured_image(w, h, seed);
  std::mt19937 rng(seed + 1);
  for (int by = 0; by + 8 <= h; by += 8)
    for (int bx = 0; bx + 8 <= w; bx += 8) {
      const int cell = 1 + static_cast<int>(rng() % 15);
      for (int d = 0; d < 4; ++d) {
        uint8_t* p = img.row(by + 2 * (cell / 4) + d / 2) + static_cast<size_t>(bx + 2 * (cell % 4) + d % 2) * 3;
        p[2] = static_cast<uint8_t>(std::min(255, p[2] + 90));
      }
    }
  return img;
}

// The library's dwtDct embedding rule (../shared/docs/known-watermarks.md, section 2), float path,
// BGR order: Haar cA of U, per 4x4 cA block the first max-|v| coefficient among indices 1..15 is
// moved to (floor(|v|/36) + 0.25 + 0.5 bit) * 36 with v's sign; the change is spread over the 2x2
// pixels of that coefficient and mapped back to B and G with the inverse YUV matrix, then rounded.
media::Image embed_dwtdct_float(const media::Image& src, const std::vector<uint8_t>& bits) {
  media::Image out = src;
  const int wc = src.width / 4 * 4;
  const int hc = src.height / 4 * 4;
  const Plane u = u_plane(src, Domain::Float, Order::Bgr, 0, 0, wc, hc);
  const int caw = wc / 2;
  auto ca = [&](int x, int y) {
    return (u.at(2 * x, 2 * y) + u.at(2 * x + 1, 2 * y) + u.at(2 * x, 2 * y + 1) + u.at(2 * x + 1, 2 * y + 1)) / 2;
  };
  size_t n = 0;
  for (int by = 0; by < hc / 8; ++by)
    for (int bx = 0; bx < caw / 4; ++bx, ++n) {
      std::array<double, 16> block{};
      for (int i = 0; i < 16; ++i) block[static_cast<size_t>(i)] = ca(4 * bx + i % 4, 4 * by + i / 4);
      const int idx = select_coefficient(block);
      const double v = block[static_cast<size_t>(idx)];
      const int bit = bits[n % bits.size()];
      const double mag = (std::floor(std::fabs(v) / kQuantStep) + 0.25 + 0.5 * bit) * kQuantStep;
      const double delta_u = ((v >= 0 ? mag : -mag) - v) / 2;  // per pixel: cA is the sum / 2
      const int cx = 4 * bx + idx % 4, cy = 4 * by + idx / 4;
      for (int dy = 0; dy < 2; ++dy)
        for (int dx = 0; dx < 2; ++dx) {
          uint8_t* p = out.row(2 * cy + dy) + static_cast<size_t>(2 * cx + dx) * 3;
          p[2] = static_cast<uint8_t>(std::clamp(std::lround(p[2] + 2.032 * delta_u), 0L, 255L));  // B
          p[1] = static_cast<uint8_t>(std::clamp(std::lround(p[1] - 0.395 * delta_u), 0L, 255L));  // G
        }
    }
  return out;
}

const watermark::KnownMark& mark_named(const std::vector<watermark::KnownMark>& marks, const std::string& name) {
  for (const auto& m : marks)
    if (m.name == name) return m;
  throw Error(ErrorKind::Internal, "no entry " + name);
}

}  // namespace

TEST(KnownDwtDct, OpencvYuvIntegerFormulas) {
  // Values from the documented fixed-point formulas (B, G, R order).
  EXPECT_EQ(opencv_y_u8(255, 255, 255), 255);
  EXPECT_EQ(opencv_u_u8(255, 255, 255), 128);
  EXPECT_EQ(opencv_u_u8(0, 0, 0), 128);
  EXPECT_EQ(opencv_y_u8(255, 0, 0), 29);    // pure blue
  EXPECT_EQ(opencv_u_u8(255, 0, 0), 239);
  EXPECT_EQ(opencv_y_u8(0, 0, 255), 76);    // pure red
  EXPECT_EQ(opencv_u_u8(0, 0, 255), 91);
  EXPECT_EQ(opencv_y_u8(0, 255, 0), 150);   // pure green
  EXPECT_EQ(opencv_u_u8(0, 255, 0), 54);
  // Float path: offset 0.5, not 128.
  EXPECT_NEAR(opencv_u_float(0, 0, 0), 0.5f, 1e-6);
  EXPECT_NEAR(opencv_u_float(255, 0, 0), (255 - 0.114 * 255) * 0.492 + 0.5, 1e-3);
  EXPECT_NEAR(opencv_u_float(0, 0, 255), (0 - 0.299 * 255) * 0.492 + 0.5, 1e-3);
}

TEST(KnownDwtDct, UPlaneChannelOrderAndGray) {
  media::Image img = make_image(2, 1);
  img.pixels = {255, 0, 0, 0, 0, 255};  // red, blue (R,G,B)
  const Plane bgr = u_plane(img, Domain::U8, Order::Bgr, 0, 0, 2, 1);
  EXPECT_EQ(bgr.at(0, 0), 91);   // red
  EXPECT_EQ(bgr.at(1, 0), 239);  // blue
  const Plane rgb = u_plane(img, Domain::U8, Order::Rgb, 0, 0, 2, 1);  // R and B swapped
  EXPECT_EQ(rgb.at(0, 0), 239);
  EXPECT_EQ(rgb.at(1, 0), 91);
  media::Image gray = make_image(1, 1, 1);
  gray.pixels = {77};
  EXPECT_EQ(u_plane(gray, Domain::U8, Order::Bgr, 0, 0, 1, 1).at(0, 0), 128);
}

TEST(KnownDwtDct, HaarApproximationBand) {
  Plane p{4, 2, {1, 2, 10, 20, 3, 4, 30, 40}};
  for (Domain d : {Domain::U8, Domain::Float}) {
    const Plane ca = haar_ca(p, d);
    ASSERT_EQ(ca.width, 2);
    ASSERT_EQ(ca.height, 1);
    EXPECT_NEAR(ca.at(0, 0), (1 + 2 + 3 + 4) / 2.0, 1e-5);
    EXPECT_NEAR(ca.at(1, 0), (10 + 20 + 30 + 40) / 2.0, 1e-5);
  }
  // PyWavelets' float64 arithmetic (h*x + h*x twice, h = 1/sqrt 2) is not exactly a sum / 2:
  // e.g. four pixels of 27 give 54.000000000000014, which the library scores as a 1.
  Plane flat{2, 2, {27, 27, 27, 27}};
  const double v = haar_ca(flat, Domain::U8).at(0, 0);
  EXPECT_NE(v, 54.0);
  EXPECT_NEAR(v, 54.0, 1e-12);
  EXPECT_THROW(haar_ca(Plane{3, 2, std::vector<double>(6)}, Domain::U8), Error);
}

TEST(KnownDwtDct, CoefficientChoiceFollowsArgmaxTieRule) {
  std::array<double, 16> b{};
  b[0] = 1000;  // the top-left value is never chosen
  b[3] = -50;
  b[7] = 50;    // same |v| as index 3: the first one wins
  EXPECT_EQ(select_coefficient(b), 3);
  b[9] = 50.5;
  EXPECT_EQ(select_coefficient(b), 9);
  std::array<double, 16> flat{};
  flat.fill(7);
  EXPECT_EQ(select_coefficient(flat), 1);
}

TEST(KnownDwtDct, BlockScoreAndVote) {
  EXPECT_EQ(block_score(9), 0);
  EXPECT_EQ(block_score(27), 1);
  EXPECT_EQ(block_score(18), 0);  // strictly greater than 18
  EXPECT_EQ(block_score(18.5), 1);
  EXPECT_EQ(block_score(-27), 1);  // the magnitude counts
  EXPECT_EQ(block_score(36 + 9), 0);
  EXPECT_EQ(block_score(72 + 30), 1);
  EXPECT_EQ(vote_bit(1, 2), 1);      // an exact tie decodes as 1
  EXPECT_EQ(vote_bit(127, 255), 0);  // mean*255 = 127 is not > 127
  EXPECT_EQ(vote_bit(128, 255), 1);
  EXPECT_EQ(vote_bit(0, 0), 0);      // an empty bin (NaN in the library) decodes as 0
}

TEST(KnownDwtDct, HexConventionFirstBitMostSignificant) {
  const auto bits = hex_to_bits("2afe879cf52e", 46);
  ASSERT_EQ(bits.size(), 46u);
  EXPECT_EQ(bits[0], 1);  // 0x2afe... has two leading zero bits that FLUX's list does not carry
  EXPECT_EQ(bits[1], 0);
  EXPECT_EQ(bits_to_hex(bits), "2afe879cf52e");
  EXPECT_EQ(bits_to_hex(hex_to_bits("b3ec907bb19e", 48)), "b3ec907bb19e");
  EXPECT_EQ(bits_to_hex({1}), "1");
  EXPECT_EQ(bits_to_hex({1, 0, 0, 0, 0}), "10");
  EXPECT_THROW(hex_to_bits("zz", 8), Error);
}

TEST(KnownDwtDct, HypergeometricTail) {
  EXPECT_DOUBLE_EQ(log_hypergeometric_tail(10, 5, 5, 0), 0.0);
  // P(X >= 5) for all 5 drawn among the 5 successes of 10: 1 / C(10,5) = 1/252.
  EXPECT_NEAR(std::exp(log_hypergeometric_tail(10, 5, 5, 5)), 1.0 / 252, 1e-12);
  EXPECT_NEAR(std::exp(log_hypergeometric_tail(10, 5, 5, 4)), 26.0 / 252, 1e-12);
}

TEST(KnownDwtDct, StripPermutationTestIsExact) {
  // 4 bits, classes {0,2} and {1,3}, one 1 in each: 4 equally likely messages. Values favour bits
  // 0 and 1: only the message 1100 collects 3 + 2, so p = 1/4; 0011 ties with two others -> 3/4.
  const std::vector<double> v{3, 2, -3, -2};
  EXPECT_NEAR(std::exp(strip_log_p(v, {1, 1, 0, 0})), 0.25, 1e-12);
  EXPECT_NEAR(std::exp(strip_log_p(v, {0, 0, 1, 1})), 1.0, 1e-12);
  EXPECT_NEAR(std::exp(strip_log_p({1, 1, 2, 2}, {1, 0, 0, 1})), 0.75, 1e-12);
  // A shift of one parity class (e.g. JPEG 4:2:0 treating odd block columns differently) changes
  // nothing; constant values carry no evidence.
  EXPECT_NEAR(strip_log_p({3, 102, -3, 98}, {1, 1, 0, 0}), strip_log_p(v, {1, 1, 0, 0}), 1e-12);
  EXPECT_DOUBLE_EQ(strip_log_p(std::vector<double>(32, 5.0), hex_to_bits("53445632", 32)), 0.0);
  // 32 bits: the message itself as values reaches the floor 1 / (C(16,4) C(16,9)).
  std::vector<double> own;
  for (uint8_t b : hex_to_bits("53445632", 32)) own.push_back(b ? 1.0 : -1.0);
  EXPECT_NEAR(strip_log_p(own, hex_to_bits("53445632", 32)), -std::log(1820.0 * 11440.0), 1e-9);
  // Fisher: t (1 - ln t).
  const double t = 1e-4 * 1e-3;
  EXPECT_NEAR(std::exp(fisher_log_p(std::log(1e-4), std::log(1e-3))), t * (1 - std::log(t)), 1e-15);
  EXPECT_DOUBLE_EQ(fisher_log_p(0.0, 0.0), 0.0);
}

TEST(KnownDwtDct, ConstantDecodeHasNoEvidence) {
  // A grid where every block decodes the same way (flat image) must not match any message.
  BlockGrid g{64, 64, std::vector<double>(64 * 64, 30.0), {}};
  for (const auto& m : generator_messages()) {
    const MessageScore s = score_message(g, hex_to_bits(m.hex, m.length_bits));
    EXPECT_DOUBLE_EQ(s.log_p, 0.0) << m.name;
  }
}

// An encoder written from the documented rule, then our decoders: every generator message and
// length comes back exactly, and the detector names the right generator.
TEST(KnownDwtDct, EmbedThenDecodeEveryGeneratorMessage) {
  const media::Image base = spiky_textured_image(512, 512, 7);
  for (const auto& m : generator_messages()) {
    const auto bits = hex_to_bits(m.hex, m.length_bits);
    const media::Image marked = embed_dwtdct_float(base, bits);
    EXPECT_EQ(bits_to_hex(decode_dwtdct_bits(marked, m.length_bits, Domain::Float, Order::Bgr)), m.hex) << m.name;
    const auto found = watermark::detect_known_marks(marked);
    ASSERT_EQ(found.size(), 4u);
    for (const auto& k : found) {
      EXPECT_EQ(k.detected, k.name == m.name) << m.name << " vs " << k.name << " p=" << k.p_value;
      if (k.name != m.name) continue;
      EXPECT_DOUBLE_EQ(k.bit_accuracy, 1.0);
      EXPECT_EQ(k.bits_hex, m.hex);
      // This image's U is above both offsets, so the 8-bit and float domains read it alike.
      EXPECT_TRUE(k.variant == "bgr-float" || k.variant == "bgr-u8") << k.variant;
      EXPECT_LT(k.p_value, kDetectPValue);
    }
  }
}

TEST(KnownDwtDct, RgbaAndHalfScaleAreRead) {
  const auto& sdxl = generator_messages()[2];
  const media::Image marked = embed_dwtdct_float(textured_image(512, 512, 3), hex_to_bits(sdxl.hex, sdxl.length_bits));
  media::Image rgba = make_image(512, 512, 4);
  for (size_t i = 0; i < 512u * 512u; ++i) {
    for (int c = 0; c < 3; ++c) rgba.pixels[i * 4 + c] = marked.pixels[i * 3 + c];
    rgba.pixels[i * 4 + 3] = 255;
  }
  EXPECT_TRUE(mark_named(watermark::detect_known_marks(rgba), "sdxl").detected);
  // 0.5x area downscale (mean of each 2x2 group, rounded), read by the half-scale hypothesis.
  media::Image half = make_image(256, 256);
  for (int y = 0; y < 256; ++y)
    for (int x = 0; x < 256; ++x)
      for (int c = 0; c < 3; ++c) {
        int sum = 0;
        for (int d = 0; d < 4; ++d) sum += marked.row(2 * y + d / 2)[(2 * x + d % 2) * 3 + c];
        half.row(y)[x * 3 + c] = static_cast<uint8_t>((sum + 2) / 4);
      }
  const auto marks = watermark::detect_known_marks(half);  // k refers into it
  const auto& k = mark_named(marks, "sdxl");
  EXPECT_TRUE(k.detected);
  EXPECT_TRUE(k.variant == "bgr-float-x0.5" || k.variant == "bgr-u8-x0.5") << k.variant;
}

TEST(KnownDwtDct, SmallGrayAndEmptyImagesGiveNoDetection) {
  for (const media::Image& img : {make_image(255, 257), make_image(100, 100), make_image(0, 0),
                                  make_image(512, 512, 1), textured_image(200, 300, 1)}) {
    const auto found = watermark::detect_known_marks(img);
    ASSERT_EQ(found.size(), 4u);
    for (const auto& k : found) {
      EXPECT_FALSE(k.detected);
      EXPECT_EQ(k.p_value, 1.0);
    }
  }
  // Thin shapes are fine when the area is large enough (the library tests only H*W).
  EXPECT_NO_THROW(watermark::detect_known_marks(textured_image(128, 512, 2)));
  EXPECT_THROW(decode_dwtdct_bits(make_image(255, 257), 48, Domain::U8, Order::Bgr), Error);
  EXPECT_THROW(decode_dwtdct_bits(make_image(256, 256), 0, Domain::U8, Order::Bgr), Error);
}

// Procedural unmarked images: flat colours (including saturated ones that decode as all ones),
// gradients, noise, stripes, checkerboards and text-like strokes. None may be flagged.
// A crop at an offset that is not a multiple of 8 moves the block grid and the message phase: the
// default search misses it, the crop search finds it (SD1 and SDXL at several offsets) and reports
// the grid offset it used.
TEST(KnownDwtDct, CropSearchFindsMarksInShiftedCrops) {
  const media::Image base = spiky_textured_image(640, 640, 9);
  for (size_t g : {size_t{0}, size_t{2}}) {
    const auto& m = generator_messages()[g];
    const media::Image marked = embed_dwtdct_float(base, hex_to_bits(m.hex, m.length_bits));
    for (const auto& [ox, oy] : {std::pair{51, 37}, std::pair{3, 130}}) {
      const int w = 480, h = 440;
      media::Image crop = make_image(w, h);
      for (int y = 0; y < h; ++y) std::memcpy(crop.row(y), marked.row(y + oy) + static_cast<size_t>(ox) * 3, static_cast<size_t>(w) * 3);
      EXPECT_FALSE(mark_named(watermark::detect_known_marks(crop), m.name).detected) << m.name << " at " << ox << "," << oy;
      const auto marks = watermark::detect_known_marks(crop, {.search_crops = true});
      const auto& k = mark_named(marks, m.name);
      EXPECT_TRUE(k.detected) << m.name << " at " << ox << "," << oy << " p=" << k.p_value;
      EXPECT_EQ(k.bits_hex, m.hex);
      // The original's grid starts where the crop's (8 - offset mod 8) mod 8 pixel is.
      const std::string grid = "-crop+" + std::to_string((8 - ox % 8) % 8) + "+" + std::to_string((8 - oy % 8) % 8);
      EXPECT_NE(k.variant.find(grid), std::string::npos) << k.variant << " expected " << grid;
      for (const auto& other : marks) {
        if (other.name != m.name) {
          EXPECT_FALSE(other.detected) << other.name;
        }
      }
    }
  }
}

TEST(KnownDwtDct, GeneratedUnmarkedImagesAreNeverFlagged) {
  std::vector<media::Image> set;
  std::mt19937 rng(11);
  const int s = 320;
  for (int r : {0, 255, 128, 40})
    for (int b : {0, 255, 90}) {
      media::Image img = make_image(s, s);
      for (size_t i = 0; i < img.pixels.size(); i += 3) {
        img.pixels[i] = static_cast<uint8_t>(r);
        img.pixels[i + 1] = 100;
        img.pixels[i + 2] = static_cast<uint8_t>(b);
      }
      set.push_back(img);
    }
  for (int kind = 0; kind < 8; ++kind) {
    media::Image img = make_image(s, s);
    for (int y = 0; y < s; ++y)
      for (int x = 0; x < s; ++x) {
        uint8_t* p = img.row(y) + static_cast<size_t>(x) * 3;
        int v = 0;
        switch (kind) {
          case 0: v = x * 255 / s; break;                                    // horizontal ramp
          case 1: v = (x + y) * 255 / (2 * s); break;                        // diagonal ramp
          case 2: v = static_cast<int>(rng() % 256); break;                  // white noise
          case 3: v = (x / 8 + y / 8) % 2 ? 230 : 20; break;                 // 8-px checkerboard
          case 4: v = (x / 3) % 2 ? 200 : 50; break;                         // thin stripes
          case 5: v = ((x % 11 < 2) || (y % 17 < 2 && x % 40 < 30)) ? 0 : 255; break;  // strokes
          case 6: v = 128 + static_cast<int>(60 * std::sin(x * 0.05) * std::cos(y * 0.07)); break;
          default: v = (x * 7 + y * 13) % 256; break;                        // wrapping ramp
        }
        p[0] = static_cast<uint8_t>(v);
        p[1] = static_cast<uint8_t>((v * 3 + kind * 40) % 256);
        p[2] = static_cast<uint8_t>(255 - v);
      }
    set.push_back(img);
  }
  for (int i = 0; i < 4; ++i) set.push_back(textured_image(s, s, 100 + i));
  for (size_t i = 0; i < set.size(); ++i) {
    for (const auto& k : watermark::detect_known_marks(set[i]))
      EXPECT_FALSE(k.detected) << "image " << i << " " << k.name << " p=" << k.p_value << " " << k.variant;
    for (const auto& k : watermark::detect_known_marks(set[i], {.search_crops = true}))
      EXPECT_FALSE(k.detected) << "crop search, image " << i << " " << k.name << " p=" << k.p_value << " " << k.variant;
  }
}
