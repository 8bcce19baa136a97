// The `metadata` detector: what a file says about itself (docs/detection-metadata.md).
//
// Sources: EXIF / XMP / IPTC through exiv2 (files up to 64 MB), PNG text chunks through our own
// parser (png_text.cpp), and the JPEG quantisation tables through libjpeg. Rules
// (metadata_rules.cpp) turn fields into generator traces (decisive: Decision::Synthetic, or
// Manipulated for AI edits of a real picture) and editing traces (moderate raw score). Camera
// consistency and the quantisation fingerprint are weak evidence with small weights.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "detect/detectors/detectors.hpp"
#include "detect/detectors/metadata_exiv2.hpp"
#include "detect/detectors/metadata_jpeg.hpp"
#include "detect/detectors/metadata_rules.hpp"
#include "detect/image_util.hpp"
#include "detect/png_text.hpp"

namespace veritrace::detect {
namespace {

using metadata::EditTrace;
using metadata::Field;
using metadata::FieldKind;
using metadata::GeneratorTrace;

constexpr double kGeneratorScore = 10.0;

std::string lower_first(std::string s) {
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}
std::string strip_period(std::string s) {
  while (!s.empty() && (s.back() == '.' || s.back() == ' ')) s.pop_back();
  return s;
}
// Two sentences as one: "A; b."
std::string join_sentences(const std::vector<std::string>& parts, size_t max_parts) {
  std::string out;
  for (size_t i = 0; i < parts.size() && i < max_parts; ++i) {
    if (parts[i].empty()) continue;
    out += out.empty() ? strip_period(parts[i]) : "; " + lower_first(strip_period(parts[i]));
  }
  return out.empty() ? out : out + ".";
}

const Field* find_field(const std::vector<Field>& fields, std::string_view key) {
  for (const auto& f : fields)
    if (f.key == key) return &f;
  return nullptr;
}

std::string value_of(const std::vector<Field>& fields, std::string_view key) {
  const Field* f = find_field(fields, key);
  return f ? f->value : std::string();
}

// "YYYY:MM:DD HH:MM:SS" -> seconds since 1970 (no time zone); nullopt when malformed.
std::optional<double> exif_time(const std::string& s) {
  int Y, M, D, h, m, sec;
  if (s.size() < 19 || std::sscanf(s.c_str(), "%4d:%2d:%2d %2d:%2d:%2d", &Y, &M, &D, &h, &m, &sec) != 6) return std::nullopt;
  if (Y < 1900 || Y > 2200 || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60) return std::nullopt;
  // Days from civil (proleptic Gregorian).
  const int y = Y - (M <= 2 ? 1 : 0);
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (M + (M > 2 ? -3 : 9)) + 2) / 5 + D - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const double days = era * 146097.0 + doe - 719468.0;
  return days * 86400.0 + h * 3600.0 + m * 60.0 + sec;
}

std::string duration_words(double s) {
  s = std::fabs(s);
  char buf[64];
  if (s < 120) std::snprintf(buf, sizeof buf, "%.0f seconds", s);
  else if (s < 7200) std::snprintf(buf, sizeof buf, "%.0f minutes", s / 60);
  else if (s < 2 * 86400) std::snprintf(buf, sizeof buf, "%.0f hours", s / 3600);
  else std::snprintf(buf, sizeof buf, "%.0f days", s / 86400);
  return buf;
}

std::string fmt(double v, int digits = 2) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// Aspect ratio (width / height) of a thumbnail's content, black letterbox bars trimmed.
std::optional<double> thumbnail_content_aspect(const std::vector<uint8_t>& jpeg, int& w_out, int& h_out) {
  media::Image t;
  try {
    auto src = make_span_source(jpeg, "thumbnail");
    media::DecodeOptions o;
    o.max_pixels = 1u << 20;
    o.apply_exif_orientation = false;
    o.force_rgb = true;
    t = media::decode_image(*src, o);
  } catch (...) {
    return std::nullopt;
  }
  if (t.width < 16 || t.height < 16) return std::nullopt;
  auto dark_row = [&](int y) {
    const uint8_t* r = t.row(y);
    for (int i = 0; i < t.width * 3; ++i)
      if (r[i] > 24) return false;
    return true;
  };
  auto dark_col = [&](int x, int y0, int y1) {
    for (int y = y0; y < y1; ++y)
      for (int c = 0; c < 3; ++c)
        if (t.row(y)[x * 3 + c] > 24) return false;
    return true;
  };
  int y0 = 0, y1 = t.height, x0 = 0, x1 = t.width;
  while (y0 < y1 && dark_row(y0)) ++y0;
  while (y1 > y0 && dark_row(y1 - 1)) --y1;
  while (x0 < x1 && dark_col(x0, y0, y1)) ++x0;
  while (x1 > x0 && dark_col(x1 - 1, y0, y1)) --x1;
  w_out = x1 - x0;
  h_out = y1 - y0;
  if (w_out < 16 || h_out < 16) return std::nullopt;  // (almost) all black: no content to compare
  return static_cast<double>(w_out) / h_out;
}

class MetadataDetector final : public Detector {
 public:
  std::string name() const override { return "metadata"; }
  std::string version() const override { return "1"; }
  bool applies_to(MediaType t) const override { return t == MediaType::Image; }
  DetectorResult run(const Sample& sample) const override;
};

DetectorResult MetadataDetector::run(const Sample& sample) const {
  if (sample.normalized) return not_applicable(*this, "metadata stripped for normalised evaluation");
  const auto bytes = sample.bytes;
  if (bytes.empty()) return not_applicable(*this, "no metadata");

  nlohmann::json details = nlohmann::json::object();
  std::vector<std::string> notes;
  std::vector<Field> fields;

  // PNG text chunks (our parser).
  png_text::Result png;
  const bool is_png = bytes.size() >= 8 && bytes[0] == 0x89 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G';
  if (is_png) {
    png = png_text::parse(bytes);
    for (auto& c : png.chunks) {
      if (c.keyword == "XML:com.adobe.xmp" || c.keyword.rfind("Raw profile type", 0) == 0) continue;  // exiv2's
      Field f;
      f.source = "PNG " + c.type;
      f.key = c.keyword;
      f.kind = metadata::kind_of_png_keyword(c.keyword);
      f.value = std::move(c.text);
      fields.push_back(std::move(f));
    }
    for (const auto& n : png.notes) notes.push_back(n);
    nlohmann::json pj = {{"text_chunks", png.chunks.size()}, {"chunks", png.chunk_count},
                         {"crc_mismatches", png.crc_mismatches}, {"truncated", png.truncated},
                         {"refused_compressed_chunks", png.refused_chunks}, {"inflated_bytes", png.inflated_total},
                         {"other_ancillary_chunks", png.other_chunk_types}};
    details["png"] = std::move(pj);
  }

  // EXIF / XMP / IPTC (exiv2).
  metadata::ExivData ex = metadata::read_with_exiv2(bytes);
  const bool is_jpeg = bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8;
  for (auto& f : ex.fields) {
    if (f.source == "JPEG comment" && !is_jpeg) continue;  // exiv2 maps PNG 'Description' there too
    fields.push_back(std::move(f));
  }
  if (!ex.error.empty()) notes.push_back("exiv2: " + ex.error);

  // JPEG quantisation tables (libjpeg).
  metadata::QuantInfo quant;
  if (is_jpeg) quant = metadata::read_quant_tables(bytes);

  const bool has_fields = !fields.empty() || png.refused_chunks > 0 || !ex.thumbnail.empty();
  const bool nonstandard_tables = quant.ok && !quant.tables.empty() && quant.ijg_quality < 0;

  DetectorResult r = applied(*this, Finding::Manipulated);
  std::vector<std::pair<std::string, double>>& numbers = r.evidence.numbers;

  // ---- generator traces ----------------------------------------------------------------------------
  const std::vector<GeneratorTrace> gens = metadata::find_generator_traces(fields);
  // ---- editing traces ------------------------------------------------------------------------------
  const std::vector<EditTrace> edits = metadata::find_edit_traces(fields);

  struct Contribution {
    double weight;
    std::string sentence;
  };
  std::vector<Contribution> contributions;

  double editor_score = 0.0;
  {
    double max_w = 0.0, sum_w = 0.0;
    for (const auto& e : edits) {
      max_w = std::max(max_w, e.weight);
      sum_w += e.weight;
    }
    editor_score = std::min(2.0, max_w + 0.25 * (sum_w - max_w));
    std::vector<EditTrace> sorted = edits;
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.weight > b.weight; });
    if (!sorted.empty()) contributions.push_back({editor_score, sorted.front().sentence});
  }

  // XMP edit history.
  std::map<std::string, std::string> history_actions;  // "History[3]" -> action
  std::map<std::string, std::string> history_changed;
  size_t ancestors = 0;
  bool ps_history = false, derived = false;
  std::vector<std::string> edit_dst;
  for (const auto& f : fields) {
    if (f.source != "XMP") continue;
    const size_t h = f.key.find("Xmp.xmpMM.History[");
    if (h == 0) {
      const size_t close = f.key.find(']');
      const std::string idx = f.key.substr(0, close == std::string::npos ? f.key.size() : close + 1);
      if (f.key.find("stEvt:action") != std::string::npos) history_actions[idx] = metadata::lower(f.value);
      if (f.key.find("stEvt:changed") != std::string::npos) history_changed[idx] = f.value;
    }
    if (f.key.rfind("Xmp.photoshop.DocumentAncestors", 0) == 0 && !f.value.empty()) {
      ancestors = std::max<size_t>(ancestors, static_cast<size_t>(std::count(f.value.begin(), f.value.end(), ',')) + 1);
    }
    if (f.key == "Xmp.photoshop.History" && !f.value.empty()) ps_history = true;
    if (f.key.rfind("Xmp.xmpMM.DerivedFrom", 0) == 0 && !f.value.empty()) derived = true;
    if (metadata::lower(f.key).find("digitalsourcetype") != std::string::npos) {
      if (auto code = metadata::digital_source_type_code(f.value)) {
        if (*code == "algorithmicallyEnhanced" || *code == "minorHumanEdits" || *code == "humanEdits" ||
            *code == "compositeCapture" || *code == "composite")
          edit_dst.push_back(*code);
        details["digital_source_type"] = *code;
      }
    }
  }
  size_t edit_steps = 0;
  std::map<std::string, int> action_counts;
  for (const auto& [idx, a] : history_actions) {
    ++action_counts[a];
    const bool content_saved = a == "saved" && history_changed.count(idx) && !history_changed[idx].empty();
    if (a == "edited" || a == "cropped" || a == "filtered" || a == "replaced" || a == "resized" || a == "derived" ||
        content_saved)
      ++edit_steps;
  }
  double history_score = 0.0;
  if (edit_steps > 0) {
    const double w = std::min(1.0, 0.2 * static_cast<double>(edit_steps));
    history_score += w;
    contributions.push_back({w, "its XMP history records " + std::to_string(edit_steps) + " editing step" +
                                    (edit_steps > 1 ? "s" : "") + " (of " + std::to_string(history_actions.size()) +
                                    " events)"});
  }
  if (ancestors > 0) {
    history_score += 1.0;
    contributions.push_back({1.0, "its XMP photoshop:DocumentAncestors lists " + std::to_string(ancestors) +
                                      " other document" + (ancestors > 1 ? "s" : "") +
                                      " pasted or placed into this one"});
  }
  if (ps_history) {
    history_score += 0.25;
    contributions.push_back({0.25, "its XMP photoshop:History holds an edit log"});
  }
  if (derived) {
    history_score += 0.25;
    contributions.push_back({0.25, "its XMP says it was derived from another document"});
  }
  double dst_edit_score = 0.0;
  if (!edit_dst.empty()) {
    dst_edit_score = 1.0;
    contributions.push_back({1.0, "its digital source type is '" + edit_dst.front() + "' (an edited capture)"});
  }

  // Dates.
  double date_score = 0.0;
  const auto t_mod = exif_time(value_of(fields, "Exif.Image.DateTime"));
  const auto t_orig = exif_time(value_of(fields, "Exif.Photo.DateTimeOriginal"));
  if (t_mod && t_orig) {
    const double gap = *t_mod - *t_orig;
    numbers.emplace_back("exif_modified_minus_original_s", gap);
    if (std::fabs(gap) >= 60) {
      date_score = 0.5;
      contributions.push_back({0.5, gap > 0 ? "its EXIF DateTime (last change) is " + duration_words(gap) +
                                                  " after DateTimeOriginal (capture)"
                                            : "its EXIF DateTime (last change) is " + duration_words(gap) +
                                                  " before DateTimeOriginal (capture)"});
    }
  }

  // Camera consistency.
  double camera_score = 0.0;
  const std::string make = value_of(fields, "Exif.Image.Make"), model = value_of(fields, "Exif.Image.Model");
  const int img_w = sample.image ? sample.image->width : quant.ok ? quant.width : static_cast<int>(png.width);
  const int img_h = sample.image ? sample.image->height : quant.ok ? quant.height : static_cast<int>(png.height);
  if (!make.empty() || !model.empty()) {
    details["camera"] = {{"make", make}, {"model", model}};
    if (!ex.thumbnail.empty() && img_w > 0 && img_h > 0) {
      int tw = 0, th = 0;
      const auto [raw_w, raw_h] = metadata::jpeg_dimensions(ex.thumbnail);
      if (auto ta = thumbnail_content_aspect(ex.thumbnail, tw, th)) {
        const double ia = static_cast<double>(img_w) / img_h;
        const double diff = std::min(std::fabs(std::log(*ta / ia)), std::fabs(std::log(*ta * ia)));
        numbers.emplace_back("thumbnail_aspect_log_ratio", diff);
        details["thumbnail"] = {{"width", raw_w}, {"height", raw_h}, {"content_width", tw}, {"content_height", th}};
        if (diff > 0.08) {
          camera_score += 0.5;
          contributions.push_back({0.5, "its EXIF thumbnail (" + std::to_string(tw) + "x" + std::to_string(th) +
                                            " of picture) has another shape than the image (" + std::to_string(img_w) +
                                            "x" + std::to_string(img_h) + "): the picture was cropped or changed after the camera made it"});
        }
      }
    }
    const auto px = std::atol(value_of(fields, "Exif.Photo.PixelXDimension").c_str());
    const auto py = std::atol(value_of(fields, "Exif.Photo.PixelYDimension").c_str());
    if (px > 0 && py > 0 && img_w > 0 && img_h > 0) {
      auto near = [](long a, long b) { return std::labs(a - b) <= 8; };
      const bool match = (near(px, img_w) && near(py, img_h)) || (near(px, img_h) && near(py, img_w));
      numbers.emplace_back("exif_pixel_dimensions_match", match ? 1.0 : 0.0);
      if (!match) {
        camera_score += 0.5;
        contributions.push_back({0.5, "its EXIF says " + std::to_string(px) + "x" + std::to_string(py) +
                                          " pixels but the image is " + std::to_string(img_w) + "x" +
                                          std::to_string(img_h) + " (resized or cropped after capture)"});
      }
    }
  }

  // Quantisation tables.
  double quant_score = 0.0;
  std::string quant_phrase;
  if (quant.ok && !quant.tables.empty()) {
    nlohmann::json qj = {{"ijg_quality", quant.ijg_quality >= 0 ? nlohmann::json(quant.ijg_quality) : nlohmann::json()},
                         {"closest_ijg_quality", quant.closest_quality},
                         {"mean_abs_diff_to_closest", quant.mean_abs_diff},
                         {"fingerprint", quant.fingerprint},
                         {"family", quant.family},
                         {"tables", quant.tables.size()},
                         {"luma_q0", quant.tables[0][0]},
                         {"subsampling", quant.subsampling},
                         {"adobe_app14", quant.adobe_marker},
                         {"progressive", quant.progressive}};
    details["jpeg_quantization"] = std::move(qj);
    numbers.emplace_back("jpeg_ijg_quality", quant.ijg_quality);
    numbers.emplace_back("jpeg_closest_ijg_quality", quant.closest_quality);
    numbers.emplace_back("jpeg_table_mean_abs_diff", quant.mean_abs_diff);
    if (quant.ijg_quality >= 0) {
      quant_phrase = "its JPEG tables are libjpeg's standard quality " + std::to_string(quant.ijg_quality) + " tables";
    } else {
      quant_score = 0.1;
      quant_phrase = "its JPEG tables are not libjpeg's standard ones (closest: quality " +
                     std::to_string(quant.closest_quality) + ", mean difference " + fmt(quant.mean_abs_diff, 1) + ")";
      if (!quant.family.empty()) {
        quant_score += 0.15;
        quant_phrase = "its JPEG tables are " + quant.family + " tables";
      } else if (quant.adobe_marker) {
        quant_score += 0.1;
        quant_phrase += " and it has an Adobe APP14 marker";
      }
      contributions.push_back({quant_score, quant_phrase});
    }
  } else if (is_jpeg && !quant.error.empty()) {
    notes.push_back("libjpeg: " + quant.error);
  }

  // ---- nothing to say ------------------------------------------------------------------------------
  if (!has_fields && !nonstandard_tables) {
    DetectorResult na = not_applicable(*this, "no metadata");
    na.evidence.numbers = numbers;
    if (!quant_phrase.empty()) na.evidence.summary = "The file carries no metadata; " + quant_phrase + ".";
    if (!notes.empty()) details["notes"] = notes;
    na.evidence.details = std::move(details);
    return na;
  }

  // ---- score, decision, summary --------------------------------------------------------------------
  const double edit_score = editor_score + history_score + dst_edit_score + date_score + camera_score + quant_score;
  numbers.emplace_back("generator_traces", static_cast<double>(gens.size()));
  numbers.emplace_back("edit_traces", static_cast<double>(edits.size()));
  numbers.emplace_back("history_edit_steps", static_cast<double>(edit_steps));
  numbers.emplace_back("exif_fields", static_cast<double>(ex.exif_count));
  numbers.emplace_back("xmp_fields", static_cast<double>(ex.xmp_count));
  numbers.emplace_back("iptc_fields", static_cast<double>(ex.iptc_count));
  if (is_png) {
    numbers.emplace_back("png_text_chunks", static_cast<double>(png.chunks.size()));
    numbers.emplace_back("png_crc_mismatches", static_cast<double>(png.crc_mismatches));
    numbers.emplace_back("png_refused_chunks", static_cast<double>(png.refused_chunks));
  }

  if (!gens.empty()) {
    // The strongest trace decides; ties go to the whole-image claim.
    const GeneratorTrace* best = &gens.front();
    for (const auto& g : gens)
      if (g.strength == best->strength && !g.composite && best->composite) best = &g;
    std::string family = best->family;
    const GeneratorTrace* named_by = nullptr;
    if (family.empty())
      for (const auto& g : gens)
        if (!g.family.empty()) {
          family = g.family;
          named_by = &g;
          break;
        }
    r.decision = best->composite ? Decision::Manipulated : Decision::Synthetic;
    r.points_to = best->composite ? Finding::Manipulated : Finding::Synthetic;
    if (!family.empty()) r.generator = family;
    r.score = kGeneratorScore + edit_score;
    std::vector<std::string> parts = {best->sentence};
    if (named_by) parts.push_back(named_by->sentence);
    r.evidence.summary = join_sentences(parts, 2);
  } else {
    r.score = edit_score;
    std::stable_sort(contributions.begin(), contributions.end(),
                     [](const Contribution& a, const Contribution& b) { return a.weight > b.weight; });
    std::vector<std::string> parts;
    for (const auto& c : contributions) parts.push_back(c.sentence);
    if (!parts.empty()) {
      if (parts[0].rfind("its ", 0) == 0) parts[0] = "The file's " + parts[0].substr(4);
      r.evidence.summary = join_sentences(parts, 2);
    } else {
      std::string what;
      if (!make.empty() || !model.empty())
        what = "camera '" + metadata::excerpt(make.empty() ? model : model.find(make) == 0 || make.empty() ? model : make + " " + model, 60) + "'";
      const size_t n = ex.exif_count + ex.xmp_count + ex.iptc_count + png.chunks.size();
      what += (what.empty() ? "" : ", ") + std::to_string(n) + " field" + (n == 1 ? "" : "s");
      r.evidence.summary = "The file's metadata (" + what + ") names no generator and no editing software" +
                           (quant_phrase.empty() ? "" : "; " + quant_phrase) + ".";
    }
  }

  // ---- details -------------------------------------------------------------------------------------
  nlohmann::json gj = nlohmann::json::array();
  for (const auto& g : gens)
    gj.push_back({{"family", g.family}, {"tool", g.tool}, {"field", g.field}, {"value", g.value},
                  {"composite", g.composite}, {"strength", g.strength}, {"extra", g.extra}, {"sentence", g.sentence}});
  details["generator_traces"] = std::move(gj);
  nlohmann::json ej = nlohmann::json::array();
  for (const auto& e : edits)
    ej.push_back({{"tool", e.tool}, {"field", e.field}, {"value", e.value}, {"weight", e.weight}});
  details["edit_traces"] = std::move(ej);
  if (!action_counts.empty()) details["xmp_history_actions"] = action_counts;
  nlohmann::json fj = nlohmann::json::array();
  for (const auto& f : fields) {
    if (fj.size() >= 60) break;
    const bool dst = metadata::lower(f.key).find("digitalsourcetype") != std::string::npos;
    if (f.kind == FieldKind::Other && !dst && f.key != "Exif.Photo.DateTimeOriginal" && f.key != "Exif.Image.DateTime")
      continue;
    fj.push_back({{"source", f.source}, {"key", f.key}, {"value", metadata::excerpt(f.value, 500)}});
  }
  details["fields"] = std::move(fj);
  details["score_parts"] = {{"editors", editor_score}, {"history", history_score}, {"digital_source_type", dst_edit_score},
                            {"dates", date_score},     {"camera", camera_score},   {"quantization", quant_score}};
  if (!notes.empty()) details["notes"] = notes;
  r.evidence.details = std::move(details);
  return r;
}

}  // namespace

std::unique_ptr<Detector> make_metadata_detector() { return std::make_unique<MetadataDetector>(); }

}  // namespace veritrace::detect
