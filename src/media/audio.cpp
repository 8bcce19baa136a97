// Streaming audio decode through FFmpeg (libavformat, libavcodec) with the mix-down to mono float
// at a fixed rate by libswresample. Untrusted input, handled like video.cpp: our ByteSource only,
// a short list of demuxers, nested opens refused, stream parameters checked before use.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "media/ffmpeg_io.hpp"
#include "veritrace/media.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
}

namespace veritrace::media {

namespace {

// Audio files and the containers of videos. Excluded like for video: playlists and lists of files.
constexpr const char* kAudioDemuxers =
    "wav,w64,aiff,caf,flac,mp3,aac,ogg,mov,matroska,webm,asf,avi,flv,mpegts,mpeg,nut,mxf";
constexpr int kMaxChannels = 64;
constexpr int kMaxSourceRate = 768000;
constexpr int kMaxConsecutiveRejects = 500;

}  // namespace

struct AudioReader::Impl {
  std::unique_ptr<ByteSource> source;
  AudioOptions options;
  AudioInfo info;
  std::unique_ptr<ffio::Input> input;
  AVCodecContext* codec = nullptr;
  SwrContext* swr = nullptr;
  AVPacket* packet = nullptr;
  AVFrame* frame = nullptr;
  int stream = -1;
  int64_t delivered = 0;
  int64_t rejected = 0;
  int consecutive_rejects = 0;
  int64_t max_samples = 0;  // 0 = no limit
  bool demux_done = false;
  bool flushed = false;
  bool finished = false;

  ~Impl() {
    swr_free(&swr);
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&codec);
  }

  [[noreturn]] void fail(ErrorKind kind, const std::string& what) const {
    std::string msg = fmt::format("{}: {}", source->name(), what);
    if (!ffio::last_error().empty()) msg += fmt::format(" (FFmpeg: {})", ffio::last_error());
    throw Error(kind, msg);
  }

  void open() {
    if (options.sample_rate < 8000 || options.sample_rate > 192000)
      throw Error(ErrorKind::Usage, fmt::format("audio sample rate must be 8000..192000, got {}", options.sample_rate));
    if (!(options.max_duration_s >= 0.0) || !std::isfinite(options.max_duration_s))
      throw Error(ErrorKind::Usage, "audio duration limit out of range");
    input = std::make_unique<ffio::Input>(*source, kAudioDemuxers, "an audio or video container");
    AVFormatContext* fmt = input->fmt();
    info.container = fmt->iformat && fmt->iformat->name ? fmt->iformat->name : "";
    const AVCodec* decoder = nullptr;
    stream = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, &decoder, 0);
    if (stream < 0) fail(ErrorKind::Unsupported, stream == AVERROR_DECODER_NOT_FOUND ? "no decoder for the audio stream" : "no audio stream");
    const AVStream* st = fmt->streams[stream];
    const AVCodecParameters* par = st->codecpar;
    if (par->sample_rate <= 0 || par->sample_rate > kMaxSourceRate)
      fail(ErrorKind::Malformed, fmt::format("audio sample rate {} is out of range", par->sample_rate));
    if (par->ch_layout.nb_channels <= 0 || par->ch_layout.nb_channels > kMaxChannels)
      fail(ErrorKind::Malformed, fmt::format("audio with {} channels", par->ch_layout.nb_channels));
    codec = avcodec_alloc_context3(decoder);
    if (!codec) throw std::bad_alloc();
    if (const int r = avcodec_parameters_to_context(codec, par); r < 0)
      fail(ErrorKind::Malformed, "bad codec parameters: " + ffio::error_text(r));
    codec->thread_count = 1;
    if (const int r = avcodec_open2(codec, decoder, nullptr); r < 0)
      fail(ErrorKind::Unsupported, fmt::format("cannot open the {} decoder: {}", decoder->name, ffio::error_text(r)));
    info.codec = decoder->name;
    info.source_rate = par->sample_rate;
    info.channels = par->ch_layout.nb_channels;
    const double tb = av_q2d(st->time_base);
    if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
      info.duration_s = st->duration * tb;
    else if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0)
      info.duration_s = static_cast<double>(fmt->duration) / AV_TIME_BASE;
    if (options.max_duration_s > 0) max_samples = static_cast<int64_t>(options.max_duration_s * options.sample_rate);
    packet = av_packet_alloc();
    frame = av_frame_alloc();
    if (!packet || !frame) throw std::bad_alloc();
  }

  // The resampler is made from the first decoded frame, and made again when a frame's rate,
  // sample format or channel count changes mid-stream (a resampler fed frames of another layout
  // reads planes that are not there).
  int swr_rate = 0, swr_format = -1, swr_channels = 0;
  void ensure_resampler(const AVFrame* f) {
    if (swr && (f->sample_rate != swr_rate || f->format != swr_format || f->ch_layout.nb_channels != swr_channels))
      swr_free(&swr);
    if (swr) return;
    swr_rate = f->sample_rate;
    swr_format = f->format;
    swr_channels = f->ch_layout.nb_channels;
    AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
    AVChannelLayout in_layout;
    if (f->ch_layout.nb_channels > 0 && av_channel_layout_check(&f->ch_layout))
      av_channel_layout_copy(&in_layout, &f->ch_layout);
    else
      av_channel_layout_default(&in_layout, std::max(1, codec->ch_layout.nb_channels));
    const int r = swr_alloc_set_opts2(&swr, &mono, AV_SAMPLE_FMT_FLT, options.sample_rate, &in_layout,
                                      static_cast<AVSampleFormat>(f->format), f->sample_rate, 0, nullptr);
    av_channel_layout_uninit(&in_layout);
    // Mix-down weights normalised to sum to 1 (the mean of the channels): no clipping, and a mono
    // file keeps its level.
    if (r >= 0) av_opt_set_double(swr, "rematrix_maxval", 1.0, 0);
    if (r < 0 || swr_init(swr) < 0) fail(ErrorKind::Unsupported, "cannot convert this audio (sample format or layout)");
  }

  void reject_packet() {
    ++rejected;
    if (++consecutive_rejects > kMaxConsecutiveRejects)
      fail(ErrorKind::Malformed, fmt::format("{} audio packets in a row could not be decoded", consecutive_rejects));
  }

  bool convert(const AVFrame* f, std::vector<float>& block) {
    // A frame longer than 10 s of its own rate is not a real codec's frame: refused before the
    // resampler sizes an output buffer from it.
    if (f->sample_rate <= 0 || f->sample_rate > kMaxSourceRate || f->nb_samples <= 0 ||
        static_cast<int64_t>(f->nb_samples) > 10LL * f->sample_rate ||
        f->ch_layout.nb_channels <= 0 || f->ch_layout.nb_channels > kMaxChannels) {
      reject_packet();
      return false;
    }
    ensure_resampler(f);
    const int cap = swr_get_out_samples(swr, f->nb_samples);
    if (cap <= 0) return false;
    block.resize(static_cast<size_t>(cap));
    auto* out = reinterpret_cast<uint8_t*>(block.data());
    const int n = swr_convert(swr, &out, cap, const_cast<const uint8_t**>(f->extended_data), f->nb_samples);
    if (n < 0) {
      reject_packet();
      return false;
    }
    block.resize(static_cast<size_t>(n));
    consecutive_rejects = 0;
    return n > 0;
  }

  bool limit(std::vector<float>& block) {
    if (max_samples > 0 && delivered + static_cast<int64_t>(block.size()) >= max_samples) {
      block.resize(static_cast<size_t>(std::max<int64_t>(0, max_samples - delivered)));
      finished = true;
    }
    delivered += static_cast<int64_t>(block.size());
    return !block.empty();
  }

  bool next(std::vector<float>& block) {
    block.clear();
    while (!finished) {
      const int r = avcodec_receive_frame(codec, frame);
      if (r == 0) {
        const bool got = convert(frame, block);
        av_frame_unref(frame);
        if (got) return limit(block);
        continue;
      }
      if (r == AVERROR_EOF) break;
      if (r != AVERROR(EAGAIN)) {
        reject_packet();
        continue;
      }
      if (demux_done) {
        if (flushed) break;
        avcodec_send_packet(codec, nullptr);
        flushed = true;
        continue;
      }
      if (av_read_frame(input->fmt(), packet) < 0) {
        demux_done = true;
        continue;
      }
      if (packet->stream_index == stream) {
        const int s = avcodec_send_packet(codec, packet);
        if (s < 0 && s != AVERROR(EAGAIN)) reject_packet();
      }
      av_packet_unref(packet);
    }
    // What the resampler still holds (its filter delay).
    if (swr && !finished) {
      finished = true;
      const int cap = swr_get_out_samples(swr, 0);
      if (cap > 0) {
        block.resize(static_cast<size_t>(cap));
        auto* out = reinterpret_cast<uint8_t*>(block.data());
        const int n = swr_convert(swr, &out, cap, nullptr, 0);
        block.resize(static_cast<size_t>(std::max(0, n)));
        if (!block.empty()) return limit(block);
      }
    }
    finished = true;
    return false;
  }
};

StreamKinds probe_streams(const ByteSource& src) {
  StreamKinds kinds;
  try {
    ffio::quiet();
    // The audio demuxers plus the video-only ones the video reader accepts.
    const std::string demuxers = std::string(kAudioDemuxers) + ",h264,hevc,m4v,ivf,yuv4mpegpipe";
    ffio::Input input(src, demuxers.c_str(), "a container");
    const AVFormatContext* fmt = input.fmt();
    for (unsigned i = 0; i < fmt->nb_streams; ++i) {
      const AVStream* st = fmt->streams[i];
      if (st->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) kinds.audio = true;
      // Cover art of a song is a still picture, not a video.
      if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && !(st->disposition & AV_DISPOSITION_ATTACHED_PIC)) kinds.video = true;
    }
  } catch (const Error&) {
    return {};
  }
  return kinds;
}

AudioReader::AudioReader(std::unique_ptr<ByteSource> source, const AudioOptions& options) : impl_(std::make_unique<Impl>()) {
  if (!source) throw Error(ErrorKind::Usage, "AudioReader: no source");
  impl_->source = std::move(source);
  impl_->options = options;
  impl_->open();
}
AudioReader::~AudioReader() = default;
const AudioInfo& AudioReader::info() const { return impl_->info; }
bool AudioReader::next(std::vector<float>& block) {
  ffio::last_error().clear();
  return impl_->next(block);
}
int64_t AudioReader::samples_delivered() const { return impl_->delivered; }
int64_t AudioReader::packets_rejected() const { return impl_->rejected; }

}  // namespace veritrace::media
