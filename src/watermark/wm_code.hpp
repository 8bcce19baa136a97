// Internal: the channel code of the Veritrace watermark. 64-bit payload + 6-bit cell size -> CRC-32
// -> key-derived whitening -> convolutional code K=7 rate 1/3 (generators 133,171,165 octal, the
// LTE/DVB family) with a zero tail -> 324 coded bits. Decoding is soft-decision Viterbi.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace veritrace::watermark::detail {

inline constexpr int kInfoBits = 64 + 6 + 32;        // payload, cell size, CRC-32
inline constexpr int kConstraint = 7;
inline constexpr int kCodedBits = (kInfoBits + kConstraint - 1) * 3;  // 324

// Deterministic generator for the key-derived patterns (SplitMix64: tiny, well known, portable).
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next();
  double uniform();  // [0, 1)
  int sign() { return (next() >> 63) ? 1 : -1; }

 private:
  uint64_t state_;
};

// CRC-32 (IEEE 802.3, reflected 0xEDB88320, init and final xor 0xFFFFFFFF).
uint32_t crc32(const uint8_t* data, size_t size);

struct Message {
  uint64_t payload = 0;
  int cell_size = 0;  // 0..63
};

// Info bits (payload, cell size, CRC) whitened, then convolutionally encoded: kCodedBits values 0/1.
std::vector<uint8_t> encode_message(const Message& message);

std::vector<uint8_t> conv_encode(const std::vector<uint8_t>& info_bits);  // appends the zero tail
// Soft Viterbi: soft[i] > 0 means coded bit i is likely 1. Returns the info bits (tail removed).
std::vector<uint8_t> viterbi_decode(const std::vector<double>& soft, int info_bits);

struct DecodeResult {
  std::optional<Message> message;   // set only when the CRC matches
  std::vector<uint8_t> info_bits;   // de-whitened decoded bits (payload first), even on failure
  double agreement = 0.0;           // sum(soft * re-encoded sign) / sum|soft|, in [-1, 1]
};
DecodeResult decode_message(const std::vector<double>& soft);

}  // namespace veritrace::watermark::detail
