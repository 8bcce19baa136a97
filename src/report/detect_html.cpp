// `veritrace detect --html FILE`: one self-contained page (inline CSS, data: URI images, inline SVG,
// no script, no network) that a journalist can read without training. docs/report.md explains the
// layout. Every string that comes from a file goes through html_escape.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "report/detect_common.hpp"
#include "report/detect_html.hpp"
#include "veritrace/report_detect.hpp"

namespace veritrace::report {

std::string html_escape(std::string_view text) {
  const std::string clean = detail::clean_utf8(text, false);
  std::string out;
  out.reserve(clean.size() + clean.size() / 8);
  for (char c : clean) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

using detect::DetectorResult;
using detect::FileReport;
using detect::Status;
using detect::Verdict;
using detail::Tier;

constexpr int kPreviewSide = 768;         // long side of the main picture (the preview's own size)
constexpr int kOverlaySide = 512;         // long side of the main map's PNG (the browser scales it smoothly)
constexpr int kGallerySide = 384;         // long side of the picture under a detector's map
constexpr int kGalleryOverlaySide = 256;  // long side of a detector's map PNG

std::string esc(std::string_view s) { return html_escape(s); }

Tier tier_for(const FileReport& r) { return r.error ? detail::error_tier() : detail::tier_of(r.verdict); }

std::string capitalised(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

std::string badge(const FileReport& r) {
  const Tier t = tier_for(r);
  return fmt::format("<span class=\"badge v-{}\"><span aria-hidden=\"true\">{}</span>{}</span>", t.css, t.symbol,
                     t.label);
}

// A path as its file name (prominent) and its folder (muted), both escaped.
struct PathParts {
  std::string name, folder;
};
PathParts split_path(const std::string& path) {
  if (path.empty()) return {"(unnamed)", ""};
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos || slash + 1 == path.size()) return {esc(path), ""};
  return {esc(path.substr(slash + 1)), esc(path.substr(0, slash + 1))};
}

std::string file_id(size_t index) { return fmt::format("file-{}", index + 1); }

// What happened to a file in a few words for the summary table.
std::string verdict_cell_words(const FileReport& r) {
  if (r.error) return "could not be read";
  switch (r.verdict) {
    case Verdict::NoEvidence: return "no evidence of generation or manipulation found";
    case Verdict::NotApplicable: return "not applicable";
    default: return detail::verdict_short(r.verdict);
  }
}

std::string upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

const char* media_words(detect::MediaType t) {
  switch (t) {
    case detect::MediaType::Video: return "video";
    case detect::MediaType::Audio: return "audio";
    case detect::MediaType::Image: break;
  }
  return "image";
}

std::string meta_line(const FileReport& r) {
  std::vector<std::string> parts;
  // "image/jpeg" or "jpeg" -> "JPEG image"
  std::string format = r.format.substr(r.format.find('/') == std::string::npos ? 0 : r.format.find('/') + 1);
  if (!format.empty()) parts.push_back(esc(upper(format)) + " " + media_words(r.media_type));
  else parts.push_back(media_words(r.media_type));
  if (r.width > 0 && r.height > 0) parts.push_back(fmt::format("{} \u00D7 {} pixels", r.width, r.height));
  if (r.media_type == detect::MediaType::Audio && r.audio.contains("analysed_s"))
    parts.push_back(fmt::format("{:.1f} s of sound, {:.1f} s of it speech", r.audio.value("analysed_s", 0.0),
                                r.audio.value("speech_s", 0.0)));
  if (std::isfinite(r.timing_ms) && r.timing_ms > 0) parts.push_back(fmt::format("checked in {:.0f} ms", r.timing_ms));
  std::string s;
  for (const auto& p : parts) s += (s.empty() ? "" : " \u00B7 ") + p;
  return s;
}

// ---- the verdict column ----

std::string verdict_box(const FileReport& r) {
  const Tier t = tier_for(r);
  std::string words, note;
  if (r.error) {
    words = "Could not be read";
    note = esc(*r.error);
    if (!r.error_kind.empty()) note += fmt::format(" <span class=\"muted\">({})</span>", esc(r.error_kind));
  } else {
    switch (r.verdict) {
      case Verdict::Synthetic:
        words = "Likely AI-generated";
        note = "The checks found signs that this file was made by an AI generator.";
        break;
      case Verdict::Manipulated:
        words = "Likely manipulated";
        note = "The checks found signs that parts of this file were altered or combined from several sources.";
        break;
      case Verdict::Unsure:
        words = "Unsure: mixed evidence";
        note = "Some signs point to generation or editing, others do not; the checks cannot decide.";
        break;
      case Verdict::NoEvidence:
        words = "No evidence of generation or manipulation found";
        note = "This does not prove the file is authentic: skilled edits and new generators can go unnoticed.";
        break;
      case Verdict::NotApplicable:
        words = "Not applicable";
        note = esc(capitalised(detail::not_applicable_reason(r)));
        break;
    }
  }
  return fmt::format(
      "<div class=\"verdict v-{}\" role=\"status\"><span class=\"sym\" aria-hidden=\"true\">{}</span><div>"
      "<div class=\"tier\">{}</div><div class=\"words\">{}</div><div class=\"note\">{}</div></div></div>",
      t.css, t.symbol, t.label, words, note);
}

std::string generator_box(const FileReport& r) {
  if (!r.generator || r.generator->empty()) return {};
  const std::string shown = detail::generator_display(*r.generator);
  std::string by;
  for (const auto& d : r.detectors) {
    if (!d.generator || d.generator->empty()) continue;
    by += (by.empty() ? "" : ", ") + esc(detail::detector_title(d.name));
  }
  return fmt::format(
      "<div class=\"gen\">Generator named: <strong>{}</strong>{}{}<span class=\"explain\">The AI tool the "
      "evidence names; a name in metadata can be forged, a watermark or signed record is stronger.</span></div>",
      esc(shown), shown != *r.generator ? " <span class=\"code\">(" + esc(*r.generator) + ")</span>" : "",
      by.empty() ? "" : " <span class=\"muted\">\u2014 named by " + by + "</span>");
}

std::string score_block(const FileReport& r, const HtmlOptions& o) {
  std::string s = "<div class=\"score\">" + detail::score_gauge_svg(r.score, o.thresholds);
  const auto score = detail::finite(r.score);
  s += "<p class=\"explain\">";
  if (score)
    s += "The score is the estimated chance, from 0 to 1, that the file is AI-generated or manipulated, combining "
         "every check below. The coloured zones show where the verdict changes.";
  else
    s += "No check could give a score for this file.";
  std::string decisive;
  for (const auto& d : r.detectors)
    if (d.status == Status::Applied && d.decision != detect::Decision::None)
      decisive += (decisive.empty() ? "" : ", ") + esc(detail::detector_title(d.name));
  if (!decisive.empty())
    s += " The verdict rests on a decisive finding of <strong>" + decisive +
         "</strong> (a signed record or a generator's mark), whatever the score.";
  return s + "</p></div>";
}

std::string reasons_block(const FileReport& r) {
  std::string items;
  for (const auto& reason : r.reasons)
    if (!reason.empty()) items += "<li>" + esc(reason) + "</li>";
  if (items.empty()) return "<h3>Why</h3><p class=\"muted\">No reason was given.</p>";
  return "<h3>Why</h3><ol class=\"reasons\">" + items + "</ol>";
}

// ---- pictures ----

struct Picture {
  std::string base_uri;  // preview JPEG, may be empty
  int w = 0, h = 0;      // display geometry (the preview's, else the map's scaled)
};

Picture picture_of(const FileReport& r) {
  Picture p;
  if (!r.preview_jpeg.empty() && r.preview_width > 0 && r.preview_height > 0) {
    p.base_uri = detail::jpeg_data_uri(r.preview_jpeg);
    p.w = r.preview_width, p.h = r.preview_height;
    return p;
  }
  int w = r.heatmap.width > 0 ? r.heatmap.width : r.width, h = r.heatmap.width > 0 ? r.heatmap.height : r.height;
  if (w > 0 && h > 0) detail::fit_size(w, h, kPreviewSide, p.w, p.h);
  return p;
}

// The picture with a map over it; `side` is the long side of the overlay image.
std::string overlay_figure(const Picture& pic, const detect::Heatmap* map, const std::vector<detect::Region>* regions,
                           int analysed_w, int analysed_h, int side, const std::string& caption,
                           std::optional<detail::HeatmapImage>* stats_out = nullptr) {
  if (pic.w <= 0 || pic.h <= 0) return {};
  int ow = 0, oh = 0;
  detail::fit_size(pic.w, pic.h, side, ow, oh);
  std::string s = "<figure>";
  if (pic.base_uri.empty())
    s += fmt::format("<div class=\"pic blank\" style=\"aspect-ratio:{} / {}\">", pic.w, pic.h);
  else
    s += fmt::format("<div class=\"pic\"><img class=\"base\" src=\"{}\" width=\"{}\" height=\"{}\" alt=\"The "
                     "analysed picture\">",
                     pic.base_uri, pic.w, pic.h);
  if (map && !map->empty()) {
    auto img = detail::heatmap_image(*map, ow, oh);
    if (img) {
      s += fmt::format("<img class=\"heat\" src=\"{}\" alt=\"Map of areas that look altered\">", img->data_uri);
      if (stats_out) *stats_out = std::move(img);
    }
  }
  if (regions) {
    const int rw = analysed_w > 0 ? analysed_w : (map ? map->width : 0);
    const int rh = analysed_h > 0 ? analysed_h : (map ? map->height : 0);
    s += detail::regions_svg(*regions, rw, rh);
  }
  s += "</div>";
  if (!caption.empty()) s += "<figcaption>" + caption + "</figcaption>";
  return s + "</figure>";
}

std::string marked_words(const detail::HeatmapImage& img) {
  if (img.peak < 0.1) return "No area stands out.";
  if (img.marked <= 0.0) return "Only faint marks: no area reaches the middle of the scale.";
  const double pct = 100.0 * img.marked;
  return fmt::format("About {} of the picture is marked at or above the middle of the scale.",
                     pct < 1 ? std::string("1% or less") : fmt::format("{:.0f}%", pct));
}

std::vector<detect::Region> all_regions(const FileReport& r) {
  std::vector<detect::Region> out;
  for (const auto& d : r.detectors)
    if (d.status == Status::Applied)
      for (const auto& reg : d.evidence.regions)
        if (out.size() < 64) out.push_back(reg);
  return out;
}

std::string main_figure(const FileReport& r, const Picture& pic) {
  const auto regions = all_regions(r);
  std::optional<detail::HeatmapImage> stats;
  std::string caption;
  std::string fig = overlay_figure(pic, r.heatmap.empty() ? nullptr : &r.heatmap, &regions, r.width, r.height,
                                   kOverlaySide, "", &stats);
  if (fig.empty()) return {};
  if (stats) {
    caption = "<strong>Coloured areas: where the checks suspect local edits</strong> (all checks combined). " +
              marked_words(*stats) + " Colour shows strength, not certainty.";
  } else if (!r.heatmap.empty()) {
    caption = "The map of suspected edits could not be drawn (its size does not match the picture).";
  } else {
    caption = "The analysed picture. No check marked particular areas of it.";
  }
  if (!regions.empty())
    caption += fmt::format(" Dashed boxes: {} region{} found by a check (see below).", regions.size(),
                           regions.size() == 1 ? "" : "s");
  fig.insert(fig.size() - std::string("</figure>").size(), "<figcaption>" + caption + "</figcaption>");
  if (stats) fig.insert(fig.size() - std::string("</figure>").size(), detail::heatmap_legend_svg());
  return fig;
}

std::string gallery(const FileReport& r, const Picture& full) {
  std::string items, quiet;
  // The gallery shows the picture smaller: one small copy, made only when some map is drawn.
  Picture pic = full;
  bool thumbnail_made = full.base_uri.empty();
  for (const auto& d : r.detectors) {
    if (d.status != Status::Applied || d.evidence.heatmap.empty()) continue;
    std::optional<detail::HeatmapImage> stats;
    auto probe = detail::heatmap_image(d.evidence.heatmap, 1, 1);  // cheap: peak and share only
    if (probe && probe->peak < 0.1 && d.evidence.regions.empty()) {  // nothing would show: say so instead
      quiet += (quiet.empty() ? "" : ", ") + esc(detail::detector_title(d.name));
      continue;
    }
    if (!thumbnail_made) {
      thumbnail_made = true;
      if (std::string small = detail::thumbnail_data_uri(r.preview_jpeg, kGallerySide); !small.empty()) {
        pic.base_uri = std::move(small);
        detail::fit_size(full.w, full.h, kGallerySide, pic.w, pic.h);
      }
    }
    std::string fig = overlay_figure(pic, &d.evidence.heatmap, &d.evidence.regions, r.width, r.height,
                                     kGalleryOverlaySide, "", &stats);
    if (fig.empty()) continue;
    std::string caption = "<strong>" + esc(detail::detector_title(d.name)) + "</strong>";
    if (stats) caption += " \u2014 " + marked_words(*stats);
    fig.insert(fig.size() - std::string("</figure>").size(), "<figcaption>" + caption + "</figcaption>");
    items += fig;
  }
  if (items.empty() && quiet.empty()) return {};
  std::string s = "<h3>Maps from individual checks</h3>";
  if (!items.empty())
    s += "<p class=\"explain\">Each check that can point at areas drew its own map with the same colour scale. Areas "
         "marked by several independent checks deserve the most attention.</p><div class=\"gallery\">" +
         items + "</div>";
  if (!quiet.empty()) s += "<p>" + quiet + ": no area marked.</p>";
  return s;
}

// ---- checks ----

std::string numbers_line(const DetectorResult& d) {
  std::string s;
  size_t n = 0;
  for (const auto& [name, value] : d.evidence.numbers) {
    if (++n > 6) break;
    s += (s.empty() ? "" : " \u00B7 ") + esc(name) + " " + esc(detail::human_number(value));
  }
  return s.empty() ? s : "<div class=\"nums\">Technical measurements: " + s + "</div>";
}

std::string check_row(const DetectorResult& d, const HtmlOptions& o) {
  const std::string about = detail::detector_about(d.name);
  std::string check = "<strong>" + esc(detail::detector_title(d.name)) + "</strong>";
  if (!about.empty()) check += "<span class=\"explain\">" + esc(about) + "</span>";
  check += "<span class=\"code\">" + esc(d.name) + (d.version.empty() ? "" : " v" + esc(d.version)) + "</span>";

  std::string cls, res, prob, found;
  switch (d.status) {
    case Status::Applied: {
      cls = "ok";
      res = "<span class=\"st st-applied\">\u2713 checked</span><span class=\"explain\">looks for signs of " +
            std::string(detail::points_to_words(d.points_to)) + "</span>";
      if (d.decision != detect::Decision::None) res += "<span class=\"decisive\">decisive</span>";
      if (auto p = detail::finite(d.probability))
        prob = detail::probability_bar_svg(*p, o.thresholds) + fmt::format("<strong>{:.2f}</strong>", *p);
      else if (auto raw = detail::finite(d.score))
        prob = "raw " + esc(detail::human_number(*raw)) + "<span class=\"explain\">not yet calibrated</span>";
      else
        prob = "<span class=\"muted\">\u2014</span>";
      found = d.evidence.summary.empty() ? "<span class=\"muted\">No summary.</span>" : esc(d.evidence.summary);
      if (d.generator && !d.generator->empty())
        found += "<div>Names the generator <strong>" + esc(detail::generator_display(*d.generator)) + "</strong></div>";
      if (!d.evidence.regions.empty()) {
        found += fmt::format("<div class=\"nums\">Regions: ");
        size_t n = 0;
        for (const auto& reg : d.evidence.regions) {
          if (++n > 6) {
            found += fmt::format("and {} more", d.evidence.regions.size() - 6);
            break;
          }
          found += fmt::format("{}{} at ({}, {}) {}\u00D7{} px; ", reg.label.empty() ? "area" : esc(reg.label),
                               std::isfinite(reg.score) ? fmt::format(" {:.2f}", reg.score) : "", reg.x, reg.y,
                               reg.width, reg.height);
        }
        found += "</div>";
      }
      found += numbers_line(d);
      break;
    }
    case Status::NotApplicable:
      cls = "na";
      res = "<span class=\"st st-na\">\u2013 not applicable</span>";
      prob = "<span class=\"muted\">\u2014</span>";
      found = d.reason.empty() ? "Not applicable to this file." : "Not applied: " + esc(d.reason);
      break;
    case Status::Error:
      cls = "err";
      res = "<span class=\"st st-error\">\u2715 failed</span>";
      prob = "<span class=\"muted\">\u2014</span>";
      found = "<span class=\"err-msg\">Error: " + esc(d.reason.empty() ? std::string("unknown error") : d.reason) +
              "</span><span class=\"explain\">This check's evidence is missing from the verdict.</span>";
      break;
  }
  return fmt::format(
      "<tr class=\"{}\"><td class=\"check\">{}</td><td class=\"res\">{}</td><td class=\"prob\">{}</td><td>{}</td>"
      "</tr>",
      cls, check, res, prob, found);
}

std::string checks_table(const FileReport& r, const HtmlOptions& o) {
  if (r.detectors.empty()) return "<h3>Checks</h3><p class=\"muted\">No check ran.</p>";
  std::string rows;
  // Applied first (in report order), then failures, then what did not apply.
  for (Status s : {Status::Applied, Status::Error, Status::NotApplicable})
    for (const auto& d : r.detectors)
      if (d.status == s) rows += check_row(d, o);
  return "<h3>Checks</h3><p class=\"explain\">Probability: the chance this check alone gives that the file is "
         "AI-generated or manipulated (0 to 1); the mark on each bar is where the combined verdict flags a "
         "file.</p><table class=\"checks\"><thead><tr><th>Check</th><th>Result</th><th>Probability</th><th>What it "
         "found</th></tr></thead><tbody>" +
         rows + "</tbody></table>";
}

// ---- caveats ----

std::string caveats(const FileReport& r) {
  std::string items;
  switch (r.verdict) {
    case Verdict::Synthetic:
    case Verdict::Manipulated:
      items += "<li><strong>A flag is a reason to investigate, not proof.</strong> Confirm with the source, other "
               "copies of the file, and what the picture shows.</li>";
      break;
    case Verdict::Unsure:
      items += "<li><strong>\u201CUnsure\u201D is a real answer:</strong> the evidence is too weak or too mixed. Look "
               "for other copies, the original source, or its Content Credentials.</li>";
      break;
    case Verdict::NoEvidence:
      items += "<li><strong>\u201CNothing found\u201D does not mean authentic.</strong> Pixels alone cannot prove a "
               "file is real; skilled edits, new generators and heavy re-compression can hide the traces these "
               "checks look for.</li>";
      break;
    case Verdict::NotApplicable:
      items += "<li><strong>No check could examine this file,</strong> so nothing can be said about it.</li>";
      break;
  }
  // Not applied / failed, one line each.
  for (const auto& d : r.detectors) {
    if (d.status == Status::NotApplicable)
      items += "<li><strong>" + esc(detail::detector_title(d.name)) + "</strong> was not applied" +
               (d.reason.empty() ? std::string(".") : ": " + esc(d.reason) + ".") + "</li>";
    else if (d.status == Status::Error)
      items += "<li><strong>" + esc(detail::detector_title(d.name)) +
               "</strong> failed, so its evidence is missing: " + esc(d.reason) + "</li>";
  }
  // Reliability of what ran: detectors sharing a caveat are listed together.
  std::vector<std::pair<std::string, std::string>> grouped;  // caveat -> titles
  for (const auto& d : r.detectors) {
    if (d.status != Status::Applied) continue;
    const std::string caveat = detail::detector_caveat(d);
    auto it = std::find_if(grouped.begin(), grouped.end(), [&](const auto& g) { return g.first == caveat; });
    const std::string title = esc(detail::detector_title(d.name));
    if (it == grouped.end()) grouped.emplace_back(caveat, title);
    else it->second += ", " + title;
  }
  for (const auto& [caveat, titles] : grouped) items += "<li><strong>" + titles + ":</strong> " + esc(caveat) + "</li>";
  return "<h3>Limits of this result</h3><ul class=\"caveats\">" + items + "</ul>";
}

// The c2pa check found no record: say so (the provenance object then has no "c2pa" key).
std::string no_credentials_note(const FileReport& r) {
  if (r.provenance.is_object() && r.provenance.contains("c2pa")) return {};
  for (const auto& d : r.detectors)
    if (d.name == "c2pa" && d.status == Status::NotApplicable)
      return "<div class=\"prov-block\"><h4>Content Credentials (C2PA)</h4><p>None: " +
             esc(d.reason.empty() ? std::string("no Content Credentials") : d.reason) +
             ". <span class=\"muted\">Most files carry none; their absence says nothing about the file.</span></p></div>";
  return {};
}

// ---- one file ----

std::string file_section(const FileReport& r, size_t index, bool batch, const HtmlOptions& options, bool& images_left) {
  HtmlOptions o = options;  // the file's own thresholds (pictures, videos and sound each have theirs)
  if (r.thresholds) o.thresholds = *r.thresholds;
  std::string s = fmt::format("<section class=\"file card\" id=\"{}\">", file_id(index));
  const PathParts pp = split_path(r.path);
  s += fmt::format("<h2><span class=\"idx\">{}</span><span class=\"path\">{}</span></h2>", index + 1, pp.name);
  if (!pp.folder.empty()) s += "<p class=\"folder path\">in " + pp.folder + "</p>";
  if (r.error) {
    s += "<p class=\"meta\">The file could not be opened or decoded, so no check ran.</p>" + verdict_box(r);
    if (batch) s += "<p><a class=\"top-link\" href=\"#summary\">\u2191 back to the summary</a></p>";
    return s + "</section>";
  }
  s += "<p class=\"meta\">" + meta_line(r) + "</p>";

  Picture pic;
  const bool has_pixels = !r.preview_jpeg.empty() || !r.heatmap.empty() ||
                          std::any_of(r.detectors.begin(), r.detectors.end(),
                                      [](const DetectorResult& d) { return !d.evidence.heatmap.empty(); });
  bool omitted = false;
  if (has_pixels) {
    if (images_left) pic = picture_of(r);
    else omitted = true;
  }
  std::string figure = main_figure(r, pic);

  s += std::string("<div class=\"top") + (figure.empty() ? " noimage" : "") + "\"><div>";
  s += verdict_box(r) + generator_box(r) + score_block(r, o) + reasons_block(r) + "</div>";
  if (!figure.empty()) s += "<div>" + figure + "</div>";
  s += "</div>";
  if (omitted)
    s += "<p class=\"omitted\">Pictures and maps are left out for this file to keep the report small (see "
         "HtmlOptions::max_image_files); the JSON report and --heatmaps have them.</p>";

  s += "<h3>Origin records (provenance)</h3><p class=\"explain\">Signed records and watermarks that say where the "
       "file comes from. Only records whose signature checks out count as evidence.</p>" +
       no_credentials_note(r) + detail::provenance_html(r.provenance);
  s += checks_table(r, o);
  if (r.media_type == detect::MediaType::Video) {
    const double duration = r.video.value("analysed_s", 0.0);
    if (const std::string tl = detail::timeline_svg(r.detectors, duration); !tl.empty())
      s += "<h3>Over time</h3><p class=\"explain\">How each video check scored the main face along the video (each "
           "line on its own scale; higher is more suspicious).</p><figure>" + tl + "</figure>";
    if (const std::string keys = detail::key_frames_html(r.key_frames, r.video.value("frame_width", 0),
                                                         r.video.value("frame_height", 0));
        !keys.empty())
      s += "<h3>Key moments</h3><p class=\"explain\">The frames where the video checks scored highest, with the face "
           "they measured (boxed) and the aligned crop the face checks see.</p>" + keys;
  }
  if (r.media_type == detect::MediaType::Audio) {
    const double duration = r.audio.value("analysed_s", 0.0);
    if (const std::string tl = detail::timeline_svg(r.detectors, duration); !tl.empty())
      s += "<h3>Over time</h3><p class=\"explain\">How each voice check scored every 4-second stretch of speech "
           "(each line on its own scale; higher is more suspicious). Stretches without speech are not scored.</p>"
           "<figure>" + tl + "</figure>";
  }
  s += gallery(r, pic);
  s += caveats(r);
  if (batch) s += "<p><a class=\"top-link\" href=\"#summary\">\u2191 back to the summary</a></p>";
  return s + "</section>";
}

std::string summary_table(const std::vector<FileReport>& reports) {
  std::map<std::string, size_t> counts;
  for (const auto& r : reports) counts[tier_for(r).css]++;
  std::string line;
  for (auto [css, words] : {std::pair{"flag", "flagged"}, {"unsure", "unsure"}, {"none", "nothing found"},
                            {"na", "not applicable"}, {"error", "unreadable"}}) {
    auto it = counts.find(css);
    if (it == counts.end()) continue;
    line += fmt::format("{}{} {}", line.empty() ? "" : " \u00B7 ", it->second, words);
  }
  std::string rows;
  for (size_t i = 0; i < reports.size(); ++i) {
    const FileReport& r = reports[i];
    const auto score = detail::finite(r.score);
    std::string gen = r.generator && !r.generator->empty() ? esc(detail::generator_display(*r.generator)) : "";
    const PathParts pp = split_path(r.path);
    rows += fmt::format(
        "<tr><td class=\"num\">{}</td><td><a class=\"path\" href=\"#{}\">{}</a>{}</td><td>{}<span "
        "class=\"vwords\">{}</span></td><td class=\"num\">{}</td><td>{}</td></tr>",
        i + 1, file_id(i), pp.name,
        pp.folder.empty() ? "" : "<span class=\"folder path\">" + pp.folder + "</span>", badge(r),
        esc(verdict_cell_words(r)), score ? fmt::format("{:.2f}", *score) : "\u2014", gen);
  }
  return fmt::format(
      "<section class=\"summary card\" id=\"summary\"><h2>Summary: {} files</h2><p class=\"counts\">{}</p><table "
      "class=\"sum\"><thead><tr><th>#</th><th>File</th><th>Verdict</th><th>Score</th><th>Generator</th></tr>"
      "</thead><tbody>{}</tbody></table></section>",
      reports.size(), line, rows);
}

std::string howto(const HtmlOptions& o, bool mixed_thresholds) {
  if (mixed_thresholds)
    return "<aside class=\"howto\"><h2>How to read this report</h2><ul>"
           "<li>Each file gets one verdict, in words and with a symbol: <span class=\"badge v-flag\">\u25B2 Flagged</span> "
           "(likely AI-generated or likely manipulated), <span class=\"badge v-unsure\">? Unsure</span>, "
           "<span class=\"badge v-none\">\u25CB Nothing found</span> or <span class=\"badge v-na\">\u2013 Not "
           "applicable</span>.</li>"
           "<li>The <strong>score</strong> (0 to 1) combines every check. Where a file is flagged or \u201Cunsure\u201D "
           "depends on the kind of file (pictures, videos and sound are each calibrated on their own): each file's "
           "gauge shows its zones. A signed record or a generator's watermark can decide the verdict on its own.</li>"
           "<li>No automatic check is certain. \u201CNothing found\u201D never proves a file is authentic; a flag is a "
           "reason to investigate. The \u201CLimits\u201D part of each file says what the checks can miss.</li>"
           "</ul></aside>";
  const double lo = std::clamp(o.thresholds.threshold - o.thresholds.unsure_band, 0.0, 1.0);
  const double hi = std::clamp(o.thresholds.threshold + o.thresholds.unsure_band, 0.0, 1.0);
  return fmt::format(
      "<aside class=\"howto\"><h2>How to read this report</h2><ul>"
      "<li>Each file gets one verdict, in words and with a symbol: <span class=\"badge v-flag\">\u25B2 Flagged</span> "
      "(likely AI-generated or likely manipulated), <span class=\"badge v-unsure\">? Unsure</span>, "
      "<span class=\"badge v-none\">\u25CB Nothing found</span> or <span class=\"badge v-na\">\u2013 Not "
      "applicable</span>.</li>"
      "<li>The <strong>score</strong> (0 to 1) combines every check: from {:.2f} a file is flagged, between {:.2f} "
      "and {:.2f} the answer is \u201Cunsure\u201D. A signed record or a generator's watermark can decide the verdict "
      "on its own.</li>"
      "<li>No automatic check is certain. \u201CNothing found\u201D never proves a file is authentic; a flag is a "
      "reason to investigate. The \u201CLimits\u201D part of each file says what the checks can miss.</li>"
      "</ul></aside>",
      hi, lo, hi);
}

std::string glossary() {
  return "<section class=\"card\"><h2>Words used in this report</h2><dl class=\"glossary\">"
         "<dt>AI-generated</dt><dd>Made by a generative AI model (such as Stable Diffusion, Midjourney or DALL\u00B7E) "
         "rather than captured by a camera.</dd>"
         "<dt>Manipulated</dt><dd>Parts of a real picture were changed, removed, or pasted in from elsewhere.</dd>"
         "<dt>Score</dt><dd>The estimated chance, from 0 to 1, that the file is AI-generated or manipulated, "
         "combining all checks.</dd>"
         "<dt>Probability (per check)</dt><dd>The same chance as estimated from one check alone, calibrated on test "
         "pictures.</dd>"
         "<dt>Map (heatmap)</dt><dd>A colour layer over the picture: the redder an area, the more a check thinks it "
         "was altered.</dd>"
         "<dt>Content Credentials (C2PA)</dt><dd>A signed record attached to a file by a camera, an editor or an AI "
         "tool, saying how it was made. A valid signature shows the record is intact, not that it is true.</dd>"
         "<dt>Trust list</dt><dd>The certificates of organisations whose signatures are accepted as known.</dd>"
         "<dt>Watermark</dt><dd>An invisible pattern hidden in the pixels that a program can find again.</dd>"
         "<dt>Metadata</dt><dd>Information stored with the picture: camera, software, date, settings. Easy to edit "
         "or remove.</dd>"
         "<dt>Generator</dt><dd>The AI tool that made the picture, when the evidence names one.</dd>"
         "</dl></section>";
}

}  // namespace

std::string detect_html(const std::vector<FileReport>& reports, const HtmlOptions& o) {
  std::string s;
  s.reserve(64 * 1024);
  s += "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src "
       "'unsafe-inline'\">"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"generator\" "
       "content=\"veritrace\"><title>";
  s += esc(o.title) + "</title><style>" + detail::report_css() + "</style></head><body><div class=\"page\">";
  s += "<header class=\"doc\"><h1>" + esc(o.title) + "</h1><p class=\"sub\">";
  std::string sub = fmt::format("{} file{} checked", reports.size(), reports.size() == 1 ? "" : "s");
  if (!o.generated_at.empty()) sub += " \u00B7 generated " + esc(o.generated_at);
  if (!o.tool_version.empty()) sub += " \u00B7 " + esc(o.tool_version);
  s += sub + "</p></header>";
  // One set of thresholds for every file (then the legend states it), or several.
  HtmlOptions legend = o;
  bool mixed = false, first = true;
  for (const auto& r : reports) {
    if (r.error || !r.thresholds) continue;
    if (first) legend.thresholds = *r.thresholds;
    else if (r.thresholds->threshold != legend.thresholds.threshold || r.thresholds->unsure_band != legend.thresholds.unsure_band)
      mixed = true;
    first = false;
  }
  s += howto(legend, mixed);
  const bool batch = reports.size() > 1;
  if (batch) s += summary_table(reports);
  if (reports.empty()) s += "<section class=\"card\"><p>No file was checked.</p></section>";
  size_t images_used = 0;
  for (size_t i = 0; i < reports.size(); ++i) {
    bool images_left = images_used < o.max_image_files;
    const auto& r = reports[i];
    const bool has_pixels = !r.error && (!r.preview_jpeg.empty() || !r.heatmap.empty());
    s += file_section(r, i, batch, o, images_left);
    if (has_pixels && images_left) ++images_used;
  }
  s += glossary();
  s += "<footer class=\"doc\">Made by Veritrace" + (o.tool_version.empty() ? std::string() : " (" + esc(o.tool_version) + ")") +
       (o.generated_at.empty() ? std::string() : ", " + esc(o.generated_at)) +
       ". This file is self-contained: it loads nothing from the network and runs no scripts.</footer>";
  s += "</div></body></html>\n";
  return s;
}

}  // namespace veritrace::report
