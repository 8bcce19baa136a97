// Trust anchors and the chain check. The check follows c2pa-rs 0.90.1's native implementation
// (the one its node build uses), not OpenSSL's X509_verify_cert: it needs an allowed EKU on the
// signer, verifies only the signatures along the given chain, and checks validity periods only at
// a time-stamp's time. It therefore accepts an issuer without CA:TRUE and an expired intermediate
// when there is no time-stamp, exactly as the reference does (documented in the report).
// Strict mode (strict.cpp) adds RFC 5280 path validation on top; see docs/conformance.md.
#include <openssl/err.h>
#include <openssl/pem.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <utility>

#include "cose/internal.hpp"
#include "veritrace/core.hpp"

namespace veritrace::cose {
namespace detail {
namespace {

bool has_supported_signature_alg(const X509* cert) {
  return is_allowed_certificate_signature(X509_get_signature_nid(cert));
}

bool is_signed_by(const X509* cert, const X509* issuer) {
  EVP_PKEY* key = X509_get0_pubkey(issuer);
  // X509_verify takes a non-const certificate but does not modify it.
  return key && X509_verify(const_cast<X509*>(cert), key) == 1;
}

bool issued_by_anchor(const Anchors& anchors, const X509* cert) {
  for (const auto& anchor : anchors.certs) {
    if (X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(anchor.get())) != 0) continue;
    if (has_supported_signature_alg(cert) && is_signed_by(cert, anchor.get())) return true;
  }
  return false;
}

}  // namespace

bool check_certificate_trust(const Anchors& anchors, const EkuPolicy& ekus, const X509* leaf,
                             std::span<const X509* const> rest, std::optional<int64_t> signing_time) {
  if (anchors.certs.empty() || !leaf) return false;
  // A chain certificate that does not parse cannot be part of a trusted path.
  for (const X509* c : rest) {
    if (!c) return false;
  }
  if (!has_allowed_eku(leaf, ekus)) return false;

  std::vector<const X509*> chain;
  const bool leaf_repeated = !rest.empty() && X509_cmp(leaf, rest.front()) == 0;
  if (!leaf_repeated) chain.push_back(leaf);
  chain.insert(chain.end(), rest.begin(), rest.end());

  // Each certificate must be signed by the one after it.
  for (size_t i = 1; i < chain.size(); ++i) {
    if (!has_supported_signature_alg(chain[i - 1]) || !is_signed_by(chain[i - 1], chain[i])) return false;
  }
  // From the top of the chain down, look for a certificate issued by an anchor.
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    if (signing_time && !valid_at(*it, *signing_time)) return false;
    if (issued_by_anchor(anchors, *it)) return true;
  }
  return false;
}

}  // namespace detail

namespace {

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::Key, "cannot read trust anchor file " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error(ErrorKind::Key, "cannot read trust anchor file " + path);
  return text;
}

std::vector<detail::X509Ptr> certificates_from_pem(const std::string& pem) {
  std::vector<detail::X509Ptr> certs;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!bio) return certs;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) certs.emplace_back(cert);
  BIO_free(bio);
  ERR_clear_error();  // the loop ends on a "no start line" error
  return certs;
}

}  // namespace

TrustSettings::TrustSettings() : impl_(std::make_unique<Impl>()) {}
TrustSettings::~TrustSettings() = default;
TrustSettings::TrustSettings(TrustSettings&&) noexcept = default;
TrustSettings& TrustSettings::operator=(TrustSettings&&) noexcept = default;

TrustSettings TrustSettings::from_pem_files(const std::vector<std::string>& paths) {
  TrustSettings settings;
  settings.impl_->mode = TrustMode::Anchors;
  for (const auto& path : paths) {
    auto certs = certificates_from_pem(read_text_file(path));
    if (certs.empty()) throw Error(ErrorKind::Key, "no certificate in trust anchor file " + path);
    for (auto& cert : certs) settings.impl_->anchors.certs.push_back(std::move(cert));
  }
  // Warm OpenSSL's lazily computed per-certificate caches now, so that later concurrent use
  // of the anchors only reads them.
  for (const auto& cert : settings.impl_->anchors.certs) {
    X509_check_purpose(cert.get(), -1, 0);
    X509_get0_pubkey(cert.get());
  }
  return settings;
}

TrustSettings TrustSettings::no_check() {
  TrustSettings settings;
  settings.impl_->mode = TrustMode::NoCheck;
  return settings;
}

TrustMode TrustSettings::mode() const { return impl_->mode; }

void TrustSettings::set_strict(bool strict) { impl_->strict = strict; }

TrustSettings TrustSettings::with_strict(bool strict) && {
  impl_->strict = strict;
  return std::move(*this);
}

bool TrustSettings::strict() const { return impl_->strict; }

}  // namespace veritrace::cose
