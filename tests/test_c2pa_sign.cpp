// Tests for `veritrace c2pa sign` and the library signer (c2pa::Signer), checked with our own
// reader. The reference (c2pa-rs) side is in test_c2pa_sign_interop.cpp.
//
//   * round trip: every format (JPEG, PNG, WAV, MP4 from ../shared/data/c2pa/made/src) signs and
//     reads back Trusted; a synthesized WAV with keys from `c2pa keygen` (or OpenSSL, when keygen is
//     absent) runs without ../shared;
//   * tamper: one byte changed in the media (JPEG scan data, PNG IDAT, WAV data, MP4 mdat) after
//     signing gives assertion.dataHash.mismatch (assertion.bmffHash.mismatch for MP4);
//   * --sidecar: a .c2pa that validates the unchanged input, which stays byte-identical;
//   * the library (sign_bytes, sign_to_fd, sign_file) behaves like the CLI;
//   * --manifest (CreativeWork author + a custom assertion) and --action parameters in the report;
//   * bad input: exit codes, messages, and nothing left in the output folder.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "support/cose_test_helpers.hpp"
#include "support/test_support.hpp"
#include "veritrace/c2pa.hpp"
#include "veritrace/c2pa_sign.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using veritrace::c2pa::ValidationState;
using vt_test::shell_quote;

namespace {

// ---- keys -------------------------------------------------------------------------------------

struct Pki {
  fs::path chain, key, root;
  std::string args() const { return "--cert " + shell_quote(chain.string()) + " --key " + shell_quote(key.string()); }
};

Pki shared_pki(const fs::path& shared, const std::string& alg = "es256") {
  const fs::path d = shared / "tools/c2pa-ref/pki";
  return {d / (alg + ".chain.pem"), d / (alg + ".key.pem"), d / "root.pem"};
}

bool keygen_available() {
  static const bool available =
      vt_test::run(shell_quote(vt_test::cli_path().string()) + " c2pa keygen --help").exit_code == 0;
  return available;
}

void write_text(const fs::path& p, const std::string& text) { vt_test::write_file(p, std::vector<uint8_t>(text.begin(), text.end())); }

// A fresh test PKI in `dir`: `veritrace c2pa keygen` when the CLI has it, else built here with
// OpenSSL (root CA -> intermediate CA -> P-256 signer in the C2PA profile).
Pki make_pki(const fs::path& dir, const std::string& alg = "es256") {
  fs::create_directories(dir);
  Pki p{dir / "chain.pem", dir / "key.pem", dir / "root.pem"};
  if (keygen_available()) {
    auto r = vt_test::run(shell_quote(vt_test::cli_path().string()) + " c2pa keygen " + shell_quote(dir.string()) +
                          " --alg " + alg);
    if (r.exit_code != 0) throw std::runtime_error("c2pa keygen failed: " + r.err);
    return p;
  }
  namespace vc = vt_test::cose;
  vc::TestCa ca;
  vc::Key leaf_key = vc::ec_key();
  vc::CertSpec leaf_spec{"Sign Test Signer", "Veritrace Test", false, "critical,digitalSignature",
                         "emailProtection,1.3.6.1.5.5.7.3.36", -3600, 3600L * 24 * 365, 102};
  vc::Cert leaf = vc::make_cert(leaf_spec, leaf_key.get(), ca.intermediate.get(), ca.intermediate_key.get());
  write_text(p.chain, vc::pem_of(leaf.get()) + vc::pem_of(ca.intermediate.get()));
  write_text(p.key, vc::key_pem_of(leaf_key.get()));
  write_text(p.root, vc::pem_of(ca.root.get()));
  return p;
}

// ---- media --------------------------------------------------------------------------------------

void put_le(std::vector<uint8_t>& b, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// A mono 16-bit PCM WAV with `samples` pseudo-random samples.
std::vector<uint8_t> make_wav(uint32_t samples = 8000, uint32_t seed = 1) {
  std::vector<uint8_t> b;
  const uint32_t data_size = samples * 2;
  b.insert(b.end(), {'R', 'I', 'F', 'F'});
  put_le(b, 36 + data_size, 4);
  b.insert(b.end(), {'W', 'A', 'V', 'E', 'f', 'm', 't', ' '});
  put_le(b, 16, 4);
  put_le(b, 1, 2);      // PCM
  put_le(b, 1, 2);      // mono
  put_le(b, 8000, 4);   // rate
  put_le(b, 16000, 4);  // byte rate
  put_le(b, 2, 2);      // block align
  put_le(b, 16, 2);     // bits
  b.insert(b.end(), {'d', 'a', 't', 'a'});
  put_le(b, data_size, 4);
  std::mt19937 rng(seed);
  for (uint32_t i = 0; i < data_size; ++i) b.push_back(static_cast<uint8_t>(rng()));
  return b;
}

uint32_t be32(const std::vector<uint8_t>& b, size_t at) {
  return (uint32_t{b[at]} << 24) | (uint32_t{b[at + 1]} << 16) | (uint32_t{b[at + 2]} << 8) | uint32_t{b[at + 3]};
}
uint32_t le32(const std::vector<uint8_t>& b, size_t at) {
  return (uint32_t{b[at + 3]} << 24) | (uint32_t{b[at + 2]} << 16) | (uint32_t{b[at + 1]} << 8) | uint32_t{b[at]};
}
bool tag_at(const std::vector<uint8_t>& b, size_t at, const char* four) {
  return at + 4 <= b.size() && std::memcmp(&b[at], four, 4) == 0;
}

struct Range {
  size_t begin = 0, end = 0;  // [begin, end)
};

// The media bytes of a signed file, located by walking its structure here (not with the product's
// formats module): JPEG entropy-coded data after SOS, PNG IDAT data, WAV data chunk, MP4 mdat payload.
std::optional<Range> media_range(const std::vector<uint8_t>& b, const std::string& fmt) {
  if (fmt == "jpg") {
    size_t pos = 2;
    while (pos + 4 <= b.size() && b[pos] == 0xFF) {
      const uint8_t marker = b[pos + 1];
      const size_t len = (size_t{b[pos + 2]} << 8) | b[pos + 3];
      if (marker == 0xDA) {
        const size_t start = pos + 2 + len;
        size_t end = b.size();
        if (end >= 2 && b[end - 2] == 0xFF && b[end - 1] == 0xD9) end -= 2;
        return Range{start, end};
      }
      pos += 2 + len;
    }
    return std::nullopt;
  }
  if (fmt == "png") {
    for (size_t pos = 8; pos + 12 <= b.size();) {
      const size_t len = be32(b, pos);
      if (tag_at(b, pos + 4, "IDAT")) return Range{pos + 8, pos + 8 + len};
      pos += 12 + len;
    }
    return std::nullopt;
  }
  if (fmt == "wav") {
    for (size_t pos = 12; pos + 8 <= b.size();) {
      const size_t len = le32(b, pos + 4);
      if (tag_at(b, pos, "data")) return Range{pos + 8, std::min(b.size(), pos + 8 + len)};
      pos += 8 + len + (len & 1);
    }
    return std::nullopt;
  }
  if (fmt == "mp4") {
    for (size_t pos = 0; pos + 8 <= b.size();) {
      uint64_t size = be32(b, pos);
      size_t header = 8;
      if (size == 1) {
        size = (uint64_t{be32(b, pos + 8)} << 32) | be32(b, pos + 12);
        header = 16;
      } else if (size == 0) {
        size = b.size() - pos;
      }
      if (size < header) return std::nullopt;
      if (tag_at(b, pos + 4, "mdat")) return Range{pos + header, pos + static_cast<size_t>(size)};
      pos += static_cast<size_t>(size);
    }
    return std::nullopt;
  }
  return std::nullopt;
}

// ---- reading ------------------------------------------------------------------------------------

veritrace::c2pa::ReadResult read_ours(const fs::path& file, const fs::path& root) {
  veritrace::c2pa::Reader reader({.trust_anchor_files = {root.string()}});
  return reader.read_file(file.string());
}

std::set<std::string> failure_codes(const json& report) {
  std::set<std::string> codes;
  if (!report.contains("validation_results")) return codes;
  const json& vr = report["validation_results"];
  if (vr.contains("activeManifest") && vr["activeManifest"].contains("failure")) {
    for (const auto& f : vr["activeManifest"]["failure"]) codes.insert(f.value("code", "?"));
  }
  return codes;
}

std::string join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : ", ") + x;
  return out;
}

const json* active_manifest(const json& report) {
  if (!report.contains("active_manifest") || !report["active_manifest"].is_string()) return nullptr;
  const std::string label = report["active_manifest"];
  if (!report.contains("manifests") || !report["manifests"].contains(label)) return nullptr;
  return &report["manifests"][label];
}

const json* assertion(const json& manifest, const std::string& label_prefix) {
  if (!manifest.contains("assertions")) return nullptr;
  for (const auto& a : manifest["assertions"]) {
    if (a.value("label", "").rfind(label_prefix, 0) == 0) return &a;
  }
  return nullptr;
}

json actions_of(const json& report) {
  const json* m = active_manifest(report);
  if (!m) return nullptr;
  const json* a = assertion(*m, "c2pa.actions");
  return a ? (*a)["data"]["actions"] : json();
}

std::set<std::string> listing(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

std::string cli() { return shell_quote(vt_test::cli_path().string()); }

vt_test::RunResult sign_cli(const std::string& args) { return vt_test::run(cli() + " c2pa sign " + args); }

std::string source_name(const std::string& fmt) {
  if (fmt == "jpg") return "src640.jpg";
  if (fmt == "png") return "src640.png";
  if (fmt == "wav") return "src1s.wav";
  return "src2s.mp4";
}

std::string hash_mismatch_code(const std::string& fmt) {
  return fmt == "mp4" ? "assertion.bmffHash.mismatch" : "assertion.dataHash.mismatch";
}

const std::vector<std::string> kFormats = {"jpg", "png", "wav", "mp4"};

// ---- without ../shared --------------------------------------------------------------------------

class SignLocal : public ::testing::Test {
 protected:
  vt_test::TempDir tmp;
  Pki pki;
  fs::path in;
  void SetUp() override {
    pki = make_pki(tmp.path() / "keys");
    in = tmp.path() / "in.wav";
    vt_test::write_file(in, make_wav());
  }
};

TEST_F(SignLocal, RoundTripTrustedWithGeneratedKeys) {
  const fs::path out = tmp.path() / "out.wav";
  auto r = sign_cli(shell_quote(in.string()) + " -o " + shell_quote(out.string()) + " " + pki.args() + " --ai-generated");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto res = read_ours(out, pki.root);
  EXPECT_EQ(res.state, ValidationState::Trusted) << res.report.dump(2);
  EXPECT_EQ(join(failure_codes(res.report)), "");
  json acts = actions_of(res.report);
  ASSERT_TRUE(acts.is_array() && !acts.empty());
  EXPECT_EQ(acts[0].value("action", ""), "c2pa.created");
  EXPECT_EQ(acts[0].value("digitalSourceType", ""), veritrace::c2pa::kTrainedAlgorithmicMedia);
  // The input is untouched, and only the output was added to the folder.
  EXPECT_EQ(vt_test::read_file(in), make_wav());
  EXPECT_EQ(listing(tmp.path()), (std::set<std::string>{"keys", "in.wav", "out.wav"}));
  // The CLI reader agrees (exit 0 for Trusted).
  auto rr = vt_test::run(cli() + " c2pa read " + shell_quote(out.string()) + " --json --trust " + shell_quote(pki.root.string()));
  EXPECT_EQ(rr.exit_code, 0) << rr.err;
  EXPECT_EQ(json::parse(rr.out, nullptr, false).value("validation_state", ""), "Trusted");
}

TEST_F(SignLocal, EveryByteOfWavDataIsBound) {
  const fs::path out = tmp.path() / "out.wav";
  auto r = sign_cli(shell_quote(in.string()) + " -o " + shell_quote(out.string()) + " " + pki.args());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto signed_bytes = vt_test::read_file(out);
  auto range = media_range(signed_bytes, "wav");
  ASSERT_TRUE(range && range->end > range->begin);
  for (size_t at : {range->begin, range->begin + (range->end - range->begin) / 2, range->end - 1}) {
    auto bytes = signed_bytes;
    bytes[at] ^= 0x01;
    const fs::path t = tmp.path() / "t.wav";
    vt_test::write_file(t, bytes);
    auto res = read_ours(t, pki.root);
    EXPECT_EQ(res.state, ValidationState::Invalid) << "byte " << at;
    EXPECT_TRUE(failure_codes(res.report).count("assertion.dataHash.mismatch"))
        << "byte " << at << ": " << join(failure_codes(res.report));
  }
}

TEST_F(SignLocal, SignBytesMatchesCli) {
  veritrace::c2pa::SignOptions o;
  o.key = pki.key.string();
  o.cert_chain = pki.chain.string();
  o.digital_source_type = "digitalCapture";
  o.actions.push_back({"c2pa.edited", json{{"name", "trim"}}});
  veritrace::c2pa::Signer signer(o);
  const auto wav = make_wav();
  veritrace::c2pa::SignResult sr;
  auto signed_bytes = signer.sign_bytes(wav, "in.wav", false, &sr);
  EXPECT_EQ(sr.output_size, signed_bytes.size());
  EXPECT_GT(sr.store_size, 0u);
  EXPECT_FALSE(sr.manifest_label.empty());
  const fs::path lib_out = tmp.path() / "lib.wav";
  vt_test::write_file(lib_out, signed_bytes);
  auto lib = read_ours(lib_out, pki.root);
  EXPECT_EQ(lib.state, ValidationState::Trusted) << lib.report.dump(2);
  EXPECT_EQ(lib.report.value("active_manifest", ""), sr.manifest_label);

  const fs::path cli_out = tmp.path() / "cli.wav";
  auto r = sign_cli(shell_quote(in.string()) + " -o " + shell_quote(cli_out.string()) + " " + pki.args() +
                    " --source-type digitalCapture --action c2pa.edited:name=trim");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto via_cli = read_ours(cli_out, pki.root);
  EXPECT_EQ(via_cli.state, ValidationState::Trusted);
  // Same size (same store layout), same actions and assertion labels.
  EXPECT_EQ(vt_test::read_file(cli_out).size(), signed_bytes.size());
  EXPECT_EQ(actions_of(lib.report), actions_of(via_cli.report));
  auto labels = [](const json& report) {
    std::vector<std::string> out;
    if (const json* m = active_manifest(report)) {
      for (const auto& a : (*m)["assertions"]) out.push_back(a.value("label", ""));
    }
    return out;
  };
  EXPECT_EQ(labels(lib.report), labels(via_cli.report));
  json acts = actions_of(lib.report);
  ASSERT_TRUE(acts.is_array() && acts.size() == 2u);
  EXPECT_EQ(acts[0].value("digitalSourceType", ""), std::string(veritrace::c2pa::kIptcSourceTypeBase) + "digitalCapture");
  EXPECT_EQ(acts[1]["parameters"], json({{"name", "trim"}}));

  // Sidecar from memory, and sign_to_fd.
  auto store = signer.sign_bytes(wav, "in.wav", true);
  const fs::path store_path = tmp.path() / "lib.c2pa";
  vt_test::write_file(store_path, store);
  veritrace::c2pa::Reader reader({.trust_anchor_files = {pki.root.string()}});
  EXPECT_EQ(reader.read_with_sidecar(in.string(), store_path.string()).state, ValidationState::Trusted);

  const fs::path fd_out = tmp.path() / "fd.wav";
  const int fd = ::open(fd_out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  auto src = veritrace::make_memory_source(wav, "in.wav");
  auto fr = signer.sign_to_fd(*src, fd);
  ::close(fd);
  EXPECT_EQ(fr.output_size, fs::file_size(fd_out));
  EXPECT_EQ(read_ours(fd_out, pki.root).state, ValidationState::Trusted);

  // sign_file refuses out == in unless in_place.
  EXPECT_THROW(signer.sign_file(in.string(), in.string()), veritrace::Error);
  EXPECT_EQ(vt_test::read_file(in), wav);
}

TEST_F(SignLocal, ManifestDefinitionAndActionParameters) {
  const fs::path def = tmp.path() / "def.json";
  const json creative = {{"@context", "https://schema.org"},
                         {"@type", "CreativeWork"},
                         {"author", json::array({{{"@type", "Person"}, {"name", "Ada Lovelace"}}})}};
  const json custom = {{"note", "hello"}, {"n", 7}, {"list", json::array({1, 2, 3})}};
  write_text(def, json{{"assertions",
                        json::array({{{"label", "stds.schema-org.CreativeWork"}, {"kind", "Json"}, {"data", creative}},
                                     {{"label", "com.example.custom"}, {"data", custom}}})}}
                      .dump());
  const fs::path out = tmp.path() / "out.wav";
  auto r = sign_cli(shell_quote(in.string()) + " -o " + shell_quote(out.string()) + " " + pki.args() + " --manifest " +
                    shell_quote(def.string()) + " --action c2pa.edited:name=crop,reason=test" +
                    " --action " + shell_quote("c2pa.color_adjustments:{\"name\":\"brightness\",\"value\":0.5}") +
                    " --action c2pa.published --title " + shell_quote("My title"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto res = read_ours(out, pki.root);
  EXPECT_EQ(res.state, ValidationState::Trusted) << join(failure_codes(res.report));
  const json* m = active_manifest(res.report);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->value("title", ""), "My title");
  const json* cw = assertion(*m, "stds.schema-org.CreativeWork");
  ASSERT_NE(cw, nullptr) << m->dump(2);
  EXPECT_EQ((*cw)["data"]["author"][0].value("name", ""), "Ada Lovelace");
  const json* cu = assertion(*m, "com.example.custom");
  ASSERT_NE(cu, nullptr) << m->dump(2);
  EXPECT_EQ((*cu)["data"], custom);

  json acts = actions_of(res.report);
  ASSERT_TRUE(acts.is_array());
  std::vector<std::string> names;
  for (const auto& a : acts) names.push_back(a.value("action", ""));
  EXPECT_EQ(names, (std::vector<std::string>{"c2pa.created", "c2pa.edited", "c2pa.color_adjustments", "c2pa.published"}));
  if (acts.size() == 4) {
    EXPECT_EQ(acts[1]["parameters"], json({{"name", "crop"}, {"reason", "test"}}));
    EXPECT_EQ(acts[2]["parameters"], json({{"name", "brightness"}, {"value", 0.5}}));
  }
}

// ---- bad input ----------------------------------------------------------------------------------

struct BadCase {
  int exit_code;
  std::string message;  // expected in stderr
};

class SignBadInput : public SignLocal {
 protected:
  // Runs `sign` with `args` (OUT is tmp/out/OUT_NAME), checks exit code and message, and that the
  // output folder holds exactly `expected` afterwards.
  fs::path out_dir() const { return tmp.path() / "out"; }
  void SetUp() override {
    SignLocal::SetUp();
    fs::create_directories(out_dir());
  }
  void expect_failure(const std::string& args, int exit_code, const std::string& message,
                      const std::set<std::string>& expected = {}) {
    auto r = sign_cli(args);
    EXPECT_EQ(r.exit_code, exit_code) << "sign " << args << "\nstderr: " << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << "stderr lacks '" << message << "': " << r.err;
    EXPECT_EQ(r.out, "") << "stdout of a failed sign";
    EXPECT_EQ(listing(out_dir()), expected) << "sign " << args;
  }
  std::string to_out(const std::string& name = "out.wav") const { return " -o " + shell_quote((out_dir() / name).string()); }
};

TEST_F(SignBadInput, MissingOrUnreadableKey) {
  expect_failure(shell_quote(in.string()) + to_out() + " --cert " + shell_quote(pki.chain.string()) + " --key " +
                     shell_quote((tmp.path() / "nokey.pem").string()),
                 5, "cannot read key");
  write_text(tmp.path() / "junk.pem", "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n");
  expect_failure(shell_quote(in.string()) + to_out() + " --cert " + shell_quote(pki.chain.string()) + " --key " +
                     shell_quote((tmp.path() / "junk.pem").string()),
                 5, "junk.pem");
  expect_failure(shell_quote(in.string()) + to_out() + " --cert " + shell_quote((tmp.path() / "nochain.pem").string()) +
                     " --key " + shell_quote(pki.key.string()),
                 5, "nochain.pem");
}

TEST_F(SignBadInput, KeyDoesNotMatchCertificate) {
  Pki other = make_pki(tmp.path() / "other");
  expect_failure(shell_quote(in.string()) + to_out() + " --cert " + shell_quote(pki.chain.string()) + " --key " +
                     shell_quote(other.key.string()),
                 5, "does not match");
}

TEST_F(SignBadInput, ChainInWrongOrder) {
  // chain.pem = signer, intermediate; write intermediate, signer.
  const auto text = vt_test::read_file(pki.chain);
  std::string s(text.begin(), text.end());
  const std::string end_marker = "-----END CERTIFICATE-----\n";
  const size_t first_end = s.find(end_marker);
  ASSERT_NE(first_end, std::string::npos);
  const std::string leaf = s.substr(0, first_end + end_marker.size());
  const std::string rest = s.substr(first_end + end_marker.size());
  ASSERT_NE(rest.find("BEGIN CERTIFICATE"), std::string::npos);
  const fs::path reversed = tmp.path() / "reversed.pem";
  write_text(reversed, rest + leaf);
  expect_failure(shell_quote(in.string()) + to_out() + " --cert " + shell_quote(reversed.string()) + " --key " +
                     shell_quote(pki.key.string()),
                 5, "first");
}

TEST_F(SignBadInput, UnsupportedInput) {
  const fs::path gif = tmp.path() / "x.gif";
  vt_test::write_file(gif, {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, ',', 0, 0, 0,
                            0, 1, 0, 1, 0, 0, 2, 2, 'D', 1, 0, ';'});
  expect_failure(shell_quote(gif.string()) + to_out("x.gif") + " " + pki.args(), 3, "x.gif");
  const fs::path rnd = tmp.path() / "random.bin";
  std::vector<uint8_t> junk(4096);
  std::mt19937 rng(7);
  for (auto& b : junk) b = static_cast<uint8_t>(rng());
  vt_test::write_file(rnd, junk);
  expect_failure(shell_quote(rnd.string()) + to_out("random.bin") + " " + pki.args(), 3, "random.bin");
  // A WAV cut inside its data chunk header is not a WAV we can sign either.
  auto cut = make_wav();
  cut.resize(30);
  const fs::path cut_path = tmp.path() / "cut.wav";
  vt_test::write_file(cut_path, cut);
  expect_failure(shell_quote(cut_path.string()) + to_out() + " " + pki.args(), 3, "cut.wav");
}

TEST_F(SignBadInput, MissingInput) {
  expect_failure(shell_quote((tmp.path() / "missing.wav").string()) + to_out() + " " + pki.args(), 3, "missing.wav");
}

TEST_F(SignBadInput, BrokenParent) {
  const fs::path rnd = tmp.path() / "parent.bin";
  vt_test::write_file(rnd, std::vector<uint8_t>(1000, 0x42));
  expect_failure(shell_quote(in.string()) + to_out() + " " + pki.args() + " --parent " + shell_quote(rnd.string()), 3,
                 "parent.bin");
  expect_failure(shell_quote(in.string()) + to_out() + " " + pki.args() + " --parent " +
                     shell_quote((tmp.path() / "noparent.wav").string()),
                 3, "noparent.wav");
}

TEST_F(SignBadInput, OutputIsInput) {
  const fs::path own = out_dir() / "own.wav";
  vt_test::write_file(own, make_wav());
  expect_failure(shell_quote(own.string()) + " -o " + shell_quote(own.string()) + " " + pki.args(), 2, "--in-place",
                 {"own.wav"});
  // The same file through another spelling of its path.
  expect_failure(shell_quote(own.string()) + " -o " + shell_quote((out_dir() / "." / "own.wav").string()) + " " + pki.args(),
                 2, "--in-place", {"own.wav"});
  EXPECT_EQ(vt_test::read_file(own), make_wav());

  auto r = sign_cli(shell_quote(own.string()) + " -o " + shell_quote(own.string()) + " " + pki.args() + " --in-place");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(listing(out_dir()), (std::set<std::string>{"own.wav"}));
  EXPECT_NE(vt_test::read_file(own), make_wav());
  auto res = read_ours(own, pki.root);
  EXPECT_EQ(res.state, ValidationState::Trusted) << join(failure_codes(res.report));
}

TEST_F(SignBadInput, RefuseSigned) {
  const fs::path signed_in = tmp.path() / "signed.wav";
  auto r = sign_cli(shell_quote(in.string()) + " -o " + shell_quote(signed_in.string()) + " " + pki.args());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_failure(shell_quote(signed_in.string()) + to_out() + " " + pki.args() + " --refuse-signed", 2,
                 "already has Content Credentials");
  // Without --refuse-signed its credentials are kept as the parent.
  r = sign_cli(shell_quote(signed_in.string()) + to_out() + " " + pki.args() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(json::parse(r.out, nullptr, false).value("kept_existing_as_parent", false)) << r.out;
  auto res = read_ours(out_dir() / "out.wav", pki.root);
  EXPECT_EQ(res.state, ValidationState::Trusted) << join(failure_codes(res.report));
  EXPECT_EQ(res.report["manifests"].size(), 2u);
}

TEST_F(SignBadInput, OutputFolderMissing) {
  const fs::path out = tmp.path() / "no" / "such" / "dir" / "out.wav";
  auto r = sign_cli(shell_quote(in.string()) + " -o " + shell_quote(out.string()) + " " + pki.args());
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find(out.string()), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp.path() / "no"));
}

TEST_F(SignBadInput, OutputFolderReadOnly) {
  // Tests may run as root, where a chmod'ed folder is still writable; /sys refuses new files even
  // to root. Skip when it does not (nothing is written there: the probe must fail).
  const fs::path ro = "/sys";
  const fs::path probe = ro / "veritrace-probe";
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd >= 0) {
    ::close(fd);
    ::unlink(probe.c_str());
    GTEST_SKIP() << "/sys accepts new files here: no read-only folder to test with";
  }
  const auto before = listing(ro);
  auto r = sign_cli(shell_quote(in.string()) + " -o " + shell_quote((ro / "out.wav").string()) + " " + pki.args());
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("out.wav"), std::string::npos) << r.err;
  EXPECT_EQ(listing(ro), before);
  // A folder with a chmod 0555 (effective unless root).
  fs::permissions(out_dir(), fs::perms::owner_read | fs::perms::owner_exec);
  const bool root = ::geteuid() == 0;
  r = sign_cli(shell_quote(in.string()) + to_out() + " " + pki.args());
  fs::permissions(out_dir(), fs::perms::owner_all);
  if (!root) {
    EXPECT_EQ(r.exit_code, 6) << r.err;
    EXPECT_EQ(listing(out_dir()), std::set<std::string>{});
  }
}

TEST_F(SignBadInput, ConflictingOrUnknownOptions) {
  expect_failure(shell_quote(in.string()) + to_out() + " " + pki.args() + " --ai-generated --source-type digitalCapture", 2,
                 "--ai-generated");
  expect_failure(shell_quote(in.string()) + to_out() + " " + pki.args() + " --alg rs999", 2, "rs999");
  expect_failure(shell_quote(in.string()) + to_out() + " " + pki.args() + " --action c2pa.edited:novalue", 2, "novalue");
  expect_failure(shell_quote(in.string()) + to_out() + " " + pki.args() + " --action " + shell_quote("c2pa.edited:{not json"), 2,
                 "c2pa.edited");
  expect_failure(shell_quote(in.string()) + to_out() + " " + pki.args() + " --claim-version 3", 2, "claim-version");
  // The key is P-256: es384 cannot be used with it (key problem, 5).
  expect_failure(shell_quote(in.string()) + to_out() + " " + pki.args() + " --alg es384", 5, "es384");
  const fs::path def = tmp.path() / "def.json";
  write_text(def, R"({"assertions":[{"label":"c2pa.hash.data","data":{}}]})");
  expect_failure(shell_quote(in.string()) + to_out() + " " + pki.args() + " --manifest " + shell_quote(def.string()), 2,
                 "c2pa.hash.data");
  write_text(def, "[1,2");
  expect_failure(shell_quote(in.string()) + to_out() + " " + pki.args() + " --manifest " + shell_quote(def.string()), 3,
                 "def.json");
}

// ---- with ../shared: every format ---------------------------------------------------------------

class SignFormat : public ::testing::TestWithParam<std::string> {};

TEST_P(SignFormat, RoundTripTrusted) {
  VT_REQUIRE_SHARED(shared);
  const std::string fmt = GetParam();
  vt_test::TempDir tmp;
  const fs::path src = shared / "data/c2pa/made/src" / source_name(fmt);
  const auto original = vt_test::read_file(src);
  const Pki pki = shared_pki(shared);
  const fs::path out = tmp.path() / ("out." + fmt);
  auto r = sign_cli(shell_quote(src.string()) + " -o " + shell_quote(out.string()) + " " + pki.args() + " --ai-generated --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json sj = json::parse(r.out, nullptr, false);
  auto res = read_ours(out, pki.root);
  EXPECT_EQ(res.state, ValidationState::Trusted) << join(failure_codes(res.report));
  EXPECT_EQ(join(failure_codes(res.report)), "");
  EXPECT_EQ(res.report.value("active_manifest", ""), sj.value("manifest_label", "?"));
  EXPECT_EQ(sj.value("output_size", uint64_t{0}), fs::file_size(out));
  EXPECT_EQ(vt_test::read_file(src), original);
  ASSERT_NE(active_manifest(res.report), nullptr);
  // The hard binding checked out (the assertion itself is listed only with --detailed).
  std::set<std::string> success;
  for (const auto& st : res.report["validation_results"]["activeManifest"]["success"]) success.insert(st.value("code", ""));
  EXPECT_TRUE(success.count(fmt == "mp4" ? "assertion.bmffHash.match" : "assertion.dataHash.match")) << join(success);

  // Each algorithm of the shared PKI on this format, through the library.
  for (const std::string alg : {"es384", "es512", "ps256", "ps384", "ps512", "ed25519"}) {
    const Pki p = shared_pki(shared, alg);
    veritrace::c2pa::SignOptions o;
    o.key = p.key.string();
    o.cert_chain = p.chain.string();
    o.alg = alg;
    veritrace::c2pa::Signer signer(o);
    const fs::path lib_out = tmp.path() / (alg + "." + fmt);
    auto sr = signer.sign_file(src.string(), lib_out.string());
    auto lr = read_ours(lib_out, p.root);
    EXPECT_EQ(lr.state, ValidationState::Trusted) << alg << ": " << join(failure_codes(lr.report));
    EXPECT_EQ(lr.report.value("active_manifest", ""), sr.manifest_label);
  }
}

TEST_P(SignFormat, OneByteMediaChangeIsAHashMismatch) {
  VT_REQUIRE_SHARED(shared);
  const std::string fmt = GetParam();
  vt_test::TempDir tmp;
  const fs::path src = shared / "data/c2pa/made/src" / source_name(fmt);
  const Pki pki = shared_pki(shared);
  const fs::path out = tmp.path() / ("out." + fmt);
  auto r = sign_cli(shell_quote(src.string()) + " -o " + shell_quote(out.string()) + " " + pki.args());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto signed_bytes = vt_test::read_file(out);
  auto range = media_range(signed_bytes, fmt);
  ASSERT_TRUE(range && range->end > range->begin + 16) << "no media bytes found in the signed " << fmt;
  const size_t n = range->end - range->begin;
  for (size_t at : {range->begin, range->begin + n / 3, range->begin + n / 2, range->end - 1}) {
    if (fmt == "jpg") {  // keep JPEG markers intact: change a byte that is neither 0xFF nor after one
      while (at + 1 < range->end && (signed_bytes[at] >= 0xFE || signed_bytes[at - 1] == 0xFF)) ++at;
    }
    auto bytes = signed_bytes;
    bytes[at] ^= 0x01;
    const fs::path t = tmp.path() / ("t." + fmt);
    vt_test::write_file(t, bytes);
    veritrace::c2pa::ReadResult res;
    try {
      res = read_ours(t, pki.root);
    } catch (const std::exception& e) {
      ADD_FAILURE() << fmt << " byte " << at << ": the reader threw: " << e.what();
      continue;
    }
    EXPECT_EQ(res.state, ValidationState::Invalid) << fmt << " byte " << at;
    EXPECT_TRUE(failure_codes(res.report).count(hash_mismatch_code(fmt)))
        << fmt << " byte " << at << ": " << join(failure_codes(res.report));
  }
}

TEST_P(SignFormat, SidecarValidatesUnchangedInput) {
  VT_REQUIRE_SHARED(shared);
  const std::string fmt = GetParam();
  vt_test::TempDir tmp;
  const fs::path in = tmp.path() / ("in." + fmt);
  fs::copy_file(shared / "data/c2pa/made/src" / source_name(fmt), in);
  const auto original = vt_test::read_file(in);
  const Pki pki = shared_pki(shared);
  const fs::path store = tmp.path() / "in.c2pa";
  auto r = sign_cli(shell_quote(in.string()) + " -o " + shell_quote(store.string()) + " " + pki.args() + " --sidecar");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(vt_test::read_file(in), original) << "--sidecar changed the input";
  EXPECT_EQ(listing(tmp.path()), (std::set<std::string>{"in." + fmt, "in.c2pa"}));

  auto rr = vt_test::run(cli() + " c2pa read " + shell_quote(in.string()) + " --sidecar " + shell_quote(store.string()) +
                         " --json --trust " + shell_quote(pki.root.string()));
  EXPECT_EQ(rr.exit_code, 0) << rr.err;
  const json report = json::parse(rr.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << rr.out;
  EXPECT_EQ(report.value("validation_state", ""), "Trusted") << join(failure_codes(report));
  EXPECT_EQ(report.value("manifest_source", ""), "sidecar");
  EXPECT_EQ(join(failure_codes(report)), "");

  // The store does not validate a different asset of the same format.
  auto other = original;
  auto range = media_range(other, fmt);
  ASSERT_TRUE(range && range->end > range->begin + 2);
  size_t at = range->begin + (range->end - range->begin) / 2;
  while (fmt == "jpg" && (other[at] >= 0xFE || other[at - 1] == 0xFF)) ++at;
  other[at] ^= 0x01;
  const fs::path changed = tmp.path() / ("changed." + fmt);
  vt_test::write_file(changed, other);
  veritrace::c2pa::Reader reader({.trust_anchor_files = {pki.root.string()}});
  auto res = reader.read_with_sidecar(changed.string(), store.string());
  EXPECT_EQ(res.state, ValidationState::Invalid);
  EXPECT_TRUE(failure_codes(res.report).count(hash_mismatch_code(fmt))) << join(failure_codes(res.report));
}

TEST_P(SignFormat, ParentAndAutoKeptCredentials) {
  VT_REQUIRE_SHARED(shared);
  const std::string fmt = GetParam();
  vt_test::TempDir tmp;
  const fs::path src = shared / "data/c2pa/made/src" / source_name(fmt);
  const Pki pki = shared_pki(shared);
  const fs::path first = tmp.path() / ("first." + fmt);
  auto r = sign_cli(shell_quote(src.string()) + " -o " + shell_quote(first.string()) + " " + pki.args() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string first_label = json::parse(r.out, nullptr, false).value("manifest_label", "?");
  for (const bool explicit_parent : {true, false}) {
    const fs::path out = tmp.path() / (std::string(explicit_parent ? "explicit." : "auto.") + fmt);
    r = sign_cli(shell_quote(first.string()) + " -o " + shell_quote(out.string()) + " " + pki.args() +
                 (explicit_parent ? " --parent " + shell_quote(first.string()) : std::string()) + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out, nullptr, false).value("kept_existing_as_parent", !explicit_parent), !explicit_parent);
    auto res = read_ours(out, pki.root);
    EXPECT_EQ(res.state, ValidationState::Trusted) << join(failure_codes(res.report));
    EXPECT_EQ(res.report["manifests"].size(), 2u);
    const json* m = active_manifest(res.report);
    ASSERT_NE(m, nullptr);
    ASSERT_TRUE(m->contains("ingredients") && (*m)["ingredients"].size() == 1u) << m->dump(2);
    const json& ing = (*m)["ingredients"][0];
    EXPECT_EQ(ing.value("relationship", ""), "parentOf");
    EXPECT_EQ(ing.value("title", ""), "first." + fmt);
    EXPECT_EQ(ing.value("active_manifest", ""), first_label);
  }
}

INSTANTIATE_TEST_SUITE_P(All, SignFormat, ::testing::ValuesIn(kFormats));

// OUT naming the input through a symlink or a hard link: refused (2), or signed without touching
// the input (the output replaces the link, written to a temporary file and renamed).
TEST(SignSamePath, LinksToInputNeverChangeIt) {
  VT_REQUIRE_SHARED(shared);
  vt_test::TempDir tmp;
  const fs::path in = tmp.path() / "in.jpg";
  fs::copy_file(shared / "data/c2pa/made/src/src640.jpg", in);
  const auto original = vt_test::read_file(in);
  fs::create_symlink(in, tmp.path() / "link.jpg");
  fs::create_hard_link(in, tmp.path() / "hard.jpg");
  const Pki pki = shared_pki(shared);
  for (const std::string out : {"link.jpg", "hard.jpg"}) {
    auto r = sign_cli(shell_quote(in.string()) + " -o " + shell_quote((tmp.path() / out).string()) + " " + pki.args());
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 2) << out << ": exit " << r.exit_code << ": " << r.err;
    EXPECT_EQ(vt_test::read_file(in), original) << out << ": the input changed";
    EXPECT_EQ(listing(tmp.path()), (std::set<std::string>{"in.jpg", "link.jpg", "hard.jpg"}));
    if (r.exit_code == 0) {
      EXPECT_EQ(read_ours(tmp.path() / out, pki.root).state, ValidationState::Trusted) << out;
    }
  }
}

}  // namespace
