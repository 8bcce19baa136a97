#include "cbor/cbor.hpp"

#include <cmath>
#include <cstring>

#include "core/encoding.hpp"
#include "veritrace/core.hpp"

namespace veritrace::cbor {

// ---- construction and access ----

Value Value::from_uint(uint64_t v) {
  Value r;
  r.type = Type::Unsigned;
  r.uint = v;
  return r;
}
Value Value::from_int(int64_t v) {
  Value r;
  if (v >= 0) {
    r.type = Type::Unsigned;
    r.uint = static_cast<uint64_t>(v);
  } else {
    r.type = Type::Negative;
    r.uint = static_cast<uint64_t>(-(v + 1));
  }
  return r;
}
Value Value::from_text(std::string s) {
  Value r;
  r.type = Type::Text;
  r.text = std::move(s);
  return r;
}
Value Value::from_bytes(std::vector<uint8_t> b) {
  Value r;
  r.type = Type::Bytes;
  r.bytes = std::move(b);
  return r;
}
Value Value::from_bool(bool b) {
  Value r;
  r.type = Type::Bool;
  r.uint = b ? 1 : 0;
  return r;
}
Value Value::make_array() {
  Value r;
  r.type = Type::Array;
  return r;
}
Value Value::make_map() {
  Value r;
  r.type = Type::Map;
  return r;
}
Value Value::make_tag(uint64_t tag, Value content) {
  Value r;
  r.type = Type::Tag;
  r.uint = tag;
  r.items.push_back(std::move(content));
  return r;
}

const Value& Value::untagged() const {
  const Value* v = this;
  while (v->type == Type::Tag && !v->items.empty()) v = &v->items[0];
  return *v;
}

const Value* Value::get(std::string_view key) const {
  const Value& m = untagged();
  if (m.type != Type::Map) return nullptr;
  for (size_t i = 0; i + 1 < m.items.size(); i += 2) {
    if (m.items[i].type == Type::Text && m.items[i].text == key) return &m.items[i + 1];
  }
  return nullptr;
}

const Value* Value::get_int(int64_t key) const {
  const Value& m = untagged();
  if (m.type != Type::Map) return nullptr;
  for (size_t i = 0; i + 1 < m.items.size(); i += 2) {
    auto k = m.items[i].as_int64();
    if (k && *k == key) return &m.items[i + 1];
  }
  return nullptr;
}

std::optional<std::string> Value::get_text(std::string_view key) const {
  const Value* v = get(key);
  if (!v || v->untagged().type != Type::Text) return std::nullopt;
  return v->untagged().text;
}

std::optional<int64_t> Value::get_integer(std::string_view key) const {
  const Value* v = get(key);
  if (!v) return std::nullopt;
  return v->as_int64();
}

const std::vector<uint8_t>* Value::get_bytes(std::string_view key) const {
  const Value* v = get(key);
  if (!v || v->untagged().type != Type::Bytes) return nullptr;
  return &v->untagged().bytes;
}

std::optional<int64_t> Value::as_int64() const {
  const Value& v = untagged();
  if (v.type == Type::Unsigned && v.uint <= static_cast<uint64_t>(INT64_MAX)) return static_cast<int64_t>(v.uint);
  if (v.type == Type::Negative && v.uint <= static_cast<uint64_t>(INT64_MAX)) return -1 - static_cast<int64_t>(v.uint);
  return std::nullopt;
}

Value& Value::set(std::string key, Value v) {
  items.push_back(from_text(std::move(key)));
  items.push_back(std::move(v));
  return *this;
}
Value& Value::set_int(int64_t key, Value v) {
  items.push_back(from_int(key));
  items.push_back(std::move(v));
  return *this;
}
Value& Value::push(Value v) {
  items.push_back(std::move(v));
  return *this;
}

// ---- decoding ----

namespace {

class Decoder {
 public:
  Decoder(std::span<const uint8_t> data, const DecodeLimits& limits) : data_(data), limits_(limits) {}

  Value item(size_t depth) {
    if (depth > limits_.max_depth) fail("nesting deeper than " + std::to_string(limits_.max_depth));
    uint8_t initial = byte();
    uint8_t major = initial >> 5;
    uint8_t info = initial & 0x1F;
    Value v;
    switch (major) {
      case 0:
        v.type = Type::Unsigned;
        v.uint = argument(info);
        return v;
      case 1:
        v.type = Type::Negative;
        v.uint = argument(info);
        return v;
      case 2:
        v.type = Type::Bytes;
        string_body(info, 2, [&](std::span<const uint8_t> s) { v.bytes.insert(v.bytes.end(), s.begin(), s.end()); });
        return v;
      case 3:
        v.type = Type::Text;
        string_body(info, 3, [&](std::span<const uint8_t> s) { v.text.append(reinterpret_cast<const char*>(s.data()), s.size()); });
        return v;
      case 4:
        v.type = Type::Array;
        container(info, depth, v, 1);
        return v;
      case 5:
        v.type = Type::Map;
        container(info, depth, v, 2);
        return v;
      case 6:
        v.type = Type::Tag;
        v.uint = argument(info);
        v.items.push_back(item(depth + 1));
        return v;
      default:
        return simple(info);
    }
  }

  size_t position() const { return pos_; }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw_malformed("CBOR: " + what + " at byte " + std::to_string(pos_));
  }

  uint8_t byte() {
    if (pos_ >= data_.size()) fail("unexpected end of data");
    return data_[pos_++];
  }

  uint64_t be(size_t n) {
    if (data_.size() - pos_ < n) fail("unexpected end of data");
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | data_[pos_ + i];
    pos_ += n;
    return v;
  }

  uint64_t argument(uint8_t info) {
    if (info < 24) return info;
    switch (info) {
      case 24: return be(1);
      case 25: return be(2);
      case 26: return be(4);
      case 27: return be(8);
      default: fail("invalid additional information " + std::to_string(info));
    }
  }

  size_t remaining() const { return data_.size() - pos_; }

  template <typename Sink>
  void string_body(uint8_t info, uint8_t major, Sink&& sink) {
    if (info == 31) {  // indefinite: definite chunks of the same major type until break
      while (true) {
        uint8_t b = byte();
        if (b == 0xFF) return;
        if ((b >> 5) != major || (b & 0x1F) == 31) fail("bad chunk in indefinite-length string");
        uint64_t n = argument(b & 0x1F);
        if (n > remaining()) fail("string longer than the data");
        sink(data_.subspan(pos_, static_cast<size_t>(n)));
        pos_ += static_cast<size_t>(n);
      }
    }
    uint64_t n = argument(info);
    if (n > remaining()) fail("string longer than the data");
    sink(data_.subspan(pos_, static_cast<size_t>(n)));
    pos_ += static_cast<size_t>(n);
  }

  void container(uint8_t info, size_t depth, Value& v, size_t per_entry) {
    if (info == 31) {
      while (true) {
        if (pos_ >= data_.size()) fail("unexpected end of data in indefinite container");
        if (data_[pos_] == 0xFF) {
          ++pos_;
          return;
        }
        for (size_t k = 0; k < per_entry; ++k) v.items.push_back(item(depth + 1));
      }
    }
    uint64_t n = argument(info);
    // Every item takes at least one byte: a count beyond what is left is a lie.
    if (n > remaining() || n * per_entry > remaining()) fail("container count exceeds the data");
    v.items.reserve(static_cast<size_t>(n * per_entry));
    for (uint64_t i = 0; i < n * per_entry; ++i) v.items.push_back(item(depth + 1));
  }

  Value simple(uint8_t info) {
    Value v;
    switch (info) {
      case 20:
      case 21:
        v.type = Type::Bool;
        v.uint = info == 21 ? 1 : 0;
        return v;
      case 22: v.type = Type::Null; return v;
      case 23: v.type = Type::Undefined; return v;
      case 24:
        v.type = Type::Simple;
        v.uint = be(1);
        if (v.uint < 32) fail("invalid two-byte simple value");
        return v;
      case 25: {
        v.type = Type::Float;
        v.real = half_to_double(static_cast<uint16_t>(be(2)));
        return v;
      }
      case 26: {
        v.type = Type::Float;
        uint32_t bits = static_cast<uint32_t>(be(4));
        float f;
        std::memcpy(&f, &bits, 4);
        v.real = f;
        return v;
      }
      case 27: {
        v.type = Type::Float;
        uint64_t bits = be(8);
        std::memcpy(&v.real, &bits, 8);
        return v;
      }
      case 31: fail("unexpected break");
      default:
        if (info < 20) {
          v.type = Type::Simple;
          v.uint = info;
          return v;
        }
        fail("reserved simple value");
    }
  }

  static double half_to_double(uint16_t h) {
    int exp = (h >> 10) & 0x1F;
    int mant = h & 0x3FF;
    double val;
    if (exp == 0) val = std::ldexp(mant, -24);
    else if (exp != 31) val = std::ldexp(mant + 1024, exp - 25);
    else val = mant == 0 ? INFINITY : NAN;
    return (h & 0x8000) ? -val : val;
  }

  std::span<const uint8_t> data_;
  DecodeLimits limits_;
  size_t pos_ = 0;
};

}  // namespace

Value decode_prefix(std::span<const uint8_t> data, size_t& consumed, const DecodeLimits& limits) {
  Decoder d(data, limits);
  Value v = d.item(0);
  consumed = d.position();
  return v;
}

Value decode(std::span<const uint8_t> data, const DecodeLimits& limits) {
  size_t consumed = 0;
  Value v = decode_prefix(data, consumed, limits);
  if (consumed != data.size()) {
    throw_malformed("CBOR: " + std::to_string(data.size() - consumed) + " trailing bytes after the item");
  }
  return v;
}

// ---- encoding ----

namespace {

void head(std::vector<uint8_t>& out, uint8_t major, uint64_t arg) {
  uint8_t m = static_cast<uint8_t>(major << 5);
  if (arg < 24) {
    out.push_back(static_cast<uint8_t>(m | arg));
  } else if (arg <= 0xFF) {
    out.push_back(m | 24);
    out.push_back(static_cast<uint8_t>(arg));
  } else if (arg <= 0xFFFF) {
    out.push_back(m | 25);
    for (int s = 8; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(arg >> s));
  } else if (arg <= 0xFFFFFFFFull) {
    out.push_back(m | 26);
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(arg >> s));
  } else {
    out.push_back(m | 27);
    for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(arg >> s));
  }
}

}  // namespace

void encode_to(const Value& v, std::vector<uint8_t>& out) {
  switch (v.type) {
    case Type::Unsigned: head(out, 0, v.uint); return;
    case Type::Negative: head(out, 1, v.uint); return;
    case Type::Bytes:
      head(out, 2, v.bytes.size());
      out.insert(out.end(), v.bytes.begin(), v.bytes.end());
      return;
    case Type::Text:
      head(out, 3, v.text.size());
      out.insert(out.end(), v.text.begin(), v.text.end());
      return;
    case Type::Array:
      head(out, 4, v.items.size());
      for (const auto& i : v.items) encode_to(i, out);
      return;
    case Type::Map:
      head(out, 5, v.items.size() / 2);
      for (const auto& i : v.items) encode_to(i, out);
      return;
    case Type::Tag:
      head(out, 6, v.uint);
      if (v.items.empty()) throw Error(ErrorKind::Internal, "CBOR tag without content");
      encode_to(v.items[0], out);
      return;
    case Type::Bool: out.push_back(v.uint ? 0xF5 : 0xF4); return;
    case Type::Null: out.push_back(0xF6); return;
    case Type::Undefined: out.push_back(0xF7); return;
    case Type::Simple:
      if (v.uint < 24) out.push_back(static_cast<uint8_t>(0xE0 | v.uint));
      else {
        out.push_back(0xF8);
        out.push_back(static_cast<uint8_t>(v.uint));
      }
      return;
    case Type::Float: {
      float f = static_cast<float>(v.real);
      if (static_cast<double>(f) == v.real || std::isnan(v.real)) {
        uint32_t bits;
        std::memcpy(&bits, &f, 4);
        out.push_back(0xFA);
        for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(bits >> s));
      } else {
        uint64_t bits;
        std::memcpy(&bits, &v.real, 8);
        out.push_back(0xFB);
        for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(bits >> s));
      }
      return;
    }
  }
}

std::vector<uint8_t> encode(const Value& v) {
  std::vector<uint8_t> out;
  encode_to(v, out);
  return out;
}

// ---- JSON views ----

namespace {
// CBOR text must be UTF-8 (RFC 8949 3.1) but hostile files break that rule; JSON output must
// never fail on it, so invalid sequences become U+FFFD.
std::string valid_utf8(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size();
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; ok && k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      ok = (cc & 0xC0) == 0x80;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid too.
    if (ok && ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
               (cp >= 0xD800 && cp <= 0xDFFF))) {
      ok = false;
    }
    if (ok) {
      out.append(s, i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}
std::string key_text(const Value& k) {
  const Value& u = k.untagged();
  switch (u.type) {
    case Type::Text: return u.text;
    case Type::Unsigned: return std::to_string(u.uint);
    case Type::Negative: {
      std::string text(1, '-');  // built in steps: GCC 12 -O3 misreports "-" + string (-Wrestrict)
      text += std::to_string(u.uint + 1);
      return text;
    }
    default: return to_json(u).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace).substr(0, 256);
  }
}
}  // namespace

nlohmann::json to_json(const Value& v, bool bytes_as_array) {
  switch (v.type) {
    case Type::Unsigned: return v.uint;
    case Type::Negative:
      if (v.uint <= static_cast<uint64_t>(INT64_MAX)) return -1 - static_cast<int64_t>(v.uint);
      return -1.0 - static_cast<double>(v.uint);
    case Type::Bytes:
      if (bytes_as_array) return nlohmann::json(v.bytes);
      return base64_encode(v.bytes);
    case Type::Text: return valid_utf8(v.text);
    case Type::Array: {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& i : v.items) a.push_back(to_json(i, bytes_as_array));
      return a;
    }
    case Type::Map: {
      nlohmann::json o = nlohmann::json::object();
      for (size_t i = 0; i + 1 < v.items.size(); i += 2) o[key_text(v.items[i])] = to_json(v.items[i + 1], bytes_as_array);
      return o;
    }
    case Type::Tag: return v.items.empty() ? nlohmann::json() : to_json(v.items[0], bytes_as_array);
    case Type::Bool: return v.uint != 0;
    case Type::Null:
    case Type::Undefined: return nullptr;
    case Type::Simple: return v.uint;
    case Type::Float:
      if (std::isfinite(v.real)) return v.real;
      return nullptr;
  }
  return nullptr;
}

Value from_json(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return Value{};
    case nlohmann::json::value_t::boolean: return Value::from_bool(j.get<bool>());
    case nlohmann::json::value_t::number_unsigned: return Value::from_uint(j.get<uint64_t>());
    case nlohmann::json::value_t::number_integer: return Value::from_int(j.get<int64_t>());
    case nlohmann::json::value_t::number_float: {
      Value v;
      v.type = Type::Float;
      v.real = j.get<double>();
      return v;
    }
    case nlohmann::json::value_t::string: return Value::from_text(j.get<std::string>());
    case nlohmann::json::value_t::array: {
      Value a = Value::make_array();
      for (const auto& e : j) a.push(from_json(e));
      return a;
    }
    case nlohmann::json::value_t::object: {
      Value m = Value::make_map();
      for (auto it = j.begin(); it != j.end(); ++it) m.set(it.key(), from_json(it.value()));
      return m;
    }
    case nlohmann::json::value_t::binary: return Value::from_bytes(std::vector<uint8_t>(j.get_binary().begin(), j.get_binary().end()));
    default: return Value{};
  }
}

}  // namespace veritrace::cbor
