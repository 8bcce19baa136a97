// Output files that appear whole or not at all: written to a temporary file in the target's
// folder, then renamed over the target. Internal to the library (and the CLI).
#pragma once
#include <cstdint>
#include <span>
#include <string>

namespace veritrace {

class AtomicOutput {
 public:
  // Creates the temporary file; throws Error(Output) when the folder is not writable.
  explicit AtomicOutput(const std::string& target);
  ~AtomicOutput();  // removes the temporary file unless commit() succeeded
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  int fd() const { return fd_; }
  void write(std::span<const uint8_t> bytes);  // Error(Output) on failure
  // `durable`: fsync before the rename (when the output replaces the input, a power loss must not
  // leave neither version). Otherwise the rename alone makes the file appear whole or not at all.
  void commit(bool durable = false);

 private:
  std::string target_;
  std::string tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

void write_file_atomically(const std::string& path, std::span<const uint8_t> bytes, bool durable = false);

// Both paths name the same existing file (same device and inode).
bool same_file(const std::string& a, const std::string& b);

}  // namespace veritrace
