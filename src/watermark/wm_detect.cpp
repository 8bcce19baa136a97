// detect(): lattice hypotheses (unscaled first, then from the autocorrelation), fold, sync, polar
// list decoding, CRC.
#include <algorithm>
#include <cmath>
#include <vector>

#include "watermark/wm_code.hpp"
#include "watermark/wm_common.hpp"
#include "watermark/wm_detect_internal.hpp"
#include "watermark/wm_pattern.hpp"
#include "watermark/wm_sync.hpp"

namespace veritrace::watermark {

namespace detail {

namespace {

// Folds the residual with each lattice and decodes at its best sync positions; true (and the
// detection filled in) at the first word whose CRC matches.
bool try_lattices(const WorkImage& work, const std::vector<Lattice>& lattices, DetectTrace& trace, const std::vector<cv::Mat>& folds = {}) {
  for (size_t i = 0; i < lattices.size(); ++i) {
    const Lattice& lattice = lattices[i];
    const cv::Mat folded = i < folds.size() && !folds[i].empty() ? folds[i] : fold(work.residual, lattice);
    for (const auto& hit : find_sync(folded, kHitsPerLattice)) {
      ++trace.attempts;
      trace.best_sync_z = std::max(trace.best_sync_z, hit.z);
      const auto decoded = decode_message(read_soft_bits(folded, hit));
      if (decoded.agreement > trace.best_agreement) {
        trace.best_agreement = decoded.agreement;
        trace.best_info_bits = decoded.info_bits;
      }
      if (!decoded.message || decoded.message->cell_size < kMinCellSize) continue;
      Detection& d = trace.detection;
      d.found = true;
      d.payload = decoded.message->payload;
      d.p_value = kMaxCrcChecks * std::ldexp(1.0, -32);
      d.scale = lattice.period() * work.downscale / (decoded.message->cell_size * kCells);
      // The fold turned clockwise by q quarter turns matches the tile, so the image was turned
      // by q quarter turns counter-clockwise plus the lattice angle (y axis points down).
      double angle = -std::atan2(lattice.b, lattice.a) * 180.0 / M_PI + 90.0 * hit.quarter_turns;
      angle = std::remainder(angle, 360.0);
      d.rotation_degrees = angle;
      d.bit_confidence = std::max(0.0, decoded.agreement);
      trace.best_agreement = decoded.agreement;
      trace.best_info_bits = decoded.info_bits;
      return true;
    }
  }
  return false;
}

}  // namespace

DetectTrace detect_with_trace(const media::Image& image) {
  check_image(image);
  DetectTrace trace;
  const WorkImage work = make_work_image(luma(image));
  // First the geometry of an image that was not scaled or rotated (most shared copies: re-encoded,
  // recoloured, cropped): the cell size embed chose for this size or, after a crop, a larger one.
  // These need no search, so they are tried before the autocorrelation is computed. Then rotated
  // copies (the same periods at the angle the autocorrelation supports best), rescaled copies (the
  // axis-aligned periods it supports best), then the lattices its peaks give at any scale and angle.
  std::vector<Lattice> prior, rotated, scaled;
  std::vector<double> periods;
  const int own_cell = cell_size_for(image.width, image.height);
  for (int c = own_cell; c < own_cell + kPriorLattices; ++c) {
    periods.push_back(c * kCells / work.downscale);
    prior.push_back({periods.back(), 0.0, 0.0});
  }
  if (try_lattices(work, prior, trace)) return trace;
  const auto found = find_lattices(work.residual, kMaxLattices, periods, &rotated, kTurnedLattices, &scaled, kScaledLattices);
  if (!found.empty()) {
    trace.lattice_period = found.front().period() * work.downscale;
    trace.lattice_angle = std::atan2(found.front().b, found.front().a) * 180.0 / M_PI;
  }
  std::vector<cv::Mat> rotated_folds;
  for (auto& r : rotated) {
    auto polished = polish_angle(work.residual, r, kPolishDegrees);
    r = polished.lattice;
    rotated_folds.push_back(std::move(polished.folded));
  }
  if (try_lattices(work, rotated, trace, rotated_folds)) return trace;
  if (try_lattices(work, scaled, trace)) return trace;
  try_lattices(work, found, trace);
  return trace;
}

}  // namespace detail

Detection detect(const media::Image& image) { return detail::detect_with_trace(image).detection; }

}  // namespace veritrace::watermark
