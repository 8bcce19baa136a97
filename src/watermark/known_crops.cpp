#include "watermark/known_crops.hpp"

#include <algorithm>
#include <cmath>

#include "watermark/known_dwtdct.hpp"

namespace veritrace::watermark::known {

namespace {

// Widths (pixels) generators commonly produce; a crop's original is assumed to be one of them.
constexpr int kOriginalWidths[] = {512, 576, 640, 704, 768, 832, 896, 960, 1024, 1088, 1152, 1216, 1280, 1344, 1408, 1536, 1664, 1792, 1920, 2048};

// The original's blocks per row, mod L, for every candidate width at least as wide as the crop.
std::vector<int> row_strides(int crop_width, int length) {
  std::vector<int> out;
  for (int w : kOriginalWidths) {
    if (w < crop_width) continue;
    const int s = (w / 8) % length;
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  }
  return out;
}

// The U plane from (px, py) on, even-sized (the Haar pairs of an original whose grid starts there).
Plane shifted(const Plane& u, int px, int py) {
  Plane p;
  p.width = (u.width - px) / 2 * 2;
  p.height = (u.height - py) / 2 * 2;
  p.v.resize(static_cast<size_t>(p.width) * p.height);
  for (int y = 0; y < p.height; ++y)
    std::copy_n(u.v.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(y + py) * u.width + px), p.width,
                p.v.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(y) * p.width));
  return p;
}

// A crop hypothesis counts only when its best message phase stands at least this many standard
// deviations above the other phases. Without it an unmarked photo crop (WebP 85) reached a
// corrected p of 3.6e-7 for SD1 at bit agreement 0.80 with its best phase only 2.7 above the others:
// picture structure correlated with the message at every phase (SD1's ASCII message repeats a 0 every
// 8 bits), which the hypergeometric test, assuming exchangeable bits, does not see. True crops of
// known_dev: 6.3 to 10.1.
constexpr double kMinPhaseZ = 5.0;

// Best message phase for one grid and row stride: per residue class k = (by * stride + bx) mod L
// the sum of centred soft values; the phase is chosen by the soft correlation with the message,
// and only that phase's decode is scored (its p-value is then at least the minimum over phases,
// so counting every phase as a hypothesis keeps the correction valid).
MessageScore best_phase(const BlockVotes& votes, int blocks_y, int stride, const std::vector<uint8_t>& message, double* correlation, double* phase_z) {
  const int length = static_cast<int>(message.size());
  std::vector<double> sums(static_cast<size_t>(length), 0.0);
  for (int by = 0; by < blocks_y; ++by) {
    int k = static_cast<int>((static_cast<int64_t>(by) * stride) % length);
    const float* soft = votes.soft.data() + static_cast<size_t>(by) * static_cast<size_t>(votes.blocks_x);
    for (int bx = 0; bx < votes.blocks_x; ++bx) {
      sums[static_cast<size_t>(k)] += soft[bx];
      if (++k == length) k = 0;
    }
  }
  int best_phase = 0;
  double best = -1e300;
  std::vector<double> by_phase(static_cast<size_t>(length));
  for (int phase = 0; phase < length; ++phase) {
    double c = 0;
    for (int j = 0; j < length; ++j) {
      const double t = sums[static_cast<size_t>((j - phase + length) % length)];
      c += message[static_cast<size_t>(j)] ? t : -t;
    }
    by_phase[static_cast<size_t>(phase)] = c;
    if (c > best) best = c, best_phase = phase;
  }
  *correlation = best / static_cast<double>(std::max<size_t>(votes.soft.size(), 1));
  // How far the best phase stands above the others, in their standard deviations.
  double mean = 0, square = 0;
  for (int phase = 0; phase < length; ++phase) {
    if (phase == best_phase) continue;
    mean += by_phase[static_cast<size_t>(phase)];
    square += by_phase[static_cast<size_t>(phase)] * by_phase[static_cast<size_t>(phase)];
  }
  mean /= length - 1;
  const double spread = std::sqrt(std::max(0.0, square / (length - 1) - mean * mean));
  *phase_z = spread > 0 ? (best - mean) / spread : 0.0;
  std::vector<uint8_t> bits(static_cast<size_t>(length));
  for (int j = 0; j < length; ++j) bits[static_cast<size_t>(j)] = sums[static_cast<size_t>((j - best_phase + length) % length)] > 0 ? 1 : 0;
  return score_decoded_bits(std::move(bits), message);
}

}  // namespace

std::vector<CropResult> search_crops(const media::Image& image, const std::vector<std::vector<uint8_t>>& message_bits, double* hypotheses) {
  const auto& messages = generator_messages();
  std::vector<CropResult> best(messages.size());
  std::vector<double> best_correlation(messages.size(), 0.0);
  *hypotheses = 0;
  if (image.empty() || image.channels < 3 || static_cast<int64_t>(image.width) * image.height < kMinArea) return best;
  struct Path {
    Domain domain;
    Order order;
  };
  const Path paths[] = {{Domain::U8, Order::Bgr}, {Domain::Float, Order::Bgr}, {Domain::Float, Order::Rgb}};
  std::vector<std::vector<int>> strides(messages.size());
  for (size_t i = 0; i < messages.size(); ++i) {
    const int length = messages[i].length_bits;
    if (length <= static_cast<int>(kShortMessageBits)) continue;
    strides[i] = row_strides(image.width, length);
    const int orders = messages[i].embed_domain == Domain::U8 ? 1 : 2;
    *hypotheses += static_cast<double>(orders) * 64.0 * static_cast<double>(strides[i].size()) * length;
  }
  for (const Path& path : paths) {
    bool wanted = false;
    for (size_t i = 0; i < messages.size(); ++i) wanted |= !strides[i].empty() && messages[i].embed_domain == path.domain;
    if (!wanted) continue;
    const Plane u = u_plane(image, path.domain, path.order, 0, 0, image.width, image.height);
    for (int py = 0; py < 2; ++py)
      for (int px = 0; px < 2; ++px) {
        const Plane ca = haar_ca(shifted(u, px, py), path.domain);
        for (int cy = 0; cy < 4; ++cy)
          for (int cx = 0; cx < 4; ++cx) {
            const BlockGrid grid = analyse_blocks(ca, cx, cy);
            const BlockVotes votes = block_votes(grid);
            if (votes.soft.empty()) continue;
            for (size_t i = 0; i < messages.size(); ++i) {
              if (strides[i].empty() || messages[i].embed_domain != path.domain) continue;
              for (int stride : strides[i]) {
                double correlation = 0, phase_z = 0;
                MessageScore s = best_phase(votes, grid.blocks_y, stride, message_bits[i], &correlation, &phase_z);
                if (phase_z < kMinPhaseZ) continue;
                // Ties (a perfect decode at a neighbouring grid offset scores the same p) go to
                // the stronger soft correlation: the true grid.
                const bool tie = !best[i].variant.empty() && s.log_p == best[i].score.log_p;
                if (best[i].variant.empty() || s.log_p < best[i].score.log_p || (tie && correlation > best_correlation[i])) {
                  best_correlation[i] = correlation;
                  best[i].score = std::move(s);
                  best[i].variant = std::string(path.order == Order::Bgr ? "bgr" : "rgb") + (path.domain == Domain::U8 ? "-u8" : "-float") +
                                    "-crop+" + std::to_string(px + 2 * cx) + "+" + std::to_string(py + 2 * cy);
                }
              }
            }
          }
      }
  }
  return best;
}

}  // namespace veritrace::watermark::known
