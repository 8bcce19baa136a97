// Writing the claim's COSE_Sign1 the way c2pa-rs 0.90.1 does (crypto/cose/sign.rs, sigtst.rs):
// protected {1: alg, 33: x5chain (a bstr for one certificate, else an array of bstr)},
// payload nil (detached claim), unprotected {sigTst2 | sigTst, pad}.
//  - v2 claims: sign first, then time-stamp ["CounterSignature", protected, h'', bstr(signature)
//    as CBOR]; sigTst2 holds the TimeStampToken.
//  - v1 claims: time-stamp ["CounterSignature", protected, h'', claim] first; sigTst holds the
//    whole TimeStampResp.
// The signature and counter-signature structures come from the verifier's own builders.
#include "cose/internal.hpp"
#include "cose/sign.hpp"
#include "veritrace/core.hpp"

namespace veritrace::cose {
namespace {

constexpr uint64_t k_cose_sign1_tag = 18;
constexpr int64_t k_header_alg = 1;
constexpr int64_t k_header_x5chain = 33;

std::vector<uint8_t> protected_header_bytes(const SigningKey& key) {
  const auto& chain = key.chain_der();
  cbor::Value header = cbor::Value::make_map();
  header.set_int(k_header_alg, cbor::Value::from_int(cose_alg_id(key.alg())));
  if (chain.size() == 1) {
    header.set_int(k_header_x5chain, cbor::Value::from_bytes(chain.front()));
  } else {
    cbor::Value certs = cbor::Value::make_array();
    for (const auto& der : chain) certs.push(cbor::Value::from_bytes(der));
    header.set_int(k_header_x5chain, std::move(certs));
  }
  return cbor::encode(header);
}

cbor::Value time_stamp_container(std::vector<uint8_t> value) {
  cbor::Value token = cbor::Value::make_map();
  token.set("val", cbor::Value::from_bytes(std::move(value)));
  cbor::Value tokens = cbor::Value::make_array();
  tokens.push(std::move(token));
  cbor::Value container = cbor::Value::make_map();
  container.set("tstTokens", std::move(tokens));
  return container;
}

std::vector<uint8_t> encode_sign1(const std::vector<uint8_t>& protected_bytes, const cbor::Value& unprotected,
                                  const std::vector<uint8_t>& signature) {
  cbor::Value array = cbor::Value::make_array();
  array.push(cbor::Value::from_bytes(protected_bytes));
  array.push(unprotected);
  array.push(cbor::Value());  // nil: the claim is detached
  array.push(cbor::Value::from_bytes(signature));
  return cbor::encode(cbor::Value::make_tag(k_cose_sign1_tag, std::move(array)));
}

size_t bstr_head_size(size_t n) { return n < 24 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : n < (1ull << 32) ? 5 : 9; }

// Bytes a text-keyed bstr entry of n zero bytes adds to a map (the map's own head grows too when
// its entry count passes 23, which sign_claim never reaches).
size_t entry_size(const std::string& label, size_t n) { return 1 + label.size() + bstr_head_size(n) + n; }

// n with entry_size(label, n) == extra, if there is one.
std::optional<size_t> pad_length(const std::string& label, size_t extra) {
  const size_t fixed = 1 + label.size();
  for (size_t head : {1, 2, 3, 5, 9}) {
    if (extra < fixed + head) continue;
    const size_t n = extra - fixed - head;
    if (bstr_head_size(n) == head) return n;
  }
  return std::nullopt;
}

}  // namespace

std::vector<uint8_t> sign_claim(std::span<const uint8_t> claim, const SigningKey& key, const Sign1Options& options,
                                int claim_version) {
  if (claim_version != 1 && claim_version != 2) {
    throw Error(ErrorKind::Internal, "sign_claim: claim version " + std::to_string(claim_version) + " is not 1 or 2");
  }
  detail::CoseSign1 sign1;
  sign1.protected_bytes = protected_header_bytes(key);
  cbor::Value unprotected = cbor::Value::make_map();

  if (claim_version == 1) {
    if (options.tsa_url) {
      const auto message = detail::countersign_structure(sign1, claim);
      unprotected.set("sigTst", time_stamp_container(request_time_stamp_reply(*options.tsa_url, message).response));
    }
    sign1.signature = key.sign(detail::sig_structure(sign1, claim));
  } else {
    sign1.signature = key.sign(detail::sig_structure(sign1, claim));
    if (options.tsa_url) {
      const auto covered = cbor::encode(cbor::Value::from_bytes(sign1.signature));
      const auto message = detail::countersign_structure(sign1, covered);
      unprotected.set("sigTst2", time_stamp_container(request_time_stamp(*options.tsa_url, message)));
    }
  }

  std::vector<uint8_t> out = encode_sign1(sign1.protected_bytes, unprotected, sign1.signature);
  if (options.exact_size == 0 || out.size() == options.exact_size) return out;
  if (out.size() > options.exact_size) {
    throw Error(ErrorKind::Internal, "the signature needs " + std::to_string(out.size()) + " bytes but only " +
                                         std::to_string(options.exact_size) + " were reserved");
  }
  const size_t extra = options.exact_size - out.size();
  if (auto n = pad_length("pad", extra)) {
    unprotected.set("pad", cbor::Value::from_bytes(std::vector<uint8_t>(*n, 0)));
  } else {
    // Some sizes cannot be hit with one entry (a bstr head grows by a byte at 24, 256, ...):
    // as c2pa-rs, add a second one, "pad2".
    bool done = false;
    for (size_t n2 = 0; n2 < 24 && !done; ++n2) {
      const size_t second = entry_size("pad2", n2);
      if (extra <= second) break;
      if (auto n1 = pad_length("pad", extra - second)) {
        unprotected.set("pad", cbor::Value::from_bytes(std::vector<uint8_t>(*n1, 0)));
        unprotected.set("pad2", cbor::Value::from_bytes(std::vector<uint8_t>(n2, 0)));
        done = true;
      }
    }
    if (!done) {
      throw Error(ErrorKind::Internal, "cannot pad the signature by " + std::to_string(extra) +
                                           " bytes to exactly " + std::to_string(options.exact_size));
    }
  }
  out = encode_sign1(sign1.protected_bytes, unprotected, sign1.signature);
  if (out.size() != options.exact_size) {
    throw Error(ErrorKind::Internal, "padding missed the reserved size (" + std::to_string(out.size()) + " != " +
                                         std::to_string(options.exact_size) + ")");
  }
  return out;
}

size_t max_sign1_size(const SigningKey& key, bool with_time_stamp) {
  // The signature's size is fixed by the key: r||s, the RSA modulus, or 64 bytes for Ed25519.
  size_t signature = 0;
  switch (key.alg()) {
    case SigningAlg::Es256: signature = 64; break;
    case SigningAlg::Es384: signature = 96; break;
    case SigningAlg::Es512: signature = 132; break;
    case SigningAlg::Ed25519: signature = 64; break;
    case SigningAlg::Ps256:
    case SigningAlg::Ps384:
    case SigningAlg::Ps512: {
      auto leaf = detail::parse_certificate(key.chain_der().front());
      const EVP_PKEY* pub = leaf ? X509_get0_pubkey(leaf.get()) : nullptr;
      signature = pub ? static_cast<size_t>(EVP_PKEY_get_size(pub)) : 1024;  // the modulus' size
      break;
    }
  }
  detail::CoseSign1 sign1;
  sign1.protected_bytes = protected_header_bytes(key);
  const size_t base = encode_sign1(sign1.protected_bytes, cbor::Value::make_map(), std::vector<uint8_t>(signature, 0)).size();
  // A TimeStampToken with its TSA chain is a few kB; c2pa-rs reserves 10000 bytes. Room is left
  // for the "pad" entry too (at least 5 bytes are needed whenever padding is needed at all).
  return base + (with_time_stamp ? 16384 : 0);
}

}  // namespace veritrace::cose
