// Small X.509 helpers over OpenSSL, plus the status log.
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <ctime>

#include "cose/internal.hpp"

namespace veritrace::cose::detail {

X509Ptr parse_certificate(std::span<const uint8_t> der) {
  if (der.empty() || der.size() > static_cast<size_t>(INT32_MAX)) return nullptr;
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != der.data() + der.size()) return nullptr;
  return cert;
}

std::vector<uint8_t> certificate_der(const X509* cert) {
  int len = i2d_X509(cert, nullptr);
  if (len <= 0) return {};
  std::vector<uint8_t> out(static_cast<size_t>(len));
  unsigned char* p = out.data();
  i2d_X509(cert, &p);
  return out;
}

std::optional<int64_t> asn1_time_to_epoch(const ASN1_TIME* t) {
  if (!t) return std::nullopt;
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

bool valid_at(const X509* cert, int64_t epoch_seconds) {
  auto not_before = asn1_time_to_epoch(X509_get0_notBefore(cert));
  auto not_after = asn1_time_to_epoch(X509_get0_notAfter(cert));
  return not_before && not_after && *not_before <= epoch_seconds && epoch_seconds <= *not_after;
}

std::optional<std::string> last_name_entry(const X509_NAME* name, int nid) {
  if (!name) return std::nullopt;
  int last = -1;
  for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0; i = X509_NAME_get_index_by_NID(name, nid, i)) {
    last = i;
  }
  if (last < 0) return std::nullopt;
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, last));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) return std::nullopt;
  std::string text(reinterpret_cast<const char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return text;
}

std::string name_to_text(const X509_NAME* name) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (!bio) return {};
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string text = len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
  BIO_free(bio);
  return text;
}

std::string serial_decimal(const X509* cert) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  if (!bn) return {};
  char* dec = BN_bn2dec(bn);
  std::string text = dec ? dec : "";
  OPENSSL_free(dec);
  BN_free(bn);
  return text;
}

std::string rfc3339(int64_t epoch_seconds, const std::string& fraction_digits) {
  std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  std::string text = buf;
  if (!fraction_digits.empty()) text += "." + fraction_digits;
  return text + "+00:00";
}

bool is_ca(const X509* cert) {
  int critical = 0;
  auto* bc = static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(cert, NID_basic_constraints, &critical, nullptr));
  if (!bc) return false;
  bool ca = bc->ca != 0;
  BASIC_CONSTRAINTS_free(bc);
  return ca;
}

void StatusLog::success(std::string code, std::string explanation) {
  statuses_.push_back({StatusKind::Success, std::move(code), std::move(explanation)});
}
void StatusLog::informational(std::string code, std::string explanation) {
  statuses_.push_back({StatusKind::Informational, std::move(code), std::move(explanation)});
}
void StatusLog::failure(std::string code, std::string explanation) {
  statuses_.push_back({StatusKind::Failure, std::move(code), std::move(explanation)});
}
void StatusLog::append(const StatusLog& other) {
  statuses_.insert(statuses_.end(), other.statuses_.begin(), other.statuses_.end());
}

}  // namespace veritrace::cose::detail
