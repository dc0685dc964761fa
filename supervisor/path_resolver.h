// pwnbox::supervisor::ResolveTargetPath: the path a target's syscall would act on, resolved
// the way the kernel resolves it, so that `paths` rules (glob.h) cannot be bypassed.
//
// The supervisor and the target share the mount namespace, so the walk is done on host paths,
// component by component, with lstat/readlink: relative paths start at the target's cwd
// (/proc/PID/cwd) or dirfd (/proc/PID/fd/N), absolute paths and absolute symlinks at the
// target's root (/proc/PID/root, "/" unless it chrooted), ".." never climbs above that root,
// at most 40 symlinks are followed (ELOOP). procfs is handled as the kernel does for the target,
// not for pwnbox: "self" and "thread-self" in a procfs root are the target's
// ("/proc/TGID", "/proc/TGID/task/TID"), and the magic links (/proc/PID/fd/N, cwd, root, exe,
// map_files/...) jump to the object they reference rather than re-walking their text.
//
// The result is canonical: no symlink, ".", ".." or "//" left in it. It is not a security
// boundary by itself (the filesystem can change after the walk); callers that act on it must
// open it without following symlinks (openat2 with RESOLVE_NO_SYMLINKS, or O_NOFOLLOW on the
// final component when it was not followed), so that a directory swapped for a symlink after
// the check makes the call fail (ELOOP) instead of reaching another file.
//
// Limits: canonical paths longer than PATH_MAX cannot be walked (ENAMETOOLONG, where the kernel
// itself might succeed); hard links give a file several names, so a rule on one name does not
// cover the others; the target's own mount namespace (if it unshared one) is not looked at.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "core/status.h"

namespace pwnbox::supervisor {

struct PathView {
  // Absolute and canonical, in the supervisor's (host) view of the filesystem: every symlink
  // resolved (the final one per `follow_final`), no ".", "..", "//". What rules match against.
  // For a target in a chroot this is the host path (e.g. "/jail/etc/passwd").
  // When `detached`, the readlink text of the object instead (see below).
  std::string path;
  // False when the final component does not exist (O_CREAT, mkdir, a dangling symlink
  // followed, ...): `path` is then the canonical parent + "/" + final name.
  bool exists = true;
  // The final component is a symlink that was not followed (!follow_final); `path` names the
  // link itself.
  bool final_is_symlink = false;
  // The final object is a directory (false when !exists).
  bool is_dir = false;
  // The caller's path ended in "/" (after symlink expansion): the kernel then requires a
  // directory (an existing non-directory is already reported as ENOTDIR).
  bool trailing_slash = false;
  // The path went through a magic link (/proc/PID/fd/N, AT_EMPTY_PATH on a dirfd, ...) to an
  // object that has no name in this namespace: a deleted file ("/tmp/x (deleted)"), a pipe,
  // socket or anonymous inode ("pipe:[123]"), a namespace ("net:[4026531840]"), or a
  // path outside the supervisor's root. `path` is the readlink text, not a usable path.
  bool detached = false;
  // When `detached`: the procfs magic link through which the object is reached
  // ("/proc/PID/fd/N"), so that the supervisor can act on that very object.
  std::string reopen;
};

struct ResolveOptions {
  // Follow a symlink in the final component (false for AT_SYMLINK_NOFOLLOW, O_NOFOLLOW,
  // O_CREAT|O_EXCL, lstat, unlink, rename, symlink's linkpath, ...). A trailing "/" follows
  // anyway, as in the kernel.
  bool follow_final = true;
  // AT_EMPTY_PATH: an empty path names `dirfd` itself (otherwise an empty path is ENOENT).
  bool empty_path = false;
};

// Resolves `raw` (the bytes the target passed, up to its first NUL) as the kernel would for
// the task `pid` (a thread id as given by seccomp_notif.pid, or a process id). `dirfd` is the
// call's dirfd (AT_FDCWD for the cwd; ignored for absolute paths).
// Errors carry in sys_errno() the errno the kernel would return: ENOENT (empty path, missing
// middle component), ENOTDIR (a middle component or a "/"-terminated path that is not a
// directory, a dirfd that is not one), ELOOP (more than 40 symlinks), ENAMETOOLONG (path of
// PATH_MAX bytes or more, component over NAME_MAX), EBADF (bad dirfd), ESRCH (the task is
// gone). Permissions (EACCES) are not checked.
// Preconditions: the caller can read /proc/PID (same user or CAP_SYS_PTRACE) and shares the
// target's mount namespace.
core::Result<PathView> ResolveTargetPath(pid_t pid, int dirfd, std::string_view raw,
                                         const ResolveOptions& options);

// Same, with only `follow_final` set.
core::Result<PathView> ResolveTargetPath(pid_t pid, int dirfd, std::string_view raw,
                                         bool follow_final);

}  // namespace pwnbox::supervisor
