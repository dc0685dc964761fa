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
// the check makes the call fail (ELOOP) instead of reaching another file. (A mount placed on a
// component after the check is not caught that way; making one needs CAP_SYS_ADMIN over this
// mount namespace.) openat2's RESOLVE_* flags are applied here (ResolveOptions::resolve), so
// that the canonical path is the object the kernel would reach with them: acting on it with
// RESOLVE_NO_SYMLINKS needs none of the call's own flags.
//
// Limits: canonical paths longer than PATH_MAX cannot be walked (ENAMETOOLONG, where the kernel
// itself might succeed); hard links give a file several names, so a rule on one name does not
// cover the others; the target's own mount namespace (if it unshared one) is not looked at.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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
  // The walk reached one of ResolveOptions::remote: the rest of the path, beneath that
  // directory, is the proxy backend's to resolve, and was folded by name ("." dropped, ".."
  // taking one name back), not looked up here. `exists` and `is_dir` are then unknown (false).
  bool remote = false;
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
  // openat2's RESOLVE_* bits (linux/openat2.h), applied as fs/namei.c applies them. The
  // caller has validated them (RESOLVE_BENEATH with RESOLVE_IN_ROOT is EINVAL before any
  // lookup). "The start" below is the dirfd (AT_FDCWD: the cwd), or the task's root for an
  // absolute path without RESOLVE_IN_ROOT.
  //  - RESOLVE_NO_XDEV: every component must be on the start's mount (per component
  //    statx(STATX_MNT_ID)): stepping onto another mount, ".." out of a mount's root (other
  //    than the lookup's root), an absolute symlink while the root is on another mount, or a
  //    magic link to an object on another mount fails with EXDEV.
  //  - RESOLVE_NO_MAGICLINKS: following a procfs magic link (/proc/PID/fd/N, cwd, root, exe,
  //    ns/*, map_files/*) fails with ELOOP. "self"/"thread-self" are ordinary symlinks.
  //  - RESOLVE_NO_SYMLINKS: following any symlink, magic or not, fails with ELOOP. A final
  //    symlink that is not followed (O_NOFOLLOW) is not an error here.
  //  - RESOLVE_BENEATH: the dirfd is the lookup's root and may not be left: an absolute path,
  //    an absolute symlink or ".." at the dirfd fail with EXDEV ("a/../b" is fine), and so
  //    does any magic link (after RESOLVE_NO_MAGICLINKS' ELOOP).
  //  - RESOLVE_IN_ROOT: the dirfd is the lookup's root: an absolute path or symlink starts
  //    at the dirfd, ".." at the dirfd stays there, magic links fail with EXDEV.
  //  - RESOLVE_CACHED: ignored (the kernel may answer EAGAIN when the dentry cache cannot
  //    answer; resolving fully gives what a retry without it would, which is valid). Its
  //    EAGAIN for O_CREAT/O_TRUNC/O_TMPFILE is the caller's check (it depends on flags).
  // The result is the object the kernel would reach with these flags, so acting on
  // `PathView::path` with RESOLVE_NO_SYMLINKS reaches the same object.
  uint64_t resolve = 0;
  // Directories (canonical host paths) whose contents live elsewhere: those of `action =
  // "proxy"` rules (Decider). A walk that steps to one of them or beneath stops looking the
  // filesystem up (PathView::remote): they need not exist here.
  const std::vector<std::string>* remote = nullptr;
};

// Resolves `raw` (the bytes the target passed, up to its first NUL) as the kernel would for
// the task `pid` (a thread id as given by seccomp_notif.pid, or a process id). `dirfd` is the
// call's dirfd (AT_FDCWD for the cwd; ignored for absolute paths unless RESOLVE_IN_ROOT or
// RESOLVE_BENEATH).
// Errors carry in sys_errno() the errno the kernel would return: ENOENT (empty path, missing
// middle component), ENOTDIR (a middle component or a "/"-terminated path that is not a
// directory, a dirfd that is not one), ELOOP (more than 40 symlinks; RESOLVE_NO_SYMLINKS,
// RESOLVE_NO_MAGICLINKS), EXDEV (RESOLVE_NO_XDEV, RESOLVE_BENEATH, RESOLVE_IN_ROOT as above),
// ENAMETOOLONG (path of PATH_MAX bytes or more, component over NAME_MAX), EBADF (bad dirfd),
// ESRCH (the task is gone), EACCES (a symlink fs.protected_symlinks forbids the task to follow:
// in a sticky world-writable directory, owned neither by the task's fsuid nor by the
// directory's owner). Other permissions (EACCES) are not checked.
// Preconditions: the caller can read /proc/PID (same user or CAP_SYS_PTRACE) and shares the
// target's mount namespace.
core::Result<PathView> ResolveTargetPath(pid_t pid, int dirfd, std::string_view raw,
                                         const ResolveOptions& options);

// Same, with only `follow_final` set.
core::Result<PathView> ResolveTargetPath(pid_t pid, int dirfd, std::string_view raw,
                                         bool follow_final);

}  // namespace pwnbox::supervisor
