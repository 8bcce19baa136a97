// JPEG DCT helpers shared by the jpeg_ghost and block_grid detectors: the luma DCT coefficients of
// a JPEG file (libjpeg, jpeg_read_coefficients), the same coefficients recovered from decoded pixels
// (8x8 DCT of the luma, quantisation steps estimated from the coefficients themselves), and the IJG
// quality scaling. Internal to the detect module.
#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace veritrace::detect::jpegdct {

// Zigzag index -> natural (row-major) index of an 8x8 block.
extern const std::array<int, 64> kZigzag;

// Quantised luma DCT coefficients on the image's 8x8 grid, natural order within a block, blocks
// row-major (blocks_w x blocks_h covers the image, edge blocks padded as the encoder padded them).
struct LumaCoefficients {
  int blocks_w = 0;
  int blocks_h = 0;
  std::array<int, 64> quant{};  // quantisation step per coefficient (natural order), >= 1
  std::vector<int16_t> coef;    // blocks_w * blocks_h * 64
  int warnings = 0;             // libjpeg warnings (truncated or corrupt data)
};

// Reads the luma (first component) coefficients of a JPEG file. Returns false with a reason when
// the data is not a readable JPEG, has more than max_pixels, or libjpeg reports an error; libjpeg
// never calls exit() and nothing is allocated before the size is checked.
bool read_luma_coefficients(std::span<const uint8_t> bytes, uint64_t max_pixels, LumaCoefficients& out,
                            std::string& why);

// 8x8 DCT (orthonormal, as JPEG's FDCT: coefficients in the units of the JPEG tables) of luma - 128
// for the blocks of the grid starting at pixel (ox, oy) with 0 <= ox, oy < 8; only whole blocks.
// Returns a (blocks_h * blocks_w) x 64 CV_32F matrix, natural order; sets blocks_w / blocks_h.
// step > 1 takes every step-th block in each direction (a sample, for statistics).
cv::Mat block_dct(const cv::Mat& luma_f32, int ox, int oy, int& blocks_w, int& blocks_h, int step = 1);

// Quantisation step per coefficient (natural order) estimated from pixel-domain coefficients: the
// largest step q <= 64 whose multiples the non-zero coefficients sit on (1 when none is found).
// Only AC coefficients up to zigzag index max_zigzag are estimated; the others are left at 1.
std::array<int, 64> estimate_quant(const cv::Mat& dct, int max_zigzag = 63);

// The standard IJG luminance table scaled to a quality 1..100 (libjpeg's jpeg_quality_scaling).
std::array<int, 64> ijg_luma_table(int quality);

}  // namespace veritrace::detect::jpegdct
