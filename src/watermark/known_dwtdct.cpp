// The invisible-watermark library's dwtDct decoder, bit-exact (see known_dwtdct.hpp).
#include "watermark/known_dwtdct.hpp"

#include <algorithm>
#include <cmath>

#include "veritrace/core.hpp"

namespace veritrace::watermark::known {

namespace {

constexpr int kYuvShift = 14;
constexpr int kYuvRound = 1 << (kYuvShift - 1);

int sat8(int v) { return std::clamp(v, 0, 255); }

}  // namespace

int opencv_y_u8(int b, int g, int r) { return (1868 * b + 9617 * g + 4899 * r + kYuvRound) >> kYuvShift; }

int opencv_u_u8(int b, int g, int r) {
  const int y = opencv_y_u8(b, g, r);
  return sat8(((b - y) * 8061 + (128 << kYuvShift) + kYuvRound) >> kYuvShift);
}

float opencv_u_float(float b, float g, float r) {
  const float y = b * 0.114f + g * 0.587f + r * 0.299f;
  return (b - y) * 0.492f + 0.5f;
}

Plane u_plane(const media::Image& image, Domain domain, Order order, int x0, int y0, int w, int h) {
  if (x0 < 0 || y0 < 0 || w < 0 || h < 0 || x0 + w > image.width || y0 + h > image.height)
    throw Error(ErrorKind::Internal, "u_plane: region outside the image");
  Plane p{w, h, std::vector<double>(static_cast<size_t>(w) * h)};
  const int ch = image.channels;
  // Offsets of the library's B and R inside one media::Image pixel (R,G,B[,A]; gray: all 0).
  const int b_at = ch < 3 ? 0 : (order == Order::Bgr ? 2 : 0);
  const int r_at = ch < 3 ? 0 : (order == Order::Bgr ? 0 : 2);
  const int g_at = ch < 3 ? 0 : 1;
  for (int y = 0; y < h; ++y) {
    const uint8_t* px = image.row(y0 + y) + static_cast<size_t>(x0) * ch;
    double* out = p.v.data() + static_cast<size_t>(y) * w;
    if (domain == Domain::U8) {
      for (int x = 0; x < w; ++x, px += ch) out[x] = opencv_u_u8(px[b_at], px[g_at], px[r_at]);
    } else {
      for (int x = 0; x < w; ++x, px += ch)
        out[x] = opencv_u_float(static_cast<float>(px[b_at]), static_cast<float>(px[g_at]), static_cast<float>(px[r_at]));
    }
  }
  return p;
}

Plane haar_ca(const Plane& plane, Domain domain) {
  if (plane.width % 2 != 0 || plane.height % 2 != 0) throw Error(ErrorKind::Internal, "haar_ca: odd plane size");
  const int w = plane.width / 2;
  const int h = plane.height / 2;
  Plane ca{w, h, std::vector<double>(static_cast<size_t>(w) * h)};
  if (domain == Domain::U8) {
    const double k = 0.7071067811865476;  // PyWavelets' float64 Haar filter tap
    for (int y = 0; y < h; ++y) {
      const double* r0 = plane.v.data() + static_cast<size_t>(2 * y) * plane.width;
      const double* r1 = r0 + plane.width;
      for (int x = 0; x < w; ++x) {
        // First along axis 0 (rows 2y, 2y+1), then along axis 1 (columns 2x, 2x+1).
        const double left = k * r1[2 * x] + k * r0[2 * x];
        const double right = k * r1[2 * x + 1] + k * r0[2 * x + 1];
        ca.v[static_cast<size_t>(y) * w + x] = k * right + k * left;
      }
    }
  } else {
    const float k = 0.70710677f;
    for (int y = 0; y < h; ++y) {
      const double* r0 = plane.v.data() + static_cast<size_t>(2 * y) * plane.width;
      const double* r1 = r0 + plane.width;
      for (int x = 0; x < w; ++x) {
        const float left = k * static_cast<float>(r1[2 * x]) + k * static_cast<float>(r0[2 * x]);
        const float right = k * static_cast<float>(r1[2 * x + 1]) + k * static_cast<float>(r0[2 * x + 1]);
        ca.v[static_cast<size_t>(y) * w + x] = static_cast<double>(k * right + k * left);
      }
    }
  }
  return ca;
}

int select_coefficient(const std::array<double, 16>& block) {
  int best = 1;
  double best_abs = std::fabs(block[1]);
  for (int i = 2; i < 16; ++i) {
    const double a = std::fabs(block[i]);
    if (a > best_abs) {  // strictly greater: the first maximum wins
      best_abs = a;
      best = i;
    }
  }
  return best;
}

int block_score(double v) { return std::fmod(std::fabs(v), kQuantStep) > kQuantStep / 2 ? 1 : 0; }

uint8_t vote_bit(int ones, int count) {
  if (count <= 0) return 0;  // NaN mean in the library
  const double mean = static_cast<double>(ones) / static_cast<double>(count);
  return mean * 255.0 > 127.0 ? 1 : 0;
}

BlockGrid analyse_blocks(const Plane& ca, int cx0, int cy0) {
  BlockGrid g;
  g.blocks_x = std::max(0, (ca.width - cx0) / 4);
  g.blocks_y = std::max(0, (ca.height - cy0) / 4);
  g.residue.resize(static_cast<size_t>(g.blocks_x) * g.blocks_y);
  g.lead.resize(g.residue.size());
  std::array<double, 16> block{};
  for (int by = 0; by < g.blocks_y; ++by) {
    for (int bx = 0; bx < g.blocks_x; ++bx) {
      for (int r = 0; r < 4; ++r) {
        const double* src = ca.v.data() + static_cast<size_t>(cy0 + 4 * by + r) * ca.width + cx0 + 4 * bx;
        for (int c = 0; c < 4; ++c) block[static_cast<size_t>(4 * r + c)] = src[c];
      }
      const int chosen = select_coefficient(block);
      const double v = std::fabs(block[static_cast<size_t>(chosen)]);
      double next = 0;
      for (int i = 1; i < 16; ++i)
        if (i != chosen) next = std::max(next, std::fabs(block[static_cast<size_t>(i)]));
      const size_t n = static_cast<size_t>(by) * g.blocks_x + bx;
      g.residue[n] = std::fmod(v, kQuantStep);
      g.lead[n] = static_cast<float>(v - next);
    }
  }
  return g;
}

std::vector<uint8_t> library_bits(const BlockGrid& grid, int length_bits) {
  if (length_bits <= 0) throw Error(ErrorKind::Usage, "dwtDct decode: the length must be positive");
  const auto L = static_cast<size_t>(length_bits);
  std::vector<int> ones(L), count(L);
  for (size_t n = 0; n < grid.residue.size(); ++n) {
    ones[n % L] += grid.residue[n] > kQuantStep / 2 ? 1 : 0;  // block_score on the residue
    count[n % L] += 1;
  }
  std::vector<uint8_t> bits(L);
  for (size_t k = 0; k < L; ++k) bits[k] = vote_bit(ones[k], count[k]);
  return bits;
}

std::vector<uint8_t> decode_dwtdct_bits(const media::Image& image, int length_bits, Domain domain, Order order) {
  if (length_bits <= 0) throw Error(ErrorKind::Usage, "dwtDct decode: the length must be positive");
  if (image.empty() || static_cast<int64_t>(image.width) * image.height < kMinArea)
    throw Error(ErrorKind::Unsupported, "dwtDct decode: image smaller than 256x256 in area");
  const int w = image.width / 4 * 4;
  const int h = image.height / 4 * 4;
  return library_bits(analyse_blocks(haar_ca(u_plane(image, domain, order, 0, 0, w, h), domain)), length_bits);
}

std::string bits_to_hex(const std::vector<uint8_t>& bits) {
  static const char* digits = "0123456789abcdef";
  const size_t n = bits.size();
  const size_t ndig = (n + 3) / 4;
  const size_t pad = ndig * 4 - n;  // leading zero bits
  std::string out;
  out.reserve(ndig);
  for (size_t d = 0; d < ndig; ++d) {
    int v = 0;
    for (size_t i = 0; i < 4; ++i) {
      const size_t pos = d * 4 + i;  // position in the zero-padded sequence
      v = v * 2 + (pos < pad ? 0 : (bits[pos - pad] & 1));
    }
    out.push_back(digits[v]);
  }
  return out;
}

std::vector<uint8_t> hex_to_bits(std::string_view hex, int length_bits) {
  if (length_bits < 0 || hex.size() * 4 < static_cast<size_t>(length_bits))
    throw Error(ErrorKind::Usage, "hex_to_bits: too few hex digits");
  std::vector<uint8_t> all;
  for (char ch : hex) {
    int v;
    if (ch >= '0' && ch <= '9') v = ch - '0';
    else if (ch >= 'a' && ch <= 'f') v = ch - 'a' + 10;
    else if (ch >= 'A' && ch <= 'F') v = ch - 'A' + 10;
    else throw Error(ErrorKind::Usage, "hex_to_bits: not a hex digit");
    for (int i = 3; i >= 0; --i) all.push_back(static_cast<uint8_t>((v >> i) & 1));
  }
  return {all.end() - length_bits, all.end()};
}

const std::vector<GeneratorMessage>& generator_messages() {
  static const std::vector<GeneratorMessage> messages = {
      {"sd1", 136, "537461626c65446966667573696f6e5631", Domain::U8},  // "StableDiffusionV1"
      {"sd2", 32, "53445632", Domain::U8},                              // "SDV2"
      {"sdxl", 48, "b3ec907bb19e", Domain::Float},
      {"flux", 46, "2afe879cf52e", Domain::Float},  // 46 bits: bin() dropped two leading zeros
  };
  return messages;
}

}  // namespace veritrace::watermark::known
