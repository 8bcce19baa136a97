// Zero-copy reading of regular files through mmap windows, safe against the file shrinking while
// it is mapped. Internal to the library.
//
// Touching a mapped page past the (new) end of a file raises SIGBUS. We install one SIGBUS handler
// (chained to any handler already installed). A fault is turned into an error only when it hits
// the window this thread is walking *and* the access runs inside mapped::guarded(); there the
// handler siglongjmps back into guarded(), which returns false, and the caller throws
// Error(Io) "file changed while being read" from an ordinary frame. Any other SIGBUS goes to the
// previous handler (or the default action), as if we had installed nothing.
//
// Rules for code that reads window bytes: only inside guarded() (the Hasher does this by itself
// when the bytes it is given lie in the current window), and the function run there must not own
// C++ objects with destructors across the access (it is left by siglongjmp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "veritrace/core.hpp"

namespace veritrace::mapped {

// The descriptor of a source made by open_file_source (a regular file), else -1. The source keeps
// ownership.
int file_descriptor(const ByteSource& source);

// False in builds where mapping is switched off: under AddressSanitizer when ASan handles SIGBUS
// itself, or when the environment variable VERITRACE_NO_MMAP is set (for A/B measurements).
bool enabled();

// Ranges shorter than this are read with pread: mapping costs a few syscalls and page-table work.
inline constexpr uint64_t kMinMappedLength = uint64_t{1} << 20;
inline constexpr size_t kWindowSize = size_t{16} << 20;

// Walks [offset, offset + length) of the regular file `fd`, in windows of kWindowSize bytes
// (the kernel is asked to read the next window ahead while this one is used). For each window,
// fn(file_position, bytes) runs with the window registered as this thread's current window, so
// Hasher::update over those bytes is guarded. Returns how many bytes were walked: less than
// `length` only when a mapping fails (the caller reads the rest another way). Throws
// Error(Io, "<name>: file changed while being read") when the file is found shorter than
// offset + length after the walk. Exceptions thrown by fn propagate (the window is unmapped).
uint64_t for_each_window(int fd, uint64_t offset, uint64_t length, const std::string& name,
                         const std::function<void(uint64_t, std::span<const uint8_t>)>& fn);

// True when [p, p + n) lies inside this thread's current window.
bool in_current_window(const void* p, size_t n) noexcept;

// Runs fn(ctx). A SIGBUS at an address inside this thread's current window, while fn runs, ends fn
// (by siglongjmp) and makes guarded() return false; otherwise returns true.
bool guarded(void (*fn)(void*), void* ctx) noexcept;

// The Error(Io) thrown when a guarded access faulted: "<name of the current window's file>: file
// changed while being read".
[[noreturn]] void throw_file_changed();

}  // namespace veritrace::mapped
