// 4 s segments every 2 s over a stream, with bounded memory (tools/train/voice/features.py).
#include <algorithm>

#include "veritrace/audio.hpp"

namespace veritrace::audio {

std::vector<int64_t> segment_starts(int64_t n) {
  std::vector<int64_t> starts;
  if (n < kSegmentSamples) return starts;
  for (int64_t s = 0; s + kSegmentSamples <= n; s += kSegmentHop) starts.push_back(s);
  if (starts.back() + kSegmentSamples < n) starts.push_back(n - kSegmentSamples);
  return starts;
}

Segmenter::Segmenter(Callback on_segment) : on_segment_(std::move(on_segment)) {}

void Segmenter::push(std::span<const float> block) {
  buffer_.insert(buffer_.end(), block.begin(), block.end());
  total_ += static_cast<int64_t>(block.size());
  while (next_start_ + kSegmentSamples <= total_) {
    on_segment_(next_start_, std::span<const float>(buffer_).subspan(static_cast<size_t>(next_start_ - buffer_start_), kSegmentSamples),
                kSegmentSamples);
    last_end_ = next_start_ + kSegmentSamples;
    next_start_ += kSegmentHop;
  }
  // Keep what the next regular segment needs and the last full segment's worth (for the final one).
  const int64_t keep_from = std::max<int64_t>(0, std::min(next_start_, total_ - kSegmentSamples));
  if (keep_from > buffer_start_ + kSegmentSamples) {  // erase in large steps, not per block
    buffer_.erase(buffer_.begin(), buffer_.begin() + (keep_from - buffer_start_));
    buffer_start_ = keep_from;
  }
}

void Segmenter::finish() {
  if (total_ == 0) return;
  if (total_ < kSegmentSamples) {
    std::vector<float> tiled(kSegmentSamples);
    for (size_t i = 0; i < tiled.size(); ++i) tiled[i] = buffer_[i % buffer_.size()];
    on_segment_(0, tiled, total_);
  } else if (last_end_ < total_) {
    const int64_t start = total_ - kSegmentSamples;
    on_segment_(start, std::span<const float>(buffer_).subspan(static_cast<size_t>(start - buffer_start_), kSegmentSamples),
                kSegmentSamples);
  }
  last_end_ = total_;
}

}  // namespace veritrace::audio
