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

MessageScore score_decoded_bits(std::vector<uint8_t> bits, const std::vector<uint8_t>& message) {
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


namespace {

// Sums of `size`-element subsets of `items`, sorted.
std::vector<double> subset_sums(const std::vector<double>& items, int size) {
  std::vector<double> sums;
  const int n = static_cast<int>(items.size());
  std::vector<int> pick(static_cast<size_t>(size));
  for (int i = 0; i < size; ++i) pick[static_cast<size_t>(i)] = i;
  while (true) {
    double sum = 0;
    for (int i : pick) sum += items[static_cast<size_t>(i)];
    sums.push_back(sum);
    int i = size - 1;  // next combination in lexicographic order
    while (i >= 0 && pick[static_cast<size_t>(i)] == n - size + i) --i;
    if (i < 0) break;
    ++pick[static_cast<size_t>(i)];
    for (int j = i + 1; j < size; ++j) pick[static_cast<size_t>(j)] = pick[static_cast<size_t>(j - 1)] + 1;
  }
  std::sort(sums.begin(), sums.end());
  return sums;
}

}  // namespace

double strip_log_p(const std::vector<double>& values, const std::vector<uint8_t>& message) {
  const size_t L = message.size();
  if (L == 0 || L > kShortMessageBits || values.size() != L) return 0.0;
  const size_t classes = L % 2 == 0 ? 2 : 1;
  std::vector<std::vector<double>> sums(classes);
  double observed = 0, scale = 1;
  for (size_t c = 0; c < classes; ++c) {
    std::vector<double> items;
    int ones = 0;
    for (size_t k = c; k < L; k += classes) {
      items.push_back(values[k]);
      ones += message[k] & 1;
      if (message[k] & 1) observed += values[k];
      scale += std::fabs(values[k]);
    }
    sums[c] = ones == 0 ? std::vector<double>{0.0} : subset_sums(items, ones);
  }
  // Ties count as "at least as well" (conservative); the tolerance absorbs summation order.
  const double need = observed - 1e-9 * scale;
  double count = 0;
  if (classes == 1) {
    count = static_cast<double>(sums[0].end() - std::lower_bound(sums[0].begin(), sums[0].end(), need));
  } else {
    for (double a : sums[0])
      count += static_cast<double>(sums[1].end() - std::lower_bound(sums[1].begin(), sums[1].end(), need - a));
  }
  double total = 1;
  for (const auto& c : sums) total *= static_cast<double>(c.size());
  return std::min(0.0, std::log(std::max(count, 1.0) / total));
}

double fisher_log_p(double log_p1, double log_p2) {
  const double log_t = log_p1 + log_p2;  // <= 0
  return std::min(0.0, log_t + std::log1p(-log_t));
}

BlockVotes block_votes(const BlockGrid& grid) {
  BlockVotes v;
  v.blocks_x = grid.blocks_x;
  v.soft.resize(grid.residue.size());
  v.hard.resize(grid.residue.size());
  v.weight.assign(grid.residue.size(), 1.0f);
  // A lead of half a quantisation step or more: the embedder's change could not have moved the
  // largest coefficient elsewhere; below, the block's residue is increasingly likely unmarked.
  if (grid.lead.size() == grid.residue.size())
    for (size_t n = 0; n < grid.lead.size(); ++n)
      v.weight[n] = std::min(1.0f, grid.lead[n] / static_cast<float>(kQuantStep / 2));
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

namespace {

// Per-bit evidence of one strip: the plain soft sums and the lead-weighted ones, each centred within
// its bit-parity class and scaled to unit length, added (the weighted sum is what survives 4:4:4
// JPEG best, the plain one 4:2:0, where chroma smoothing shrinks every lead).
std::vector<double> strip_values(const BlockVotes& votes, size_t L, int strip) {
  std::vector<double> plain(L, 0.0), weighted(L, 0.0), count(L, 0.0), weight(L, 0.0);
  const int bx = std::max(1, votes.blocks_x);
  for (size_t n = 0, k = 0; n < votes.soft.size(); ++n, k = (k + 1 == L ? 0 : k + 1)) {
    if (static_cast<int>(n % static_cast<size_t>(bx)) * 2 / bx != strip) continue;
    plain[k] += votes.soft[n];
    weighted[k] += static_cast<double>(votes.weight[n]) * votes.soft[n];
    count[k] += 1;
    weight[k] += votes.weight[n];
  }
  const size_t classes = L % 2 == 0 ? 2 : 1;
  auto centre_and_scale = [&](std::vector<double>& s, const std::vector<double>& mass) {
    for (size_t c = 0; c < classes; ++c) {
      double total = 0, total_mass = 0;
      for (size_t k = c; k < L; k += classes) total += s[k], total_mass += mass[k];
      if (total_mass > 0)
        for (size_t k = c; k < L; k += classes) s[k] -= total / total_mass * mass[k];
    }
    double norm = 0;
    for (double x : s) norm += x * x;
    norm = std::sqrt(norm);
    for (double& x : s) x = norm > 1e-9 ? x / norm : 0.0;
  };
  centre_and_scale(plain, count);
  centre_and_scale(weighted, weight);
  for (size_t k = 0; k < L; ++k) plain[k] += weighted[k];
  return plain;
}

MessageScore score_short_message(const BlockVotes& votes, const std::vector<uint8_t>& message) {
  const size_t L = message.size();
  const std::vector<double> left = strip_values(votes, L, 0);
  const std::vector<double> right = strip_values(votes, L, 1);
  std::vector<uint8_t> bits(L);
  int agree = 0;
  for (size_t k = 0; k < L; ++k) {
    bits[k] = left[k] + right[k] >= 0 ? 1 : 0;
    agree += bits[k] == (message[k] & 1) ? 1 : 0;
  }
  MessageScore s;
  s.bits = std::move(bits);
  s.agreement = static_cast<double>(agree) / static_cast<double>(L);
  s.log_p = fisher_log_p(strip_log_p(left, message), strip_log_p(right, message));
  return s;
}

}  // namespace

MessageScore score_message(const BlockVotes& votes, const std::vector<uint8_t>& message) {
  const size_t L = message.size();
  if (L == 0 || votes.soft.empty()) return MessageScore{std::vector<uint8_t>(L, 1), 0.0, 0.0};
  const bool short_message = L <= kShortMessageBits;
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
  MessageScore a = short_message ? score_short_message(votes, message) : score_decoded_bits(std::move(soft), message);
  MessageScore b = score_decoded_bits(std::move(hard), message);
  return b.log_p < a.log_p ? b : a;
}

}  // namespace veritrace::watermark::known
