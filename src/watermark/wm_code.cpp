#include "watermark/wm_code.hpp"

#include <cmath>
#include <limits>

#include "watermark/wm_polar.hpp"

namespace veritrace::watermark::detail {

namespace {

constexpr uint64_t kWhiteningSeed = 0x9e7b0c1d2a3f4e55ULL;

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

const PolarCode& polar_code() {
  // Design Bhattacharyya 0.9: per-cell amplitude/noise about 0.45, where decoding starts to fail.
  static const PolarCode code(kPolarLog2, kInfoBits, (1 << kPolarLog2) - kCodedBits, 0.9);
  return code;
}

std::vector<uint8_t> code_encode(const std::vector<uint8_t>& info_bits) { return polar_code().encode(info_bits); }

std::vector<std::vector<uint8_t>> code_decode_list(const std::vector<double>& soft, int list_size) {
  return polar_code().decode_list(soft, list_size);
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
  return code_encode(info);
}

namespace {

Message unpack(const std::vector<uint8_t>& info, uint32_t* crc) {
  Message m;
  size_t pos = 0;
  for (int i = 0; i < 64; ++i) m.payload = (m.payload << 1) | info[pos++];
  for (int i = 0; i < 6; ++i) m.cell_size = (m.cell_size << 1) | info[pos++];
  *crc = 0;
  for (int i = 0; i < 32; ++i) *crc = (*crc << 1) | info[pos++];
  return m;
}

double agreement_with(const std::vector<double>& soft, const std::vector<uint8_t>& whitened_info) {
  const auto recoded = code_encode(whitened_info);
  double dot = 0, total = 0;
  for (size_t i = 0; i < recoded.size() && i < soft.size(); ++i) {
    dot += recoded[i] ? soft[i] : -soft[i];
    total += std::fabs(soft[i]);
  }
  return total > 0 ? dot / total : 0.0;
}

}  // namespace

DecodeResult decode_message(const std::vector<double>& soft) {
  DecodeResult result;
  const auto white = whitening_bits();
  const auto words = code_decode_list(soft, kListSize);
  for (const auto& word : words) {
    ++result.crc_checks;
    auto info = word;
    for (size_t i = 0; i < info.size(); ++i) info[i] ^= white[i];
    uint32_t crc = 0;
    const Message m = unpack(info, &crc);
    const auto bytes = crc_bytes(m);
    if (crc32(bytes.data(), bytes.size()) != crc) continue;
    result.message = m;
    result.agreement = agreement_with(soft, word);
    result.info_bits = std::move(info);
    return result;
  }
  // Nothing passed: report the most likely word (for diagnostics).
  if (!words.empty()) {
    result.agreement = agreement_with(soft, words.front());
    result.info_bits = words.front();
    for (size_t i = 0; i < result.info_bits.size(); ++i) result.info_bits[i] ^= white[i];
  }
  return result;
}

}  // namespace veritrace::watermark::detail
