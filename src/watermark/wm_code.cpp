#include "watermark/wm_code.hpp"

#include <cmath>
#include <limits>

namespace veritrace::watermark::detail {

namespace {

constexpr uint32_t kGenerators[3] = {0133, 0171, 0165};
constexpr uint64_t kWhiteningSeed = 0x9e7b0c1d2a3f4e55ULL;

int parity(uint32_t v) { return __builtin_parity(v); }

std::vector<uint8_t> whitening_bits() {
  SplitMix64 rng(kWhiteningSeed);
  std::vector<uint8_t> bits(kInfoBits);
  for (auto& b : bits) b = static_cast<uint8_t>(rng.next() >> 63);
  return bits;
}

std::array<uint8_t, 9> crc_bytes(const Message& m) {
  std::array<uint8_t, 9> bytes{};
  for (int i = 0; i < 8; ++i) bytes[static_cast<size_t>(i)] = static_cast<uint8_t>(m.payload >> (56 - 8 * i));
  bytes[8] = static_cast<uint8_t>(m.cell_size & 0x3f);
  return bytes;
}

}  // namespace

uint64_t SplitMix64::next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double SplitMix64::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

uint32_t crc32(const uint8_t* data, size_t size) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return crc ^ 0xFFFFFFFFu;
}

std::vector<uint8_t> conv_encode(const std::vector<uint8_t>& info_bits) {
  std::vector<uint8_t> out;
  out.reserve((info_bits.size() + kConstraint - 1) * 3);
  uint32_t reg = 0;  // bit 6 = newest input, bits 0..5 = the previous six
  auto push = [&](uint32_t bit) {
    reg = ((reg >> 1) | (bit << 6)) & 0x7f;
    for (uint32_t g : kGenerators) out.push_back(static_cast<uint8_t>(parity(reg & g)));
  };
  for (uint8_t b : info_bits) push(b & 1u);
  for (int i = 0; i < kConstraint - 1; ++i) push(0);
  return out;
}

std::vector<uint8_t> viterbi_decode(const std::vector<double>& soft, int info_bits) {
  constexpr int kStates = 1 << (kConstraint - 1);
  const int steps = info_bits + kConstraint - 1;
  if (static_cast<int>(soft.size()) < steps * 3) return std::vector<uint8_t>(static_cast<size_t>(info_bits), 0);
  constexpr double kNeg = -std::numeric_limits<double>::infinity();
  std::vector<double> metric(kStates, kNeg), next(kStates);
  metric[0] = 0.0;
  // decision[t][state] = the oldest bit of the predecessor state (which one was kept).
  std::vector<std::array<uint8_t, kStates>> decision(static_cast<size_t>(steps));
  for (int t = 0; t < steps; ++t) {
    const double* s = soft.data() + 3 * t;
    std::fill(next.begin(), next.end(), kNeg);
    for (int state = 0; state < kStates; ++state) {
      if (metric[static_cast<size_t>(state)] == kNeg) continue;
      const int max_input = t < info_bits ? 1 : 0;
      for (int bit = 0; bit <= max_input; ++bit) {
        // state holds the six previous inputs with the newest in bit 5.
        const uint32_t reg = (static_cast<uint32_t>(state) | (static_cast<uint32_t>(bit) << 6));
        double m = metric[static_cast<size_t>(state)];
        for (int k = 0; k < 3; ++k) m += parity(reg & kGenerators[k]) ? s[k] : -s[k];
        const int ns = static_cast<int>(reg >> 1);
        if (m > next[static_cast<size_t>(ns)]) {
          next[static_cast<size_t>(ns)] = m;
          decision[static_cast<size_t>(t)][static_cast<size_t>(ns)] = static_cast<uint8_t>(state & 1);
        }
      }
    }
    metric.swap(next);
  }
  std::vector<uint8_t> bits(static_cast<size_t>(steps));
  int state = 0;  // the tail brings the encoder back to zero
  for (int t = steps - 1; t >= 0; --t) {
    bits[static_cast<size_t>(t)] = static_cast<uint8_t>((state >> 5) & 1);
    const int oldest = decision[static_cast<size_t>(t)][static_cast<size_t>(state)];
    state = ((state << 1) & (kStates - 1)) | oldest;
  }
  bits.resize(static_cast<size_t>(info_bits));
  return bits;
}

std::vector<uint8_t> encode_message(const Message& message) {
  const auto bytes = crc_bytes(message);
  const uint32_t crc = crc32(bytes.data(), bytes.size());
  std::vector<uint8_t> info;
  info.reserve(kInfoBits);
  for (int i = 63; i >= 0; --i) info.push_back(static_cast<uint8_t>((message.payload >> i) & 1));
  for (int i = 5; i >= 0; --i) info.push_back(static_cast<uint8_t>((message.cell_size >> i) & 1));
  for (int i = 31; i >= 0; --i) info.push_back(static_cast<uint8_t>((crc >> i) & 1));
  const auto white = whitening_bits();
  for (size_t i = 0; i < info.size(); ++i) info[i] ^= white[i];
  return conv_encode(info);
}

DecodeResult decode_message(const std::vector<double>& soft) {
  DecodeResult result;
  auto info = viterbi_decode(soft, kInfoBits);
  const auto recoded = conv_encode(info);
  double dot = 0, total = 0;
  for (size_t i = 0; i < recoded.size() && i < soft.size(); ++i) {
    dot += recoded[i] ? soft[i] : -soft[i];
    total += std::fabs(soft[i]);
  }
  result.agreement = total > 0 ? dot / total : 0.0;
  const auto white = whitening_bits();
  for (size_t i = 0; i < info.size(); ++i) info[i] ^= white[i];
  Message m;
  size_t pos = 0;
  for (int i = 0; i < 64; ++i) m.payload = (m.payload << 1) | info[pos++];
  for (int i = 0; i < 6; ++i) m.cell_size = (m.cell_size << 1) | info[pos++];
  uint32_t crc = 0;
  for (int i = 0; i < 32; ++i) crc = (crc << 1) | info[pos++];
  result.info_bits = std::move(info);
  const auto bytes = crc_bytes(m);
  if (crc32(bytes.data(), bytes.size()) == crc) result.message = m;
  return result;
}

}  // namespace veritrace::watermark::detail
