// Strict mode (TrustSettings::strict): the C2PA certificate-profile and RFC 5280 path rules that
// c2pa-rs 0.90.1 does not apply. Default mode never calls into this file. Each failure names the
// clause it enforces; docs/conformance.md explains every case and the choice of status codes.
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>
#include <string>

#include "cose/internal.hpp"

namespace veritrace::cose::detail {
namespace {

constexpr const char* k_invalid = "signingCredential.invalid";
constexpr const char* k_expired = "signingCredential.expired";

struct StoreFree {
  void operator()(X509_STORE* p) const noexcept { X509_STORE_free(p); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* p) const noexcept { X509_STORE_CTX_free(p); }
};
struct CertStackFree {  // the stack borrows its certificates: free the stack only
  void operator()(STACK_OF(X509) * p) const noexcept { sk_X509_free(p); }
};
struct BitStringFree {
  void operator()(ASN1_BIT_STRING* p) const noexcept { ASN1_BIT_STRING_free(p); }
};
struct BasicConstraintsFree {
  void operator()(BASIC_CONSTRAINTS* p) const noexcept { BASIC_CONSTRAINTS_free(p); }
};
using BitStringPtr = std::unique_ptr<ASN1_BIT_STRING, BitStringFree>;
using BasicConstraintsPtr = std::unique_ptr<BASIC_CONSTRAINTS, BasicConstraintsFree>;

// The keyUsage extension: nullptr with `state` = -1 when absent, -2 when repeated; nullptr with
// state >= 0 when unparsable.
BitStringPtr key_usage_of(const X509* cert, int& state) {
  state = 0;
  return BitStringPtr(static_cast<ASN1_BIT_STRING*>(X509_get_ext_d2i(cert, NID_key_usage, &state, nullptr)));
}

std::string subject_of(const X509* cert) { return "'" + name_to_text(X509_get_subject_name(cert)) + "'"; }

bool self_issued(const X509* cert) {
  return X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0;
}

// RFC 5280 6.1.4 (k), (n): the certificate may issue others. Empty when it may, else why not.
std::string issuing_defect(const X509* cert) {
  if (X509_get_version(cert) != X509_VERSION_3) {
    return "is not a version 3 certificate, so it cannot be shown to be a CA (RFC 5280 6.1.4 (k))";
  }
  int bc_state = 0;
  BasicConstraintsPtr bc(
      static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(cert, NID_basic_constraints, &bc_state, nullptr)));
  if (!bc || !bc->ca) return "is not a CA: basicConstraints cA is not TRUE (RFC 5280 6.1.4 (k))";
  int ku_state = 0;
  BitStringPtr usage = key_usage_of(cert, ku_state);
  if (ku_state != -1 && (!usage || ASN1_BIT_STRING_get_bit(usage.get(), 5) == 0)) {
    return "has a keyUsage without keyCertSign (RFC 5280 6.1.4 (n))";
  }
  return {};
}

// pathLenConstraint of a CA certificate, or -1 when it has none.
long path_length_limit(const X509* cert) {
  int state = 0;
  BasicConstraintsPtr bc(
      static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(cert, NID_basic_constraints, &state, nullptr)));
  if (!bc || !bc->ca || !bc->pathlen) return -1;
  return ASN1_INTEGER_get(bc->pathlen);
}

}  // namespace

bool check_strict_signer_key_usage(const X509* leaf, StatusLog& log) {
  int state = 0;
  BitStringPtr usage = key_usage_of(leaf, state);
  if (!usage) {
    log.failure(k_invalid,
                "certificate keyUsage missing (strict: C2PA Certificate Profile requires keyUsage on the signer)");
    return false;
  }
  if (ASN1_BIT_STRING_get_bit(usage.get(), 0) == 0) {
    log.failure(k_invalid,
                "certificate keyUsage does not assert digitalSignature (strict: C2PA Certificate Profile requires "
                "digitalSignature on a claim signer; nonRepudiation alone is not enough)");
    return false;
  }
  return true;
}

bool check_strict_chain(const X509* leaf, std::span<const X509* const> rest, int64_t when, StatusLog& log) {
  if (!leaf) return false;
  std::vector<const X509*> chain{leaf};
  for (size_t i = 0; i < rest.size(); ++i) {
    if (i == 0 && rest[i] && X509_cmp(leaf, rest[i]) == 0) continue;  // leaf repeated, as c2pa-rs allows
    chain.push_back(rest[i]);
  }
  bool ok = true;
  const std::string at = rfc3339(when);
  // The leaf's own validity is the profile's check (signingCredential.expired there already).
  long intermediates_below = 0;  // non-self-issued certificates between the issuer and the leaf
  for (size_t i = 1; i < chain.size(); ++i) {
    const X509* cert = chain[i];
    if (!cert) {
      log.failure(k_invalid, "x5chain certificate " + std::to_string(i) + " cannot be parsed (strict)");
      ok = false;
      continue;
    }
    if (!valid_at(cert, when)) {
      log.failure(k_expired, "chain certificate " + subject_of(cert) + " is outside its validity period at " + at +
                                 " (strict: RFC 5280 6.1.3 (a)(2) applies to every certificate of the path)");
      ok = false;
    }
    if (const std::string defect = issuing_defect(cert); !defect.empty()) {
      log.failure(k_invalid, "issuing certificate " + subject_of(cert) + " " + defect + " (strict)");
      ok = false;
    } else if (const long limit = path_length_limit(cert); limit >= 0 && intermediates_below > limit) {
      log.failure(k_invalid, "issuing certificate " + subject_of(cert) + " has pathLenConstraint " +
                                 std::to_string(limit) + " but " + std::to_string(intermediates_below) +
                                 " intermediate certificates follow it (strict: RFC 5280 6.1.4 (l), (m))");
      ok = false;
    }
    if (!self_issued(cert)) ++intermediates_below;
  }
  return ok;
}

std::string strict_path_error(const Anchors& anchors, const X509* leaf, std::span<const X509* const> rest,
                              int64_t when) {
  if (anchors.certs.empty() || !leaf) return "no trust anchors";
  std::string error;
  std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
  std::unique_ptr<STACK_OF(X509), CertStackFree> untrusted(sk_X509_new_null());
  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  if (!store || !untrusted || !ctx) {
    ERR_clear_error();
    return "out of memory";
  }
  for (const auto& anchor : anchors.certs) X509_STORE_add_cert(store.get(), anchor.get());  // takes a reference
  // X509_verify_cert reads but does not change these certificates (they are parsed per call).
  for (const X509* cert : rest) {
    if (cert && sk_X509_push(untrusted.get(), const_cast<X509*>(cert)) <= 0) error = "out of memory";
  }
  if (error.empty() && X509_STORE_CTX_init(ctx.get(), store.get(), const_cast<X509*>(leaf), untrusted.get()) != 1) {
    error = "cannot set up path validation";
  }
  if (error.empty()) {
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT | X509_V_FLAG_PARTIAL_CHAIN);
    X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(when));
    if (X509_verify_cert(ctx.get()) != 1) {
      const int code = X509_STORE_CTX_get_error(ctx.get());
      error = std::string(X509_verify_cert_error_string(code)) + " at depth " +
              std::to_string(X509_STORE_CTX_get_error_depth(ctx.get()));
    }
  }
  ERR_clear_error();
  return error;
}

}  // namespace veritrace::cose::detail
