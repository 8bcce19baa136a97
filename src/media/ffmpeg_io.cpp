// Shared FFmpeg plumbing for the media readers (ffmpeg_io.hpp).
#include "media/ffmpeg_io.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <span>

#include <unistd.h>

extern "C" {
#include <libavutil/error.h>
#include <libavutil/mem.h>
}

namespace veritrace::media::ffio {

namespace {

constexpr int kIoBufferBytes = 64 * 1024;

void log_to_buffer(void*, int level, const char* format, va_list args) {
  if (level > AV_LOG_ERROR) return;
  char line[512];
  std::vsnprintf(line, sizeof line, format, args);
  std::string& last = last_error();
  last = line;
  while (!last.empty() && (last.back() == '\n' || last.back() == ' ')) last.pop_back();
}

}  // namespace

std::string& last_error() {
  thread_local std::string last;
  return last;
}

void quiet() {
  static std::once_flag once;
  std::call_once(once, [] {
    av_log_set_callback(log_to_buffer);
    // Demuxers trust size fields of the file: a 64 KB WAV whose LIST chunk claims 1 GB makes the
    // wav demuxer allocate 1 GB (found by fuzz_audio). No single FFmpeg allocation needs more than
    // 256 MB here (an 8K frame is about 130 MB), so larger requests fail as out-of-memory errors
    // of that file instead of taking the machine's memory. The limit is process-wide.
    av_max_alloc(256u << 20);
  });
}

std::string error_text(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(code, buf, sizeof buf);
  return buf;
}

int fd_read(void* opaque, uint8_t* buf, int size) {
  auto* io = static_cast<IoState*>(opaque);
  for (;;) {
    const ssize_t n = ::read(io->fd, buf, static_cast<size_t>(size));
    if (n > 0) return static_cast<int>(n);
    if (n == 0) return AVERROR_EOF;
    if (errno != EINTR) return AVERROR(errno);
  }
}

int io_read(void* opaque, uint8_t* buf, int size) {
  auto* io = static_cast<IoState*>(opaque);
  const uint64_t total = io->source->size();
  if (io->pos >= total) return AVERROR_EOF;
  const size_t n = static_cast<size_t>(std::min<uint64_t>(static_cast<uint64_t>(size), total - io->pos));
  try {
    io->source->read_at(io->pos, std::span<uint8_t>(buf, n));
  } catch (...) {
    return AVERROR(EIO);
  }
  io->pos += n;
  return static_cast<int>(n);
}

int64_t io_seek(void* opaque, int64_t offset, int whence) {
  auto* io = static_cast<IoState*>(opaque);
  const int64_t total = static_cast<int64_t>(io->source->size());
  int64_t target;
  switch (whence & ~AVSEEK_FORCE) {
    case AVSEEK_SIZE: return total;
    case SEEK_SET: target = offset; break;
    case SEEK_CUR: target = static_cast<int64_t>(io->pos) + offset; break;
    case SEEK_END: target = total + offset; break;
    default: return AVERROR(EINVAL);
  }
  if (target < 0) return AVERROR(EINVAL);
  io->pos = static_cast<uint64_t>(target);
  return target;
}

int refuse_nested_open(AVFormatContext*, AVIOContext**, const char*, int, AVDictionary**) { return AVERROR(EPERM); }

Input::Input(const ByteSource& source, const char* demuxers, const std::string& what) {
  try {
    open(source, demuxers, what);
  } catch (...) {
    release();
    throw;
  }
}

Input::~Input() { release(); }

void Input::release() {
  if (fmt_) avformat_close_input(&fmt_);  // does not free our custom AVIO context
  if (avio_) {
    av_freep(&avio_->buffer);
    avio_context_free(&avio_);
  }
}

void Input::open(const ByteSource& source, const char* demuxers, const std::string& what) {
  quiet();
  last_error().clear();
  auto fail = [&](ErrorKind kind, const std::string& msg) {
    std::string m = fmt::format("{}: {}", source.name(), msg);
    if (!last_error().empty()) m += fmt::format(" (FFmpeg: {})", last_error());
    throw Error(kind, m);
  };
  if (source.size() == 0) fail(ErrorKind::Malformed, "empty file (0 bytes)");
  io_.source = &source;
  fmt_ = avformat_alloc_context();
  if (!fmt_) throw std::bad_alloc();
  auto* buffer = static_cast<uint8_t*>(av_malloc(kIoBufferBytes));
  if (!buffer) throw std::bad_alloc();
  avio_ = avio_alloc_context(buffer, kIoBufferBytes, 0, &io_, io_read, nullptr, io_seek);
  if (!avio_) {
    av_free(buffer);
    throw std::bad_alloc();
  }
  fmt_->pb = avio_;
  fmt_->flags |= AVFMT_FLAG_CUSTOM_IO;
  fmt_->io_open = refuse_nested_open;
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "format_whitelist", demuxers, 0);
  const int rc = avformat_open_input(&fmt_, nullptr, nullptr, &opts);
  av_dict_free(&opts);
  if (rc < 0) {
    fmt_ = nullptr;  // freed by avformat_open_input on failure
    // ENOMEM here is nearly always a header claiming an absurd size, not a machine out of memory.
    if (rc == AVERROR(ENOMEM)) fail(ErrorKind::Malformed, "the container asks for more memory than it can need");
    if (rc == AVERROR(EIO)) fail(ErrorKind::Io, "read error");
    fail(ErrorKind::Unsupported, fmt::format("not {} this build reads", what));
  }
  if (const int r = avformat_find_stream_info(fmt_, nullptr); r < 0)
    fail(ErrorKind::Malformed, "cannot read the streams: " + error_text(r));
}

}  // namespace veritrace::media::ffio
