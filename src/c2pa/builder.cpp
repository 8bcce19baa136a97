#include "c2pa/builder.hpp"

#include <openssl/rand.h>

#include "core/hash.hpp"
#include "veritrace/core.hpp"

namespace veritrace::c2pa {

namespace {
constexpr size_t kSaltSize = 16;

jumbf::Description description(const jumbf::Uuid& type, const std::string& label, bool salted) {
  jumbf::Description d;
  d.type = type;
  d.label = label;
  d.requestable = true;
  if (salted) d.salt = random_bytes(kSaltSize);
  return d;
}

BuiltAssertion finish(const std::string& label, const jumbf::Description& d, const std::vector<jumbf::Bytes>& children) {
  BuiltAssertion a;
  a.label = label;
  jumbf::Bytes payload = jumbf::superbox_payload(d, children);
  a.hash = hash_bytes(HashAlg::Sha256, payload);
  a.superbox = jumbf::make_box(jumbf::fourcc("jumb"), payload);
  return a;
}
}  // namespace

std::vector<uint8_t> random_bytes(size_t n) {
  std::vector<uint8_t> out(n);
  if (n > 0 && RAND_bytes(out.data(), static_cast<int>(n)) != 1) throw Error(ErrorKind::Internal, "no randomness");
  return out;
}

std::string new_uuid_v4() {
  auto b = random_bytes(16);
  b[6] = static_cast<uint8_t>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3F) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    s += kHex[b[i] >> 4];
    s += kHex[b[i] & 15];
  }
  return s;
}

BuiltAssertion cbor_assertion(const std::string& label, const cbor::Value& value, bool salted) {
  auto d = description(jumbf::cbor_content_uuid(), label, salted);
  return finish(label, d, {jumbf::make_box(jumbf::fourcc("cbor"), cbor::encode(value))});
}

BuiltAssertion json_assertion(const std::string& label, const nlohmann::json& value, bool salted) {
  auto d = description(jumbf::json_content_uuid(), label, salted);
  std::string text = value.dump();
  std::vector<uint8_t> bytes(text.begin(), text.end());
  return finish(label, d, {jumbf::make_box(jumbf::fourcc("json"), bytes)});
}

BuiltAssertion embedded_file_assertion(const std::string& label, const std::string& media_type,
                                       std::span<const uint8_t> data, bool salted) {
  auto d = description(jumbf::embedded_file_uuid(), label, salted);
  std::vector<uint8_t> bfdb;
  bfdb.push_back(0x00);  // toggles: media type only
  bfdb.insert(bfdb.end(), media_type.begin(), media_type.end());
  bfdb.push_back(0);
  return finish(label, d, {jumbf::make_box(jumbf::fourcc("bfdb"), bfdb), jumbf::make_box(jumbf::fourcc("bidb"), data)});
}

cbor::Value hashed_uri_value(const std::string& url, const std::vector<uint8_t>& hash) {
  cbor::Value v = cbor::Value::make_map();
  v.set("url", cbor::Value::from_text(url));
  v.set("hash", cbor::Value::from_bytes(hash));
  return v;
}

std::vector<uint8_t> build_claim(const ClaimFields& f, const std::vector<const BuiltAssertion*>& assertions) {
  cbor::Value refs = cbor::Value::make_array();
  for (const auto* a : assertions) {
    refs.push(hashed_uri_value("self#jumbf=c2pa.assertions/" + a->label, a->hash));
  }
  cbor::Value claim = cbor::Value::make_map();
  std::string signature = "self#jumbf=/c2pa/" + f.manifest_label + "/c2pa.signature";
  if (f.version >= 2) {
    claim.set("instanceID", cbor::Value::from_text(f.instance_id));
    cbor::Value gen = cbor::Value::make_map();
    gen.set("name", cbor::Value::from_text(f.generator_name));
    gen.set("version", cbor::Value::from_text(f.generator_version));
    claim.set("claim_generator_info", std::move(gen));
    claim.set("signature", cbor::Value::from_text(signature));
    claim.set("created_assertions", std::move(refs));
    claim.set("gathered_assertions", cbor::Value::make_array());
    claim.set("dc:title", cbor::Value::from_text(f.title));
    claim.set("alg", cbor::Value::from_text("sha256"));
  } else {
    claim.set("claim_generator", cbor::Value::from_text(f.generator_name + "/" + f.generator_version));
    cbor::Value gen = cbor::Value::make_map();
    gen.set("name", cbor::Value::from_text(f.generator_name));
    gen.set("version", cbor::Value::from_text(f.generator_version));
    cbor::Value infos = cbor::Value::make_array();
    infos.push(std::move(gen));
    claim.set("claim_generator_info", std::move(infos));
    claim.set("signature", cbor::Value::from_text(signature));
    claim.set("assertions", std::move(refs));
    claim.set("dc:format", cbor::Value::from_text(f.format));
    claim.set("instanceID", cbor::Value::from_text(f.instance_id));
    claim.set("dc:title", cbor::Value::from_text(f.title));
    claim.set("alg", cbor::Value::from_text("sha256"));
  }
  return cbor::encode(claim);
}

std::vector<uint8_t> build_store(const std::vector<std::span<const uint8_t>>& parent_manifests,
                                 const std::string& label, const std::vector<const BuiltAssertion*>& assertions,
                                 std::span<const uint8_t> claim, int claim_version,
                                 std::span<const uint8_t> cose_sign1) {
  std::vector<jumbf::Bytes> assertion_boxes;
  for (const auto* a : assertions) assertion_boxes.push_back(a->superbox);
  jumbf::Description as_desc{jumbf::c2pa_uuid("c2as"), "c2pa.assertions", true, std::nullopt};
  jumbf::Description claim_desc{jumbf::c2pa_uuid("c2cl"), claim_version >= 2 ? "c2pa.claim.v2" : "c2pa.claim", true,
                                std::nullopt};
  jumbf::Description sig_desc{jumbf::c2pa_uuid("c2cs"), "c2pa.signature", true, std::nullopt};
  jumbf::Description manifest_desc{jumbf::c2pa_uuid("c2ma"), label, true, std::nullopt};
  jumbf::Description store_desc{jumbf::c2pa_uuid("c2pa"), "c2pa", true, std::nullopt};

  jumbf::Bytes manifest = jumbf::make_superbox(
      manifest_desc, {jumbf::make_superbox(as_desc, assertion_boxes),
                      jumbf::make_superbox(claim_desc, {jumbf::make_box(jumbf::fourcc("cbor"), claim)}),
                      jumbf::make_superbox(sig_desc, {jumbf::make_box(jumbf::fourcc("cbor"), cose_sign1)})});
  std::vector<jumbf::Bytes> manifests;
  for (auto p : parent_manifests) manifests.emplace_back(p.begin(), p.end());
  manifests.push_back(std::move(manifest));
  return jumbf::make_superbox(store_desc, manifests);
}

}  // namespace veritrace::c2pa
