// RFC 3161 time-stamp requests: TimeStampReq (SHA-256 imprint, random nonce, certReq) POSTed as
// application/timestamp-query; the TimeStampResp must be granted and its token must carry our
// imprint and nonce. The token is returned as the exact bytes inside the response (no
// re-encoding), as c2pa-rs stores it in sigTst2.
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ts.h>

#include "cose/internal.hpp"
#include "cose/sign.hpp"
#include "net/http.hpp"
#include "veritrace/core.hpp"

namespace veritrace::cose {
namespace {

using detail::OpenSslDeleter;
using TsReqPtr = std::unique_ptr<TS_REQ, OpenSslDeleter<TS_REQ_free>>;
using TsRespPtr = std::unique_ptr<TS_RESP, OpenSslDeleter<TS_RESP_free>>;
using TsImprintPtr = std::unique_ptr<TS_MSG_IMPRINT, OpenSslDeleter<TS_MSG_IMPRINT_free>>;
using TsVerifyCtxPtr = std::unique_ptr<TS_VERIFY_CTX, OpenSslDeleter<TS_VERIFY_CTX_free>>;
using AlgorPtr = std::unique_ptr<X509_ALGOR, OpenSslDeleter<X509_ALGOR_free>>;
using AsnIntPtr = std::unique_ptr<ASN1_INTEGER, OpenSslDeleter<ASN1_INTEGER_free>>;
using BnPtr = std::unique_ptr<BIGNUM, OpenSslDeleter<BN_free>>;

std::string openssl_reason() {
  unsigned long code = ERR_peek_error();
  std::string text = "no detail from OpenSSL";
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    text = buf;
  }
  ERR_clear_error();
  return text;
}

[[noreturn]] void internal(const std::string& what) {
  throw Error(ErrorKind::Internal, "time-stamp request: " + what + ": " + openssl_reason());
}

TsReqPtr make_request(std::span<const uint8_t> data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &digest_len, EVP_sha256(), nullptr) != 1) internal("SHA-256");

  TsReqPtr req(TS_REQ_new());
  TsImprintPtr imprint(TS_MSG_IMPRINT_new());
  AlgorPtr algo(X509_ALGOR_new());
  if (!req || !imprint || !algo) internal("out of memory");
  X509_ALGOR_set0(algo.get(), OBJ_nid2obj(NID_sha256), V_ASN1_NULL, nullptr);
  if (TS_REQ_set_version(req.get(), 1) != 1 || TS_MSG_IMPRINT_set_algo(imprint.get(), algo.get()) != 1 ||
      TS_MSG_IMPRINT_set_msg(imprint.get(), digest, static_cast<int>(digest_len)) != 1 ||
      TS_REQ_set_msg_imprint(req.get(), imprint.get()) != 1) {
    internal("building the request");
  }
  BnPtr nonce_bn(BN_new());
  if (!nonce_bn || BN_rand(nonce_bn.get(), 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) internal("nonce");
  AsnIntPtr nonce(BN_to_ASN1_INTEGER(nonce_bn.get(), nullptr));
  if (!nonce || TS_REQ_set_nonce(req.get(), nonce.get()) != 1 || TS_REQ_set_cert_req(req.get(), 1) != 1) {
    internal("nonce");
  }
  return req;
}

// One DER TLV at `pos`: returns the header size and sets `content` (its length); nullopt when
// malformed or beyond `end`.
std::optional<size_t> der_header(std::span<const uint8_t> der, size_t pos, size_t& content) {
  if (pos + 2 > der.size()) return std::nullopt;
  if ((der[pos] & 0x1F) == 0x1F) return std::nullopt;  // multi-byte tags do not occur here
  const uint8_t first = der[pos + 1];
  size_t header = 2;
  if (first < 0x80) {
    content = first;
  } else {
    const size_t count = first & 0x7F;
    if (count == 0 || count > 4 || pos + 2 + count > der.size()) return std::nullopt;
    content = 0;
    for (size_t i = 0; i < count; ++i) content = (content << 8) | der[pos + 2 + i];
    header += count;
  }
  if (content > der.size() - pos - header) return std::nullopt;
  return header;
}

// TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken TimeStampToken OPTIONAL }
std::optional<std::vector<uint8_t>> token_bytes(std::span<const uint8_t> response) {
  size_t outer_len = 0;
  auto outer = der_header(response, 0, outer_len);
  if (!outer || response[0] != 0x30) return std::nullopt;
  const size_t end = *outer + outer_len;
  size_t status_len = 0;
  auto status = der_header(response, *outer, status_len);
  if (!status) return std::nullopt;
  const size_t token_at = *outer + *status + status_len;
  size_t token_len = 0;
  auto token = der_header(response, token_at, token_len);
  if (!token || response[token_at] != 0x30 || token_at + *token + token_len != end) return std::nullopt;
  return std::vector<uint8_t>(response.begin() + static_cast<long>(token_at),
                              response.begin() + static_cast<long>(end));
}

std::string status_text(TS_RESP* resp) {
  const TS_STATUS_INFO* info = TS_RESP_get_status_info(resp);
  const long status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(info));
  static const char* const names[] = {"granted", "grantedWithMods", "rejection", "waiting", "revocationWarning",
                                      "revocationNotification"};
  std::string text = "status " + std::to_string(status);
  if (status >= 0 && status <= 5) text += std::string(" (") + names[status] + ")";
  if (const STACK_OF(ASN1_UTF8STRING)* texts = TS_STATUS_INFO_get0_text(info)) {
    for (int i = 0; i < sk_ASN1_UTF8STRING_num(texts); ++i) {
      const ASN1_UTF8STRING* s = sk_ASN1_UTF8STRING_value(texts, i);
      text += ": " + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                 static_cast<size_t>(ASN1_STRING_length(s)));
    }
  }
  return text;
}

}  // namespace

TimeStampReply request_time_stamp_reply(const std::string& url, std::span<const uint8_t> data) {
  TsReqPtr req = make_request(data);
  const int len = i2d_TS_REQ(req.get(), nullptr);
  if (len <= 0) internal("encoding the request");
  std::vector<uint8_t> body(static_cast<size_t>(len));
  unsigned char* out = body.data();
  i2d_TS_REQ(req.get(), &out);

  net::HttpLimits limits;
  limits.max_bytes = 1u << 20;  // a TimeStampResp is a few kB
  limits.timeout_seconds = 30;
  TimeStampReply reply;
  reply.response = net::http_post(url, "application/timestamp-query", body, limits);  // Error(Io)

  const unsigned char* p = reply.response.data();
  TsRespPtr resp(d2i_TS_RESP(nullptr, &p, static_cast<long>(reply.response.size())));
  if (!resp || p != reply.response.data() + reply.response.size()) {
    ERR_clear_error();
    throw Error(ErrorKind::Malformed, "time-stamp authority " + url + " sent a reply that is not a TimeStampResp");
  }
  const long status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp.get())));
  if (status != 0 && status != 1) {
    throw Error(ErrorKind::Io, "time-stamp authority " + url + " refused the request: " + status_text(resp.get()));
  }
  if (!TS_RESP_get_token(resp.get())) {
    throw Error(ErrorKind::Malformed, "time-stamp authority " + url + " granted the request but sent no token");
  }
  // Version, imprint (algorithm and digest) and nonce against our request; not the signature or
  // the TSA's trust, which validation judges.
  TsVerifyCtxPtr verify(TS_REQ_to_TS_VERIFY_CTX(req.get(), nullptr));
  if (!verify) internal("verify context");
  if (TS_RESP_verify_response(verify.get(), resp.get()) != 1) {
    throw Error(ErrorKind::Malformed, "time-stamp authority " + url +
                                          " sent a token that does not match the request (imprint or nonce): " +
                                          openssl_reason());
  }
  auto token = token_bytes(reply.response);
  if (!token) throw Error(ErrorKind::Malformed, "time-stamp authority " + url + " sent a malformed TimeStampResp");
  reply.token = std::move(*token);
  return reply;
}

std::vector<uint8_t> request_time_stamp(const std::string& url, std::span<const uint8_t> data) {
  return request_time_stamp_reply(url, data).token;
}

}  // namespace veritrace::cose
