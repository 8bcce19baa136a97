#include "audio/fft.hpp"

namespace veritrace::audio {
std::mutex& fftw_planner_mutex() {
  static std::mutex m;
  return m;
}
}  // namespace veritrace::audio
