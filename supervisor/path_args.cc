#include "supervisor/path_args.h"

#include <fcntl.h>

#include <string>

#include "core/syscalls.h"

namespace pwnbox::supervisor {
namespace {

using F = PathArg::Follow;

struct Entry {
  const char* name;
  std::vector<PathArg> args;
};

const std::vector<Entry>& Table() {
  static const std::vector<Entry> table = {
      {"open", {{0, -1, F::kOpenFlags, 1}}},
      {"creat", {{0, -1, F::kYes}}},
      {"openat", {{1, 0, F::kOpenFlags, 2}}},
      {"openat2", {{1, 0, F::kYes}}},  // follow decided from struct open_how by the emulator
      {"stat", {{0, -1, F::kYes}}},
      {"stat64", {{0, -1, F::kYes}}},
      {"lstat", {{0, -1, F::kNo}}},
      {"lstat64", {{0, -1, F::kNo}}},
      {"newfstatat", {{1, 0, F::kUnlessFlag, 3, true}}},
      {"fstatat64", {{1, 0, F::kUnlessFlag, 3, true}}},
      {"statx", {{1, 0, F::kUnlessFlag, 2, true}}},
      {"access", {{0, -1, F::kYes}}},
      {"faccessat", {{1, 0, F::kYes}}},
      {"faccessat2", {{1, 0, F::kUnlessFlag, 3, true}}},
      {"readlink", {{0, -1, F::kNo}}},
      {"readlinkat", {{1, 0, F::kNo, -1}}},
      {"unlink", {{0, -1, F::kNo}}},
      {"unlinkat", {{1, 0, F::kNo}}},
      {"rmdir", {{0, -1, F::kNo}}},
      {"mkdir", {{0, -1, F::kNo}}},
      {"mkdirat", {{1, 0, F::kNo}}},
      {"mknod", {{0, -1, F::kNo}}},
      {"mknodat", {{1, 0, F::kNo}}},
      {"rename", {{0, -1, F::kNo}, {1, -1, F::kNo}}},
      {"renameat", {{1, 0, F::kNo}, {3, 2, F::kNo}}},
      {"renameat2", {{1, 0, F::kNo}, {3, 2, F::kNo}}},
      {"link", {{0, -1, F::kNo}, {1, -1, F::kNo}}},
      {"linkat", {{1, 0, F::kIfFlag, 4, true}, {3, 2, F::kNo}}},
      {"symlink", {{1, -1, F::kNo}}},      // the target (arg 0) is only text
      {"symlinkat", {{2, 1, F::kNo}}},
      {"chmod", {{0, -1, F::kYes}}},
      {"fchmodat", {{1, 0, F::kYes}}},
      {"chown", {{0, -1, F::kYes}}},
      {"lchown", {{0, -1, F::kNo}}},
      {"fchownat", {{1, 0, F::kUnlessFlag, 4, true}}},
      {"truncate", {{0, -1, F::kYes}}},
      {"utime", {{0, -1, F::kYes}}},
      {"utimes", {{0, -1, F::kYes}}},
      {"futimesat", {{1, 0, F::kYes}}},
      {"utimensat", {{1, 0, F::kUnlessFlag, 3, false, true}}},
      {"execve", {{0, -1, F::kYes}}},
      {"execveat", {{1, 0, F::kUnlessFlag, 4, true}}},
      {"lgetxattr", {{0, -1, F::kNo}}},
      {"lsetxattr", {{0, -1, F::kNo}}},
      {"llistxattr", {{0, -1, F::kNo}}},
      {"lremovexattr", {{0, -1, F::kNo}}},
      {"name_to_handle_at", {{1, 0, F::kIfFlag, 4, true}}},
  };
  return table;
}

}  // namespace

std::vector<PathArg> PathArgsOf(std::string_view name) {
  for (const auto& e : Table())
    if (name == e.name) return e.args;
  // Everything else: the kPath arguments, relative to a kDirFd just before them, followed.
  std::vector<PathArg> out;
  const core::SyscallSig& sig = core::Signature(name);
  for (int i = 0; i < sig.nargs; ++i) {
    if (sig.args[i].kind != core::ArgKind::kPath) continue;
    PathArg a;
    a.path = i;
    a.dirfd = (i > 0 && sig.args[i - 1].kind == core::ArgKind::kDirFd) ? i - 1 : -1;
    out.push_back(a);
  }
  return out;
}

bool FollowsFinal(const PathArg& arg, const uint64_t args[6]) {
  const uint64_t flags = arg.flags >= 0 ? args[arg.flags] : 0;
  switch (arg.follow) {
    case F::kYes: return true;
    case F::kNo: return false;
    case F::kUnlessFlag: return !(flags & AT_SYMLINK_NOFOLLOW);
    case F::kIfFlag: return (flags & AT_SYMLINK_FOLLOW) != 0;
    case F::kOpenFlags:
      if (flags & O_NOFOLLOW) return false;
      return !((flags & O_CREAT) && (flags & O_EXCL));
  }
  return true;
}

bool EmptyPathAllowed(const PathArg& arg, const uint64_t args[6]) {
  return arg.empty_path && arg.flags >= 0 && (args[arg.flags] & AT_EMPTY_PATH);
}

}  // namespace pwnbox::supervisor
