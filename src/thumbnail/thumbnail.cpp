#include "thumbnail/thumbnail.hpp"

#include <turbojpeg.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <new>

#include "media/internal.hpp"
#include "thumbnail/internal.hpp"

namespace veritrace::thumbnail {

namespace detail {

std::pair<int, int> target_size(uint64_t w, uint64_t h, int max_side) {
  const uint64_t m = static_cast<uint64_t>(max_side);
  if (w <= m && h <= m) return {static_cast<int>(w), static_cast<int>(h)};
  auto scaled = [&](uint64_t s, uint64_t l) {  // round(s * m / l), at least 1
    uint64_t v = (s * m * 2 + l) / (l * 2);
    return static_cast<int>(std::max<uint64_t>(v, 1));
  };
  if (w >= h) return {max_side, scaled(h, w)};
  return {scaled(w, h), max_side};
}

BoxAccumulator::BoxAccumulator(uint32_t w, uint32_t h, int tw, int th, bool sequential)
    : sequential_(sequential), w_(w), h_(h), tw_(tw), th_(th), xcell_(w), xcount_(static_cast<size_t>(tw), 0),
      ycount_(static_cast<size_t>(th), 0),
      sums_(static_cast<size_t>(tw) * (sequential ? 1 : static_cast<size_t>(th)) * 3, 0) {
  xstart_.assign(static_cast<size_t>(tw) + 1, w);
  for (uint32_t x = w; x-- > 0;) {
    xcell_[x] = static_cast<uint32_t>(uint64_t{x} * static_cast<uint64_t>(tw) / w);
    ++xcount_[xcell_[x]];
    xstart_[xcell_[x]] = x;
  }
  for (uint32_t y = 0; y < h; ++y) ++ycount_[static_cast<size_t>(uint64_t{y} * static_cast<uint64_t>(th) / h)];
  out_.width = tw;
  out_.height = th;
  out_.rgb.resize(static_cast<size_t>(tw) * static_cast<size_t>(th) * 3);
}

// A whole row: each output cell sums its contiguous run of source pixels.
void BoxAccumulator::add_full_row(uint32_t* cell, const uint8_t* rgb) const {
  for (size_t ox = 0; ox < static_cast<size_t>(tw_); ++ox, cell += 3) {
    const uint8_t* p = rgb + size_t{xstart_[ox]} * 3;
    const uint8_t* e = rgb + size_t{xstart_[ox + 1]} * 3;
    uint32_t r = 0, g = 0, b = 0;
    for (; p < e; p += 3) {
      r += p[0];
      g += p[1];
      b += p[2];
    }
    cell[0] += r;
    cell[1] += g;
    cell[2] += b;
  }
}

void BoxAccumulator::emit_row(size_t oy, const uint32_t* sums) {
  uint8_t* dst = out_.rgb.data() + oy * static_cast<size_t>(tw_) * 3;
  for (size_t ox = 0; ox < static_cast<size_t>(tw_); ++ox) {
    const uint64_t count = uint64_t{xcount_[ox]} * ycount_[oy];
    const double inv = count ? 1.0 / static_cast<double>(count) : 0.0;
    for (size_t c = 0; c < 3; ++c) {
      dst[ox * 3 + c] = static_cast<uint8_t>(std::min(255.0, static_cast<double>(sums[ox * 3 + c]) * inv + 0.5));
    }
  }
}

void BoxAccumulator::add(uint32_t y, uint32_t x0, uint32_t dx, const uint8_t* rgb, uint32_t n) {
  if (y >= h_) return;
  const size_t oy = static_cast<size_t>(uint64_t{y} * static_cast<uint64_t>(th_) / h_);
  if (sequential_) {  // rows come in order: flush the finished output row first
    if (x0 != 0 || dx != 1 || n != w_ || oy < cur_oy_) return;
    if (oy != cur_oy_) {
      emit_row(cur_oy_, sums_.data());
      std::fill(sums_.begin(), sums_.end(), 0);
      cur_oy_ = oy;
    }
    return add_full_row(sums_.data(), rgb);
  }
  uint32_t* row = sums_.data() + oy * static_cast<size_t>(tw_) * 3;
  if (x0 == 0 && dx == 1 && n == w_) return add_full_row(row, rgb);
  uint32_t x = x0;
  for (uint32_t i = 0; i < n && x < w_; ++i, x += dx, rgb += 3) {
    uint32_t* cell = row + size_t{xcell_[x]} * 3;
    cell[0] += rgb[0];
    cell[1] += rgb[1];
    cell[2] += rgb[2];
  }
}

Image BoxAccumulator::finish() {
  if (sequential_) {
    emit_row(cur_oy_, sums_.data());
  } else {
    for (size_t oy = 0; oy < static_cast<size_t>(th_); ++oy) emit_row(oy, sums_.data() + oy * static_cast<size_t>(tw_) * 3);
  }
  return std::move(out_);
}

Image downscale(const uint8_t* rgb, int w, int h, int tw, int th) {
  BoxAccumulator acc(static_cast<uint32_t>(w), static_cast<uint32_t>(h), tw, th, true);
  const size_t stride = static_cast<size_t>(w) * 3;
  for (int y = 0; y < h; ++y) acc.add(static_cast<uint32_t>(y), 0, 1, rgb + stride * static_cast<size_t>(y), static_cast<uint32_t>(w));
  return acc.finish();
}

Image apply_orientation(Image img, int orientation) {
  if (orientation < 2 || orientation > 8) return img;
  media::Image m;  // the media module owns the one orientation mapping
  m.width = img.width;
  m.height = img.height;
  m.channels = 3;
  m.pixels = std::move(img.rgb);
  m = media::detail::apply_orientation(std::move(m), orientation);
  return Image{m.width, m.height, std::move(m.pixels)};
}

std::optional<Thumbnail> encode_jpeg(const Image& img) {
  if (img.width <= 0 || img.height <= 0) return std::nullopt;
  struct Handle {
    tjhandle h = tjInitCompress();
    unsigned char* buf = nullptr;
    ~Handle() {
      if (buf) tjFree(buf);
      if (h) tjDestroy(h);
    }
  } t;
  if (!t.h) return std::nullopt;
  unsigned long size = 0;
  if (tjCompress2(t.h, img.rgb.data(), img.width, 0, img.height, TJPF_RGB, &t.buf, &size, TJSAMP_420, kQuality, 0) != 0 ||
      !t.buf) {
    return std::nullopt;
  }
  Thumbnail out;
  out.data.assign(t.buf, t.buf + size);
  out.width = img.width;
  out.height = img.height;
  return out;
}

}  // namespace detail

std::optional<Thumbnail> make_thumbnail(const ByteSource& src, formats::Format format, const ThumbnailOptions& options,
                                        ThumbnailOutcome* outcome) {
  ThumbnailOptions o = options;
  o.max_side = std::clamp(o.max_side, 16, 8192);
  ThumbnailOutcome local;
  ThumbnailOutcome& out = outcome ? *outcome : local;
  out = {};
  try {
    switch (format) {
      case formats::Format::Jpeg: return detail::jpeg_thumbnail(src, o, out);
      case formats::Format::Png: return detail::png_thumbnail(src, o, out);
      default: return std::nullopt;  // no video-frame (or other) thumbnails yet
    }
  } catch (...) {  // read errors, std::bad_alloc: no thumbnail, never a failed signing
    return std::nullopt;
  }
}

std::optional<Thumbnail> make_thumbnail(const ByteSource& src, formats::Format format, int max_side) {
  ThumbnailOptions o;
  o.max_side = max_side;
  return make_thumbnail(src, format, o);
}

}  // namespace veritrace::thumbnail
