// Signing with a watermark as the manifest's soft binding.
#include <openssl/rand.h>

#include <cstdio>
#include <filesystem>
#include <fmt/format.h>

#include "core/atomic_file.hpp"
#include "formats/formats.hpp"
#include "provenance/metadata_transplant.hpp"
#include "veritrace/media.hpp"
#include "veritrace/provenance.hpp"
#include "veritrace/watermark.hpp"

namespace veritrace::provenance {

std::string soft_binding_value(uint64_t id) { return fmt::format("{:016x}", id); }

std::optional<uint64_t> parse_soft_binding_value(const std::string& value) {
  if (value.size() != 16) return std::nullopt;
  uint64_t v = 0;
  for (char c : value) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return std::nullopt;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return v;
}

MarkedImage watermark_encoded_image(std::span<const uint8_t> encoded, media::ImageFormat out_format, uint64_t payload,
                                    double strength, int quality) {
  auto src = make_span_source(encoded);
  const media::ImageFormat in_format = media::sniff_image_format(*src);
  media::DecodeOptions decode;
  decode.apply_exif_orientation = false;  // the EXIF orientation travels with the metadata
  watermark::EmbedOptions embed;
  embed.strength = strength;
  const media::Image marked = watermark::embed(media::decode_image(*src, decode), payload, embed);
  MarkedImage out{media::encode_image(marked, out_format, quality), marked.width, marked.height};
  if (out_format == in_format && in_format == media::ImageFormat::Jpeg)
    out.bytes = detail::transplant_jpeg_metadata(encoded, std::move(out.bytes));
  else if (out_format == in_format && in_format == media::ImageFormat::Png)
    out.bytes = detail::transplant_png_metadata(encoded, std::move(out.bytes));
  return out;
}

namespace {

uint64_t random_id() {
  uint64_t id = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&id), sizeof id) != 1)
    throw Error(ErrorKind::Internal, "the random number generator failed");
  return id;
}

nlohmann::json soft_binding_assertion(const std::string& value) {
  return {{"label", "c2pa.soft-binding"},
          {"data",
           {{"alg", watermark::kAlgorithmName},
            {"blocks", nlohmann::json::array({{{"scope", nlohmann::json::object()}, {"value", value}}})}}}};
}


}  // namespace

WatermarkSignResult sign_with_watermark(c2pa::SignOptions options, const std::string& in, const std::string& out,
                                        bool in_place, const WatermarkSignOptions& watermark) {
  if (!in_place && same_file(in, out))
    throw Error(ErrorKind::Usage, out + ": the output is the input; use --in-place to replace it");
  auto input = open_file_source(in);
  const media::ImageFormat format = media::sniff_image_format(*input);
  if (format != media::ImageFormat::Jpeg && format != media::ImageFormat::Png)
    throw Error(ErrorKind::Unsupported, in + ": --watermark needs a JPEG or PNG image");
  const std::vector<uint8_t> original = media::read_encoded_image(*input);

  // The re-encoded copy has no manifest, so the signer cannot see the input's own credentials:
  // hand them over as the parent here, or refuse, as the options say.
  const formats::Detected detected = formats::detect(*input);
  if (!options.parent && !formats::find_c2pa(*input, detected.format).store.empty()) {
    if (options.existing == c2pa::ExistingCredentials::Refuse)
      throw Error(ErrorKind::Usage, in + ": already has Content Credentials; give --parent, or drop --refuse-signed");
    options.parent = in;
  }

  WatermarkSignResult result;
  result.watermark_id = watermark.watermark_id ? *watermark.watermark_id : random_id();
  result.soft_binding_value = soft_binding_value(result.watermark_id);
  nlohmann::json definition = options.manifest_definition.value_or(nlohmann::json::object());
  if (!definition.contains("assertions")) definition["assertions"] = nlohmann::json::array();
  definition["assertions"].push_back(soft_binding_assertion(result.soft_binding_value));
  options.manifest_definition = std::move(definition);
  options.actions.push_back({"c2pa.watermarked", nlohmann::json::object()});
  if (!options.title) options.title = std::filesystem::path(in).filename().string();

  c2pa::Signer signer(std::move(options));  // key problems surface before the pixel work
  const std::vector<uint8_t> marked =
      watermark_encoded_image(original, format, result.watermark_id, watermark.strength, watermark.jpeg_quality).bytes;
  const std::vector<uint8_t> signed_bytes =
      signer.sign_bytes(marked, std::filesystem::path(in).filename().string(), false, &result.sign);
  write_file_atomically(out, signed_bytes, in_place);
  result.sign.output_size = signed_bytes.size();
  return result;
}

}  // namespace veritrace::provenance
