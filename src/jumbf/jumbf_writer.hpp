// Writing JUMBF boxes (the signing side of jumbf.hpp). Internal to the library.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "jumbf/jumbf.hpp"

namespace veritrace::jumbf {

using Bytes = std::vector<uint8_t>;

// A plain box: 32-bit length, type, payload (64-bit extended length when needed).
Bytes make_box(uint32_t type, std::span<const uint8_t> payload);

struct Description {
  Uuid type{};
  std::string label;
  bool requestable = true;
  std::optional<Bytes> salt;  // C2PA v2 assertion salt: a 'c2sh' private box
};

Bytes make_description(const Description& d);

// A superbox: 'jumb' holding the description box then `children` (already serialised boxes).
Bytes make_superbox(const Description& d, const std::vector<Bytes>& children);

// The payload of a superbox (description + children), which is what C2PA hashed URIs cover.
Bytes superbox_payload(const Description& d, const std::vector<Bytes>& children);

// The JUMBF content-type UUIDs C2PA uses.
Uuid cbor_content_uuid();        // 'cbor' 6362 6F72-0011-0010-8000-00AA00389B71
Uuid json_content_uuid();        // 'json'
Uuid embedded_file_uuid();       // 40CB0C32-BB8A-489D-A70B-2AD6F47F4369

}  // namespace veritrace::jumbf
