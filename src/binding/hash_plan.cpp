#include "binding/hash_plan.hpp"

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "binding/binding_internal.hpp"
#include "binding/bmff_hash.hpp"

namespace veritrace::binding {

HashPlan data_hash_plan(uint64_t size, const std::vector<ByteRange>& exclusions, HashAlg alg) {
  HashPlan plan;
  plan.alg = alg;
  try {
    plan.steps = detail::hash_steps(size, exclusions, {}, "assertion.dataHash.mismatch");
  } catch (const detail::BindingFailure& f) {
    throw Error(ErrorKind::Malformed, "data hash: " + f.explanation);
  }
  return plan;
}

HashPlan bmff_hash_plan(const cbor::Value& assertion, int version, const ByteSource& src, HashAlg alg) {
  HashPlan plan;
  plan.alg = alg;
  try {
    plan.steps = detail::bmff_hash_steps(assertion, version, src);
  } catch (const detail::BindingFailure& f) {
    throw Error(ErrorKind::Malformed, "BMFF hash: " + f.explanation);
  }
  return plan;
}

StreamingPlanHasher::StreamingPlanHasher(const HashPlan& plan) : plan_(plan), hasher_(plan.alg) {}

void StreamingPlanHasher::consume(uint64_t position, std::span<const uint8_t> bytes) {
  if (position != expected_position_) throw Error(ErrorKind::Internal, "hash plan fed out of order");
  const uint64_t end = position + bytes.size();
  expected_position_ = end;
  while (next_step_ < plan_.steps.size()) {
    const HashStep& step = plan_.steps[next_step_];
    if (step.marker) {
      if (step.first >= end) return;  // its box starts in a later chunk
      uint8_t be[8];
      for (int i = 0; i < 8; ++i) be[i] = static_cast<uint8_t>(step.first >> (56 - 8 * i));
      hasher_.update(be);
      ++next_step_;
      continue;
    }
    if (step.first >= end) return;
    uint64_t from = std::max(step.first, position);
    uint64_t to = std::min(step.last + 1, end);  // exclusive
    if (from < to) hasher_.update(bytes.subspan(static_cast<size_t>(from - position), static_cast<size_t>(to - from)));
    if (step.last + 1 > end) return;  // the step goes on in the next chunk
    ++next_step_;
  }
}

std::vector<uint8_t> StreamingPlanHasher::finish() {
  if (next_step_ != plan_.steps.size()) throw Error(ErrorKind::Internal, "hash plan not completed by the output");
  return hasher_.finish();
}

struct ParallelPlanHasher::State {
  struct Chunk {
    uint64_t position = 0;
    std::vector<uint8_t> bytes;
  };
  static constexpr size_t kMaxPending = 3;

  explicit State(const HashPlan& plan) : hasher(plan) {}

  StreamingPlanHasher hasher;
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<Chunk> pending;
  std::vector<std::vector<uint8_t>> spare;  // recycled buffers
  bool closing = false;
  std::exception_ptr error;
  std::thread worker;

  void run() {
    while (true) {
      Chunk chunk;
      {
        std::unique_lock<std::mutex> lock(mutex);
        changed.wait(lock, [this] { return !pending.empty() || closing; });
        if (pending.empty()) return;
        chunk = std::move(pending.front());
        pending.pop_front();
      }
      changed.notify_all();
      try {
        if (!error) hasher.consume(chunk.position, chunk.bytes);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        error = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(mutex);
      spare.push_back(std::move(chunk.bytes));
    }
  }
};

ParallelPlanHasher::ParallelPlanHasher(const HashPlan& plan) : state_(std::make_unique<State>(plan)) {
  state_->worker = std::thread([s = state_.get()] { s->run(); });
}

ParallelPlanHasher::~ParallelPlanHasher() {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->closing = true;
  }
  state_->changed.notify_all();
  if (state_->worker.joinable()) state_->worker.join();
}

void ParallelPlanHasher::consume(uint64_t position, std::span<const uint8_t> bytes) {
  State& s = *state_;
  std::vector<uint8_t> buffer;
  {
    std::unique_lock<std::mutex> lock(s.mutex);
    s.changed.wait(lock, [&s] { return s.pending.size() < State::kMaxPending; });
    if (!s.spare.empty()) {
      buffer = std::move(s.spare.back());
      s.spare.pop_back();
    }
  }
  buffer.assign(bytes.begin(), bytes.end());
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.pending.push_back({position, std::move(buffer)});
  }
  s.changed.notify_all();
}

std::vector<uint8_t> ParallelPlanHasher::finish() {
  State& s = *state_;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.closing = true;
  }
  s.changed.notify_all();
  s.worker.join();
  if (s.error) std::rethrow_exception(s.error);
  return s.hasher.finish();
}

}  // namespace veritrace::binding
