#include "binding/hash_plan.hpp"

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

}  // namespace veritrace::binding
