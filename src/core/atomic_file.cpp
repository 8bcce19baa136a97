#include "core/atomic_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "veritrace/core.hpp"

namespace veritrace {

AtomicOutput::AtomicOutput(const std::string& target) : target_(target) {
  std::filesystem::path dir = std::filesystem::path(target).parent_path();
  if (dir.empty()) dir = ".";
  tmp_ = (dir / ("." + std::filesystem::path(target).filename().string() + ".vt-XXXXXX")).string();
  fd_ = ::mkstemp(tmp_.data());
  if (fd_ < 0) throw Error(ErrorKind::Output, target + ": cannot create the output: " + std::strerror(errno));
}

AtomicOutput::~AtomicOutput() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_.c_str());
}

void AtomicOutput::write(std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error(ErrorKind::Output, target_ + ": cannot write the output: " + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
}

void AtomicOutput::commit(bool durable) {
  ::fchmod(fd_, 0644);
  if ((durable && ::fsync(fd_) != 0) || ::close(fd_) != 0) {
    fd_ = -1;
    throw Error(ErrorKind::Output, target_ + ": cannot write the output: " + std::strerror(errno));
  }
  fd_ = -1;
  if (::rename(tmp_.c_str(), target_.c_str()) != 0)
    throw Error(ErrorKind::Output, target_ + ": cannot rename the output into place: " + std::strerror(errno));
  committed_ = true;
}

void write_file_atomically(const std::string& path, std::span<const uint8_t> bytes, bool durable) {
  AtomicOutput out(path);
  out.write(bytes);
  out.commit(durable);
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

}  // namespace veritrace
