#include "detect/detectors/metadata_jpeg.hpp"

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <cmath>
#include <memory>

#include <jpeglib.h>

namespace veritrace::detect::metadata {
namespace {

// ITU-T T.81 Annex K tables, natural (row-major) order.
constexpr uint16_t kLuma[64] = {16, 11, 10, 16, 24,  40,  51,  61,  12, 12, 14, 19, 26,  58,  60,  55,
                                14, 13, 16, 24, 40,  57,  69,  56,  14, 17, 22, 29, 51,  87,  80,  62,
                                18, 22, 37, 56, 68,  109, 103, 77,  24, 35, 55, 64, 81,  104, 113, 92,
                                49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99};
constexpr uint16_t kChroma[64] = {17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
                                  24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
                                  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
                                  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99};

// Known non-IJG table sets by fingerprint (fnv_hex below). Each was read from files whose own
// metadata names the software (EXIF Software / XMP CreatorTool / Photoshop APP13 resources); none
// is an IJG table at any quality. docs/detection-metadata.md lists the files.
struct KnownTables {
  const char* fingerprint;
  const char* family;
};
constexpr const char* kAdobe = "Adobe Photoshop / Lightroom";
constexpr KnownTables kKnown[] = {
    {"3a9b080ed30457b8", kAdobe},  // Photoshop CS2 (EXIF Software), luma row 12 8 8 12 17 21 24 17
    {"5a231bd8c5c9ad37", kAdobe},  // Photoshop CS2/CS3, luma row 6 4 4 6 9 11 12 16
    {"7c907bc9165b9912", kAdobe},  // Photoshop 21.1 (maximum quality, all ones)
    {"c23fe86113260e18", kAdobe},  // Lightroom 5.3, luma row 18 14 14 21 30 35 34 17
    {"e671b4a7c6affbe3", kAdobe},  // Photoshop 27.4, luma row 2 2 2 2 3 4 5 6
    {"f40050c28fe24e07", kAdobe},  // Photoshop 21.1, luma row 4 3 2 4 6 10 12 15
    {"99f3e425c2676dd2", kAdobe},  // Photoshop 24.1, luma row 6 4 7 11 14 17 22 17
    {"8fe75c1d94751541", kAdobe},  // Photoshop APP13 resources, luma row 32 33 51 81 66 39 34 17
};

struct ErrorMgr {
  jpeg_error_mgr pub;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

extern "C" void vt_md_error_exit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorMgr*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  longjmp(err->jump, 1);
}
extern "C" void vt_md_output_message(j_common_ptr) {}
extern "C" void vt_md_emit_message(j_common_ptr, int) {}

struct RawHeader {
  int ok;
  int components;
  int width, height;
  int adobe, jfif, progressive;
  int h[4], v[4], tbl[4];
  uint16_t tables[4][64];
  int defined[4];
  char message[JMSG_LENGTH_MAX];
};

// Plain C-style function: nothing with a destructor lives across setjmp/longjmp.
void read_raw_header(const uint8_t* data, size_t size, RawHeader* out) {
  std::memset(out, 0, sizeof *out);
  jpeg_decompress_struct cinfo;
  ErrorMgr err;
  std::memset(&cinfo, 0, sizeof cinfo);
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = vt_md_error_exit;
  err.pub.output_message = vt_md_output_message;
  err.pub.emit_message = vt_md_emit_message;
  err.message[0] = 0;
  if (setjmp(err.jump)) {
    std::memcpy(out->message, err.message, sizeof out->message);
    out->message[sizeof out->message - 1] = 0;
    jpeg_destroy_decompress(&cinfo);
    out->ok = 0;
    return;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  if (jpeg_read_header(&cinfo, TRUE) != JPEG_HEADER_OK) {
    std::strcpy(out->message, "no image in the JPEG stream");
    jpeg_destroy_decompress(&cinfo);
    return;
  }
  out->components = cinfo.num_components;
  out->width = static_cast<int>(cinfo.image_width);
  out->height = static_cast<int>(cinfo.image_height);
  out->adobe = cinfo.saw_Adobe_marker ? 1 : 0;
  out->jfif = cinfo.saw_JFIF_marker ? 1 : 0;
  out->progressive = cinfo.progressive_mode ? 1 : 0;
  for (int c = 0; c < cinfo.num_components && c < 4; ++c) {
    out->h[c] = cinfo.comp_info[c].h_samp_factor;
    out->v[c] = cinfo.comp_info[c].v_samp_factor;
    out->tbl[c] = cinfo.comp_info[c].quant_tbl_no;
  }
  for (int t = 0; t < 4; ++t) {
    if (!cinfo.quant_tbl_ptrs[t]) continue;
    out->defined[t] = 1;
    for (int i = 0; i < 64; ++i) out->tables[t][i] = cinfo.quant_tbl_ptrs[t]->quantval[i];
  }
  out->ok = 1;
  jpeg_destroy_decompress(&cinfo);
}

std::string fnv_hex(const std::vector<std::array<uint16_t, 64>>& tables) {
  uint64_t h = 1469598103934665603ull;
  for (const auto& t : tables)
    for (uint16_t v : t)
      for (int b = 0; b < 2; ++b) {
        h ^= static_cast<uint8_t>(v >> (8 * b));
        h *= 1099511628211ull;
      }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace

std::array<uint16_t, 64> ijg_table(bool chroma, int quality) {
  quality = quality < 1 ? 1 : quality > 100 ? 100 : quality;
  const long scale = quality < 50 ? 5000 / quality : 200 - quality * 2;
  std::array<uint16_t, 64> t{};
  for (int i = 0; i < 64; ++i) {
    long v = ((chroma ? kChroma[i] : kLuma[i]) * scale + 50) / 100;
    if (v <= 0) v = 1;
    if (v > 255) v = 255;
    t[static_cast<size_t>(i)] = static_cast<uint16_t>(v);
  }
  return t;
}

QuantInfo read_quant_tables(std::span<const uint8_t> jpeg) {
  QuantInfo q;
  if (jpeg.size() < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8) {
    q.error = "not a JPEG";
    return q;
  }
  auto raw = std::make_unique<RawHeader>();
  read_raw_header(jpeg.data(), jpeg.size(), raw.get());
  if (!raw->ok) {
    q.error = raw->message;
    return q;
  }
  q.ok = true;
  q.components = raw->components;
  q.width = raw->width;
  q.height = raw->height;
  q.adobe_marker = raw->adobe != 0;
  q.jfif_marker = raw->jfif != 0;
  q.progressive = raw->progressive != 0;
  if (raw->components == 1) {
    q.subsampling = "gray";
  } else if (raw->components == 3 && raw->h[1] == 1 && raw->v[1] == 1 && raw->h[2] == 1 && raw->v[2] == 1) {
    if (raw->h[0] == 2 && raw->v[0] == 2) q.subsampling = "4:2:0";
    else if (raw->h[0] == 2 && raw->v[0] == 1) q.subsampling = "4:2:2";
    else if (raw->h[0] == 1 && raw->v[0] == 1) q.subsampling = "4:4:4";
    else q.subsampling = "other";
  } else {
    q.subsampling = "other";
  }
  int used[4] = {-1, -1, -1, -1};
  int n_used = 0;
  for (int c = 0; c < raw->components && c < 4; ++c) {
    const int t = raw->tbl[c];
    if (t < 0 || t > 3 || !raw->defined[t]) continue;
    bool seen = false;
    for (int k = 0; k < n_used; ++k) seen = seen || used[k] == t;
    if (!seen) used[n_used++] = t;
  }
  for (int k = 0; k < n_used; ++k) {
    std::array<uint16_t, 64> a{};
    std::memcpy(a.data(), raw->tables[used[k]], sizeof(uint16_t) * 64);
    q.tables.push_back(a);
  }
  if (q.tables.empty()) return q;
  q.fingerprint = fnv_hex(q.tables);
  // Compare with IJG tables: table 0 against luma, the others against chroma.
  double best = 1e18;
  for (int quality = 1; quality <= 100; ++quality) {
    double diff = 0;
    bool exact = true;
    for (size_t k = 0; k < q.tables.size() && k < 2; ++k) {
      const auto ref = ijg_table(k > 0, quality);
      for (int i = 0; i < 64; ++i) {
        const double d = std::abs(static_cast<double>(q.tables[k][static_cast<size_t>(i)]) - ref[static_cast<size_t>(i)]);
        diff += d;
        exact = exact && d == 0;
      }
    }
    if (q.tables.size() > 2) exact = false;
    const double mean = diff / (64.0 * static_cast<double>(std::min<size_t>(q.tables.size(), 2)));
    if (exact && q.ijg_quality < 0) q.ijg_quality = quality;
    if (mean < best) {
      best = mean;
      q.closest_quality = quality;
    }
  }
  q.mean_abs_diff = best;
  if (q.ijg_quality >= 0) {
    q.family = "libjpeg (IJG) quality " + std::to_string(q.ijg_quality);
  } else {
    for (const auto& k : kKnown)
      if (k.fingerprint[0] && q.fingerprint == k.fingerprint) q.family = k.family;
  }
  return q;
}

std::pair<int, int> jpeg_dimensions(std::span<const uint8_t> jpeg) {
  if (jpeg.size() < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8) return {0, 0};
  size_t p = 2;
  while (p + 4 <= jpeg.size()) {
    if (jpeg[p] != 0xFF) return {0, 0};
    const uint8_t m = jpeg[p + 1];
    if (m == 0xFF) {
      ++p;
      continue;
    }
    if (m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) {
      p += 2;
      continue;
    }
    if (m == 0xD9 || m == 0xDA) return {0, 0};
    const size_t len = (size_t{jpeg[p + 2]} << 8) | jpeg[p + 3];
    if (len < 2 || p + 2 + len > jpeg.size()) return {0, 0};
    const bool sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
    if (sof && len >= 7) {
      const int h = (jpeg[p + 5] << 8) | jpeg[p + 6];
      const int w = (jpeg[p + 7] << 8) | jpeg[p + 8];
      return {w, h};
    }
    p += 2 + len;
  }
  return {0, 0};
}

}  // namespace veritrace::detect::metadata
