// Tiny ONNX models written byte by byte (protobuf wire format) for tests of the learned-detector
// pipeline: no Python and no fixture files. Only what the tests need: float tensors, a few ops.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace vt_test::onnx {

class Writer {
 public:
  std::vector<uint8_t> bytes;
  void varint(uint64_t v) {
    while (v >= 0x80) {
      bytes.push_back(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    bytes.push_back(static_cast<uint8_t>(v));
  }
  void tag(int field, int wire) { varint(static_cast<uint64_t>(field) << 3 | static_cast<uint64_t>(wire)); }
  void integer(int field, int64_t v) {
    tag(field, 0);
    varint(static_cast<uint64_t>(v));
  }
  void blob(int field, const std::vector<uint8_t>& b) {
    tag(field, 2);
    varint(b.size());
    bytes.insert(bytes.end(), b.begin(), b.end());
  }
  void text(int field, const std::string& s) { blob(field, std::vector<uint8_t>(s.begin(), s.end())); }
};

inline std::vector<uint8_t> tensor(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& values) {
  Writer w;
  for (int64_t d : dims) w.integer(1, d);
  w.integer(2, 1);  // FLOAT
  std::vector<uint8_t> raw(values.size() * 4);
  std::memcpy(raw.data(), values.data(), raw.size());
  w.text(8, name);
  w.blob(9, raw);  // raw_data, little endian
  return w.bytes;
}

inline std::vector<uint8_t> value_info(const std::string& name, const std::vector<int64_t>& dims) {
  Writer shape;
  for (int64_t d : dims) {
    Writer dim;
    dim.integer(1, d);
    shape.blob(1, dim.bytes);
  }
  Writer tensor_type;
  tensor_type.integer(1, 1);  // FLOAT
  tensor_type.blob(2, shape.bytes);
  Writer type;
  type.blob(1, tensor_type.bytes);
  Writer w;
  w.text(1, name);
  w.blob(2, type.bytes);
  return w.bytes;
}

struct Attribute {
  std::string name;
  int64_t value;
};

inline std::vector<uint8_t> node(const std::string& op, const std::vector<std::string>& inputs, const std::string& output,
                                 const std::vector<Attribute>& attributes = {}) {
  Writer w;
  for (const auto& i : inputs) w.text(1, i);
  w.text(2, output);
  w.text(3, op + "_" + output);
  w.text(4, op);
  for (const auto& a : attributes) {
    Writer at;
    at.text(1, a.name);
    at.integer(3, a.value);
    at.integer(20, 2);  // INT
    w.blob(5, at.bytes);
  }
  return w.bytes;
}

inline std::vector<uint8_t> model(const std::vector<std::vector<uint8_t>>& nodes, const std::vector<std::vector<uint8_t>>& initializers,
                                  const std::vector<uint8_t>& input, const std::vector<uint8_t>& output) {
  Writer graph;
  for (const auto& n : nodes) graph.blob(1, n);
  graph.text(2, "veritrace_test");
  for (const auto& t : initializers) graph.blob(5, t);
  graph.blob(11, input);
  graph.blob(12, output);
  Writer opset;
  opset.text(1, "");
  opset.integer(2, 11);
  Writer m;
  m.integer(1, 7);  // ir_version
  m.text(2, "veritrace-tests");
  m.blob(7, graph.bytes);
  m.blob(8, opset.bytes);
  return m.bytes;
}

// score = w . (mean of each input channel) + b, for any input size: GlobalAveragePool, Flatten, Gemm.
inline std::vector<uint8_t> channel_mean_model(float w0, float w1, float w2, float b, int height, int width) {
  return model({node("GlobalAveragePool", {"x"}, "pooled"), node("Flatten", {"pooled"}, "flat", {{"axis", 1}}),
                node("Gemm", {"flat", "W", "B"}, "y", {{"transB", 1}})},
               {tensor("W", {1, 3}, {w0, w1, w2}), tensor("B", {1}, {b})}, value_info("x", {1, 3, height, width}),
               value_info("y", {1, 1}));
}

// A network that only accepts 1 x 3 x side x side: Flatten then a Gemm with 3 * side * side inputs.
inline std::vector<uint8_t> fixed_size_model(int side) {
  const int n = 3 * side * side;
  return model({node("Flatten", {"x"}, "flat", {{"axis", 1}}), node("Gemm", {"flat", "W", "B"}, "y", {{"transB", 1}})},
               {tensor("W", {1, n}, std::vector<float>(static_cast<size_t>(n), 1.0f / static_cast<float>(n))), tensor("B", {1}, {0.0f})},
               value_info("x", {1, 3, side, side}), value_info("y", {1, 1}));
}

}  // namespace vt_test::onnx
