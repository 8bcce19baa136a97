// The Veritrace watermark's channel code alone: frame error rate of the polar code with CRC-aided
// list decoding against the signal-to-noise ratio per message cell (amplitude / noise standard
// deviation, Gaussian noise), the figure the robustness benchmark's "oracle channel SNR" reports.
// Prints, per SNR, how often the list holds the sent word, how often the CRC picks it, and how often
// a wrong word passes the CRC (should be never).
//
//   bench_watermark_code [--trials N] [--list L] [--seed S]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "watermark/wm_code.hpp"

namespace wd = veritrace::watermark::detail;

int main(int argc, char** argv) {
  int trials = 1000, list = wd::kListSize;
  uint64_t seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--trials") trials = std::atoi(argv[i + 1]);
    else if (a == "--list") list = std::atoi(argv[i + 1]);
    else if (a == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10);
    else {
      std::fprintf(stderr, "usage: bench_watermark_code [--trials N] [--list L] [--seed S]\n");
      return 2;
    }
  }
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, 1);
  std::printf("polar N=1024, %d code bits sent, %d information bits, list %d, %d trials per row\n\n", wd::kCodedBits, wd::kInfoBits, list, trials);
  std::printf("| SNR per cell | in list | decoded (CRC) | frame error rate | wrong word accepted |\n| --- | --- | --- | --- | --- |\n");
  for (double snr : {0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.70}) {
    int in_list = 0, decoded = 0, wrong = 0;
    for (int t = 0; t < trials; ++t) {
      const wd::Message m{rng(), static_cast<int>(rng() % 64)};
      const auto coded = wd::encode_message(m);
      std::vector<double> soft(coded.size());
      for (size_t i = 0; i < coded.size(); ++i) soft[i] = (coded[i] ? snr : -snr) + noise(rng);
      const auto words = wd::code_decode_list(soft, list);
      for (const auto& w : words) in_list += wd::code_encode(w) == coded;
      const auto r = wd::decode_message(soft);
      if (r.message && r.message->payload == m.payload && r.message->cell_size == m.cell_size) ++decoded;
      else if (r.message) ++wrong;
    }
    std::printf("| %.2f | %.3f | %.3f | %.3f | %d |\n", snr, static_cast<double>(in_list) / trials, static_cast<double>(decoded) / trials,
                1.0 - static_cast<double>(decoded) / trials, wrong);
  }
  return 0;
}
