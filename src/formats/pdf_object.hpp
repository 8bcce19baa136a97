// PDF objects (ISO 32000-1 §7.3) and a bounded tokenizer/parser for them. Internal to
// src/formats. Only what finding a C2PA manifest store needs: no content streams, no fonts.
// The parser keeps its own stack (no recursion), and caps nesting, element counts and bytes.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "veritrace/core.hpp"

namespace veritrace::formats::pdf {

inline constexpr size_t kMaxDepth = 64;                      // nested arrays/dictionaries
inline constexpr uint64_t kMaxObjectBytes = 8u << 20;         // text of one object, streams excluded
inline constexpr size_t kMaxElements = 256 * 1024;            // values in one parsed object
inline constexpr uint32_t kMaxObjectNumber = (1u << 23) - 1;  // PDF's own implementation limit

struct Ref {
  uint32_t num = 0;
  uint32_t gen = 0;
  bool operator==(const Ref&) const = default;
};

struct DictEntry;

struct Object {
  enum class Type { Null, Bool, Int, Real, String, Name, Array, Dict, Ref };
  Type type = Type::Null;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0;
  std::string text;                                   // String bytes, or Name without '/' (#xx decoded)
  std::vector<Object> items;                          // Array
  std::vector<DictEntry> entries;                     // Dict, in file order
  Ref ref;

  bool is(Type t) const { return type == t; }
  bool is_name(std::string_view n) const { return type == Type::Name && text == n; }
  // Dictionary lookup; nullptr when absent or when this is not a dictionary. The last of
  // duplicate keys wins.
  const Object* get(std::string_view key) const;
};

// A separate type rather than std::pair, so that Object is complete wherever entries are copied.
struct DictEntry {
  std::string key;
  Object value;
};

// Sequential reads through a window over a ByteSource, so byte-at-a-time lexing stays cheap.
class Cursor {
 public:
  Cursor(const ByteSource& src, uint64_t pos) : src_(src), pos_(pos) {}
  uint64_t pos() const { return pos_; }
  void seek(uint64_t pos) { pos_ = pos; }
  bool at_end() const { return pos_ >= src_.size(); }
  // The byte at pos() (or -1 at the end), without moving.
  int peek();
  int get() {
    int c = peek();
    if (c >= 0) ++pos_;
    return c;
  }
  const ByteSource& src() const { return src_; }

 private:
  const ByteSource& src_;
  uint64_t pos_;
  uint64_t start_ = 0;
  std::vector<uint8_t> window_;
};

bool is_whitespace(int c);
bool is_delimiter(int c);

struct Token {
  enum class Kind { End, Int, Real, String, Name, Keyword, ArrayOpen, ArrayClose, DictOpen, DictClose };
  Kind kind = Kind::End;
  int64_t integer = 0;
  double real = 0;
  std::string text;  // String bytes, Name, Keyword
  uint64_t offset = 0;
};

class Lexer {
 public:
  Lexer(const ByteSource& src, uint64_t pos) : cur_(src, pos) {}
  // Skips whitespace and comments, then reads one token (Kind::End at the end of the source).
  Token next();
  void skip_whitespace();
  uint64_t pos() const { return cur_.pos(); }
  void seek(uint64_t pos) { cur_.seek(pos); }
  Cursor& cursor() { return cur_; }
  [[noreturn]] void fail(uint64_t at, const std::string& message) const;

 private:
  void literal_string(Token& t);
  void hex_string(Token& t);
  void name(Token& t);
  void regular(Token& t, int first);
  Cursor cur_;
};

// Parses one direct object starting at the lexer's position; `R` references are recognised.
// Throws Error(Malformed) on bad syntax, on a limit, or at the end of the source.
Object parse_object(Lexer& lex);

// "N G obj": the header of an indirect object at the lexer's position.
Ref parse_object_header(Lexer& lex);

}  // namespace veritrace::formats::pdf
