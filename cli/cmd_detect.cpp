// `veritrace detect PATH...`: is each file real, AI-generated or manipulated, and why?
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <map>
#include <set>

#include "commands.hpp"
#include "core/atomic_file.hpp"
#include "input_paths.hpp"
#include "veritrace/detect.hpp"
#include "veritrace/report_detect.hpp"

namespace veritrace::cli {

namespace {

struct DetectArgs {
  double video_fps = 15.0, max_video_s = 0.0;
  std::string live;
  double live_window = 2.0, live_history = 10.0;
  std::vector<std::string> paths;
  bool json = false, jsonl = false, verbose = false, list = false, no_repo = false, no_trust_check = false;
  std::string heatmaps, html, detectors, db;
  std::vector<std::string> trust, models;
  std::optional<double> threshold, unsure_band;
  unsigned threads = 0;
};

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    std::string item = s.substr(start, comma - start);
    if (!item.empty()) out.push_back(item);
    start = comma + 1;
  }
  return out;
}

int file_exit_code(const detect::FileReport& r) {
  if (r.error) {
    if (r.error_kind == error_kind_name(ErrorKind::Internal)) return static_cast<int>(ExitCode::Internal);
    return static_cast<int>(ExitCode::BadInput);
  }
  return r.verdict == detect::Verdict::Synthetic || r.verdict == detect::Verdict::Manipulated
             ? static_cast<int>(ExitCode::CheckFailed)
             : static_cast<int>(ExitCode::Ok);
}

// Unique heatmap names within DIR: <stem>.heatmap.png, then <stem>-2.heatmap.png, ...
class HeatmapNamer {
 public:
  explicit HeatmapNamer(std::string dir) : dir_(std::move(dir)) {}
  std::string next(const std::string& input) {
    std::string stem = input == "-" ? "stdin" : std::filesystem::path(input).stem().string();
    if (stem.empty()) stem = "image";
    std::string name = stem + ".heatmap.png";
    for (int k = 2; used_.count(name) || std::filesystem::exists(std::filesystem::path(dir_) / name); ++k)
      name = fmt::format("{}-{}.heatmap.png", stem, k);
    used_.insert(name);
    return (std::filesystem::path(dir_) / name).string();
  }

 private:
  std::string dir_;
  std::set<std::string> used_;
};

std::vector<uint8_t> read_stdin(uint64_t limit) {
  std::vector<uint8_t> bytes;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0) throw Error(ErrorKind::Io, "-: cannot read standard input");
    if (n == 0) break;
    bytes.insert(bytes.end(), buf, buf + n);
    if (bytes.size() > limit) throw Error(ErrorKind::Unsupported, fmt::format("-: input over the {} byte limit", limit));
  }
  if (bytes.empty()) throw Error(ErrorKind::Malformed, "-: empty input (0 bytes)");
  return bytes;
}

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

class Progress {
 public:
  Progress(size_t total, bool on) : total_(total), on_(on && total > 1) {}
  void tick() {
    if (!on_) return;
    ++done_;
    const int width = 30;
    const int filled = static_cast<int>(width * done_ / total_);
    std::cerr << "\r[" << std::string(filled, '#') << std::string(width - filled, '.') << "] " << done_ << "/" << total_
              << std::flush;
    if (done_ == total_) std::cerr << "\r" << std::string(width + 30, ' ') << "\r" << std::flush;
  }

 private:
  size_t total_, done_ = 0;
  bool on_;
};

// The engine's options from the flags (detectors, models, thresholds, video sampling, trust).
detect::EngineOptions engine_options(const DetectArgs& args) {
  detect::EngineOptions options;
  options.detectors = split_list(args.detectors);
  options.model_files = args.models;
  options.threshold = args.threshold;
  options.unsure_band = args.unsure_band;
  options.video_fps = args.video_fps;
  options.max_video_s = args.max_video_s;
  options.max_audio_s = args.max_video_s;
  options.trust_anchor_files = args.trust;
  options.no_trust_check = args.no_trust_check;
  options.use_repository = !args.no_repo;
  options.repository_path = args.db;
  return options;
}

// --live: a rolling verdict per window of the stream, one line (or one JSON line) each.
int run_live(const DetectArgs& args) {
  if (!args.paths.empty() || args.json || !args.html.empty() || !args.heatmaps.empty()) {
    std::cerr << "veritrace: --live takes no PATH and prints text or --jsonl (no --json, --html or --heatmaps)\n";
    return static_cast<int>(ExitCode::Usage);
  }
  detect::EngineOptions options = engine_options(args);
  options.keep_heatmaps = false;
  const detect::Engine engine(options);
  int worst = 0;
  try {
    engine.analyze_live({args.live}, {args.live_window, args.live_history}, [&](detect::FileReport&& r, bool final) {
      if (r.verdict == detect::Verdict::Synthetic || r.verdict == detect::Verdict::Manipulated)
        worst = std::max(worst, static_cast<int>(ExitCode::CheckFailed));
      if (args.jsonl) {
        std::cout << detect::to_json(r).dump() << "\n" << std::flush;
        return;
      }
      const auto& lv = r.video["live"];
      std::string detail;
      for (const auto& d : r.detectors) {
        if (!detail.empty()) detail += "; ";
        detail += d.name + (d.status == detect::Status::Applied ? fmt::format(" {:.2f}", d.score.value_or(0.0))
                                                                 : " n/a (" + d.reason + ")");
      }
      std::cout << fmt::format("[{:7.1f} -{:7.1f} s]{} {} {} | faces {} | lag {:.1f} s | {}\n", lv.value("window_start_s", 0.0),
                               lv.value("window_end_s", 0.0), final ? " final" : "", detect::verdict_name(r.verdict),
                               r.score ? fmt::format("{:.2f}", *r.score) : "-", r.video.value("face_tracks", 0),
                               lv.value("lag_s", 0.0), detail)
                << std::flush;
    });
  } catch (const Error& e) {
    std::cerr << "veritrace: " << e.what() << "\n";
    return static_cast<int>(exit_code_for(e.kind()));
  }
  return worst;
}

int run_detect(const DetectArgs& args) {
  if (args.list) {
    for (const auto& d : detect::builtin_detectors())
      std::cout << fmt::format("{:<12} {}{}\n", d.name, d.description, d.enabled_by_default ? "" : " (off by default)");
    return 0;
  }
  if (!args.live.empty()) return run_live(args);
  if (args.paths.empty()) {
    std::cerr << "veritrace: detect needs at least one PATH (a file, a folder, or - for standard input)\n";
    return static_cast<int>(ExitCode::Usage);
  }
  if (args.json && args.jsonl) {
    std::cerr << "veritrace: --json and --jsonl exclude each other\n";
    return static_cast<int>(ExitCode::Usage);
  }
  if (args.no_trust_check && !args.trust.empty()) {
    std::cerr << "veritrace: --trust and --no-trust-check exclude each other\n";
    return static_cast<int>(ExitCode::Usage);
  }
  if (!args.heatmaps.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(args.heatmaps, ec);
    if (!std::filesystem::is_directory(args.heatmaps, ec) || ::access(args.heatmaps.c_str(), W_OK) != 0) {
      std::cerr << "veritrace: --heatmaps " << args.heatmaps << ": not a writable folder\n";
      return static_cast<int>(ExitCode::OutputFailed);
    }
  }
  detect::EngineOptions options = engine_options(args);
  const bool want_html = !args.html.empty();
  options.keep_heatmaps = want_html || !args.heatmaps.empty();
  const detect::Engine engine(options);  // Usage errors (unknown detector, bad threshold) end here

  const std::vector<std::string> files = expand_inputs(args.paths);
  const report::TextStyle style{static_cast<bool>(::isatty(STDOUT_FILENO)), args.verbose};
  Progress progress(files.size(), ::isatty(STDERR_FILENO) && !args.jsonl);
  HeatmapNamer namer(args.heatmaps);
  std::vector<std::optional<detect::FileReport>> pending(files.size());
  std::vector<detect::FileReport> html_reports;
  size_t json_written = 0;  // --json streams the array in argument order: memory stays flat
  size_t next_out = 0;
  int code = 0;

  // Called once per file, one call at a time: heatmap written, report emitted (in argument order,
  // except --jsonl which streams in completion order).
  auto finish = [&](size_t i, detect::FileReport&& r) {
    progress.tick();
    if (!r.error && !args.heatmaps.empty() && !r.heatmap.empty()) {
      const std::string path = namer.next(files[i]);
      try {
        write_file_atomically(path, detect::heatmap_png(r.heatmap, r.width, r.height));
        r.heatmap_path = path;
      } catch (const Error& e) {
        std::cerr << "veritrace: " << e.what() << "\n";
        code = worst(code, static_cast<int>(ExitCode::OutputFailed));
      }
    }
    code = worst(code, file_exit_code(r));
    // Memory stays bounded on long batches: the HTML shows pictures for its first files only.
    if (!want_html || html_reports.size() >= report::HtmlOptions{}.max_image_files) {
      r.preview_jpeg.clear();
      r.preview_jpeg.shrink_to_fit();
      r.heatmap = detect::Heatmap{};
      for (auto& d : r.detectors) d.evidence.heatmap = detect::Heatmap{};
    }
    if (r.error) std::cerr << "veritrace: " << report::detect_text(r, {});
    if (args.jsonl) {
      std::cout << detect::to_json(r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n" << std::flush;
      if (want_html) html_reports.push_back(std::move(r));
      return;
    }
    pending[i] = std::move(r);
    while (next_out < pending.size() && pending[next_out]) {
      detect::FileReport& done = *pending[next_out];
      if (args.json) {
        // One file: the object alone; several: an array, written element by element.
        const std::string text = detect::to_json(done).dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
        if (files.size() == 1) {
          std::cout << text << "\n";
        } else {
          std::string indented;
          for (size_t p = 0, nl; p < text.size(); p = nl + 1) {
            nl = text.find('\n', p);
            if (nl == std::string::npos) nl = text.size();
            indented += "  " + text.substr(p, nl - p) + (nl < text.size() ? "\n" : "");
          }
          std::cout << (json_written == 0 ? "[\n" : ",\n") << indented;
        }
        ++json_written;
      } else if (!done.error) {
        std::cout << report::detect_text(done, style) << std::flush;
      }
      if (want_html) {
        html_reports.push_back(std::move(done));
      }
      pending[next_out].reset();
      ++next_out;
    }
  };

  std::vector<std::string> on_disk;
  std::vector<size_t> on_disk_index;
  for (size_t i = 0; i < files.size(); ++i) {
    std::error_code ec;
    if (files[i] == "-") {
      detect::FileReport r;
      try {
        r = engine.analyze_bytes(read_stdin(media::kMaxEncodedBytes), "-", want_html);
      } catch (const Error& e) {
        r.path = "-";
        r.error = e.what();
        r.error_kind = error_kind_name(e.kind());
      }
      finish(i, std::move(r));
    } else if (std::filesystem::is_directory(files[i], ec)) {
      detect::FileReport r;
      r.path = files[i];
      r.error = files[i] + ": the folder holds no media files";
      r.error_kind = error_kind_name(ErrorKind::Io);
      finish(i, std::move(r));
    } else {
      on_disk.push_back(files[i]);
      on_disk_index.push_back(i);
    }
  }
  engine.analyze_many(on_disk, args.threads,
                      [&](size_t k, detect::FileReport&& r) { finish(on_disk_index[k], std::move(r)); }, want_html);

  if (args.json && files.size() != 1) std::cout << (json_written == 0 ? "[]\n" : "\n]\n");
  if (want_html) {
    report::HtmlOptions html;
    html.generated_at = now_utc();
    html.tool_version = "veritrace 0.1.0";
    html.thresholds = engine.thresholds();
    const std::string page = report::detect_html(html_reports, html);
    try {
      write_file_atomically(args.html, std::span(reinterpret_cast<const uint8_t*>(page.data()), page.size()));
      if (!args.json && !args.jsonl) std::cerr << "veritrace: HTML report written to " << args.html << "\n";
    } catch (const Error& e) {
      std::cerr << "veritrace: " << e.what() << "\n";
      code = worst(code, static_cast<int>(ExitCode::OutputFailed));
    }
  }
  std::cout.flush();
  if (!std::cout) {
    std::cerr << "veritrace: cannot write the report to standard output\n";
    code = worst(code, static_cast<int>(ExitCode::OutputFailed));
  }
  return code;
}

}  // namespace

void add_detect_command(CLI::App& app, Action& run) {
  auto a = std::make_shared<DetectArgs>();
  CLI::App* cmd = app.add_subcommand(
      "detect", "Is each file real, AI-generated or manipulated, and why? (provenance, metadata, pixel forensics)");
  cmd->add_option("PATH", a->paths, "Files or folders (walked recursively, sorted); - reads standard input");
  cmd->add_flag("--json", a->json, "JSON output: one object for one file, an array in argument order for several");
  cmd->add_flag("--jsonl", a->jsonl, "One JSON line per file as it finishes (long batches)");
  cmd->add_option("--heatmaps", a->heatmaps, "Write an 8-bit grey PNG heatmap per localised image into DIR");
  cmd->add_option("--html", a->html, "Write a self-contained HTML report to FILE");
  cmd->add_option("--detectors", a->detectors, "Comma-separated detector names (see --list-detectors)");
  cmd->add_flag("--list-detectors", a->list, "List the detectors and exit");
  cmd->add_option("--live", a->live,
                  "Screen a live video: - (a pipe), a file still being written, or an rtsp/udp/tcp/http(s)/srt URL; "
                  "prints a rolling verdict per window")
      ->type_name("SOURCE");
  cmd->add_option("--window", a->live_window, "--live: seconds of stream between verdicts")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  cmd->add_option("--history", a->live_history, "--live: seconds of stream each verdict looks back on")
      ->check(CLI::Range(1.0, 3600.0))
      ->capture_default_str();
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
  cmd->add_option("--unsure-band", a->unsure_band, "Half-width of the unsure band around the threshold");
  cmd->add_option("--trust", a->trust, "C2PA trust anchors (PEM, repeatable)")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_flag("--no-trust-check", a->no_trust_check, "C2PA: check signatures and hashes, not trust");
  cmd->add_option("--db", a->db, "Manifest repository for recovering stripped credentials");
  cmd->add_flag("--no-repo", a->no_repo, "Do not look credentials up in the manifest repository");
  cmd->add_option("--threads", a->threads, "Files analysed at once (default: one per core)");
  cmd->add_flag("-v,--verbose", a->verbose, "List every detector, also those that did not apply");
  cmd->callback([a, &run] { run = [a] { return run_detect(*a); }; });
}

}  // namespace veritrace::cli
