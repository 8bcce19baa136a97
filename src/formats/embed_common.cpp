// The format-independent half of embedding: edits turned into pieces, the output as a ByteSource,
// and streaming it to a file descriptor.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <thread>

#include "core/mapped_file.hpp"
#include "formats/embed_internal.hpp"
#include "formats/read_util.hpp"

namespace veritrace::formats {

namespace detail {

namespace {

constexpr std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t n = 0; n < 256; ++n) {
    uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
  return table;
}
constexpr auto kCrcTable = make_crc_table();

}  // namespace

uint32_t crc32_update(uint32_t crc, std::span<const uint8_t> bytes) {
  uint32_t c = crc ^ 0xFFFFFFFFu;
  for (uint8_t b : bytes) c = kCrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

void put_be16(std::vector<uint8_t>& out, uint16_t value) {
  out.push_back(static_cast<uint8_t>(value >> 8));
  out.push_back(static_cast<uint8_t>(value));
}
void put_be32(std::vector<uint8_t>& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(value >> shift));
}
void put_be64(std::vector<uint8_t>& out, uint64_t value) {
  put_be32(out, static_cast<uint32_t>(value >> 32));
  put_be32(out, static_cast<uint32_t>(value));
}
void put_le32(std::vector<uint8_t>& out, uint32_t value) {
  for (int shift = 0; shift <= 24; shift += 8) out.push_back(static_cast<uint8_t>(value >> shift));
}
void store_be32(uint8_t* p, uint32_t value) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(value >> (24 - 8 * i));
}
void store_be64(uint8_t* p, uint64_t value) {
  store_be32(p, static_cast<uint32_t>(value >> 32));
  store_be32(p + 4, static_cast<uint32_t>(value));
}

void embed_error(ErrorKind kind, const ByteSource& input, const char* context, const std::string& message) {
  throw Error(kind, input.name() + ": " + context + ": " + message);
}

Piece literal_piece(std::vector<uint8_t> bytes) {
  Piece piece;
  piece.kind = Piece::Kind::Literal;
  piece.length = bytes.size();
  piece.bytes = std::move(bytes);
  return piece;
}

Piece store_piece(uint64_t store_offset, uint64_t length) {
  Piece piece;
  piece.kind = Piece::Kind::Store;
  piece.offset = store_offset;
  piece.length = length;
  return piece;
}

uint64_t piece_length(const Piece& piece) {
  switch (piece.kind) {
    case Piece::Kind::Literal: return piece.bytes.size();
    case Piece::Kind::StoreCrc32: return 4;
    default: return piece.length;
  }
}

std::vector<Piece> apply_edits(const ByteSource& input, const std::vector<Edit>& edits) {
  std::vector<Piece> pieces;
  uint64_t pos = 0;
  auto copy_input = [&](uint64_t end) {
    if (end > pos) pieces.push_back(Piece{Piece::Kind::Input, pos, end - pos, {}});
    pos = end;
  };
  for (const auto& edit : edits) {
    if (edit.offset < pos || !fits(input, edit.offset, edit.removed)) {
      throw Error(ErrorKind::Internal, "embedding: overlapping or out-of-range edits");
    }
    copy_input(edit.offset);
    for (const auto& piece : edit.inserted) {
      if (piece_length(piece) > 0) pieces.push_back(piece);
    }
    pos += edit.removed;
  }
  copy_input(input.size());
  return pieces;
}

uint64_t output_offset_of(const std::vector<Edit>& edits, size_t index) {
  uint64_t out = edits.at(index).offset;
  for (size_t i = 0; i < index; ++i) {
    for (const auto& piece : edits[i].inserted) out += piece_length(piece);
    out -= edits[i].removed;
  }
  return out;
}

}  // namespace detail

uint64_t EmbedLayout::output_size() const {
  uint64_t total = 0;
  for (const auto& piece : pieces) total += detail::piece_length(piece);
  return total;
}

EmbedLayout plan_embedding(const ByteSource& input, Format format, uint64_t store_size) {
  // Every store is a JUMBF box, so at least its 8-byte header (JPEG repeats it per segment).
  if (store_size < 8) throw Error(ErrorKind::Internal, "embedding: a manifest store has at least 8 bytes");
  switch (format) {
    case Format::Jpeg: return detail::plan_jpeg(input, store_size);
    case Format::Png: return detail::plan_png(input, store_size);
    case Format::Wav:
    case Format::WebP:
    case Format::Avi: return detail::plan_riff(input, format, store_size);
    case Format::Bmff: return detail::plan_bmff(input, store_size);
    case Format::Jumbf: {  // a sidecar is the store alone
      EmbedLayout layout;
      layout.format = format;
      layout.store_size = store_size;
      layout.pieces.push_back(detail::store_piece(0, store_size));
      layout.carrier.push_back({0, store_size});
      return layout;
    }
    default:
      throw Error(ErrorKind::Unsupported,
                  input.name() + ": embedding a manifest store in " + format_name(format) + " is not supported");
  }
}

std::vector<ByteRange> data_hash_exclusions(const EmbedLayout& layout) {
  if (layout.carrier.empty()) return {};
  const ByteRange& first = layout.carrier.front();
  if (layout.format == Format::Wav || layout.format == Format::WebP || layout.format == Format::Avi) {
    return {{first.offset, 8 + layout.store_size}};  // c2pa-rs leaves the RIFF pad byte hashed
  }
  return {{first.offset, layout.carrier.back().end() - first.offset}};
}

std::vector<BmffExclusion> default_bmff_exclusions() {
  static constexpr std::array<uint8_t, 16> kC2paUuid = {0xd8, 0xfe, 0xc3, 0xd6, 0x1b, 0x0e, 0x48, 0x3c,
                                                        0x92, 0x97, 0x58, 0x28, 0x87, 0x7e, 0xc4, 0x81};
  std::vector<BmffExclusion> out;
  BmffExclusion uuid;
  uuid.xpath = "/uuid";
  uuid.data.push_back({8, std::vector<uint8_t>(kC2paUuid.begin(), kC2paUuid.end())});
  out.push_back(std::move(uuid));
  for (const char* xpath : {"/ftyp", "/mfra", "/free", "/skip"}) {
    BmffExclusion e;
    e.xpath = xpath;
    out.push_back(std::move(e));
  }
  return out;
}

namespace {

// Reads the output described by a layout; the store reads as zeros while it is not known yet.
class PieceReader {
 public:
  PieceReader(const ByteSource& input, const EmbedLayout& layout, std::span<const uint8_t> store)
      : input_(input), layout_(layout), store_(store) {
    if (!store_.empty() && store_.size() != layout_.store_size) {
      throw Error(ErrorKind::Internal, "embedding: store is " + std::to_string(store_.size()) +
                                           " bytes but the layout planned " + std::to_string(layout_.store_size));
    }
    for (size_t i = 0; i < layout_.pieces.size(); ++i) {
      const Piece& piece = layout_.pieces[i];
      if (piece.kind == Piece::Kind::Store &&
          (piece.offset > layout_.store_size || piece.length > layout_.store_size - piece.offset)) {
        throw Error(ErrorKind::Internal, "embedding: store slice outside the store");
      }
      if (piece.kind == Piece::Kind::Input && !detail::fits(input_, piece.offset, piece.length)) {
        throw Error(ErrorKind::Internal, "embedding: input piece outside the input");
      }
      if (piece.kind == Piece::Kind::StoreCrc32) crcs_[i] = store_crc(piece.bytes);
    }
  }

  // Copies bytes [within, within + out.size()) of piece `index` into out.
  void read(size_t index, uint64_t within, std::span<uint8_t> out) const {
    const Piece& piece = layout_.pieces[index];
    switch (piece.kind) {
      case Piece::Kind::Input: input_.read_at(piece.offset + within, out); break;
      case Piece::Kind::Literal: std::memcpy(out.data(), piece.bytes.data() + within, out.size()); break;
      case Piece::Kind::StoreCrc32: std::memcpy(out.data(), crcs_.at(index).data() + within, out.size()); break;
      case Piece::Kind::Store:
        if (store_.empty()) std::fill(out.begin(), out.end(), uint8_t{0});
        else std::memcpy(out.data(), store_.data() + piece.offset + within, out.size());
        break;
    }
  }

 private:
  std::array<uint8_t, 4> store_crc(std::span<const uint8_t> prefix) const {
    uint32_t crc = detail::crc32_update(0, prefix);
    if (!store_.empty()) {
      crc = detail::crc32_update(crc, store_);
    } else {
      static const std::vector<uint8_t> kZeros(64 * 1024, 0);
      for (uint64_t left = layout_.store_size; left > 0;) {
        uint64_t n = std::min<uint64_t>(left, kZeros.size());
        crc = detail::crc32_update(crc, std::span<const uint8_t>(kZeros.data(), n));
        left -= n;
      }
    }
    std::array<uint8_t, 4> out{};
    detail::store_be32(out.data(), crc);
    return out;
  }

  const ByteSource& input_;
  const EmbedLayout& layout_;
  std::span<const uint8_t> store_;
  std::map<size_t, std::array<uint8_t, 4>> crcs_;
};

class LayoutSource final : public ByteSource {
 public:
  LayoutSource(const ByteSource& input, EmbedLayout layout, std::vector<uint8_t> store)
      : layout_(std::move(layout)), store_(std::move(store)), reader_(input, layout_, store_) {
    name_ = input.name();
    uint64_t pos = 0;
    for (const auto& piece : layout_.pieces) {
      starts_.push_back(pos);
      pos += detail::piece_length(piece);
    }
    size_ = pos;
  }

  uint64_t size() const override { return size_; }

  void read_at(uint64_t offset, std::span<uint8_t> out) const override {
    if (offset > size_ || out.size() > size_ - offset) {
      throw Error(ErrorKind::Malformed, name_ + ": read past the end of the planned output");
    }
    if (out.empty()) return;
    size_t index = static_cast<size_t>(std::upper_bound(starts_.begin(), starts_.end(), offset) - starts_.begin()) - 1;
    size_t done = 0;
    while (done < out.size()) {
      uint64_t within = offset + done - starts_[index];
      uint64_t n = std::min<uint64_t>(detail::piece_length(layout_.pieces[index]) - within, out.size() - done);
      reader_.read(index, within, out.subspan(done, static_cast<size_t>(n)));
      done += static_cast<size_t>(n);
      ++index;
    }
  }

 private:
  EmbedLayout layout_;
  std::vector<uint8_t> store_;
  PieceReader reader_;
  std::vector<uint64_t> starts_;
  uint64_t size_ = 0;
};

void write_all(int fd, std::span<const uint8_t> bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorKind::Output, std::string("cannot write the output: ") + std::strerror(errno));
    }
    if (n == 0) throw Error(ErrorKind::Output, "cannot write the output: the write made no progress");
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
}

}  // namespace

std::unique_ptr<ByteSource> layout_source(const ByteSource& input, const EmbedLayout& layout,
                                          std::span<const uint8_t> store) {
  return std::make_unique<LayoutSource>(input, layout, std::vector<uint8_t>(store.begin(), store.end()));
}

void write_layout(const ByteSource& input, const EmbedLayout& layout, std::span<const uint8_t> store, int fd) {
  write_layout(input, layout, store, fd, nullptr);
}

void write_layout(const ByteSource& input, const EmbedLayout& layout, std::span<const uint8_t> store, int fd,
                  const OutputObserver& observer) {
  constexpr size_t kBufferSize = size_t{4} << 20;  // large writes, bounded memory
  PieceReader reader(input, layout, store);
  std::unique_ptr<uint8_t[]> buffer(new uint8_t[kBufferSize]);  // not zero-filled: every byte is read into
  uint64_t position = 0;
  auto emit = [&](std::span<const uint8_t> bytes) {
    if (observer) observer(position, bytes);
    write_all(fd, bytes);
    position += bytes.size();
  };
  for (size_t i = 0; i < layout.pieces.size(); ++i) {
    const Piece& piece = layout.pieces[i];
    uint64_t length = detail::piece_length(piece);
    if (piece.kind == Piece::Kind::Literal) {
      emit(piece.bytes);
      continue;
    }
    if (piece.kind == Piece::Kind::Store && !store.empty()) {
      emit(store.subspan(static_cast<size_t>(piece.offset), static_cast<size_t>(length)));
      continue;
    }
    for (uint64_t within = 0; within < length;) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(length - within, kBufferSize));
      reader.read(i, within, std::span<uint8_t>(buffer.get(), n));
      emit(std::span<const uint8_t>(buffer.get(), n));
      within += n;
    }
  }
}

namespace {

constexpr size_t kCopyStep = size_t{8} << 20;  // copy_file_range per call; also the cancel granularity

const std::vector<uint8_t>& zeros() {
  static const std::vector<uint8_t> z(64 * 1024, 0);
  return z;
}

// `length` zero bytes as chunks of at most 64 KiB: emit(offset within the run, chunk).
template <typename Emit>
void for_each_zero_chunk(uint64_t length, Emit&& emit) {
  for (uint64_t done = 0; done < length;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(length - done, zeros().size()));
    emit(done, std::span<const uint8_t>(zeros().data(), n));
    done += n;
  }
}

// Writes the output to fd (store slot zeroed); input pieces by copy_file_range when possible.
// Stops early (without error) when `stop` becomes true.
class LayoutWriter {
 public:
  LayoutWriter(const ByteSource& input, const EmbedLayout& layout, const PieceReader& reader, int fd)
      : input_(input), layout_(layout), reader_(reader), fd_(fd), in_fd_(mapped::file_descriptor(input)) {}

  void run(const std::atomic<bool>& stop) {
    for (size_t i = 0; i < layout_.pieces.size() && !stop.load(std::memory_order_relaxed); ++i) {
      const Piece& piece = layout_.pieces[i];
      const uint64_t length = detail::piece_length(piece);
      switch (piece.kind) {
        case Piece::Kind::Literal: write_all(fd_, piece.bytes); break;
        case Piece::Kind::Store:
          for_each_zero_chunk(length, [&](uint64_t, std::span<const uint8_t> chunk) { write_all(fd_, chunk); });
          break;
        case Piece::Kind::StoreCrc32: {
          std::array<uint8_t, 4> crc{};
          reader_.read(i, 0, crc);
          write_all(fd_, crc);
          break;
        }
        case Piece::Kind::Input: copy_input(piece.offset, length, stop); break;
      }
    }
  }

 private:
  void copy_input(uint64_t offset, uint64_t length, const std::atomic<bool>& stop) {
    if (const uint8_t* data = input_.contiguous_data()) {
      for (uint64_t done = 0; done < length && !stop.load(std::memory_order_relaxed);) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(length - done, kCopyStep));
        write_all(fd_, std::span<const uint8_t>(data + offset + done, n));
        done += n;
      }
      return;
    }
    uint64_t done = 0;
    while (kernel_copy_ && in_fd_ >= 0 && done < length && !stop.load(std::memory_order_relaxed)) {
      loff_t from = static_cast<loff_t>(offset + done);
      size_t n = static_cast<size_t>(std::min<uint64_t>(length - done, kCopyStep));
      ssize_t copied = ::copy_file_range(in_fd_, &from, fd_, nullptr, n, 0);
      if (copied > 0) {
        done += static_cast<uint64_t>(copied);
        continue;
      }
      if (copied == 0) throw Error(ErrorKind::Io, input_.name() + ": file changed while being read");
      if (errno == EINTR) continue;
      if (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP || errno == EBADF ||
          errno == ETXTBSY || errno == EPERM) {
        kernel_copy_ = false;  // not possible between these two files: copy through memory
        break;
      }
      throw Error(ErrorKind::Output, std::string("cannot write the output: ") + std::strerror(errno));
    }
    if (done == length || stop.load(std::memory_order_relaxed)) return;
    if (!buffer_) buffer_.reset(new uint8_t[kCopyStep]);  // not zero-filled: every byte is read into
    while (done < length && !stop.load(std::memory_order_relaxed)) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(length - done, kCopyStep));
      input_.read_at(offset + done, std::span<uint8_t>(buffer_.get(), n));
      write_all(fd_, std::span<const uint8_t>(buffer_.get(), n));
      done += n;
    }
  }

  const ByteSource& input_;
  const EmbedLayout& layout_;
  const PieceReader& reader_;
  int fd_;
  int in_fd_;
  bool kernel_copy_ = true;
  std::unique_ptr<uint8_t[]> buffer_;
};

// Shows the output (store slot zeroed) to the observer, input bytes in place where possible.
void observe_layout(const ByteSource& input, const EmbedLayout& layout, const PieceReader& reader,
                    const OutputObserver& observer) {
  const int in_fd = mapped::enabled() ? mapped::file_descriptor(input) : -1;
  std::unique_ptr<uint8_t[]> buffer;
  constexpr size_t kBuffer = size_t{1} << 20;
  uint64_t position = 0;
  for (size_t i = 0; i < layout.pieces.size(); ++i) {
    const Piece& piece = layout.pieces[i];
    const uint64_t length = detail::piece_length(piece);
    switch (piece.kind) {
      case Piece::Kind::Literal: observer(position, piece.bytes); break;
      case Piece::Kind::Store:
        for_each_zero_chunk(length, [&](uint64_t done, std::span<const uint8_t> chunk) { observer(position + done, chunk); });
        break;
      case Piece::Kind::StoreCrc32: {
        std::array<uint8_t, 4> crc{};
        reader.read(i, 0, crc);
        observer(position, crc);
        break;
      }
      case Piece::Kind::Input: {
        if (const uint8_t* data = input.contiguous_data()) {
          observer(position, std::span<const uint8_t>(data + piece.offset, static_cast<size_t>(length)));
          break;
        }
        uint64_t done = 0;
        if (in_fd >= 0 && length >= mapped::kMinMappedLength) {
          done = mapped::for_each_window(in_fd, piece.offset, length, input.name(),
                                         [&](uint64_t at, std::span<const uint8_t> bytes) {
                                           observer(position + (at - piece.offset), bytes);
                                         });
        }
        if (done < length && !buffer) buffer.reset(new uint8_t[kBuffer]);
        while (done < length) {
          size_t n = static_cast<size_t>(std::min<uint64_t>(length - done, kBuffer));
          reader.read(i, done, std::span<uint8_t>(buffer.get(), n));
          observer(position + done, std::span<const uint8_t>(buffer.get(), n));
          done += n;
        }
        break;
      }
    }
    position += length;
  }
}

}  // namespace

void write_layout_hashed(const ByteSource& input, const EmbedLayout& layout, int fd, const OutputObserver& observer,
                         bool parallel) {
  PieceReader reader(input, layout, {});
  LayoutWriter writer(input, layout, reader, fd);
  std::atomic<bool> stop{false};
  if (!parallel) {
    observe_layout(input, layout, reader, observer);
    writer.run(stop);
    return;
  }
  std::exception_ptr write_error;
  std::thread thread([&] {
    try {
      writer.run(stop);
    } catch (...) {
      write_error = std::current_exception();
    }
  });
  try {
    observe_layout(input, layout, reader, observer);
  } catch (...) {
    stop = true;
    thread.join();
    throw;
  }
  thread.join();
  if (write_error) std::rethrow_exception(write_error);
}

void patch_store(const ByteSource& input, const EmbedLayout& layout, std::span<const uint8_t> store, int fd) {
  if (store.size() != layout.store_size) throw Error(ErrorKind::Internal, "store size differs from the planned slot");
  PieceReader reader(input, layout, store);
  uint64_t position = 0;
  std::vector<uint8_t> bytes;
  for (size_t i = 0; i < layout.pieces.size(); ++i) {
    const Piece& piece = layout.pieces[i];
    uint64_t length = detail::piece_length(piece);
    if (piece.kind == Piece::Kind::Store || piece.kind == Piece::Kind::StoreCrc32) {
      bytes.resize(static_cast<size_t>(length));
      reader.read(i, 0, bytes);
      size_t done = 0;
      while (done < bytes.size()) {
        ssize_t n = ::pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(position + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw Error(ErrorKind::Output, std::string("cannot write the manifest store: ") + std::strerror(errno));
        done += static_cast<size_t>(n);
      }
    }
    position += length;
  }
}

}  // namespace veritrace::formats
