// Detection of the generators' dwtDct marks (SD1, SD2, SDXL, FLUX.1): soft decoding over colour
// domains, channel orders and a half-size rescale, with a permutation p-value per hypothesis and a
// Bonferroni correction over all of them. Method and measurements: docs/known-marks.md.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "veritrace/watermark.hpp"
#include "watermark/known_crops.hpp"
#include "watermark/known_dwtdct.hpp"
#include "watermark/known_stats.hpp"

namespace veritrace::watermark {

namespace {

using known::BlockGrid;
using known::Domain;
using known::Order;

struct Variant {
  Domain domain;
  Order order;
  bool half_scale;  // the image is a 0.5x area downscale of the marked one: its pixels are cA / 2
};

std::string variant_name(const Variant& v) {
  std::string s = v.order == Order::Bgr ? "bgr" : "rgb";
  s += v.domain == Domain::U8 ? "-u8" : "-float";
  if (v.half_scale) s += "-x0.5";
  return s;
}

// The block residues for one variant from the U plane of the image's top-left multiple-of-4 region.
BlockGrid variant_blocks(const known::Plane& u, const Variant& v) {
  if (!v.half_scale) return known::analyse_blocks(known::haar_ca(u, v.domain));
  // A 0.5x area downscale averages each 2x2 pixel group, so 2*U of the small image approximates the
  // marked image's cA (up to rounding): analyse it directly, 4x4 pixels per block.
  known::Plane ca = u;
  for (double& x : ca.v) x *= 2.0;
  return known::analyse_blocks(ca);
}

}  // namespace

std::vector<KnownMark> detect_known_marks(const media::Image& image, const KnownMarkOptions& options) {
  const auto& messages = known::generator_messages();
  std::vector<KnownMark> out;
  for (const auto& m : messages) out.push_back(KnownMark{m.name, "", false, 0.0, 1.0, ""});

  // Gray images cannot carry the mark (U is constant for R=G=B) and the library refuses images
  // under 256x256 in area: both return entries with detected=false and p_value 1.
  if (image.empty() || image.channels < 3) return out;
  if (static_cast<int64_t>(image.width) * image.height < known::kMinArea) return out;

  std::vector<Variant> variants;
  for (Domain d : {Domain::U8, Domain::Float})
    for (Order o : {Order::Bgr, Order::Rgb})
      for (bool half : {false, true}) variants.push_back({d, o, half});
  // x2: score_message tries a soft and a hard decode.
  const double hypotheses = 2.0 * static_cast<double>(variants.size() * messages.size());

  std::vector<known::MessageScore> best(messages.size());
  std::vector<std::string> best_variant(messages.size());
  std::vector<std::vector<uint8_t>> message_bits;
  for (const auto& m : messages) message_bits.push_back(known::hex_to_bits(m.hex, m.length_bits));
  const int w = image.width / 4 * 4;
  const int h = image.height / 4 * 4;
  known::Plane u;  // the plane of the previous variant, reused by its half-scale twin
  for (const Variant& v : variants) {
    if (!v.half_scale || u.v.empty()) u = known::u_plane(image, v.domain, v.order, 0, 0, w, h);
    const known::BlockVotes votes = known::block_votes(variant_blocks(u, v));
    if (votes.soft.empty()) continue;
    for (size_t i = 0; i < messages.size(); ++i) {
      const known::MessageScore s = known::score_message(votes, message_bits[i]);
      if (best_variant[i].empty() || s.log_p < best[i].log_p ||
          (s.log_p == best[i].log_p && s.agreement > best[i].agreement)) {
        best[i] = s;
        best_variant[i] = variant_name(v);
      }
    }
  }
  // With the crop search, two stages are tested: each p-value is corrected within its stage and
  // doubled (Bonferroni over the stages), and the smaller one is reported.
  const double stages = options.search_crops ? 2.0 : 1.0;
  for (size_t i = 0; i < messages.size(); ++i) {
    if (best_variant[i].empty()) continue;
    KnownMark& k = out[i];
    k.variant = best_variant[i];
    k.bit_accuracy = best[i].agreement;
    k.p_value = std::min(1.0, std::exp(best[i].log_p) * hypotheses * stages);
    k.bits_hex = known::bits_to_hex(best[i].bits);
  }
  if (options.search_crops) {
    double crop_hypotheses = 0;
    const auto crops = known::search_crops(image, message_bits, &crop_hypotheses);
    for (size_t i = 0; i < messages.size(); ++i) {
      if (crops[i].variant.empty()) continue;
      const double p = std::min(1.0, std::exp(crops[i].score.log_p) * crop_hypotheses * stages);
      KnownMark& k = out[i];
      if (p < k.p_value) {
        k.variant = crops[i].variant;
        k.bit_accuracy = crops[i].score.agreement;
        k.p_value = p;
        k.bits_hex = known::bits_to_hex(crops[i].score.bits);
      }
    }
  }
  for (auto& k : out) k.detected = !k.variant.empty() && k.p_value <= known::kDetectPValue;
  return out;
}

}  // namespace veritrace::watermark
