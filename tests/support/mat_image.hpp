// Between cv::Mat and media::Image in tests (copies; both 8-bit interleaved).
#pragma once
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>

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

// Picture-like texture: Gaussian noise blurred at three scales (1, 4 and 16 pixels), each scaled to
// a standard deviation of 18 grey levels and added to acc (CV_32FC3). With a weight map (CV_32FC3,
// the size of acc) the two finer scales are multiplied by it, so texture varies across the image.
inline void add_multiscale_noise(cv::Mat& acc, cv::RNG& rng, const cv::Mat& fine_weight = cv::Mat()) {
  for (double sigma : {1.0, 4.0, 16.0}) {
    cv::Mat n(acc.rows, acc.cols, CV_32FC3);
    rng.fill(n, cv::RNG::NORMAL, 0, 1);
    cv::GaussianBlur(n, n, cv::Size(0, 0), sigma);
    cv::Scalar mean, stddev;
    cv::meanStdDev(n, mean, stddev);
    n *= 18.0 / std::max(1e-6, stddev[0]);
    acc += !fine_weight.empty() && sigma < 10 ? n.mul(fine_weight) : n;
  }
}

}  // namespace vt_test
