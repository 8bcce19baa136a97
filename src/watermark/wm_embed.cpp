// embed(): the tile for the payload, scaled per pixel by a perceptual mask, added to luma (the same
// delta in R, G and B, so colour is kept; alpha untouched).
#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "veritrace/core.hpp"
#include "veritrace/watermark.hpp"
#include "watermark/wm_common.hpp"
#include "watermark/wm_embed_internal.hpp"
#include "watermark/wm_pattern.hpp"
#include "watermark/wm_sync.hpp"

namespace veritrace::watermark {

namespace detail {

Mask embed_amplitude(const media::Image& image, double strength) {
  // Local variance per channel at half resolution (area means, then 5x5 windows = 10x10 pixels):
  // the mask varies slowly, and this halves embed time. The same delta goes into R, G and B, so the
  // channel with the least texture decides (a saturated colour has one nearly flat channel).
  const int hw = (image.width + 1) / 2, hh = (image.height + 1) / 2, ch = image.channels;
  const cv::Mat src(image.height, image.width, CV_8UC(ch), const_cast<uint8_t*>(image.pixels.data()));
  cv::Mat half8, half;
  cv::resize(src, half8, cv::Size(hw, hh), 0, 0, cv::INTER_AREA);
  half8.convertTo(half, CV_32F);
  Mask mask;
  if (ch == 1) mask.luma_half = half;
  else cv::cvtColor(half, mask.luma_half, ch == 3 ? cv::COLOR_RGB2GRAY : cv::COLOR_RGBA2GRAY);
  cv::Mat mean, mean_sq;
  cv::boxFilter(half, mean, CV_32F, cv::Size(5, 5), cv::Point(-1, -1), true, cv::BORDER_REFLECT);
  cv::boxFilter(half.mul(half), mean_sq, CV_32F, cv::Size(5, 5), cv::Point(-1, -1), true, cv::BORDER_REFLECT);
  std::vector<cv::Mat> variances;
  cv::split(mean_sq - mean.mul(mean), variances);
  cv::Mat variance = variances[0];
  for (int c = 1; c < std::min(ch, 3); ++c) cv::min(variance, variances[static_cast<size_t>(c)], variance);
  cv::max(variance, 0.0, variance);
  // SSIM-shaped mask: SSIM's structure term for an added pattern of variance a^2 over a local
  // variance v is about (2v + C2) / (2v + a^2 + C2), so a^2 proportional to (C2 + 2v) keeps the
  // local SSIM constant: a small floor in flat areas, growing with texture.
  cv::Mat shape;
  cv::sqrt(variance * kTextureSlope + kFlatFloor, shape);
  cv::min(shape, kMaxAmplitude, shape);
  // One gain for the image: the RMS of the change is at most kTargetRms (PSNR), and the local SSIM
  // loss at most what kMaxGain allows.
  double sum = 0;
  size_t n = 0;
  for (int r = 0; r < hh; r += 2) {
    const float* a = shape.ptr<float>(r);
    for (int x = 0; x < hw; x += 2, ++n) sum += static_cast<double>(a[x]) * a[x];
  }
  const double rms = std::sqrt(sum / static_cast<double>(std::max<size_t>(n, 1)));
  const auto gain = static_cast<float>(strength * std::min(kMaxGain, kTargetRms / rms));
  mask.amplitude = shape * gain;
  return mask;
}


// Unit-RMS tile of the given cell values.
std::vector<float> unit_tile(const std::vector<float>& cells, int side) {
  auto tile = render_tile(cells, side);
  double energy = 0;
  for (float v : tile) energy += static_cast<double>(v) * v;
  const auto norm = static_cast<float>(1.0 / std::sqrt(energy / static_cast<double>(tile.size())));
  for (float& v : tile) v *= norm;
  return tile;
}

// Cell values as the detector reads them from a fold with the embedding lattice (the sync shift is
// then 0): the mean of the bins whose centre falls in each cell.
std::vector<double> cells_from_fold(const cv::Mat& folded, double downscale, int cell) {
  std::vector<double> sum(kCellCount, 0.0);
  std::vector<int> count(kCellCount, 0);
  // The cell of each bin: the mean cell coordinate (cell i centred on i) of the work pixels the
  // fold puts into the bin. A work pixel x covers `downscale` pixels, its centre is at
  // (x + 0.5) * downscale; the fold puts it into bin floor(kFoldBins * x / period) (mod kFoldBins).
  const double period = cell * kCells / downscale;
  std::vector<double> t_sum(kFoldBins, 0.0);
  std::vector<int> t_count(kFoldBins, 0);
  for (int x = 0; x < static_cast<int>(8 * period); ++x) {
    const double u = x / period;
    const int b = static_cast<int>((u - std::floor(u)) * kFoldBins) & (kFoldBins - 1);
    const double t = std::fmod((x + 0.5) * downscale / cell - 0.5 + kCells, static_cast<double>(kCells));
    // Keep the coordinate next to the bin's nominal one (wrap-around at the tile edge).
    const double nominal = (b + 0.5) * kCells / kFoldBins - 0.5;
    t_sum[static_cast<size_t>(b)] += t - kCells * std::round((t - nominal) / kCells);
    ++t_count[static_cast<size_t>(b)];
  }
  std::vector<int> cell_of(kFoldBins);
  for (int b = 0; b < kFoldBins; ++b) {
    const double t = t_count[static_cast<size_t>(b)] ? t_sum[static_cast<size_t>(b)] / t_count[static_cast<size_t>(b)] : (b + 0.5) * kCells / kFoldBins - 0.5;
    cell_of[static_cast<size_t>(b)] = ((static_cast<int>(std::floor(t + 0.5)) % kCells) + kCells) % kCells;
  }
  for (int by = 0; by < kFoldBins; ++by)
    for (int bx = 0; bx < kFoldBins; ++bx) {
      const auto k = static_cast<size_t>(cell_of[static_cast<size_t>(by)] * kCells + cell_of[static_cast<size_t>(bx)]);
      sum[k] += folded.at<float>(by, bx);
      ++count[k];
    }
  for (size_t k = 0; k < sum.size(); ++k) sum[k] /= std::max(count[k], 1);
  return sum;
}

// Informed embedding (host interference cancellation, as in Malvar and Florencio's improved spread
// spectrum): the picture itself contributes a value h_k to every cell the detector reads, the main
// noise when the attack is mild. The detector's own front end is run on the picture and on a trial
// marked luma (which gives the gain g of the mark); the cell values become s_k - kHostCancel h_k / g.
// The picture's luma with the trial pattern added, at full resolution or at half resolution.
cv::Mat add_pattern(const cv::Mat& luma_image, const cv::Mat& amplitude, int amplitude_shift, const std::vector<float>& tile, int side) {
  cv::Mat out(luma_image.size(), CV_32F);
  for (int r = 0; r < out.rows; ++r) {
    const float* src = luma_image.ptr<float>(r);
    const float* amp = amplitude.ptr<float>(r >> amplitude_shift);
    const float* tile_row = tile.data() + static_cast<size_t>(r % side) * static_cast<size_t>(side);
    float* dst = out.ptr<float>(r);
    for (int x = 0, tx = 0; x < out.cols; ++x) {
      dst[x] = std::clamp(src[x] + amp[x >> amplitude_shift] * tile_row[tx], 0.0f, 255.0f);
      if (++tx == side) tx = 0;
    }
  }
  return out;
}

std::vector<float> informed_cells(const media::Image& image, const Mask& mask, const std::vector<float>& cells, int cell) {
  // At half resolution, where the mask already is, when the detector works at that scale or
  // coarser (1080p and up); otherwise at full resolution, so no texture the detector sees is missed.
  const int side = cell * kCells;
  const bool half = work_downscale(image.width, image.height) >= 2.0;
  const int trial_side = half ? side / 2 : side;
  const cv::Mat host_luma = half ? mask.luma_half : luma(image);
  const cv::Mat trial_luma = add_pattern(host_luma, mask.amplitude, half ? 0 : 1, unit_tile(cells, trial_side), trial_side);
  const WorkImage host = make_work_image(host_luma, image.width, image.height);
  const WorkImage marked = make_work_image(trial_luma, image.width, image.height);
  const Lattice lattice{side / host.downscale, 0.0, 0.0};
  const auto h = cells_from_fold(fold(host.residual, lattice), host.downscale, cell);
  const auto v = cells_from_fold(fold(marked.residual, lattice), marked.downscale, cell);
  double gain = 0;
  for (size_t k = 0; k < cells.size(); ++k) gain += (v[k] - h[k]) * cells[k];
  gain /= static_cast<double>(cells.size());
  if (!(gain > 0)) return cells;
  // Part of the picture's contribution is cancelled (linear, as in improved spread spectrum); the
  // tile is then renormalised to the same power, so this trades mark power for less interference.
  std::vector<float> out(cells.size());
  for (size_t k = 0; k < cells.size(); ++k)
    out[k] = static_cast<float>(std::clamp(cells[k] - kHostCancel * h[k] / gain, -kMaxCellValue, kMaxCellValue));
  return out;
}

}  // namespace detail

media::Image embed(const media::Image& image, uint64_t payload, const EmbedOptions& options) {
  if (!(options.strength > 0.0 && options.strength <= 4.0))
    throw Error(ErrorKind::Usage, "watermark: strength must be in (0, 4]");
  detail::check_image(image);
  const int cell = detail::cell_size_for(image.width, image.height);
  const int side = cell * detail::kCells;
  const detail::Mask mask = detail::embed_amplitude(image, options.strength);
  auto cells = detail::message_cells({payload, cell});
  cells = detail::informed_cells(image, mask, cells, cell);
  // Unit RMS, so the amplitude map alone sets the strength (and the PSNR).
  const auto tile = detail::unit_tile(cells, side);

  media::Image out = image;
  const int ch = image.channels;
  // The rounded change of each pixel as two saturating 8-bit planes (up, down), replicated to R, G
  // and B (0 for alpha): OpenCV's saturating add and subtract are vectorised.
  cv::Mat up(image.height, image.width, CV_8U), down(image.height, image.width, CV_8U);
  for (int r = 0; r < image.height; ++r) {
    const float* amp = mask.amplitude.ptr<float>(r / 2);
    const float* tile_row = tile.data() + static_cast<size_t>(r % side) * static_cast<size_t>(side);
    uint8_t* u = up.ptr<uint8_t>(r);
    uint8_t* d = down.ptr<uint8_t>(r);
    for (int x = 0, tx = 0; x < image.width; ++x) {
      // Truncation of a positive number is floor: + 256.5 rounds to nearest.
      const int change = std::clamp(static_cast<int>(amp[x / 2] * tile_row[tx] + 256.5f) - 256, -255, 255);
      u[x] = static_cast<uint8_t>(std::max(change, 0));
      d[x] = static_cast<uint8_t>(std::max(-change, 0));
      if (++tx == side) tx = 0;
    }
  }
  if (ch > 1) {
    const cv::Mat zero = cv::Mat::zeros(image.height, image.width, CV_8U);
    std::vector<cv::Mat> ups(static_cast<size_t>(ch), up), downs(static_cast<size_t>(ch), down);
    if (ch == 4) ups[3] = zero, downs[3] = zero;
    cv::merge(ups, up);
    cv::merge(downs, down);
  }
  cv::Mat pixels(image.height, image.width, CV_8UC(ch), out.pixels.data());
  cv::add(pixels, up, pixels);
  cv::subtract(pixels, down, pixels);
  return out;
}

}  // namespace veritrace::watermark
