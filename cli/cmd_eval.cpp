// `veritrace eval LABELS.tsv...`: the engine over labelled sets, with one fixed set of figures
// (docs/evaluation.md): ROC AUC with a bootstrap 95% interval, detection and false-positive rates at
// the shipped threshold, calibration, per-group tables, per-detector AUCs and, where masks exist,
// pixel-level AUC and F1.
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "commands.hpp"
#include "core/atomic_file.hpp"
#include "veritrace/detect.hpp"
#include "veritrace/evaluate.hpp"

namespace veritrace::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct EvalArgs {
  double video_fps = 15.0, max_video_s = 0.0;
  std::vector<std::string> tsvs, models;
  std::string group_by, plots, detectors, scores_out;
  bool normalize = false, json_out = false;
  std::optional<double> threshold, unsure_band;
  unsigned threads = 0;
  size_t bootstrap = 2000;
  std::optional<double> pixel_threshold;
};

struct LabelRow {
  std::string file;  // resolved against the TSV's folder
  int label = 0;
  std::string mask;  // resolved, or empty
  std::map<std::string, std::string> columns;
};

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, '\t')) out.push_back(cell);
  if (!line.empty() && line.back() == '\t') out.emplace_back();
  return out;
}

std::optional<int> parse_label(std::string v) {
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  if (v == "fake" || v == "synthetic" || v == "tampered" || v == "manipulated" || v == "spoof" || v == "1") return 1;
  if (v == "real" || v == "authentic" || v == "bonafide" || v == "bona-fide" || v == "0") return 0;
  return std::nullopt;
}

std::vector<LabelRow> read_labels(const std::string& tsv) {
  std::ifstream in(tsv);
  if (!in) throw Error(ErrorKind::Io, tsv + ": cannot open the labels file");
  std::string line;
  if (!std::getline(in, line)) throw Error(ErrorKind::Malformed, tsv + ": empty labels file");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const std::vector<std::string> header = split_tabs(line);
  auto col = [&](const char* name) -> int {
    auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  };
  const int file_col = col("file"), label_col = col("label"), mask_col = col("mask");
  if (file_col < 0 || label_col < 0) throw Error(ErrorKind::Malformed, tsv + ": needs 'file' and 'label' columns");
  const fs::path base = fs::path(tsv).parent_path();
  std::vector<LabelRow> rows;
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto cells = split_tabs(line);
    if (static_cast<int>(cells.size()) <= std::max(file_col, label_col))
      throw Error(ErrorKind::Malformed, fmt::format("{}:{}: too few columns", tsv, line_no));
    LabelRow r;
    r.file = (base / cells[file_col]).string();
    const auto label = parse_label(cells[label_col]);
    if (!label) throw Error(ErrorKind::Malformed, fmt::format("{}:{}: unknown label '{}'", tsv, line_no, cells[label_col]));
    r.label = *label;
    if (mask_col >= 0 && mask_col < static_cast<int>(cells.size()) && !cells[mask_col].empty() && cells[mask_col] != "-")
      r.mask = (base / cells[mask_col]).string();
    for (size_t c = 0; c < header.size() && c < cells.size(); ++c) r.columns[header[c]] = cells[c];
    rows.push_back(std::move(r));
  }
  return rows;
}

json interval_json(const std::optional<evaluate::Interval>& ci) {
  return ci ? json::array({ci->lower, ci->upper}) : json(nullptr);
}
json opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json group_json(const evaluate::GroupMetrics& g) {
  return {{"group", g.group.empty() ? json(nullptr) : json(g.group)},
          {"n", g.n},
          {"positives", g.positives},
          {"negatives", g.negatives},
          {"auc", opt(g.auc)},
          {"auc_ci95", interval_json(g.auc_ci)},
          {"eer", g.eer ? json(g.eer->eer) : json(nullptr)},
          {"auc_against", g.against_all_other_class ? "all files of the other class" : "the group"},
          {"tpr", opt(g.rates.tpr)},
          {"tpr_ci95", interval_json(g.tpr_ci)},
          {"fpr", opt(g.rates.fpr)},
          {"fpr_ci95", interval_json(g.fpr_ci)},
          {"ece", opt(g.ece)},
          {"brier", opt(g.brier)}};
}

std::string fmt_opt(const std::optional<double>& v, const char* f = "{:.3f}") {
  return v ? fmt::format(fmt::runtime(f), *v) : std::string("-");
}
std::string fmt_ci(const std::optional<evaluate::Interval>& ci) {
  return ci ? fmt::format("[{:.3f}, {:.3f}]", ci->lower, ci->upper) : std::string("");
}

std::string group_line(const evaluate::GroupMetrics& g, const std::string& name) {
  // A one-class group's AUC and EER are against every file of the other class (marked *).
  const std::string mark = g.against_all_other_class ? "*" : " ";
  return fmt::format("  {:<22} n={:<4} AUC{}{:<6}{:<17} EER {:<6} TPR {:<6}{:<17} FPR {:<6}{:<17} ECE {}\n", name, g.n, mark,
                     fmt_opt(g.auc), fmt_ci(g.auc_ci), fmt_opt(g.eer ? std::optional<double>(g.eer->eer) : std::nullopt),
                     fmt_opt(g.rates.tpr), fmt_ci(g.tpr_ci), fmt_opt(g.rates.fpr), fmt_ci(g.fpr_ci), fmt_opt(g.ece));
}

json pixel_json(const evaluate::PixelSummary& p) {
  return {{"images", p.images},
          {"pooled_auc", opt(p.pooled_auc)},
          {"mean_image_auc", opt(p.mean_image_auc)},
          {"pooled_f1", opt(p.pooled.f1())},
          {"mean_image_f1", opt(p.mean_image_f1)},
          {"pooled_iou", opt(p.pooled.iou())}};
}

std::string safe_name(std::string s) {
  for (auto& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
  return s;
}

int run_eval(const EvalArgs& args) {
  detect::EngineOptions options;
  for (size_t start = 0; start <= args.detectors.size();) {
    size_t comma = args.detectors.find(',', start);
    if (comma == std::string::npos) comma = args.detectors.size();
    if (comma > start) options.detectors.push_back(args.detectors.substr(start, comma - start));
    start = comma + 1;
  }
  options.model_files = args.models;
  options.threshold = args.threshold;
  options.video_fps = args.video_fps;
  options.max_video_s = args.max_video_s;
  options.max_audio_s = args.max_video_s;
  options.unsure_band = args.unsure_band;
  options.normalize = args.normalize;
  options.use_repository = false;  // evaluation sees the files alone
  options.keep_heatmaps = true;
  const detect::Engine engine(options);
  const double flag_threshold = engine.thresholds().threshold + engine.thresholds().unsure_band;
  const double pixel_threshold = args.pixel_threshold.value_or(engine.thresholds().pixel_threshold);
  if (!args.plots.empty()) {
    std::error_code ec;
    fs::create_directories(args.plots, ec);
    if (!fs::is_directory(args.plots, ec)) {
      std::cerr << "veritrace: --plots " << args.plots << ": cannot create the folder\n";
      return static_cast<int>(ExitCode::OutputFailed);
    }
  }
  std::unique_ptr<AtomicOutput> scores_out;
  if (!args.scores_out.empty()) scores_out = std::make_unique<AtomicOutput>(args.scores_out);

  int code = 0;
  json sets = json::array();
  const bool color = ::isatty(STDOUT_FILENO);
  (void)color;
  for (const auto& tsv : args.tsvs) {
    std::vector<LabelRow> rows;
    try {
      rows = read_labels(tsv);
    } catch (const Error& e) {
      std::cerr << "veritrace: " << e.what() << "\n";
      code = worst(code, static_cast<int>(exit_code_for(e.kind())));
      continue;
    }
    if (!args.group_by.empty() && !rows.empty() && !rows[0].columns.count(args.group_by))
      std::cerr << "veritrace: " << tsv << ": no column '" << args.group_by << "': its files form one group, '-'\n";
    std::vector<std::string> paths;
    for (const auto& r : rows) paths.push_back(r.file);

    std::vector<evaluate::Row> fused_rows;
    std::map<std::string, std::pair<std::vector<double>, std::vector<int>>> per_detector;
    std::vector<double> flagged_scores;
    std::vector<int> flagged_labels;
    evaluate::PixelAccumulator pixels({.bins = 1024, .threshold = pixel_threshold});
    std::map<std::string, evaluate::PixelAccumulator> detector_pixels;
    size_t unreadable = 0, no_score = 0, masks = 0;
    // The flag threshold the set's verdicts were read with (pictures, videos and sound each have
    // their own fusion model); the engine's when the set mixes them.
    std::optional<double> set_flag;
    bool mixed_flags = false;
    std::string set_name = fs::path(tsv).parent_path().filename().string();
    if (set_name.empty()) set_name = tsv;

    engine.analyze_many(paths, args.threads, [&](size_t i, detect::FileReport&& r) {
      const LabelRow& row = rows[i];
      if (r.error) {
        ++unreadable;
        std::cerr << "veritrace: " << r.path << ": " << *r.error << "\n";
        code = worst(code, static_cast<int>(ExitCode::BadInput));
        return;
      }
      json line = {{"set", set_name}, {"file", row.file}, {"label", row.label}, {"verdict", detect::verdict_name(r.verdict)},
                   {"score", r.score ? json(*r.score) : json(nullptr)}, {"columns", row.columns}};
      json dets = json::object();
      for (const auto& d : r.detectors) {
        dets[d.name] = {{"status", detect::status_name(d.status)}, {"score", opt(d.score)}, {"probability", opt(d.probability)},
                        {"decision", d.decision == detect::Decision::None ? json(nullptr) : json(d.decision == detect::Decision::Synthetic ? "synthetic" : "manipulated")}};
        if (d.status == detect::Status::Applied && d.score) {
          auto& [s, y] = per_detector[d.name];
          s.push_back(*d.score);
          y.push_back(row.label);
        }
      }
      line["detectors"] = dets;
      if (scores_out) {
        const std::string text = line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
        scores_out->write(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
      }
      if (r.thresholds) {
        const double f = r.thresholds->threshold + r.thresholds->unsure_band;
        if (!set_flag) set_flag = f;
        else if (*set_flag != f) mixed_flags = true;
      }
      if (!r.score) {
        ++no_score;
      } else {
        const std::string group = args.group_by.empty() ? "" : row.columns.count(args.group_by) ? row.columns.at(args.group_by) : "-";
        fused_rows.push_back({*r.score, row.label, group});
        const bool flagged = r.verdict == detect::Verdict::Synthetic || r.verdict == detect::Verdict::Manipulated;
        flagged_scores.push_back(flagged ? 1.0 : 0.0);
        flagged_labels.push_back(row.label);
      }
      if (!row.mask.empty()) {
        try {
          media::DecodeOptions gray;
          const media::Image mask = media::decode_image_file(row.mask, gray);
          std::vector<uint8_t> m(static_cast<size_t>(mask.width) * mask.height);
          for (size_t p = 0; p < m.size(); ++p) m[p] = mask.pixels[p * mask.channels];
          ++masks;
          if (r.heatmap.empty()) {
            pixels.add_uniform(0.0f, m, mask.width, mask.height);
          } else {
            pixels.add(r.heatmap.values, r.heatmap.width, r.heatmap.height, m, mask.width, mask.height);
          }
          for (const auto& d : r.detectors) {
            if (!d.evidence.heatmap.empty() || d.status == detect::Status::Applied) {
              auto [it, _] = detector_pixels.try_emplace(d.name, evaluate::PixelOptions{.bins = 1024, .threshold = pixel_threshold});
              if (d.evidence.heatmap.empty()) continue;
              it->second.add(d.evidence.heatmap.values, d.evidence.heatmap.width, d.evidence.heatmap.height, m, mask.width, mask.height);
            }
          }
        } catch (const Error& e) {
          std::cerr << "veritrace: mask " << row.mask << ": " << e.what() << "\n";
          code = worst(code, static_cast<int>(ExitCode::BadInput));
        }
      }
    });

    evaluate::GroupedOptions gopts;
    const double set_flag_threshold = set_flag && !mixed_flags ? *set_flag : flag_threshold;
    gopts.threshold = set_flag_threshold;
    gopts.bootstrap.replicates = args.bootstrap;
    const evaluate::GroupedResult result = evaluate::grouped_metrics(fused_rows, gopts);
    // Rates of the verdict itself (rules included): flagged = synthetic or manipulated.
    const evaluate::Rates flagged = evaluate::rates_at(flagged_scores, flagged_labels, 0.5);

    json set = {{"labels", tsv}, {"set", set_name}, {"files", rows.size()}, {"unreadable", unreadable},
                {"without_score", no_score}, {"normalized", args.normalize}, {"overall", group_json(result.overall)},
                {"flagged_tpr", opt(flagged.tpr)}, {"flagged_fpr", opt(flagged.fpr)}};
    set["flagged_tpr_ci95"] = interval_json(evaluate::wilson_interval(flagged.tp, flagged.tp + flagged.fn));
    set["flagged_fpr_ci95"] = interval_json(evaluate::wilson_interval(flagged.fp, flagged.fp + flagged.tn));
    json groups = json::array();
    for (const auto& g : result.groups) groups.push_back(group_json(g));
    if (!args.group_by.empty()) set["groups"] = groups;
    json detectors = json::object();
    for (const auto& [name, sy] : per_detector) {
      const auto auc = evaluate::roc_auc(sy.first, sy.second);
      detectors[name] = {{"n", sy.first.size()}, {"auc", opt(auc)},
                         {"auc_ci95", interval_json(evaluate::auc_ci(sy.first, sy.second, {.replicates = args.bootstrap}))}};
    }
    set["detectors"] = detectors;
    if (masks > 0) {
      set["pixel"] = pixel_json(pixels.summary());
      json dp = json::object();
      for (const auto& [name, acc] : detector_pixels)
        if (acc.summary().images > 0) dp[name] = pixel_json(acc.summary());
      set["pixel_by_detector"] = dp;
    }

    if (!args.plots.empty()) {
      std::vector<double> s;
      std::vector<int> y;
      for (const auto& r : fused_rows) s.push_back(r.score), y.push_back(r.label);
      std::vector<evaluate::RocSeries> curves{{"fused", evaluate::roc_curve(s, y), result.overall.auc}};
      for (const auto& [name, sy] : per_detector)
        curves.push_back({name, evaluate::roc_curve(sy.first, sy.second), evaluate::roc_auc(sy.first, sy.second)});
      const std::string base = (fs::path(args.plots) / safe_name(set_name)).string();
      try {
        const std::string roc = evaluate::roc_svg(curves, {.title = "ROC: " + set_name});
        write_file_atomically(base + ".roc.svg", std::span(reinterpret_cast<const uint8_t*>(roc.data()), roc.size()));
        const std::string rel = evaluate::reliability_svg(evaluate::reliability_bins(s, y), {.title = "Reliability: " + set_name},
                                                          result.overall.ece);
        write_file_atomically(base + ".reliability.svg", std::span(reinterpret_cast<const uint8_t*>(rel.data()), rel.size()));
      } catch (const Error& e) {
        std::cerr << "veritrace: " << e.what() << "\n";
        code = worst(code, static_cast<int>(ExitCode::OutputFailed));
      }
    }

    if (!args.json_out) {
      std::string out = fmt::format("{} ({} files{}{}; flagged = synthetic/manipulated verdict, score >= {:.2f} or a provenance rule)\n",
                                    tsv, rows.size(), args.normalize ? ", normalised" : "",
                                    unreadable ? fmt::format(", {} unreadable", unreadable) : "", set_flag_threshold);
      out += group_line(result.overall, "all (fused score)");
      out += fmt::format("  {:<22} detection rate {} {}  false-positive rate {} {}\n", "verdict", fmt_opt(flagged.tpr),
                         fmt_ci(evaluate::wilson_interval(flagged.tp, flagged.tp + flagged.fn)), fmt_opt(flagged.fpr),
                         fmt_ci(evaluate::wilson_interval(flagged.fp, flagged.fp + flagged.tn)));
      bool one_class_groups = false;
      for (const auto& g : result.groups)
        if (!args.group_by.empty()) {
          out += group_line(g, args.group_by + "=" + g.group);
          one_class_groups = one_class_groups || g.against_all_other_class;
        }
      if (one_class_groups) out += "  (* a group of one class only: AUC and EER against every file of the other class)\n";
      for (const auto& [name, d] : detectors.items())
        out += fmt::format("  detector {:<13} n={:<4} AUC {} {}\n", name, d["n"].get<size_t>(),
                           d["auc"].is_null() ? "-" : fmt::format("{:.3f}", d["auc"].get<double>()),
                           d["auc_ci95"].is_null() ? "" : fmt::format("[{:.3f}, {:.3f}]", d["auc_ci95"][0].get<double>(), d["auc_ci95"][1].get<double>()));
      if (set.contains("pixel")) {
        auto pl = [](const json& p) {
          auto f = [&](const char* k) { return p[k].is_null() ? std::string("-") : fmt::format("{:.3f}", p[k].get<double>()); };
          return fmt::format("pixel AUC {} (mean per image {}), F1 {} (mean per image {}), {} images", f("pooled_auc"),
                             f("mean_image_auc"), f("pooled_f1"), f("mean_image_f1"), p["images"].get<size_t>());
        };
        out += "  fused heatmap: " + pl(set["pixel"]) + "\n";
        for (const auto& [name, p] : set["pixel_by_detector"].items()) out += fmt::format("  heatmap {:<14} {}\n", name, pl(p));
      }
      std::cout << out << "\n" << std::flush;
    }
    sets.push_back(std::move(set));
  }
  if (scores_out) scores_out->commit();
  if (args.json_out) {
    json out = {{"schema_version", "veritrace.eval/1"},
                {"threshold", engine.thresholds().threshold},
                {"unsure_band", engine.thresholds().unsure_band},
                {"sets", sets}};
    std::cout << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  }
  return code;
}

}  // namespace

void add_eval_command(CLI::App& app, Action& run) {
  auto a = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "Evaluate the detectors on labelled sets (labels.tsv: file, label[, mask, ...])");
  cmd->add_option("LABELS", a->tsvs, "labels.tsv files (columns file, label real|fake, optional mask)")->required();
  cmd->add_option("--group-by", a->group_by, "Also report per value of this column (e.g. generator, kind)");
  cmd->add_flag("--normalize", a->normalize, "Decode, strip metadata and re-encode every file alike (PNG) before detecting");
  cmd->add_option("--plots", a->plots, "Write ROC and reliability diagrams (SVG) into DIR");
  cmd->add_flag("--json", a->json_out, "JSON output (schema veritrace.eval/1)");
  cmd->add_option("--detectors", a->detectors, "Comma-separated detector names");
  cmd->add_option("--fps", a->video_fps, "Video: frames analysed per second (faces, pulse; 0 = every frame)")
      ->check(CLI::Range(0.0, 240.0))
      ->capture_default_str();
  cmd->add_option("--max-seconds", a->max_video_s, "Video and audio: analyse at most this many seconds from the start (0 = all)")
      ->check(CLI::Range(0.0, 1e7));
  cmd->add_option("--model", a->models, "An extra learned detector: FILE.onnx with its sidecar FILE.json (repeatable; docs/models.md)")
      ->type_name("FILE.onnx")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--threshold", a->threshold, "Fused-score threshold (default: the shipped one)");
  cmd->add_option("--unsure-band", a->unsure_band, "Half-width of the unsure band");
  cmd->add_option("--pixel-threshold", a->pixel_threshold, "Heatmap value at or above which a pixel counts as tampered (F1; default: the shipped one)");
  cmd->add_option("--scores", a->scores_out, "Write every file's fused and per-detector scores as JSON lines (for fitting)");
  cmd->add_option("--bootstrap", a->bootstrap, "Bootstrap replicates for confidence intervals (default 2000)");
  cmd->add_option("--threads", a->threads, "Files analysed at once (default: one per core)");
  cmd->callback([a, &run] { run = [a] { return run_eval(*a); }; });
}

}  // namespace veritrace::cli
