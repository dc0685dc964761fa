// pwnbox::supervisor path arguments: which arguments of a syscall name files, relative to
// which dirfd, and whether the kernel follows a symlink in their last component. The table
// covers every x86_64 syscall that takes a path (core's signatures mark them kPath); calls it
// does not list explicitly fall back to "the kPath arguments, relative to the kDirFd argument
// just before them, followed".
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/syscalls.h"

namespace pwnbox::supervisor {

struct PathArg {
  int path = 0;       // argument index of the path
  int dirfd = -1;     // argument index of its dirfd; -1: relative to the cwd (AT_FDCWD)
  enum class Follow : uint8_t {
    kYes,           // always follows the final symlink
    kNo,            // never (lstat, unlink, rename, mkdir, symlink's linkpath, ...)
    kUnlessFlag,    // follows unless `bit` (default AT_SYMLINK_NOFOLLOW) is set in `flags`
    kIfFlag,        // follows only if `bit` (default AT_SYMLINK_FOLLOW) is set in `flags`
    kOpenFlags,     // open flags in argument `flags`: not with O_NOFOLLOW or O_CREAT|O_EXCL
  } follow = Follow::kYes;
  int flags = -1;     // argument holding the flags above
  // `empty_bit` (default AT_EMPTY_PATH) in `flags` makes "" (or, as the kernel accepts since
  // 6.11 for several calls, NULL) name the dirfd itself.
  bool empty_path = false;
  bool nullable = false;    // a NULL path means "the dirfd itself" (utimensat)
  uint64_t bit = 0;         // see kUnlessFlag / kIfFlag; 0: the AT_* default
  uint64_t empty_bit = 0;   // see empty_path; 0: AT_EMPTY_PATH
  // When non-zero, the argument is a path only when one of these bits is set in `flags` and
  // none of `unless_bits` (mount's source: MS_BIND or MS_MOVE, not MS_REMOUNT).
  uint64_t if_bits = 0;
  uint64_t unless_bits = 0;
};

// The path arguments of syscall `name` (x86_64 or i386 names); empty when it takes none.
// Calls with two paths (link, rename, renameat2, move_mount, pivot_root, mount with MS_BIND,
// ...) list both; symlink's target is text the kernel stores, not a path it resolves (a link
// pointing at a denied file is harmless: opening it resolves to that file, checked then).
// `abi` matters where the i386 layout differs (fanotify_mark's 64-bit mask takes two registers
// there, moving dirfd and path to arguments 4 and 5).
std::vector<PathArg> PathArgsOf(std::string_view name, core::Abi abi = core::Abi::kX86_64);

// Whether the call follows the final symlink of `arg`, given the call's raw arguments.
bool FollowsFinal(const PathArg& arg, const uint64_t args[6]);
// Whether AT_EMPTY_PATH applies to `arg`.
bool EmptyPathAllowed(const PathArg& arg, const uint64_t args[6]);
// Whether `arg` is a path in this call at all (see PathArg::if_bits).
bool IsPathInCall(const PathArg& arg, const uint64_t args[6]);

}  // namespace pwnbox::supervisor
