#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/mapped_file.hpp"
#include "veritrace/core.hpp"

namespace veritrace {

std::vector<uint8_t> ByteSource::read_vector(uint64_t offset, uint64_t length) const {
  if (offset > size() || length > size() - offset) {
    throw_malformed(name_ + ": range [" + std::to_string(offset) + ", +" + std::to_string(length) +
                    ") runs past the end of the data (" + std::to_string(size()) + " bytes)");
  }
  std::vector<uint8_t> out(length);
  read_at(offset, out);
  return out;
}

namespace {

void check_range(const ByteSource& src, uint64_t offset, uint64_t length) {
  if (offset > src.size() || length > src.size() - offset) {
    throw_malformed(src.name() + ": read past the end of the data at offset " + std::to_string(offset));
  }
}

class FileSource final : public ByteSource {
 public:
  FileSource(int fd, uint64_t size, std::string path) : fd_(fd), size_(size) { name_ = std::move(path); }
  ~FileSource() override { ::close(fd_); }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  uint64_t size() const override { return size_; }
  void read_at(uint64_t offset, std::span<uint8_t> out) const override {
    check_range(*this, offset, out.size());
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        throw Error(ErrorKind::Io, name_ + ": read failed: " + std::strerror(errno));
      }
      if (n == 0) throw Error(ErrorKind::Io, name_ + ": file shrank while being read");
      done += static_cast<size_t>(n);
    }
  }
  int fd() const { return fd_; }

 private:
  int fd_;
  uint64_t size_;
};

class SpanSource final : public ByteSource {
 public:
  SpanSource(std::span<const uint8_t> bytes, std::string name) : bytes_(bytes) { name_ = std::move(name); }
  uint64_t size() const override { return bytes_.size(); }
  void read_at(uint64_t offset, std::span<uint8_t> out) const override {
    check_range(*this, offset, out.size());
    if (!out.empty()) std::memcpy(out.data(), bytes_.data() + offset, out.size());
  }
  const uint8_t* contiguous_data() const override { return bytes_.data(); }

 private:
  std::span<const uint8_t> bytes_;
};

class MemorySource final : public ByteSource {
 public:
  MemorySource(std::vector<uint8_t> bytes, std::string name) : bytes_(std::move(bytes)) { name_ = std::move(name); }
  uint64_t size() const override { return bytes_.size(); }
  void read_at(uint64_t offset, std::span<uint8_t> out) const override {
    check_range(*this, offset, out.size());
    if (!out.empty()) std::memcpy(out.data(), bytes_.data() + offset, out.size());
  }
  const uint8_t* contiguous_data() const override { return bytes_.data(); }

 private:
  std::vector<uint8_t> bytes_;
};

}  // namespace

namespace mapped {
int file_descriptor(const ByteSource& source) {
  const auto* file = dynamic_cast<const FileSource*>(&source);
  return file != nullptr ? file->fd() : -1;
}
}  // namespace mapped

std::unique_ptr<ByteSource> open_file_source(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(ErrorKind::Io, path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    throw Error(ErrorKind::Io, path + ": cannot stat: " + std::strerror(e));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw Error(ErrorKind::Io, path + ": is a directory");
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(ErrorKind::Unsupported, path + ": not a regular file");
  }
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::make_unique<FileSource>(fd, static_cast<uint64_t>(st.st_size), path);
}

std::unique_ptr<ByteSource> make_memory_source(std::vector<uint8_t> bytes, std::string name) {
  return std::make_unique<MemorySource>(std::move(bytes), std::move(name));
}

std::unique_ptr<ByteSource> make_span_source(std::span<const uint8_t> bytes, std::string name) {
  return std::make_unique<SpanSource>(bytes, std::move(name));
}

}  // namespace veritrace
