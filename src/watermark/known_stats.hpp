// Internal: scoring a generator message against the block residues of one decoding hypothesis.
#pragma once
#include <cstdint>
#include <vector>

#include "watermark/known_dwtdct.hpp"

namespace veritrace::watermark::known {

// detect_known_marks flags a mark when its corrected p-value is at most this (docs/known-marks.md).
inline constexpr double kDetectPValue = 1e-6;

// Soft value of one block: -sin(2 pi r / 36) for residue r, +1 at 27 (a 1 as embedded), -1 at 9
// (a 0), 0 at the decision boundaries 0 and 18.
double soft_value(double residue);

struct MessageScore {
  std::vector<uint8_t> bits;  // the decoded bits of the better decode
  double agreement = 0.0;     // fraction of bits equal to the message
  double log_p = 0.0;         // natural log of the uncorrected permutation p-value (<= 0)
};

// Two decodes at the message's length (block n votes for bit n mod L): soft (sign of the centred
// sum of soft values) and the library's hard vote; returns the better-scoring one (callers count 2
// hypotheses). The p-value is the probability that a bit pattern with the same number of ones,
// placed at random, agrees at least as well with the message (hypergeometric tail): a constant
// decode (flat images) therefore scores p = 1.
MessageScore score_message(const BlockGrid& grid, const std::vector<uint8_t>& message);

// The per-block inputs of score_message, computed once per grid and shared by all messages.
struct BlockVotes {
  std::vector<float> soft;    // soft_value of each block, minus their mean (the centring)
  std::vector<uint8_t> hard;  // the library's block score (residue > 18)
};
BlockVotes block_votes(const BlockGrid& grid);
MessageScore score_message(const BlockVotes& votes, const std::vector<uint8_t>& message);

// ln P(X >= x0) for X ~ Hypergeometric(population n, successes k, draws d).
double log_hypergeometric_tail(int n, int k, int d, int x0);

}  // namespace veritrace::watermark::known
