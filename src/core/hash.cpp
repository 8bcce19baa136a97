#include "core/hash.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

#include "core/mapped_file.hpp"

namespace veritrace {

namespace {
const EVP_MD* md_for(HashAlg alg) {
  switch (alg) {
    case HashAlg::Sha256: return EVP_sha256();
    case HashAlg::Sha384: return EVP_sha384();
    case HashAlg::Sha512: return EVP_sha512();
  }
  return EVP_sha256();
}
constexpr size_t kChunk = 1 << 20;
}  // namespace

std::optional<HashAlg> hash_alg_from_name(std::string_view name) {
  if (name == "sha256") return HashAlg::Sha256;
  if (name == "sha384") return HashAlg::Sha384;
  if (name == "sha512") return HashAlg::Sha512;
  return std::nullopt;
}

const char* hash_alg_name(HashAlg alg) {
  switch (alg) {
    case HashAlg::Sha256: return "sha256";
    case HashAlg::Sha384: return "sha384";
    case HashAlg::Sha512: return "sha512";
  }
  return "sha256";
}

size_t hash_size(HashAlg alg) {
  switch (alg) {
    case HashAlg::Sha256: return 32;
    case HashAlg::Sha384: return 48;
    case HashAlg::Sha512: return 64;
  }
  return 32;
}

Hasher::Hasher(HashAlg alg) : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), md_for(alg), nullptr) != 1) {
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
    throw Error(ErrorKind::Internal, "cannot initialise hash");
  }
}

Hasher::~Hasher() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

namespace {
struct GuardedUpdate {
  EVP_MD_CTX* ctx;
  const uint8_t* data;
  size_t size;
  int result;
};
void run_update(void* p) {
  auto* u = static_cast<GuardedUpdate*>(p);
  u->result = EVP_DigestUpdate(u->ctx, u->data, u->size);
}
}  // namespace

void Hasher::update(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return;
  auto* ctx = static_cast<EVP_MD_CTX*>(ctx_);
  if (mapped::in_current_window(bytes.data(), bytes.size())) {  // a mapped file: a SIGBUS becomes Error(Io)
    GuardedUpdate u{ctx, bytes.data(), bytes.size(), 0};
    if (!mapped::guarded(&run_update, &u)) mapped::throw_file_changed();
    if (u.result != 1) throw Error(ErrorKind::Internal, "hash update failed");
    return;
  }
  if (EVP_DigestUpdate(ctx, bytes.data(), bytes.size()) != 1) {
    throw Error(ErrorKind::Internal, "hash update failed");
  }
}

namespace {

// Large ranges are read by a second thread one chunk ahead of the hash, so copying the file
// into memory (pread) overlaps with SHA-2 instead of adding to it.
constexpr uint64_t kReadAheadThreshold = 8u << 20;

class ReadAhead {
 public:
  ReadAhead(const ByteSource& source, uint64_t offset, uint64_t length)
      : source_(source), next_offset_(offset), remaining_(length) {
    buffers_[0].resize(kChunk);
    buffers_[1].resize(kChunk);
    worker_ = std::thread([this] { run(); });
  }
  ~ReadAhead() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // The next filled chunk; empty at the end. Rethrows a read error from the worker.
  std::span<const uint8_t> next() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (consumed_ > 0) {  // hand the previous buffer back to the reader
      --filled_;
      cv_.notify_all();
    }
    cv_.wait(lock, [this] { return filled_ > 0 || done_; });
    if (error_) std::rethrow_exception(error_);
    if (filled_ == 0) return {};
    const auto& b = buffers_[consumed_ % 2];
    size_t n = sizes_[consumed_ % 2];
    ++consumed_;
    return std::span<const uint8_t>(b.data(), n);
  }

 private:
  void run() {
    uint64_t produced = 0;
    try {
      while (true) {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [this] { return filled_ < 2 || stop_; });
        if (stop_ || remaining_ == 0) break;
        size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, kChunk));
        uint64_t at = next_offset_;
        auto& buffer = buffers_[produced % 2];
        lock.unlock();
        source_.read_at(at, std::span(buffer.data(), n));
        lock.lock();
        sizes_[produced % 2] = n;
        ++produced;
        ++filled_;
        next_offset_ += n;
        remaining_ -= n;
        cv_.notify_all();
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      error_ = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
    cv_.notify_all();
  }

  const ByteSource& source_;
  uint64_t next_offset_;
  uint64_t remaining_;
  std::vector<uint8_t> buffers_[2];
  size_t sizes_[2] = {0, 0};
  int filled_ = 0;        // chunks read and not yet handed back
  uint64_t consumed_ = 0;  // chunks handed to the hash
  bool stop_ = false;
  bool done_ = false;
  std::exception_ptr error_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::thread worker_;
};

}  // namespace

void Hasher::update_from(const ByteSource& source, uint64_t offset, uint64_t length) {
  if (offset > source.size() || length > source.size() - offset) {
    throw_malformed(source.name() + ": hashed range runs past the end of the file");
  }
  if (const uint8_t* data = source.contiguous_data()) {  // memory: hash in place, no copy
    update(std::span<const uint8_t>(data + offset, static_cast<size_t>(length)));
    return;
  }
  if (length >= mapped::kMinMappedLength && mapped::enabled()) {  // a regular file: hash its pages in place
    if (int fd = mapped::file_descriptor(source); fd >= 0) {
      uint64_t walked = mapped::for_each_window(fd, offset, length, source.name(),
                                                [this](uint64_t, std::span<const uint8_t> bytes) { update(bytes); });
      offset += walked;  // the rest (if a mapping failed) is read below
      length -= walked;
      if (length == 0) return;
    }
  }
  if (length >= kReadAheadThreshold) {
    ReadAhead reader(source, offset, length);
    for (auto chunk = reader.next(); !chunk.empty(); chunk = reader.next()) update(chunk);
    return;
  }
  thread_local std::vector<uint8_t> buffer(kChunk);
  while (length > 0) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(length, kChunk));
    source.read_at(offset, std::span(buffer.data(), n));
    update(std::span<const uint8_t>(buffer.data(), n));
    offset += n;
    length -= n;
  }
}

std::vector<uint8_t> Hasher::finish() {
  std::vector<uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out.data(), &len) != 1) {
    throw Error(ErrorKind::Internal, "hash finish failed");
  }
  out.resize(len);
  return out;
}

std::vector<uint8_t> hash_bytes(HashAlg alg, std::span<const uint8_t> bytes) {
  Hasher h(alg);
  h.update(bytes);
  return h.finish();
}

std::vector<uint8_t> hash_excluding(HashAlg alg, const ByteSource& source, std::vector<ByteRange> exclusions) {
  std::sort(exclusions.begin(), exclusions.end(),
            [](const ByteRange& a, const ByteRange& b) { return a.offset < b.offset; });
  Hasher h(alg);
  uint64_t pos = 0;
  for (const auto& ex : exclusions) {
    if (ex.offset > source.size() || ex.length > source.size() - ex.offset) {
      throw_malformed(source.name() + ": exclusion range runs past the end of the file");
    }
    if (ex.offset > pos) {
      h.update_from(source, pos, ex.offset - pos);
    }
    pos = std::max(pos, ex.end());
  }
  if (pos < source.size()) h.update_from(source, pos, source.size() - pos);
  return h.finish();
}

}  // namespace veritrace
