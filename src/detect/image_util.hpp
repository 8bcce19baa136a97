// Pixel helpers the detectors share: OpenCV views of the decoded sample and heatmap conversion.
#pragma once
#include <opencv2/core.hpp>

#include "veritrace/detect.hpp"

namespace veritrace::detect {

// The sample's pixels as an OpenCV matrix (CV_8UC3 RGB or CV_8UC1), sharing memory (no copy).
cv::Mat view_of(const media::Image& image);
// Luma (BT.601) as CV_32F in [0, 255].
cv::Mat luma_f32(const media::Image& image);
// A CV_32F map (any size) resized (bilinear) to width x height and clamped to [0, 1].
Heatmap heatmap_from(const cv::Mat& map_f32, int width, int height);
cv::Mat mat_of(const Heatmap& map);
// Mean of the top 10% of a CV_32F map minus the median of the rest: how much a compact region
// stands out (0 for maps under 10 values).
double region_contrast(const cv::Mat& map_f32);  // CV_32F view of a heatmap's values (shares memory)

// Common "not applicable" results.
DetectorResult not_applicable(const Detector& d, std::string reason, Finding points_to = Finding::Synthetic);
DetectorResult applied(const Detector& d, Finding points_to);  // status Applied, name/version set

}  // namespace veritrace::detect
