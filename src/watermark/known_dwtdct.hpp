// Internal: the invisible-watermark library's dwtDct scheme (ShieldMnt/invisible-watermark 0.2.0),
// the mark Stable Diffusion 1/2, SDXL and FLUX.1 reference code embed by default. This header is
// the library-compatible decoder (bit-exact with the library's own decode of cv2.imread pixels)
// and the per-block analysis the detector (known_marks.cpp) builds on.
// Algorithm and constants: ../shared/docs/known-watermarks.md; our method: docs/known-marks.md.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "veritrace/media.hpp"

namespace veritrace::watermark::known {

inline constexpr double kQuantStep = 36.0;      // the library's only active scale
inline constexpr int64_t kMinArea = 256 * 256;  // the library refuses smaller images (H*W only)

// How the 8-bit pixels are handed to the library. U8: as uint8 (OpenCV's fixed-point BGR2YUV,
// U offset 128; what SD1/SD2 embedded in). Float: as float32 0..255 (U offset 0.5; what SDXL and
// FLUX embedded in).
enum class Domain { U8, Float };
// Bgr: the library gets the true B,G,R (cv2.imread order). Rgb: R and B swapped, i.e. the RGB
// array handed over as if it were BGR (old diffusers SDXL).
enum class Order { Bgr, Rgb };

// OpenCV COLOR_BGR2YUV, 8-bit fixed point (exhaustively equal to OpenCV 4.6 per the doc).
int opencv_y_u8(int b, int g, int r);
int opencv_u_u8(int b, int g, int r);
// OpenCV COLOR_BGR2YUV for float32 input (single-precision arithmetic as OpenCV's scalar path).
float opencv_u_float(float b, float g, float r);

// A plane of doubles, row-major.
struct Plane {
  int width = 0;
  int height = 0;
  std::vector<double> v;
  double at(int x, int y) const { return v[static_cast<size_t>(y) * width + x]; }
};

// The U plane of the region [x0, x0+w) x [y0, y0+h) of an RGB/RGBA image (gray: U is the constant
// offset). Values are exactly what OpenCV gives (integers for U8, float32 values for Float).
Plane u_plane(const media::Image& image, Domain domain, Order order, int x0, int y0, int w, int h);

// PyWavelets dwt2(..., 'haar') approximation band of an even-sized plane, with PyWavelets' exact
// arithmetic: float64 for U8 input, float32 for Float input (rows first, then columns; each output
// is h*x[odd] + h*x[even], h = 1/sqrt(2) in the working precision).
Plane haar_ca(const Plane& plane, Domain domain);

// The library's coefficient choice in a 4x4 cA block (row-major): the first index among 1..15 with
// the largest absolute value (NumPy argmax tie rule).
int select_coefficient(const std::array<double, 16>& block);
// The library's block score: 1 when (|v| mod 36) > 18.
int block_score(double v);
// The library's vote: bit = 1 iff ones/count * 255 > 127 (tie -> 1); an empty bin gives 0.
uint8_t vote_bit(int ones, int count);

// The library's WatermarkDecoder('bits', length_bits).decode(img, 'dwtDct') on `image` handed over
// in the given domain and order. Requires width*height >= kMinArea (else Error Unsupported) and
// an RGB/RGBA image (gray is converted as R=G=B).
std::vector<uint8_t> decode_dwtdct_bits(const media::Image& image, int length_bits, Domain domain, Order order);

// Bits <-> hex with the first bit most significant, ceil(n/4) lowercase digits (labels.tsv rule).
std::string bits_to_hex(const std::vector<uint8_t>& bits);
std::vector<uint8_t> hex_to_bits(std::string_view hex, int length_bits);

// Per-block analysis of one block grid: for every complete 4x4 cA block (row-major), the residue
// |v| mod 36 of the chosen coefficient and its lead over the block's next largest |coefficient|.
struct BlockGrid {
  int blocks_x = 0;
  int blocks_y = 0;
  std::vector<double> residue;  // blocks_x * blocks_y, in [0, 36); double keeps the library's > 18 test exact
  // |v| minus the largest other |coefficient| among indices 1..15 (>= 0). Small: the embedder's
  // change (up to -27) may have made another coefficient the largest, so the decoder reads an
  // unmarked value. Empty when not computed (hand-made grids): every block then counts fully.
  std::vector<float> lead;
};
// cA blocks starting at (cx0, cy0) in cA coordinates (0..3 searches the block grid of a crop).
BlockGrid analyse_blocks(const Plane& ca, int cx0 = 0, int cy0 = 0);

// The library's hard votes over a grid: block n votes for bit n mod L with its block score.
std::vector<uint8_t> library_bits(const BlockGrid& grid, int length_bits);

// The generators' messages (../shared/docs/known-watermarks.md, section 3).
struct GeneratorMessage {
  const char* name;  // "sd1", "sd2", "sdxl", "flux"
  int length_bits;
  const char* hex;   // first bit most significant
  Domain embed_domain;
};
const std::vector<GeneratorMessage>& generator_messages();

}  // namespace veritrace::watermark::known
