#include "net/http.hpp"

#include <curl/curl.h>
#include <dlfcn.h>

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

// libcurl is loaded on first use, not linked: it pulls in dozens of shared libraries whose
// loading would cost every `veritrace` process a few milliseconds (docs/benchmarks.md), while
// only --fetch-remote and --tsa need it.
struct Curl {
  decltype(&::curl_global_init) global_init = nullptr;
  decltype(&::curl_easy_init) easy_init = nullptr;
  decltype(&::curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&::curl_easy_setopt) easy_setopt = nullptr;
  decltype(&::curl_easy_perform) easy_perform = nullptr;
  decltype(&::curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&::curl_easy_strerror) easy_strerror = nullptr;
  decltype(&::curl_slist_append) slist_append = nullptr;
  decltype(&::curl_slist_free_all) slist_free_all = nullptr;
};

template <typename T>
void resolve(void* lib, T& fn, const char* name) {
  fn = reinterpret_cast<T>(::dlsym(lib, name));
  if (!fn) throw Error(ErrorKind::Internal, std::string("libcurl lacks ") + name);
}

const Curl& curl_api() {
  static Curl api;
  static std::once_flag once;
  static std::string failure;
  std::call_once(once, [] {
    void* lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      failure = std::string("cannot load libcurl (install libcurl4): ") + ::dlerror();
      return;
    }
    try {
      resolve(lib, api.global_init, "curl_global_init");
      resolve(lib, api.easy_init, "curl_easy_init");
      resolve(lib, api.easy_cleanup, "curl_easy_cleanup");
      resolve(lib, api.easy_setopt, "curl_easy_setopt");
      resolve(lib, api.easy_perform, "curl_easy_perform");
      resolve(lib, api.easy_getinfo, "curl_easy_getinfo");
      resolve(lib, api.easy_strerror, "curl_easy_strerror");
      resolve(lib, api.slist_append, "curl_slist_append");
      resolve(lib, api.slist_free_all, "curl_slist_free_all");
      api.global_init(CURL_GLOBAL_DEFAULT);
    } catch (const Error& e) {
      failure = e.what();
      api.easy_init = nullptr;
    }
  });
  if (!failure.empty()) throw Error(ErrorKind::Io, failure);
  return api;
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
  const Curl& api = curl_api();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(api.easy_init(), api.easy_cleanup);
  if (!curl) throw Error(ErrorKind::Internal, "cannot initialise libcurl");
  Body body;
  body.max_bytes = limits.max_bytes;
  char error[CURL_ERROR_SIZE] = {0};
  CURL* h = curl.get();
  api.easy_setopt(h, CURLOPT_URL, url.c_str());
  api.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  api.easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  api.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  api.easy_setopt(h, CURLOPT_MAXREDIRS, limits.max_redirects);
  api.easy_setopt(h, CURLOPT_TIMEOUT, limits.timeout_seconds);
  api.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
  api.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  api.easy_setopt(h, CURLOPT_USERAGENT, "veritrace/0.1");
  api.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  api.easy_setopt(h, CURLOPT_WRITEDATA, &body);
  api.easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr, api.slist_free_all);
  if (post_body) {
    headers.reset(api.slist_append(nullptr, ("Content-Type: " + *content_type).c_str()));
    api.easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    api.easy_setopt(h, CURLOPT_POST, 1L);
    api.easy_setopt(h, CURLOPT_POSTFIELDS, post_body->data());
    api.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post_body->size()));
  }
  curl_off_t max_size = static_cast<curl_off_t>(limits.max_bytes);
  api.easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, max_size);
  CURLcode rc = api.easy_perform(h);
  if (body.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
    throw Error(ErrorKind::Io, url + ": response larger than " + std::to_string(limits.max_bytes) + " bytes");
  }
  if (rc != CURLE_OK) {
    throw Error(ErrorKind::Io, url + ": fetch failed: " + (error[0] ? std::string(error) : api.easy_strerror(rc)));
  }
  long status = 0;
  api.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300) {
    throw Error(ErrorKind::Io, url + ": fetch failed: HTTP status " + std::to_string(status));
  }
  return std::move(body.bytes);
}
}  // namespace

}  // namespace veritrace::net
