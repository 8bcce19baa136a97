#include "formats/pdf_object.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "formats/read_util.hpp"

namespace veritrace::formats::pdf {

namespace {

constexpr uint64_t kWindow = 64 * 1024;
constexpr size_t kMaxNumberChars = 64;

int hex_value(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_regular(int c) { return c >= 0 && !is_whitespace(c) && !is_delimiter(c); }

}  // namespace

const Object* Object::get(std::string_view key) const {
  if (type != Type::Dict) return nullptr;
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    if (it->key == key) return &it->value;
  }
  return nullptr;
}

int Cursor::peek() {
  if (pos_ >= src_.size()) return -1;
  if (pos_ < start_ || pos_ >= start_ + window_.size()) {
    start_ = pos_;
    window_ = detail::read_up_to(src_, pos_, kWindow);
  }
  return window_[pos_ - start_];
}

bool is_whitespace(int c) { return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '; }

bool is_delimiter(int c) {
  return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' || c == '}' || c == '/' ||
         c == '%';
}

void Lexer::fail(uint64_t at, const std::string& message) const {
  detail::malformed(cur_.src(), "PDF", message + " at offset " + std::to_string(at));
}

void Lexer::skip_whitespace() {
  while (true) {
    int c = cur_.peek();
    if (is_whitespace(c)) {
      cur_.get();
    } else if (c == '%') {  // a comment runs to the end of the line
      while (c >= 0 && c != '\r' && c != '\n') c = cur_.get();
    } else {
      return;
    }
  }
}

Token Lexer::next() {
  skip_whitespace();
  Token t;
  t.offset = cur_.pos();
  int c = cur_.get();
  switch (c) {
    case -1: t.kind = Token::Kind::End; break;
    case '[': t.kind = Token::Kind::ArrayOpen; break;
    case ']': t.kind = Token::Kind::ArrayClose; break;
    case '(': literal_string(t); break;
    case '/': name(t); break;
    case '<':
      if (cur_.peek() == '<') {
        cur_.get();
        t.kind = Token::Kind::DictOpen;
      } else {
        hex_string(t);
      }
      break;
    case '>':
      if (cur_.get() != '>') fail(t.offset, "stray '>'");
      t.kind = Token::Kind::DictClose;
      break;
    case ')': case '{': case '}': fail(t.offset, "unexpected delimiter");
    default: regular(t, c);
  }
  return t;
}

void Lexer::literal_string(Token& t) {
  t.kind = Token::Kind::String;
  int depth = 1;  // balanced parentheses need no escape (§7.3.4.2)
  while (true) {
    if (t.text.size() > kMaxObjectBytes) fail(t.offset, "string too long");
    int c = cur_.get();
    if (c < 0) fail(t.offset, "unterminated string");
    if (c == '(') {
      ++depth;
    } else if (c == ')') {
      if (--depth == 0) return;
    } else if (c == '\\') {
      c = cur_.get();
      switch (c) {
        case -1: fail(t.offset, "unterminated string");
        case 'n': t.text += '\n'; continue;
        case 'r': t.text += '\r'; continue;
        case 't': t.text += '\t'; continue;
        case 'b': t.text += '\b'; continue;
        case 'f': t.text += '\f'; continue;
        case '\r':  // a backslash before an end of line continues the string
          if (cur_.peek() == '\n') cur_.get();
          continue;
        case '\n': continue;
        default:
          if (c >= '0' && c <= '7') {
            int value = c - '0';
            for (int i = 0; i < 2 && cur_.peek() >= '0' && cur_.peek() <= '7'; ++i) value = value * 8 + (cur_.get() - '0');
            t.text += static_cast<char>(value & 0xFF);
            continue;
          }
          break;  // \( \) \\ and unknown escapes: the character itself
      }
    }
    t.text += static_cast<char>(c);
  }
}

void Lexer::hex_string(Token& t) {
  t.kind = Token::Kind::String;
  int high = -1;
  while (true) {
    if (t.text.size() > kMaxObjectBytes) fail(t.offset, "string too long");
    int c = cur_.get();
    if (c < 0) fail(t.offset, "unterminated hex string");
    if (c == '>') break;
    if (is_whitespace(c)) continue;
    int v = hex_value(c);
    if (v < 0) fail(t.offset, "bad hex string");
    if (high < 0) {
      high = v;
    } else {
      t.text += static_cast<char>(high * 16 + v);
      high = -1;
    }
  }
  if (high >= 0) t.text += static_cast<char>(high * 16);  // an odd last digit is followed by 0
}

void Lexer::name(Token& t) {
  t.kind = Token::Kind::Name;
  while (is_regular(cur_.peek())) {
    if (t.text.size() > kMaxObjectBytes) fail(t.offset, "name too long");
    int c = cur_.get();
    if (c == '#') {
      int h = hex_value(cur_.peek());
      if (h >= 0) {
        cur_.get();
        int l = hex_value(cur_.peek());
        if (l < 0) fail(t.offset, "bad #xx escape in name");
        cur_.get();
        c = h * 16 + l;
      }
    }
    t.text += static_cast<char>(c);
  }
}

// Numbers and keywords: a run of regular characters.
void Lexer::regular(Token& t, int first) {
  std::string run(1, static_cast<char>(first));
  while (is_regular(cur_.peek())) {
    if (run.size() > kMaxNumberChars) fail(t.offset, "token too long");
    run += static_cast<char>(cur_.get());
  }
  char c0 = run[0];
  if ((c0 >= '0' && c0 <= '9') || c0 == '+' || c0 == '-' || c0 == '.') {
    bool dot = false, digits = false;
    for (size_t i = (c0 == '+' || c0 == '-') ? 1 : 0; i < run.size(); ++i) {
      if (run[i] == '.' && !dot) {
        dot = true;
      } else if (run[i] >= '0' && run[i] <= '9') {
        digits = true;
      } else {
        fail(t.offset, "bad number");
      }
    }
    if (!digits) fail(t.offset, "bad number");
    if (!dot) {
      errno = 0;
      char* end = nullptr;
      long long v = std::strtoll(run.c_str(), &end, 10);
      if (errno == 0) {
        t.kind = Token::Kind::Int;
        t.integer = v;
        return;
      }
    }
    t.kind = Token::Kind::Real;  // also integers too large for 64 bits
    t.real = std::strtod(run.c_str(), nullptr);
    if (!std::isfinite(t.real)) fail(t.offset, "bad number");
    return;
  }
  t.kind = Token::Kind::Keyword;
  t.text = std::move(run);
}

namespace {

struct Frame {
  Object container;
  std::optional<std::string> key;  // a dictionary's key waiting for its value
};

// Tries "G R" after an integer already read; restores the position when it is not a reference.
std::optional<Ref> reference_after(Lexer& lex, int64_t num) {
  if (num < 0 || num > kMaxObjectNumber) return std::nullopt;
  uint64_t save = lex.pos();
  Token gen = lex.next();
  if (gen.kind == Token::Kind::Int && gen.integer >= 0 && gen.integer <= 65535) {
    Token r = lex.next();
    if (r.kind == Token::Kind::Keyword && r.text == "R") return Ref{uint32_t(num), uint32_t(gen.integer)};
  }
  lex.seek(save);
  return std::nullopt;
}

}  // namespace

Object parse_object(Lexer& lex) {
  std::vector<Frame> stack;
  uint64_t start = lex.pos();
  size_t elements = 0;
  while (true) {
    Token t = lex.next();
    if (lex.pos() - start > kMaxObjectBytes) lex.fail(start, "object too large");
    if (++elements > kMaxElements) lex.fail(start, "object has too many elements");
    Object value;
    switch (t.kind) {
      case Token::Kind::End: lex.fail(t.offset, "unexpected end of file in an object");
      case Token::Kind::ArrayOpen:
      case Token::Kind::DictOpen:
        if (stack.size() >= kMaxDepth) lex.fail(t.offset, "objects nested too deeply");
        stack.push_back({});
        stack.back().container.type = t.kind == Token::Kind::ArrayOpen ? Object::Type::Array : Object::Type::Dict;
        continue;
      case Token::Kind::ArrayClose:
      case Token::Kind::DictClose: {
        auto want = t.kind == Token::Kind::ArrayClose ? Object::Type::Array : Object::Type::Dict;
        if (stack.empty() || stack.back().container.type != want) lex.fail(t.offset, "unbalanced brackets");
        if (stack.back().key) lex.fail(t.offset, "dictionary key without a value");
        value = std::move(stack.back().container);
        stack.pop_back();
        break;
      }
      case Token::Kind::Int:
        if (auto ref = reference_after(lex, t.integer)) {
          value.type = Object::Type::Ref;
          value.ref = *ref;
        } else {
          value.type = Object::Type::Int;
          value.integer = t.integer;
        }
        break;
      case Token::Kind::Real: value.type = Object::Type::Real; value.real = t.real; break;
      case Token::Kind::String: value.type = Object::Type::String; value.text = std::move(t.text); break;
      case Token::Kind::Name: value.type = Object::Type::Name; value.text = std::move(t.text); break;
      case Token::Kind::Keyword:
        if (t.text == "true" || t.text == "false") {
          value.type = Object::Type::Bool;
          value.boolean = t.text == "true";
        } else if (t.text != "null") {
          lex.fail(t.offset, "unexpected keyword '" + t.text + "'");
        }
        break;
    }
    if (stack.empty()) return value;
    Frame& top = stack.back();
    if (top.container.type == Object::Type::Array) {
      top.container.items.push_back(std::move(value));
    } else if (!top.key) {
      if (value.type != Object::Type::Name) lex.fail(t.offset, "dictionary key is not a name");
      top.key = std::move(value.text);
    } else {
      top.container.entries.push_back(DictEntry{std::move(*top.key), std::move(value)});
      top.key.reset();
    }
  }
}

Ref parse_object_header(Lexer& lex) {
  Token num = lex.next();
  Token gen = lex.next();
  Token obj = lex.next();
  if (num.kind != Token::Kind::Int || gen.kind != Token::Kind::Int || obj.kind != Token::Kind::Keyword ||
      obj.text != "obj" || num.integer < 0 || num.integer > kMaxObjectNumber || gen.integer < 0 ||
      gen.integer > 65535) {
    lex.fail(num.offset, "expected 'N G obj'");
  }
  return {uint32_t(num.integer), uint32_t(gen.integer)};
}

}  // namespace veritrace::formats::pdf
