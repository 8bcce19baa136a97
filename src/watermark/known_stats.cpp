// Soft decoding and the permutation p-value of a generator message (see known_stats.hpp).
#include "watermark/known_stats.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace veritrace::watermark::known {

namespace {

double log_choose(int n, int k) { return std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0); }

}  // namespace

double soft_value(double residue) { return -std::sin(2.0 * std::numbers::pi * residue / kQuantStep); }

double log_hypergeometric_tail(int n, int k, int d, int x0) {
  const int lo = std::max({x0, 0, d - (n - k)});
  const int hi = std::min(k, d);
  if (lo > hi) return -INFINITY;
  if (x0 <= std::max(0, d - (n - k))) return 0.0;
  const double denom = log_choose(n, d);
  // log-sum-exp over the tail terms C(k,x) C(n-k,d-x) / C(n,d)
  std::vector<double> terms;
  for (int x = lo; x <= hi; ++x) terms.push_back(log_choose(k, x) + log_choose(n - k, d - x) - denom);
  const double top = *std::max_element(terms.begin(), terms.end());
  double sum = 0;
  for (double t : terms) sum += std::exp(t - top);
  return std::min(0.0, top + std::log(sum));
}

namespace {

MessageScore score_bits(std::vector<uint8_t> bits, const std::vector<uint8_t>& message) {
  const int n = static_cast<int>(message.size());
  int ones = 0, message_ones = 0, agree = 0;
  for (int k = 0; k < n; ++k) {
    ones += bits[static_cast<size_t>(k)];
    message_ones += message[static_cast<size_t>(k)] & 1;
    agree += bits[static_cast<size_t>(k)] == (message[static_cast<size_t>(k)] & 1) ? 1 : 0;
  }
  MessageScore s;
  s.bits = std::move(bits);
  s.agreement = static_cast<double>(agree) / static_cast<double>(n);
  // agree = 2x + L - M - D with x = ones shared by decode and message; under a random placement
  // of the decoded ones x is hypergeometric. 2x is even by construction.
  const int twice_x = agree - n + message_ones + ones;
  s.log_p = log_hypergeometric_tail(n, message_ones, ones, twice_x / 2);
  return s;
}

}  // namespace

BlockVotes block_votes(const BlockGrid& grid) {
  BlockVotes v;
  v.soft.resize(grid.residue.size());
  v.hard.resize(grid.residue.size());
  double total = 0;
  for (size_t n = 0; n < grid.residue.size(); ++n) {
    v.soft[n] = static_cast<float>(soft_value(grid.residue[n]));
    v.hard[n] = grid.residue[n] > kQuantStep / 2 ? 1 : 0;
    total += v.soft[n];  // exact in double for up to 2^29 floats, so a constant grid centres to 0
  }
  // Centring removes a bias shared by all blocks (flat or saturated regions push every residue the
  // same way, e.g. a flat image decodes as all ones).
  if (!grid.residue.empty()) {
    const double mean = total / static_cast<double>(grid.residue.size());
    for (float& s : v.soft) s = static_cast<float>(static_cast<double>(s) - mean);
  }
  return v;
}

MessageScore score_message(const BlockGrid& grid, const std::vector<uint8_t>& message) {
  return score_message(block_votes(grid), message);
}

MessageScore score_message(const BlockVotes& votes, const std::vector<uint8_t>& message) {
  const size_t L = message.size();
  if (L == 0 || votes.soft.empty()) return MessageScore{std::vector<uint8_t>(L, 1), 0.0, 0.0};
  std::vector<double> sum(L, 0.0);
  std::vector<int> hard_ones(L, 0), count(L, 0);
  for (size_t n = 0, k = 0; n < votes.soft.size(); ++n, k = (k + 1 == L ? 0 : k + 1)) {
    sum[k] += votes.soft[n];
    hard_ones[k] += votes.hard[n];
    count[k] += 1;
  }
  std::vector<uint8_t> soft(L), hard(L);
  for (size_t k = 0; k < L; ++k) {
    soft[k] = sum[k] >= 0 ? 1 : 0;  // a tie (constant grids) -> 1, like the library
    hard[k] = vote_bit(hard_ones[k], count[k]);  // the library's own vote
  }
  MessageScore a = score_bits(std::move(soft), message);
  MessageScore b = score_bits(std::move(hard), message);
  return b.log_p < a.log_p ? b : a;
}

}  // namespace veritrace::watermark::known
