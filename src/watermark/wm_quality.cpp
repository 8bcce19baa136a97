#include "watermark/wm_quality.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <vector>

namespace veritrace::watermark::detail {

double psnr(const media::Image& a, const media::Image& b) {
  double se = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) {
    const double d = static_cast<double>(a.pixels[i]) - b.pixels[i];
    se += d * d;
  }
  const double mse = se / static_cast<double>(a.pixels.size());
  return mse > 0 ? 10 * std::log10(255.0 * 255.0 / mse) : 99.0;
}

double ssim(const media::Image& a, const media::Image& b) {
  auto planes = [](const media::Image& img) {
    const cv::Mat m(img.height, img.width, CV_8UC(img.channels), const_cast<uint8_t*>(img.pixels.data()));
    std::vector<cv::Mat> out;
    cv::split(m, out);
    return out;
  };
  const std::vector<cv::Mat> xs = planes(a), ys = planes(b);
  const double c1 = 6.5025, c2 = 58.5225;  // (0.01 * 255)^2, (0.03 * 255)^2
  auto blur = [](const cv::Mat& m) {
    cv::Mat o;
    cv::GaussianBlur(m, o, cv::Size(11, 11), 1.5);
    return o;
  };
  double total = 0;
  for (size_t c = 0; c < xs.size(); ++c) {
    cv::Mat x, y;
    xs[c].convertTo(x, CV_32F);
    ys[c].convertTo(y, CV_32F);
    const cv::Mat mx = blur(x), my = blur(y);
    const cv::Mat sxx = blur(x.mul(x)) - mx.mul(mx), syy = blur(y.mul(y)) - my.mul(my), sxy = blur(x.mul(y)) - mx.mul(my);
    cv::Mat num = (2 * mx.mul(my) + c1).mul(2 * sxy + c2), den = (mx.mul(mx) + my.mul(my) + c1).mul(sxx + syy + c2), map;
    cv::divide(num, den, map);
    total += cv::mean(map)[0];
  }
  return total / static_cast<double>(xs.size());
}

}  // namespace veritrace::watermark::detail
