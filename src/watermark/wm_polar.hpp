// Internal: the polar code of the Veritrace watermark, decoded by successive cancellation with a
// list (Arikan 2009; Tal and Vardy 2015), the CRC picking the word from the list. At a hundred
// information bits and rates near 1/8, CRC-aided list decoding of a polar code comes within about
// a decibel of the best short codes known, some 2 dB better than the convolutional code plus
// repetition it replaced; that is the difference between a mark read and a mark lost on small,
// textured or recompressed images.
//
// Mother code of length N = 2^n, x = u F^(x)n with F = [[1, 0], [1, 1]] (natural order). The first
// `punctured` code bits are not sent (the decoder gives them no information); the information
// positions are the most reliable synthetic channels by the Bhattacharyya recursion at a design
// SNR near the decoding threshold, with the punctured channels erased.
#pragma once
#include <cstdint>
#include <vector>

namespace veritrace::watermark::detail {

class PolarCode {
 public:
  PolarCode(int log2_length, int info_bits, int punctured, double design_bhattacharyya);

  int length() const { return length_; }                 // N
  int sent_bits() const { return length_ - punctured_; }  // code bits actually sent
  int info_bits() const { return static_cast<int>(info_positions_.size()); }
  const std::vector<int>& info_positions() const { return info_positions_; }

  // info_bits() bits in -> sent_bits() code bits (x[punctured..N)).
  std::vector<uint8_t> encode(const std::vector<uint8_t>& info) const;

  // soft[i] > 0: sent bit i is likely 1 (any scale). Returns up to `list_size` candidate info
  // words, most likely first.
  std::vector<std::vector<uint8_t>> decode_list(const std::vector<double>& soft, int list_size) const;

 private:
  int log2_length_, length_, punctured_;
  std::vector<int> info_positions_;  // sorted
  std::vector<uint8_t> frozen_;      // per u index: 1 = frozen (always 0)
};

}  // namespace veritrace::watermark::detail
