// JPEG through TurboJPEG. libjpeg's errors stay inside TurboJPEG (its own setjmp) and come back as
// -1; warnings (truncated or corrupt data) stop the decode (TJFLAG_STOPONWARNING), so a damaged file
// is an error rather than a half-grey image. Flags 0 otherwise: ISLOW IDCT and fancy upsampling,
// the libjpeg defaults that OpenCV's imread also keeps, so the pixels match cv2.imread exactly.
#include <turbojpeg.h>

#include <fmt/format.h>

#include "media/internal.hpp"

namespace veritrace::media {

namespace {

class TjHandle {
 public:
  explicit TjHandle(tjhandle h) : h_(h) {
    if (!h_) throw Error(ErrorKind::Internal, "TurboJPEG could not be initialised");
  }
  ~TjHandle() { tjDestroy(h_); }
  TjHandle(const TjHandle&) = delete;
  TjHandle& operator=(const TjHandle&) = delete;
  tjhandle get() const { return h_; }

 private:
  tjhandle h_;
};

}  // namespace

namespace detail {

Image decode_jpeg(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  TjHandle tj(tjInitDecompress());
  int width = 0, height = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(tj.get(), bytes.data(), static_cast<unsigned long>(bytes.size()), &width, &height,
                          &subsamp, &colorspace) != 0)
    throw Error(ErrorKind::Malformed, fmt::format("JPEG header: {}", tjGetErrorStr2(tj.get())));
  if (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK)
    throw Error(ErrorKind::Unsupported, "CMYK/YCCK JPEG images are not supported (convert to RGB first)");
  check_dimensions(static_cast<uint64_t>(width), static_cast<uint64_t>(height), options.max_pixels, "JPEG");

  Image image;
  image.width = width;
  image.height = height;
  image.channels = colorspace == TJCS_GRAY && !options.force_rgb ? 1 : 3;
  image.source_format = "jpeg";
  image.pixels.resize(static_cast<size_t>(width) * height * image.channels);
  const int pixel_format = image.channels == 1 ? TJPF_GRAY : TJPF_RGB;
  const int flags = TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS;
  if (tjDecompress2(tj.get(), bytes.data(), static_cast<unsigned long>(bytes.size()), image.pixels.data(), width,
                    0, height, pixel_format, flags) != 0)
    throw Error(ErrorKind::Malformed, fmt::format("JPEG data: {}", tjGetErrorStr2(tj.get())));
  if (options.apply_exif_orientation) image = apply_orientation(std::move(image), jpeg_exif_orientation(bytes));
  return image;
}

}  // namespace detail

std::vector<uint8_t> encode_jpeg(const Image& input, int quality, Subsampling subsampling) {
  if (quality < 1 || quality > 100) throw Error(ErrorKind::Usage, fmt::format("JPEG quality {} is not in 1..100", quality));
  if (input.empty()) throw Error(ErrorKind::Usage, "cannot encode an empty image");
  const Image* image = &input;
  Image rgb;
  if (input.channels == 4) {  // JPEG has no alpha: drop it
    rgb = to_rgb(input);
    image = &rgb;
  }
  TjHandle tj(tjInitCompress());
  const bool gray = image->channels == 1;
  const int samp = gray ? TJSAMP_GRAY
                        : subsampling == Subsampling::S444 ? TJSAMP_444
                        : subsampling == Subsampling::S422 ? TJSAMP_422
                                                           : TJSAMP_420;
  unsigned char* out = nullptr;
  unsigned long out_size = 0;
  if (tjCompress2(tj.get(), image->pixels.data(), image->width, 0, image->height, gray ? TJPF_GRAY : TJPF_RGB, &out,
                  &out_size, samp, quality, 0) != 0) {
    const std::string why = tjGetErrorStr2(tj.get());
    tjFree(out);
    throw Error(ErrorKind::Internal, fmt::format("JPEG encoding failed: {}", why));
  }
  std::vector<uint8_t> result(out, out + out_size);
  tjFree(out);
  return result;
}

}  // namespace veritrace::media
