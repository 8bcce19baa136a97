#include "binding/merkle.hpp"

#include <algorithm>

namespace veritrace::binding::detail {

namespace {

constexpr const char* kMismatch = "assertion.bmffHash.mismatch";
// Bounds what a hostile assertion can make us allocate or hash.
constexpr uint64_t kMaxLeaves = uint64_t{1} << 22;
constexpr uint64_t kMaxMerkleBoxBytes = uint64_t{16} << 20;
// c2pa-rs leaves the first 16 bytes of each mdat out of its leaves, whatever the header size.
constexpr uint64_t kMdatSkip = 16;

constexpr std::array<uint8_t, 16> kC2paUuid = {0xd8, 0xfe, 0xc3, 0xd6, 0x1b, 0x0e, 0x48, 0x3c,
                                               0x92, 0x97, 0x58, 0x28, 0x87, 0x7e, 0xc4, 0x81};

constexpr uint32_t kMoof = 0x6d6f6f66, kMoov = 0x6d6f6f76, kMdat = 0x6d646174, kUuid = 0x75756964;

// An auxiliary 'merkle' C2PA box: where one fragment or block sits in its tree, with a proof.
struct BmffMerkleMap {
  uint64_t unique_id = 0;
  uint64_t local_id = 0;
  uint64_t location = 0;
  std::optional<std::vector<std::vector<uint8_t>>> proof;
};

std::vector<uint8_t> concat_and_hash(HashAlg alg, const std::vector<uint8_t>& left, const std::vector<uint8_t>& right) {
  Hasher h(alg);
  h.update(left);
  h.update(right);
  return h.finish();
}

// Nodes per layer, leaves first; an odd last node moves up unchanged.
std::vector<uint64_t> layout(uint64_t leaves) {
  std::vector<uint64_t> layers{leaves};
  while (layers.back() > 1) layers.push_back((layers.back() + 1) / 2);
  return layers;
}

std::vector<uint8_t> merkle_root(HashAlg alg, std::vector<std::vector<uint8_t>> layer) {
  while (layer.size() > 1) {
    std::vector<std::vector<uint8_t>> parent;
    for (size_t i = 0; i < layer.size(); i += 2) {
      parent.push_back(i + 1 == layer.size() ? layer[i] : concat_and_hash(alg, layer[i], layer[i + 1]));
    }
    layer = std::move(parent);
  }
  return layer.empty() ? std::vector<uint8_t>{} : layer.front();
}

// Climbs from a leaf hash with the proof until the stored row, then compares (c2pa-rs
// MerkleMap::check_merkle_tree).
bool check_merkle_tree(const MerkleMap& mm, HashAlg alg, std::vector<uint8_t> hash, uint64_t location,
                       const std::optional<std::vector<std::vector<uint8_t>>>& proof) {
  if (location >= mm.count) return false;
  uint64_t index = location;
  size_t proof_index = 0;
  for (uint64_t layer : layout(mm.count)) {
    if (layer == mm.hashes.size()) break;
    if (proof) {
      bool is_right = index % 2 == 1;
      if (is_right ? index - 1 < layer : index + 1 < layer) {
        if (proof_index >= proof->size()) return false;
        const auto& sibling = (*proof)[proof_index++];
        hash = is_right ? concat_and_hash(alg, sibling, hash) : concat_and_hash(alg, hash, sibling);
      }
    }
    index /= 2;
  }
  return index < mm.hashes.size() && mm.hashes[index] == hash;
}

std::vector<std::vector<uint8_t>> byte_strings(const cbor::Value& array, const std::string& code) {
  if (!array.untagged().is_array()) fail(code, "Merkle hashes are not an array");
  std::vector<std::vector<uint8_t>> out;
  for (const auto& h : array.untagged().items) {
    if (!h.untagged().is_bytes()) fail(code, "Merkle hash is not a byte string");
    out.push_back(h.untagged().bytes);
  }
  return out;
}

// The 'merkle' C2PA uuid boxes at top level, in file order.
std::vector<BmffMerkleMap> read_merkle_boxes(const MerkleContext& ctx) {
  std::vector<BmffMerkleMap> out;
  for (const auto& box : ctx.top_level) {
    if (box.type != kUuid || !box.user_type || *box.user_type != kC2paUuid) continue;
    uint64_t pos = box.offset + box.header_size + 16 + 4;  // after the UUID and version/flags
    if (pos >= box.end()) continue;
    auto body = ctx.src.read_vector(pos, std::min(box.end() - pos, kMaxMerkleBoxBytes));
    auto nul = std::find(body.begin(), body.end(), uint8_t{0});
    if (nul == body.end()) fail(kMismatch, "C2PA box purpose has no terminating NUL");
    if (std::string(body.begin(), nul) != "merkle") continue;
    std::span<const uint8_t> cbor_bytes(&*nul + 1, static_cast<size_t>(body.end() - nul - 1));
    cbor::Value v;
    try {
      size_t consumed = 0;
      v = cbor::decode_prefix(cbor_bytes, consumed);  // trailing zero padding is allowed
    } catch (const Error& e) {
      fail(kMismatch, std::string("bad 'merkle' box: ") + e.what());
    }
    BmffMerkleMap m;
    m.unique_id = optional_uint(v, "uniqueId", kMismatch).value_or(0);
    m.local_id = optional_uint(v, "localId", kMismatch).value_or(0);
    auto location = optional_uint(v, "location", kMismatch);
    if (!location) fail(kMismatch, "'merkle' box without location");
    m.location = *location;
    if (const auto* hashes = field(v, "hashes")) m.proof = byte_strings(*hashes, kMismatch);
    out.push_back(std::move(m));
  }
  return out;
}

HashAlg map_alg(const MerkleMap& mm, const MerkleContext& ctx) {
  auto name = mm.alg ? mm.alg : ctx.assertion_alg;
  if (!name) fail(kMismatch, "no algorithm found");
  return algorithm(name, "", kMismatch);
}

// Boxes from the first 'moof' on, cut before each further 'moof' (c2pa-rs split_fragment_boxes).
std::vector<ByteRange> fragment_spans(const std::vector<formats::BmffBox>& boxes) {
  std::vector<ByteRange> spans;
  auto first = std::find_if(boxes.begin(), boxes.end(), [](const formats::BmffBox& b) { return b.type == kMoof; });
  if (first == boxes.end() || first == boxes.begin()) return spans;
  for (auto it = first; it != boxes.end(); ++it) {
    if (it->type == kMoof || spans.empty()) spans.push_back({it->offset, it->size});
    else spans.back().length = it->end() - spans.back().offset;
  }
  return spans;
}

void verify_fragments(const std::vector<MerkleMap>& maps, const MerkleContext& ctx,
                      const std::vector<BmffMerkleMap>& merkle_boxes, const std::string& prefix) {
  auto spans = fragment_spans(ctx.top_level);
  const uint64_t size = ctx.src.size();
  for (const auto& mm : maps) {
    HashAlg alg = map_alg(mm, ctx);
    if (spans.size() != mm.count || merkle_boxes.size() != mm.count) {
      fail(kMismatch, prefix + "incorrect number of fragment hashes");
    }
    for (size_t i = 0; i < spans.size(); ++i) {
      auto exclusions = ctx.exclusions;
      exclusions.push_back({0, spans[i].offset});
      exclusions.push_back({spans[i].end(), size - spans[i].end()});
      auto hash = hash_with_exclusions(alg, ctx.src, exclusions, ctx.box_offsets, kMismatch);
      if (!check_merkle_tree(mm, alg, hash, merkle_boxes[i].location, merkle_boxes[i].proof)) {
        fail(kMismatch, prefix + "fragment " + std::to_string(i) + " not valid");
      }
    }
  }
}

// Leaves over mdat payloads: one leaf, fixed-size blocks, or listed block sizes (v3).
std::vector<ByteRange> mdat_leaves(const formats::BmffBox& mdat, const MerkleMap& mm) {
  uint64_t start = mdat.offset + kMdatSkip;
  uint64_t left = mdat.size > kMdatSkip ? mdat.size - kMdatSkip : 0;
  std::vector<ByteRange> leaves;
  if (mm.fixed_block_size) {
    uint64_t block = *mm.fixed_block_size;
    if (block <= 1) fail(kMismatch, "fixed block size must be a positive integer above 1");
    if ((left + block - 1) / block > kMaxLeaves) fail(kMismatch, "too many Merkle leaves");
    for (; left > 0; left -= std::min(left, block), start += block) leaves.push_back({start, std::min(left, block)});
  } else if (mm.variable_block_sizes) {
    if (mm.variable_block_sizes->size() > kMaxLeaves) fail(kMismatch, "too many Merkle leaves");
    uint64_t total = 0;
    for (uint64_t s : *mm.variable_block_sizes) {
      if (s > UINT64_MAX - total) fail(kMismatch, "variable block sizes overflow");
      total += s;
    }
    if (total != left) fail(kMismatch, "variable block sizes do not match the mdat box size");
    for (uint64_t s : *mm.variable_block_sizes) {
      leaves.push_back({start, s});
      start += s;
    }
  } else {
    leaves.push_back({start, left});
  }
  return leaves;
}

void verify_mdat_blocks(const std::vector<MerkleMap>& maps, const MerkleContext& ctx,
                        const std::vector<BmffMerkleMap>& merkle_boxes, const std::string& prefix) {
  if (std::any_of(maps.begin(), maps.end(),
                  [](const MerkleMap& m) { return m.fixed_block_size && m.variable_block_sizes; })) {
    fail(kMismatch, prefix + "a MerkleMap has both fixed and variable block sizes");
  }
  std::vector<const formats::BmffBox*> mdats;
  for (const auto& box : ctx.top_level) {
    if (box.type == kMdat) mdats.push_back(&box);
  }
  if (mdats.size() != maps.size()) fail(kMismatch, prefix + "number of MerkleMaps does not match number of mdat boxes");

  size_t next_box = 0;  // merkle boxes are dealt out to the maps in order, `count` each
  for (size_t m = 0; m < maps.size(); ++m) {
    const MerkleMap& mm = maps[m];
    HashAlg alg = map_alg(mm, ctx);
    auto leaves = mdat_leaves(*mdats[m], mm);
    if (merkle_boxes.empty()) {
      if (leaves.size() != mm.count) fail(kMismatch, prefix + "number of leaves does not match the MerkleMap count");
      if (mm.hashes.size() == 1 && mm.count > 1) {
        std::vector<std::vector<uint8_t>> hashes;
        for (const auto& leaf : leaves) hashes.push_back(hash_range(alg, ctx.src, leaf));
        if (merkle_root(alg, std::move(hashes)) != mm.hashes[0]) fail(kMismatch, prefix + "Merkle root hash did not match");
        continue;
      }
      for (size_t i = 0; i < leaves.size(); ++i) {
        if (!check_merkle_tree(mm, alg, hash_range(alg, ctx.src, leaves[i]), i, std::nullopt)) {
          fail(kMismatch, prefix + "chunk hash did not match");
        }
      }
      continue;
    }
    if (mm.count > merkle_boxes.size() - next_box) fail(kMismatch, prefix + "MerkleMap count incorrect");
    if (leaves.size() != mm.count) fail(kMismatch, prefix + "number of hash ranges does not match 'merkle' boxes");
    for (size_t i = 0; i < leaves.size(); ++i) {
      const auto& box = merkle_boxes[next_box + i];
      if (!check_merkle_tree(mm, alg, hash_range(alg, ctx.src, leaves[i]), box.location, box.proof)) {
        fail(kMismatch, prefix + "chunk hash did not match");
      }
    }
    next_box += mm.count;
  }
}

}  // namespace

MerkleMap parse_merkle_map(const cbor::Value& item, const std::string& code) {
  if (!item.untagged().is_map()) fail(code, "MerkleMap is not a map");
  MerkleMap mm;
  mm.unique_id = optional_uint(item, "uniqueId", code).value_or(0);
  mm.local_id = optional_uint(item, "localId", code).value_or(0);
  auto count = optional_uint(item, "count", code);
  if (!count) fail(code, "MerkleMap without count");
  mm.count = *count;
  mm.alg = optional_text(item, "alg", code);
  mm.init_hash = optional_bytes(item, "initHash", code);
  const auto* hashes = field(item, "hashes");
  if (hashes == nullptr) fail(code, "MerkleMap without hashes");
  mm.hashes = byte_strings(*hashes, code);
  mm.fixed_block_size = optional_uint(item, "fixedBlockSize", code);
  if (const auto* sizes = optional_array(item, "variableBlockSizes", code)) {
    mm.variable_block_sizes.emplace();
    for (const auto& s : *sizes) {
      if (s.untagged().type != cbor::Type::Unsigned) fail(code, "variable block size is not an unsigned integer");
      mm.variable_block_sizes->push_back(s.untagged().uint);
    }
  }
  return mm;
}

void verify_merkle_maps(const std::vector<MerkleMap>& maps, const MerkleContext& ctx, const std::string& prefix) {
  const auto& boxes = ctx.top_level;
  auto first_moof = std::find_if(boxes.begin(), boxes.end(), [](const formats::BmffBox& b) { return b.type == kMoof; });
  bool fragmented = first_moof != boxes.end();
  auto merkle_boxes = read_merkle_boxes(ctx);

  // Initialisation segment: everything before the first fragment.
  for (const auto& mm : maps) {
    if (mm.init_hash == nullptr) continue;
    if (!fragmented) fail(kMismatch, prefix + "BMFF inithash must not be present for non-fragmented media");
    HashAlg alg = map_alg(mm, ctx);
    auto exclusions = ctx.exclusions;
    exclusions.push_back({first_moof->offset, ctx.src.size() - first_moof->offset});
    if (hash_with_exclusions(alg, ctx.src, exclusions, ctx.box_offsets, kMismatch) != *mm.init_hash) {
      fail(kMismatch, prefix + "BMFF init segment hash mismatch");
    }
  }
  if (fragmented) {
    verify_fragments(maps, ctx, merkle_boxes, prefix);
    return;
  }
  bool all_block_maps = std::all_of(maps.begin(), maps.end(), [](const MerkleMap& m) {
    return m.fixed_block_size.has_value() || m.variable_block_sizes.has_value();
  });
  bool has_moov = std::any_of(boxes.begin(), boxes.end(), [](const formats::BmffBox& b) { return b.type == kMoov; });
  if (!all_block_maps && has_moov && !merkle_boxes.empty()) {
    // Leaves over the chunks of each track (sample tables): not implemented yet.
    fail(kMismatch, prefix + "Merkle trees over track chunks are not supported yet");
  }
  verify_mdat_blocks(maps, ctx, merkle_boxes, prefix);
}

}  // namespace veritrace::binding::detail
