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

// Messages up to this length (SD2's 32 bits) are scored in two strips (see score_message).
inline constexpr size_t kShortMessageBits = 32;

// Two decodes at the message's length (block n votes for bit n mod L): soft and the library's hard
// vote; returns the better-scoring one (callers count 2 hypotheses).
// - Long messages: soft = sign of the centred sum of soft values. The p-value is the probability
//   that a bit pattern with the same number of ones, placed at random, agrees at least as well with
//   the message (hypergeometric tail): a constant decode (flat images) scores p = 1.
// - Short messages (<= kShortMessageBits), soft: the left and right halves of the block columns
//   are scored separately, each by the exact permutation test of strip_log_p, and the two p-values
//   are combined by Fisher's method (assumes the halves independent when unmarked). One strip
//   cannot go below 1/C(L, ones), too little for 32 bits after the correction.
MessageScore score_message(const BlockGrid& grid, const std::vector<uint8_t>& message);

// The per-block inputs of score_message, computed once per grid and shared by all messages.
struct BlockVotes {
  int blocks_x = 0;
  std::vector<float> soft;    // soft_value of each block, minus their mean (the centring)
  std::vector<uint8_t> hard;  // the library's block score (residue > 18)
  std::vector<float> weight;  // reliability from the chosen coefficient's lead, in [0, 1]
};
BlockVotes block_votes(const BlockGrid& grid);
MessageScore score_message(const BlockVotes& votes, const std::vector<uint8_t>& message);

// A decode scored against the message: agreement, and the hypergeometric p-value of a decode with
// the same number of ones placed at random (the long-message test of score_message).
MessageScore score_decoded_bits(std::vector<uint8_t> bits, const std::vector<uint8_t>& message);

// ln P(X >= x0) for X ~ Hypergeometric(population n, successes k, draws d).
double log_hypergeometric_tail(int n, int k, int d, int x0);

// Exact permutation test of per-bit evidence values against a message (L <= kShortMessageBits):
// ln of the fraction of messages with the same ones inside each bit-parity class (even, odd bit
// indices) whose ones collect at least the message's sum of values. Permuting within parity classes
// makes the test blind to anything that treats even and odd block columns differently (JPEG 4:2:0
// works in 16-pixel units, two blocks wide); constant values give 0 (p = 1).
double strip_log_p(const std::vector<double>& values, const std::vector<uint8_t>& message);

// Fisher's combination of two independent p-values given as logs: t (1 - ln t) with t = p1 p2.
double fisher_log_p(double log_p1, double log_p2);

}  // namespace veritrace::watermark::known
