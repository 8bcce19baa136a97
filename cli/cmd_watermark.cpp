// `veritrace watermark embed IN -o OUT --payload HEX` and `veritrace watermark detect FILE...`.
#include <unistd.h>

#include <filesystem>
#include <fmt/format.h>
#include <iostream>
#include <new>

#include "commands.hpp"
#include "core/atomic_file.hpp"
#include "formats/formats.hpp"
#include "veritrace/provenance.hpp"
#include "veritrace/media.hpp"
#include "veritrace/report.hpp"
#include "veritrace/watermark.hpp"

namespace veritrace::cli {

namespace {

constexpr const char* kSchema = "veritrace.watermark/1";

struct EmbedArgs {
  std::string in;
  std::string out;
  std::string payload;
  double strength = 1.0;
  int quality = 95;
  bool in_place = false;
  bool json = false;
};

struct DetectArgs {
  std::vector<std::string> files;
  bool json = false;
  bool no_known = false;
  bool known_crops = false;
};

uint64_t parse_payload(const std::string& text) {
  std::string hex = text;
  if (hex.rfind("0x", 0) == 0 || hex.rfind("0X", 0) == 0) hex = hex.substr(2);
  if (hex.empty() || hex.size() > 16)
    throw Error(ErrorKind::Usage, "--payload must be 1 to 16 hexadecimal digits (64 bits), got '" + text + "'");
  uint64_t v = 0;
  for (char c : hex) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else throw Error(ErrorKind::Usage, "--payload must be hexadecimal, got '" + text + "'");
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return v;
}

// The output format follows OUT's extension; an unknown extension keeps the input's format.
media::ImageFormat output_format(const std::string& out, media::ImageFormat input) {
  std::string ext = std::filesystem::path(out).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".jpg" || ext == ".jpeg") return media::ImageFormat::Jpeg;
  if (ext == ".png") return media::ImageFormat::Png;
  if (ext == ".webp") return media::ImageFormat::WebP;
  return input;
}

const char* format_name(media::ImageFormat f) {
  switch (f) {
    case media::ImageFormat::Jpeg: return "jpeg";
    case media::ImageFormat::Png: return "png";
    case media::ImageFormat::WebP: return "webp";
    case media::ImageFormat::Unknown: break;
  }
  return "unknown";
}

int run_embed(const EmbedArgs& args) {
  try {
    const uint64_t payload = parse_payload(args.payload);
    if (args.quality < 1 || args.quality > 100) throw Error(ErrorKind::Usage, "--quality must be in 1..100");
    if (!args.in_place && same_file(args.in, args.out))
      throw Error(ErrorKind::Usage, args.out + ": the output is the input; use --in-place to replace it");
    auto src = open_file_source(args.in);
    const media::ImageFormat in_format = media::sniff_image_format(*src);
    const std::vector<uint8_t> original = media::read_encoded_image(*src);
    const media::ImageFormat out_format = output_format(args.out, in_format);
    const provenance::MarkedImage marked =
        provenance::watermark_encoded_image(original, out_format, payload, args.strength, args.quality);
    const std::vector<uint8_t>& encoded = marked.bytes;
    write_file_atomically(args.out, encoded, args.in_place);

    const bool had_credentials = !formats::find_c2pa(*src, formats::detect(*src).format).store.empty();
    if (had_credentials)
      std::cerr << "veritrace: note: " << args.in
                << " had Content Credentials; they are not carried over (the pixels changed). "
                   "Use `veritrace c2pa sign --watermark` to sign the marked image.\n";
    const std::string hex = provenance::soft_binding_value(payload);
    if (args.json) {
      nlohmann::json r = {{"schema_version", kSchema}, {"path", args.in},      {"output", args.out},
                          {"format", format_name(out_format)}, {"payload", hex}, {"width", marked.width},
                          {"height", marked.height}};
      std::cout << r.dump(2) << "\n";
    } else {
      std::cout << fmt::format("{}: embedded payload {} ({}x{}, {})\n", args.out, hex, marked.width, marked.height,
                               format_name(out_format));
    }
    return static_cast<int>(ExitCode::Ok);
  } catch (const Error& e) {
    std::cerr << "veritrace: " << e.what() << "\n";
    return static_cast<int>(exit_code_for(e.kind()));
  } catch (const std::bad_alloc&) {
    std::cerr << "veritrace: out of memory\n";
    return static_cast<int>(ExitCode::Internal);
  }
}

nlohmann::json known_marks_json(const std::vector<watermark::KnownMark>& marks) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& k : marks)
    list.push_back({{"name", k.name},
                    {"variant", k.variant},
                    {"detected", k.detected},
                    {"bit_accuracy", k.bit_accuracy},
                    {"p_value", k.p_value}});
  return list;
}

nlohmann::json detect_one(const std::string& path, bool known, bool known_crops) {
  const media::Image image = media::decode_image_file(path);
  const watermark::Detection d = watermark::detect(image);
  nlohmann::json r = {{"schema_version", kSchema}, {"path", path},         {"format", image.source_format},
                      {"width", image.width},      {"height", image.height}, {"found", d.found},
                      {"payload", nullptr},        {"p_value", d.p_value}};
  if (d.found && d.payload) {
    r["payload"] = provenance::soft_binding_value(*d.payload);
    r["geometry"] = {{"scale", d.scale}, {"rotation_degrees", d.rotation_degrees}};
    r["bit_confidence"] = d.bit_confidence;
  }
  r["known_marks"] = known ? known_marks_json(watermark::detect_known_marks(image, {.search_crops = known_crops})) : nlohmann::json::array();
  return r;
}

std::string detect_text(const nlohmann::json& r) {
  std::string s = r["path"].get<std::string>() + ": ";
  if (r["found"].get<bool>()) {
    s += fmt::format("Veritrace watermark found, payload {} (p = {:.1e}; scale {:.2f}, rotation {:.1f} deg)\n",
                     r["payload"].get<std::string>(), r["p_value"].get<double>(),
                     r["geometry"]["scale"].get<double>(), r["geometry"]["rotation_degrees"].get<double>());
  } else {
    s += "no Veritrace watermark\n";
  }
  std::vector<std::string> detected, scores;
  for (const auto& k : r["known_marks"]) {
    if (k["detected"].get<bool>())
      detected.push_back(fmt::format("{} (bit accuracy {:.2f}, p = {:.1e}, {})", k["name"].get<std::string>(),
                                     k["bit_accuracy"].get<double>(), k["p_value"].get<double>(),
                                     k["variant"].get<std::string>()));
    else
      scores.push_back(fmt::format("{} {:.2f}", k["name"].get<std::string>(), k["bit_accuracy"].get<double>()));
  }
  if (!detected.empty()) {
    s += "  generator watermark detected:";
    for (const auto& d : detected) s += " " + d;
    s += "\n";
  } else if (!scores.empty()) {
    std::string joined;
    for (const auto& x : scores) joined += (joined.empty() ? "" : ", ") + x;
    s += "  no known generator watermark (bit agreement: " + joined + ")\n";
  }
  return s;
}

int run_detect(const DetectArgs& args) {
  BatchOutput output{args.json, kSchema, detect_text};
  return run_batch(args.files, output, [&](const std::string& file, int& code) {
    code = static_cast<int>(ExitCode::Ok);  // finding no mark is an answer, not a failure
    return detect_one(file, !args.no_known, args.known_crops);
  });
}

}  // namespace

void add_watermark_commands(CLI::App& app, Action& run) {
  CLI::App* wm = app.add_subcommand("watermark", "Invisible watermarks: embed ours, detect ours and generators' marks");
  wm->require_subcommand(1);

  auto e = std::make_shared<EmbedArgs>();
  CLI::App* embed = wm->add_subcommand("embed", "Embed a Veritrace watermark carrying a 64-bit payload");
  embed->add_option("IN", e->in, "JPEG, PNG or WebP image")->required();
  embed->add_option("-o,--output", e->out, "Output image; its extension (.jpg, .png, .webp) picks the format")->required();
  embed->add_option("--payload", e->payload, "64-bit payload, 1 to 16 hex digits")->required();
  embed->add_option("--strength", e->strength, "Watermark strength (1 = default imperceptibility target, 0 < S <= 4)");
  embed->add_option("--quality", e->quality, "JPEG/WebP output quality (default 95)");
  embed->add_flag("--in-place", e->in_place, "Allow OUT to be IN (replaced atomically)");
  embed->add_flag("--json", e->json, "JSON output");
  embed->callback([e, &run] { run = [e] { return run_embed(*e); }; });

  auto d = std::make_shared<DetectArgs>();
  CLI::App* detect = wm->add_subcommand("detect", "Look for a Veritrace watermark and known generator watermarks");
  detect->add_option("FILE", d->files, "JPEG, PNG or WebP images")->required();
  detect->add_flag("--json", d->json, "JSON output (one object, or an array for several files)");
  detect->add_flag("--no-known", d->no_known, "Skip the known generator marks (sd1, sd2, sdxl, flux)");
  detect->add_flag("--known-crops", d->known_crops,
                   "Also look for the known marks in crops that moved their 8-pixel grid (SD1, SDXL, FLUX.1; a few times slower)");
  detect->callback([d, &run] { run = [d] { return run_detect(*d); }; });
}

}  // namespace veritrace::cli
