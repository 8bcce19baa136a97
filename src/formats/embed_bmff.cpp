// ISO BMFF (MP4, MOV, HEIF, AVIF): the store in a top-level C2PA 'uuid' box, put where c2pa-rs
// 0.90 puts it (in place of the old manifest box, else right after 'ftyp'), with every absolute
// file offset behind it moved by the size change: stco/co64/saio in moov, tfhd base offsets,
// tfra moof offsets, and iloc file offsets of HEIF items.
#include <algorithm>
#include <cstring>
#include <functional>
#include <string>

#include "formats/embed_internal.hpp"
#include "formats/read_util.hpp"

namespace veritrace::formats::detail {

namespace {

constexpr const char* kContext = "BMFF";
constexpr uint64_t kMaxPatchedBox = uint64_t{256} << 20;  // offset tables we rewrite in memory
constexpr std::array<uint8_t, 16> kC2paUuid = {0xd8, 0xfe, 0xc3, 0xd6, 0x1b, 0x0e, 0x48, 0x3c,
                                               0x92, 0x97, 0x58, 0x28, 0x87, 0x7e, 0xc4, 0x81};

// Input offsets from the insertion point on move by `delta`; offsets into the replaced C2PA box
// point at nothing and stay as they are.
struct OffsetShift {
  uint64_t insert_at = 0;
  uint64_t removed_end = 0;
  int64_t delta = 0;

  uint64_t map(uint64_t offset) const {
    if (offset < removed_end) return offset;  // removed_end >= insert_at
    return static_cast<uint64_t>(static_cast<int64_t>(offset) + delta);
  }
};

// Checked big-endian reads and in-place rewrites over one box's bytes.
class BoxPatcher {
 public:
  BoxPatcher(const ByteSource& src, const BmffBox& box, const OffsetShift& shift)
      : src_(src), box_(box), shift_(shift), bytes_(src.read_vector(box.offset, box.size)),
        pos_(static_cast<size_t>(box.header_size)) {}

  uint64_t read(size_t width) {
    if (width > bytes_.size() - pos_) {
      malformed(src_, kContext, "'" + fourcc_string(box_.type) + "' box at offset " + std::to_string(box_.offset) +
                                    " is truncated");
    }
    uint64_t value = 0;
    for (size_t i = 0; i < width; ++i) value = (value << 8) | bytes_[pos_ + i];
    pos_ += width;
    return value;
  }
  void skip(size_t width) { read_skip(width); }

  // Reads a file offset of `width` bytes (0, 4 or 8) and rewrites it shifted.
  uint64_t shift_offset(size_t width) {
    size_t at = pos_;
    uint64_t value = read(width);
    uint64_t moved = shift_.map(value);
    if (width == 4 && moved > 0xFFFFFFFFu) {
      throw Error(ErrorKind::Unsupported, src_.name() + ": BMFF: a 32-bit offset in '" + fourcc_string(box_.type) +
                                              "' would overflow after inserting the manifest box");
    }
    for (size_t i = 0; i < width; ++i) bytes_[at + i] = static_cast<uint8_t>(moved >> (8 * (width - 1 - i)));
    return value;
  }

  std::vector<uint8_t> take() { return std::move(bytes_); }

 private:
  void read_skip(size_t width) {
    while (width > 0) {
      size_t n = std::min<size_t>(width, 8);
      read(n);
      width -= n;
    }
  }
  const ByteSource& src_;
  const BmffBox& box_;
  const OffsetShift& shift_;
  std::vector<uint8_t> bytes_;
  size_t pos_;
};

size_t field_width(const ByteSource& src, uint64_t nibble) {
  if (nibble != 0 && nibble != 4 && nibble != 8) malformed(src, kContext, "iloc field size not 0, 4 or 8");
  return static_cast<size_t>(nibble);
}

void patch_chunk_offsets(BoxPatcher& box, size_t width) {
  box.skip(4);  // version, flags
  uint64_t count = box.read(4);
  for (uint64_t i = 0; i < count; ++i) box.shift_offset(width);
}

void patch_saio(BoxPatcher& box) {
  uint64_t version = box.read(1);
  uint64_t flags = box.read(3);
  if (flags & 1) box.skip(8);  // aux_info_type, aux_info_type_parameter
  uint64_t count = box.read(4);
  for (uint64_t i = 0; i < count; ++i) box.shift_offset(version == 0 ? 4 : 8);
}

void patch_tfhd(BoxPatcher& box) {
  box.skip(1);
  uint64_t flags = box.read(3);
  box.skip(4);                          // track_ID
  if (flags & 1) box.shift_offset(8);  // base-data-offset-present
}

void patch_tfra(BoxPatcher& box) {
  uint64_t version = box.read(1);
  box.skip(3 + 4);  // flags, track_ID
  uint64_t sizes = box.read(4);
  uint64_t count = box.read(4);
  size_t rest = static_cast<size_t>(((sizes >> 4) & 3) + 1 + ((sizes >> 2) & 3) + 1 + (sizes & 3) + 1);
  for (uint64_t i = 0; i < count; ++i) {
    box.skip(version == 1 ? 8 : 4);  // time
    box.shift_offset(version == 1 ? 8 : 4);
    box.skip(rest);
  }
}

void patch_iloc(const ByteSource& src, BoxPatcher& box) {
  uint64_t version = box.read(1);
  box.skip(3);
  if (version > 2) throw Error(ErrorKind::Unsupported, src.name() + ": BMFF: iloc version " + std::to_string(version));
  uint64_t sizes = box.read(2);
  size_t offset_size = field_width(src, sizes >> 12);
  size_t length_size = field_width(src, (sizes >> 8) & 15);
  size_t base_offset_size = field_width(src, (sizes >> 4) & 15);
  size_t index_size = version >= 1 ? field_width(src, sizes & 15) : 0;
  uint64_t item_count = box.read(version < 2 ? 2 : 4);
  for (uint64_t item = 0; item < item_count; ++item) {
    box.skip(version < 2 ? 2 : 4);  // item_ID
    uint64_t construction_method = version >= 1 ? box.read(2) & 15 : 0;
    uint64_t data_reference = box.read(2);
    // Only items stored in this file by absolute offset move (not idat or item-relative data).
    bool file_offsets = construction_method == 0 && data_reference == 0;
    uint64_t base_offset = file_offsets ? box.shift_offset(base_offset_size) : box.read(base_offset_size);
    uint64_t extent_count = box.read(2);
    for (uint64_t e = 0; e < extent_count; ++e) {
      box.read(index_size);
      // With a base offset, extents are relative to it; without, they are file offsets.
      if (file_offsets && base_offset == 0) box.shift_offset(offset_size);
      else box.read(offset_size);
      box.read(length_size);
    }
  }
}

// The boxes holding absolute offsets that c2pa-rs patches, found by path.
void collect_patches(const ByteSource& src, const std::vector<BmffBox>& boxes, const std::string& path,
                     const OffsetShift& shift, std::vector<Edit>& edits) {
  for (const auto& box : boxes) {
    std::string box_path = path + "/" + fourcc_string(box.type);
    std::function<void(BoxPatcher&)> patch;
    if (box_path == "/moov/trak/mdia/minf/stbl/stco") patch = [](BoxPatcher& b) { patch_chunk_offsets(b, 4); };
    else if (box_path == "/moov/trak/mdia/minf/stbl/co64") patch = [](BoxPatcher& b) { patch_chunk_offsets(b, 8); };
    else if (box_path == "/moov/trak/mdia/minf/stbl/saio") patch = patch_saio;
    else if (box_path == "/moof/traf/tfhd") patch = patch_tfhd;
    else if (box_path == "/mfra/tfra") patch = patch_tfra;
    else if (box_path == "/meta/iloc") patch = [&src](BoxPatcher& b) { patch_iloc(src, b); };
    if (patch) {
      if (box.size > kMaxPatchedBox) {
        throw Error(ErrorKind::Unsupported, src.name() + ": BMFF: '" + fourcc_string(box.type) + "' box too large");
      }
      BoxPatcher patcher(src, box, shift);
      patch(patcher);
      edits.push_back({box.offset, box.size, {literal_piece(patcher.take())}});
    }
    collect_patches(src, box.children, box_path, shift, edits);
  }
}

// "manifest", "original", "update", "merkle"... of a top-level C2PA box.
std::string c2pa_purpose(const ByteSource& src, const BmffBox& box) {
  uint64_t pos = box.offset + box.header_size + 16 + 4;
  auto bytes = read_up_to(src, pos, box.end() > pos ? std::min<uint64_t>(box.end() - pos, 256) : 0);
  auto nul = std::find(bytes.begin(), bytes.end(), uint8_t{0});
  if (nul == bytes.end()) malformed(src, kContext, "C2PA box purpose has no terminating NUL");
  return std::string(bytes.begin(), nul);
}

}  // namespace

EmbedLayout plan_bmff(const ByteSource& input, uint64_t store_size) {
  auto boxes = bmff_boxes(input);
  const BmffBox* ftyp = nullptr;
  const BmffBox* old_box = nullptr;
  for (const auto& box : boxes) {
    if (box.type == fourcc("ftyp") && !ftyp) ftyp = &box;
    if (box.type != fourcc("uuid") || box.user_type != kC2paUuid) continue;
    std::string purpose = c2pa_purpose(input, box);
    if (purpose == "original" || purpose == "update") {
      throw Error(ErrorKind::Unsupported, input.name() + ": BMFF: files with update manifests are not supported");
    }
    if (purpose != "manifest") continue;
    if (old_box) malformed(input, kContext, "more than one C2PA manifest box");
    old_box = &box;
  }
  if (!ftyp) malformed(input, kContext, "missing 'ftyp' box");

  // ContentProvenanceBox: header, C2PA UUID, version/flags 0, purpose, 64-bit offset of the first
  // 'merkle' box (0: none), the store.
  constexpr uint64_t kFields = 16 + 4 + 9 + 8;
  bool large = 8 + kFields + store_size > 0xFFFFFFFFu;
  uint64_t box_size = (large ? 16 : 8) + kFields + store_size;
  std::vector<uint8_t> head;
  put_be32(head, large ? 1 : static_cast<uint32_t>(box_size));
  head.insert(head.end(), {'u', 'u', 'i', 'd'});
  if (large) put_be64(head, box_size);
  head.insert(head.end(), kC2paUuid.begin(), kC2paUuid.end());
  put_be32(head, 0);
  const char kPurpose[] = "manifest";
  head.insert(head.end(), kPurpose, kPurpose + sizeof kPurpose);  // with its NUL
  put_be64(head, 0);
  const uint64_t head_size = head.size();

  OffsetShift shift;
  shift.insert_at = old_box ? old_box->offset : ftyp->end();
  shift.removed_end = old_box ? old_box->end() : shift.insert_at;
  shift.delta = static_cast<int64_t>(box_size) - static_cast<int64_t>(shift.removed_end - shift.insert_at);

  std::vector<Edit> edits;
  edits.push_back({shift.insert_at, shift.removed_end - shift.insert_at,
                   {literal_piece(std::move(head)), store_piece(0, store_size)}});
  if (shift.delta != 0) collect_patches(input, boxes, "", shift, edits);
  std::stable_sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) { return a.offset < b.offset; });
  size_t insertion_index = 0;
  for (size_t i = 0; i < edits.size(); ++i) {
    if (edits[i].inserted.size() == 2) insertion_index = i;
  }

  EmbedLayout layout;
  layout.format = Format::Bmff;
  layout.store_size = store_size;
  layout.pieces = apply_edits(input, edits);
  uint64_t base = output_offset_of(edits, insertion_index);
  layout.carrier.push_back({base, box_size});
  layout.store_offset = base + head_size;
  return layout;
}

}  // namespace veritrace::formats::detail
