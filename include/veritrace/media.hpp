// Veritrace media: still-image decoding and encoding for the pixel-level modules (watermark, later
// detectors). Small and explicit: 8-bit pixels, interleaved, row-major, top row first.
//
//   auto img = media::decode_image(*open_file_source("photo.jpg"));   // throws veritrace::Error
//   auto jpg = media::encode_jpeg(img, 90, media::Subsampling::S420);
//
// Decoders: JPEG (TurboJPEG; the same libjpeg settings OpenCV 4.6's imread uses: ISLOW IDCT, fancy
// upsampling, so the 8-bit pixels equal cv2.imread's up to channel order), PNG (libpng: every bit
// depth and colour type; 16-bit samples reduced to 8), WebP (libwebp; animated WebP is refused).
// The format is detected by content. EXIF orientation is applied to JPEG by default (as imread).
// Errors: Error(Unsupported) for other formats, CMYK/YCCK JPEG, animation; Error(Malformed) for
// corrupt or truncated data; images over max_pixels are refused before any pixel buffer is made.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "veritrace/core.hpp"

namespace veritrace::media {

inline constexpr uint64_t kDefaultMaxPixels = 100'000'000;  // 100 MP
inline constexpr uint64_t kMaxEncodedBytes = 512ull << 20;  // image files are decoded from memory

// channels: 1 (gray), 3 (R,G,B) or 4 (R,G,B,A). pixels.size() == width * height * channels.
struct Image {
  int width = 0;
  int height = 0;
  int channels = 3;
  std::vector<uint8_t> pixels;

  // Where it came from (informational).
  std::string source_format;  // "jpeg", "png", "webp", or empty for images made in memory
  int source_bit_depth = 8;   // 16 for a 16-bit PNG that was reduced to 8 bits

  bool empty() const { return width <= 0 || height <= 0; }
  uint8_t* row(int y) { return pixels.data() + static_cast<size_t>(y) * width * channels; }
  const uint8_t* row(int y) const { return pixels.data() + static_cast<size_t>(y) * width * channels; }
};

struct DecodeOptions {
  uint64_t max_pixels = kDefaultMaxPixels;
  bool apply_exif_orientation = true;
  // Colour handling: by default gray stays 1 channel, gray+alpha becomes RGBA, RGB stays RGB,
  // RGBA stays RGBA. force_rgb turns everything into 3-channel RGB (alpha dropped).
  bool force_rgb = false;
};

Image decode_image(const ByteSource& src, const DecodeOptions& options = {});
// The whole encoded file, once it is known to be a JPEG, PNG or WebP of at most kMaxEncodedBytes
// (else Error Unsupported); for callers that need the original bytes as well as the pixels.
std::vector<uint8_t> read_encoded_image(const ByteSource& src);
Image decode_image_file(const std::string& path, const DecodeOptions& options = {});

// A 3-channel RGB copy (gray replicated, alpha dropped); a 3-channel image is returned as is.
Image to_rgb(const Image& image);

enum class Subsampling { S444, S422, S420 };

// Encoders throw Error(Internal) when the codec fails and Error(Usage) for a bad quality.
std::vector<uint8_t> encode_jpeg(const Image& image, int quality, Subsampling subsampling = Subsampling::S420);
std::vector<uint8_t> encode_png(const Image& image);
std::vector<uint8_t> encode_webp(const Image& image, int quality);  // lossy; quality 0..100

enum class ImageFormat { Unknown, Jpeg, Png, WebP };
ImageFormat sniff_image_format(const ByteSource& src);
// Encodes in the given format (JPEG: quality, 4:2:0; WebP: quality; PNG: lossless).
std::vector<uint8_t> encode_image(const Image& image, ImageFormat format, int quality = 92);

// ---------------------------------------------------------------------------------------------
// Video: streaming decode through FFmpeg's libraries (libavformat, libavcodec, libswscale).
//
//   media::VideoReader reader(open_file_source("clip.mp4"), {.sample_fps = 4});
//   while (auto frame = reader.next()) use(frame->time_s, frame->image);   // RGB, upright
//
// Only one decoded frame is held at a time: memory does not grow with the video's length. Every
// frame is decoded (inter-frame codecs need it) but only the sampled ones are converted to RGB.
// The input is read through the ByteSource (file or memory) and never by URL: container formats that
// would open other files or the network (playlists, concat lists) are refused.

struct VideoOptions {
  // Frames kept per second of presentation time (timestamps, so variable frame rate is handled);
  // 0 keeps every frame.
  double sample_fps = 4.0;
  // A frame over this many pixels (coded size) is refused before any frame buffer is made.
  uint64_t max_pixels = 8192ull * 4320;
  // Frames whose long side exceeds this are scaled down (area filter) when converted; 0 = never.
  int max_long_side = 0;
  // Stop after this much presentation time (seconds); 0 = the whole stream.
  double max_duration_s = 0.0;
  // Decoder threads for this stream (the engine decodes several files at once: keep it small).
  int threads = 1;
};

struct VideoInfo {
  int width = 0, height = 0;       // of the delivered frames: rotation applied, before max_long_side
  int coded_width = 0, coded_height = 0;
  int rotation = 0;                // clockwise degrees applied to every frame (0, 90, 180, 270)
  double duration_s = 0.0;         // 0 when the container does not say
  double frame_rate = 0.0;         // average, 0 when unknown
  std::string codec;               // FFmpeg's codec name, e.g. "h264"
  std::string container;           // FFmpeg's demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
  bool has_audio = false;
};

struct VideoFrame {
  double time_s = 0.0;   // presentation time from the stream start
  int64_t index = 0;     // decoded-frame counter (0-based, every decoded frame counts)
  Image image;           // 3-channel RGB, rotation applied
};

// A live source for VideoReader: "-" (standard input, a pipe; not seekable, so MP4 must be
// fragmented or use MPEG-TS/Matroska), a file that may still be growing (read on until it stops
// growing for `idle_timeout_s`), or a URL FFmpeg reads (rtsp://, rtp://, udp://, tcp://, http(s)://,
// srt://): the user names it, so unlike files these may use the network.
struct LiveSource {
  std::string input;
  double idle_timeout_s = 3.0;
};

class VideoReader {
 public:
  // Throws Error(Unsupported) for a file without a video stream, an unknown or refused container, a
  // codec this build cannot decode or frames over max_pixels; Error(Malformed) when the container
  // cannot be parsed; Error(Usage) for bad options.
  VideoReader(std::unique_ptr<ByteSource> source, const VideoOptions& options = {});
  // Live input (see LiveSource). Error(Io) when it cannot be opened.
  VideoReader(const LiveSource& live, const VideoOptions& options = {});
  ~VideoReader();
  VideoReader(const VideoReader&) = delete;
  VideoReader& operator=(const VideoReader&) = delete;

  const VideoInfo& info() const;
  // The next sampled frame, or nullopt at the end of the stream (or of max_duration_s). Corrupt
  // packets are skipped and counted; Error(Malformed) only when the stream yields nothing
  // decodable for a long run of packets.
  std::optional<VideoFrame> next();
  int64_t frames_decoded() const;
  int64_t packets_rejected() const;  // corrupt or undecodable packets skipped so far

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Whether the bytes look like a container FFmpeg would open for video (cheap probe, no decode).
bool probe_video(const ByteSource& src);

// ---------------------------------------------------------------------------------------------
// Audio: the best audio stream of a file (a video's sound track, or an audio file) decoded through
// FFmpeg and mixed down to mono float samples at one fixed rate (libswresample). Streaming like
// VideoReader: one decoded block at a time; read through the ByteSource, nested opens refused.
//
//   media::AudioReader audio(open_file_source("call.m4a"), {.sample_rate = 16000});
//   std::vector<float> block;
//   while (audio.next(block)) use(block);   // mono, [-1, 1], 16 kHz

struct AudioOptions {
  int sample_rate = 16000;      // output rate, 8000..192000
  double max_duration_s = 0.0;  // stop after this much audio; 0 = the whole stream
};

struct AudioInfo {
  double duration_s = 0.0;  // 0 when the container does not say
  int source_rate = 0;      // the stream's own sample rate
  int channels = 0;         // the stream's own channel count (mixed down to one)
  std::string codec;        // FFmpeg's decoder name, e.g. "aac"
  std::string container;    // FFmpeg's demuxer name
};

// Which kinds of streams a container holds (opens it; reads its headers only). Both false when
// FFmpeg cannot open it as an audio or video container. Cover art does not count as video.
struct StreamKinds {
  bool video = false;
  bool audio = false;
};
StreamKinds probe_streams(const ByteSource& src);

class AudioReader {
 public:
  // Throws Error(Unsupported) for a file without an audio stream, an unknown or refused container
  // or a codec this build cannot decode; Error(Malformed) for a broken container or absurd stream
  // parameters; Error(Usage) for bad options.
  explicit AudioReader(std::unique_ptr<ByteSource> source, const AudioOptions& options = {});
  ~AudioReader();
  AudioReader(const AudioReader&) = delete;
  AudioReader& operator=(const AudioReader&) = delete;

  const AudioInfo& info() const;
  // Replaces `block` with the next decoded samples; false at the end of the stream (or of
  // max_duration_s). Corrupt packets are skipped and counted.
  bool next(std::vector<float>& block);
  int64_t samples_delivered() const;
  int64_t packets_rejected() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace veritrace::media
