// Face alignment to the crop template (face.hpp).
#include <opencv2/imgproc.hpp>

#include <complex>

#include "veritrace/face.hpp"

namespace veritrace::face {

namespace {
// Five-point template of a 112 px tight face crop (the widely used ArcFace positions: eyes, nose
// tip, mouth corners), scaled by 0.75 into the crop and centred, which leaves the margin.
constexpr double kTight[5][2] = {{38.2946, 51.6963}, {73.5318, 51.5014}, {56.0252, 71.7366}, {41.5493, 92.3655}, {70.7299, 92.2041}};
constexpr double kScale = 0.75;
}  // namespace

std::array<Point, 5> aligned_template(int size) {
  std::array<Point, 5> t{};
  const double k = kScale * size / 112.0;
  for (size_t i = 0; i < 5; ++i) {
    // The tight template's centre (56, 72) goes to the crop's centre, slightly above it.
    t[i].x = static_cast<float>((kTight[i][0] - 56.0) * k + 0.5 * (size - 1));
    t[i].y = static_cast<float>((kTight[i][1] - 72.0) * k + 0.52 * (size - 1));
  }
  return t;
}

std::array<double, 6> alignment_matrix(const Face& face, int size) {
  // Least-squares similarity with complex numbers: w = c z + t, c = a + ib (scale and rotation).
  const auto dst = aligned_template(size);
  std::complex<double> mz(0, 0), mw(0, 0);
  for (size_t i = 0; i < 5; ++i) {
    mz += std::complex<double>(face.landmarks[i].x, face.landmarks[i].y);
    mw += std::complex<double>(dst[i].x, dst[i].y);
  }
  mz /= 5.0;
  mw /= 5.0;
  std::complex<double> num(0, 0);
  double den = 0;
  for (size_t i = 0; i < 5; ++i) {
    const std::complex<double> z = std::complex<double>(face.landmarks[i].x, face.landmarks[i].y) - mz;
    const std::complex<double> w = std::complex<double>(dst[i].x, dst[i].y) - mw;
    num += std::conj(z) * w;
    den += std::norm(z);
  }
  const std::complex<double> c = den > 1e-9 ? num / den : std::complex<double>(1, 0);
  const std::complex<double> t = mw - c * mz;
  return {c.real(), -c.imag(), t.real(), c.imag(), c.real(), t.imag()};
}

media::Image align_face(const media::Image& rgb, const Face& face, int size) {
  if (rgb.empty() || rgb.channels != 3) throw Error(ErrorKind::Usage, "face alignment needs a 3-channel RGB image");
  const auto m = alignment_matrix(face, size);
  const cv::Mat src(rgb.height, rgb.width, CV_8UC3, const_cast<uint8_t*>(rgb.pixels.data()));
  const cv::Mat M = (cv::Mat_<double>(2, 3) << m[0], m[1], m[2], m[3], m[4], m[5]);
  media::Image out;
  out.width = out.height = size;
  out.channels = 3;
  out.pixels.resize(static_cast<size_t>(size) * size * 3);
  cv::Mat dst(size, size, CV_8UC3, out.pixels.data());
  cv::warpAffine(src, dst, M, cv::Size(size, size), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  return out;
}

}  // namespace veritrace::face
