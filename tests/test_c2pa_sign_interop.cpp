// Interop tests for `veritrace c2pa sign`: files we sign are read by the reference, c2pa-rs 0.90.1
// (../shared/tools/c2pa-ref/read.mjs), and a file the reference signed is signed again by us.
//
// Every file is signed once, in SetUpTestSuite, through the CLI; the reference reads (node, about
// 0.2 s each) then run a few at a time in parallel. The individual tests only look at the results.
//
//   * 4 formats (JPEG, PNG, WAV, MP4) x 7 algorithms: Valid with --no-trust-check, Trusted with
//     --trust root.pem, no failure codes; actions, digitalSourceType, claim_generator_info, title and
//     signature algorithm as written (and the same actions as our own reader reports).
//   * --parent, per format: the parentOf ingredient (title, format, active_manifest) as written.
//   * --sidecar, per format: the reference validates the unchanged asset against our .c2pa.
//   * chain: reference-signed JPEG (with and without its thumbnail) signed again by us, with
//     --parent and with the credentials kept automatically: Trusted, both manifests present.
//   * claim version 1 on JPEG.
// Skipped, with a message, when ../shared or node >= 20 is absent.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/test_support.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using vt_test::shell_quote;

namespace {

const std::vector<std::string> kFormats = {"jpg", "png", "wav", "mp4"};
const std::vector<std::string> kAlgs = {"es256", "es384", "es512", "ps256", "ps384", "ps512", "ed25519"};
const char* kIptc = "http://cv.iptc.org/newscodes/digitalsourcetype/";

std::string source_name(const std::string& fmt) {
  if (fmt == "jpg") return "src640.jpg";
  if (fmt == "png") return "src640.png";
  if (fmt == "wav") return "src1s.wav";
  return "src2s.mp4";
}

// c2pa-rs's spelling of an algorithm in signature_info.alg.
std::string ref_alg_name(const std::string& alg) {
  if (alg == "ed25519") return "Ed25519";
  std::string s = alg;
  s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

// One reference (or our) read of a file.
struct Read {
  int exit_code = -1;
  json report;  // null when stdout was not JSON
  std::string err;
};

// One signed file and everything read from it.
struct Case {
  std::string sign_args;   // after "veritrace c2pa sign"
  fs::path out;
  std::string read_extra;  // e.g. "--sidecar X.c2pa" (the read's FILE is then `read_file`)
  fs::path read_file;
  vt_test::RunResult sign;
  json sign_json;  // `--json` output of the sign
  Read ref_trusted, ref_notrust, ours;
};

Read parse_read(const vt_test::RunResult& r) {
  Read out;
  out.exit_code = r.exit_code;
  out.err = r.err;
  out.report = json::parse(r.out, nullptr, false);
  if (out.report.is_discarded()) out.report = nullptr;
  return out;
}

// Runs fn(0..n-1) on `workers` threads.
void parallel_for(size_t n, unsigned workers, const std::function<void(size_t)>& fn) {
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  for (unsigned w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      for (size_t i = next++; i < n; i = next++) fn(i);
    });
  }
  for (auto& t : threads) t.join();
}

const json* active_manifest(const json& report) {
  if (!report.is_object() || !report.contains("active_manifest") || !report["active_manifest"].is_string()) return nullptr;
  const std::string label = report["active_manifest"];
  if (!report.contains("manifests") || !report["manifests"].contains(label)) return nullptr;
  return &report["manifests"][label];
}

json actions_of(const json& manifest) {
  if (!manifest.contains("assertions")) return nullptr;
  for (const auto& a : manifest["assertions"]) {
    if (a.value("label", "").rfind("c2pa.actions", 0) == 0) return a["data"]["actions"];
  }
  return nullptr;
}

std::vector<std::string> action_names(const json& actions) {
  std::vector<std::string> names;
  if (!actions.is_array()) return names;
  for (const auto& a : actions) names.push_back(a.value("action", ""));
  return names;
}

// Every failure code in the report: the active manifest's and the ingredient deltas'.
std::vector<std::string> failure_codes(const json& report) {
  std::vector<std::string> codes;
  if (!report.is_object() || !report.contains("validation_results")) return codes;
  const json& vr = report["validation_results"];
  if (vr.contains("activeManifest") && vr["activeManifest"].contains("failure")) {
    for (const auto& f : vr["activeManifest"]["failure"]) codes.push_back(f.value("code", "?"));
  }
  if (vr.contains("ingredientDeltas")) {
    for (const auto& d : vr["ingredientDeltas"]) {
      if (d.contains("validationDeltas") && d["validationDeltas"].contains("failure")) {
        for (const auto& f : d["validationDeltas"]["failure"]) codes.push_back("ingredient:" + f.value("code", "?"));
      }
    }
  }
  return codes;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

std::string state_of(const Read& r) {
  if (!r.report.is_object()) return "<no report, exit " + std::to_string(r.exit_code) + ": " + r.err + ">";
  return r.report.value("validation_state", "<none>");
}

// A manifest definition with a schema.org CreativeWork (JSON) and a custom (CBOR) assertion.
json manifest_definition() {
  return {{"assertions",
           json::array({{{"label", "stds.schema-org.CreativeWork"},
                         {"kind", "Json"},
                         {"data",
                          {{"@context", "https://schema.org"},
                           {"@type", "CreativeWork"},
                           {"author", json::array({{{"@type", "Person"}, {"name", "Ada Lovelace"}}})}}}},
                        {{"label", "com.example.custom"}, {"data", {{"note", "hello"}, {"n", 7}}}}})}};
}

class SignInterop : public ::testing::Test {
 protected:
  static inline std::optional<fs::path> shared_;
  static inline std::unique_ptr<vt_test::TempDir> dir_;
  static inline std::map<std::string, Case> cases_;
  static inline std::map<std::string, std::string> ref_labels_;  // reference-signed file -> its label
  static inline std::string setup_error_;

  static fs::path pki(const std::string& f) { return *shared_ / "tools/c2pa-ref/pki" / f; }
  static fs::path src(const std::string& fmt) { return *shared_ / "data/c2pa/made/src" / source_name(fmt); }
  static std::string keys(const std::string& alg) {
    return "--cert " + shell_quote(pki(alg + ".chain.pem").string()) + " --key " + shell_quote(pki(alg + ".key.pem").string());
  }
  static std::string ref_script(const std::string& name) {
    return "timeout 120 node " + shell_quote((*shared_ / "tools/c2pa-ref" / name).string());
  }

  static void add_case(const std::string& name, const std::string& sign_args, const fs::path& out,
                       const fs::path& read_file = {}, const std::string& read_extra = {}) {
    Case c;
    c.sign_args = sign_args + " --json";
    c.out = out;
    c.read_file = read_file.empty() ? out : read_file;
    c.read_extra = read_extra;
    cases_[name] = std::move(c);
  }

  static void sign_all(const std::vector<std::string>& all) {
    std::vector<std::string> names;
    for (const auto& n : all) {
      if (needed_.count(n)) names.push_back(n);
    }
    parallel_for(names.size(), 2, [&](size_t i) {
      Case& c = cases_.at(names[i]);
      c.sign = vt_test::run(shell_quote(vt_test::cli_path().string()) + " c2pa sign " + c.sign_args);
      c.sign_json = json::parse(c.sign.out, nullptr, false);
    });
  }

  // Each fixture class below is its own gtest suite, so this runs once per suite: sign and read
  // only the first time (the files and results live until the process ends).
  static inline bool set_up_ = false;
  static inline std::set<std::string> needed_;

  // The cases the selected tests look at (ctest runs every test in a process of its own, so sign
  // and read only what the --gtest_filter leaves), with the files they depend on.
  static std::set<std::string> needed_cases() {
    std::set<std::string> need;
    const auto* unit = ::testing::UnitTest::GetInstance();
    for (int i = 0; i < unit->total_test_suite_count(); ++i) {
      const auto* suite = unit->GetTestSuite(i);
      const std::string sname = suite->name();
      for (int j = 0; j < suite->total_test_count(); ++j) {
        const auto* t = suite->GetTestInfo(j);
        if (!t->should_run()) continue;
        const std::string tname = t->name();
        std::string param = tname.substr(tname.rfind('/') + 1);
        if (const size_t u = param.find('_'); u != std::string::npos) param[u] = '-';
        if (sname.ends_with("SignInteropMatrix")) {
          need.insert(param);
        } else if (sname.ends_with("SignInteropFormat")) {
          if (tname.starts_with("Parent")) need.insert({"parent-" + param, param + "-es256"});
          else need.insert("sidecar-" + param);
        } else if (sname.ends_with("SignInteropChain")) {
          need.insert("chain-" + param);
        } else if (sname.ends_with("SignInteropV1")) {
          need.insert("v1-" + param);
        } else if (tname.starts_with("ManifestDefinition")) {
          need.insert("manifest-png");
        }
      }
    }
    return need;
  }
  static void SetUpTestSuite() {
    if (set_up_) return;
    set_up_ = true;
    needed_ = needed_cases();
    shared_ = vt_test::shared_dir();
    if (!shared_ || !vt_test::node_available()) return;
    if (!fs::exists(*shared_ / "tools/c2pa-ref/read.mjs")) return;
    dir_ = std::make_unique<vt_test::TempDir>();
    const fs::path d = dir_->path();
    const auto t0 = std::chrono::steady_clock::now();
    auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };

    // 1. The matrix, the v1 claims and the reference-signed parents: independent of each other.
    std::vector<std::string> first;
    for (const auto& fmt : kFormats) {
      const std::string dst = fmt == "png" ? "--source-type compositeWithTrainedAlgorithmicMedia" : "--ai-generated";
      for (const auto& alg : kAlgs) {
        const std::string name = fmt + "-" + alg;
        const fs::path out = d / ("signed-" + name + "." + fmt);
        add_case(name,
                 shell_quote(src(fmt).string()) + " -o " + shell_quote(out.string()) + " " + keys(alg) +
                     " --alg " + alg + " " + dst + " --action c2pa.edited:name=crop,reason=interop --title " +
                     shell_quote("vt " + name),
                 out);
        first.push_back(name);
      }
    }
    for (const std::string alg : {"es256", "ps256", "ed25519"}) {
      const std::string name = "v1-" + alg;
      const fs::path out = d / (name + ".jpg");
      add_case(name,
               shell_quote(src("jpg").string()) + " -o " + shell_quote(out.string()) + " " + keys(alg) +
                   " --claim-version 1 --ai-generated",
               out);
      first.push_back(name);
    }
    for (const auto& fmt : kFormats) {
      const std::string name = "sidecar-" + fmt;
      const fs::path out = d / (name + ".c2pa");
      add_case(name, shell_quote(src(fmt).string()) + " -o " + shell_quote(out.string()) + " " + keys("es256") + " --sidecar",
               out, src(fmt), "--sidecar " + shell_quote(out.string()));
      first.push_back(name);
    }
    {
      const fs::path def = d / "def.json";
      const std::string text = manifest_definition().dump();
      vt_test::write_file(def, std::vector<uint8_t>(text.begin(), text.end()));
      const fs::path out = d / "manifest.png";
      add_case("manifest-png", shell_quote(src("png").string()) + " -o " + shell_quote(out.string()) + " " + keys("es256") +
                                   " --manifest " + shell_quote(def.string()), out);
      first.push_back("manifest-png");
    }
    sign_all(first);

    // Reference-signed JPEGs (with c2pa-rs's default thumbnail, and without).
    for (const std::string variant : {"thumb", "nothumb"}) {
      if (!needed_.count("chain-" + variant + "-explicit") && !needed_.count("chain-" + variant + "-auto")) continue;
      const fs::path out = d / ("ref-" + variant + ".jpg");
      auto r = vt_test::run(ref_script("sign.mjs") + " " + shell_quote(src("jpg").string()) + " " + shell_quote(out.string()) +
                            " " + keys("es256") + " --alg es256" + (variant == "nothumb" ? " --no-thumbnail" : ""));
      if (r.exit_code != 0) {
        setup_error_ += "sign.mjs (" + variant + ") failed: exit " + std::to_string(r.exit_code) + ": " + r.err + "\n";
        continue;
      }
      auto read = parse_read(vt_test::run(ref_script("read.mjs") + " " + shell_quote(out.string()) + " --trust " +
                                          shell_quote(pki("root.pem").string())));
      if (read.report.is_object()) ref_labels_[variant] = read.report.value("active_manifest", "");
    }

    // 2. Files with a parent: ours (the es256 file of the same format) and the reference's.
    std::vector<std::string> second;
    for (const auto& fmt : kFormats) {
      const std::string name = "parent-" + fmt;
      const fs::path out = d / (name + "." + fmt);
      add_case(name,
               shell_quote(src(fmt).string()) + " -o " + shell_quote(out.string()) + " " + keys("es256") + " --parent " +
                   shell_quote(cases_.at(fmt + "-es256").out.string()) +
                   " --action " + shell_quote("c2pa.color_adjustments:{\"name\":\"brightness\",\"value\":3}"),
               out);
      second.push_back(name);
    }
    for (const std::string variant : {"thumb", "nothumb"}) {
      const fs::path ref = d / ("ref-" + variant + ".jpg");
      for (const std::string how : {"explicit", "auto"}) {
        const std::string name = "chain-" + variant + "-" + how;
        const fs::path out = d / (name + ".jpg");
        add_case(name,
                 shell_quote(ref.string()) + " -o " + shell_quote(out.string()) + " " + keys("es256") +
                     (how == "explicit" ? " --parent " + shell_quote(ref.string()) : std::string()),
                 out);
        second.push_back(name);
      }
    }
    sign_all(second);
    std::cerr << "[interop] " << needed_.size() << " files signed in " << seconds() << " s\n";

    // 3. Every read: reference with and without trust, and ours; three node processes at a time.
    std::vector<std::pair<std::string, int>> reads;
    for (auto& [name, c] : cases_) {
      if (!needed_.count(name) || c.sign.exit_code != 0) continue;
      for (int k = 0; k < 3; ++k) reads.emplace_back(name, k);
    }
    parallel_for(reads.size(), 3, [&](size_t i) {
      Case& c = cases_.at(reads[i].first);
      const std::string file = shell_quote(c.read_file.string()) + (c.read_extra.empty() ? "" : " " + c.read_extra);
      const std::string trust = " --trust " + shell_quote(pki("root.pem").string());
      switch (reads[i].second) {
        case 0: c.ref_trusted = parse_read(vt_test::run(ref_script("read.mjs") + " " + file + trust)); break;
        case 1: c.ref_notrust = parse_read(vt_test::run(ref_script("read.mjs") + " " + file + " --no-trust-check")); break;
        default:
          c.ours = parse_read(vt_test::run(shell_quote(vt_test::cli_path().string()) + " c2pa read " + file + trust + " --json"));
      }
    });
    std::cerr << "[interop] " << reads.size() << " reads done at " << seconds() << " s\n";
  }

  // Skips when the reference cannot run; otherwise the signed case (ASSERT that signing worked).
  const Case* signed_case(const std::string& name) {
    auto it = cases_.find(name);
    if (it == cases_.end()) {
      ADD_FAILURE() << "no case " << name;
      return nullptr;
    }
    const Case& c = it->second;
    EXPECT_EQ(c.sign.exit_code, 0) << "veritrace c2pa sign " << c.sign_args << "\nstderr: " << c.sign.err;
    if (c.sign.exit_code != 0) return nullptr;
    return &c;
  }

  // Valid without trust, Trusted with root.pem, no failure code, from the reference.
  static void expect_reference_accepts(const Case& c, const std::string& what) {
    EXPECT_EQ(c.ref_notrust.exit_code, 0) << what << ": read.mjs --no-trust-check: " << c.ref_notrust.err;
    EXPECT_EQ(state_of(c.ref_notrust), "Valid") << what << " (--no-trust-check)";
    EXPECT_EQ(join(failure_codes(c.ref_notrust.report)), "") << what << " (--no-trust-check)";
    EXPECT_EQ(c.ref_trusted.exit_code, 0) << what << ": read.mjs --trust: " << c.ref_trusted.err;
    EXPECT_EQ(state_of(c.ref_trusted), "Trusted") << what << " (--trust root.pem)";
    EXPECT_EQ(join(failure_codes(c.ref_trusted.report)), "") << what << " (--trust root.pem)";
  }
};

#define VT_REQUIRE_REFERENCE()                                                                         \
  do {                                                                                                 \
    if (!vt_test::shared_dir()) {                                                                      \
      GTEST_SKIP() << "../shared is absent: skipping (needs the c2pa-ref kit)";                        \
    }                                                                                                  \
    if (!vt_test::node_available()) {                                                                  \
      GTEST_SKIP() << "node >= 20 is not available: skipping reference interop";                       \
    }                                                                                                  \
    if (!dir_) {                                                                                       \
      GTEST_SKIP() << "../shared/tools/c2pa-ref/read.mjs is absent: skipping";                         \
    }                                                                                                  \
  } while (0)

class SignInteropMatrix : public SignInterop,
                          public ::testing::WithParamInterface<std::tuple<std::string, std::string>> {};

TEST_P(SignInteropMatrix, ReferenceValidatesAndAgreesOnContent) {
  VT_REQUIRE_REFERENCE();
  const auto& [fmt, alg] = GetParam();
  const std::string name = fmt + "-" + alg;
  const Case* c = signed_case(name);
  if (!c) return;
  expect_reference_accepts(*c, name);

  const json* m = active_manifest(c->ref_trusted.report);
  ASSERT_NE(m, nullptr) << name << ": the reference found no active manifest";
  ASSERT_TRUE(m->contains("claim_generator_info") && (*m)["claim_generator_info"].is_array() &&
              !(*m)["claim_generator_info"].empty());
  EXPECT_EQ((*m)["claim_generator_info"][0].value("name", ""), "veritrace");
  EXPECT_EQ(m->value("title", ""), "vt " + name);
  EXPECT_EQ(m->value("claim_version", 0), 2);
  ASSERT_TRUE(m->contains("signature_info"));
  EXPECT_EQ((*m)["signature_info"].value("alg", ""), ref_alg_name(alg));
  if (c->sign_json.is_object()) {
    EXPECT_EQ(c->ref_trusted.report.value("active_manifest", ""), c->sign_json.value("manifest_label", "?"));
  }

  const json actions = actions_of(*m);
  ASSERT_TRUE(actions.is_array()) << name << ": no actions assertion in the reference report";
  EXPECT_EQ(join(action_names(actions)), "c2pa.created, c2pa.edited");
  ASSERT_GE(actions.size(), 2u);
  const std::string dst = std::string(kIptc) + (fmt == "png" ? "compositeWithTrainedAlgorithmicMedia" : "trainedAlgorithmicMedia");
  EXPECT_EQ(actions[0].value("digitalSourceType", ""), dst);
  EXPECT_EQ(actions[1].value("parameters", json()), json({{"name", "crop"}, {"reason", "interop"}}));

  // Our reader: Trusted, and the very same actions.
  EXPECT_EQ(state_of(c->ours), "Trusted") << name << ": our reader";
  const json* ours = active_manifest(c->ours.report);
  ASSERT_NE(ours, nullptr);
  EXPECT_EQ(actions_of(*ours), actions) << name << ": our reader and the reference report different actions";
}

INSTANTIATE_TEST_SUITE_P(All, SignInteropMatrix, ::testing::Combine(::testing::ValuesIn(kFormats), ::testing::ValuesIn(kAlgs)),
                         [](const auto& p) { return std::get<0>(p.param) + "_" + std::get<1>(p.param); });

class SignInteropFormat : public SignInterop, public ::testing::WithParamInterface<std::string> {};

TEST_P(SignInteropFormat, ParentIngredientAsWritten) {
  VT_REQUIRE_REFERENCE();
  const std::string fmt = GetParam();
  const Case* parent = signed_case(fmt + "-es256");
  const Case* c = signed_case("parent-" + fmt);
  if (!c || !parent) return;
  expect_reference_accepts(*c, "parent-" + fmt);

  const json& report = c->ref_trusted.report;
  ASSERT_TRUE(report.contains("manifests"));
  EXPECT_EQ(report["manifests"].size(), 2u);
  const json* m = active_manifest(report);
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->contains("ingredients") && (*m)["ingredients"].is_array());
  ASSERT_EQ((*m)["ingredients"].size(), 1u);
  const json& ing = (*m)["ingredients"][0];
  EXPECT_EQ(ing.value("relationship", ""), "parentOf");
  EXPECT_EQ(ing.value("title", ""), parent->out.filename().string());
  EXPECT_EQ(ing.value("active_manifest", ""), parent->sign_json.value("manifest_label", "?"));
  EXPECT_TRUE(report["manifests"].contains(parent->sign_json.value("manifest_label", "?")));

  const json actions = actions_of(*m);
  EXPECT_EQ(join(action_names(actions)), "c2pa.opened, c2pa.edited, c2pa.color_adjustments");
  if (actions.is_array() && actions.size() == 3) {
    ASSERT_TRUE(actions[0].contains("parameters") && actions[0]["parameters"].contains("ingredients"));
    EXPECT_NE(actions[0]["parameters"]["ingredients"][0].value("url", "").find("c2pa.ingredient"), std::string::npos);
    EXPECT_EQ(actions[2]["parameters"], json({{"name", "brightness"}, {"value", 3}}));
  }
  EXPECT_EQ(state_of(c->ours), "Trusted");
  const json* ours = active_manifest(c->ours.report);
  ASSERT_NE(ours, nullptr);
  EXPECT_EQ(actions_of(*ours), actions);
}

TEST_P(SignInteropFormat, SidecarValidatesUnchangedAsset) {
  VT_REQUIRE_REFERENCE();
  const std::string fmt = GetParam();
  const Case* c = signed_case("sidecar-" + fmt);
  if (!c) return;
  expect_reference_accepts(*c, "sidecar-" + fmt);
  EXPECT_EQ(state_of(c->ours), "Trusted");
}

INSTANTIATE_TEST_SUITE_P(All, SignInteropFormat, ::testing::ValuesIn(kFormats), [](const auto& p) { return p.param; });

class SignInteropChain : public SignInterop,
                         public ::testing::WithParamInterface<std::tuple<std::string, std::string>> {};

// made/src/src640.jpg signed by the reference (es256), then by us on top.
TEST_P(SignInteropChain, ReferenceSignedParentKeptAndTrusted) {
  VT_REQUIRE_REFERENCE();
  const auto& [variant, how] = GetParam();
  ASSERT_EQ(setup_error_, "");
  ASSERT_TRUE(ref_labels_.count(variant)) << "no label read from the reference-signed file";
  const std::string ref_label = ref_labels_.at(variant);
  ASSERT_FALSE(ref_label.empty());
  const std::string name = "chain-" + variant + "-" + how;
  const Case* c = signed_case(name);
  if (!c) return;
  if (how == "auto") {
    EXPECT_TRUE(c->sign_json.value("kept_existing_as_parent", false));
  }

  expect_reference_accepts(*c, name);
  const json& report = c->ref_trusted.report;
  ASSERT_TRUE(report.contains("manifests"));
  EXPECT_EQ(report["manifests"].size(), 2u);
  EXPECT_TRUE(report["manifests"].contains(ref_label));
  EXPECT_EQ(report.value("active_manifest", ""), c->sign_json.value("manifest_label", "?"));
  const json* m = active_manifest(report);
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->contains("ingredients") && (*m)["ingredients"].size() == 1u);
  EXPECT_EQ((*m)["ingredients"][0].value("relationship", ""), "parentOf");
  EXPECT_EQ((*m)["ingredients"][0].value("active_manifest", ""), ref_label);

  EXPECT_EQ(state_of(c->ours), "Trusted") << "our reader";
  ASSERT_TRUE(c->ours.report.contains("manifests"));
  EXPECT_EQ(c->ours.report["manifests"].size(), 2u);
  EXPECT_TRUE(c->ours.report["manifests"].contains(ref_label));
}

INSTANTIATE_TEST_SUITE_P(All, SignInteropChain,
                         ::testing::Combine(::testing::Values("thumb", "nothumb"), ::testing::Values("explicit", "auto")),
                         [](const auto& p) { return std::get<0>(p.param) + "_" + std::get<1>(p.param); });

TEST_F(SignInterop, ManifestDefinitionAssertionsAsWritten) {
  VT_REQUIRE_REFERENCE();
  const Case* c = signed_case("manifest-png");
  if (!c) return;
  expect_reference_accepts(*c, "manifest-png");
  const json* m = active_manifest(c->ref_trusted.report);
  ASSERT_NE(m, nullptr);
  std::map<std::string, json> by_label;
  for (const auto& a : (*m)["assertions"]) by_label[a.value("label", "")] = a.value("data", json());
  const json definition = manifest_definition();  // named: a loop over a temporary's member dangles
  for (const auto& want : definition["assertions"]) {
    const std::string label = want["label"];
    ASSERT_TRUE(by_label.count(label)) << label << " missing from the reference report: " << m->dump(2);
    EXPECT_EQ(by_label[label], want["data"]) << label;
  }
  const json actions = actions_of(*m);
  EXPECT_EQ(join(action_names(actions)), "c2pa.created");
  if (actions.is_array() && !actions.empty()) {
    EXPECT_EQ(actions[0].value("digitalSourceType", ""), std::string(kIptc) + "digitalCreation");
  }
}

class SignInteropV1 : public SignInterop, public ::testing::WithParamInterface<std::string> {};

TEST_P(SignInteropV1, ClaimVersion1JpegValidAndTrusted) {
  VT_REQUIRE_REFERENCE();
  const Case* c = signed_case("v1-" + GetParam());
  if (!c) return;
  expect_reference_accepts(*c, "v1-" + GetParam());
  const json* m = active_manifest(c->ref_trusted.report);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->value("claim_version", 0), 1);
  const json actions = actions_of(*m);
  EXPECT_EQ(join(action_names(actions)), "c2pa.created");
  if (actions.is_array() && !actions.empty()) {
    EXPECT_EQ(actions[0].value("digitalSourceType", ""), std::string(kIptc) + "trainedAlgorithmicMedia");
  }
  EXPECT_EQ(state_of(c->ours), "Trusted");
}

INSTANTIATE_TEST_SUITE_P(All, SignInteropV1, ::testing::Values("es256", "ps256", "ed25519"),
                         [](const auto& p) { return p.param; });

}  // namespace
