// pwnbox::supervisor path arguments: which arguments of a syscall name files, relative to
// which dirfd, and whether the kernel follows a symlink in their last component. The table
// covers every x86_64 syscall that takes a path (core's signatures mark them kPath); calls it
// does not list explicitly fall back to "the kPath arguments, relative to the kDirFd argument
// just before them, followed".
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace pwnbox::supervisor {

struct PathArg {
  int path = 0;       // argument index of the path
  int dirfd = -1;     // argument index of its dirfd; -1: relative to the cwd (AT_FDCWD)
  enum class Follow : uint8_t {
    kYes,           // always follows the final symlink
    kNo,            // never (lstat, unlink, rename, mkdir, symlink's linkpath, ...)
    kUnlessFlag,    // follows unless AT_SYMLINK_NOFOLLOW is set in argument `flags`
    kIfFlag,        // follows only if AT_SYMLINK_FOLLOW is set in argument `flags` (linkat)
    kOpenFlags,     // open flags in argument `flags`: not with O_NOFOLLOW or O_CREAT|O_EXCL
  } follow = Follow::kYes;
  int flags = -1;     // argument holding the flags above
  bool empty_path = false;  // AT_EMPTY_PATH in `flags` makes "" name the dirfd itself
  bool nullable = false;    // a NULL path means "the dirfd itself" (utimensat)
};

// The path arguments of syscall `name` (x86_64 or i386 names); empty when it takes none.
std::vector<PathArg> PathArgsOf(std::string_view name);

// Whether the call follows the final symlink of `arg`, given the call's raw arguments.
bool FollowsFinal(const PathArg& arg, const uint64_t args[6]);
// Whether AT_EMPTY_PATH applies to `arg`.
bool EmptyPathAllowed(const PathArg& arg, const uint64_t args[6]);

}  // namespace pwnbox::supervisor
