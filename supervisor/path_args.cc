#include "supervisor/path_args.h"

#include <fcntl.h>
#include <sys/mount.h>

#include <string>

#include "core/syscalls.h"

namespace pwnbox::supervisor {
namespace {

using F = PathArg::Follow;

// Newer than the build's headers, or only in headers that clash with <sys/mount.h>.
constexpr uint64_t kMsBind = MS_BIND, kMsMove = MS_MOVE, kMsRemount = MS_REMOUNT;
constexpr uint64_t kUmountNoFollow = 0x8;         // UMOUNT_NOFOLLOW
constexpr uint64_t kMoveMountFSymlinks = 0x01;    // MOVE_MOUNT_F_SYMLINKS
constexpr uint64_t kMoveMountFEmptyPath = 0x04;   // MOVE_MOUNT_F_EMPTY_PATH
constexpr uint64_t kMoveMountTSymlinks = 0x10;    // MOVE_MOUNT_T_SYMLINKS
constexpr uint64_t kMoveMountTEmptyPath = 0x40;   // MOVE_MOUNT_T_EMPTY_PATH
constexpr uint64_t kFspickNoFollow = 0x02;        // FSPICK_SYMLINK_NOFOLLOW
constexpr uint64_t kFspickEmptyPath = 0x08;       // FSPICK_EMPTY_PATH
constexpr uint64_t kInDontFollow = 0x02000000;    // IN_DONT_FOLLOW
constexpr uint64_t kFanMarkDontFollow = 0x04;     // FAN_MARK_DONT_FOLLOW

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
      {"chown32", {{0, -1, F::kYes}}},
      {"lchown", {{0, -1, F::kNo}}},
      {"lchown32", {{0, -1, F::kNo}}},
      {"oldstat", {{0, -1, F::kYes}}},
      {"oldlstat", {{0, -1, F::kNo}}},
      {"fchownat", {{1, 0, F::kUnlessFlag, 4, true}}},
      {"truncate", {{0, -1, F::kYes}}},
      {"utime", {{0, -1, F::kYes}}},
      {"utimes", {{0, -1, F::kYes}}},
      {"futimesat", {{1, 0, F::kYes}}},
      {"utimensat", {{1, 0, F::kUnlessFlag, 3, false, true}}},
      {"utimensat_time64", {{1, 0, F::kUnlessFlag, 3, false, true}}},
      {"execve", {{0, -1, F::kYes}}},
      {"execveat", {{1, 0, F::kUnlessFlag, 4, true}}},
      {"lgetxattr", {{0, -1, F::kNo}}},
      {"lsetxattr", {{0, -1, F::kNo}}},
      {"llistxattr", {{0, -1, F::kNo}}},
      {"lremovexattr", {{0, -1, F::kNo}}},
      {"name_to_handle_at", {{1, 0, F::kIfFlag, 4, true}}},
      {"fchmodat2", {{1, 0, F::kUnlessFlag, 3, true}}},
      // mount(source, target, type, flags, data): the source is a path for MS_BIND and
      // MS_MOVE (not with MS_REMOUNT); otherwise a device name or any text.
      {"mount",
       {{0, -1, F::kYes, 3, false, false, 0, 0, kMsBind | kMsMove, kMsRemount},
        {1, -1, F::kYes}}},
      {"umount2", {{0, -1, F::kUnlessFlag, 1, false, false, kUmountNoFollow}}},
      {"open_tree", {{1, 0, F::kUnlessFlag, 2, true}}},
      {"open_tree_attr", {{1, 0, F::kUnlessFlag, 2, true}}},
      {"mount_setattr", {{1, 0, F::kUnlessFlag, 2, true}}},
      {"move_mount",
       {{1, 0, F::kIfFlag, 4, true, false, kMoveMountFSymlinks, kMoveMountFEmptyPath},
        {3, 2, F::kIfFlag, 4, true, false, kMoveMountTSymlinks, kMoveMountTEmptyPath}}},
      {"fspick", {{1, 0, F::kUnlessFlag, 2, true, false, kFspickNoFollow, kFspickEmptyPath}}},
      {"inotify_add_watch", {{1, -1, F::kUnlessFlag, 2, false, false, kInDontFollow}}},
      {"fanotify_mark", {{4, 3, F::kUnlessFlag, 1, false, true, kFanMarkDontFollow}}},
      // 6.13+: (dfd, path, at_flags, ...); 6.17+: (dfd, path, attr, size, at_flags).
      {"setxattrat", {{1, 0, F::kUnlessFlag, 2, true}}},
      {"getxattrat", {{1, 0, F::kUnlessFlag, 2, true}}},
      {"listxattrat", {{1, 0, F::kUnlessFlag, 2, true}}},
      {"removexattrat", {{1, 0, F::kUnlessFlag, 2, true}}},
      {"file_getattr", {{1, 0, F::kUnlessFlag, 4, true}}},
      {"file_setattr", {{1, 0, F::kUnlessFlag, 4, true}}},
      // No path: statmount/listmount take mount ids.
      {"statmount", {}},
      {"listmount", {}},
  };
  return table;
}

}  // namespace

std::vector<PathArg> PathArgsOf(std::string_view name, core::Abi abi) {
  if (abi == core::Abi::kI386 && name == "fanotify_mark")
    return {{5, 4, F::kUnlessFlag, 1, false, true, kFanMarkDontFollow}};
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
    case F::kUnlessFlag: return !(flags & (arg.bit ? arg.bit : AT_SYMLINK_NOFOLLOW));
    case F::kIfFlag: return (flags & (arg.bit ? arg.bit : AT_SYMLINK_FOLLOW)) != 0;
    case F::kOpenFlags:
      if (flags & O_NOFOLLOW) return false;
      return !((flags & O_CREAT) && (flags & O_EXCL));
  }
  return true;
}

bool EmptyPathAllowed(const PathArg& arg, const uint64_t args[6]) {
  return arg.empty_path && arg.flags >= 0 &&
         (args[arg.flags] & (arg.empty_bit ? arg.empty_bit : AT_EMPTY_PATH));
}

bool IsPathInCall(const PathArg& arg, const uint64_t args[6]) {
  if (!arg.if_bits) return true;
  const uint64_t flags = arg.flags >= 0 ? args[arg.flags] : 0;
  return (flags & arg.if_bits) && !(flags & arg.unless_bits);
}

}  // namespace pwnbox::supervisor
