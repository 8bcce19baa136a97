// Veritrace core: error kinds, exit codes and the byte sources every parser reads from.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace veritrace {

// What went wrong, independent of where. Each kind maps to one documented exit code.
enum class ErrorKind {
  Malformed,    // input bytes do not follow their format (exit 3)
  Unsupported,  // a format or feature we do not handle (exit 3)
  Io,           // input cannot be opened or read (exit 3)
  Usage,        // bad flags or arguments (exit 2)
  Key,          // key or certificate problem (exit 5)
  Output,       // output cannot be written (exit 6)
  Internal,     // a bug of ours (exit 4)
};

// Process exit codes, one set for every command (docs/exit-codes.md).
enum class ExitCode : int {
  Ok = 0,
  CheckFailed = 1,
  Usage = 2,
  BadInput = 3,
  Internal = 4,
  KeyProblem = 5,
  OutputFailed = 6,
};

ExitCode exit_code_for(ErrorKind kind) noexcept;
const char* error_kind_name(ErrorKind kind) noexcept;

// The one exception type the library throws. Carries a kind and a message with context.
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

[[noreturn]] void throw_malformed(const std::string& message);

// Random access to untrusted bytes: a file (read with pread, never loaded whole) or memory.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  // Reads exactly out.size() bytes at offset; throws Error(Malformed) past the end, Error(Io) on
  // read failure.
  virtual void read_at(uint64_t offset, std::span<uint8_t> out) const = 0;
  std::vector<uint8_t> read_vector(uint64_t offset, uint64_t length) const;
  // The bytes themselves when the source is memory (no copy needed), else nullptr.
  virtual const uint8_t* contiguous_data() const { return nullptr; }
  std::string name() const { return name_; }

 protected:
  std::string name_;
};

std::unique_ptr<ByteSource> open_file_source(const std::string& path);
std::unique_ptr<ByteSource> make_memory_source(std::vector<uint8_t> bytes, std::string name = "<memory>");
// Views caller-owned memory; the span must outlive the source.
std::unique_ptr<ByteSource> make_span_source(std::span<const uint8_t> bytes, std::string name = "<memory>");

}  // namespace veritrace
