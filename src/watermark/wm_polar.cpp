#include "watermark/wm_polar.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <stdexcept>

namespace veritrace::watermark::detail {

namespace {

// The reliability of every synthetic channel u_i: the Bhattacharyya parameter pushed through the
// same tree the decoder walks (first half = x_a xor x_b, second half = x_b), smaller is better.
void bhattacharyya(const std::vector<double>& z, std::vector<double>& leaves) {
  if (z.size() == 1) {
    leaves.push_back(z[0]);
    return;
  }
  const size_t half = z.size() / 2;
  std::vector<double> worse(half), better(half);
  for (size_t j = 0; j < half; ++j) {
    const double z1 = z[j], z2 = z[j + half];
    worse[j] = z1 + z2 - z1 * z2;
    better[j] = z1 * z2;
  }
  bhattacharyya(worse, leaves);
  bhattacharyya(better, leaves);
}

inline float f_combine(float a, float b) {  // min-sum check node
  const float m = std::min(std::fabs(a), std::fabs(b));
  return (a < 0) != (b < 0) ? -m : m;
}

// Successive-cancellation list decoder. Every path owns one buffer holding its LLRs and partial
// sums at every depth of the tree; paths walk the tree in lockstep, and a path that splits at an
// information bit is copied whole (about 12 KB at N = 1024: cheaper than reference counting).
class ListDecoder {
 public:
  ListDecoder(int log2_length, const std::vector<uint8_t>& frozen, const std::vector<float>& channel, int list_size)
      : n_(log2_length), length_(1 << log2_length), frozen_(frozen), channel_(channel), list_size_(list_size) {
    llr_offset_.assign(static_cast<size_t>(n_) + 1, 0);
    for (int d = 2; d <= n_; ++d) llr_offset_[static_cast<size_t>(d)] = llr_offset_[static_cast<size_t>(d - 1)] + (length_ >> (d - 1));
    llr_size_ = static_cast<size_t>(length_);  // N - 1 used
    bits_size_ = static_cast<size_t>(length_);
    stride_ = llr_size_ * sizeof(float) + 2 * bits_size_ + static_cast<size_t>(length_);
    pool_.assign(stride_ * static_cast<size_t>(list_size_), 0);
    metric_.assign(static_cast<size_t>(list_size_), 0.0);
    for (int p = list_size_ - 1; p > 0; --p) free_.push_back(p);
    active_.push_back(0);
    frozen_prefix_.assign(static_cast<size_t>(length_) + 1, 0);
    for (int i = 0; i < length_; ++i) frozen_prefix_[static_cast<size_t>(i) + 1] = frozen_prefix_[static_cast<size_t>(i)] + (frozen_[static_cast<size_t>(i)] ? 1 : 0);
    candidates_.reserve(static_cast<size_t>(2 * list_size_));
    kept_.assign(static_cast<size_t>(list_size_), {});
  }

  std::vector<std::vector<uint8_t>> run(const std::vector<int>& info_positions) {
    node(0, false);
    std::vector<int> order = active_;
    std::sort(order.begin(), order.end(), [&](int l, int r) { return metric_[static_cast<size_t>(l)] < metric_[static_cast<size_t>(r)]; });
    std::vector<std::vector<uint8_t>> words;
    for (int p : order) {
      std::vector<uint8_t> info;
      info.reserve(info_positions.size());
      for (int i : info_positions) info.push_back(u(p)[i]);
      words.push_back(std::move(info));
    }
    return words;
  }

 private:
  float* llr(int p, int depth) { return reinterpret_cast<float*>(&pool_[stride_ * static_cast<size_t>(p)]) + llr_offset_[static_cast<size_t>(depth)]; }
  uint8_t* bits(int p, int depth, bool right) {
    uint8_t* base = &pool_[stride_ * static_cast<size_t>(p) + llr_size_ * sizeof(float)];
    return base + (right ? bits_size_ : 0) + (length_ - (length_ >> (depth - 1)));  // depth >= 1
  }
  uint8_t* u(int p) { return &pool_[stride_ * static_cast<size_t>(p) + llr_size_ * sizeof(float) + 2 * bits_size_]; }
  const float* input(int p, int depth) { return depth == 0 ? channel_.data() : llr(p, depth); }

  void node(int depth, bool right) {
    const int size = length_ >> depth;
    if (size == 1) {
      leaf(right);
      return;
    }
    if (frozen_prefix_[static_cast<size_t>(leaf_ + size)] - frozen_prefix_[static_cast<size_t>(leaf_)] == size) {
      all_frozen(depth, right, size);
      return;
    }
    const int half = size / 2;
    for (int p : active_) {
      const float* in = input(p, depth);
      float* out = llr(p, depth + 1);
      for (int j = 0; j < half; ++j) out[j] = f_combine(in[j], in[j + half]);
    }
    node(depth + 1, false);
    for (int p : active_) {
      const float* in = input(p, depth);
      float* out = llr(p, depth + 1);
      const uint8_t* left = bits(p, depth + 1, false);
      for (int j = 0; j < half; ++j) out[j] = in[j + half] + (left[j] ? -in[j] : in[j]);
    }
    node(depth + 1, true);
    if (depth == 0) return;
    for (int p : active_) {
      const uint8_t* left = bits(p, depth + 1, false);
      const uint8_t* rightbits = bits(p, depth + 1, true);
      uint8_t* out = bits(p, depth, right);
      for (int j = 0; j < half; ++j) {
        out[j] = left[j] ^ rightbits[j];
        out[j + half] = rightbits[j];
      }
    }
  }

  // A subtree whose bits are all frozen (zero): every path pays for the input LLRs that say 1
  // (the node-level metric of fast simplified SC list decoding) and passes zeros up.
  void all_frozen(int depth, bool right, int size) {
    for (int p : active_) {
      const float* in = input(p, depth);
      double penalty = 0;
      for (int j = 0; j < size; ++j) penalty += in[j] < 0 ? -in[j] : 0.0f;
      metric_[static_cast<size_t>(p)] += penalty;
      if (depth > 0) std::memset(bits(p, depth, right), 0, static_cast<size_t>(size));
      std::memset(u(p) + leaf_, 0, static_cast<size_t>(size));
    }
    leaf_ += size;
  }

  void set_bit(int p, bool right, uint8_t bit) {
    bits(p, n_, right)[0] = bit;
    u(p)[leaf_] = bit;
  }

  void leaf(bool right) {
    if (frozen_[static_cast<size_t>(leaf_)]) {
      for (int p : active_) {
        const float l = llr(p, n_)[0];
        if (l < 0) metric_[static_cast<size_t>(p)] -= l;
        set_bit(p, right, 0);
      }
      ++leaf_;
      return;
    }
    candidates_.clear();
    for (int p : active_) {
      const float l = llr(p, n_)[0];
      const double m = metric_[static_cast<size_t>(p)];
      candidates_.push_back({m + (l < 0 ? -l : 0.0), p, 0});
      candidates_.push_back({m + (l > 0 ? l : 0.0), p, 1});
    }
    const size_t keep = std::min(candidates_.size(), static_cast<size_t>(list_size_));
    std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(keep), candidates_.end(),
                      [](const Candidate& l, const Candidate& r) { return l.metric < r.metric; });
    for (int p : active_) kept_[static_cast<size_t>(p)] = Kept{};
    for (size_t k = 0; k < keep; ++k) {
      Kept& kept = kept_[static_cast<size_t>(candidates_[k].path)];
      kept.bit[candidates_[k].bit] = true;
      kept.metric[candidates_[k].bit] = candidates_[k].metric;
    }
    next_.clear();
    // Free the dropped paths first, so that their buffers can take the copies.
    for (int p : active_)
      if (!kept_[static_cast<size_t>(p)].bit[0] && !kept_[static_cast<size_t>(p)].bit[1]) free_.push_back(p);
    for (int p : active_) {
      const Kept kept = kept_[static_cast<size_t>(p)];
      const auto sp = static_cast<size_t>(p);
      if (kept.bit[0] && kept.bit[1]) {
        const int q = free_.back();
        free_.pop_back();
        std::memcpy(&pool_[stride_ * static_cast<size_t>(q)], &pool_[stride_ * sp], stride_);
        metric_[sp] = kept.metric[0];
        set_bit(p, right, 0);
        metric_[static_cast<size_t>(q)] = kept.metric[1];
        set_bit(q, right, 1);
        next_.push_back(p);
        next_.push_back(q);
      } else if (kept.bit[0] || kept.bit[1]) {
        const uint8_t bit = kept.bit[0] ? 0 : 1;
        metric_[sp] = kept.metric[bit];
        set_bit(p, right, bit);
        next_.push_back(p);
      }
    }
    active_.swap(next_);
    ++leaf_;
  }

  int n_, length_;
  const std::vector<uint8_t>& frozen_;
  const std::vector<float>& channel_;
  int list_size_;
  std::vector<size_t> llr_offset_;
  size_t llr_size_ = 0, bits_size_ = 0, stride_ = 0;
  std::vector<uint8_t> pool_;
  std::vector<double> metric_;
  std::vector<int> free_, active_, next_;
  std::vector<int> frozen_prefix_;  // frozen bits among the first i
  struct Candidate {
    double metric;
    int path;
    uint8_t bit;
  };
  struct Kept {
    bool bit[2] = {false, false};
    double metric[2] = {0, 0};
  };
  std::vector<Candidate> candidates_;
  std::vector<Kept> kept_;
  int leaf_ = 0;
};

}  // namespace

PolarCode::PolarCode(int log2_length, int info_bits, int punctured, double design_bhattacharyya)
    : log2_length_(log2_length), length_(1 << log2_length), punctured_(punctured) {
  if (log2_length < 1 || punctured < 0 || info_bits <= 0 || info_bits > length_ - punctured)
    throw std::invalid_argument("polar code: bad parameters");
  std::vector<double> z(static_cast<size_t>(length_), design_bhattacharyya);
  std::fill(z.begin(), z.begin() + punctured, 1.0);
  std::vector<double> leaves;
  leaves.reserve(z.size());
  bhattacharyya(z, leaves);
  std::vector<int> order(static_cast<size_t>(length_));
  std::iota(order.begin(), order.end(), 0);
  // Most reliable first; ties to the later index (it sees more of the code).
  std::stable_sort(order.begin(), order.end(), [&](int l, int r) {
    const double zl = leaves[static_cast<size_t>(l)], zr = leaves[static_cast<size_t>(r)];
    return zl != zr ? zl < zr : l > r;
  });
  info_positions_.assign(order.begin(), order.begin() + info_bits);
  std::sort(info_positions_.begin(), info_positions_.end());
  frozen_.assign(static_cast<size_t>(length_), 1);
  for (int i : info_positions_) frozen_[static_cast<size_t>(i)] = 0;
}

std::vector<uint8_t> PolarCode::encode(const std::vector<uint8_t>& info) const {
  std::vector<uint8_t> x(static_cast<size_t>(length_), 0);
  for (size_t k = 0; k < info_positions_.size() && k < info.size(); ++k) x[static_cast<size_t>(info_positions_[k])] = info[k] & 1u;
  for (int half = 1; half < length_; half *= 2)
    for (int start = 0; start < length_; start += 2 * half)
      for (int j = start; j < start + half; ++j) x[static_cast<size_t>(j)] ^= x[static_cast<size_t>(j + half)];
  return {x.begin() + punctured_, x.end()};
}

std::vector<std::vector<uint8_t>> PolarCode::decode_list(const std::vector<double>& soft, int list_size) const {
  // Channel LLRs, log P(0) / P(1): punctured bits carry no information.
  std::vector<float> channel(static_cast<size_t>(length_), 0.0f);
  for (int i = 0; i < sent_bits() && i < static_cast<int>(soft.size()); ++i)
    channel[static_cast<size_t>(punctured_ + i)] = static_cast<float>(-soft[static_cast<size_t>(i)]);
  ListDecoder decoder(log2_length_, frozen_, channel, std::max(1, list_size));
  return decoder.run(info_positions_);
}

}  // namespace veritrace::watermark::detail
