// A hard binding's hash as a plan: the output ranges it covers, in order, and the BMFF box-offset
// markers c2pa-rs mixes in. The signer runs the plan while it writes the output, so the file is
// read and hashed in one pass. Internal to the library.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "cbor/cbor.hpp"
#include "core/hash.hpp"

namespace veritrace::binding {

struct HashStep {
  bool marker = false;  // true: hash the 8-byte big-endian value of `first`; false: bytes [first, last]
  uint64_t first = 0;
  uint64_t last = 0;
};

struct HashPlan {
  HashAlg alg = HashAlg::Sha256;
  std::vector<HashStep> steps;  // sorted by position
};

// c2pa.hash.data: everything but the exclusions.
HashPlan data_hash_plan(uint64_t size, const std::vector<ByteRange>& exclusions, HashAlg alg);
// c2pa.hash.bmff.v2/v3: the assertion's exclusions resolved on `src` (only box headers are read).
// Throws Error(Malformed) when the boxes cannot be walked.
HashPlan bmff_hash_plan(const cbor::Value& assertion, int version, const ByteSource& src, HashAlg alg);

// Runs a plan over bytes that arrive in file order (any chunking).
class StreamingPlanHasher {
 public:
  explicit StreamingPlanHasher(const HashPlan& plan);
  // `bytes` are the file's bytes at [position, position + size); calls must be contiguous.
  void consume(uint64_t position, std::span<const uint8_t> bytes);
  std::vector<uint8_t> finish();

 private:
  const HashPlan& plan_;
  Hasher hasher_;
  size_t next_step_ = 0;
  uint64_t expected_position_ = 0;
};

// The same on a second thread: consume() copies each chunk into a small queue (at most a few
// chunks in flight) and returns, so hashing overlaps with the caller's reading and writing.
// Worth it for large outputs only (a thread and a copy per chunk).
class ParallelPlanHasher {
 public:
  explicit ParallelPlanHasher(const HashPlan& plan);
  ~ParallelPlanHasher();
  ParallelPlanHasher(const ParallelPlanHasher&) = delete;
  ParallelPlanHasher& operator=(const ParallelPlanHasher&) = delete;
  void consume(uint64_t position, std::span<const uint8_t> bytes);
  // Waits for the queue to drain; rethrows an error of the hashing thread.
  std::vector<uint8_t> finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace veritrace::binding
