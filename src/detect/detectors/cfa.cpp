// `cfa`: colour-filter-array (demosaicing) traces (docs/detection-noise.md).
//
// A camera sensor records one colour per pixel through a Bayer filter; green is measured on one
// quincunx lattice (x + y even, or odd) and interpolated on the other. Interpolated pixels are
// close to the mean of their four neighbours, measured ones are not, so the error of predicting
// green from its four neighbours has a different variance on the two lattices (Popescu and Farid
// 2005; Ferrara et al. 2012 use the same per-block variance ratio). Per 24 x 24 px window (stride
// 8 px) we take f = log(var(error on lattice A) / var(error on lattice B)). Where the camera's
// trace survives, f has one sign and a clear size over the whole picture; a pasted, resampled or
// smoothed region has lost it (f near 0 or of the other sign). JPEG compression at ordinary
// qualities and resizing erase the trace everywhere: then the detector is not applicable. Windows
// that are flat (no prediction error to compare) or clipped are not judged.
#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "detect/detectors/detectors.hpp"
#include "detect/image_util.hpp"

namespace veritrace::detect {
namespace {

constexpr int kMinSide = 64;
constexpr int kCell = 8;                // pixels per cell side (even: both lattices alike in a cell)
constexpr int kWin = 3;                 // window = 3 x 3 cells = 24 px
constexpr double kMinEnergy = 0.5;      // mean squared prediction error below which a window is flat
constexpr double kClipFraction = 0.2;   // windows with more clipped pixels are not judged
constexpr double kMinTrace = 0.25;      // median |log variance ratio| an image needs to have a trace
constexpr double kMinAgreement = 0.75;  // share of windows whose lattice agrees with the image's
constexpr int kMinWindows = 16;
constexpr const char* kNoTrace = "no colour-filter-array trace: the image was compressed or resampled";

double median_of(std::vector<double> v) {
  if (v.empty()) return 0.0;
  const size_t m = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(m), v.end());
  return v[m];
}

class CfaDetector final : public Detector {
 public:
  std::string name() const override { return "cfa"; }
  std::string version() const override { return "1"; }
  bool applies_to(MediaType t) const override { return t == MediaType::Image; }
  bool localizes() const override { return true; }

  DetectorResult run(const Sample& sample) const override {
    if (!sample.image || sample.image->empty()) return not_applicable(*this, "no decoded image");
    const media::Image& img = *sample.image;
    if (img.channels < 3) return not_applicable(*this, "grey image: no colour-filter-array trace to test");
    if (img.width < kMinSide || img.height < kMinSide) return not_applicable(*this, "image smaller than 64 px");
    const int W = img.width, H = img.height, C = img.channels;
    const int cw = (W + kCell - 1) / kCell, ch = (H + kCell - 1) / kCell;
    // Per cell: error energy on lattice A (x + y even) and B, pixel counts, clipped pixels.
    cv::Mat sa = cv::Mat::zeros(ch, cw, CV_64F), sb = sa.clone(), na = sa.clone(), nb = sa.clone(), clip = sa.clone();
    cv::Mat npx = sa.clone();
    std::vector<float> up(W), cur(W), down(W);
    auto green = [&](int y, std::vector<float>& row) {
      const uint8_t* p = img.row(y);
      for (int x = 0; x < W; ++x) row[x] = p[x * C + 1];
    };
    green(0, cur);
    green(std::min(1, H - 1), down);
    for (int y = 0; y < H; ++y) {
      const int cy = y / kCell;
      double* rsa = sa.ptr<double>(cy);
      double* rsb = sb.ptr<double>(cy);
      double* rna = na.ptr<double>(cy);
      double* rnb = nb.ptr<double>(cy);
      double* rcl = clip.ptr<double>(cy);
      double* rnp = npx.ptr<double>(cy);
      const bool interior_row = y > 0 && y < H - 1;
      for (int x = 0; x < W; ++x) {
        const int cx = x / kCell;
        const float g = cur[x];
        rnp[cx] += 1;
        if (g <= 2.f || g >= 253.f) rcl[cx] += 1;
        if (!interior_row || x == 0 || x == W - 1) continue;
        const float e = g - 0.25f * (cur[x - 1] + cur[x + 1] + up[x] + down[x]);
        if (((x + y) & 1) == 0) {
          rsa[cx] += static_cast<double>(e) * e;
          rna[cx] += 1;
        } else {
          rsb[cx] += static_cast<double>(e) * e;
          rnb[cx] += 1;
        }
      }
      std::swap(up, cur);
      std::swap(cur, down);
      if (y + 2 < H) green(y + 2, down);
    }
    auto box = [](const cv::Mat& m) {
      cv::Mat o;
      cv::boxFilter(m, o, -1, cv::Size(kWin, kWin), cv::Point(-1, -1), false, cv::BORDER_CONSTANT);
      return o;
    };
    const cv::Mat wa = box(sa), wb = box(sb), wna = box(na), wnb = box(nb), wcl = box(clip), wnp = box(npx);

    cv::Mat f = cv::Mat::zeros(ch, cw, CV_64F);
    cv::Mat reliable = cv::Mat::zeros(ch, cw, CV_8U);
    std::vector<double> fs;
    for (int y = 0; y < ch; ++y)
      for (int x = 0; x < cw; ++x) {
        const double a = wna.at<double>(y, x), b = wnb.at<double>(y, x);
        if (a < 32 || b < 32) continue;
        const double va = wa.at<double>(y, x) / a, vb = wb.at<double>(y, x) / b;
        if (0.5 * (va + vb) < kMinEnergy) continue;
        if (wcl.at<double>(y, x) > kClipFraction * wnp.at<double>(y, x)) continue;
        const double v = std::log((va + 0.05) / (vb + 0.05));
        f.at<double>(y, x) = v;
        reliable.at<uint8_t>(y, x) = 1;
        fs.push_back(v);
      }
    if (static_cast<int>(fs.size()) < kMinWindows) return not_applicable(*this, "too few textured areas to test for a colour-filter-array trace");
    const double med = median_of(fs);
    const double sign = med >= 0 ? 1.0 : -1.0;
    size_t agree = 0;
    for (double v : fs) agree += sign * v > 0;
    const double agreement = static_cast<double>(agree) / static_cast<double>(fs.size());
    const double strength = std::abs(med);
    if (strength < kMinTrace || agreement < kMinAgreement) {
      DetectorResult r = not_applicable(*this, kNoTrace);
      r.evidence.numbers = {{"trace_strength", strength}, {"lattice_agreement", agreement}};
      return r;
    }

    // Missing trace: 1 where the window's signed ratio is 0 or reversed, 0 from half the image's
    // typical trace up.
    cv::Mat p = cv::Mat::zeros(ch, cw, CV_32F);
    size_t missing = 0;
    for (int y = 0; y < ch; ++y)
      for (int x = 0; x < cw; ++x) {
        if (!reliable.at<uint8_t>(y, x)) continue;
        const double g = sign * f.at<double>(y, x);
        const double v = std::clamp(1.0 - g / (0.5 * strength), 0.0, 1.0);
        p.at<float>(y, x) = static_cast<float>(v);
        missing += v > 0.5;
      }
    const double missing_frac = static_cast<double>(missing) / static_cast<double>(fs.size());
    cv::Mat heat_px;
    cv::resize(p, heat_px, cv::Size(cw * kCell, ch * kCell), 0, 0, cv::INTER_LINEAR);
    heat_px = heat_px(cv::Rect(0, 0, W, H));

    DetectorResult res = applied(*this, Finding::Manipulated);
    res.score = missing_frac;
    res.evidence.heatmap = heatmap_from(heat_px, W, H);
    res.evidence.numbers = {{"missing_trace_area", missing_frac},
                            {"trace_strength", strength},
                            {"lattice_agreement", agreement}};
    char buf[240];
    if (missing_frac >= 0.05)
      std::snprintf(buf, sizeof buf,
                    "The camera's colour-filter pattern is present in the image but missing from %.0f%% of it, as "
                    "in pasted, resized or retouched areas.",
                    100.0 * missing_frac);
    else
      std::snprintf(buf, sizeof buf, "The camera's colour-filter pattern is present throughout the image.");
    res.evidence.summary = buf;
    return res;
  }
};

}  // namespace
std::unique_ptr<Detector> make_cfa_detector() { return std::make_unique<CfaDetector>(); }
}  // namespace veritrace::detect
