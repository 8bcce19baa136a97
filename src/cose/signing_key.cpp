// SigningKey: a private key (PEM file, OpenSSL store URI, or an OpenSSL ENGINE such as pkcs11)
// and its certificate chain, checked before any signing: key matches the leaf, chain in order,
// algorithm usable with the key, and the C2PA certificate profile (the verifier's own check,
// check_end_entity_profile, preceded by clearer messages for the usual mistakes).
// The PKCS#11 ENGINE API is deprecated in OpenSSL 3 but is still what Debian 12 ships
// (libengine-pkcs11-openssl); there is no PKCS#11 provider there.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/store.h>
#include <openssl/ui.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cose/internal.hpp"
#include "cose/sign.hpp"
#include "veritrace/core.hpp"

namespace veritrace::cose {
namespace {

using detail::EvpMdCtxPtr;
using detail::EvpPkeyPtr;
using detail::OpenSslDeleter;
using detail::X509Ptr;
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO_free>>;
using StoreCtxPtr = std::unique_ptr<OSSL_STORE_CTX, OpenSslDeleter<OSSL_STORE_close>>;
using StoreInfoPtr = std::unique_ptr<OSSL_STORE_INFO, OpenSslDeleter<OSSL_STORE_INFO_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OpenSslDeleter<ECDSA_SIG_free>>;

// A functional + structural ENGINE reference.
struct EngineRelease {
  void operator()(ENGINE* e) const noexcept {
    ENGINE_finish(e);
    ENGINE_free(e);
  }
};
using EnginePtr = std::unique_ptr<ENGINE, EngineRelease>;

[[noreturn]] void key_error(const std::string& message) { throw Error(ErrorKind::Key, message); }

// The oldest queued OpenSSL reason, then the queue cleared (never holds key material).
std::string openssl_reason() {
  unsigned long code = ERR_peek_error();
  std::string text;
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    text = buf;
  }
  ERR_clear_error();
  return text.empty() ? "no detail from OpenSSL" : text;
}

std::string subject_of(const X509* cert) { return detail::name_to_text(X509_get_subject_name(cert)); }

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool looks_like_uri(const std::string& s) {
  auto colon = s.find(':');
  if (colon == std::string::npos || colon < 2) return false;  // "C:..." is not a scheme
  if (!std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (size_t i = 0; i < colon; ++i) {
    const char c = s[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

// ---- key sources ----------------------------------------------------------------------------

EvpPkeyPtr load_from_store(const std::string& uri, const std::string& shown_as) {
  // UI_null: never prompt on the terminal (encrypted PEM keys are refused instead).
  StoreCtxPtr store(OSSL_STORE_open(uri.c_str(), UI_null(), nullptr, nullptr, nullptr));
  if (!store) {
    const std::string reason = openssl_reason();
    std::string hint;
    if (uri.rfind("pkcs11:", 0) == 0) {
      hint = " (no OpenSSL provider handles pkcs11: URIs here; Debian 12 has no PKCS#11 provider: use "
             "engine:pkcs11:<pkcs11 URI> with libengine-pkcs11-openssl, see docs/signing-keys.md)";
    }
    key_error("cannot open key " + shown_as + ": " + reason + hint);
  }
  OSSL_STORE_expect(store.get(), OSSL_STORE_INFO_PKEY);
  while (!OSSL_STORE_eof(store.get())) {
    StoreInfoPtr info(OSSL_STORE_load(store.get()));
    if (!info) {
      if (OSSL_STORE_error(store.get())) break;
      continue;
    }
    if (OSSL_STORE_INFO_get_type(info.get()) == OSSL_STORE_INFO_PKEY) {
      EvpPkeyPtr key(OSSL_STORE_INFO_get1_PKEY(info.get()));
      if (key) {
        ERR_clear_error();
        return key;
      }
    }
  }
  const std::string reason = openssl_reason();
  key_error("cannot read a private key from " + shown_as + " (" + reason +
            "; expected an unencrypted PEM private key: PKCS#8, or traditional EC/RSA)");
}

// A key id as shown in messages: the PIN (pin-value=..., RFC 7512) is never printed.
std::string redacted(const std::string& id) {
  std::string out = id;
  for (size_t at = out.find("pin-value="); at != std::string::npos; at = out.find("pin-value=", at + 1)) {
    const size_t begin = at + 10;
    const size_t end = out.find_first_of(";?&", begin);
    out.replace(begin, (end == std::string::npos ? out.size() : end) - begin, "***");
  }
  return out;
}

// "engine:<id>:<key id>", e.g. engine:pkcs11:pkcs11:token=t;object=k;type=private;pin-value=1234.
// $VERITRACE_PKCS11_MODULE sets the engine's MODULE_PATH (default: p11-kit's proxy, which loads
// the modules registered with p11-kit); $VERITRACE_PKCS11_PIN sets its PIN.
EvpPkeyPtr load_from_engine(const std::string& spec, EnginePtr& engine_out) {
  const std::string rest = spec.substr(std::string("engine:").size());
  const auto colon = rest.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= rest.size()) {
    key_error("key \"engine:...\" must be engine:<engine id>:<key id>, e.g. engine:pkcs11:pkcs11:object=signer");
  }
  const std::string engine_id = rest.substr(0, colon);
  const std::string key_id = rest.substr(colon + 1);
  ENGINE_load_builtin_engines();
  // ENGINE_by_id also loads <id>.so from OpenSSL's engines directory (or $OPENSSL_ENGINES).
  ENGINE* raw = ENGINE_by_id(engine_id.c_str());
  if (!raw) {
    const std::string reason = openssl_reason();
    key_error("cannot load OpenSSL engine \"" + engine_id + "\": " + reason +
              (engine_id == "pkcs11" ? " (install libengine-pkcs11-openssl)" : ""));
  }
  if (engine_id == "pkcs11") {
    if (const char* module = std::getenv("VERITRACE_PKCS11_MODULE"); module && *module) {
      if (ENGINE_ctrl_cmd_string(raw, "MODULE_PATH", module, 0) != 1) {
        ENGINE_free(raw);
        key_error(std::string("engine pkcs11 refused MODULE_PATH ") + module + ": " + openssl_reason());
      }
    }
  }
  if (ENGINE_init(raw) != 1) {
    ENGINE_free(raw);
    key_error("cannot initialise OpenSSL engine \"" + engine_id + "\": " + openssl_reason());
  }
  EnginePtr engine(raw);
  if (const char* pin = std::getenv("VERITRACE_PKCS11_PIN"); pin && *pin && engine_id == "pkcs11") {
    ENGINE_ctrl_cmd_string(engine.get(), "PIN", pin, 0);
  }
  EvpPkeyPtr key(ENGINE_load_private_key(engine.get(), key_id.c_str(), const_cast<UI_METHOD*>(UI_null()), nullptr));
  if (!key) {
    key_error("engine \"" + engine_id + "\" cannot load private key \"" + redacted(key_id) + "\": " + openssl_reason() +
              " (check the token and object names, and give the PIN as pin-value= in the URI or "
              "$VERITRACE_PKCS11_PIN)");
  }
  engine_out = std::move(engine);
  return key;
}

std::vector<X509Ptr> load_chain(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) key_error("cannot read certificate chain " + path + ": no such file");
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) key_error("cannot read certificate chain " + path);
  const std::string pem = text.str();
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) key_error("cannot read certificate chain " + path + ": out of memory");
  std::vector<X509Ptr> chain;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) chain.emplace_back(cert);
  const unsigned long last = ERR_peek_last_error();
  const bool clean_end = last == 0 || ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
  const std::string reason = openssl_reason();
  if (chain.empty()) key_error("certificate chain " + path + " holds no PEM certificate");
  if (!clean_end) key_error("certificate chain " + path + " has an unreadable certificate after certificate " +
                            std::to_string(chain.size()) + ": " + reason);
  return chain;
}

// ---- checks ----------------------------------------------------------------------------------

// 1 equal, 0 different, <0 cannot tell (some engine keys): then sign and verify a test message.
bool key_matches(EVP_PKEY* key, X509* cert, SigningAlg alg_for_test);

bool can_sign_with(SigningAlg alg, EVP_PKEY* key) {
  const int type = EVP_PKEY_get_base_id(key);
  const int bits = EVP_PKEY_get_bits(key);
  switch (alg) {
    case SigningAlg::Es256: return type == EVP_PKEY_EC && bits == 256;
    case SigningAlg::Es384: return type == EVP_PKEY_EC && bits == 384;
    case SigningAlg::Es512: return type == EVP_PKEY_EC && bits == 521;
    case SigningAlg::Ps256:
    case SigningAlg::Ps384:
    case SigningAlg::Ps512: return type == EVP_PKEY_RSA || type == EVP_PKEY_RSA_PSS;
    case SigningAlg::Ed25519: return type == EVP_PKEY_ED25519;
  }
  return false;
}

std::string key_description(EVP_PKEY* key) {
  const int bits = EVP_PKEY_get_bits(key);
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_EC: return "an EC key of " + std::to_string(bits) + " bits";
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS: return "an RSA key of " + std::to_string(bits) + " bits";
    case EVP_PKEY_ED25519: return "an Ed25519 key";
    default: return std::string("a key of type ") + OBJ_nid2sn(EVP_PKEY_get_base_id(key));
  }
}

std::optional<SigningAlg> alg_for_key(EVP_PKEY* key) {
  const int bits = EVP_PKEY_get_bits(key);
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_EC:
      if (bits == 256) return SigningAlg::Es256;
      if (bits == 384) return SigningAlg::Es384;
      if (bits == 521) return SigningAlg::Es512;
      return std::nullopt;
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS: return SigningAlg::Ps256;
    case EVP_PKEY_ED25519: return SigningAlg::Ed25519;
    default: return std::nullopt;
  }
}

std::string time_text(const ASN1_TIME* t) {
  auto epoch = detail::asn1_time_to_epoch(t);
  return epoch ? detail::rfc3339(*epoch) : "an unreadable time";
}

void check_chain_order(const std::vector<X509Ptr>& chain) {
  for (size_t i = 0; i + 1 < chain.size(); ++i) {
    X509* subject = chain[i].get();
    X509* issuer = chain[i + 1].get();
    const bool names = X509_NAME_cmp(X509_get_issuer_name(subject), X509_get_subject_name(issuer)) == 0;
    EVP_PKEY* issuer_key = X509_get0_pubkey(issuer);
    const bool signature = names && issuer_key && X509_verify(subject, issuer_key) == 1;
    ERR_clear_error();
    if (!signature) {
      key_error("certificate chain out of order: certificate " + std::to_string(i + 1) + " (" + subject_of(subject) +
                ") is not " + (names ? "signed" : "issued") + " by certificate " + std::to_string(i + 2) + " (" +
                subject_of(issuer) + "); list the signing certificate first, then each issuer in turn");
    }
  }
}

// The C2PA certificate profile of the signing certificate. The messages first name the usual
// mistakes; the verifier's own check (check_end_entity_profile, c2pa-rs's rules) then decides.
void check_profile(const X509* leaf) {
  const std::string who = "signing certificate (" + subject_of(leaf) + ")";
  if (X509_get_version(leaf) != X509_VERSION_3) key_error(who + " is not an X.509 v3 certificate (C2PA profile)");
  const auto now = static_cast<int64_t>(std::time(nullptr));
  auto not_before = detail::asn1_time_to_epoch(X509_get0_notBefore(leaf));
  auto not_after = detail::asn1_time_to_epoch(X509_get0_notAfter(leaf));
  if (!not_before || *not_before > now) {
    key_error(who + " is not yet valid (notBefore " + time_text(X509_get0_notBefore(leaf)) + ")");
  }
  if (!not_after || *not_after < now) {
    key_error(who + " has expired (notAfter " + time_text(X509_get0_notAfter(leaf)) + ")");
  }
  if (detail::is_ca(leaf)) {
    key_error(who + " is a CA certificate (basicConstraints CA:TRUE); C2PA signs with an end-entity certificate");
  }
  if (const EVP_PKEY* pub = X509_get0_pubkey(leaf)) {
    const int type = EVP_PKEY_get_base_id(pub);
    if ((type == EVP_PKEY_RSA || type == EVP_PKEY_RSA_PSS) && EVP_PKEY_get_bits(pub) < 2048) {
      key_error(who + " has an RSA key of " + std::to_string(EVP_PKEY_get_bits(pub)) +
                " bits; the C2PA profile needs at least 2048");
    }
  }
  const detail::EkuPolicy ekus = detail::EkuPolicy::claim_signing();
  if (X509_get_ext_by_NID(leaf, NID_ext_key_usage, -1) < 0) {
    key_error(who + " has no extendedKeyUsage; the C2PA profile needs one such as documentSigning "
              "(1.3.6.1.5.5.7.3.36) or emailProtection");
  }
  if (!detail::has_allowed_eku(leaf, ekus)) {
    key_error(who + " has an extendedKeyUsage without a purpose C2PA allows (documentSigning "
              "1.3.6.1.5.5.7.3.36, emailProtection, C2PA signing 1.3.6.1.4.1.62558.2.1, ...)");
  }
  // X509_get_key_usage is not const-correct; it only caches extension flags.
  const uint32_t usage = X509_get_key_usage(const_cast<X509*>(leaf));
  if (usage == UINT32_MAX) key_error(who + " has no keyUsage; the C2PA profile needs keyUsage digitalSignature");
  if (!(usage & KU_DIGITAL_SIGNATURE)) key_error(who + " has a keyUsage without digitalSignature (C2PA profile)");

  detail::StatusLog log;
  if (!detail::check_end_entity_profile(leaf, ekus, std::nullopt, log)) {
    std::string reason = "rejected";
    for (const auto& status : log.statuses()) {
      if (status.kind == StatusKind::Failure) reason = status.explanation + " (" + status.code + ")";
    }
    key_error(who + " does not meet the C2PA certificate profile: " + reason);
  }
}

detail::SigningAlg to_detail(SigningAlg alg) {
  switch (alg) {
    case SigningAlg::Es256: return detail::SigningAlg::Es256;
    case SigningAlg::Es384: return detail::SigningAlg::Es384;
    case SigningAlg::Es512: return detail::SigningAlg::Es512;
    case SigningAlg::Ps256: return detail::SigningAlg::Ps256;
    case SigningAlg::Ps384: return detail::SigningAlg::Ps384;
    case SigningAlg::Ps512: return detail::SigningAlg::Ps512;
    case SigningAlg::Ed25519: return detail::SigningAlg::Ed25519;
  }
  return detail::SigningAlg::Es256;
}

const EVP_MD* digest_for(SigningAlg alg) {
  switch (alg) {
    case SigningAlg::Es256:
    case SigningAlg::Ps256: return EVP_sha256();
    case SigningAlg::Es384:
    case SigningAlg::Ps384: return EVP_sha384();
    case SigningAlg::Es512:
    case SigningAlg::Ps512: return EVP_sha512();
    case SigningAlg::Ed25519: return nullptr;
  }
  return nullptr;
}

std::vector<uint8_t> raw_sign(SigningAlg alg, EVP_PKEY* key, std::span<const uint8_t> tbs) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  const EVP_MD* md = digest_for(alg);
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, key) != 1) {
    key_error(std::string("cannot start a ") + signing_alg_name(alg) + " signature: " + openssl_reason());
  }
  const bool pss = alg == SigningAlg::Ps256 || alg == SigningAlg::Ps384 || alg == SigningAlg::Ps512;
  if (pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
              EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
              EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1)) {
    key_error("cannot set RSA-PSS parameters: " + openssl_reason());
  }
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, tbs.data(), tbs.size()) != 1) {
    key_error(std::string(signing_alg_name(alg)) + " signing failed: " + openssl_reason());
  }
  std::vector<uint8_t> sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, tbs.data(), tbs.size()) != 1) {
    key_error(std::string(signing_alg_name(alg)) + " signing failed: " + openssl_reason());
  }
  sig.resize(len);
  if (alg != SigningAlg::Es256 && alg != SigningAlg::Es384 && alg != SigningAlg::Es512) return sig;
  // ECDSA-Sig-Value (DER) -> r||s, each the curve's field size (COSE, RFC 9053 2.1).
  const unsigned char* p = sig.data();
  EcdsaSigPtr ecdsa(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
  if (!ecdsa) key_error("ECDSA signing gave an unreadable signature");
  const int field = (EVP_PKEY_get_bits(key) + 7) / 8;
  std::vector<uint8_t> raw(static_cast<size_t>(2 * field));
  if (BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa.get()), raw.data(), field) != field ||
      BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa.get()), raw.data() + field, field) != field) {
    key_error("ECDSA signature does not fit the curve's size");
  }
  return raw;
}

bool key_matches(EVP_PKEY* key, X509* cert, SigningAlg alg_for_test) {
  EVP_PKEY* pub = X509_get0_pubkey(cert);
  if (!pub) return false;
  const int eq = EVP_PKEY_eq(key, pub);
  ERR_clear_error();
  if (eq == 1) return true;
  if (eq == 0) return false;
  // Cannot compare (an engine key without its public half): sign and verify a test message.
  static constexpr uint8_t probe[] = {'v', 'e', 'r', 'i', 't', 'r', 'a', 'c', 'e'};
  try {
    auto sig = raw_sign(alg_for_test, key, probe);
    return detail::verify_raw_signature(to_detail(alg_for_test), sig, probe, pub);
  } catch (const Error&) {
    return false;
  }
}

}  // namespace

// ---- public API -----------------------------------------------------------------------------

const char* signing_alg_name(SigningAlg alg) {
  switch (alg) {
    case SigningAlg::Es256: return "es256";
    case SigningAlg::Es384: return "es384";
    case SigningAlg::Es512: return "es512";
    case SigningAlg::Ps256: return "ps256";
    case SigningAlg::Ps384: return "ps384";
    case SigningAlg::Ps512: return "ps512";
    case SigningAlg::Ed25519: return "ed25519";
  }
  return "";
}

std::optional<SigningAlg> signing_alg_from_name(const std::string& name) {
  const std::string n = lower(name);
  for (SigningAlg alg : {SigningAlg::Es256, SigningAlg::Es384, SigningAlg::Es512, SigningAlg::Ps256,
                         SigningAlg::Ps384, SigningAlg::Ps512, SigningAlg::Ed25519}) {
    if (n == signing_alg_name(alg)) return alg;
  }
  if (n == "eddsa") return SigningAlg::Ed25519;
  return std::nullopt;
}

int64_t cose_alg_id(SigningAlg alg) {
  switch (alg) {
    case SigningAlg::Es256: return -7;
    case SigningAlg::Es384: return -35;
    case SigningAlg::Es512: return -36;
    case SigningAlg::Ps256: return -37;
    case SigningAlg::Ps384: return -38;
    case SigningAlg::Ps512: return -39;
    case SigningAlg::Ed25519: return -8;
  }
  return 0;
}

struct SigningKey::Impl {
  EnginePtr engine;  // declared first: released after the key
  EvpPkeyPtr key;
  std::vector<X509Ptr> chain;
  std::vector<std::vector<uint8_t>> chain_der;
  SigningAlg alg = SigningAlg::Es256;
};

SigningKey::SigningKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SigningKey::~SigningKey() = default;
SigningKey::SigningKey(SigningKey&&) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&&) noexcept = default;

SigningKey SigningKey::load(const std::string& key, const std::string& chain_pem, std::optional<SigningAlg> alg) {
  auto impl = std::make_unique<Impl>();
  if (key.empty()) key_error("no signing key given");
  std::error_code ec;
  if (key.rfind("engine:", 0) == 0) {
    impl->key = load_from_engine(key, impl->engine);
  } else if (std::filesystem::exists(key, ec)) {
    if (!std::filesystem::is_regular_file(key, ec)) key_error("cannot read key " + key + ": not a regular file");
    std::ifstream probe(key, std::ios::binary);
    if (!probe) key_error("cannot read key " + key + ": permission denied or unreadable");
    impl->key = load_from_store(key, key);
  } else if (looks_like_uri(key)) {
    impl->key = load_from_store(key, "\"" + key.substr(0, key.find(':')) + ":...\"");
  } else {
    key_error("cannot read key " + key + ": no such file");
  }

  impl->chain = load_chain(chain_pem);
  EVP_PKEY* pkey = impl->key.get();
  X509* leaf = impl->chain.front().get();

  const std::optional<SigningAlg> natural = alg_for_key(pkey);
  if (!alg && !natural) key_error("cannot sign with " + key_description(pkey) + " (C2PA: EC P-256/384/521, RSA, Ed25519)");
  const SigningAlg chosen = alg ? *alg : *natural;
  if (!can_sign_with(chosen, pkey)) {
    key_error(std::string("algorithm ") + signing_alg_name(chosen) + " cannot be used with " + key_description(pkey) +
              (natural ? std::string(" (this key signs ") + signing_alg_name(*natural) + ")" : std::string()));
  }
  if (!key_matches(pkey, leaf, chosen)) {
    for (size_t i = 1; i < impl->chain.size(); ++i) {
      if (EVP_PKEY_eq(pkey, X509_get0_pubkey(impl->chain[i].get())) == 1) {
        ERR_clear_error();
        key_error("the key matches certificate " + std::to_string(i + 1) + " of " + chain_pem + " (" +
                  subject_of(impl->chain[i].get()) +
                  "), not the first: the chain must start with the signing certificate");
      }
    }
    ERR_clear_error();
    key_error("the key does not match the signing certificate (" + subject_of(leaf) + "), the first of " + chain_pem);
  }
  check_chain_order(impl->chain);
  check_profile(leaf);

  impl->alg = chosen;
  for (const auto& cert : impl->chain) impl->chain_der.push_back(detail::certificate_der(cert.get()));
  return SigningKey(std::move(impl));
}

SigningAlg SigningKey::alg() const { return impl_->alg; }
const std::vector<std::vector<uint8_t>>& SigningKey::chain_der() const { return impl_->chain_der; }

std::vector<uint8_t> SigningKey::sign(std::span<const uint8_t> to_be_signed) const {
  return raw_sign(impl_->alg, impl_->key.get(), to_be_signed);
}

}  // namespace veritrace::cose
