#include "watermark/wm_common.hpp"

#include <string>

#include "veritrace/core.hpp"
#include "veritrace/watermark.hpp"

namespace veritrace::watermark::detail {

void check_image(const media::Image& image) {
  if (image.channels != 1 && image.channels != 3 && image.channels != 4)
    throw Error(ErrorKind::Usage, "watermark: images must have 1, 3 or 4 channels, not " + std::to_string(image.channels));
  if (image.width < kMinSide || image.height < kMinSide)
    throw Error(ErrorKind::Unsupported, "watermark: image is " + std::to_string(image.width) + "x" +
                                            std::to_string(image.height) + "; both sides must be at least " +
                                            std::to_string(kMinSide) + " pixels");
  const uint64_t pixels = static_cast<uint64_t>(image.width) * static_cast<uint64_t>(image.height);
  if (pixels > media::kDefaultMaxPixels)
    throw Error(ErrorKind::Unsupported, "watermark: image has " + std::to_string(pixels) + " pixels, over the limit of " +
                                            std::to_string(media::kDefaultMaxPixels));
  if (image.pixels.size() != pixels * static_cast<uint64_t>(image.channels))
    throw Error(ErrorKind::Usage, "watermark: pixel buffer size does not match width x height x channels");
}

cv::Mat luma(const media::Image& image) {
  cv::Mat y(image.height, image.width, CV_32F);
  const int ch = image.channels;
  for (int r = 0; r < image.height; ++r) {
    const uint8_t* src = image.row(r);
    float* dst = y.ptr<float>(r);
    if (ch == 1) {
      for (int x = 0; x < image.width; ++x) dst[x] = src[x];
    } else {
      for (int x = 0; x < image.width; ++x, src += ch)
        dst[x] = 0.299f * src[0] + 0.587f * src[1] + 0.114f * src[2];
    }
  }
  return y;
}

}  // namespace veritrace::watermark::detail
