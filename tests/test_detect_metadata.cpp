// The metadata detector: PNG text chunks (our parser), EXIF/XMP/IPTC (exiv2), JPEG tables.
#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <cstdlib>
#include <iostream>
#include <random>
#include <thread>
#include <atomic>

#include "detect/detectors/detectors.hpp"
#include "detect/detectors/metadata_jpeg.hpp"
#include "detect/png_text.hpp"
#include "support/test_images.hpp"
#include "support/test_support.hpp"
#include "veritrace/media.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <exiv2/exiv2.hpp>

namespace {

using namespace veritrace;
using namespace veritrace::detect;

// ---- building test files --------------------------------------------------------------------------

void put32(std::vector<uint8_t>& v, uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<uint8_t>(x >> s));
}

std::vector<uint8_t> chunk(const std::string& type, const std::vector<uint8_t>& data, bool bad_crc = false) {
  std::vector<uint8_t> c;
  put32(c, static_cast<uint32_t>(data.size()));
  c.insert(c.end(), type.begin(), type.end());
  c.insert(c.end(), data.begin(), data.end());
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, c.data() + 4, static_cast<uInt>(4 + data.size()));
  put32(c, static_cast<uint32_t>(crc) ^ (bad_crc ? 0x1234u : 0u));
  return c;
}

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

std::vector<uint8_t> zlib(const std::string& s) {
  uLongf n = compressBound(static_cast<uLong>(s.size()));
  std::vector<uint8_t> out(n);
  EXPECT_EQ(compress2(out.data(), &n, reinterpret_cast<const Bytef*>(s.data()), static_cast<uLong>(s.size()), 9), Z_OK);
  out.resize(n);
  return out;
}

// `zeros` zero bytes deflated without ever holding them all (a decompression bomb).
std::vector<uint8_t> zlib_zeros(size_t zeros) {
  z_stream zs{};
  EXPECT_EQ(deflateInit(&zs, 9), Z_OK);
  std::vector<uint8_t> in(1 << 20, 0), out;
  uint8_t buf[1 << 16];
  size_t left = zeros;
  while (true) {
    const size_t n = std::min(left, in.size());
    zs.next_in = in.data();
    zs.avail_in = static_cast<uInt>(n);
    left -= n;
    const int flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
    int rc;
    do {
      zs.next_out = buf;
      zs.avail_out = sizeof buf;
      rc = deflate(&zs, flush);
      out.insert(out.end(), buf, buf + (sizeof buf - zs.avail_out));
    } while (zs.avail_out == 0);
    if (flush == Z_FINISH && rc == Z_STREAM_END) break;
  }
  deflateEnd(&zs);
  return out;
}

std::vector<uint8_t> tEXt(const std::string& key, const std::string& text, bool bad_crc = false) {
  auto d = bytes_of(key);
  d.push_back(0);
  d.insert(d.end(), text.begin(), text.end());
  return chunk("tEXt", d, bad_crc);
}

std::vector<uint8_t> zTXt_raw(const std::string& key, const std::vector<uint8_t>& compressed) {
  auto d = bytes_of(key);
  d.push_back(0);
  d.push_back(0);  // method: zlib
  d.insert(d.end(), compressed.begin(), compressed.end());
  return chunk("zTXt", d);
}

std::vector<uint8_t> iTXt(const std::string& key, const std::string& text, bool compress) {
  auto d = bytes_of(key);
  d.push_back(0);
  d.push_back(compress ? 1 : 0);
  d.push_back(0);
  const std::string lang = "en";
  d.insert(d.end(), lang.begin(), lang.end());
  d.push_back(0);
  d.push_back(0);  // no translated keyword
  const auto body = compress ? zlib(text) : bytes_of(text);
  d.insert(d.end(), body.begin(), body.end());
  return chunk("iTXt", d);
}

media::Image test_image(int w = 96, int h = 64) { return vt_test::photo_like(w, h, 7); }

// A PNG with the given chunks inserted before IEND.
std::vector<uint8_t> png_with(const std::vector<std::vector<uint8_t>>& chunks) {
  auto png = media::encode_png(test_image());
  std::vector<uint8_t> out(png.begin(), png.end() - 12);
  for (const auto& c : chunks) out.insert(out.end(), c.begin(), c.end());
  out.insert(out.end(), png.end() - 12, png.end());
  return out;
}

// Metadata written into an image with exiv2 (in memory).
template <typename F>
std::vector<uint8_t> with_exiv2(const std::vector<uint8_t>& file, F&& edit) {
  Exiv2::XmpParser::initialize();
  auto image = Exiv2::ImageFactory::open(file.data(), static_cast<long>(file.size()));
  image->readMetadata();
  edit(*image);
  image->writeMetadata();
  Exiv2::BasicIo& io = image->io();
  io.seek(0, Exiv2::BasicIo::beg);
  Exiv2::DataBuf buf = io.read(static_cast<long>(io.size()));
  return std::vector<uint8_t>(buf.pData_, buf.pData_ + buf.size_);
}

DetectorResult run_on(const std::vector<uint8_t>& bytes, bool normalized = false) {
  static const auto detector = make_metadata_detector();
  Sample s;
  s.path = "test";
  s.bytes = bytes;
  media::Image img;
  try {
    auto src = make_span_source(bytes);
    s.format = media::sniff_image_format(*src);
    media::DecodeOptions o;
    o.apply_exif_orientation = false;
    img = media::decode_image(*src, o);
    s.image = &img;
  } catch (...) {
  }
  s.normalized = normalized;
  DetectorResult r = detector->run(s);
  (void)nlohmann::to_string(nlohmann::json(r.evidence.details));  // must serialise (valid UTF-8)
  return r;
}

const std::string kA1111 =
    "a photo of a lighthouse at dusk, dramatic sky\n"
    "Negative prompt: blurry, lowres\n"
    "Steps: 30, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 1234567, Size: 1024x1024, "
    "Model hash: 31e35c80fc, Model: sd_xl_base_1.0, Version: v1.9.4";

const std::string kComfyPromptSdxl = R"({"4":{"inputs":{"ckpt_name":"sd_xl_base_1.0.safetensors"},"class_type":"CheckpointLoaderSimple"},
 "6":{"inputs":{"text":"a cat","clip":["4",1]},"class_type":"CLIPTextEncode"},
 "3":{"inputs":{"seed":5,"steps":20,"model":["4",0]},"class_type":"KSampler"},
 "10":{"inputs":{"lora_name":"pixel_sd15_lora.safetensors"},"class_type":"LoraLoader"}})";

const std::string kComfyWorkflowFlux = R"({"last_node_id":9,"nodes":[
 {"id":1,"type":"UNETLoader","widgets_values":["flux1-dev.safetensors","default"]},
 {"id":2,"type":"DualCLIPLoader","widgets_values":["clip_l.safetensors","t5xxl_fp16.safetensors","flux"]},
 {"id":3,"type":"KSampler","widgets_values":[1,"fixed",20,1,"euler","simple",1]}]})";

// ---- PNG text chunks ------------------------------------------------------------------------------

TEST(PngText, ReadsTextZtxtAndItxt) {
  const auto png = png_with({tEXt("parameters", kA1111), zTXt_raw("prompt", zlib(kComfyPromptSdxl)),
                             iTXt("workflow", kComfyWorkflowFlux, true), iTXt("Title", "caf\xc3\xa9", false)});
  const auto r = png_text::parse(png);
  ASSERT_TRUE(r.is_png);
  ASSERT_EQ(r.chunks.size(), 4u);
  EXPECT_EQ(r.chunks[0].type, "tEXt");
  EXPECT_EQ(r.chunks[0].text, kA1111);
  EXPECT_EQ(r.chunks[1].type, "zTXt");
  EXPECT_TRUE(r.chunks[1].compressed);
  EXPECT_EQ(r.chunks[1].text, kComfyPromptSdxl);
  EXPECT_EQ(r.chunks[2].text, kComfyWorkflowFlux);
  EXPECT_EQ(r.chunks[2].language, "en");
  EXPECT_EQ(r.chunks[3].text, "caf\xc3\xa9");
  EXPECT_EQ(r.crc_mismatches, 0u);
  EXPECT_TRUE(r.saw_iend);
  EXPECT_EQ(r.width, 96u);
  EXPECT_EQ(r.height, 64u);
}

TEST(PngText, Latin1IsConvertedToUtf8) {
  const auto r = png_text::parse(png_with({tEXt("Comment", "caf\xe9")}));
  ASSERT_EQ(r.chunks.size(), 1u);
  EXPECT_EQ(r.chunks[0].text, "caf\xc3\xa9");
}

TEST(PngText, BadCrcIsNotedButRead) {
  const auto r = png_text::parse(png_with({tEXt("Software", "GIMP 2.10", /*bad_crc=*/true)}));
  ASSERT_EQ(r.chunks.size(), 1u);
  EXPECT_FALSE(r.chunks[0].crc_ok);
  EXPECT_EQ(r.crc_mismatches, 1u);
  ASSERT_FALSE(r.notes.empty());
  EXPECT_NE(r.notes[0].find("bad CRC"), std::string::npos);
  const auto d = run_on(png_with({tEXt("Software", "GIMP 2.10", true)}));
  EXPECT_EQ(d.status, Status::Applied);
  EXPECT_GT(d.score.value_or(0), 1.0);  // GIMP still counts
}

TEST(PngText, DecompressionBombIsRefusedWithANote) {
  const auto bomb = zlib_zeros(64u << 20);  // 64 MiB of zeros in ~64 KiB
  ASSERT_LT(bomb.size(), 200u << 10);
  const auto png = png_with({zTXt_raw("prompt", bomb), tEXt("Software", "test")});
  const auto r = png_text::parse(png);
  ASSERT_EQ(r.chunks.size(), 1u);  // the bomb is gone, the next chunk is read
  EXPECT_EQ(r.chunks[0].keyword, "Software");
  EXPECT_EQ(r.refused_chunks, 1u);
  EXPECT_EQ(r.inflated_total, 0u);
  bool noted = false;
  for (const auto& n : r.notes) noted = noted || n.find("decompression bomb") != std::string::npos;
  EXPECT_TRUE(noted);
  const auto d = run_on(png);
  EXPECT_EQ(d.status, Status::Applied);
  EXPECT_NE(d.evidence.details.dump().find("decompression bomb"), std::string::npos);
}

TEST(PngText, TotalInflateCapAcrossChunks) {
  const std::string six_mb(6u << 20, 'a');
  const auto z = zlib(six_mb);
  const auto r = png_text::parse(png_with({zTXt_raw("a", z), zTXt_raw("b", z), zTXt_raw("c", z)}));
  EXPECT_EQ(r.chunks.size(), 2u);  // 12 MiB kept, the third would pass 16 MiB
  EXPECT_EQ(r.refused_chunks, 1u);
  EXPECT_LE(r.inflated_total, 16u << 20);
}

TEST(PngText, TruncatedFilesNeverReadPastTheEnd) {
  const auto png = png_with({tEXt("parameters", kA1111), zTXt_raw("prompt", zlib(kComfyPromptSdxl))});
  const auto full = png_text::parse(png);
  ASSERT_EQ(full.chunks.size(), 2u);
  size_t truncated_seen = 0;
  for (size_t n = 0; n < png.size(); n += 7) {
    // An exact-size copy so ASan catches any read past the end.
    const std::vector<uint8_t> cut(png.begin(), png.begin() + static_cast<long>(n));
    const auto r = png_text::parse(cut);
    EXPECT_LE(r.chunks.size(), 2u);
    if (r.truncated) ++truncated_seen;
    (void)run_on(cut);
  }
  EXPECT_GT(truncated_seen, 10u);
  // Cut inside the zTXt: the tEXt before it is kept and the cut is noted.
  const size_t cut_at = png.size() - 12 - 10;
  const auto r = png_text::parse(std::vector<uint8_t>(png.begin(), png.begin() + static_cast<long>(cut_at)));
  EXPECT_TRUE(r.truncated);
  ASSERT_EQ(r.chunks.size(), 1u);
  EXPECT_EQ(r.chunks[0].keyword, "parameters");
  ASSERT_FALSE(r.notes.empty());
  EXPECT_NE(r.notes.back().find("truncated"), std::string::npos);
}

TEST(PngText, RandomMutationsDoNotCrash) {
  const auto png = png_with({tEXt("parameters", kA1111), zTXt_raw("prompt", zlib(kComfyPromptSdxl)),
                             iTXt("workflow", kComfyWorkflowFlux, true)});
  std::mt19937 rng(3);
  for (int i = 0; i < 300; ++i) {
    auto m = png;
    const int flips = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < flips; ++k) m[rng() % m.size()] = static_cast<uint8_t>(rng());
    const auto r = png_text::parse(m);
    for (const auto& c : r.chunks) EXPECT_LE(c.text.size(), 16u << 20);
  }
}

// ---- generator traces in PNG text -----------------------------------------------------------------

TEST(MetadataDetector, A1111ParametersNameStableDiffusionXl) {
  const auto d = run_on(png_with({tEXt("parameters", kA1111)}));
  ASSERT_EQ(d.status, Status::Applied);
  EXPECT_EQ(d.decision, Decision::Synthetic);
  EXPECT_EQ(d.points_to, Finding::Synthetic);
  ASSERT_TRUE(d.generator);
  EXPECT_EQ(*d.generator, "sdxl");
  EXPECT_NE(d.evidence.summary.find("'parameters'"), std::string::npos) << d.evidence.summary;
  EXPECT_NE(d.evidence.summary.find("Stable Diffusion web UI"), std::string::npos) << d.evidence.summary;
  EXPECT_NE(d.evidence.summary.find("model 'sd_xl_base_1.0'"), std::string::npos) << d.evidence.summary;
  EXPECT_NE(d.evidence.summary.find("30 steps"), std::string::npos) << d.evidence.summary;
  EXPECT_GE(d.score.value_or(0), 10.0);
  const auto& g = d.evidence.details["generator_traces"][0];
  EXPECT_EQ(g["extra"]["sampler"], "DPM++ 2M");
}

TEST(MetadataDetector, A1111Sd15AndInpainting) {
  std::string p = kA1111;
  p.replace(p.find("sd_xl_base_1.0"), 14, "realisticVisionV51");
  auto d = run_on(png_with({tEXt("parameters", p)}));
  ASSERT_TRUE(d.generator);
  EXPECT_EQ(*d.generator, "stable-diffusion");
  EXPECT_EQ(d.decision, Decision::Synthetic);
  // Inpainting (A1111 writes "Mask blur") regenerates part of a picture: manipulated.
  d = run_on(png_with({tEXt("parameters", p + ", Denoising strength: 0.75, Mask blur: 4")}));
  EXPECT_EQ(d.decision, Decision::Manipulated);
  EXPECT_EQ(d.points_to, Finding::Manipulated);
}

TEST(MetadataDetector, ComfyUiPromptInZtxtNamesSdxl) {
  const auto d = run_on(png_with({zTXt_raw("prompt", zlib(kComfyPromptSdxl))}));
  ASSERT_EQ(d.status, Status::Applied);
  EXPECT_EQ(d.decision, Decision::Synthetic);
  ASSERT_TRUE(d.generator);
  EXPECT_EQ(*d.generator, "sdxl");  // the checkpoint, not the SD1.5 LoRA
  EXPECT_NE(d.evidence.summary.find("ComfyUI"), std::string::npos) << d.evidence.summary;
  EXPECT_NE(d.evidence.summary.find("sd_xl_base_1.0.safetensors"), std::string::npos) << d.evidence.summary;
}

TEST(MetadataDetector, ComfyUiInItxtCompressedAndPlain) {
  auto d = run_on(png_with({iTXt("prompt", kComfyPromptSdxl, /*compress=*/false)}));
  ASSERT_TRUE(d.generator);
  EXPECT_EQ(*d.generator, "sdxl");
  d = run_on(png_with({iTXt("workflow", kComfyWorkflowFlux, /*compress=*/true)}));
  ASSERT_TRUE(d.generator);
  EXPECT_EQ(*d.generator, "flux");
  // A graph without a checkpoint name: ComfyUI, family stable-diffusion.
  d = run_on(png_with({tEXt("prompt", R"({"3":{"inputs":{"seed":1},"class_type":"KSampler"}})")}));
  ASSERT_TRUE(d.generator);
  EXPECT_EQ(*d.generator, "stable-diffusion");
}

TEST(MetadataDetector, OtherFrontEnds) {
  auto d = run_on(png_with({tEXt("invokeai_metadata",
                                 R"({"positive_prompt":"x","steps":25,"model":{"name":"juggernaut","base":"sdxl"}})")}));
  ASSERT_TRUE(d.generator);
  EXPECT_EQ(*d.generator, "sdxl");
  EXPECT_NE(d.evidence.summary.find("InvokeAI"), std::string::npos);
  d = run_on(png_with({tEXt("Software", "NovelAI"), tEXt("Source", "NovelAI Diffusion V4.5 4BDE2A90"),
                       tEXt("Comment", R"({"prompt":"x","steps":28,"sampler":"k_euler"})")}));
  ASSERT_TRUE(d.generator);
  EXPECT_EQ(*d.generator, "novelai");
  EXPECT_NE(d.evidence.summary.find("28 steps"), std::string::npos) << d.evidence.summary;
  d = run_on(png_with({tEXt("parameters", R"({"Prompt":"x","Base Model":"juggernautXL_v8.safetensors","Version":"Fooocus v2.5.0"})")}));
  ASSERT_TRUE(d.generator);
  EXPECT_EQ(*d.generator, "sdxl");
  EXPECT_NE(d.evidence.summary.find("Fooocus"), std::string::npos);
  d = run_on(png_with({iTXt("Description", "a castle --ar 16:9 --v 6.1 Job ID: 0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b", false)}));
  ASSERT_TRUE(d.generator);
  EXPECT_EQ(*d.generator, "midjourney");
}

TEST(MetadataDetector, FreeTextDoesNotMakeAGeneratorClaim) {
  // A caption that mentions a generator, a plain-text "prompt", a broken graph: no claim.
  const auto d = run_on(png_with({tEXt("Description", "Photo for our story on Midjourney and Stable Diffusion"),
                                  tEXt("prompt", "a plain sentence, not a graph"),
                                  tEXt("parameters", "Steps: many, Sampler: none")}));
  EXPECT_EQ(d.decision, Decision::None);
  EXPECT_FALSE(d.generator);
}

// ---- EXIF / XMP through exiv2 ---------------------------------------------------------------------

TEST(MetadataDetector, ExifSoftwarePhotoshopIsAnEditingTrace) {
  const auto jpg = media::encode_jpeg(test_image(), 90);
  const auto file = with_exiv2(jpg, [](Exiv2::Image& im) { im.exifData()["Exif.Image.Software"] = "Adobe Photoshop 25.0 (Windows)"; });
  const auto d = run_on(file);
  ASSERT_EQ(d.status, Status::Applied);
  EXPECT_EQ(d.decision, Decision::None);
  EXPECT_FALSE(d.generator);
  EXPECT_EQ(d.points_to, Finding::Manipulated);
  EXPECT_GE(d.score.value_or(0), 1.0);
  EXPECT_LT(d.score.value_or(0), 10.0);
  EXPECT_NE(d.evidence.summary.find("Photoshop"), std::string::npos) << d.evidence.summary;
  EXPECT_NE(d.evidence.summary.find("EXIF Software"), std::string::npos) << d.evidence.summary;
  EXPECT_EQ(d.evidence.details["edit_traces"][0]["tool"], "Adobe Photoshop");
}

TEST(MetadataDetector, XmpDigitalSourceType) {
  const auto jpg = media::encode_jpeg(test_image(), 90);
  const std::string base = "http://cv.iptc.org/newscodes/digitalsourcetype/";
  auto d = run_on(with_exiv2(jpg, [&](Exiv2::Image& im) {
    im.xmpData()["Xmp.iptcExt.DigitalSourceType"] = base + "trainedAlgorithmicMedia";
  }));
  EXPECT_EQ(d.decision, Decision::Synthetic);
  EXPECT_FALSE(d.generator);  // the type says AI, not which model
  EXPECT_NE(d.evidence.summary.find("trainedAlgorithmicMedia"), std::string::npos) << d.evidence.summary;
  d = run_on(with_exiv2(jpg, [&](Exiv2::Image& im) {
    im.xmpData()["Xmp.iptcExt.DigitalSourceType"] = base + "trainedAlgorithmicMedia";
    im.xmpData()["Xmp.xmp.CreatorTool"] = "Adobe Firefly";
  }));
  EXPECT_EQ(d.decision, Decision::Synthetic);
  ASSERT_TRUE(d.generator);
  EXPECT_EQ(*d.generator, "firefly");
  d = run_on(with_exiv2(jpg, [&](Exiv2::Image& im) {
    im.xmpData()["Xmp.iptcExt.DigitalSourceType"] = base + "compositeWithTrainedAlgorithmicMedia";
    im.xmpData()["Xmp.xmp.CreatorTool"] = "Adobe Photoshop 25.0 (Windows)";
  }));
  EXPECT_EQ(d.decision, Decision::Manipulated);
  EXPECT_EQ(d.points_to, Finding::Manipulated);
  d = run_on(with_exiv2(jpg, [&](Exiv2::Image& im) {
    im.xmpData()["Xmp.iptcExt.DigitalSourceType"] = base + "digitalCapture";
    im.exifData()["Exif.Image.Make"] = "Canon";
  }));
  EXPECT_EQ(d.decision, Decision::None);
  EXPECT_EQ(d.score.value_or(-1), 0.0);
}

TEST(MetadataDetector, GeneratorNamesOnlyInToolFields) {
  const auto jpg = media::encode_jpeg(test_image(), 90);
  auto d = run_on(with_exiv2(jpg, [](Exiv2::Image& im) { im.exifData()["Exif.Image.Software"] = "Midjourney"; }));
  ASSERT_TRUE(d.generator);
  EXPECT_EQ(*d.generator, "midjourney");
  d = run_on(with_exiv2(jpg, [](Exiv2::Image& im) {
    im.exifData()["Exif.Image.ImageDescription"] = "Illustration in the style of Midjourney art";
  }));
  EXPECT_FALSE(d.generator);
  EXPECT_EQ(d.decision, Decision::None);
  // A1111 writes its parameters into the JPEG's EXIF UserComment.
  d = run_on(with_exiv2(jpg, [](Exiv2::Image& im) { im.exifData()["Exif.Photo.UserComment"] = "charset=Unicode " + kA1111; }));
  ASSERT_TRUE(d.generator);
  EXPECT_EQ(*d.generator, "sdxl");
}

TEST(MetadataDetector, CameraConsistencyAndDates) {
  const auto jpg = media::encode_jpeg(test_image(96, 64), 90);
  const auto d = run_on(with_exiv2(jpg, [](Exiv2::Image& im) {
    im.exifData()["Exif.Image.Make"] = "NIKON CORPORATION";
    im.exifData()["Exif.Image.Model"] = "NIKON D750";
    im.exifData()["Exif.Photo.PixelXDimension"] = uint32_t{6016};
    im.exifData()["Exif.Photo.PixelYDimension"] = uint32_t{4016};
    im.exifData()["Exif.Image.DateTime"] = "2024:05:03 10:00:00";
    im.exifData()["Exif.Photo.DateTimeOriginal"] = "2024:05:01 10:00:00";
  }));
  ASSERT_EQ(d.status, Status::Applied);
  EXPECT_EQ(d.decision, Decision::None);
  EXPECT_NEAR(d.score.value_or(0), 1.0, 1e-9);  // 0.5 dimensions + 0.5 dates
  EXPECT_NE(d.evidence.summary.find("6016x4016"), std::string::npos) << d.evidence.summary;
  bool gap = false;
  for (const auto& [k, v] : d.evidence.numbers)
    if (k == "exif_modified_minus_original_s") gap = v == 2 * 86400.0;
  EXPECT_TRUE(gap);
  // The same camera fields with consistent values: nothing suspicious.
  const auto ok = run_on(with_exiv2(jpg, [](Exiv2::Image& im) {
    im.exifData()["Exif.Image.Make"] = "NIKON CORPORATION";
    im.exifData()["Exif.Photo.PixelXDimension"] = uint32_t{96};
    im.exifData()["Exif.Photo.PixelYDimension"] = uint32_t{64};
  }));
  EXPECT_EQ(ok.score.value_or(-1), 0.0);
}

TEST(MetadataDetector, ThumbnailAspect) {
  const auto jpg = media::encode_jpeg(test_image(96, 64), 90);  // 3:2
  auto with_thumb = [&](const media::Image& thumb) {
    const auto t = media::encode_jpeg(thumb, 90);
    return run_on(with_exiv2(jpg, [&](Exiv2::Image& im) {
      im.exifData()["Exif.Image.Make"] = "Canon";
      Exiv2::ExifThumb th(im.exifData());
      th.setJpegThumbnail(t.data(), static_cast<long>(t.size()));
    }));
  };
  // A square thumbnail of a 3:2 picture: cropped after the camera.
  auto d = with_thumb(vt_test::photo_like(120, 120, 5));
  EXPECT_NEAR(d.score.value_or(0), 0.5, 1e-9);
  EXPECT_NE(d.evidence.summary.find("thumbnail"), std::string::npos) << d.evidence.summary;
  // A 160x120 thumbnail holding the 3:2 picture between black bars (what cameras do): consistent.
  media::Image boxed = vt_test::photo_like(160, 120, 5);
  for (int y = 0; y < 120; ++y)
    if (y < 7 || y >= 113) std::fill(boxed.row(y), boxed.row(y) + 160 * 3, uint8_t{0});
  d = with_thumb(boxed);
  EXPECT_EQ(d.score.value_or(-1), 0.0) << d.evidence.summary;
}

TEST(MetadataDetector, ParallelRunsAreSafe) {
  const auto jpg = with_exiv2(media::encode_jpeg(test_image(), 90), [](Exiv2::Image& im) {
    im.xmpData()["Xmp.xmp.CreatorTool"] = "Adobe Photoshop 25.0 (Windows)";
    im.xmpData()["Xmp.iptcExt.DigitalSourceType"] = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";
  });
  const auto png = png_with({tEXt("parameters", kA1111)});
  std::vector<std::thread> threads;
  std::atomic<int> synthetic{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i)
        if (run_on((i + t) % 2 ? jpg : png).decision == Decision::Synthetic) ++synthetic;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(synthetic.load(), 100);
}

// ---- JPEG tables ----------------------------------------------------------------------------------

TEST(MetadataJpeg, StandardIjgTablesGiveTheirQuality) {
  for (int q : {50, 75, 90, 95}) {
    const auto jpg = media::encode_jpeg(test_image(), q);
    const auto info = detect::metadata::read_quant_tables(jpg);
    ASSERT_TRUE(info.ok) << info.error;
    EXPECT_EQ(info.ijg_quality, q);
    EXPECT_EQ(info.closest_quality, q);
    EXPECT_EQ(info.tables.size(), 2u);
    EXPECT_EQ(info.subsampling, "4:2:0");
    EXPECT_EQ(info.family, "libjpeg (IJG) quality " + std::to_string(q));
  }
}

TEST(MetadataJpeg, AlteredTableIsNonStandard) {
  auto jpg = media::encode_jpeg(test_image(), 75);
  // Find the first DQT and bump one coefficient.
  for (size_t i = 2; i + 5 < jpg.size(); ++i)
    if (jpg[i] == 0xFF && jpg[i + 1] == 0xDB) {
      jpg[i + 5 + 10] = static_cast<uint8_t>(jpg[i + 5 + 10] + 3);
      break;
    }
  const auto info = detect::metadata::read_quant_tables(jpg);
  ASSERT_TRUE(info.ok);
  EXPECT_EQ(info.ijg_quality, -1);
  EXPECT_EQ(info.closest_quality, 75);
  EXPECT_GT(info.mean_abs_diff, 0.0);
  EXPECT_LT(info.mean_abs_diff, 0.1);
  const auto d = run_on(jpg);  // no metadata but odd tables: applied with a small score
  EXPECT_EQ(d.status, Status::Applied);
  EXPECT_GT(d.score.value_or(0), 0.0);
  EXPECT_LE(d.score.value_or(1), 0.25);
}

TEST(MetadataJpeg, GarbageNeverExits) {
  std::vector<uint8_t> junk = {0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x43, 0x00, 1, 2, 3};
  const auto info = detect::metadata::read_quant_tables(junk);
  EXPECT_FALSE(info.ok);
  EXPECT_FALSE(info.error.empty());
}

TEST(MetadataJpeg, PhotoshopTablesInSharedFiles) {
  VT_REQUIRE_SHARED(shared);
  const auto file = shared / "data/images/splicing_dev/tampered/Sp_D_CRN_A_nat0033_obj0059_0385.jpg";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "file absent";
  const auto info = detect::metadata::read_quant_tables(vt_test::read_file(file));
  ASSERT_TRUE(info.ok);
  EXPECT_EQ(info.ijg_quality, -1);
  EXPECT_EQ(info.fingerprint, "3a9b080ed30457b8");
  EXPECT_EQ(info.family, "Adobe Photoshop / Lightroom");
  const auto d = run_on(vt_test::read_file(file));
  EXPECT_NEAR(d.evidence.details["score_parts"]["quantization"].get<double>(), 0.25, 1e-9);
}

// ---- applicability --------------------------------------------------------------------------------

TEST(MetadataDetector, CleanJpegAndNormalisedFiles) {
  const auto jpg = media::encode_jpeg(test_image(), 85);
  auto d = run_on(jpg);
  EXPECT_EQ(d.status, Status::NotApplicable);
  EXPECT_EQ(d.reason, "no metadata");
  d = run_on(media::encode_png(test_image()));
  EXPECT_EQ(d.status, Status::NotApplicable);
  d = run_on(png_with({tEXt("parameters", kA1111)}), /*normalized=*/true);
  EXPECT_EQ(d.status, Status::NotApplicable);
  EXPECT_EQ(d.reason, "metadata stripped for normalised evaluation");
  d = run_on({});
  EXPECT_EQ(d.status, Status::NotApplicable);
}

// ---- speed ----------------------------------------------------------------------------------------

TEST(MetadataDetector, SpeedOn1024x768) {
  const auto img = vt_test::photo_like(1024, 768, 11);
  const auto jpg = with_exiv2(media::encode_jpeg(img, 90), [](Exiv2::Image& im) {
    im.exifData()["Exif.Image.Make"] = "Canon";
    im.exifData()["Exif.Image.Model"] = "Canon EOS 5D";
    im.exifData()["Exif.Image.Software"] = "Adobe Photoshop 25.0 (Windows)";
    im.exifData()["Exif.Photo.DateTimeOriginal"] = "2024:05:01 10:00:00";
    im.xmpData()["Xmp.xmp.CreatorTool"] = "Adobe Photoshop 25.0 (Windows)";
  });
  const auto png = png_with({tEXt("parameters", kA1111), zTXt_raw("prompt", zlib(kComfyPromptSdxl))});
  const auto detector = make_metadata_detector();
  for (const auto* file : {&jpg, &png}) {
    Sample s;
    s.bytes = *file;
    const auto decoded = media::decode_image(*make_span_source(*file));
    s.image = &decoded;
    (void)detector->run(s);
    const auto t0 = std::chrono::steady_clock::now();
    const int n = 20;
    for (int i = 0; i < n; ++i) EXPECT_EQ(detector->run(s).status, Status::Applied);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / n;
    std::cout << (file == &jpg ? "1024x768 JPEG with EXIF/XMP" : "PNG with text chunks") << ": " << ms
              << " ms per file (detector only)\n";
    EXPECT_LT(ms, 200.0);  // budget 40 ms in release; loose here for sanitiser builds
  }
}

// ---- the shared data: no false generator claims ---------------------------------------------------

TEST(MetadataDetector, SharedDataGeneratorClaims) {
  VT_REQUIRE_SHARED(shared);
  const auto root = shared / "data";
  std::map<std::string, std::map<std::string, int>> claims;  // set -> generator -> count
  std::map<std::string, int> files, applied, edits;
  for (const auto& sub : {"images/photos", "images/gan_dev", "images/splicing_dev", "images/diffusion_dev", "c2pa"}) {
    if (!std::filesystem::exists(root / sub)) continue;
    std::vector<std::filesystem::path> paths;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root / sub)) {
      const auto ext = e.path().extension().string();
      if (e.path().string().find("/masks/") != std::string::npos) continue;
      if (e.is_regular_file() && (ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".webp" || ext == ".JPG"))
        paths.push_back(e.path());
    }
    std::sort(paths.begin(), paths.end());
    for (const auto& p : paths) {
      const auto bytes = vt_test::read_file(p);
      const auto d = run_on(bytes);
      ++files[sub];
      if (d.status == Status::Applied) ++applied[sub];
      if (d.score.value_or(0) > 0 && d.decision == Decision::None) ++edits[sub];
      if (std::getenv("VT_METADATA_VERBOSE") && d.status == Status::Applied)
        std::cout << "  [" << d.score.value_or(-1) << "] " << p.lexically_relative(root).string() << ": "
                  << d.evidence.summary << "\n";
      if (d.decision != Decision::None) {
        ++claims[sub][d.generator.value_or("(unnamed)") + (d.decision == Decision::Manipulated ? " [manipulated]" : "")];
        std::cout << "  " << p.lexically_relative(root).string() << ": " << d.evidence.summary << "\n";
      }
    }
  }
  for (const auto& [set, n] : files) {
    std::cout << set << ": " << n << " files, " << applied[set] << " with metadata, " << edits[set]
              << " with editing traces; generator claims:";
    for (const auto& [g, c] : claims[set]) std::cout << " " << g << "=" << c;
    std::cout << "\n";
  }
  // Real photos, GAN-set JPEGs and CASIA files carry no generator metadata: any claim is a bug.
  EXPECT_TRUE(claims["images/photos"].empty());
  EXPECT_TRUE(claims["images/gan_dev"].empty());
  EXPECT_TRUE(claims["images/splicing_dev"].empty());
}

}  // namespace

#pragma GCC diagnostic pop
