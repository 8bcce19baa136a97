#include "formats/pdf.hpp"

#include <algorithm>
#include <cstring>
#include <set>
#include <string_view>

#include "formats/pdf_filter.hpp"
#include "formats/read_util.hpp"

namespace veritrace::formats::pdf {

namespace {

constexpr uint64_t kTailBytes = 4096;            // where startxref is looked for
constexpr uint64_t kMaxEndstreamScan = 64u << 20;  // when /Length is wrong
constexpr uint64_t kScanChunk = 64 * 1024;
constexpr int64_t kMaxObjectsInStream = 1 << 20;

[[noreturn]] void bad(const ByteSource& src, const std::string& message) { detail::malformed(src, "PDF", message); }

std::optional<uint64_t> non_negative(const Object* o) {
  if (o && o->is(Object::Type::Int) && o->integer >= 0) return uint64_t(o->integer);
  return std::nullopt;
}

// Position of the last `needle` in `hay`, or npos.
size_t rfind(const std::vector<uint8_t>& hay, std::string_view needle) {
  std::string_view text(reinterpret_cast<const char*>(hay.data()), hay.size());
  return text.rfind(needle);
}

// True when the bytes at the cursor are `word` (the cursor moves past them only then).
bool consume_word(Cursor& cur, std::string_view word) {
  uint64_t save = cur.pos();
  for (char c : word) {
    if (cur.get() != static_cast<uint8_t>(c)) {
      cur.seek(save);
      return false;
    }
  }
  return true;
}

// Counts nesting for loads that lead to further loads (a /Length in an object stream whose
// /Length is in ...), so hostile files end in an error instead of exhausting the stack.
class DepthGuard {
 public:
  DepthGuard(int& depth, const ByteSource& src) : depth_(depth) {
    if (++depth_ > kMaxResolveDepth) {
      --depth_;
      bad(src, "references nested too deeply (a reference loop?)");
    }
  }
  ~DepthGuard() { --depth_; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;

 private:
  int& depth_;
};

}  // namespace

Document::Document(const ByteSource& src) : src_(src) {
  uint64_t tail_start = src.size() > kTailBytes ? src.size() - kTailBytes : 0;
  auto tail = detail::read_up_to(src, tail_start, kTailBytes);
  size_t at = rfind(tail, "startxref");
  if (at == std::string_view::npos) bad(src, "no startxref near the end of the file (truncated?)");
  Lexer lex(src, tail_start + at + 9);
  Token offset = lex.next();
  if (offset.kind != Token::Kind::Int || offset.integer < 0) bad(src, "startxref is not followed by an offset");

  // Newest section first; /XRefStm (hybrid files) before /Prev, as §7.5.8.4 orders them.
  std::vector<uint64_t> pending{uint64_t(offset.integer)};
  std::set<uint64_t> visited;
  while (!pending.empty()) {
    uint64_t next = pending.back();
    pending.pop_back();
    if (!visited.insert(next).second) continue;  // a /Prev loop
    if (++sections_ > kMaxXrefSections) bad(src, "too many cross-reference sections");
    read_section(next, pending);
  }
  if (!trailer_.get("Root")) bad(src, "the trailer has no /Root");
}

void Document::read_section(uint64_t offset, std::vector<uint64_t>& pending) {
  if (offset >= src_.size()) bad(src_, "cross-reference offset " + std::to_string(offset) + " is past the end");
  Lexer probe(src_, offset);
  probe.skip_whitespace();
  bool table = consume_word(probe.cursor(), "xref");
  Object dict = table ? read_table(probe.pos()) : read_xref_stream(offset);
  if (!dict.is(Object::Type::Dict)) bad(src_, "trailer is not a dictionary");
  // Keys a newer trailer lacks are taken from older ones.
  if (trailer_.type != Object::Type::Dict) {
    trailer_ = dict;
  } else {
    for (const auto& [key, value] : dict.entries) {
      if (!trailer_.get(key)) trailer_.entries.push_back(DictEntry{key, value});
    }
  }
  if (auto prev = non_negative(dict.get("Prev"))) pending.push_back(*prev);
  if (table) {
    if (auto stm = non_negative(dict.get("XRefStm"))) pending.push_back(*stm);
  }
}

void Document::add_entry(uint32_t num, const XrefEntry& e) {
  if (++rows_read_ > kMaxXrefRows) bad(src_, "too many cross-reference entries");
  if (xref_.count(num)) return;  // a newer section already defines it
  if (xref_.size() >= kMaxXrefEntries) bad(src_, "too many objects");
  xref_.emplace(num, e);
}

// A classic table (§7.5.4) from just after "xref"; returns the trailer dictionary.
Object Document::read_table(uint64_t offset) {
  Lexer lex(src_, offset);
  while (true) {
    Token first = lex.next();
    if (first.kind == Token::Kind::Keyword && first.text == "trailer") return parse_object(lex);
    Token count = lex.next();
    if (first.kind != Token::Kind::Int || count.kind != Token::Kind::Int || first.integer < 0 || count.integer < 0 ||
        first.integer + count.integer > int64_t{kMaxObjectNumber} + 1) {
      lex.fail(first.offset, "bad cross-reference subsection header");
    }
    for (int64_t i = 0; i < count.integer; ++i) {
      Token off = lex.next(), gen = lex.next(), kind = lex.next();
      if (off.kind != Token::Kind::Int || gen.kind != Token::Kind::Int || off.integer < 0 || gen.integer < 0 ||
          gen.integer > 65535 || kind.kind != Token::Kind::Keyword || (kind.text != "n" && kind.text != "f")) {
        lex.fail(off.offset, "bad cross-reference entry");
      }
      XrefEntry e;
      if (kind.text == "n") e = {XrefEntry::Kind::InFile, uint64_t(off.integer), uint32_t(gen.integer)};
      add_entry(uint32_t(first.integer + i), e);
    }
  }
}

// A cross-reference stream (§7.5.8); returns its dictionary, which is also the trailer.
Object Document::read_xref_stream(uint64_t offset) {
  Indirect xs = parse_indirect(offset, std::nullopt);
  const Object& dict = xs.value;
  if (!xs.is_stream) bad(src_, "no cross-reference table or stream at offset " + std::to_string(offset));
  const Object* w = dict.get("W");
  auto size = non_negative(dict.get("Size"));
  if (!w || !w->is(Object::Type::Array) || w->items.size() != 3 || !size) {
    bad(src_, "cross-reference stream without /W or /Size");
  }
  uint64_t widths[3];
  uint64_t row = 0;
  for (int i = 0; i < 3; ++i) {
    auto v = non_negative(&w->items[size_t(i)]);
    if (!v || *v > 8) bad(src_, "bad /W in a cross-reference stream");
    widths[i] = *v;
    row += *v;
  }
  if (row == 0) bad(src_, "bad /W in a cross-reference stream");
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  const Object* index = dict.get("Index");
  if (index && index->is(Object::Type::Array)) {
    if (index->items.size() % 2) bad(src_, "odd /Index in a cross-reference stream");
    for (size_t i = 0; i < index->items.size(); i += 2) {
      auto start = non_negative(&index->items[i]), count = non_negative(&index->items[i + 1]);
      if (!start || !count || *start + *count > uint64_t{kMaxObjectNumber} + 1) bad(src_, "bad /Index entry");
      ranges.emplace_back(*start, *count);
    }
  } else {
    if (*size > uint64_t{kMaxObjectNumber} + 1) bad(src_, "bad /Size");
    ranges.emplace_back(0, *size);
  }
  auto data = stream_data(xs, kMaxStructStreamBytes);
  count_decoded(data.size());
  auto field = [&](size_t at, uint64_t width) {
    uint64_t v = 0;
    for (uint64_t i = 0; i < width; ++i) v = (v << 8) | data[at + i];
    return v;
  };
  size_t pos = 0;
  for (const auto& [start, count] : ranges) {
    for (uint64_t i = 0; i < count; ++i) {
      if (data.size() - pos < row) bad(src_, "cross-reference stream is shorter than its /Index says");
      uint64_t type = widths[0] ? field(pos, widths[0]) : 1;
      uint64_t f2 = field(pos + widths[0], widths[1]);
      uint64_t f3 = field(pos + widths[0] + widths[1], widths[2]);
      pos += row;
      XrefEntry e;  // types other than 0-2 are references to null (§7.5.8.3): free
      if (type == 1) e = {XrefEntry::Kind::InFile, f2, uint32_t(std::min<uint64_t>(f3, 65535))};
      if (type == 2) {
        if (f2 > kMaxObjectNumber || f3 > uint64_t(kMaxObjectsInStream)) bad(src_, "bad compressed-object entry");
        e = {XrefEntry::Kind::InStream, f2, uint32_t(f3)};
      }
      add_entry(uint32_t(start + i), e);
    }
  }
  return dict;
}

Indirect Document::parse_indirect(uint64_t offset, std::optional<Ref> expected) {
  if (offset >= src_.size()) bad(src_, "object offset " + std::to_string(offset) + " is past the end");
  Lexer lex(src_, offset);
  Ref header = parse_object_header(lex);
  if (expected && header.num != expected->num) {
    bad(src_, "object " + std::to_string(expected->num) + " is not at offset " + std::to_string(offset));
  }
  Indirect out;
  out.value = parse_object(lex);
  lex.skip_whitespace();
  Cursor& cur = lex.cursor();
  if (!consume_word(cur, "stream")) return out;
  if (!out.value.is(Object::Type::Dict)) bad(src_, "stream without a dictionary at offset " + std::to_string(offset));
  // The keyword is followed by CR LF or LF (§7.3.8.1); a lone CR is accepted too.
  int c = cur.get();
  if (c == '\r') {
    if (cur.peek() == '\n') cur.get();
  } else if (c != '\n') {
    bad(src_, "'stream' not followed by an end of line at offset " + std::to_string(cur.pos()));
  }
  out.is_stream = true;
  out.data_offset = cur.pos();
  out.data_length = stream_length(out.value, out.data_offset);
  return out;
}

// /Length when it is plausible (the data is followed by "endstream"), else the data up to the
// next "endstream" (files whose /Length is wrong are common enough).
uint64_t Document::stream_length(const Object& dict, uint64_t data_offset) {
  std::optional<uint64_t> length;
  const Object* l = dict.get("Length");
  if (l && l->is(Object::Type::Ref)) {
    Object resolved = resolve(*l);
    length = non_negative(&resolved);
  } else {
    length = non_negative(l);
  }
  if (length && detail::fits(src_, data_offset, *length)) {
    Lexer after(src_, data_offset + *length);
    after.skip_whitespace();
    if (consume_word(after.cursor(), "endstream")) return *length;
  }
  const std::string_view word = "endstream";
  for (uint64_t at = data_offset; at < src_.size() && at - data_offset < kMaxEndstreamScan;) {
    auto chunk = detail::read_up_to(src_, at, kScanChunk + word.size());
    std::string_view text(reinterpret_cast<const char*>(chunk.data()), chunk.size());
    size_t hit = text.find(word);
    if (hit != std::string_view::npos) {
      uint64_t end = at + hit;
      // The end of line before "endstream" is not data.
      uint8_t eol[2] = {0, 0};
      if (end - data_offset >= 1) src_.read_at(end - 1, std::span(eol + 1, 1));
      if (end - data_offset >= 2) src_.read_at(end - 2, std::span(eol, 1));
      if (eol[1] == '\n') end -= (eol[0] == '\r' && end - data_offset >= 2) ? 2 : 1;
      else if (eol[1] == '\r') end -= 1;
      return end - data_offset;
    }
    if (chunk.size() <= word.size()) break;
    at += chunk.size() - word.size();
  }
  bad(src_, "stream at offset " + std::to_string(data_offset) + " has no valid /Length and no endstream");
}

Indirect Document::load(Ref ref) {
  DepthGuard guard(depth_, src_);
  auto it = xref_.find(ref.num);
  if (it == xref_.end() || it->second.kind == XrefEntry::Kind::Free) return {};
  XrefEntry e = it->second;
  if (e.kind == XrefEntry::Kind::InFile) return parse_indirect(e.offset, ref);
  return load_from_stream(uint32_t(e.offset), e.gen_or_index, ref);
}

Object Document::resolve(const Object& o) {
  Object current = o;
  for (int hops = 0; current.is(Object::Type::Ref); ++hops) {
    if (hops >= kMaxResolveDepth) bad(src_, "reference chain too long");
    current = load(current.ref).value;
  }
  return current;
}

std::vector<uint8_t> Document::stream_data(const Indirect& stream, uint64_t cap) {
  if (!stream.is_stream) bad(src_, "expected a stream");
  const Object* filter = stream.value.get("Filter");
  const Object* parms = stream.value.get("DecodeParms");
  if ((filter && filter->is(Object::Type::Ref)) || (parms && parms->is(Object::Type::Ref))) {
    Object dict = stream.value;  // indirect filter parameters: resolved into a copy
    for (auto& [key, value] : dict.entries) {
      if (key == "Filter" || key == "DecodeParms") value = resolve(value);
    }
    return decode_stream(src_, dict, stream.data_offset, stream.data_length, cap);
  }
  return decode_stream(src_, stream.value, stream.data_offset, stream.data_length, cap);
}

void Document::count_decoded(uint64_t n) {
  decoded_total_ += n;
  if (decoded_total_ > kMaxDecodedTotal) bad(src_, "too much compressed structure");
}

const Document::ObjectStream& Document::object_stream(uint32_t num) {
  auto cached = object_streams_.find(num);
  if (cached != object_streams_.end()) return *cached->second;
  auto it = xref_.find(num);
  if (it == xref_.end() || it->second.kind != XrefEntry::Kind::InFile) {
    bad(src_, "object stream " + std::to_string(num) + " is missing");
  }
  Indirect s = parse_indirect(it->second.offset, Ref{num, 0});
  auto n = non_negative(s.value.get("N"));
  auto first = non_negative(s.value.get("First"));
  if (!s.is_stream || !n || !first || *n > uint64_t(kMaxObjectsInStream)) {
    bad(src_, "object " + std::to_string(num) + " is not a valid object stream");
  }
  auto os = std::make_shared<ObjectStream>();
  os->data = stream_data(s, kMaxStructStreamBytes);
  count_decoded(os->data.size());
  if (*first > os->data.size()) bad(src_, "object stream " + std::to_string(num) + ": /First past its data");
  auto view = make_span_source(os->data, src_.name() + " (object stream " + std::to_string(num) + ")");
  Lexer lex(*view, 0);
  for (uint64_t i = 0; i < *n; ++i) {
    Token obj = lex.next(), off = lex.next();
    if (obj.kind != Token::Kind::Int || off.kind != Token::Kind::Int || obj.integer < 0 ||
        obj.integer > kMaxObjectNumber || off.integer < 0 || uint64_t(off.integer) > os->data.size() - *first) {
      bad(src_, "object stream " + std::to_string(num) + ": bad index");
    }
    os->index.emplace_back(uint32_t(obj.integer), *first + uint64_t(off.integer));
  }
  return *object_streams_.emplace(num, std::move(os)).first->second;
}

Indirect Document::load_from_stream(uint32_t stream_num, uint32_t index, Ref ref) {
  const ObjectStream& os = object_stream(stream_num);
  std::optional<uint64_t> at;
  if (index < os.index.size() && os.index[index].first == ref.num) {
    at = os.index[index].second;
  } else {
    for (const auto& [num, off] : os.index) {
      if (num == ref.num) at = off;
    }
  }
  if (!at) bad(src_, "object " + std::to_string(ref.num) + " is not in object stream " + std::to_string(stream_num));
  auto view = make_span_source(os.data, src_.name() + " (object stream " + std::to_string(stream_num) + ")");
  Lexer lex(*view, *at);
  Indirect out;
  out.value = parse_object(lex);
  return out;
}

}  // namespace veritrace::formats::pdf
