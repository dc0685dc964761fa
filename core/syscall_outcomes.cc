// The default outcomes of common fallible syscalls (see syscall_outcomes.h). Errors are the
// run-time ones of each man page's ERRORS section (Linux man-pages 6.x).
#include "core/syscall_outcomes.h"

#include <algorithm>
#include <string_view>

namespace pwnbox::core {
namespace {

constexpr bool S = true;  // short
constexpr bool E = true;  // eof
constexpr bool I = true;  // eintr
constexpr bool _ = false;

constexpr SyscallOutcomes kTable[] = {
    {"accept", "EAGAIN ECONNABORTED EMFILE ENFILE ENOBUFS ENOMEM EPERM", _, _, I},
    {"accept4", "EAGAIN ECONNABORTED EMFILE ENFILE ENOBUFS ENOMEM EPERM", _, _, I},
    {"access", "ENOENT EACCES ENOTDIR ELOOP EROFS", _, _, _},
    {"bind", "EADDRINUSE EACCES EADDRNOTAVAIL ENOMEM", _, _, _},
    {"brk", "ENOMEM", _, _, _},
    {"chdir", "ENOENT EACCES ENOTDIR ELOOP", _, _, _},
    {"chmod", "EPERM EACCES ENOENT EROFS", _, _, _},
    {"chown", "EPERM EACCES ENOENT EROFS", _, _, _},
    {"clock_nanosleep", "", _, _, I},
    {"clone", "EAGAIN ENOMEM", _, _, _},
    {"clone3", "EAGAIN ENOMEM", _, _, _},
    // No eintr: Linux releases the fd even when close fails with EINTR; an interruption before
    // the call did anything (the eintr outcome) would leave it open, which never happens.
    {"close", "EIO ENOSPC EDQUOT", _, _, _},
    {"connect", "ECONNREFUSED ETIMEDOUT ENETUNREACH EHOSTUNREACH EACCES EADDRNOTAVAIL EAGAIN", _, _,
     I},
    {"creat", "ENOENT EACCES EMFILE ENFILE ENOSPC EDQUOT EROFS EISDIR ENOTDIR ETXTBSY", _, _, I},
    {"dup", "EMFILE", _, _, _},
    {"dup2", "EMFILE EBUSY", _, _, _},
    {"dup3", "EMFILE EBUSY", _, _, _},
    {"epoll_create1", "EMFILE ENFILE ENOMEM", _, _, _},
    {"epoll_pwait", "", _, _, I},
    {"epoll_wait", "", _, _, I},
    {"eventfd2", "EMFILE ENFILE ENOMEM", _, _, _},
    {"execve", "ENOENT EACCES ENOEXEC ENOMEM E2BIG ETXTBSY ELOOP EPERM", _, _, _},
    {"execveat", "ENOENT EACCES ENOEXEC ENOMEM E2BIG ETXTBSY ELOOP EPERM", _, _, _},
    {"fchmod", "EPERM EROFS", _, _, _},
    {"fchown", "EPERM EROFS", _, _, _},
    {"fdatasync", "EIO ENOSPC EDQUOT", _, _, _},
    {"flock", "EWOULDBLOCK ENOLCK", _, _, I},
    {"fork", "EAGAIN ENOMEM", _, _, _},
    {"fstat", "EIO ENOMEM EOVERFLOW", _, _, _},
    {"fsync", "EIO ENOSPC EDQUOT", _, _, _},
    {"ftruncate", "EIO EFBIG EPERM", _, _, I},
    {"getcwd", "ENOENT ERANGE", _, _, _},
    {"getdents64", "ENOENT EIO", _, _, _},
    {"getrandom", "EAGAIN ENOSYS", _, _, I},
    {"ioctl", "ENOTTY", _, _, _},
    {"link", "EEXIST EACCES ENOENT ENOSPC EDQUOT EROFS EPERM EMLINK EXDEV", _, _, _},
    {"linkat", "EEXIST EACCES ENOENT ENOSPC EDQUOT EROFS EPERM EMLINK EXDEV", _, _, _},
    {"listen", "EADDRINUSE", _, _, _},
    {"lseek", "ESPIPE EOVERFLOW", _, _, _},
    {"lstat", "ENOENT EACCES ENOTDIR ELOOP ENOMEM EOVERFLOW", _, _, _},
    {"memfd_create", "EMFILE ENFILE ENOMEM", _, _, _},
    {"mkdir", "EEXIST ENOENT EACCES ENOSPC EDQUOT EROFS EMLINK", _, _, _},
    {"mkdirat", "EEXIST ENOENT EACCES ENOSPC EDQUOT EROFS EMLINK", _, _, _},
    {"mmap", "ENOMEM EACCES EAGAIN ENODEV", _, _, _},
    {"mprotect", "ENOMEM EACCES", _, _, _},
    {"munmap", "ENOMEM", _, _, _},
    {"nanosleep", "", _, _, I},
    {"newfstatat", "ENOENT EACCES ENOTDIR ELOOP ENOMEM EOVERFLOW", _, _, _},
    {"open", "ENOENT EACCES EMFILE ENFILE ENOSPC EDQUOT EROFS EISDIR ELOOP ENOTDIR ENOMEM ETXTBSY",
     _, _, I},
    {"openat",
     "ENOENT EACCES EMFILE ENFILE ENOSPC EDQUOT EROFS EISDIR ELOOP ENOTDIR ENOMEM ETXTBSY", _, _,
     I},
    {"openat2",
     "ENOENT EACCES EMFILE ENFILE ENOSPC EDQUOT EROFS EISDIR ELOOP ENOTDIR ENOMEM "
     "ETXTBSY EAGAIN EXDEV",
     _, _, I},
    {"pipe", "EMFILE ENFILE", _, _, _},
    {"pipe2", "EMFILE ENFILE", _, _, _},
    {"poll", "ENOMEM", _, _, I},
    {"ppoll", "ENOMEM", _, _, I},
    {"pread64", "EIO", S, E, I},
    {"preadv", "EIO", _, E, I},
    {"pselect6", "ENOMEM", _, _, I},
    {"pwrite64", "EIO ENOSPC EDQUOT EFBIG", S, _, I},
    {"pwritev", "EIO ENOSPC EDQUOT EFBIG", _, _, I},
    {"read", "EIO EAGAIN", S, E, I},
    {"readlink", "ENOENT EACCES EINVAL ENOTDIR ELOOP", _, _, _},
    {"readlinkat", "ENOENT EACCES EINVAL ENOTDIR ELOOP", _, _, _},
    {"readv", "EIO EAGAIN", _, E, I},
    {"recvfrom", "EAGAIN ECONNREFUSED ECONNRESET ENOMEM", S, E, I},
    {"recvmsg", "EAGAIN ECONNREFUSED ECONNRESET ENOMEM", _, E, I},
    {"rename", "EACCES EBUSY ENOENT ENOSPC EDQUOT ENOTEMPTY EXDEV EROFS EISDIR EMLINK", _, _, _},
    {"renameat", "EACCES EBUSY ENOENT ENOSPC EDQUOT ENOTEMPTY EXDEV EROFS EISDIR EMLINK", _, _, _},
    {"renameat2", "EACCES EBUSY EEXIST ENOENT ENOSPC EDQUOT ENOTEMPTY EXDEV EROFS EISDIR EMLINK", _,
     _, _},
    {"rmdir", "ENOENT EACCES EBUSY ENOTEMPTY EROFS", _, _, _},
    {"select", "ENOMEM", _, _, I},
    {"sendfile", "EIO EAGAIN ENOMEM", _, _, _},
    {"sendmsg", "EAGAIN ECONNRESET EPIPE ENOBUFS ENOMEM EACCES", _, _, I},
    {"sendto", "EAGAIN ECONNRESET EPIPE ENOBUFS ENOMEM EACCES", S, _, I},
    {"socket", "EACCES EAFNOSUPPORT EMFILE ENFILE ENOBUFS ENOMEM EPROTONOSUPPORT", _, _, _},
    {"socketpair", "EMFILE ENFILE", _, _, _},
    {"stat", "ENOENT EACCES ENOTDIR ELOOP ENOMEM EOVERFLOW", _, _, _},
    {"statx", "ENOENT EACCES ENOTDIR ELOOP ENOMEM", _, _, _},
    {"symlink", "EEXIST EACCES ENOENT ENOSPC EDQUOT EROFS", _, _, _},
    {"symlinkat", "EEXIST EACCES ENOENT ENOSPC EDQUOT EROFS", _, _, _},
    {"truncate", "ENOENT EACCES EIO EFBIG EROFS", _, _, I},
    {"unlink", "ENOENT EACCES EBUSY EPERM EROFS EISDIR", _, _, _},
    {"unlinkat", "ENOENT EACCES EBUSY EPERM EROFS EISDIR ENOTEMPTY", _, _, _},
    {"vfork", "EAGAIN ENOMEM", _, _, _},
    {"wait4", "ECHILD", _, _, I},
    {"waitid", "ECHILD", _, _, I},
    {"write", "EIO ENOSPC EDQUOT EFBIG EPIPE EAGAIN", S, _, I},
    {"writev", "EIO ENOSPC EDQUOT EFBIG EPIPE EAGAIN", _, _, I},
};

constexpr bool Sorted() {
  for (size_t i = 1; i < std::size(kTable); ++i)
    if (!(std::string_view(kTable[i - 1].syscall) < std::string_view(kTable[i].syscall)))
      return false;
  return true;
}
static_assert(Sorted(), "kTable must be sorted by syscall name, without duplicates");

}  // namespace

std::span<const SyscallOutcomes> AllSyscallOutcomes() { return kTable; }

const SyscallOutcomes* FindSyscallOutcomes(std::string_view syscall) {
  const auto* it = std::lower_bound(
      std::begin(kTable), std::end(kTable), syscall,
      [](const SyscallOutcomes& e, std::string_view n) { return std::string_view(e.syscall) < n; });
  return it != std::end(kTable) && it->syscall == syscall ? it : nullptr;
}

std::vector<std::string> DefaultOutcomes(std::string_view syscall) {
  std::vector<std::string> out;
  const SyscallOutcomes* e = FindSyscallOutcomes(syscall);
  if (e == nullptr) return out;
  std::string_view errors = e->errors;
  while (!errors.empty()) {
    const size_t sp = errors.find(' ');
    out.emplace_back(errors.substr(0, sp));
    errors = sp == std::string_view::npos ? std::string_view() : errors.substr(sp + 1);
  }
  if (e->short_io) out.emplace_back("short");
  if (e->eof) out.emplace_back("eof");
  if (e->eintr) out.emplace_back("eintr");
  return out;
}

}  // namespace pwnbox::core
