// Images of the HTML report: the preview JPEG and colourised heatmaps as data: URIs.
#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "core/encoding.hpp"
#include "report/detect_common.hpp"
#include "report/detect_html.hpp"
#include "veritrace/media.hpp"
#include "veritrace/report_detect.hpp"

namespace veritrace::report::detail {

namespace {
constexpr int kMaxOverlaySide = 2048;

uint8_t lerp8(double a, double b, double t) {
  return static_cast<uint8_t>(std::lround(std::clamp(a + (b - a) * t, 0.0, 255.0)));
}
float sane(float v) { return std::isfinite(v) ? std::clamp(v, 0.0f, 1.0f) : 0.0f; }

// One axis of n samples (stride apart, starting at src) to m samples written to dst (stride apart).
void resample_line(const float* src, size_t n, size_t src_stride, float* dst, size_t m, size_t dst_stride) {
  if (m <= n) {
    for (size_t i = 0; i < m; ++i) {
      const size_t a = i * n / m, b = std::max(a + 1, (i + 1) * n / m);
      double sum = 0.0;
      for (size_t k = a; k < b; ++k) sum += sane(src[k * src_stride]);
      dst[i * dst_stride] = static_cast<float>(sum / static_cast<double>(b - a));
    }
    return;
  }
  for (size_t i = 0; i < m; ++i) {
    const double pos = std::clamp((static_cast<double>(i) + 0.5) * static_cast<double>(n) / static_cast<double>(m) - 0.5,
                                  0.0, static_cast<double>(n - 1));
    const size_t a = static_cast<size_t>(pos), b = std::min(a + 1, n - 1);
    const double t = pos - static_cast<double>(a);
    dst[i * dst_stride] = static_cast<float>((1 - t) * sane(src[a * src_stride]) + t * sane(src[b * src_stride]));
  }
}

std::vector<float> resample_rows(const std::vector<float>& v, size_t w, size_t h, size_t out_w) {
  std::vector<float> out(out_w * h);
  for (size_t y = 0; y < h; ++y) resample_line(v.data() + y * w, w, 1, out.data() + y * out_w, out_w, 1);
  return out;
}

std::vector<float> resample_columns(const std::vector<float>& v, size_t w, size_t h, size_t out_h) {
  std::vector<float> out(w * out_h);
  for (size_t x = 0; x < w; ++x) resample_line(v.data() + x, h, w, out.data() + x, out_h, w);
  return out;
}

}  // namespace

Rgba heat_colour(float v) {
  if (!std::isfinite(v) || v < 0.1f) return {255, 214, 0, 0};
  const double t = std::min(1.0, (static_cast<double>(v) - 0.1) / 0.9);
  // Yellow (255, 214, 0) -> orange -> red (215, 20, 20); opacity rises from 25% to 90%.
  const double alpha = 0.25 + 0.65 * std::pow(t, 0.8);
  return {lerp8(255, 215, t), lerp8(214, 20, std::pow(t, 0.7)), lerp8(0, 20, t), lerp8(0, 255, alpha)};
}

void fit_size(int w, int h, int max_side, int& out_w, int& out_h) {
  w = std::max(w, 1);
  h = std::max(h, 1);
  max_side = std::max(max_side, 1);
  if (w <= max_side && h <= max_side) {
    out_w = w, out_h = h;
    return;
  }
  const double s = static_cast<double>(max_side) / std::max(w, h);
  out_w = std::clamp(static_cast<int>(std::lround(w * s)), 1, max_side);
  out_h = std::clamp(static_cast<int>(std::lround(h * s)), 1, max_side);
}

std::string jpeg_data_uri(const std::vector<uint8_t>& jpeg) {
  if (jpeg.empty()) return {};
  return "data:image/jpeg;base64," + base64_encode(jpeg);
}

std::string thumbnail_data_uri(const std::vector<uint8_t>& jpeg, int max_side) {
  if (jpeg.empty()) return {};
  try {
    media::DecodeOptions options;
    options.max_pixels = 16'000'000;
    options.apply_exif_orientation = false;
    options.force_rgb = true;
    const media::Image src = media::decode_image(*make_span_source(jpeg, "preview"), options);
    int w = 0, h = 0;
    fit_size(src.width, src.height, max_side, w, h);
    if (w == src.width && h == src.height) return jpeg_data_uri(jpeg);
    // Box average: each output pixel is the mean of the source pixels it covers.
    media::Image out;
    out.width = w;
    out.height = h;
    out.channels = 3;
    out.pixels.resize(static_cast<size_t>(w) * h * 3);
    for (int y = 0; y < h; ++y) {
      const int y0 = static_cast<int>(static_cast<int64_t>(y) * src.height / h);
      const int y1 = std::max(y0 + 1, static_cast<int>(static_cast<int64_t>(y + 1) * src.height / h));
      for (int x = 0; x < w; ++x) {
        const int x0 = static_cast<int>(static_cast<int64_t>(x) * src.width / w);
        const int x1 = std::max(x0 + 1, static_cast<int>(static_cast<int64_t>(x + 1) * src.width / w));
        unsigned sum[3] = {0, 0, 0};
        for (int sy = y0; sy < y1; ++sy)
          for (int sx = x0; sx < x1; ++sx)
            for (int c = 0; c < 3; ++c) sum[c] += src.row(sy)[sx * 3 + c];
        const unsigned n = static_cast<unsigned>((y1 - y0) * (x1 - x0));
        for (int c = 0; c < 3; ++c) out.row(y)[x * 3 + c] = static_cast<uint8_t>((sum[c] + n / 2) / n);
      }
    }
    return jpeg_data_uri(media::encode_jpeg(out, 82));
  } catch (const Error&) {
    return {};
  }
}

std::optional<HeatmapImage> heatmap_image(const detect::Heatmap& map, int out_w, int out_h) {
  if (map.empty()) return std::nullopt;
  const size_t w = static_cast<size_t>(map.width), h = static_cast<size_t>(map.height);
  if (w > (1u << 20) || h > (1u << 20) || map.values.size() != w * h) return std::nullopt;
  out_w = std::clamp(out_w, 1, kMaxOverlaySide);
  out_h = std::clamp(out_h, 1, kMaxOverlaySide);

  HeatmapImage result;
  size_t marked = 0;
  float peak = 0.0f;
  for (float v : map.values) {
    if (!std::isfinite(v)) continue;
    peak = std::max(peak, v);
    if (v >= 0.5f) ++marked;
  }
  result.peak = std::clamp(static_cast<double>(peak), 0.0, 1.0);
  result.marked = static_cast<double>(marked) / static_cast<double>(w * h);

  // Separable resampling: box average when shrinking an axis, linear interpolation when growing it
  // (engine maps may be a coarse downscale of the image).
  const std::vector<float> rows = resample_rows(map.values, w, h, static_cast<size_t>(out_w));
  const std::vector<float> both = resample_columns(rows, static_cast<size_t>(out_w), h, static_cast<size_t>(out_h));
  media::Image img;
  img.width = out_w;
  img.height = out_h;
  img.channels = 4;
  img.pixels.resize(static_cast<size_t>(out_w) * out_h * 4);
  for (size_t i = 0; i < both.size(); ++i) {
    const Rgba c = heat_colour(both[i]);
    img.pixels[i * 4 + 0] = c.r;
    img.pixels[i * 4 + 1] = c.g;
    img.pixels[i * 4 + 2] = c.b;
    img.pixels[i * 4 + 3] = c.a;
  }
  result.data_uri = "data:image/png;base64," + base64_encode(media::encode_png(img));
  return result;
}

std::string key_frames_html(const std::vector<detect::KeyFrame>& frames, int analysed_width, int analysed_height) {
  std::string items;
  for (const auto& k : frames) {
    if (k.frame_jpeg.empty() || k.frame_width <= 0 || k.frame_height <= 0) continue;
    std::string box;
    if (k.face.width > 0 && analysed_width > 0 && analysed_height > 0) {
      // The box is in analysed-frame pixels; the thumbnail is that frame scaled.
      const double sx = static_cast<double>(k.frame_width) / analysed_width;
      const double sy = static_cast<double>(k.frame_height) / analysed_height;
      box = fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" "
                        "stroke=\"#d7263d\" stroke-width=\"2.5\"/>",
                        k.face.x * sx, k.face.y * sy, k.face.width * sx, k.face.height * sy);
    }
    std::string crop;
    if (!k.face_jpeg.empty())
      crop = fmt::format("<img class=\"facecrop\" src=\"{}\" width=\"96\" height=\"96\" alt=\"aligned face crop\">",
                         jpeg_data_uri(k.face_jpeg));
    const std::string who = k.face_track >= 0 ? fmt::format(", face {}", k.face_track) : "";
    items += fmt::format(
        "<figure><svg viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" aria-label=\"frame at {t:.1f} s\">"
        "<image href=\"{uri}\" width=\"{w}\" height=\"{h}\"/>{box}</svg>{crop}"
        "<figcaption><strong>{t:.1f} s</strong>{who}: chosen by <em>{det}</em> (score {score})</figcaption></figure>",
        fmt::arg("w", k.frame_width), fmt::arg("h", k.frame_height), fmt::arg("t", k.time_s),
        fmt::arg("uri", jpeg_data_uri(k.frame_jpeg)), fmt::arg("box", box), fmt::arg("crop", crop), fmt::arg("who", who),
        fmt::arg("det", html_escape(detector_title(k.detector))), fmt::arg("score", human_number(k.score)));
  }
  return items.empty() ? std::string() : "<div class=\"gallery keyframes\">" + items + "</div>";
}

}  // namespace veritrace::report::detail
