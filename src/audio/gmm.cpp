// Diagonal-covariance Gaussian mixtures: scoring (the ASVspoof GMM reference) and a small EM fit.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <random>

#include "veritrace/audio.hpp"
#include "veritrace/core.hpp"

namespace veritrace::audio {

namespace {

double log_sum_exp(const std::vector<double>& v) {
  const double m = *std::max_element(v.begin(), v.end());
  if (!std::isfinite(m)) return m;
  double s = 0.0;
  for (double x : v) s += std::exp(x - m);
  return m + std::log(s);
}

std::vector<double> numbers(const nlohmann::json& j, size_t n, const char* what) {
  if (!j.is_array() || j.size() != n) throw Error(ErrorKind::Malformed, fmt::format("GMM: {} must have {} values", what, n));
  std::vector<double> v;
  for (const auto& x : j) {
    if (!x.is_number()) throw Error(ErrorKind::Malformed, fmt::format("GMM: {} must be numbers", what));
    v.push_back(x.get<double>());
  }
  return v;
}

}  // namespace

void Gmm::prepare() {
  const size_t k = log_weights_.size();
  inv_var_.resize(variances_.size());
  log_norm_.assign(k, 0.0);
  for (size_t c = 0; c < k; ++c) {
    double s = 0.0;
    for (int d = 0; d < dims_; ++d) {
      const double v = variances_[c * dims_ + d];
      inv_var_[c * dims_ + d] = 1.0 / v;
      s += std::log(2.0 * std::numbers::pi * v);
    }
    log_norm_[c] = log_weights_[c] - 0.5 * s;
  }
}

Gmm Gmm::from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("weights") || !j.contains("means") || !j.contains("variances"))
    throw Error(ErrorKind::Malformed, "GMM: needs weights, means and variances");
  const auto& w = j["weights"];
  if (!w.is_array() || w.empty() || w.size() > 4096) throw Error(ErrorKind::Malformed, "GMM: 1 to 4096 components");
  const size_t k = w.size();
  const auto weights = numbers(w, k, "weights");
  if (!j["means"].is_array() || j["means"].size() != k || !j["means"][0].is_array())
    throw Error(ErrorKind::Malformed, "GMM: one mean vector per component");
  const size_t dims = j["means"][0].size();
  if (dims == 0 || dims > 1024) throw Error(ErrorKind::Malformed, "GMM: 1 to 1024 dimensions");
  if (!j["variances"].is_array() || j["variances"].size() != k)
    throw Error(ErrorKind::Malformed, "GMM: one variance vector per component");
  Gmm g;
  g.dims_ = static_cast<int>(dims);
  for (size_t c = 0; c < k; ++c) {
    if (!(weights[c] > 0.0) || !std::isfinite(weights[c])) throw Error(ErrorKind::Malformed, "GMM: weights must be positive");
    g.log_weights_.push_back(std::log(weights[c]));
    for (double m : numbers(j["means"][c], dims, "a mean")) {
      if (!std::isfinite(m)) throw Error(ErrorKind::Malformed, "GMM: means must be finite");
      g.means_.push_back(m);
    }
    for (double v : numbers(j["variances"][c], dims, "a variance")) {
      if (!(v > 0.0) || !std::isfinite(v)) throw Error(ErrorKind::Malformed, "GMM: variances must be positive");
      g.variances_.push_back(v);
    }
  }
  g.prepare();
  return g;
}

nlohmann::json Gmm::to_json() const {
  nlohmann::json w = nlohmann::json::array(), m = nlohmann::json::array(), v = nlohmann::json::array();
  for (size_t c = 0; c < log_weights_.size(); ++c) {
    w.push_back(std::exp(log_weights_[c]));
    m.push_back(std::vector<double>(means_.begin() + c * dims_, means_.begin() + (c + 1) * dims_));
    v.push_back(std::vector<double>(variances_.begin() + c * dims_, variances_.begin() + (c + 1) * dims_));
  }
  return {{"weights", w}, {"means", m}, {"variances", v}};
}

double Gmm::log_likelihood(const float* x) const {
  const size_t k = log_norm_.size();
  thread_local std::vector<double> terms;
  terms.resize(k);
  for (size_t c = 0; c < k; ++c) {
    const double* mu = &means_[c * dims_];
    const double* iv = &inv_var_[c * dims_];
    double q = 0.0;
    for (int d = 0; d < dims_; ++d) {
      const double e = x[d] - mu[d];
      q += e * e * iv[d];
    }
    terms[c] = log_norm_[c] - 0.5 * q;
  }
  return log_sum_exp(terms);
}

Gmm Gmm::fit(std::span<const float> data, int dims, int components, int iterations, uint64_t seed) {
  if (dims <= 0 || components <= 0 || data.size() % static_cast<size_t>(dims) != 0)
    throw Error(ErrorKind::Usage, "GMM fit: data is not a whole number of vectors");
  const size_t n = data.size() / dims;
  if (n < static_cast<size_t>(components)) throw Error(ErrorKind::Usage, "GMM fit: fewer vectors than components");
  const size_t k = static_cast<size_t>(components);
  // Per-dimension data variance: the floor, and the starting variances.
  std::vector<double> mean(dims, 0.0), var(dims, 0.0);
  for (size_t i = 0; i < n; ++i)
    for (int d = 0; d < dims; ++d) mean[d] += data[i * dims + d];
  for (auto& m : mean) m /= static_cast<double>(n);
  for (size_t i = 0; i < n; ++i)
    for (int d = 0; d < dims; ++d) var[d] += std::pow(data[i * dims + d] - mean[d], 2);
  for (auto& v : var) v = std::max(v / static_cast<double>(n), 1e-12);
  // k-means++ style start: each next mean drawn with probability proportional to the squared
  // distance from the nearest chosen one.
  std::mt19937_64 rng(seed);
  Gmm g;
  g.dims_ = dims;
  std::vector<double> nearest(n, std::numeric_limits<double>::infinity());
  size_t pick = std::uniform_int_distribution<size_t>(0, n - 1)(rng);
  for (size_t c = 0; c < k; ++c) {
    for (int d = 0; d < dims; ++d) g.means_.push_back(data[pick * dims + d]);
    double total = 0.0;
    for (size_t i = 0; i < n; ++i) {
      double q = 0.0;
      for (int d = 0; d < dims; ++d) q += std::pow(data[i * dims + d] - g.means_[c * dims + d], 2) / var[d];
      nearest[i] = std::min(nearest[i], q);
      total += nearest[i];
    }
    double r = std::uniform_real_distribution<double>(0.0, total)(rng);
    pick = 0;
    for (size_t i = 0; i < n; ++i) {
      r -= nearest[i];
      if (r <= 0.0) {
        pick = i;
        break;
      }
    }
  }
  g.log_weights_.assign(k, -std::log(static_cast<double>(k)));
  g.variances_.clear();
  for (size_t c = 0; c < k; ++c) g.variances_.insert(g.variances_.end(), var.begin(), var.end());
  g.prepare();
  std::vector<double> resp(n * k);
  for (int it = 0; it < iterations; ++it) {
    // E step: responsibilities.
    std::vector<double> terms(k);
    for (size_t i = 0; i < n; ++i) {
      const float* x = &data[i * dims];
      for (size_t c = 0; c < k; ++c) {
        double q = 0.0;
        for (int d = 0; d < dims; ++d) q += std::pow(x[d] - g.means_[c * dims + d], 2) * g.inv_var_[c * dims + d];
        terms[c] = g.log_norm_[c] - 0.5 * q;
      }
      const double lse = log_sum_exp(terms);
      for (size_t c = 0; c < k; ++c) resp[i * k + c] = std::exp(terms[c] - lse);
    }
    // M step.
    for (size_t c = 0; c < k; ++c) {
      double nk = 0.0;
      for (size_t i = 0; i < n; ++i) nk += resp[i * k + c];
      nk = std::max(nk, 1e-9);
      for (int d = 0; d < dims; ++d) {
        double m = 0.0;
        for (size_t i = 0; i < n; ++i) m += resp[i * k + c] * data[i * dims + d];
        m /= nk;
        double v = 0.0;
        for (size_t i = 0; i < n; ++i) v += resp[i * k + c] * std::pow(data[i * dims + d] - m, 2);
        g.means_[c * dims + d] = m;
        g.variances_[c * dims + d] = std::max(v / nk, 1e-3 * var[d]);
      }
      g.log_weights_[c] = std::log(std::max(nk / static_cast<double>(n), 1e-12));
    }
    g.prepare();
  }
  return g;
}

GmmPair GmmPair::from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("classes") || !j["classes"].contains("bonafide") || !j["classes"].contains("spoof"))
    throw Error(ErrorKind::Malformed, "GMM pair: needs classes.bonafide and classes.spoof");
  GmmPair p;
  p.name = j.value("name", "gmm");
  p.version = j.value("version", "1");
  p.bonafide = Gmm::from_json(j["classes"]["bonafide"]);
  p.spoof = Gmm::from_json(j["classes"]["spoof"]);
  if (p.bonafide.dims() != p.spoof.dims()) throw Error(ErrorKind::Malformed, "GMM pair: the two classes differ in dimensions");
  return p;
}

std::optional<double> GmmPair::score(const Features& f, std::span<const uint8_t> speech) const {
  if (f.rows != bonafide.dims()) throw Error(ErrorKind::Usage, "GMM pair: feature rows do not match the model");
  std::vector<float> frame(f.rows);
  double sum = 0.0;
  int used = 0;
  for (int t = 0; t < f.frames; ++t) {
    if (t >= static_cast<int>(speech.size()) || !speech[t]) continue;
    for (int r = 0; r < f.rows; ++r) frame[r] = f.at(r, t);
    sum += spoof.log_likelihood(frame.data()) - bonafide.log_likelihood(frame.data());
    ++used;
  }
  if (used == 0) return std::nullopt;
  return sum / used;
}

}  // namespace veritrace::audio
