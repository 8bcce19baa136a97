// make_examples: makes three of the example files in examples/ from real photographs that Debian 12
// ships in the package lomiri-wallpapers-16.04 (CC-BY-4.0 pictures by Aitzol Berasategi). The
// exact commands and the attribution are in examples/README.md.
//
//   make_examples SOURCE_DIR OUT_DIR
//
// SOURCE_DIR is the package's usr/share/backgrounds/ (after `dpkg-deb -x`). Writes to OUT_DIR:
//   real-photo.jpg       aitzgorri_by_Aitzol_Berasategi.jpg, area-downscaled to 1024 px long side, JPEG q90
//   copy-move.jpg        the same picture with a 120x170 region (a fir tree) cloned beside it (copy-move), JPEG q90
//   sdxl-watermarked.png friends_by_Aitzol_Berasategi.jpg, centre square area-downscaled to 512x512,
//                        carrying the SDXL invisible-watermark dwtDct mark (the label SDXL's reference
//                        code embeds), PNG
//
// The watermark embedder follows the invisible-watermark library's dwtDct rule (float path, BGR
// order, as SDXL's reference code calls it): Haar cA of the U plane, per 4x4 cA block the first
// coefficient with the largest |v| among indices 1..15 is moved to (floor(|v|/36) + 0.25 + 0.5 bit)
// * 36 with v's sign. It marks an image as generated; it is a tool for making the example, not part
// of the product. Deterministic: the same inputs give the same bytes.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <opencv2/imgproc.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "veritrace/core.hpp"
#include "veritrace/media.hpp"
#include "watermark/known_dwtdct.hpp"

namespace fs = std::filesystem;
using namespace veritrace;
namespace known = veritrace::watermark::known;

namespace {

// The clone edit: source and destination top-left corners in the 1024 px picture.
constexpr int kCloneSx = 705, kCloneSy = 270, kCloneDx = 585, kCloneDy = 265;
constexpr int kCloneW = 120, kCloneH = 170;

media::Image load_rgb(const fs::path& path) {
  media::DecodeOptions opt;
  opt.force_rgb = true;
  return media::decode_image_file(path.string(), opt);
}

void save(const fs::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
  std::printf("wrote %s (%zu bytes)\n", path.string().c_str(), bytes.size());
}

// Area resampling (OpenCV INTER_AREA) of the region `roi` to w x h.
media::Image resize_area(const media::Image& src, cv::Rect roi, int w, int h) {
  const cv::Mat in(src.height, src.width, CV_8UC3, const_cast<uint8_t*>(src.pixels.data()));
  cv::Mat out;
  cv::resize(in(roi), out, cv::Size(w, h), 0, 0, cv::INTER_AREA);
  media::Image img;
  img.width = w;
  img.height = h;
  img.channels = 3;
  img.pixels.assign(out.data, out.data + static_cast<size_t>(w) * h * 3);
  return img;
}

media::Image long_side(const media::Image& src, int target) {
  const double s = static_cast<double>(target) / std::max(src.width, src.height);
  return resize_area(src, cv::Rect(0, 0, src.width, src.height), static_cast<int>(std::lround(src.width * s)),
                     static_cast<int>(std::lround(src.height * s)));
}

media::Image centre_square(const media::Image& src, int side) {
  const int s = std::min(src.width, src.height);
  return resize_area(src, cv::Rect((src.width - s) / 2, (src.height - s) / 2, s, s), side, side);
}

// A copy-move (clone-stamp) edit: the w x h region at (sx, sy) is pasted at (dx, dy), its opacity
// falling off linearly over the outer kFeather pixels so that the edge of the pasted box blends.
constexpr int kFeather = 12;
media::Image clone_region(const media::Image& src, int sx, int sy, int w, int h, int dx, int dy) {
  if (sx < 0 || sy < 0 || dx < 0 || dy < 0 || sx + w > src.width || dx + w > src.width || sy + h > src.height ||
      dy + h > src.height)
    throw std::runtime_error("clone region outside the picture");
  media::Image out = src;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const int edge = std::min({x, y, w - 1 - x, h - 1 - y});
      const float a = std::min(1.0f, static_cast<float>(edge + 1) / kFeather);
      const uint8_t* s = src.row(sy + y) + static_cast<size_t>(sx + x) * 3;
      uint8_t* d = out.row(dy + y) + static_cast<size_t>(dx + x) * 3;
      for (int c = 0; c < 3; ++c) d[c] = static_cast<uint8_t>(std::lround(a * s[c] + (1 - a) * d[c]));
    }
  return out;
}

// One pass of the dwtDct rule over every 4x4 cA block whose chosen coefficient does not yet carry
// its bit with a margin: the target value's change is spread over the coefficient's 2x2 pixels
// (cA is their sum / 2) and mapped back to B and G with the inverse YUV matrix (U = 0.492 (B - Y)),
// then rounded. Returns the number of blocks changed.
int embed_pass(media::Image& img, const std::vector<uint8_t>& bits, bool first) {
  const int wc = img.width / 4 * 4, hc = img.height / 4 * 4;
  const known::Plane u = known::u_plane(img, known::Domain::Float, known::Order::Bgr, 0, 0, wc, hc);
  const known::Plane ca = known::haar_ca(u, known::Domain::Float);
  int changed = 0;
  size_t n = 0;
  for (int by = 0; by < ca.height / 4; ++by)
    for (int bx = 0; bx < ca.width / 4; ++bx, ++n) {
      std::array<double, 16> block{};
      for (int i = 0; i < 16; ++i) block[static_cast<size_t>(i)] = ca.at(4 * bx + i % 4, 4 * by + i / 4);
      const int idx = known::select_coefficient(block);
      const double v = block[static_cast<size_t>(idx)];
      const int bit = bits[n % bits.size()];
      const double target = (std::floor(std::fabs(v) / known::kQuantStep) + 0.25 + 0.5 * bit) * known::kQuantStep;
      const double residue = std::fmod(std::fabs(v), known::kQuantStep);
      const double want = (0.25 + 0.5 * bit) * known::kQuantStep;
      if (!first && std::fabs(residue - want) < 4.0) continue;  // already carries its bit with margin
      const double delta_u = ((v >= 0 ? target : -target) - v) / 2;
      const int cx = 4 * bx + idx % 4, cy = 4 * by + idx / 4;
      for (int dy = 0; dy < 2; ++dy)
        for (int dx = 0; dx < 2; ++dx) {
          uint8_t* p = img.row(2 * cy + dy) + static_cast<size_t>(2 * cx + dx) * 3;
          p[2] = static_cast<uint8_t>(std::clamp(std::lround(p[2] + 2.032 * delta_u), 0L, 255L));  // B
          p[1] = static_cast<uint8_t>(std::clamp(std::lround(p[1] - 0.395 * delta_u), 0L, 255L));  // G
        }
      ++changed;
    }
  return changed;
}

media::Image embed_sdxl(media::Image img) {
  const known::GeneratorMessage* sdxl = nullptr;
  for (const auto& m : known::generator_messages())
    if (std::string(m.name) == "sdxl") sdxl = &m;
  if (!sdxl) throw std::runtime_error("no sdxl message");
  const auto bits = known::hex_to_bits(sdxl->hex, sdxl->length_bits);
  embed_pass(img, bits, true);
  // Rounding and neighbouring changes move some blocks off their bit: fix those a few times.
  for (int pass = 0; pass < 4; ++pass)
    if (embed_pass(img, bits, false) == 0) break;
  const auto read = known::decode_dwtdct_bits(img, sdxl->length_bits, known::Domain::Float, known::Order::Bgr);
  std::printf("sdxl mark: library decode %s, expected %s\n", known::bits_to_hex(read).c_str(), sdxl->hex);
  return img;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: make_examples SOURCE_DIR OUT_DIR\n"
                         "  SOURCE_DIR: usr/share/backgrounds of lomiri-wallpapers-16.04 (dpkg-deb -x)\n");
    return 2;
  }
  try {
    const fs::path src = argv[1], out = argv[2];
    fs::create_directories(out);

    const media::Image photo = long_side(load_rgb(src / "aitzgorri_by_Aitzol_Berasategi.jpg"), 1024);
    save(out / "real-photo.jpg", media::encode_jpeg(photo, 90));

    // The fir tree right of centre (120x170 px with its background) cloned 120 px to its left.
    const media::Image cloned = clone_region(photo, kCloneSx, kCloneSy, kCloneW, kCloneH, kCloneDx, kCloneDy);
    save(out / "copy-move.jpg", media::encode_jpeg(cloned, 90));

    const media::Image square = centre_square(load_rgb(src / "friends_by_Aitzol_Berasategi.jpg"), 512);
    save(out / "sdxl-watermarked.png", media::encode_png(embed_sdxl(square)));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_examples: %s\n", e.what());
    return 1;
  }
  return 0;
}
