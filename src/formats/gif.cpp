// GIF (87a/89a): the C2PA store in an application extension "C2PA_GIF" (authentication code
// 01 00 00) before the first image, XMP in the "XMP DataXMP" application extension; and the
// c2pa-rs box map (one piece per block; color tables belong to the block before them).
#include <algorithm>
#include <functional>
#include <string_view>

#include "formats/parsers.hpp"
#include "formats/read_util.hpp"

namespace veritrace::formats::detail {

namespace {

constexpr const char* kContext = "GIF";
constexpr uint64_t kMaxBlocks = uint64_t{1} << 24;
constexpr uint64_t kWindow = 64 * 1024;

// Sequential reads through a small window, so that walking many tiny sub-blocks stays cheap.
class Cursor {
 public:
  explicit Cursor(const ByteSource& src) : src_(src) {}
  uint64_t pos() const { return pos_; }
  bool at_end() const { return pos_ >= src_.size(); }
  uint8_t u8() {
    if (pos_ >= src_.size()) malformed(src_, kContext, "truncated at offset " + std::to_string(pos_));
    if (pos_ < start_ || pos_ >= start_ + window_.size()) {
      start_ = pos_;
      window_ = read_up_to(src_, pos_, kWindow);
    }
    return window_[pos_++ - start_];
  }
  void skip(uint64_t n) {
    if (!fits(src_, pos_, n)) malformed(src_, kContext, "truncated at offset " + std::to_string(pos_));
    pos_ += n;
  }
  // Walks data sub-blocks up to and including the terminator; `sink` gets each one's range.
  void sub_blocks(const std::function<void(uint64_t, uint64_t)>& sink = {}) {
    while (true) {
      uint8_t n = u8();
      if (n == 0) return;
      if (sink) sink(pos_, n);
      skip(n);
    }
  }
  const ByteSource& src() const { return src_; }

 private:
  const ByteSource& src_;
  uint64_t pos_ = 0;
  uint64_t start_ = 0;
  std::vector<uint8_t> window_;
};

enum class Kind { Header, ScreenDescriptor, GlobalTable, LocalTable, Extension, AppC2pa, AppXmp, Image, ImageData, Trailer };

struct Block {
  Kind kind = Kind::Header;
  std::string name;  // c2pa-rs box name; empty for color tables
  uint64_t offset = 0;
  uint64_t size = 0;
  uint64_t data_offset = 0;  // first sub-block of an application extension
};

uint64_t color_table_size(uint8_t packed) { return 3 * (uint64_t{2} << (packed & 0x07)); }

// Calls `visit` for each block in file order until it returns false or the trailer is passed.
void walk_blocks(const ByteSource& src, const std::function<bool(const Block&)>& visit) {
  Cursor c(src);
  auto head = read_array<6>(src, 0, kContext);
  std::string_view sig(reinterpret_cast<const char*>(head.data()), 6);
  if (sig != "GIF87a" && sig != "GIF89a") malformed(src, kContext, "bad signature");
  c.skip(6);
  if (!visit({Kind::Header, "GIF89a", 0, 6, 0})) return;
  c.skip(4);
  uint8_t packed = c.u8();
  c.skip(2);
  if (!visit({Kind::ScreenDescriptor, "LSD", 6, 7, 0})) return;
  if (packed & 0x80) {
    uint64_t at = c.pos();
    c.skip(color_table_size(packed));
    if (!visit({Kind::GlobalTable, "", at, c.pos() - at, 0})) return;
  }
  for (uint64_t count = 0;; ++count) {
    if (count > kMaxBlocks) malformed(src, kContext, "too many blocks");
    uint64_t start = c.pos();
    uint8_t id = c.u8();
    Block block{Kind::Extension, "", start, 0, 0};
    if (id == 0x21) {
      uint8_t label = c.u8();
      if (label == 0xFF) {
        if (c.u8() != 0x0B) malformed(src, kContext, "application extension at offset " + std::to_string(start) +
                                                         " has a block size other than 11");
        auto app = read_array<11>(src, c.pos(), kContext);
        c.skip(11);
        std::string_view app_id(reinterpret_cast<const char*>(app.data()), 11);
        block.data_offset = c.pos();
        if (app_id == std::string_view("C2PA_GIF\x01\x00\x00", 11)) {
          block.kind = Kind::AppC2pa;
          block.name = "C2PA";
        } else {
          block.kind = app_id == "XMP DataXMP" ? Kind::AppXmp : Kind::Extension;
          block.name = "21FF";
        }
        c.sub_blocks();
      } else if (label == 0xFE) {
        block.name = "21FE";
        c.sub_blocks();
      } else if (label == 0xF9) {
        block.name = "21F9";
        c.skip(6);
      } else if (label == 0x01) {
        block.name = "2101";
        c.skip(11);
        c.sub_blocks();
      } else {
        malformed(src, kContext, "unknown extension label " + std::to_string(label) + " at offset " +
                                     std::to_string(start));
      }
    } else if (id == 0x2C) {
      c.skip(8);
      uint8_t image_packed = c.u8();
      if (!visit({Kind::Image, "2C", start, c.pos() - start, 0})) return;
      if (image_packed & 0x80) {
        uint64_t at = c.pos();
        c.skip(color_table_size(image_packed));
        if (!visit({Kind::LocalTable, "", at, c.pos() - at, 0})) return;
      }
      start = c.pos();
      c.skip(1);  // LZW minimum code size
      c.sub_blocks();
      block = {Kind::ImageData, "TBID", start, 0, 0};
    } else if (id == 0x3B) {
      visit({Kind::Trailer, "3B", start, 1, 0});
      return;
    } else {
      malformed(src, kContext, "unknown block introducer " + std::to_string(id) + " at offset " +
                                   std::to_string(start));
    }
    block.size = c.pos() - block.offset;
    if (!visit(block)) return;
  }
}

std::vector<uint8_t> sub_block_data(const ByteSource& src, uint64_t data_offset, uint64_t cap, const char* what) {
  Cursor c(src);
  c.skip(data_offset);
  std::vector<uint8_t> out;
  c.sub_blocks([&](uint64_t at, uint64_t n) {
    if (out.size() + n > cap) malformed(src, kContext, std::string(what) + " is larger than supported");
    auto piece = read_payload(src, at, n, cap, what);
    out.insert(out.end(), piece.begin(), piece.end());
  });
  return out;
}

}  // namespace

C2paCarrier find_c2pa_gif(const ByteSource& src) {
  C2paCarrier carrier;
  // Like c2pa-rs, the store is looked for before the first image only.
  walk_blocks(src, [&](const Block& b) {
    if (b.kind == Kind::Image) return false;
    if (b.kind != Kind::AppC2pa) return true;
    carrier.store = sub_block_data(src, b.data_offset, kMaxStoreBytes, "GIF C2PA block");
    carrier.carrier_ranges.push_back({b.offset, b.size});
    return false;
  });
  if (carrier.carrier_ranges.empty()) {
    // XMP may be anywhere; a broken block after the images only means there is no URL.
    try {
      walk_blocks(src, [&](const Block& b) {
        if (b.kind != Kind::AppXmp) return true;
        auto xmp = sub_block_data(src, b.data_offset, kMaxXmpBytes, "GIF XMP block");
        carrier.remote_url = xmp_provenance(std::string_view(reinterpret_cast<const char*>(xmp.data()), xmp.size()));
        return false;
      });
    } catch (const Error&) {
    }
  }
  return carrier;
}

std::vector<NamedRange> box_map_gif(const ByteSource& src) {
  bool has_c2pa = false;
  walk_blocks(src, [&](const Block& b) {
    if (b.kind == Kind::AppC2pa) has_c2pa = true;
    return !has_c2pa && b.kind != Kind::Image;
  });
  std::vector<NamedRange> map;
  std::optional<Kind> last;
  walk_blocks(src, [&](const Block& b) {
    // Without a store, c2pa-rs puts an empty "C2PA" piece after the screen descriptor and its
    // color table: where a store would go.
    if (!has_c2pa && last &&
        (*last == Kind::GlobalTable || (*last == Kind::ScreenDescriptor && b.kind != Kind::GlobalTable))) {
      map.push_back({"C2PA", {b.offset, 0}});
    }
    if (b.kind == Kind::GlobalTable || b.kind == Kind::LocalTable) {
      map.back().range.length = b.offset + b.size - map.back().range.offset;
    } else {
      map.push_back({b.name, {b.offset, b.size}});
    }
    last = b.kind;
    return true;
  });
  return map;
}

}  // namespace veritrace::formats::detail
