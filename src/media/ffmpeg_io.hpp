// What the FFmpeg readers (video.cpp, audio.cpp) share: FFmpeg's log kept off stderr, error text,
// and the AVIO callbacks that read a ByteSource (or a pipe). Internal to the media module.
#pragma once
#include <cstdint>
#include <string>

#include "veritrace/core.hpp"

extern "C" {
#include <libavformat/avformat.h>
}

namespace veritrace::media::ffio {

// Routes FFmpeg's log into last_error() (this thread's last error line) instead of stderr.
void quiet();
std::string& last_error();
std::string error_text(int averror);

struct IoState {
  const ByteSource* source = nullptr;
  uint64_t pos = 0;
  int fd = -1;  // live input from a pipe (standard input): read(2), no seeking
};
int fd_read(void* opaque, uint8_t* buf, int size);
int io_read(void* opaque, uint8_t* buf, int size);
int64_t io_seek(void* opaque, int64_t offset, int whence);
// A container must not make FFmpeg open anything else (a playlist's segments, a reference movie).
int refuse_nested_open(AVFormatContext*, AVIOContext**, const char*, int, AVDictionary**);

// A container read through our ByteSource (never a URL), restricted to `demuxers`. Owns the
// format and I/O contexts. Throws Error(Malformed/Unsupported/Io) with the source's name.
class Input {
 public:
  Input(const ByteSource& source, const char* demuxers, const std::string& what);
  ~Input();
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;
  AVFormatContext* fmt() const { return fmt_; }

 private:
  void open(const ByteSource& source, const char* demuxers, const std::string& what);
  void release();
  IoState io_;
  AVIOContext* avio_ = nullptr;
  AVFormatContext* fmt_ = nullptr;
};

}  // namespace veritrace::media::ffio
