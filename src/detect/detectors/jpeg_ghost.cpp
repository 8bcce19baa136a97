// jpeg_ghost: JPEG double-quantisation and ghost analysis (docs/detection.md, "jpeg_ghost").
//
// 1. Aligned double quantisation (after Lin et al. 2009 and Bianchi & Piva 2012). A JPEG that was
//    decoded, edited and saved again keeps, in its untouched blocks, the trace of the first
//    quantisation: the histogram of each low-frequency DCT coefficient (in units of the last step
//    q2) is periodic, with bins that the first step q1 hardly reaches. A pasted region whose first
//    compression was on another grid (or never happened) follows the smooth single-compression
//    histogram instead. Per coefficient we estimate the single-compression distribution from the
//    DCT of the image on a grid shifted by (4, 4) (calibration), fit q1 and the untouched share by
//    maximum likelihood (EM over candidate steps), and sum, per 8x8 block, the log-likelihood ratio
//    "single / double" over the coefficients that show double quantisation. For JPEG files the
//    quantised coefficients and q2 are read with libjpeg; for other images (PNG, or a re-encoded
//    copy) they are recovered from the pixels: the 8x8 DCT of the luma lands on multiples of the
//    last step, which we estimate per coefficient.
// 2. JPEG ghost (Farid 2009), in the DCT domain: the block's error after requantising with the IJG
//    table at qualities 50..95 (Parseval: the same as the pixel error, without a codec round trip);
//    blocks whose normalised error curve departs from the image's typical curve (a dip at another
//    quality, or no dip where the rest has one) light up.
// The heatmap is the DQ posterior where double quantisation was found, blended with the ghost map.
#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "detect/detectors/detectors.hpp"
#include "detect/detectors/jpeg_dct.hpp"
#include "detect/image_util.hpp"

namespace veritrace::detect {
namespace {

using jpegdct::kZigzag;

constexpr int kMinSide = 64;
constexpr uint64_t kMaxPixels = 40'000'000;  // beyond this the analysis would exceed any budget
constexpr int kBins = 48;                    // |x| histogram bins; the last one collects the tail
constexpr int kFirstFreq = 1;                // zigzag range of the coefficients analysed
constexpr int kLastFreq = 15;

struct Params {
  double noise_sigma = 0.6;      // rounding noise of the first decompression, DCT units
  double min_gain = 0.004;       // nats per block the DQ model must win per coefficient
  double min_alpha = 0.35;       // share of blocks that must follow the DQ model
  int min_nonzero = 60;          // blocks with a non-zero value for a coefficient to count
  double term_clamp = 3.0;       // per-coefficient log-likelihood ratio bound
  double prior_logit = -1.0;     // log prior odds of "tampered" for a block
  double smooth_sigma = 1.0;     // blocks
  double ghost_weight = 0.4;     // weight of the ghost map where DQ applies
  double ghost_scale = 0.07;     // ghost deviation giving a map value of 0.5 (sigmoid centre)
  // Blocks whose mean squared requantisation error at quality 50 is below this are too flat for
  // the ghost test: their normalised error curves are mostly noise, and large skies and walls
  // then lit up whole camera photos (1.0 flagged 18 of 27 dev photos above the authentic CASIA
  // images' 95th percentile, 8 flags 4; docs/detection-jpeg.md).
  float ghost_min_texture = 8.0f;
};
Params& params() {
  static Params p;
  return p;
}

// Quantised luma coefficients on the image's grid, from the file or the pixels.
struct Quantised {
  int bw = 0, bh = 0;
  std::array<int, 64> q2{};
  cv::Mat x;  // (bh * bw) x 64 CV_32S
  bool from_file = false;
};

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

struct FreqModel {
  int k = 0;       // natural index
  int q2 = 1, q1 = 0;
  double alpha = 0, gain = 0;
  std::array<double, kBins> p0{}, p1{};
};

// |y| values of one coefficient on the shifted grid, sorted: the single-compression distribution.
struct Calibration {
  const std::vector<float>* sorted = nullptr;
  double scale = 1.0;  // the distribution of scale * |y|
  double cdf(double t) const {  // P(scale * |y| < t)
    if (sorted == nullptr || sorted->empty()) return 0;
    const auto& v = *sorted;
    return static_cast<double>(std::lower_bound(v.begin(), v.end(), static_cast<float>(t / scale)) - v.begin()) /
           static_cast<double>(v.size());
  }
};

// Single-compression histogram of |round(y / q2)|.
std::array<double, kBins> single_model(const Calibration& cal, int q2) {
  std::array<double, kBins> p{};
  double prev = 0;
  for (int x = 0; x < kBins - 1; ++x) {
    const double c = cal.cdf((x + 0.5) * q2);
    p[static_cast<size_t>(x)] = c - prev;
    prev = c;
  }
  p[kBins - 1] = 1.0 - prev;
  return p;
}

// Double-compression histogram of |round((q1 * round(y / q1) + e) / q2)|, e ~ N(0, sigma^2).
std::array<double, kBins> double_model(const Calibration& cal, int q1, int q2, double sigma) {
  std::array<double, kBins> p{};
  const double limit = (kBins - 1.5) * q2;
  double prev = 0;
  for (int m = 0;; ++m) {
    const double c = cal.cdf((m + 0.5) * q1);
    const double mass = c - prev;
    prev = c;
    const double centre = static_cast<double>(q1) * m;
    if (centre > limit + 4 * sigma + q2) {
      p[kBins - 1] += 1.0 - (c - mass);  // everything from here on is in the tail
      break;
    }
    if (mass > 0) {
      // Signed value centre + e; fold |round(.)| into bins.
      double used = 0;
      const int xlo = std::max(-1, static_cast<int>(std::floor((centre - 6 * sigma) / q2)) - 1);
      const int xhi = std::min(kBins - 2, static_cast<int>(std::ceil((centre + 6 * sigma) / q2)) + 1);
      for (int x = xlo; x <= xhi; ++x) {
        const double lo = (x - 0.5) * q2, hi = (x + 0.5) * q2;
        const double pr = normal_cdf((hi - centre) / sigma) - normal_cdf((lo - centre) / sigma);
        if (pr <= 0) continue;
        p[static_cast<size_t>(std::abs(x))] += mass * pr;
        used += pr;
      }
      p[kBins - 1] += mass * std::max(0.0, 1.0 - used);
    }
    if (c >= 1.0) break;
  }
  return p;
}

// Fits q1 and the untouched share for one coefficient; gain = log-likelihood per block over the
// single-compression model.
FreqModel fit_frequency(const std::array<double, kBins>& hist, double n, Calibration cal, int k, int q2) {
  const Params& P = params();
  FreqModel best;
  best.k = k;
  best.q2 = q2;
  constexpr double eps = 1e-6;
  // The calibrated (shifted-grid) distribution is a little wider or narrower than the true
  // single-compression one (blocking adds energy): fit its scale first, so that a mismatch of the
  // envelope is not mistaken for double quantisation.
  double ll1 = -1e300;
  for (int i = -4; i <= 4; ++i) {
    Calibration c = cal;
    c.scale = std::pow(1.1, i);
    const auto p1 = single_model(c, q2);
    double ll = 0;
    for (int x = 0; x < kBins; ++x) ll += hist[static_cast<size_t>(x)] * std::log(p1[static_cast<size_t>(x)] + eps);
    if (ll > ll1) ll1 = ll, best.p1 = p1, cal.scale = c.scale;
  }
  const int qmax = std::min(64, std::max(24, 3 * q2));
  for (int q1 = 2; q1 <= qmax; ++q1) {
    if (q1 == q2 || q2 % q1 == 0) continue;  // a step dividing q2 leaves no trace
    const auto p0 = double_model(cal, q1, q2, P.noise_sigma);
    double alpha = 0.7;
    for (int it = 0; it < 12; ++it) {
      double s = 0;
      for (int x = 0; x < kBins; ++x) {
        const double a = alpha * p0[static_cast<size_t>(x)], b = (1 - alpha) * best.p1[static_cast<size_t>(x)];
        if (a + b > 0) s += hist[static_cast<size_t>(x)] * a / (a + b);
      }
      alpha = std::clamp(s / n, 0.0, 1.0);
    }
    double ll = 0;
    for (int x = 0; x < kBins; ++x)
      ll += hist[static_cast<size_t>(x)] *
            std::log(alpha * p0[static_cast<size_t>(x)] + (1 - alpha) * best.p1[static_cast<size_t>(x)] + eps);
    const double gain = (ll - ll1) / n;
    if (gain > best.gain) {
      best.gain = gain;
      best.q1 = q1;
      best.alpha = alpha;
      best.p0 = p0;
    }
  }
  return best;
}

struct DqResult {
  cv::Mat llr;  // bh x bw CV_32F, log odds "tampered" per block (without prior)
  std::vector<FreqModel> models;
};

DqResult dq_analysis(const Quantised& q, const cv::Mat& shifted_dct) {
  const Params& P = params();
  DqResult r;
  const int nblocks = q.bw * q.bh;
  if (nblocks <= 0 || shifted_dct.empty()) return r;
  for (int z = kFirstFreq; z <= kLastFreq; ++z) {
    const int k = kZigzag[static_cast<size_t>(z)];
    std::array<double, kBins> hist{};
    int nonzero = 0;
    for (int b = 0; b < nblocks; ++b) {
      const int v = std::abs(q.x.at<int>(b, k));
      hist[static_cast<size_t>(std::min(v, kBins - 1))] += 1;
      nonzero += v != 0;
    }
    if (nonzero < P.min_nonzero) continue;
    std::vector<float> values(static_cast<size_t>(shifted_dct.rows));
    for (int i = 0; i < shifted_dct.rows; ++i) values[static_cast<size_t>(i)] = std::fabs(shifted_dct.at<float>(i, k));
    std::sort(values.begin(), values.end());
    Calibration cal;
    cal.sorted = &values;
    FreqModel m = fit_frequency(hist, nblocks, cal, k, q.q2[static_cast<size_t>(k)]);
    if (m.q1 > 0 && m.gain >= P.min_gain && m.alpha >= P.min_alpha) r.models.push_back(m);
  }
  if (r.models.empty()) return r;
  r.llr = cv::Mat::zeros(q.bh, q.bw, CV_32F);
  constexpr double eps = 1e-4;
  for (int b = 0; b < nblocks; ++b) {
    double s = 0;
    for (const FreqModel& m : r.models) {
      const int v = std::min(std::abs(q.x.at<int>(b, m.k)), kBins - 1);
      if (v == kBins - 1) continue;
      const double t = std::log(m.p1[static_cast<size_t>(v)] + eps) - std::log(m.p0[static_cast<size_t>(v)] + eps);
      s += std::clamp(t, -P.term_clamp, P.term_clamp);
    }
    r.llr.at<float>(b / q.bw, b % q.bw) = static_cast<float>(s);
  }
  return r;
}

// Ghost deviation per block (bh x bw CV_32F, >= 0) and a validity mask of textured blocks.
cv::Mat ghost_analysis(const cv::Mat& aligned_dct, int bw, int bh) {
  static const std::array<int, 10> kQualities = {50, 55, 60, 65, 70, 75, 80, 85, 90, 95};
  cv::Mat out = cv::Mat::zeros(bh, bw, CV_32F);
  if (aligned_dct.empty() || bw < 3 || bh < 3) return out;
  // Requantisation error per block at each quality, box-blurred over 3 x 3 blocks. Quality 50 comes
  // first: it decides which blocks are textured enough to test, and the other qualities are needed
  // only in those blocks and their neighbours (the blur's support), which skips most of a sky.
  std::vector<cv::Mat> d;
  cv::Mat needed;
  for (int quality : kQualities) {
    const auto t = jpegdct::ijg_luma_table(quality);
    std::array<float, 64> qs{}, inv{};
    for (int k = 0; k < 64; ++k) {
      qs[static_cast<size_t>(k)] = static_cast<float>(t[static_cast<size_t>(k)]);
      inv[static_cast<size_t>(k)] = 1.0f / qs[static_cast<size_t>(k)];
    }
    cv::Mat m = cv::Mat::zeros(bh, bw, CV_32F);
    for (int b = 0; b < bw * bh; ++b) {
      if (!needed.empty() && !needed.at<uint8_t>(b / bw, b % bw)) continue;
      const float* c = aligned_dct.ptr<float>(b);
      float s = 0;
      for (int k = 1; k < 64; ++k) {
        // |c| <= 1024 for 8-bit pixels: the int conversion is exact rounding here.
        const float v = c[k] * inv[static_cast<size_t>(k)];
        const float rounded = static_cast<float>(static_cast<int>(v + (v >= 0 ? 0.5f : -0.5f)));
        const float r = c[k] - qs[static_cast<size_t>(k)] * rounded;
        s += r * r;
      }
      m.at<float>(b / bw, b % bw) = s / 64.0f;
    }
    cv::blur(m, m, cv::Size(3, 3), cv::Point(-1, -1), cv::BORDER_REFLECT);
    if (needed.empty()) {
      cv::Mat textured_blocks = m >= params().ghost_min_texture;
      cv::dilate(textured_blocks, needed, cv::Mat::ones(3, 3, CV_8U), cv::Point(-1, -1), 1, cv::BORDER_REFLECT);
    }
    d.push_back(m);
  }
  // Normalised curves, the typical curve (median over textured blocks), deviation.
  const size_t nq = kQualities.size();
  std::vector<std::vector<float>> curves(nq);
  std::vector<char> textured(static_cast<size_t>(bw) * bh, 0);
  for (int b = 0; b < bw * bh; ++b) {
    const float top = d[0].at<float>(b / bw, b % bw);
    if (top < params().ghost_min_texture) continue;  // too flat to requantise meaningfully
    textured[static_cast<size_t>(b)] = 1;
    for (size_t i = 0; i < nq; ++i) curves[i].push_back(d[i].at<float>(b / bw, b % bw) / top);
  }
  if (curves[0].size() < 16) return out;
  std::vector<float> typical(nq);
  for (size_t i = 0; i < nq; ++i) {
    auto& v = curves[i];
    std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
    typical[i] = v[v.size() / 2];
  }
  for (int b = 0; b < bw * bh; ++b) {
    if (!textured[static_cast<size_t>(b)]) continue;
    const float top = d[0].at<float>(b / bw, b % bw);
    float s = 0;
    for (size_t i = 1; i < nq; ++i) s += std::fabs(d[i].at<float>(b / bw, b % bw) / top - typical[i]);
    out.at<float>(b / bw, b % bw) = s / static_cast<float>(nq - 1);
  }
  return out;
}

float sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }


class JpegGhostDetector final : public Detector {
 public:
  std::string name() const override { return "jpeg_ghost"; }
  std::string version() const override { return "2"; }
  bool applies_to(MediaType t) const override { return t == MediaType::Image; }
  bool localizes() const override { return true; }

  DetectorResult run(const Sample& sample) const override {
    const media::Image* img = sample.image;
    if (img == nullptr || img->empty()) return not_applicable(*this, "no decoded image");
    if (img->width < kMinSide || img->height < kMinSide) return not_applicable(*this, "image smaller than 64 px");
    if (static_cast<uint64_t>(img->width) * img->height > kMaxPixels)
      return not_applicable(*this, "image larger than 40 MP");
    const Params& P = params();
    const cv::Mat luma = luma_f32(*img);

    int abw = 0, abh = 0, sbw = 0, sbh = 0;
    const cv::Mat aligned = jpegdct::block_dct(luma, 0, 0, abw, abh);
    // The calibration needs a histogram, not every block: at most ~4096 blocks.
    const int cal_step = std::max(1, static_cast<int>(std::sqrt(static_cast<double>(abw) * abh / 4096.0)) + 1);
    const cv::Mat shifted = jpegdct::block_dct(luma, 4, 4, sbw, sbh, abw * abh > 4096 ? cal_step : 1);

    // The quantised coefficients: from the file when it is a readable JPEG of this size.
    Quantised q;
    std::string file_note;
    if (sample.format == media::ImageFormat::Jpeg && !sample.bytes.empty()) {
      jpegdct::LumaCoefficients lc;
      std::string why;
      if (!jpegdct::read_luma_coefficients(sample.bytes, kMaxPixels, lc, why)) {
        file_note = "JPEG coefficients unreadable (" + why + "), recovered from pixels";
      } else if (lc.blocks_w != (img->width + 7) / 8 || lc.blocks_h != (img->height + 7) / 8) {
        file_note = "JPEG grid does not match the decoded image, recovered from pixels";
      } else {
        q.bw = lc.blocks_w;
        q.bh = lc.blocks_h;
        q.q2 = lc.quant;
        q.x.create(q.bw * q.bh, 64, CV_32S);
        for (int i = 0; i < q.bw * q.bh * 64; ++i) q.x.ptr<int>()[i] = lc.coef[static_cast<size_t>(i)];
        q.from_file = true;
        if (lc.warnings > 0) file_note = "JPEG data is damaged or truncated";
      }
    }
    if (!q.from_file) {
      q.bw = abw;
      q.bh = abh;
      q.q2 = jpegdct::estimate_quant(aligned, kLastFreq);
      q.x.create(q.bw * q.bh, 64, CV_32S);
      for (int b = 0; b < q.bw * q.bh; ++b)
        for (int k = 0; k < 64; ++k)
          q.x.at<int>(b, k) = static_cast<int>(std::nearbyint(aligned.at<float>(b, k) / q.q2[static_cast<size_t>(k)]));
    }

    DqResult dq = dq_analysis(q, shifted);
    const cv::Mat ghost_dev = ghost_analysis(aligned, abw, abh);

    // Both maps on the file grid (q.bw x q.bh); the ghost grid may lack the partial edge blocks.
    cv::Mat ghost = cv::Mat::zeros(q.bh, q.bw, CV_32F);
    if (!ghost_dev.empty()) ghost_dev.copyTo(ghost(cv::Rect(0, 0, std::min(abw, q.bw), std::min(abh, q.bh))));
    for (auto it = ghost.begin<float>(); it != ghost.end<float>(); ++it)
      *it = *it <= 0 ? 0.0f : sigmoid((*it - static_cast<float>(P.ghost_scale)) / static_cast<float>(0.25 * P.ghost_scale));

    cv::Mat map;
    cv::Mat dq_post;
    if (!dq.llr.empty()) {
      cv::Mat s;
      cv::GaussianBlur(dq.llr, s, cv::Size(0, 0), P.smooth_sigma, P.smooth_sigma, cv::BORDER_REFLECT);
      dq_post.create(s.size(), CV_32F);
      for (int i = 0; i < s.rows * s.cols; ++i)
        dq_post.ptr<float>()[i] = sigmoid(s.ptr<float>()[i] + static_cast<float>(P.prior_logit));
      map = (1.0 - P.ghost_weight) * dq_post + P.ghost_weight * ghost;
    } else {
      map = ghost.clone();
    }

    // Block map -> pixels: each block covers 8x8 pixels; crop the padded edge.
    cv::Mat up;
    cv::resize(map, up, cv::Size(q.bw * 8, q.bh * 8), 0, 0, cv::INTER_LINEAR);
    DetectorResult r = applied(*this, Finding::Manipulated);
    r.evidence.heatmap = heatmap_from(up(cv::Rect(0, 0, std::min(img->width, up.cols), std::min(img->height, up.rows))),
                                      img->width, img->height);
    const double dq_contrast = dq_post.empty() ? 0.0 : region_contrast(dq_post);
    const double ghost_contrast = region_contrast(ghost);
    const double score = region_contrast(map);
    r.score = score;

    const bool dq_found = !dq.models.empty();
    std::string summary;
    if (dq_found) {
      summary = "Most of the image carries traces of an earlier JPEG compression (double quantisation";
      summary += q.from_file ? ", read from the file's DCT coefficients)" : ", recovered from the pixels)";
      summary += score > 0.3 ? "; some areas lack them, as pasted or retouched areas would."
                             : " and no area clearly lacks them.";
    } else {
      summary = "No double JPEG compression was found";
      summary += score > 0.3 ? "; the JPEG ghost test shows areas whose compression history differs from the rest."
                             : ", and the JPEG ghost test shows no area with a different compression history.";
    }
    r.evidence.summary = summary;
    r.evidence.numbers = {{"region_contrast", score},
                          {"dq_region_contrast", dq_contrast},
                          {"ghost_region_contrast", ghost_contrast},
                          {"dq_coefficients", static_cast<double>(dq.models.size())}};
    nlohmann::json models = nlohmann::json::array();
    for (const FreqModel& m : dq.models)
      models.push_back({{"coefficient", m.k}, {"q2", m.q2}, {"q1", m.q1}, {"untouched_share", m.alpha}, {"gain", m.gain}});
    r.evidence.details = {{"analyses", dq_found ? nlohmann::json::array({"double_quantisation", "ghost"})
                                                : nlohmann::json::array({"ghost"})},
                          {"coefficients_from", q.from_file ? "jpeg_file" : "pixels"},
                          {"double_quantisation", models}};
    if (!file_note.empty()) r.evidence.details["note"] = file_note;
    return r;
  }
};

}  // namespace
std::unique_ptr<Detector> make_jpeg_ghost_detector() { return std::make_unique<JpegGhostDetector>(); }
}  // namespace veritrace::detect
