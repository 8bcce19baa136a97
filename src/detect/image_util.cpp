#include "detect/image_util.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <numeric>
#include <vector>

namespace veritrace::detect {

cv::Mat view_of(const media::Image& image) {
  const int type = image.channels == 1 ? CV_8UC1 : image.channels == 3 ? CV_8UC3 : CV_8UC4;
  return cv::Mat(image.height, image.width, type, const_cast<uint8_t*>(image.pixels.data()));
}

cv::Mat luma_f32(const media::Image& image) {
  cv::Mat v = view_of(image), gray;
  if (image.channels == 1) {
    gray = v;
  } else if (image.channels == 3) {
    cv::cvtColor(v, gray, cv::COLOR_RGB2GRAY);
  } else {
    cv::cvtColor(v, gray, cv::COLOR_RGBA2GRAY);
  }
  cv::Mat f;
  gray.convertTo(f, CV_32F);
  return f;
}

Heatmap heatmap_from(const cv::Mat& map_f32, int width, int height) {
  Heatmap h;
  h.width = width;
  h.height = height;
  h.values.assign(static_cast<size_t>(width) * height, 0.0f);
  cv::Mat out(height, width, CV_32F, h.values.data());
  cv::Mat src;
  map_f32.convertTo(src, CV_32F);
  if (src.cols == width && src.rows == height) {
    src.copyTo(out);
  } else {
    cv::resize(src, out, cv::Size(width, height), 0, 0, cv::INTER_LINEAR);
  }
  cv::min(out, 1.0, out);
  cv::max(out, 0.0, out);
  return h;
}

cv::Mat mat_of(const Heatmap& map) {
  return cv::Mat(map.height, map.width, CV_32F, const_cast<float*>(map.values.data()));
}

double region_contrast(const cv::Mat& m) {
  std::vector<float> v(m.begin<float>(), m.end<float>());
  if (v.size() < 10) return 0;
  std::sort(v.begin(), v.end());
  const size_t cut = v.size() * 9 / 10;
  const double top = std::accumulate(v.begin() + static_cast<long>(cut), v.end(), 0.0) / static_cast<double>(v.size() - cut);
  return top - v[cut / 2];
}

DetectorResult not_applicable(const Detector& d, std::string reason, Finding points_to) {
  DetectorResult r;
  r.points_to = points_to;
  r.name = d.name();
  r.version = d.version();
  r.status = Status::NotApplicable;
  r.reason = std::move(reason);
  return r;
}

DetectorResult applied(const Detector& d, Finding points_to) {
  DetectorResult r;
  r.name = d.name();
  r.version = d.version();
  r.status = Status::Applied;
  r.points_to = points_to;
  return r;
}

}  // namespace veritrace::detect
