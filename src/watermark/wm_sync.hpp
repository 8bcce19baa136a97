// Internal: synchronisation of the Veritrace watermark. The tile repeats over the image, so the
// noise residual's autocorrelation has peaks on the tile lattice: their positions give the scale and
// the rotation (mod 90 degrees). Folding the residual modulo the lattice sums every repetition into
// one tile; correlating it with the sync sequence gives the shift and the remaining 90-degree turn.
#pragma once
#include <opencv2/core.hpp>
#include <vector>

namespace veritrace::watermark::detail {

inline constexpr int kFoldBins = 128;  // bins per tile side in the folded tile (4 per cell)

// The analysed image: luma area-resampled so its shorter side is about kWorkSide (never enlarged).
inline constexpr int kWorkSide = 540;
struct WorkImage {
  cv::Mat residual;        // CV_32F, locally normalised noise residual
  double downscale = 1.0;  // original pixels per work pixel
};
// Original pixels per work pixel for an image of this size.
double work_downscale(int width, int height);
// `luma` may already be smaller than the original (embed passes its half-resolution luma).
WorkImage make_work_image(const cv::Mat& luma, int original_width = 0, int original_height = 0);

// The tile lattice in work-image pixels: v1 = (a, b), v2 = (-b, a).
struct Lattice {
  double a = 0, b = 0;
  double score = 0;
  double period() const;
};

// Autocorrelation of the spectrally whitened residual, lags -maxlag..maxlag ((2 maxlag + 1)^2).
cv::Mat autocorrelation(const cv::Mat& residual, int maxlag);

// Lattice hypotheses from the autocorrelation, best first, each refined to sub-pixel accuracy.
// For each of known_periods (the periods of an image that was not rescaled), the best-supported
// lattices within +-10 degrees are ranked, and the best max_known_period_lattices are stored in
// *known_period_lattices. For a rescaled but unrotated image, the best-supported axis-aligned
// lattices of any period are stored in *unrotated_lattices (at most max_unrotated_lattices).
std::vector<Lattice> find_lattices(const cv::Mat& residual, int max_candidates, const std::vector<double>& known_periods = {},
                                   std::vector<Lattice>* known_period_lattices = nullptr, int max_known_period_lattices = 3,
                                   std::vector<Lattice>* unrotated_lattices = nullptr, int max_unrotated_lattices = 2);

// Sums the residual modulo the lattice into a kFoldBins x kFoldBins tile (scaled by bins / pixels).
cv::Mat fold(const cv::Mat& residual, const Lattice& lattice);

struct SyncHit {
  int quarter_turns = 0;  // the fold rotated clockwise by this many quarter turns matches the tile
  int dx = 0, dy = 0;     // circular shift of the rotated fold (bins)
  double z = 0;           // peak height in standard deviations of the correlation surface
};
// Best sync positions over the four rotations, best first.
std::vector<SyncHit> find_sync(const cv::Mat& folded, int max_hits);

// The lattice turned by -step, 0 or +step degrees, whichever gives the strongest sync peak, with
// its fold.
struct PolishedLattice {
  Lattice lattice;
  cv::Mat folded;
};
PolishedLattice polish_angle(const cv::Mat& residual, const Lattice& lattice, double step_degrees);

// Soft values of the coded bits read from the fold at a sync position.
std::vector<double> read_soft_bits(const cv::Mat& folded, const SyncHit& hit);

}  // namespace veritrace::watermark::detail
