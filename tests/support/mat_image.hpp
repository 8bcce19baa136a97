// Between cv::Mat and media::Image in tests (copies; both 8-bit interleaved).
#pragma once
#include <opencv2/core.hpp>

#include "veritrace/media.hpp"

namespace vt_test {

inline veritrace::media::Image from_mat(const cv::Mat& m) {
  veritrace::media::Image img;
  img.width = m.cols, img.height = m.rows, img.channels = m.channels();
  const cv::Mat c = m.isContinuous() ? m : m.clone();
  img.pixels.assign(c.data, c.data + c.total() * c.elemSize());
  return img;
}

inline cv::Mat to_mat(const veritrace::media::Image& img) {
  return cv::Mat(img.height, img.width, CV_8UC(img.channels), const_cast<uint8_t*>(img.pixels.data())).clone();
}

}  // namespace vt_test
