#include "jumbf/jumbf_writer.hpp"

#include "veritrace/core.hpp"

namespace veritrace::jumbf {

namespace {
void put32(Bytes& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}
void put64(Bytes& out, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}
}  // namespace

Bytes make_box(uint32_t type, std::span<const uint8_t> payload) {
  Bytes out;
  uint64_t size = payload.size() + 8;
  if (size > 0xFFFFFFFFull) {
    out.reserve(payload.size() + 16);
    put32(out, 1);
    put32(out, type);
    put64(out, payload.size() + 16);
  } else {
    out.reserve(size);
    put32(out, static_cast<uint32_t>(size));
    put32(out, type);
  }
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

Bytes make_description(const Description& d) {
  Bytes payload(d.type.begin(), d.type.end());
  uint8_t toggles = 0x02;  // label present
  if (d.requestable) toggles |= 0x01;
  if (d.salt) toggles |= 0x10;  // private box follows
  payload.push_back(toggles);
  payload.insert(payload.end(), d.label.begin(), d.label.end());
  payload.push_back(0);
  if (d.salt) {
    Bytes salt_box = make_box(fourcc("c2sh"), *d.salt);
    payload.insert(payload.end(), salt_box.begin(), salt_box.end());
  }
  return make_box(fourcc("jumd"), payload);
}

Bytes superbox_payload(const Description& d, const std::vector<Bytes>& children) {
  Bytes payload = make_description(d);
  for (const auto& c : children) payload.insert(payload.end(), c.begin(), c.end());
  return payload;
}

Bytes make_superbox(const Description& d, const std::vector<Bytes>& children) {
  return make_box(fourcc("jumb"), superbox_payload(d, children));
}

Uuid cbor_content_uuid() { return c2pa_uuid("cbor"); }
Uuid json_content_uuid() { return c2pa_uuid("json"); }
Uuid embedded_file_uuid() {
  return {0x40, 0xCB, 0x0C, 0x32, 0xBB, 0x8A, 0x48, 0x9D, 0xA7, 0x0B, 0x2A, 0xD6, 0xF4, 0x7F, 0x43, 0x69};
}

}  // namespace veritrace::jumbf
