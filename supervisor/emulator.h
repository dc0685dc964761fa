// pwnbox::supervisor emulation: performs a file syscall in the supervisor, on the paths the
// Decider read and resolved, so that a decision on a path is a security boundary (DESIGN.md
// decision 3): the target's memory is never read again for a checked path, and no symlink on
// the checked path is ever followed.
//
// Every path is reached through its parent directory, opened with openat2(O_PATH|O_DIRECTORY,
// RESOLVE_NO_SYMLINKS) on the canonical parent, and the call is made with the *at() form on
// the last component without following it (AT_SYMLINK_NOFOLLOW, O_NOFOLLOW, fchmodat2, or
// through an O_PATH handle of the object for truncate). When the call follows the final
// symlink, the canonical path has it resolved already; a directory swapped for a symlink after
// the check fails (ELOOP), a symlink swapped into the last component is acted on itself
// (inside the checked directory), never followed.
//
// Three steps, so that the one that may block runs on a worker thread (worker.h) (the loop
// performs the ones that cannot block itself, PerformIfQuick):
//  - PrepareEmulation (notify loop): turns the call (x86_64 or i386) and its verdict into an
//    EmulatedCall, reading the non-path inputs (utimensat times, symlink text) from the target.
//  - PerformEmulation (a worker thread acting with the target's credentials and umask): the
//    filesystem call; touches no target memory (the worker's credentials may not allow it).
//  - the loop writes `out` into the target and answers (ADDFD+SEND for `fd`, SEND otherwise).
//
// Not emulated (CanEmulate false): execve, chdir, mount, xattrs, ...: rules on them are
// advisory (docs/security.md). i386 stat/lstat/oldstat (the 32-bit struct stat) are refused
// with ENOSYS; their 64-bit forms (stat64, lstat64, fstatat64) and statx are emulated.
#pragma once

#include <sys/types.h>
#include <time.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/decoder.h"
#include "core/fd.h"
#include "supervisor/decider.h"

namespace pwnbox::supervisor {

// The errno an allowed open(O_PATH) under a path rule gets: the kernel cannot hand an O_PATH
// file to the target (SECCOMP_IOCTL_NOTIF_ADDFD's fget refuses them), and letting the call
// continue would make the kernel re-read the path after the check.
inline constexpr int kOpathErrno = ENOSYS;

struct EmulatedCall {
  enum class Op {
    kOpen, kStat, kStatx, kAccess, kReadlink, kUnlink, kRmdir, kMkdir, kMknod, kChmod, kChown,
    kTruncate, kUtimens, kSymlink, kRename, kLink
  };
  Op op = Op::kOpen;
  std::vector<ResolvedPath> paths;  // [0], and [1] for rename and link (the new name)
  uint64_t flags = 0;     // open flags; rename flags; access: AT_EACCESS; statx: sync flags
  uint64_t mode = 0;      // open/mkdir/mknod/chmod mode; access mode; statx mask
  uint64_t resolve = 0;   // openat2 RESOLVE_* flags that still apply to the last component
  uint64_t dev = 0;       // mknod
  int64_t length = 0;     // truncate
  uid_t uid = 0;          // chown (-1 keeps)
  gid_t gid = 0;
  bool has_times = false;  // utimensat: NULL times means "now"
  timespec times[2] = {};
  std::string text;       // symlink: the link's contents
  enum class StatLayout { kKernel, kI386Stat64 } stat_layout = StatLayout::kKernel;
  uint64_t out_addr = 0;  // stat/statx/readlink: the target's buffer
  uint64_t out_size = 0;  // readlink: its size
};

struct EmulationResult {
  int64_t ret = 0;        // the call's result, or -errno
  core::UniqueFd fd;      // kOpen: the file to install in the target (ret is then 0)
  bool cloexec = false;   // kOpen: O_CLOEXEC on the installed fd
  // Proxied network calls: install `fd` at this fd number of the target (replacing its socket,
  // ADDFD with SETFD) and answer `ret`; -1: install at a free number and answer it (an open).
  int install_at = -1;
  std::string out;        // bytes to copy to EmulatedCall::out_addr before answering
};

// Whether `e` creates a file (the umask applies).
bool Creates(const EmulatedCall& e);

// Whether calls of syscall `name` (x86_64 or i386 name) can be emulated.
bool CanEmulate(std::string_view name);

// Builds the emulation of `call` decided by `v` (its paths; openat2's v.open_how); with
// `redirect`, the first path is replaced by it. nullopt when the call is not emulated; an
// error carries in sys_errno() the errno to answer with (EFAULT, EINVAL, kOpathErrno, ...).
std::optional<core::Result<EmulatedCall>> PrepareEmulation(const core::SyscallCall& call,
                                                           const Verdict& v,
                                                           const std::string* redirect,
                                                           core::TargetMemory& mem);

// Performs `e`. Preconditions: the calling thread acts as the target (worker.h).
EmulationResult PerformEmulation(const EmulatedCall& e);

// Performs `e` when it cannot block: not on a network or FUSE filesystem (which a process of
// the sandbox may serve), and an open only of a regular file or a directory (checked on the
// object opened: the open is made with O_NONBLOCK, which is cleared afterwards, so a FIFO
// swapped in meanwhile does not block either). nullopt: `e` must go to a worker. For the notify
// loop, when the target's credentials are the supervisor's own and `e` creates nothing (the
// loop's umask is not the target's).
std::optional<EmulationResult> PerformIfQuick(const EmulatedCall& e);

}  // namespace pwnbox::supervisor
