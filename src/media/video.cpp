// Streaming video decode through FFmpeg's libraries. Untrusted input: the bytes come through our
// ByteSource (never a URL), nested opens are refused, only container demuxers on a short list are
// allowed, frame sizes are checked before buffers are made, and FFmpeg's log never reaches stderr.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <cstring>
#include <mutex>

#include <unistd.h>

#include "media/ffmpeg_io.hpp"
#include "veritrace/media.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
}

namespace veritrace::media {

namespace {

// Demuxers that read one self-contained file. Excluded on purpose: playlists and lists of other
// files (hls, concat, dash), image sequences and raw formats that accept anything.
constexpr const char* kDemuxerWhitelist =
    "mov,matroska,webm,avi,flv,mpegts,mpeg,ogg,asf,h264,hevc,m4v,ivf,nut,mxf,yuv4mpegpipe";
constexpr int kIoBufferBytes = 64 * 1024;
constexpr int kMaxConsecutiveRejects = 300;

// Protocols a live input may use (the user names the URL); demuxers of live streams besides files.
constexpr const char* kLiveProtocols = "file,pipe,rtp,rtsp,udp,tcp,http,https,tls,crypto,srt,httpproxy";
constexpr const char* kLiveDemuxers = "rtsp,rtp,sdp";

int rotation_of(const AVStream* st) {
  const uint8_t* matrix = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, nullptr);
  if (!matrix) return 0;
  const double ccw = av_display_rotation_get(reinterpret_cast<const int32_t*>(matrix));
  if (!std::isfinite(ccw)) return 0;
  // The matrix gives the counter-clockwise angle that undoes the stored orientation; players turn
  // the picture clockwise by its negation.
  int cw = static_cast<int>(std::lround(-ccw / 90.0)) * 90;
  cw %= 360;
  if (cw < 0) cw += 360;
  return cw;
}

Image rotate_clockwise(const Image& in, int degrees) {
  if (degrees == 0) return in;
  Image out;
  out.channels = in.channels;
  const bool swap = degrees == 90 || degrees == 270;
  out.width = swap ? in.height : in.width;
  out.height = swap ? in.width : in.height;
  out.pixels.resize(in.pixels.size());
  const int c = in.channels;
  for (int y = 0; y < in.height; ++y) {
    const uint8_t* src = in.row(y);
    for (int x = 0; x < in.width; ++x) {
      int ox, oy;
      if (degrees == 90) { ox = in.height - 1 - y; oy = x; }
      else if (degrees == 180) { ox = in.width - 1 - x; oy = in.height - 1 - y; }
      else { ox = y; oy = in.width - 1 - x; }
      std::memcpy(out.row(oy) + static_cast<size_t>(ox) * c, src + static_cast<size_t>(x) * c, c);
    }
  }
  return out;
}

}  // namespace

struct VideoReader::Impl {
  std::unique_ptr<ByteSource> source;
  std::optional<LiveSource> live;
  VideoOptions options;
  VideoInfo info;
  ffio::IoState io;
  AVIOContext* avio = nullptr;
  AVFormatContext* fmt = nullptr;
  AVCodecContext* codec = nullptr;
  SwsContext* sws = nullptr;
  AVPacket* packet = nullptr;
  AVFrame* frame = nullptr;
  int stream = -1;
  double time_base = 0.0;
  int64_t start_pts = AV_NOPTS_VALUE;
  double next_sample_s = 0.0;
  int64_t decoded = 0;
  int64_t rejected = 0;
  int consecutive_rejects = 0;
  bool demux_done = false;
  bool flushed = false;
  bool finished = false;

  ~Impl() {
    sws_freeContext(sws);
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&codec);
    if (fmt) avformat_close_input(&fmt);  // does not free our custom AVIO context
    if (avio) {
      av_freep(&avio->buffer);
      avio_context_free(&avio);
    }
  }

  std::string name() const { return source ? source->name() : live->input; }
  [[noreturn]] void fail(ErrorKind kind, const std::string& what) const {
    std::string msg = fmt::format("{}: {}", name(), what);
    if (!ffio::last_error().empty()) msg += fmt::format(" (FFmpeg: {})", ffio::last_error());
    throw Error(kind, msg);
  }

  void open();
  void reject_packet();
  std::optional<VideoFrame> take_frame();
  std::optional<VideoFrame> next();
};

void VideoReader::Impl::open() {
  ffio::quiet();
  ffio::last_error().clear();
  if (!(options.sample_fps >= 0.0) || !std::isfinite(options.sample_fps))
    throw Error(ErrorKind::Usage, fmt::format("frame sampling rate must be >= 0, got {}", options.sample_fps));
  if (options.max_long_side < 0 || options.threads < 0 || !(options.max_duration_s >= 0.0))
    throw Error(ErrorKind::Usage, "video options out of range");
  const bool url_input = live && live->input != "-";
  if (source && source->size() == 0) fail(ErrorKind::Malformed, "empty file (0 bytes)");
  fmt = avformat_alloc_context();
  if (!fmt) throw std::bad_alloc();
  if (!url_input) {
    io.source = source.get();
    if (live) io.fd = STDIN_FILENO;
    auto* buffer = static_cast<uint8_t*>(av_malloc(kIoBufferBytes));
    if (!buffer) throw std::bad_alloc();
    avio = live ? avio_alloc_context(buffer, kIoBufferBytes, 0, &io, ffio::fd_read, nullptr, nullptr)
                : avio_alloc_context(buffer, kIoBufferBytes, 0, &io, ffio::io_read, nullptr, ffio::io_seek);
    if (!avio) {
      av_free(buffer);
      throw std::bad_alloc();
    }
    if (live) avio->seekable = 0;
    fmt->pb = avio;
    fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    fmt->io_open = ffio::refuse_nested_open;
  }
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "format_whitelist",
              url_input ? fmt::format("{},{}", kDemuxerWhitelist, kLiveDemuxers).c_str() : kDemuxerWhitelist, 0);
  std::string url;
  if (url_input) {
    av_dict_set(&opts, "protocol_whitelist", kLiveProtocols, 0);
    const auto idle_us = static_cast<int64_t>(std::max(0.1, live->idle_timeout_s) * 1e6);
    av_dict_set_int(&opts, "rw_timeout", idle_us, 0);
    url = live->input;
    if (url.find("://") == std::string::npos) {
      // A plain path: FFmpeg's file protocol, reading on while the file grows.
      url = "file:" + url;
      av_dict_set(&opts, "follow", "1", 0);
    }
  }
  const int rc = avformat_open_input(&fmt, url_input ? url.c_str() : nullptr, nullptr, &opts);
  av_dict_free(&opts);
  if (rc < 0) {
    fmt = nullptr;  // freed by avformat_open_input on failure
    // ENOMEM here is nearly always a header claiming an absurd size, not a machine out of memory.
    if (rc == AVERROR(ENOMEM)) fail(ErrorKind::Malformed, "the container asks for more memory than it can need");
    if (rc == AVERROR(EIO)) fail(ErrorKind::Io, "read error");
    if (url_input && rc != AVERROR_INVALIDDATA) fail(ErrorKind::Io, "cannot open the live input: " + ffio::error_text(rc));
    // Unknown bytes, a refused demuxer (playlists) or a container too broken to identify.
    fail(ErrorKind::Unsupported, "not a video container this build reads");
  }
  if (const int r = avformat_find_stream_info(fmt, nullptr); r < 0)
    fail(ErrorKind::Malformed, "cannot read the streams: " + ffio::error_text(r));
  info.container = fmt->iformat && fmt->iformat->name ? fmt->iformat->name : "";

  // The largest real video stream (cover art and thumbnails are attached pictures, not video).
  int64_t best_area = -1;
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    const AVStream* st = fmt->streams[i];
    const AVCodecParameters* par = st->codecpar;
    if (par->codec_type == AVMEDIA_TYPE_AUDIO) info.has_audio = true;
    if (par->codec_type != AVMEDIA_TYPE_VIDEO || (st->disposition & AV_DISPOSITION_ATTACHED_PIC)) continue;
    const int64_t area = static_cast<int64_t>(std::max(par->width, 0)) * std::max(par->height, 0);
    if (area > best_area) {
      best_area = area;
      stream = static_cast<int>(i);
    }
  }
  if (stream < 0)
    fail(ErrorKind::Unsupported, info.has_audio ? "no video stream (audio only)" : "no video stream");
  const AVStream* st = fmt->streams[stream];
  const AVCodecParameters* par = st->codecpar;
  if (par->width <= 0 || par->height <= 0) fail(ErrorKind::Malformed, "video stream without a frame size");
  if (static_cast<uint64_t>(par->width) * static_cast<uint64_t>(par->height) > options.max_pixels)
    fail(ErrorKind::Unsupported, fmt::format("video frames of {}x{} are over the {} pixel limit", par->width,
                                             par->height, options.max_pixels));
  const AVCodec* decoder = avcodec_find_decoder(par->codec_id);
  if (!decoder) fail(ErrorKind::Unsupported, fmt::format("no decoder for codec '{}'", avcodec_get_name(par->codec_id)));
  codec = avcodec_alloc_context3(decoder);
  if (!codec) throw std::bad_alloc();
  if (const int r = avcodec_parameters_to_context(codec, par); r < 0)
    fail(ErrorKind::Malformed, "bad codec parameters: " + ffio::error_text(r));
  codec->thread_count = std::max(1, options.threads);
  codec->max_pixels = static_cast<int64_t>(std::min<uint64_t>(options.max_pixels, INT64_MAX));
  if (const int r = avcodec_open2(codec, decoder, nullptr); r < 0)
    fail(ErrorKind::Unsupported, fmt::format("cannot open the {} decoder: {}", decoder->name, ffio::error_text(r)));

  time_base = av_q2d(st->time_base);
  info.codec = decoder->name;
  info.coded_width = par->width;
  info.coded_height = par->height;
  info.rotation = rotation_of(st);
  const bool swap = info.rotation == 90 || info.rotation == 270;
  info.width = swap ? par->height : par->width;
  info.height = swap ? par->width : par->height;
  if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
    info.duration_s = st->duration * time_base;
  else if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0)
    info.duration_s = static_cast<double>(fmt->duration) / AV_TIME_BASE;
  const AVRational rate = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
  if (rate.num > 0 && rate.den > 0) info.frame_rate = av_q2d(rate);
  if (st->start_time != AV_NOPTS_VALUE) start_pts = st->start_time;
  packet = av_packet_alloc();
  frame = av_frame_alloc();
  if (!packet || !frame) throw std::bad_alloc();
}

void VideoReader::Impl::reject_packet() {
  ++rejected;
  if (++consecutive_rejects > kMaxConsecutiveRejects)
    fail(ErrorKind::Malformed, fmt::format("{} consecutive video packets could not be decoded", consecutive_rejects));
}

// Converts the decoder's current frame when it is due under the sampling rate.
std::optional<VideoFrame> VideoReader::Impl::take_frame() {
  const int64_t index = decoded++;
  consecutive_rejects = 0;
  double t;
  const int64_t pts = frame->best_effort_timestamp;
  if (pts != AV_NOPTS_VALUE) {
    if (start_pts == AV_NOPTS_VALUE) start_pts = pts;
    t = (pts - start_pts) * time_base;
  } else {
    t = info.frame_rate > 0 ? index / info.frame_rate : 0.0;
  }
  if (options.max_duration_s > 0 && t > options.max_duration_s) {
    finished = true;
    return std::nullopt;
  }
  if (options.sample_fps > 0) {
    if (t + 1e-6 < next_sample_s) return std::nullopt;
    next_sample_s = (std::floor(t * options.sample_fps + 1e-6) + 1.0) / options.sample_fps;
  }
  const int w = frame->width, h = frame->height;
  if (w <= 0 || h <= 0 || static_cast<uint64_t>(w) * static_cast<uint64_t>(h) > options.max_pixels)
    fail(ErrorKind::Unsupported, fmt::format("a decoded frame of {}x{} is over the {} pixel limit", w, h, options.max_pixels));
  int dw = w, dh = h;
  if (options.max_long_side > 0 && std::max(w, h) > options.max_long_side) {
    const double k = static_cast<double>(options.max_long_side) / std::max(w, h);
    dw = std::max(1, static_cast<int>(std::lround(w * k)));
    dh = std::max(1, static_cast<int>(std::lround(h * k)));
  }
  sws = sws_getCachedContext(sws, w, h, static_cast<AVPixelFormat>(frame->format), dw, dh, AV_PIX_FMT_RGB24,
                             (dw < w ? SWS_AREA : SWS_BILINEAR) | SWS_ACCURATE_RND, nullptr, nullptr, nullptr);
  if (!sws) fail(ErrorKind::Unsupported, fmt::format("cannot convert pixel format {}", frame->format));
  const int* coeffs = sws_getCoefficients(frame->colorspace == AVCOL_SPC_BT709 ? SWS_CS_ITU709 : SWS_CS_DEFAULT);
  const int full_range = frame->color_range == AVCOL_RANGE_JPEG ? 1 : 0;
  sws_setColorspaceDetails(sws, coeffs, full_range, sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16);
  Image rgb;
  rgb.width = dw;
  rgb.height = dh;
  rgb.channels = 3;
  rgb.source_format = "video";
  rgb.pixels.resize(static_cast<size_t>(dw) * dh * 3);
  uint8_t* dst[4] = {rgb.pixels.data(), nullptr, nullptr, nullptr};
  int stride[4] = {dw * 3, 0, 0, 0};
  if (sws_scale(sws, frame->data, frame->linesize, 0, h, dst, stride) != dh)
    fail(ErrorKind::Malformed, "frame conversion failed");
  VideoFrame out;
  out.time_s = t;
  out.index = index;
  out.image = rotate_clockwise(rgb, info.rotation);
  return out;
}

std::optional<VideoFrame> VideoReader::Impl::next() {
  while (!finished) {
    // Drain what the decoder has first.
    const int r = avcodec_receive_frame(codec, frame);
    if (r == 0) {
      auto out = take_frame();
      av_frame_unref(frame);
      if (out) return out;
      continue;
    }
    if (r == AVERROR_EOF) {
      finished = true;
      break;
    }
    if (r != AVERROR(EAGAIN)) {
      reject_packet();  // a frame that failed to decode: skip it
      continue;
    }
    if (demux_done) {
      if (flushed) {
        finished = true;
        break;
      }
      avcodec_send_packet(codec, nullptr);  // drain the decoder's delayed frames
      flushed = true;
      continue;
    }
    const int rr = av_read_frame(fmt, packet);
    if (rr < 0) {
      demux_done = true;  // end of file, or a container cut short: decode what was read
      continue;
    }
    if (packet->stream_index == stream) {
      const int s = avcodec_send_packet(codec, packet);
      if (s < 0 && s != AVERROR(EAGAIN)) reject_packet();
    }
    av_packet_unref(packet);
  }
  return std::nullopt;
}

VideoReader::VideoReader(std::unique_ptr<ByteSource> source, const VideoOptions& options)
    : impl_(std::make_unique<Impl>()) {
  if (!source) throw Error(ErrorKind::Usage, "VideoReader: no source");
  impl_->source = std::move(source);
  impl_->options = options;
  impl_->open();
}

VideoReader::VideoReader(const LiveSource& live, const VideoOptions& options) : impl_(std::make_unique<Impl>()) {
  if (live.input.empty()) throw Error(ErrorKind::Usage, "live input: empty name");
  impl_->live = live;
  impl_->options = options;
  impl_->open();
}

VideoReader::~VideoReader() = default;
const VideoInfo& VideoReader::info() const { return impl_->info; }
std::optional<VideoFrame> VideoReader::next() {
  ffio::last_error().clear();
  return impl_->next();
}
int64_t VideoReader::frames_decoded() const { return impl_->decoded; }
int64_t VideoReader::packets_rejected() const { return impl_->rejected; }

bool probe_video(const ByteSource& src) {
  ffio::quiet();
  const uint64_t n = std::min<uint64_t>(src.size(), 1 << 20);
  if (n < 12) return false;
  std::vector<uint8_t> head(n + AVPROBE_PADDING_SIZE, 0);
  try {
    src.read_at(0, std::span<uint8_t>(head.data(), n));
  } catch (...) {
    return false;
  }
  AVProbeData pd{};
  pd.filename = "";
  pd.buf = head.data();
  pd.buf_size = static_cast<int>(n);
  int score = 0;
  const AVInputFormat* f = av_probe_input_format2(&pd, 1, &score);
  if (!f || score < AVPROBE_SCORE_MAX / 4) return false;
  // Only demuxers on the whitelist, matched by any of their comma-separated names.
  const std::string allowed = std::string(",") + kDemuxerWhitelist + ",";
  std::string names = f->name;
  size_t start = 0;
  while (start <= names.size()) {
    const size_t end = names.find(',', start);
    const std::string one = names.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (allowed.find("," + one + ",") != std::string::npos) return true;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return false;
}

}  // namespace veritrace::media
