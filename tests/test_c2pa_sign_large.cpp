// Signing an output above the signer's parallel threshold (64 MiB): the output is hashed from the
// input's pages (mmap) while a second thread copies them into the output (copy_file_range); the
// result must validate and stay bound. An input that shrinks after it was opened is a clean
// Error(Io), on both the parallel and the single-thread path.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <fstream>

#include "cose/sign.hpp"
#include "support/test_support.hpp"
#include "veritrace/c2pa.hpp"
#include "veritrace/c2pa_sign.hpp"

using namespace veritrace;
namespace fs = std::filesystem;

namespace {
void put_le(std::string& s, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// A 16-bit stereo WAV of `data_bytes` bytes of deterministic noise, written in blocks.
void write_wav(const fs::path& p, uint32_t data_bytes) {
  std::string head = "RIFF";
  put_le(head, 36 + data_bytes, 4);
  head += "WAVEfmt ";
  put_le(head, 16, 4);
  put_le(head, 1, 2);
  put_le(head, 2, 2);
  put_le(head, 48000, 4);
  put_le(head, 48000 * 4, 4);
  put_le(head, 4, 2);
  put_le(head, 16, 2);
  head += "data";
  put_le(head, data_bytes, 4);
  std::ofstream out(p, std::ios::binary);
  out.write(head.data(), static_cast<std::streamsize>(head.size()));
  std::vector<char> block(1 << 20);
  uint32_t x = 12345;
  for (uint32_t done = 0; done < data_bytes; done += static_cast<uint32_t>(block.size())) {
    for (auto& b : block) b = static_cast<char>((x = x * 1664525u + 1013904223u) >> 24);
    out.write(block.data(), static_cast<std::streamsize>(std::min<size_t>(block.size(), data_bytes - done)));
  }
}
}  // namespace

TEST(C2paSignLarge, ParallelHashedOutputValidatesAndStaysBound) {
  vt_test::TempDir dir;
  const fs::path in = dir.path() / "big.wav", out = dir.path() / "big-signed.wav";
  write_wav(in, 80u << 20);
  auto creds = cose::generate_test_credentials(cose::SigningAlg::Es256);
  auto write_text = [](const fs::path& p, const std::string& t) { std::ofstream(p, std::ios::binary) << t; };
  write_text(dir.path() / "key.pem", creds.key_pem);
  write_text(dir.path() / "chain.pem", creds.chain_pem);
  write_text(dir.path() / "root.pem", creds.root_pem);

  c2pa::SignOptions options;
  options.key = (dir.path() / "key.pem").string();
  options.cert_chain = (dir.path() / "chain.pem").string();
  c2pa::Signer(options).sign_file(in.string(), out.string());

  c2pa::ReadOptions read;
  read.trust_anchor_files = {(dir.path() / "root.pem").string()};
  c2pa::Reader reader(read);
  EXPECT_EQ(reader.read_file(out.string()).state, c2pa::ValidationState::Trusted);

  // One byte late in the audio data, far past the first chunks, must break the binding.
  {
    std::fstream f(out, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(70u << 20);
    char c = 0;
    f.read(&c, 1);
    f.seekp(70u << 20);
    c = static_cast<char>(c ^ 0x10);
    f.write(&c, 1);
  }
  auto tampered = reader.read_file(out.string());
  EXPECT_EQ(tampered.state, c2pa::ValidationState::Invalid);
  bool mismatch = false;
  for (const auto& s : tampered.report["validation_results"]["activeManifest"]["failure"]) {
    mismatch |= s["code"] == "assertion.dataHash.mismatch";
  }
  EXPECT_TRUE(mismatch);
}

namespace {
struct Creds {
  fs::path key, chain, root;
};
Creds write_creds(const fs::path& dir) {
  auto creds = cose::generate_test_credentials(cose::SigningAlg::Es256);
  auto write_text = [](const fs::path& p, const std::string& t) { std::ofstream(p, std::ios::binary) << t; };
  write_text(dir / "key.pem", creds.key_pem);
  write_text(dir / "chain.pem", creds.chain_pem);
  write_text(dir / "root.pem", creds.root_pem);
  return {dir / "key.pem", dir / "chain.pem", dir / "root.pem"};
}
}  // namespace

// The input is cut after it was opened (its size recorded), then signed: the hash over the
// mapped input faults (SIGBUS) or the kernel copy comes up short; either way Error(Io), no crash.
TEST(C2paSignLarge, InputTruncatedAfterOpeningIsAnIoError) {
  vt_test::TempDir dir;
  Creds creds = write_creds(dir.path());
  c2pa::SignOptions options;
  options.key = creds.key.string();
  options.cert_chain = creds.chain.string();
  c2pa::Signer signer(options);
  // 80 MiB: the parallel path; 6 MiB: one thread.
  for (uint32_t data_bytes : {80u << 20, 6u << 20}) {
    const fs::path in = dir.path() / "cut.wav";
    write_wav(in, data_bytes);
    auto src = open_file_source(in.string());
    fs::resize_file(in, data_bytes / 2);
    const fs::path out = dir.path() / "out.wav";
    int fd = ::open(out.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    try {
      signer.sign_to_fd(*src, fd);
      ADD_FAILURE() << data_bytes << " bytes: signing a truncated input succeeded";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Io) << data_bytes << " bytes: " << e.what();
    }
    ::close(fd);
  }
}
