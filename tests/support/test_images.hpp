// Test images made in code (tests that must always run make their own data).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

#include "veritrace/media.hpp"

namespace vt_test {

// A photo-like RGB image: smooth shading, blocky edges and fine grain (a watermark needs texture).
inline veritrace::media::Image photo_like(int w, int h, uint32_t seed) {
  veritrace::media::Image img;
  img.width = w;
  img.height = h;
  img.channels = 3;
  img.pixels.resize(static_cast<size_t>(w) * h * 3);
  std::mt19937 rng(seed);
  std::normal_distribution<double> grain(0.0, 6.5);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const double base = 115 + 55 * std::sin(x * 0.025 + seed) * std::cos(y * 0.018) + ((x / 97 + y / 61) % 2) * 25;
      for (int c = 0; c < 3; ++c) {
        const double v = base + c * 18 - 20 + grain(rng);
        img.row(y)[x * 3 + c] = static_cast<uint8_t>(std::clamp(v, 0.0, 255.0));
      }
    }
  return img;
}

}  // namespace vt_test
