// FFTW planning is not thread-safe, and plans made in different modules share FFTW's global planner:
// every FFTW plan in Veritrace is made under this one mutex (executing a plan on new arrays is
// thread-safe).
#pragma once
#include <mutex>

namespace veritrace::audio {
std::mutex& fftw_planner_mutex();
}
