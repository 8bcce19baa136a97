// copy_move: a region copied and pasted elsewhere in the same image (docs/detection.md, "copy-move").
//
// 1. Luma, resized so the long side is kCopyMoveWorkLong (small images are enlarged up to 2x, large
//    ones reduced): the cost no longer depends on the input size.
// 2. ORB keypoints (oriented FAST + rotated BRIEF, 8 pyramid levels: rotation and scale invariant),
//    at most kMaxKeypoints. SIFT was measured too slow for the budget (230-470 ms on 1024 px, one
//    thread, OpenCV 4.6).
// 3. Every keypoint against every other (Hamming distance, each pair once), keeping the 4 nearest
//    that lie at least kMinSelfDistance away; the generalised 2NN test (Amerini et al. 2011)
//    accepts the m-th neighbour while d_m / d_(m+1) < kRatio and d_m <= kMaxHamming, so a texture
//    that repeats three or more times (its neighbours all equally close) gives no match.
// 4. Match pairs are grouped: two pairs belong together when their ends lie near each other
//    (either way round); each group's pairs are oriented alike while it grows.
// 5. Per group, a similarity transform (rotation, uniform scale, translation) by RANSAC
//    (cv::estimateAffinePartial2D); a group counts when it keeps >= min_inliers inliers, its
//    shift is long enough, its points are spread out, its scale is plausible and its two sides
//    barely overlap (periodic textures map a large area onto itself by a short shift).
// Output: the source and copy boxes (labels "source"/"copy": which side was the original cannot be
// told from the matches), a heatmap lit on the dilated convex hulls of both sides, the number of
// verified matches as the score.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include <opencv2/calib3d.hpp>
#include <opencv2/core.hpp>
#include <opencv2/features2d.hpp>
#include <opencv2/imgproc.hpp>

#include "detect/detectors/detectors.hpp"
#include "detect/image_util.hpp"

namespace veritrace::detect {
namespace {

constexpr int kMinSide = 64;            // smaller images: not applicable
constexpr int kWorkLong = 1024;         // working long side (larger images are reduced)
constexpr double kMaxUpscale = 2.0;     // smaller images are enlarged at most this much
constexpr int kMaxKeypoints = 3000;
constexpr int kCandidates = 12000;      // ORB candidates before the spatial selection
constexpr int kLevels = 8;
constexpr int kFastThreshold = 8;
constexpr int kCell = 32;               // working px
constexpr int kMinKeypoints = 40;       // fewer: not applicable (nothing to compare)
constexpr int kNeighbours = 4;          // nearest kept per keypoint (3 tested + 1 for the ratio)
constexpr double kRatio = 0.6;          // generalised 2NN ratio (Hamming distances)
constexpr int kMaxHamming = 80;         // of 256 bits
constexpr double kMinSelfDistance = 16; // working px: nearer neighbours are the point itself
constexpr int kMaxMatches = 4000;
constexpr double kRansacPx = 4.0;       // working px
constexpr double kMinScale = 0.5, kMaxScale = 2.0;
constexpr double kPeriodicShare = 0.5;  // see looks_periodic()

struct Options {
  int min_inliers = 4;  // docs/detection-copy-move.md: why 4 (the cross-validated rule picks 3 or 4)
  double min_shift_frac = 0.04;  // shift >= this * working long side
  double min_spread = 6.0;       // working px: std of the inliers' positions
  double max_overlap = 0.3;      // intersection / smaller box of the two sides
};

struct Neighbour {
  int idx = -1;
  int dist = 1 << 30;
};

struct Match {
  cv::Point2f a, b;
  int dist = 0;
  float size = 0;  // keypoint diameter (working px)
};

struct Cluster {
  std::vector<cv::Point2f> src, dst;  // inliers
  float mean_size = 0;
  double scale = 1, angle_deg = 0;
  cv::Rect2f src_box, dst_box;
};

int popcount64_generic(uint64_t v) {
  v = v - ((v >> 1) & 0x5555555555555555ULL);
  v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL);
  v = (v + (v >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
  return static_cast<int>((v * 0x0101010101010101ULL) >> 56);
}

inline void push_neighbour(std::array<Neighbour, kNeighbours>& list, int idx, int dist) {
  if (dist >= list[kNeighbours - 1].dist) return;
  int k = kNeighbours - 1;
  while (k > 0 && list[k - 1].dist > dist) {
    list[k] = list[k - 1];
    --k;
  }
  list[k] = {idx, dist};
}

// All pairs once: the kNeighbours nearest descriptors of every keypoint, ignoring keypoints nearer
// than kMinSelfDistance. desc: n rows of 4 x uint64 (256-bit ORB descriptors).
template <bool kHardware>
void nearest_all_impl(const std::vector<uint64_t>& desc, const std::vector<cv::Point2f>& pts,
                      std::vector<std::array<Neighbour, kNeighbours>>& out) {
  const int n = static_cast<int>(pts.size());
  const float min_d2 = static_cast<float>(kMinSelfDistance * kMinSelfDistance);
  for (int i = 0; i < n; ++i) {
    const uint64_t* di = &desc[static_cast<size_t>(i) * 4];
    const cv::Point2f pi = pts[i];
    for (int j = i + 1; j < n; ++j) {
      const uint64_t* dj = &desc[static_cast<size_t>(j) * 4];
      int d;
      if constexpr (kHardware) {
        d = __builtin_popcountll(di[0] ^ dj[0]) + __builtin_popcountll(di[1] ^ dj[1]) +
            __builtin_popcountll(di[2] ^ dj[2]) + __builtin_popcountll(di[3] ^ dj[3]);
      } else {
        d = popcount64_generic(di[0] ^ dj[0]) + popcount64_generic(di[1] ^ dj[1]) +
            popcount64_generic(di[2] ^ dj[2]) + popcount64_generic(di[3] ^ dj[3]);
      }
      if (d >= out[i][kNeighbours - 1].dist && d >= out[j][kNeighbours - 1].dist) continue;
      const float dx = pi.x - pts[j].x, dy = pi.y - pts[j].y;
      if (dx * dx + dy * dy < min_d2) continue;
      push_neighbour(out[i], j, d);
      push_neighbour(out[j], i, d);
    }
  }
}

__attribute__((target("popcnt"))) void nearest_all_popcnt(const std::vector<uint64_t>& desc,
                                                          const std::vector<cv::Point2f>& pts,
                                                          std::vector<std::array<Neighbour, kNeighbours>>& out) {
  nearest_all_impl<true>(desc, pts, out);
}

void nearest_all(const std::vector<uint64_t>& desc, const std::vector<cv::Point2f>& pts,
                 std::vector<std::array<Neighbour, kNeighbours>>& out) {
  out.assign(pts.size(), std::array<Neighbour, kNeighbours>{});
  static const bool has_popcnt = __builtin_cpu_supports("popcnt");
  if (has_popcnt) {
    nearest_all_popcnt(desc, pts, out);
  } else {
    nearest_all_impl<false>(desc, pts, out);
  }
}

// Groups matches whose ends lie within `radius` of each other (either way round) and orients
// every match of a group like the one it was reached from. Returns groups of match indices.
std::vector<std::vector<int>> group_matches(std::vector<Match>& m, float radius) {
  const int n = static_cast<int>(m.size());
  const float r2 = radius * radius;
  auto near = [r2](cv::Point2f p, cv::Point2f q) {
    const float dx = p.x - q.x, dy = p.y - q.y;
    return dx * dx + dy * dy < r2;
  };
  std::vector<char> seen(static_cast<size_t>(n), 0);
  std::vector<std::vector<int>> groups;
  std::vector<int> queue;
  for (int s = 0; s < n; ++s) {
    if (seen[s]) continue;
    seen[s] = 1;
    queue.assign(1, s);
    for (size_t h = 0; h < queue.size(); ++h) {
      const Match cur = m[queue[h]];
      for (int j = 0; j < n; ++j) {
        if (seen[j]) continue;
        if (near(cur.a, m[j].a) && near(cur.b, m[j].b)) {
          seen[j] = 1;
          queue.push_back(j);
        } else if (near(cur.a, m[j].b) && near(cur.b, m[j].a)) {
          std::swap(m[j].a, m[j].b);
          seen[j] = 1;
          queue.push_back(j);
        }
      }
    }
    groups.push_back(queue);
  }
  return groups;
}

cv::Rect2f box_of(const std::vector<cv::Point2f>& p) {
  float x0 = p[0].x, y0 = p[0].y, x1 = x0, y1 = y0;
  for (const auto& q : p) {
    x0 = std::min(x0, q.x), y0 = std::min(y0, q.y);
    x1 = std::max(x1, q.x), y1 = std::max(y1, q.y);
  }
  return {x0, y0, x1 - x0, y1 - y0};
}

double spread_of(const std::vector<cv::Point2f>& p) {
  cv::Point2f c(0, 0);
  for (const auto& q : p) c += q;
  c *= 1.0f / static_cast<float>(p.size());
  double s = 0;
  for (const auto& q : p) s += (q.x - c.x) * (q.x - c.x) + (q.y - c.y) * (q.y - c.y);
  return std::sqrt(s / static_cast<double>(p.size()));
}

cv::Rect2f grow(const cv::Rect2f& r, float m) { return {r.x - m, r.y - m, r.width + 2 * m, r.height + 2 * m}; }

double overlap_of(const cv::Rect2f& a, const cv::Rect2f& b) {
  const double inter = (a & b).area();
  const double smaller = std::min(a.area(), b.area());
  return smaller > 0 ? inter / smaller : (inter > 0 ? 1.0 : 0.0);
}

// Normalised correlation of two equally sized windows of `hp` (false when either leaves it).
bool ncc_at(const cv::Mat& hp, const cv::Rect& a, cv::Point2f shift, double& out) {
  const cv::Rect b(a.x + cvRound(shift.x), a.y + cvRound(shift.y), a.width, a.height);
  const cv::Rect all(0, 0, hp.cols, hp.rows);
  if ((a & all) != a || (b & all) != b || a.area() < 16) return false;
  cv::Mat r;
  cv::matchTemplate(hp(a), hp(b), r, cv::TM_CCOEFF_NORMED);
  out = static_cast<double>(r.at<float>(0, 0));
  return std::isfinite(out);
}

// A translation that repeats: the source window also resembles itself moved by a fraction or a
// multiple of the shift (high-passed luma, so smooth shading does not count). Periodic textures
// (tiles, windows, fences) do; a pasted copy does not.
bool looks_periodic(const cv::Mat& hp, const cv::Rect& src, cv::Point2f shift) {
  double main = 0;
  if (!ncc_at(hp, src, shift, main) || main <= 0) return false;
  double other = -1, v = 0;
  for (float f : {0.5f, 1.0f / 3.0f, -0.5f, -1.0f / 3.0f, -1.0f, 2.0f}) {
    if (ncc_at(hp, src, shift * f, v)) other = std::max(other, v);
  }
  return other >= kPeriodicShare * main;
}

class CopyMoveDetector final : public Detector {
 public:
  explicit CopyMoveDetector(Options o) : opt_(o) {}
  std::string name() const override { return "copy_move"; }
  std::string version() const override { return "1"; }
  bool applies_to(MediaType t) const override { return t == MediaType::Image; }
  bool localizes() const override { return true; }

  DetectorResult run(const Sample& sample) const override {
    if (sample.image == nullptr || sample.image->empty()) return not_applicable(*this, "no decoded image");
    const media::Image& img = *sample.image;
    if (img.width < kMinSide || img.height < kMinSide) {
      return not_applicable(*this, "image smaller than 64 px");
    }
    if (img.channels != 1 && img.channels != 3 && img.channels != 4) {
      return not_applicable(*this, "unsupported channel count");
    }

    // 1. Working luma.
    const int long_side = std::max(img.width, img.height);
    const double scale = std::min(kMaxUpscale, static_cast<double>(kWorkLong) / long_side);
    cv::Mat gray8;
    {
      cv::Mat v = view_of(img), g;
      if (img.channels == 1) {
        g = v;
      } else {
        cv::cvtColor(v, g, img.channels == 3 ? cv::COLOR_RGB2GRAY : cv::COLOR_RGBA2GRAY);
      }
      const cv::Size ws(std::max(1, static_cast<int>(std::lround(img.width * scale))),
                        std::max(1, static_cast<int>(std::lround(img.height * scale))));
      cv::resize(g, gray8, ws, 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
    }
    const double work_long = std::max(gray8.cols, gray8.rows);

    // 2. Keypoints: many candidates, then at most kCellQuota per kCell x kCell cell (strongest
    // first) up to kMaxKeypoints, so weakly textured areas keep points next to strong edges.
    std::vector<cv::KeyPoint> kps;
    cv::Mat desc;
    {
      auto orb = cv::ORB::create(kCandidates, 1.2f, kLevels, 31, 0, 2, cv::ORB::HARRIS_SCORE, 31, kFastThreshold);
      std::vector<cv::KeyPoint> all;
      orb->detect(gray8, all);
      std::sort(all.begin(), all.end(), [](const cv::KeyPoint& a, const cv::KeyPoint& b) { return a.response > b.response; });
      const int cols = (gray8.cols + kCell - 1) / kCell, rows = (gray8.rows + kCell - 1) / kCell;
      const int quota = std::max(2, (2 * kMaxKeypoints + cols * rows - 1) / (cols * rows));
      std::vector<int> used(static_cast<size_t>(cols) * rows, 0);
      for (const auto& k : all) {
        if (static_cast<int>(kps.size()) >= kMaxKeypoints) break;
        const int cx = std::clamp(static_cast<int>(k.pt.x) / kCell, 0, cols - 1);
        const int cy = std::clamp(static_cast<int>(k.pt.y) / kCell, 0, rows - 1);
        int& u = used[static_cast<size_t>(cy) * cols + cx];
        if (u >= quota) continue;
        ++u;
        kps.push_back(k);
      }
      if (!kps.empty()) orb->compute(gray8, kps, desc);
    }
    const int n = static_cast<int>(kps.size());
    if (n < kMinKeypoints || desc.rows != n || desc.cols != 32 || desc.type() != CV_8U) {
      auto r = not_applicable(*this, "too few distinctive points to check for copied regions");
      r.evidence.numbers = {{"keypoints", static_cast<double>(n)}};
      return r;
    }
    std::vector<uint64_t> d64(static_cast<size_t>(n) * 4);
    for (int i = 0; i < n; ++i) std::memcpy(&d64[static_cast<size_t>(i) * 4], desc.ptr<uint8_t>(i), 32);
    std::vector<cv::Point2f> pts(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) pts[i] = kps[i].pt;

    // 3. Matching with the generalised 2NN test.
    std::vector<std::array<Neighbour, kNeighbours>> nn;
    nearest_all(d64, pts, nn);
    std::vector<std::pair<int, int>> pairs;  // (lower index, higher index): each pair once
    for (int i = 0; i < n; ++i) {
      for (int k = 0; k + 1 < kNeighbours; ++k) {
        const Neighbour a = nn[i][k], b = nn[i][k + 1];
        if (a.idx < 0 || a.dist > kMaxHamming) break;
        if (b.idx >= 0 && static_cast<double>(a.dist) >= kRatio * static_cast<double>(b.dist)) break;
        pairs.emplace_back(std::min(i, a.idx), std::max(i, a.idx));
      }
    }
    std::sort(pairs.begin(), pairs.end());
    pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
    std::vector<Match> matches;
    matches.reserve(pairs.size());
    for (const auto& [i, j] : pairs) {
      const uint64_t* di = &d64[static_cast<size_t>(i) * 4];
      const uint64_t* dj = &d64[static_cast<size_t>(j) * 4];
      int d = 0;
      for (int w = 0; w < 4; ++w) d += popcount64_generic(di[w] ^ dj[w]);
      matches.push_back({pts[i], pts[j], d, 0.5f * (kps[i].size + kps[j].size)});
    }
    if (static_cast<int>(matches.size()) > kMaxMatches) {
      std::nth_element(matches.begin(), matches.begin() + kMaxMatches, matches.end(),
                       [](const Match& x, const Match& y) { return x.dist < y.dist; });
      matches.resize(kMaxMatches);
    }

    // 4-5. Groups and verification.
    const float radius = static_cast<float>(std::max(24.0, 0.08 * work_long));
    const double min_shift = std::max(20.0, opt_.min_shift_frac * work_long);
    auto groups = group_matches(matches, radius);
    std::vector<Cluster> clusters;
    int best_candidate = 0;  // inliers of the best group that passed every check but the count
    int periodic = 0;        // groups dropped as a repeating texture
    cv::Mat highpass;        // computed when first needed
    for (const auto& g : groups) {
      std::vector<int> left = g;
      for (int round = 0; round < 2 && static_cast<int>(left.size()) >= 3; ++round) {
        std::vector<cv::Point2f> a, b;
        for (int i : left) a.push_back(matches[i].a), b.push_back(matches[i].b);
        std::vector<uchar> inl;
        cv::Mat t = cv::estimateAffinePartial2D(a, b, inl, cv::RANSAC, kRansacPx, 2000, 0.995, 10);
        if (t.empty() || inl.size() != a.size()) break;
        Cluster c;
        std::vector<int> rest;
        float size_sum = 0;
        for (size_t k = 0; k < inl.size(); ++k) {
          if (inl[k]) {
            c.src.push_back(a[k]), c.dst.push_back(b[k]);
            size_sum += matches[left[k]].size;
          } else {
            rest.push_back(left[k]);
          }
        }
        left.swap(rest);
        if (c.src.size() < 3) break;
        const double m00 = t.at<double>(0, 0), m10 = t.at<double>(1, 0);
        c.scale = std::hypot(m00, m10);
        c.angle_deg = std::atan2(m10, m00) * 180.0 / CV_PI;
        c.mean_size = size_sum / static_cast<float>(c.src.size());
        c.src_box = box_of(c.src);
        c.dst_box = box_of(c.dst);
        cv::Point2f cs(0, 0), cd(0, 0);
        for (size_t k = 0; k < c.src.size(); ++k) cs += c.src[k], cd += c.dst[k];
        const double shift = cv::norm(cd - cs) / static_cast<double>(c.src.size());
        const float margin = 0.5f * c.mean_size;
        const bool ok = c.scale >= kMinScale && c.scale <= kMaxScale && shift >= min_shift &&
                        spread_of(c.src) >= opt_.min_spread && spread_of(c.dst) >= opt_.min_spread &&
                        overlap_of(grow(c.src_box, margin), grow(c.dst_box, margin)) <= opt_.max_overlap;
        if (!ok) continue;
        if (std::abs(c.angle_deg) < 5 && std::abs(c.scale - 1) < 0.05) {
          if (highpass.empty()) {
            cv::Mat f, blur;
            gray8.convertTo(f, CV_32F);
            cv::GaussianBlur(f, blur, cv::Size(0, 0), 2.0);
            highpass = f - blur;
          }
          const cv::Rect2f gb = grow(c.src_box, margin);
          const cv::Rect win(cvRound(gb.x), cvRound(gb.y), cvRound(gb.width), cvRound(gb.height));
          if (looks_periodic(highpass, win & cv::Rect(0, 0, gray8.cols, gray8.rows), (cd - cs) * (1.0f / static_cast<float>(c.src.size())))) {
            ++periodic;
            continue;
          }
        }
        const int count = static_cast<int>(c.src.size());
        best_candidate = std::max(best_candidate, count);
        if (count >= opt_.min_inliers) clusters.push_back(std::move(c));
      }
    }
    std::sort(clusters.begin(), clusters.end(), [](const Cluster& x, const Cluster& y) { return x.src.size() > y.src.size(); });
    if (clusters.size() > 8) clusters.resize(8);

    // Output.
    DetectorResult r = applied(*this, Finding::Manipulated);
    int verified = 0;
    for (const auto& c : clusters) verified += static_cast<int>(c.src.size());
    r.score = static_cast<double>(verified);
    const double inv = 1.0 / scale;
    cv::Mat map = cv::Mat::zeros(gray8.size(), CV_32F);
    nlohmann::json cj = nlohmann::json::array();
    auto to_region = [&](const cv::Rect2f& b, float margin, double score, const char* label) {
      const cv::Rect2f g = grow(b, margin);
      Region reg;
      reg.x = std::clamp(static_cast<int>(std::floor(g.x * inv)), 0, img.width - 1);
      reg.y = std::clamp(static_cast<int>(std::floor(g.y * inv)), 0, img.height - 1);
      const int x1 = std::clamp(static_cast<int>(std::ceil((g.x + g.width) * inv)), reg.x + 1, img.width);
      const int y1 = std::clamp(static_cast<int>(std::ceil((g.y + g.height) * inv)), reg.y + 1, img.height);
      reg.width = x1 - reg.x;
      reg.height = y1 - reg.y;
      reg.score = score;
      reg.label = label;
      return reg;
    };
    for (const auto& c : clusters) {
      const float margin = 0.5f * c.mean_size;
      const double sc = static_cast<double>(c.src.size());
      r.evidence.regions.push_back(to_region(c.src_box, margin, sc, "source"));
      r.evidence.regions.push_back(to_region(c.dst_box, margin, sc, "copy"));
      for (const auto* side : {&c.src, &c.dst}) {
        std::vector<cv::Point2f> hull;
        cv::convexHull(*side, hull);
        std::vector<cv::Point> ih;
        for (const auto& p : hull) ih.emplace_back(cvRound(p.x), cvRound(p.y));
        cv::Mat layer = cv::Mat::zeros(map.size(), CV_8U);
        cv::fillConvexPoly(layer, ih, cv::Scalar(255));
        const int k = std::max(1, static_cast<int>(std::lround(margin)));
        cv::dilate(layer, layer, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * k + 1, 2 * k + 1)));
        map.setTo(1.0f, layer);
      }
      cj.push_back({{"inliers", c.src.size()},
                    {"scale", std::round(c.scale * 1000) / 1000},
                    {"rotation_deg", std::round(c.angle_deg * 10) / 10}});
    }
    if (!clusters.empty()) {
      const double sigma = std::max(1.0, 0.01 * work_long);
      cv::GaussianBlur(map, map, cv::Size(0, 0), sigma);
      // Keep the lit areas at 1 inside after the blur softened their edges.
      cv::min(map * 2.0, 1.0, map);
    }
    r.evidence.heatmap = heatmap_from(map, img.width, img.height);

    r.evidence.numbers = {{"keypoints", static_cast<double>(n)},
                          {"matches", static_cast<double>(matches.size())},
                          {"verified_matches", static_cast<double>(verified)},
                          {"copied_regions", static_cast<double>(clusters.size())},
                          {"best_candidate_inliers", static_cast<double>(best_candidate)},
                          {"periodic_groups_dropped", static_cast<double>(periodic)}};
    r.evidence.details = {{"clusters", cj}, {"min_inliers", opt_.min_inliers}, {"working_scale", scale}};
    if (clusters.empty()) {
      r.evidence.summary = "No region was found to appear twice in the image.";
    } else {
      const auto& s = r.evidence.regions[0];
      const auto& d = r.evidence.regions[1];
      std::ostringstream os;
      os << "A region of about " << std::max(s.width, d.width) << "x" << std::max(s.height, d.height)
         << " px appears twice: at (" << s.x << "," << s.y << ") and (" << d.x << "," << d.y << ")";
      const auto& c0 = clusters[0];
      if (std::abs(c0.angle_deg) >= 3 || std::abs(c0.scale - 1) >= 0.05) {
        os << ", the second turned by about " << std::lround(c0.angle_deg) << " degrees and scaled by "
           << std::round(c0.scale * 100) / 100;
      }
      os << " (" << verified << " matching points)";
      if (clusters.size() > 1) os << "; " << clusters.size() - 1 << " more copied region(s)";
      os << ".";
      r.evidence.summary = os.str();
    }
    return r;
  }

 private:
  Options opt_;
};

}  // namespace

std::unique_ptr<Detector> make_copy_move_detector() { return std::make_unique<CopyMoveDetector>(Options{}); }

// For evaluation only (tests/test_detect_copy_move.cpp): the same detector with another inlier
// threshold, so the threshold can be cross-validated.
std::unique_ptr<Detector> make_copy_move_detector_with_min_inliers(int min_inliers) {
  Options o;
  o.min_inliers = std::max(3, min_inliers);
  return std::make_unique<CopyMoveDetector>(o);
}

}  // namespace veritrace::detect
