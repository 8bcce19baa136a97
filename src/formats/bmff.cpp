// ISO BMFF (MP4, MOV, HEIF, AVIF): the box tree, and the C2PA manifest in a top-level 'uuid' box.
#include <algorithm>
#include <cstring>
#include <string_view>
#include <tuple>
#include <utility>

#include "formats/parsers.hpp"
#include "formats/read_util.hpp"

namespace veritrace::formats {

namespace {

using detail::be32;
using detail::be64;
using detail::fourcc;

constexpr const char* kContext = "BMFF";
constexpr size_t kMaxDepth = 32;
constexpr size_t kMaxBoxes = 1'000'000;

constexpr std::array<uint8_t, 16> kC2paUuid = {0xd8, 0xfe, 0xc3, 0xd6, 0x1b, 0x0e, 0x48, 0x3c,
                                               0x92, 0x97, 0x58, 0x28, 0x87, 0x7e, 0xc4, 0x81};
constexpr std::array<uint8_t, 16> kXmpUuid = {0xbe, 0x7a, 0xcf, 0xcb, 0x97, 0xa9, 0x42, 0xe8,
                                              0x9c, 0x71, 0x99, 0x94, 0x91, 0xe3, 0xaf, 0xac};

// Boxes whose payload is a list of boxes (ISO 14496-12 and ISO 23008-12 for HEIF).
bool is_container(uint32_t type) {
  static constexpr uint32_t kContainers[] = {
      fourcc("moov"), fourcc("trak"), fourcc("mdia"), fourcc("minf"), fourcc("stbl"), fourcc("moof"),
      fourcc("traf"), fourcc("edts"), fourcc("udta"), fourcc("dinf"), fourcc("tref"), fourcc("trgr"),
      fourcc("mvex"), fourcc("mfra"), fourcc("meta"), fourcc("schi"), fourcc("sinf"), fourcc("iprp"),
      fourcc("ipco"), fourcc("grpl")};
  return std::find(std::begin(kContainers), std::end(kContainers), type) != std::end(kContainers);
}

// FullBox types of ISO 14496-12 (version and flags follow the header), as c2pa-rs lists them.
bool is_full_box(uint32_t type) {
  static constexpr const char* kFullBoxes[] = {
      "pdin", "mvhd", "tkhd", "mdhd", "hdlr", "nmhd", "elng", "stsd", "stdp", "stts", "ctts", "cslg", "stss", "stsh",
      "elst", "dref", "stsz", "stz2", "stsc", "stco", "co64", "padb", "subs", "saiz", "saio", "mehd", "trex", "mfhd",
      "tfhd", "trun", "tfra", "mfro", "tfdt", "leva", "trep", "assp", "sbgp", "sgpd", "csgp", "cprt", "tsel", "kind",
      "meta", "xml ", "bxml", "iloc", "pitm", "ipro", "infe", "iinf", "iref", "ipma", "schm", "fiin", "fpar", "fecr",
      "gitn", "fire", "stri", "stsg", "stvi", "csch", "sidx", "ssix", "prft", "srpp", "vmhd", "smhd", "srat", "chnl",
      "dmix", "txtC", "mime", "uri ", "uriI", "hmhd", "sthd", "vvhd", "medc"};
  for (const char* name : kFullBoxes) {
    if (type == be32(reinterpret_cast<const uint8_t*>(name))) return true;
  }
  return false;
}

struct Walker {
  const ByteSource& src;
  bool descend;
  size_t box_count = 0;

  std::vector<BmffBox> boxes_in(uint64_t start, uint64_t end, size_t depth) {
    if (depth > kMaxDepth) detail::malformed(src, kContext, "boxes nested too deeply");
    std::vector<BmffBox> boxes;
    uint64_t pos = start;
    // Fewer than 8 bytes left: trailing bytes, which c2pa-rs also tolerates.
    while (pos < end && end - pos >= 8) {
      if (++box_count > kMaxBoxes) detail::malformed(src, kContext, "too many boxes");
      boxes.push_back(read_box(pos, end, depth));
      pos = boxes.back().end();
    }
    return boxes;
  }

  BmffBox read_box(uint64_t pos, uint64_t end, size_t depth) {
    auto head = detail::read_array<8>(src, pos, kContext);
    BmffBox box;
    box.offset = pos;
    box.type = be32(head.data() + 4);
    box.header_size = 8;
    uint64_t size = be32(head.data());
    if (size == 1) {
      if (end - pos < 16) detail::malformed(src, kContext, "large box header truncated");
      auto large = detail::read_array<8>(src, pos + 8, kContext);
      size = be64(large.data());
      box.header_size = 16;
    } else if (size == 0) {
      size = end - pos;  // extends to the end of the enclosing box / file
    }
    std::string where = "box '" + detail::fourcc_string(box.type) + "' at offset " + std::to_string(pos);
    if (size < box.header_size) detail::malformed(src, kContext, where + ": size smaller than its header");
    if (size > end - pos) {
      // Media data cut short is still hashable (c2pa-rs does the same); anything else is broken.
      if (box.type != fourcc("mdat")) detail::malformed(src, kContext, where + ": runs past its container");
      size = end - pos;
    }
    box.size = size;

    uint64_t body = pos + box.header_size;
    if (box.type == fourcc("uuid")) {
      if (box.size < box.header_size + 16) detail::malformed(src, kContext, where + ": too small for its UUID");
      std::array<uint8_t, 16> user_type{};
      src.read_at(body, user_type);
      box.user_type = user_type;
      body += 16;
      if (user_type == kC2paUuid) read_version_and_flags(box, body);
      return box;
    }
    if (is_full_box(box.type)) {
      bool quicktime_meta = box.type == fourcc("meta") && lacks_full_box_header(box, body);
      if (!quicktime_meta) {
        read_version_and_flags(box, body);
        body += 4;
      }
    }
    if (descend && is_container(box.type)) box.children = boxes_in(body, box.end(), depth + 1);
    return box;
  }

  void read_version_and_flags(BmffBox& box, uint64_t body) {
    if (box.end() < body + 4) return;  // too small to hold them; c2pa-rs would fail to read too
    auto vf = detail::read_array<4>(src, body, kContext);
    box.version = vf[0];
    box.flags = (uint32_t(vf[1]) << 16) | (uint32_t(vf[2]) << 8) | vf[3];
  }

  // Apple writes 'meta' without version/flags: then its first child, 'hdlr', starts right away.
  bool lacks_full_box_header(const BmffBox& box, uint64_t body) {
    if (box.end() < body + 8) return false;
    auto peek = detail::read_array<8>(src, body, kContext);
    return std::memcmp(peek.data() + 4, "hdlr", 4) == 0;
  }
};

void check_bmff(const ByteSource& src) {
  auto head = detail::read_array<8>(src, 0, kContext);
  if (std::memcmp(head.data() + 4, "ftyp", 4) != 0) detail::malformed(src, kContext, "missing 'ftyp' box");
}

}  // namespace

std::vector<BmffBox> bmff_boxes(const ByteSource& src) {
  check_bmff(src);
  Walker walker{src, true};
  return walker.boxes_in(0, src.size(), 0);
}

namespace detail {

C2paCarrier find_c2pa_bmff(const ByteSource& src) {
  check_bmff(src);
  Walker walker{src, false};
  auto boxes = walker.boxes_in(0, src.size(), 0);

  C2paCarrier carrier;
  // Where each kind of store box starts its store; 'manifest' wins over 'original'.
  std::vector<std::pair<const BmffBox*, uint64_t>> manifests, originals;
  for (const auto& box : boxes) {
    if (box.type != fourcc("uuid") || !box.user_type) continue;
    uint64_t body = box.offset + box.header_size + 16;
    if (*box.user_type == kXmpUuid) {
      if (!carrier.remote_url && box.end() - body <= kMaxXmpBytes) {
        auto xmp = src.read_vector(body, box.end() - body);
        carrier.remote_url = xmp_provenance(std::string_view(reinterpret_cast<const char*>(xmp.data()), xmp.size()));
      }
      continue;
    }
    if (*box.user_type != kC2paUuid) continue;
    // ContentProvenanceBox: FullBox header, purpose (NUL-terminated), then for a manifest the
    // 64-bit offset of the first auxiliary 'merkle' box, then the manifest store.
    uint64_t pos = body + 4;
    auto purpose_bytes = read_up_to(src, pos, std::min<uint64_t>(box.end() > pos ? box.end() - pos : 0, 256));
    auto nul = std::find(purpose_bytes.begin(), purpose_bytes.end(), uint8_t{0});
    if (nul == purpose_bytes.end()) malformed(src, kContext, "C2PA box purpose has no terminating NUL");
    std::string purpose(purpose_bytes.begin(), nul);
    pos += purpose.size() + 1;
    if (purpose != "manifest" && purpose != "original") continue;  // 'merkle', 'update': no store here
    if (box.end() - pos < 8) malformed(src, kContext, "C2PA box too small for its offset field");
    (purpose == "manifest" ? manifests : originals).emplace_back(&box, pos + 8);
  }
  if (manifests.size() > 1 || originals.size() > 1) malformed(src, kContext, "more than one C2PA manifest box");
  const BmffBox* manifest_box = nullptr;
  uint64_t manifest_offset = 0;
  if (!manifests.empty()) std::tie(manifest_box, manifest_offset) = manifests.front();
  else if (!originals.empty()) std::tie(manifest_box, manifest_offset) = originals.front();
  if (manifest_box) {
    carrier.store = read_payload(src, manifest_offset, manifest_box->end() - manifest_offset, kMaxStoreBytes,
                                 "BMFF C2PA box");
    carrier.carrier_ranges.push_back({manifest_box->offset, manifest_box->size});
  }
  return carrier;
}

}  // namespace detail

}  // namespace veritrace::formats
