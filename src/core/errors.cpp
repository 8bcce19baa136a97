#include "veritrace/core.hpp"

namespace veritrace {

ExitCode exit_code_for(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::Malformed:
    case ErrorKind::Unsupported:
    case ErrorKind::Io: return ExitCode::BadInput;
    case ErrorKind::Usage: return ExitCode::Usage;
    case ErrorKind::Key: return ExitCode::KeyProblem;
    case ErrorKind::Output: return ExitCode::OutputFailed;
    case ErrorKind::Internal: return ExitCode::Internal;
  }
  return ExitCode::Internal;
}

const char* error_kind_name(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::Malformed: return "malformed";
    case ErrorKind::Unsupported: return "unsupported";
    case ErrorKind::Io: return "io";
    case ErrorKind::Usage: return "usage";
    case ErrorKind::Key: return "key";
    case ErrorKind::Output: return "output";
    case ErrorKind::Internal: return "internal";
  }
  return "internal";
}

void throw_malformed(const std::string& message) { throw Error(ErrorKind::Malformed, message); }

}  // namespace veritrace
