// JPEG thumbnails through TurboJPEG: libjpeg's errors stay inside TurboJPEG (its own setjmp), which
// returns -1; warnings (truncated or corrupt data) stop the decode too (TJFLAG_STOPONWARNING).
#include <turbojpeg.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "media/internal.hpp"
#include "thumbnail/internal.hpp"

namespace veritrace::thumbnail::detail {

namespace {

struct Decompressor {
  tjhandle h = tjInitDecompress();
  ~Decompressor() {
    if (h) tjDestroy(h);
  }
  Decompressor() = default;
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;
};

// The EXIF orientation of the first APP1 "Exif" segment before the first scan; 1 if none.
int exif_orientation(const std::vector<uint8_t>& j) { return media::detail::jpeg_exif_orientation(j); }

bool header_of(tjhandle h, const std::vector<uint8_t>& bytes, int& w, int& ht, int& colorspace) {
  int subsamp = 0;
  if (tjDecompressHeader3(h, bytes.data(), static_cast<unsigned long>(bytes.size()), &w, &ht, &subsamp, &colorspace) != 0) return false;
  return w > 0 && ht > 0 && static_cast<uint64_t>(w) * static_cast<uint64_t>(ht) <= kMaxPixels;
}

// Decodes a whole JPEG at the smallest power-of-two DCT scale whose long side is still >= max_side
// (at most 1/8), box-filters it to max_side, applies the orientation and encodes the thumbnail.
std::optional<Thumbnail> decode_to_thumbnail(tjhandle h, const std::vector<uint8_t>& bytes, int max_side, int orientation) {
  int w = 0, ht = 0, colorspace = 0;
  if (!header_of(h, bytes, w, ht, colorspace)) return std::nullopt;
  const int long_side = std::max(w, ht);
  int denom = 1;
  while (denom < 8 && (long_side + denom * 2 - 1) / (denom * 2) >= max_side) denom *= 2;
  tjscalingfactor sf{1, denom};
  const int sw = TJSCALED(w, sf), sh = TJSCALED(ht, sf);

  const bool cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
  const int pf = cmyk ? TJPF_CMYK : TJPF_RGB;
  const size_t bpp = cmyk ? 4 : 3;
  // Not zero-filled: the decoder writes every byte.
  const size_t npixels = static_cast<size_t>(sw) * static_cast<size_t>(sh);
  std::unique_ptr<uint8_t[]> pixels(new uint8_t[npixels * bpp]);
  const int flags = TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS | TJFLAG_FASTDCT | TJFLAG_FASTUPSAMPLE;
  if (tjDecompress2(h, bytes.data(), static_cast<unsigned long>(bytes.size()), pixels.get(), sw, 0, sh, pf, flags) != 0) {
    return std::nullopt;
  }
  if (cmyk) {  // Adobe CMYK JPEGs store inverted values: R = C * K / 255 with C, K as stored
    for (size_t i = 0; i < npixels; ++i) {
      const uint32_t k = pixels[i * 4 + 3];
      for (size_t c = 0; c < 3; ++c) pixels[i * 3 + c] = static_cast<uint8_t>((pixels[i * 4 + c] * k + 127) / 255);
    }
  }

  auto [tw, th] = target_size(static_cast<uint64_t>(sw), static_cast<uint64_t>(sh), max_side);
  Image img;
  if (tw == sw && th == sh) {
    img.width = sw;
    img.height = sh;
    img.rgb.assign(pixels.get(), pixels.get() + npixels * 3);
  } else {
    img = downscale(pixels.get(), sw, sh, tw, th);
  }
  return encode_jpeg(apply_orientation(std::move(img), orientation));
}

struct Preview {
  std::vector<uint8_t> bytes;
  int long_side = 0;
};

// The largest embedded preview that decodes (header) and shows the main w x h image: same aspect
// ratio within 2% or a pixel (a 160x120 letterboxed thumbnail of a 3:2 photo is refused), no larger.
// (Own TurboJPEG handle: one that has failed on a broken preview may not decode the next image.)
std::optional<Preview> best_preview(const ByteSource& src, const std::vector<uint8_t>& head, int w, int ht) {
  std::optional<Preview> best;
  Decompressor d;
  if (!d.h) return best;
  for (const PreviewRef& ref : find_jpeg_previews(head, src.size())) {
    if (ref.length > kMaxPreviewBytes) continue;
    std::vector<uint8_t> bytes = ref.offset + ref.length <= head.size()
                                     ? std::vector<uint8_t>(head.begin() + static_cast<ptrdiff_t>(ref.offset),
                                                            head.begin() + static_cast<ptrdiff_t>(ref.offset + ref.length))
                                     : src.read_vector(ref.offset, ref.length);
    if (bytes.size() < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8) continue;
    int pw = 0, ph = 0, colorspace = 0;
    if (!header_of(d.h, bytes, pw, ph, colorspace) || pw > w || ph > ht) continue;
    const double expected_h = static_cast<double>(pw) * ht / w;
    if (std::abs(ph - expected_h) > std::max(1.0, 0.02 * expected_h)) continue;
    const int long_side = std::max(pw, ph);
    if (!best || long_side > best->long_side) best = Preview{std::move(bytes), long_side};
  }
  return best;
}

std::optional<Thumbnail> from_preview(const Preview& p, int max_side, int orientation) {
  Decompressor d;
  if (!d.h) return std::nullopt;
  auto t = decode_to_thumbnail(d.h, p.bytes, max_side, orientation);
  if (t) t->source = ThumbnailSource::EmbeddedPreview;
  return t;
}

}  // namespace

std::optional<Thumbnail> jpeg_thumbnail(const ByteSource& src, const ThumbnailOptions& options, ThumbnailOutcome& outcome) {
  const uint64_t size = src.size();
  if (size < 4 || size > kMaxJpegBytes) return std::nullopt;
  Decompressor d;
  if (!d.h) return std::nullopt;
  // The header from the first 256 KiB (all of the file when the header is longer): a huge image
  // is refused before the whole file is read. EXIF (with its thumbnail) and MPF segments are
  // at most 64 KiB each and come before the image data, so they are in this prefix too.
  constexpr uint64_t kPrefix = 256 << 10;
  std::vector<uint8_t> head = src.read_vector(0, std::min(size, kPrefix));
  int w = 0, h = 0, colorspace = 0;
  int subsamp = 0;
  const bool have_header =
      tjDecompressHeader3(d.h, head.data(), static_cast<unsigned long>(head.size()), &w, &h, &subsamp, &colorspace) == 0;
  if (!have_header && size <= kPrefix) return std::nullopt;
  if (have_header && (w <= 0 || h <= 0 || static_cast<uint64_t>(w) * static_cast<uint64_t>(h) > kMaxPixels)) return std::nullopt;
  const int orientation = exif_orientation(head);

  if (options.fast && have_header) {
    std::optional<Preview> preview = best_preview(src, head, w, h);
    // A preview as large as the thumbnail gives the same result as the pixels, for much less.
    if (preview && preview->long_side >= std::min(options.max_side, std::max(w, h))) {
      if (auto t = from_preview(*preview, options.max_side, orientation)) return t;
      preview.reset();
    }
    if (size > kQuickJpegBytes) {
      if (preview && preview->long_side >= kMinPreviewSide) {
        if (auto t = from_preview(*preview, options.max_side, orientation)) return t;
      }
      outcome.skipped_large = true;
      return std::nullopt;
    }
  }
  std::vector<uint8_t> bytes = size > kPrefix ? src.read_vector(0, size) : std::move(head);
  return decode_to_thumbnail(d.h, bytes, options.max_side, orientation);
}

}  // namespace veritrace::thumbnail::detail
