#include "watermark/wm_pattern.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace veritrace::watermark::detail {

namespace {

constexpr uint64_t kLayoutSeed = 0x5645524954524143ULL;  // "VERITRAC"

TileLayout make_layout() {
  SplitMix64 rng(kLayoutSeed);
  std::vector<int> order(kCellCount);
  std::iota(order.begin(), order.end(), 0);
  for (int i = kCellCount - 1; i > 0; --i) {
    const int j = static_cast<int>(rng.next() % static_cast<uint64_t>(i + 1));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  TileLayout layout;
  layout.coded_bit.assign(kCellCount, -1);
  layout.sign.assign(kCellCount, 1);
  for (int k = 0; k < kCellCount; ++k) {
    const auto cell = static_cast<size_t>(order[static_cast<size_t>(k)]);
    layout.coded_bit[cell] = k < kMessageCells ? k % kCodedBits : -1;
    layout.sign[cell] = static_cast<int8_t>(rng.sign());
  }
  return layout;
}

// Catmull-Rom weights for the four cells around fractional offset f in [0, 1).
void catmull_rom(double f, double w[4]) {
  const double f2 = f * f, f3 = f2 * f;
  w[0] = 0.5 * (-f3 + 2 * f2 - f);
  w[1] = 0.5 * (3 * f3 - 5 * f2 + 2);
  w[2] = 0.5 * (-3 * f3 + 4 * f2 + f);
  w[3] = 0.5 * (f3 - f2);
}

}  // namespace

const TileLayout& tile_layout() {
  static const TileLayout layout = make_layout();
  return layout;
}

std::vector<float> message_cells(const Message& message) {
  const auto& layout = tile_layout();
  const auto coded = encode_message(message);
  std::vector<float> cells(kCellCount);
  for (size_t i = 0; i < cells.size(); ++i) {
    const int bit = layout.coded_bit[i];
    const float value = bit < 0 ? 1.0f : (coded[static_cast<size_t>(bit)] ? 1.0f : -1.0f);
    cells[i] = value * layout.sign[i];
  }
  return cells;
}

std::vector<float> sync_cells() {
  const auto& layout = tile_layout();
  std::vector<float> cells(kCellCount, 0.0f);
  for (size_t i = 0; i < cells.size(); ++i)
    if (layout.coded_bit[i] < 0) cells[i] = layout.sign[i];
  return cells;
}

std::vector<float> render_tile(const std::vector<float>& cells, int side) {
  // Separable: first along x for every cell row, then along y.
  std::vector<int> base(static_cast<size_t>(side));
  std::vector<double> weights(static_cast<size_t>(side) * 4);
  for (int k = 0; k < side; ++k) {
    const double t = (k + 0.5) * kCells / side - 0.5;
    const double fl = std::floor(t);
    base[static_cast<size_t>(k)] = static_cast<int>(fl);
    catmull_rom(t - fl, &weights[static_cast<size_t>(k) * 4]);
  }
  auto wrap = [](int i) { return ((i % kCells) + kCells) % kCells; };
  std::vector<double> rows(static_cast<size_t>(kCells) * side);
  for (int r = 0; r < kCells; ++r)
    for (int x = 0; x < side; ++x) {
      double v = 0;
      for (int j = 0; j < 4; ++j)
        v += weights[static_cast<size_t>(x) * 4 + j] * cells[static_cast<size_t>(r * kCells + wrap(base[static_cast<size_t>(x)] - 1 + j))];
      rows[static_cast<size_t>(r) * side + x] = v;
    }
  std::vector<float> tile(static_cast<size_t>(side) * side);
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x) {
      double v = 0;
      for (int j = 0; j < 4; ++j)
        v += weights[static_cast<size_t>(y) * 4 + j] * rows[static_cast<size_t>(wrap(base[static_cast<size_t>(y)] - 1 + j)) * side + x];
      tile[static_cast<size_t>(y) * side + x] = static_cast<float>(v);
    }
  return tile;
}

int cell_size_for(int width, int height) {
  const int side = std::min(width, height);
  return std::clamp(static_cast<int>(std::lround(side / kSidePerCellPixel)), kMinCellSize, 63);
}

}  // namespace veritrace::watermark::detail
