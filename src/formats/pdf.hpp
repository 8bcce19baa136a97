// A PDF document as far as C2PA needs it (ISO 32000-1 §7.5): the cross-reference data (classic
// tables and cross-reference streams, hybrid files, incremental updates via /Prev), indirect
// objects in the file body or in object streams, and stream data. Objects are read on demand
// through the ByteSource; nothing else of the file is loaded. Internal to src/formats.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "formats/pdf_object.hpp"

namespace veritrace::formats::pdf {

inline constexpr size_t kMaxXrefEntries = size_t{1} << 21;
inline constexpr size_t kMaxXrefSections = 4096;
inline constexpr uint64_t kMaxStructStreamBytes = 64u << 20;   // decoded xref/object streams
inline constexpr uint64_t kMaxDecodedTotal = 512u << 20;       // all structural decoding, per document
inline constexpr int kMaxResolveDepth = 16;                    // refs to refs, nested lookups
inline constexpr uint64_t kMaxXrefRows = uint64_t{8} << 20;     // entries read over all sections

struct XrefEntry {
  enum class Kind { Free, InFile, InStream };
  Kind kind = Kind::Free;
  uint64_t offset = 0;     // InFile: byte offset; InStream: the object stream's number
  uint32_t gen_or_index = 0;  // InFile: generation; InStream: index inside the object stream
};

// An indirect object; for a stream, where its (still encoded) data lies in the file.
struct Indirect {
  Object value;
  bool is_stream = false;
  uint64_t data_offset = 0;
  uint64_t data_length = 0;
};

class Document {
 public:
  // Reads the cross-reference chain from the last startxref. Throws Error(Malformed).
  explicit Document(const ByteSource& src);

  const Object& trailer() const { return trailer_; }
  const std::unordered_map<uint32_t, XrefEntry>& xref() const { return xref_; }
  size_t sections() const { return sections_; }

  // The object a reference names (null for free or missing objects, as §7.3.10 says).
  Indirect load(Ref ref);
  // Follows references until a direct object (a copy).
  Object resolve(const Object& o);
  // A stream's data after its filters, at most `cap` bytes.
  std::vector<uint8_t> stream_data(const Indirect& stream, uint64_t cap);

 private:
  struct ObjectStream {
    std::vector<uint8_t> data;
    std::vector<std::pair<uint32_t, uint64_t>> index;  // object number, offset in data
  };
  void read_section(uint64_t offset, std::vector<uint64_t>& pending);
  Object read_table(uint64_t offset);
  Object read_xref_stream(uint64_t offset);
  void add_entry(uint32_t num, const XrefEntry& e);
  Indirect parse_indirect(uint64_t offset, std::optional<Ref> expected);
  uint64_t stream_length(const Object& dict, uint64_t data_offset);
  Indirect load_from_stream(uint32_t stream_num, uint32_t index, Ref ref);
  const ObjectStream& object_stream(uint32_t num);
  void count_decoded(uint64_t n);

  const ByteSource& src_;
  std::unordered_map<uint32_t, XrefEntry> xref_;
  Object trailer_;
  size_t sections_ = 0;
  int depth_ = 0;
  uint64_t decoded_total_ = 0;
  uint64_t rows_read_ = 0;  // xref entries read over all sections, new or shadowed
  std::map<uint32_t, std::shared_ptr<ObjectStream>> object_streams_;
};

}  // namespace veritrace::formats::pdf
