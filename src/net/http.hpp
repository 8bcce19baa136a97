// Minimal HTTP(S) GET for fetching remote manifests (and, later, time-stamp requests), with
// hard limits: only http/https, bounded size, bounded time, a few redirects. libcurl underneath.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace veritrace::net {

struct HttpLimits {
  size_t max_bytes = 64u << 20;  // a manifest store larger than this is refused
  long timeout_seconds = 30;
  long max_redirects = 5;
};

// Returns the body of a 2xx response. Throws veritrace::Error(Io) with the URL and the reason
// (unreachable, HTTP status, too large, timeout).
std::vector<uint8_t> http_get(const std::string& url, const HttpLimits& limits = {});

// POSTs `body` with the given Content-Type; returns the body of a 2xx response (same limits and
// errors as http_get). Used for RFC 3161 time-stamp requests.
std::vector<uint8_t> http_post(const std::string& url, const std::string& content_type,
                               const std::vector<uint8_t>& body, const HttpLimits& limits = {});

}  // namespace veritrace::net
