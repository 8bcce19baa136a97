#include "detect/detectors/jpeg_dct.hpp"

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>

// jpeglib.h needs FILE and size_t declared first.
#include <jpeglib.h>

namespace veritrace::detect::jpegdct {

const std::array<int, 64> kZigzag = {0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,
                                     12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6,  7,  14, 21, 28,
                                     35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
                                     58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63};

namespace {

// libjpeg error manager that returns control with longjmp instead of exit(). Only plain C data
// lives between setjmp and the libjpeg calls (read_impl has no C++ objects of its own).
struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

extern "C" void on_error_exit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}
extern "C" void on_output_message(j_common_ptr) {}  // warnings are counted, not printed

enum class ReadStatus { Ok, LibjpegError, TooLarge, NoLuma };

// All libjpeg work. `coef` is owned by the caller and resized here (its allocation cannot be
// skipped by longjmp: it is not a local of this frame).
ReadStatus read_impl(const uint8_t* data, size_t size, uint64_t max_pixels, LumaCoefficients* out,
                     char* message) {
  jpeg_decompress_struct cinfo;
  ErrorManager err;
  std::memset(&cinfo, 0, sizeof cinfo);
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = on_error_exit;
  err.pub.output_message = on_output_message;
  err.message[0] = 0;
  if (setjmp(err.jump)) {
    std::snprintf(message, JMSG_LENGTH_MAX, "%s", err.message);
    jpeg_destroy_decompress(&cinfo);
    return ReadStatus::LibjpegError;
  }
  jpeg_create_decompress(&cinfo);
  cinfo.mem->max_memory_to_use = 256L << 20;
  jpeg_mem_src(&cinfo, const_cast<unsigned char*>(data), static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  const uint64_t pixels = static_cast<uint64_t>(cinfo.image_width) * cinfo.image_height;
  if (pixels == 0 || pixels > max_pixels) {
    jpeg_destroy_decompress(&cinfo);
    return ReadStatus::TooLarge;
  }
  if (cinfo.num_components < 1 || cinfo.comp_info == nullptr) {
    jpeg_destroy_decompress(&cinfo);
    return ReadStatus::NoLuma;
  }
  jvirt_barray_ptr* arrays = jpeg_read_coefficients(&cinfo);
  jpeg_component_info* comp = &cinfo.comp_info[0];
  const JQUANT_TBL* qt = comp->quant_table;
  if (arrays == nullptr || qt == nullptr) {
    jpeg_destroy_decompress(&cinfo);
    return ReadStatus::NoLuma;
  }
  // The luma grid covering the image: ceil(w / 8) x ceil(h / 8) blocks (the component may hold more
  // when sampling factors pad to an MCU; those extra blocks are outside the image).
  const int bw = static_cast<int>(std::min<JDIMENSION>(comp->width_in_blocks, (cinfo.image_width + 7) / 8));
  const int bh = static_cast<int>(std::min<JDIMENSION>(comp->height_in_blocks, (cinfo.image_height + 7) / 8));
  out->blocks_w = bw;
  out->blocks_h = bh;
  for (int k = 0; k < 64; ++k) out->quant[k] = std::max<int>(1, qt->quantval[k]);
  out->coef.assign(static_cast<size_t>(bw) * bh * 64, 0);
  for (int by = 0; by < bh; ++by) {
    JBLOCKARRAY row = (*cinfo.mem->access_virt_barray)(reinterpret_cast<j_common_ptr>(&cinfo), arrays[0],
                                                       static_cast<JDIMENSION>(by), 1, FALSE);
    int16_t* dst = out->coef.data() + static_cast<size_t>(by) * bw * 64;
    for (int bx = 0; bx < bw; ++bx)
      for (int k = 0; k < 64; ++k) dst[bx * 64 + k] = static_cast<int16_t>(row[0][bx][k]);
  }
  out->warnings = static_cast<int>(err.pub.num_warnings);
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return ReadStatus::Ok;
}

// DCT-II basis, orthonormal: kBasis[u][x] = c(u) cos((2x + 1) u pi / 16).
struct Basis {
  float m[8][8];
  Basis() {
    for (int u = 0; u < 8; ++u)
      for (int x = 0; x < 8; ++x)
        m[u][x] = static_cast<float>((u == 0 ? std::sqrt(1.0 / 8) : std::sqrt(2.0 / 8)) *
                                     std::cos((2 * x + 1) * u * M_PI / 16));
  }
};
const Basis& basis() {
  static const Basis b;
  return b;
}

}  // namespace

bool read_luma_coefficients(std::span<const uint8_t> bytes, uint64_t max_pixels, LumaCoefficients& out,
                            std::string& why) {
  out = LumaCoefficients{};
  if (bytes.size() < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8) {
    why = "not a JPEG stream";
    return false;
  }
  char message[JMSG_LENGTH_MAX] = {0};
  const ReadStatus s = read_impl(bytes.data(), bytes.size(), max_pixels, &out, message);
  switch (s) {
    case ReadStatus::Ok:
      return true;
    case ReadStatus::TooLarge:
      why = "JPEG dimensions out of range";
      break;
    case ReadStatus::NoLuma:
      why = "JPEG has no readable luma component";
      break;
    case ReadStatus::LibjpegError:
      why = std::string("libjpeg: ") + message;
      break;
  }
  out = LumaCoefficients{};
  return false;
}

cv::Mat block_dct(const cv::Mat& luma_f32, int ox, int oy, int& blocks_w, int& blocks_h, int step) {
  CV_Assert(luma_f32.type() == CV_32F);
  ox = std::clamp(ox, 0, 7);
  oy = std::clamp(oy, 0, 7);
  step = std::max(1, step);
  blocks_w = std::max(0, ((luma_f32.cols - ox) / 8 + step - 1) / step);
  blocks_h = std::max(0, ((luma_f32.rows - oy) / 8 + step - 1) / step);
  if ((luma_f32.cols - ox) / 8 == 0 || (luma_f32.rows - oy) / 8 == 0) blocks_w = blocks_h = 0;
  cv::Mat out(blocks_w * blocks_h, 64, CV_32F);
  if (out.empty()) return out;
  const auto& B = basis().m;
  float tmp[8][8];
  for (int by = 0; by < blocks_h; ++by)
    for (int bx = 0; bx < blocks_w; ++bx) {
      // rows: tmp[y][u] = sum_x B[u][x] * (p[y][x] - 128)
      for (int y = 0; y < 8; ++y) {
        const float* p = luma_f32.ptr<float>(oy + by * step * 8 + y) + ox + bx * step * 8;
        float c[8];
        for (int x = 0; x < 8; ++x) c[x] = p[x] - 128.0f;
        for (int u = 0; u < 8; ++u) {
          float s = 0;
          for (int x = 0; x < 8; ++x) s += B[u][x] * c[x];
          tmp[y][u] = s;
        }
      }
      float* dst = out.ptr<float>(by * blocks_w + bx);
      for (int v = 0; v < 8; ++v)
        for (int u = 0; u < 8; ++u) {
          float s = 0;
          for (int y = 0; y < 8; ++y) s += B[v][y] * tmp[y][u];
          dst[v * 8 + u] = s;
        }
    }
  return out;
}

std::array<int, 64> estimate_quant(const cv::Mat& dct, int max_zigzag) {
  std::array<int, 64> q{};
  q.fill(1);
  if (dct.empty()) return q;
  const int n = dct.rows;
  std::vector<float> col;
  // At most ~4096 blocks (evenly spread) per coefficient: enough to see the lattice, bounded cost.
  const int stride = std::max(1, n / 4096);
  for (int z = 1; z < 64 && z <= max_zigzag; ++z) {
    const int k = kZigzag[static_cast<size_t>(z)];
    col.clear();
    for (int i = 0; i < n; i += stride) col.push_back(dct.at<float>(i, k));
    for (int step = 64; step >= 2; --step) {
      double sum = 0;
      int count = 0;
      for (float c : col) {
        if (std::fabs(c) < 0.75f * step) continue;
        const double r = c - step * std::nearbyint(c / step);
        sum += std::fabs(r);
        ++count;
      }
      if (count < 16) continue;
      const double mean = sum / count;
      // Uniform residuals average step / 4; quantised ones only the rounding noise of the pixels.
      if (mean < 0.6 * step / 4.0 && mean < 1.0) {
        q[static_cast<size_t>(k)] = step;
        break;
      }
    }
  }
  return q;
}

std::array<int, 64> ijg_luma_table(int quality) {
  static const int kBase[64] = {16, 11, 10, 16, 24,  40,  51,  61,  12, 12, 14, 19, 26,  58,  60,  55,
                                14, 13, 16, 24, 40,  57,  69,  56,  14, 17, 22, 29, 51,  87,  80,  62,
                                18, 22, 37, 56, 68,  109, 103, 77,  24, 35, 55, 64, 81,  104, 113, 92,
                                49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99};
  quality = std::clamp(quality, 1, 100);
  const int scale = quality < 50 ? 5000 / quality : 200 - quality * 2;
  std::array<int, 64> t{};
  for (int k = 0; k < 64; ++k) t[static_cast<size_t>(k)] = std::clamp((kBase[k] * scale + 50) / 100, 1, 255);
  return t;
}

}  // namespace veritrace::detect::jpegdct
