// COSE_Sign1 (RFC 9052) parsing, signature structures and raw signature verification.
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include "cose/internal.hpp"
#include "veritrace/core.hpp"

namespace veritrace::cose::detail {
namespace {

constexpr uint64_t k_cose_sign1_tag = 18;
constexpr int64_t k_header_alg = 1;
constexpr int64_t k_header_x5chain = 33;

// Header maps hold int or text labels, each at most once (coset rejects anything else).
bool is_valid_header_map(const cbor::Value& map) {
  if (!map.is_map()) return false;
  for (size_t i = 0; i < map.map_size(); ++i) {
    const cbor::Value& key = map.map_key(i);
    if (!key.is_integer() && !key.is_text()) return false;
    for (size_t j = 0; j < i; ++j) {
      const cbor::Value& other = map.map_key(j);
      if (other.type == key.type && other.uint == key.uint && other.text == key.text) return false;
    }
  }
  return true;
}

std::optional<std::vector<std::vector<uint8_t>>> chain_from_value(const cbor::Value& value) {
  const cbor::Value& v = value.untagged();
  if (v.is_bytes()) return std::vector<std::vector<uint8_t>>{v.bytes};
  if (!v.is_array()) return std::nullopt;
  std::vector<std::vector<uint8_t>> certs;
  for (const auto& item : v.items) {
    if (item.is_bytes()) certs.push_back(item.bytes);
  }
  if (certs.empty()) return std::nullopt;
  return certs;
}

std::vector<uint8_t> structure_to_sign(const char* context, const CoseSign1& sign1,
                                       std::span<const uint8_t> payload) {
  cbor::Value array = cbor::Value::make_array();
  array.push(cbor::Value::from_text(context));
  array.push(cbor::Value::from_bytes(sign1.protected_bytes));
  array.push(cbor::Value::from_bytes({}));
  array.push(cbor::Value::from_bytes(std::vector<uint8_t>(payload.begin(), payload.end())));
  return cbor::encode(array);
}

const EVP_MD* digest_for(SigningAlg alg) {
  switch (alg) {
    case SigningAlg::Es256:
    case SigningAlg::Ps256:
      return EVP_sha256();
    case SigningAlg::Es384:
    case SigningAlg::Ps384:
      return EVP_sha384();
    case SigningAlg::Es512:
    case SigningAlg::Ps512:
      return EVP_sha512();
    case SigningAlg::Ed25519:
      return nullptr;
  }
  return nullptr;
}

// COSE carries r||s; OpenSSL wants an ECDSA-Sig-Value in DER.
std::optional<std::vector<uint8_t>> p1363_to_der(std::span<const uint8_t> sig, size_t field_bytes) {
  if (sig.size() != 2 * field_bytes) return std::nullopt;
  ECDSA_SIG* ecdsa = ECDSA_SIG_new();
  if (!ecdsa) return std::nullopt;
  BIGNUM* r = BN_bin2bn(sig.data(), static_cast<int>(field_bytes), nullptr);
  BIGNUM* s = BN_bin2bn(sig.data() + field_bytes, static_cast<int>(field_bytes), nullptr);
  if (!r || !s || ECDSA_SIG_set0(ecdsa, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(ecdsa);
    return std::nullopt;
  }
  std::optional<std::vector<uint8_t>> der;
  int len = i2d_ECDSA_SIG(ecdsa, nullptr);
  if (len > 0) {
    der.emplace(static_cast<size_t>(len));
    unsigned char* p = der->data();
    i2d_ECDSA_SIG(ecdsa, &p);
  }
  ECDSA_SIG_free(ecdsa);
  return der;
}

bool digest_verify(EVP_PKEY* key, const EVP_MD* md, std::span<const uint8_t> sig, std::span<const uint8_t> tbs,
                   bool pss) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, key) != 1) return false;
  if (pss) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1) {
      return false;
    }
    // Any salt length verifies, as in c2pa-rs. OpenSSL refuses "auto" for RSASSA-PSS keys,
    // where it already accepts any length unless the key restricts it.
    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1) {
      return false;
    }
  }
  return EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), tbs.data(), tbs.size()) == 1;
}

}  // namespace

const char* signing_alg_name(SigningAlg alg) {
  switch (alg) {
    case SigningAlg::Es256: return "Es256";
    case SigningAlg::Es384: return "Es384";
    case SigningAlg::Es512: return "Es512";
    case SigningAlg::Ps256: return "Ps256";
    case SigningAlg::Ps384: return "Ps384";
    case SigningAlg::Ps512: return "Ps512";
    case SigningAlg::Ed25519: return "Ed25519";
  }
  return "";
}

std::optional<CoseSign1> parse_cose_sign1(std::span<const uint8_t> bytes) {
  cbor::Value root;
  try {
    root = cbor::decode(bytes);
  } catch (const veritrace::Error&) {
    return std::nullopt;
  }
  // C2PA stores COSE_Sign1_Tagged; c2pa-rs (coset from_tagged_slice) refuses an untagged one.
  if (root.type != cbor::Type::Tag || root.uint != k_cose_sign1_tag || root.items.size() != 1) return std::nullopt;
  const cbor::Value& array = root.items[0];
  if (!array.is_array() || array.items.size() != 4) return std::nullopt;
  const cbor::Value& protected_item = array.items[0];
  const cbor::Value& unprotected_item = array.items[1];
  const cbor::Value& payload_item = array.items[2];
  const cbor::Value& signature_item = array.items[3];
  if (!protected_item.is_bytes() || !signature_item.is_bytes()) return std::nullopt;
  if (!payload_item.is_bytes() && payload_item.type != cbor::Type::Null) return std::nullopt;

  CoseSign1 sign1;
  sign1.protected_bytes = protected_item.bytes;
  sign1.signature = signature_item.bytes;
  if (sign1.protected_bytes.empty()) {
    sign1.protected_header = cbor::Value::make_map();
  } else {
    try {
      sign1.protected_header = cbor::decode(sign1.protected_bytes);
    } catch (const veritrace::Error&) {
      return std::nullopt;
    }
  }
  sign1.unprotected_header = unprotected_item;
  if (!is_valid_header_map(sign1.protected_header) || !is_valid_header_map(sign1.unprotected_header)) {
    return std::nullopt;
  }
  const cbor::Value* alg = sign1.protected_header.get_int(k_header_alg);
  if (alg && !alg->is_integer() && !alg->is_text()) return std::nullopt;
  return sign1;
}

std::optional<SigningAlg> signing_alg(const CoseSign1& sign1) {
  const cbor::Value* alg = sign1.protected_header.get_int(k_header_alg);
  if (!alg) return std::nullopt;
  auto id = alg->as_int64();
  if (!id) return std::nullopt;
  switch (*id) {
    case -7: return SigningAlg::Es256;
    case -35: return SigningAlg::Es384;
    case -36: return SigningAlg::Es512;
    case -37: return SigningAlg::Ps256;
    case -38: return SigningAlg::Ps384;
    case -39: return SigningAlg::Ps512;
    case -8: return SigningAlg::Ed25519;
    default: return std::nullopt;
  }
}

std::optional<std::vector<std::vector<uint8_t>>> certificate_chain(const CoseSign1& sign1) {
  const cbor::Value* in_protected = sign1.protected_header.get_int(k_header_x5chain);
  if (!in_protected) in_protected = sign1.protected_header.get("x5chain");
  // Older C2PA versions put the chain in the unprotected header (text label only, as c2pa-rs).
  const cbor::Value* in_unprotected = sign1.unprotected_header.get("x5chain");
  if (in_protected) {
    if (in_unprotected && chain_from_value(*in_unprotected)) return std::nullopt;  // two chains
    return chain_from_value(*in_protected);
  }
  if (in_unprotected) return chain_from_value(*in_unprotected);
  return std::nullopt;
}

std::vector<uint8_t> sig_structure(const CoseSign1& sign1, std::span<const uint8_t> payload) {
  return structure_to_sign("Signature1", sign1, payload);
}

std::vector<uint8_t> countersign_structure(const CoseSign1& sign1, std::span<const uint8_t> payload) {
  return structure_to_sign("CounterSignature", sign1, payload);
}

bool ecdsa_signature_is_der(std::span<const uint8_t> signature) {
  if (signature.empty()) return false;
  const unsigned char* p = signature.data();
  ECDSA_SIG* parsed = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(signature.size()));
  bool whole = parsed && p == signature.data() + signature.size();
  ECDSA_SIG_free(parsed);
  return whole;
}

bool verify_raw_signature(SigningAlg alg, std::span<const uint8_t> signature, std::span<const uint8_t> tbs,
                          EVP_PKEY* public_key) {
  if (!public_key) return false;
  const int key_type = EVP_PKEY_get_base_id(public_key);
  switch (alg) {
    case SigningAlg::Es256:
    case SigningAlg::Es384:
    case SigningAlg::Es512: {
      if (key_type != EVP_PKEY_EC) return false;
      const auto field_bytes = static_cast<size_t>((EVP_PKEY_get_bits(public_key) + 7) / 8);
      auto der = p1363_to_der(signature, field_bytes);
      return der && digest_verify(public_key, digest_for(alg), *der, tbs, false);
    }
    case SigningAlg::Ps256:
    case SigningAlg::Ps384:
    case SigningAlg::Ps512:
      if (key_type != EVP_PKEY_RSA && key_type != EVP_PKEY_RSA_PSS) return false;
      return digest_verify(public_key, digest_for(alg), signature, tbs, true);
    case SigningAlg::Ed25519:
      if (key_type != EVP_PKEY_ED25519) return false;
      return digest_verify(public_key, nullptr, signature, tbs, false);
  }
  return false;
}

}  // namespace veritrace::cose::detail
