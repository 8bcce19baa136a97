// Internal helpers shared by embedding and detection.
#pragma once
#include <opencv2/core.hpp>

#include "veritrace/media.hpp"

namespace veritrace::watermark::detail {

// Throws Error(Usage) for an inconsistent buffer, Error(Unsupported) below kMinSide or over the
// pixel limit.
void check_image(const media::Image& image);

// Luma (BT.601 weights) as a CV_32F matrix; gray images are copied, alpha is ignored.
cv::Mat luma(const media::Image& image);

}  // namespace veritrace::watermark::detail
