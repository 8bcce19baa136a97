#include "core/mapped_file.hpp"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>

#if defined(__SANITIZE_ADDRESS__)
#define VT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VT_ASAN 1
#endif
#endif

namespace veritrace::mapped {

namespace {

// This thread's current window; read by the signal handler, so plain data (static TLS: the
// library is linked statically, and the record is touched before any fault can happen).
struct CurrentWindow {
  const uint8_t* lo = nullptr;
  const uint8_t* hi = nullptr;
  const std::string* name = nullptr;
  sigjmp_buf* jump = nullptr;  // set only while guarded() runs
};
thread_local CurrentWindow t_window;

struct sigaction g_previous {};
std::mutex g_install_mutex;

void on_sigbus(int sig, siginfo_t* info, void* context) {
  CurrentWindow& w = t_window;
  if (w.jump != nullptr && info != nullptr) {
    auto* addr = static_cast<const uint8_t*>(info->si_addr);
    if (addr >= w.lo && addr < w.hi) siglongjmp(*w.jump, 1);
  }
  // Not ours: behave as if we had never installed a handler.
  if (g_previous.sa_flags & SA_SIGINFO) {
    if (g_previous.sa_sigaction != nullptr) {
      g_previous.sa_sigaction(sig, info, context);
      return;
    }
  } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    g_previous.sa_handler(sig);
    return;
  }
  const bool sent = info != nullptr && info->si_code <= 0;  // kill(), sigqueue(), tgkill()
  if (g_previous.sa_handler == SIG_IGN && sent) return;
  // The default action: for a fault, returning re-runs the access, which faults again and now
  // terminates the process; a signal that was sent is raised again.
  ::signal(sig, SIG_DFL);
  if (sent) ::raise(sig);
}

// Installs the handler, or re-installs it when someone replaced it since (then chaining to theirs).
void ensure_handler() {
  std::lock_guard<std::mutex> lock(g_install_mutex);
  struct sigaction current {};
  if (::sigaction(SIGBUS, nullptr, &current) != 0) return;
  if ((current.sa_flags & SA_SIGINFO) && current.sa_sigaction == &on_sigbus) return;
  g_previous = current;
  struct sigaction ours {};
  ours.sa_sigaction = &on_sigbus;
  ours.sa_flags = SA_SIGINFO | SA_ONSTACK;
  ::sigemptyset(&ours.sa_mask);
  ::sigaction(SIGBUS, &ours, nullptr);
}

bool compute_enabled() {
  if (const char* off = std::getenv("VERITRACE_NO_MMAP"); off != nullptr && *off != '\0') return false;
#if defined(VT_ASAN)
  // ASan lets a user SIGBUS handler replace its own only with allow_user_segv_handler (the
  // default) and handle_sigbus set to anything but 2 ("exclusive"); otherwise read with pread.
  // We cannot query the flags portably, so ask: does sigaction() actually install our handler?
  ensure_handler();
  struct sigaction current {};
  if (::sigaction(SIGBUS, nullptr, &current) != 0) return false;
  return (current.sa_flags & SA_SIGINFO) && current.sa_sigaction == &on_sigbus;
#else
  return true;
#endif
}

// The registration of one window as the thread's current one, and its mapping.
class WindowScope {
 public:
  WindowScope(void* base, size_t map_length, const uint8_t* lo, const uint8_t* hi, const std::string* name)
      : base_(base), map_length_(map_length), saved_(t_window) {
    t_window.lo = lo;
    t_window.hi = hi;
    t_window.name = name;
    t_window.jump = nullptr;
  }
  ~WindowScope() {
    t_window = saved_;
    ::munmap(base_, map_length_);
  }
  WindowScope(const WindowScope&) = delete;
  WindowScope& operator=(const WindowScope&) = delete;

 private:
  void* base_;
  size_t map_length_;
  CurrentWindow saved_;
};

}  // namespace

bool enabled() {
  static const bool on = compute_enabled();
  return on;
}

uint64_t for_each_window(int fd, uint64_t offset, uint64_t length, const std::string& name,
                         const std::function<void(uint64_t, std::span<const uint8_t>)>& fn) {
  if (fd < 0 || length == 0) return 0;
  ensure_handler();
  static const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  uint64_t done = 0;
  while (done < length) {
    const uint64_t position = offset + done;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(length - done, kWindowSize));
    const uint64_t aligned = position - position % page;
    const size_t lead = static_cast<size_t>(position - aligned);
    void* base = ::mmap(nullptr, lead + n, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, static_cast<off_t>(aligned));
    if (base == MAP_FAILED) break;
    const uint64_t next = position + n;
    if (done + n < length) {  // start reading the next window from disk while this one is hashed
      ::posix_fadvise(fd, static_cast<off_t>(next),
                      static_cast<off_t>(std::min<uint64_t>(length - done - n, kWindowSize)), POSIX_FADV_WILLNEED);
    }
    const uint8_t* data = static_cast<const uint8_t*>(base) + lead;
    {
      WindowScope scope(base, lead + n, static_cast<const uint8_t*>(base), data + n, &name);
      fn(position, std::span<const uint8_t>(data, n));
    }
    done += n;
  }
  // A file cut inside its last page reads as zeros there instead of faulting: catch that here.
  struct stat st {};
  if (done > 0 && ::fstat(fd, &st) == 0 && static_cast<uint64_t>(st.st_size) < offset + done) {
    throw Error(ErrorKind::Io, name + ": file changed while being read");
  }
  return done;
}

bool in_current_window(const void* p, size_t n) noexcept {
  const CurrentWindow& w = t_window;
  auto* b = static_cast<const uint8_t*>(p);
  return w.lo != nullptr && b >= w.lo && b <= w.hi && n <= static_cast<size_t>(w.hi - b);
}

__attribute__((noinline)) bool guarded(void (*fn)(void*), void* ctx) noexcept {
  sigjmp_buf jump;
  if (sigsetjmp(jump, 1) != 0) {
    t_window.jump = nullptr;
    return false;
  }
  t_window.jump = &jump;
  fn(ctx);
  t_window.jump = nullptr;
  return true;
}

void throw_file_changed() {
  const std::string* name = t_window.name;
  throw Error(ErrorKind::Io, (name != nullptr ? *name : std::string("input")) + ": file changed while being read");
}

}  // namespace veritrace::mapped
