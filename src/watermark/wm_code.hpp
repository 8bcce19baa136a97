// Internal: the channel code of the Veritrace watermark. 64-bit payload + 6-bit cell size -> CRC-32
// -> key-derived whitening -> polar code N = 1024 with 256 bits punctured -> 768 code bits, one per
// message cell. Decoding is successive cancellation with a list of kListSize words; the first word
// whose CRC matches is the result.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace veritrace::watermark::detail {

inline constexpr int kInfoBits = 64 + 6 + 32;  // payload, cell size, CRC-32
inline constexpr int kPolarLog2 = 10;           // mother code length 1024
inline constexpr int kCodedBits = 768;          // code bits sent (one per message cell)
inline constexpr int kListSize = 16;            // list decoder width = CRC checks per decode

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

// Info bits (payload, cell size, CRC) whitened, then polar encoded: kCodedBits values 0/1.
std::vector<uint8_t> encode_message(const Message& message);

// The polar code itself (kInfoBits in, kCodedBits out).
std::vector<uint8_t> code_encode(const std::vector<uint8_t>& info_bits);
// soft[i] > 0 means coded bit i is likely 1. Candidate info words, most likely first.
std::vector<std::vector<uint8_t>> code_decode_list(const std::vector<double>& soft, int list_size = kListSize);

struct DecodeResult {
  std::optional<Message> message;   // set only when the CRC matches
  std::vector<uint8_t> info_bits;   // de-whitened decoded bits (payload first), even on failure
  double agreement = 0.0;           // sum(soft * re-encoded sign) / sum|soft|, in [-1, 1]
  int crc_checks = 0;               // words tested against the CRC (at most kListSize)
};
DecodeResult decode_message(const std::vector<double>& soft);

}  // namespace veritrace::watermark::detail
