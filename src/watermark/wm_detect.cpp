// detect(): lattice hypotheses from the autocorrelation, fold, sync, soft Viterbi, CRC.
#include <cmath>

#include "watermark/wm_code.hpp"
#include "watermark/wm_common.hpp"
#include "watermark/wm_detect_internal.hpp"
#include "watermark/wm_pattern.hpp"
#include "watermark/wm_sync.hpp"

namespace veritrace::watermark {

namespace detail {

DetectTrace detect_with_trace(const media::Image& image) {
  check_image(image);
  DetectTrace trace;
  const WorkImage work = make_work_image(luma(image));
  const auto lattices = find_lattices(work.residual, kMaxLattices);
  if (!lattices.empty()) {
    trace.lattice_period = lattices.front().period() * work.downscale;
    trace.lattice_angle = std::atan2(lattices.front().b, lattices.front().a) * 180.0 / M_PI;
  }
  for (const auto& lattice : lattices) {
    const cv::Mat folded = fold(work.residual, lattice);
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
      d.p_value = kMaxAttempts * std::ldexp(1.0, -32);
      d.scale = lattice.period() * work.downscale / (decoded.message->cell_size * kCells);
      // The fold turned clockwise by q quarter turns matches the tile, so the image was turned
      // by q quarter turns counter-clockwise plus the lattice angle (y axis points down).
      double angle = -std::atan2(lattice.b, lattice.a) * 180.0 / M_PI + 90.0 * hit.quarter_turns;
      angle = std::remainder(angle, 360.0);
      d.rotation_degrees = angle;
      d.bit_confidence = std::max(0.0, decoded.agreement);
      trace.best_agreement = decoded.agreement;
      trace.best_info_bits = decoded.info_bits;
      return trace;
    }
  }
  return trace;
}

}  // namespace detail

Detection detect(const media::Image& image) { return detail::detect_with_trace(image).detection; }

}  // namespace veritrace::watermark
