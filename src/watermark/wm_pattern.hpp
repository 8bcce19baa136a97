// Internal: the periodic tile of the Veritrace watermark. A tile is kCells x kCells cells; a
// key-derived set of cells carries a fixed +-1 synchronisation sequence, the others carry the coded
// message bits (each coded bit in two cells with key-derived signs). The tile is upsampled with
// periodic Catmull-Rom interpolation and repeated over the whole image.
#pragma once
#include <cstdint>
#include <vector>

#include "watermark/wm_code.hpp"

namespace veritrace::watermark::detail {

inline constexpr int kCells = 32;
inline constexpr int kCellCount = kCells * kCells;
inline constexpr int kCopies = 1;  // cells per coded bit
inline constexpr int kMessageCells = kCodedBits * kCopies;
inline constexpr int kSyncCells = kCellCount - kMessageCells;

struct TileLayout {
  // For cell index (row * kCells + col): coded bit index, or -1 for a sync cell.
  std::vector<int> coded_bit;
  std::vector<int8_t> sign;  // the sync value (sync cells) or the sign applied to the coded bit
};

const TileLayout& tile_layout();

// Cell values (+-1) of a message's tile.
std::vector<float> message_cells(const Message& message);
// Cell values of the sync sequence alone (message cells 0).
std::vector<float> sync_cells();

// Periodic Catmull-Rom upsampling of kCells x kCells values to a side x side float tile
// (sample k sits at cell coordinate (k + 0.5) * kCells / side - 0.5).
std::vector<float> render_tile(const std::vector<float>& cells, int side);

// The cell size (pixels) used for an image of this size: its shorter side / kSidePerCellPixel,
// at least kMinCellSize.
inline constexpr int kMinCellSize = 3;
inline constexpr double kSidePerCellPixel = 270.0;
int cell_size_for(int width, int height);

}  // namespace veritrace::watermark::detail
