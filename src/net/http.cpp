#include "net/http.hpp"

#include <curl/curl.h>

#include <memory>
#include <mutex>

#include "veritrace/core.hpp"

namespace veritrace::net {

namespace {

struct Body {
  std::vector<uint8_t> bytes;
  size_t max_bytes = 0;
  bool too_large = false;
};

size_t on_data(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<Body*>(user);
  size_t n = size * count;
  if (body->bytes.size() + n > body->max_bytes) {
    body->too_large = true;
    return 0;  // makes libcurl abort the transfer
  }
  body->bytes.insert(body->bytes.end(), data, data + n);
  return n;
}

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

namespace {
std::vector<uint8_t> perform(const std::string& url, const HttpLimits& limits, const std::string* content_type,
                             const std::vector<uint8_t>* post_body);
}  // namespace

std::vector<uint8_t> http_get(const std::string& url, const HttpLimits& limits) {
  return perform(url, limits, nullptr, nullptr);
}

std::vector<uint8_t> http_post(const std::string& url, const std::string& content_type,
                               const std::vector<uint8_t>& body, const HttpLimits& limits) {
  return perform(url, limits, &content_type, &body);
}

namespace {
std::vector<uint8_t> perform(const std::string& url, const HttpLimits& limits, const std::string* content_type,
                             const std::vector<uint8_t>* post_body) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    throw Error(ErrorKind::Io, url + ": only http and https URLs can be fetched");
  }
  global_init_once();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) throw Error(ErrorKind::Internal, "cannot initialise libcurl");
  Body body;
  body.max_bytes = limits.max_bytes;
  char error[CURL_ERROR_SIZE] = {0};
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, limits.max_redirects);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, limits.timeout_seconds);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "veritrace/0.1");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr, curl_slist_free_all);
  if (post_body) {
    headers.reset(curl_slist_append(nullptr, ("Content-Type: " + *content_type).c_str()));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, post_body->data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post_body->size()));
  }
  curl_off_t max_size = static_cast<curl_off_t>(limits.max_bytes);
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, max_size);
  CURLcode rc = curl_easy_perform(h);
  if (body.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
    throw Error(ErrorKind::Io, url + ": response larger than " + std::to_string(limits.max_bytes) + " bytes");
  }
  if (rc != CURLE_OK) {
    throw Error(ErrorKind::Io, url + ": fetch failed: " + (error[0] ? std::string(error) : curl_easy_strerror(rc)));
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300) {
    throw Error(ErrorKind::Io, url + ": fetch failed: HTTP status " + std::to_string(status));
  }
  return std::move(body.bytes);
}
}  // namespace

}  // namespace veritrace::net
