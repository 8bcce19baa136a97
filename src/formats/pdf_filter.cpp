#include "formats/pdf_filter.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "formats/read_util.hpp"

namespace veritrace::formats::pdf {

namespace {

constexpr uint64_t kInputChunk = 256 * 1024;
constexpr size_t kOutputChunk = 256 * 1024;

[[noreturn]] void bad(const ByteSource& src, const std::string& message) { detail::malformed(src, "PDF", message); }

// Like zlib's inflate, with the stream always released.
class Inflater {
 public:
  Inflater() {
    if (inflateInit(&z_) != Z_OK) throw Error(ErrorKind::Internal, "zlib: inflateInit failed");
  }
  ~Inflater() { inflateEnd(&z_); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  z_stream& z() { return z_; }

 private:
  z_stream z_{};
};

int64_t int_param(const Object& parms, const char* key, int64_t fallback) {
  const Object* v = parms.get(key);
  return v && v->is(Object::Type::Int) ? v->integer : fallback;
}

uint8_t paeth(int a, int b, int c) {
  int p = a + b - c;
  int pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return uint8_t(a);
  return uint8_t(pb <= pc ? b : c);
}

}  // namespace

std::vector<uint8_t> flate_decode(const ByteSource& src, uint64_t offset, uint64_t length, uint64_t cap) {
  if (!detail::fits(src, offset, length)) bad(src, "Flate stream runs past the end of the file");
  uint64_t limit = std::min(cap, std::max(kExpansionFloor, length * kMaxExpansion));
  Inflater inflater;
  z_stream& z = inflater.z();
  std::vector<uint8_t> out;
  std::vector<uint8_t> in;
  uint64_t consumed = 0;
  while (true) {
    if (z.avail_in == 0) {
      if (consumed == length) break;  // input exhausted before the end marker: keep what we have
      uint64_t n = std::min(kInputChunk, length - consumed);
      in = src.read_vector(offset + consumed, n);
      consumed += n;
      z.next_in = in.data();
      z.avail_in = static_cast<uInt>(in.size());
    }
    size_t before = out.size();
    out.resize(before + kOutputChunk);
    z.next_out = out.data() + before;
    z.avail_out = static_cast<uInt>(kOutputChunk);
    int rc = inflate(&z, Z_NO_FLUSH);
    out.resize(before + (kOutputChunk - z.avail_out));
    if (out.size() > limit) bad(src, "Flate stream at offset " + std::to_string(offset) + " decodes to too many bytes");
    if (rc == Z_STREAM_END) break;
    if (rc == Z_BUF_ERROR && z.avail_in == 0) continue;  // needs more input
    if (rc != Z_OK) bad(src, "corrupt Flate stream at offset " + std::to_string(offset));
  }
  return out;
}

std::vector<uint8_t> unpredict(const ByteSource& src, std::vector<uint8_t> data, const Object& parms) {
  int64_t predictor = int_param(parms, "Predictor", 1);
  if (predictor == 1) return data;
  int64_t colors = int_param(parms, "Colors", 1);
  int64_t bpc = int_param(parms, "BitsPerComponent", 8);
  int64_t columns = int_param(parms, "Columns", 1);
  if (colors < 1 || colors > 32 || columns < 1 || columns > (1 << 24) ||
      !(bpc == 1 || bpc == 2 || bpc == 4 || bpc == 8 || bpc == 16)) {
    bad(src, "bad predictor parameters");
  }
  const size_t bpp = size_t((colors * bpc + 7) / 8);  // bytes per complete pixel, at least 1
  const size_t row = size_t((colors * bpc * columns + 7) / 8);
  if (predictor == 2) {  // TIFF: horizontal differencing; only byte-sized components
    if (bpc != 8) throw Error(ErrorKind::Unsupported, src.name() + ": PDF: TIFF predictor with " +
                                                          std::to_string(bpc) + " bits per component is not supported");
    for (size_t start = 0; start + row <= data.size(); start += row) {
      for (size_t i = bpp; i < row; ++i) data[start + i] = uint8_t(data[start + i] + data[start + i - bpp]);
    }
    return data;
  }
  if (predictor < 10 || predictor > 15) bad(src, "unknown predictor " + std::to_string(predictor));
  // PNG: each row starts with its own filter type byte (RFC 2083 §6).
  std::vector<uint8_t> out;
  out.reserve(data.size() / (row + 1) * row);
  std::vector<uint8_t> prior(row, 0);
  for (size_t at = 0; at < data.size(); at += row + 1) {
    uint8_t type = data[at];
    size_t n = std::min(row, data.size() - at - 1);  // a short last row is kept as far as it goes
    std::vector<uint8_t> cur(data.begin() + long(at) + 1, data.begin() + long(at + 1 + n));
    cur.resize(row, 0);
    for (size_t i = 0; i < row; ++i) {
      int left = i >= bpp ? cur[i - bpp] : 0;
      int up = prior[i];
      int up_left = i >= bpp ? prior[i - bpp] : 0;
      switch (type) {
        case 0: break;
        case 1: cur[i] = uint8_t(cur[i] + left); break;
        case 2: cur[i] = uint8_t(cur[i] + up); break;
        case 3: cur[i] = uint8_t(cur[i] + (left + up) / 2); break;
        case 4: cur[i] = uint8_t(cur[i] + paeth(left, up, up_left)); break;
        default: bad(src, "bad PNG predictor row type " + std::to_string(type));
      }
    }
    out.insert(out.end(), cur.begin(), cur.begin() + long(n));
    prior = std::move(cur);
  }
  return out;
}

std::vector<uint8_t> decode_stream(const ByteSource& src, const Object& dict, uint64_t offset, uint64_t length,
                                   uint64_t cap) {
  const Object* filter = dict.get("Filter");
  const Object* parms = dict.get("DecodeParms");
  std::vector<const Object*> filters;
  if (filter && filter->is(Object::Type::Array)) {
    for (const auto& f : filter->items) filters.push_back(&f);
  } else if (filter && !filter->is(Object::Type::Null)) {
    filters.push_back(filter);
  }
  if (filters.empty()) return detail::read_payload(src, offset, length, cap, "PDF stream");
  if (filters.size() > 1) {
    throw Error(ErrorKind::Unsupported, src.name() + ": PDF: a stream with several filters is not supported");
  }
  if (!filters[0]->is_name("FlateDecode") && !filters[0]->is_name("Fl")) {
    std::string name = filters[0]->is(Object::Type::Name) ? filters[0]->text : "?";
    throw Error(ErrorKind::Unsupported, src.name() + ": PDF: stream filter " + name + " is not supported");
  }
  if (parms && parms->is(Object::Type::Array)) parms = parms->items.empty() ? nullptr : &parms->items[0];
  auto data = flate_decode(src, offset, length, cap);
  if (parms && parms->is(Object::Type::Dict)) data = unpredict(src, std::move(data), *parms);
  return data;
}

}  // namespace veritrace::formats::pdf
