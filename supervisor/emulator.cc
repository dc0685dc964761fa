#include "supervisor/emulator.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "core/fd.h"

namespace pwnbox::supervisor {
namespace {

constexpr std::string_view kEmulated[] = {
    "access", "chmod", "chown", "creat", "faccessat", "faccessat2", "fchmodat", "fchownat",
    "lchown", "link", "linkat", "lstat", "mkdir", "mkdirat", "mknod", "mknodat",
    "newfstatat", "open", "openat", "openat2", "readlink", "readlinkat", "rename", "renameat",
    "renameat2", "rmdir", "stat", "statx", "symlink", "symlinkat", "truncate", "unlink",
    "unlinkat", "utimensat"};

// The target's filesystem identity and umask, from /proc/PID/status.
struct Identity {
  uid_t fsuid = static_cast<uid_t>(-1);
  gid_t fsgid = static_cast<gid_t>(-1);
  mode_t umask = 022;
};

Identity ReadIdentity(pid_t pid) {
  Identity id;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE* f = fopen(path, "re");
  if (!f) return id;
  char line[256];
  while (fgets(line, sizeof line, f)) {
    unsigned a, b, c, d;
    if (sscanf(line, "Uid: %u %u %u %u", &a, &b, &c, &d) == 4) id.fsuid = d;
    else if (sscanf(line, "Gid: %u %u %u %u", &a, &b, &c, &d) == 4) id.fsgid = d;
    else if (sscanf(line, "Umask: %o", &a) == 1) id.umask = a;
  }
  fclose(f);
  return id;
}

// Acts as the target for the duration of one emulated call: fsuid/fsgid (only effective when
// the supervisor may switch, i.e. it is root or the ids are its own) and umask.
class AsTarget {
 public:
  explicit AsTarget(pid_t pid) {
    Identity id = ReadIdentity(pid);
    old_umask_ = umask(id.umask);
    if (id.fsgid != static_cast<gid_t>(-1)) old_gid_ = setfsgid(id.fsgid);
    if (id.fsuid != static_cast<uid_t>(-1)) old_uid_ = setfsuid(id.fsuid);
  }
  ~AsTarget() {
    if (old_uid_ != static_cast<uid_t>(-1)) setfsuid(old_uid_);
    if (old_gid_ != static_cast<gid_t>(-1)) setfsgid(old_gid_);
    umask(old_umask_);
  }

 private:
  mode_t old_umask_;
  uid_t old_uid_ = static_cast<uid_t>(-1);
  gid_t old_gid_ = static_cast<gid_t>(-1);
};

bool WriteTarget(pid_t pid, uint64_t addr, const void* data, size_t len) {
  iovec local{const_cast<void*>(data), len};
  iovec remote{reinterpret_cast<void*>(addr), len};
  return process_vm_writev(pid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(len);
}

int64_t Ret(long rc) { return rc < 0 ? -errno : rc; }

// Opens a checked, canonical path. No symlink may appear in it any more (one swapped in after
// the check fails with ELOOP); a path through a magic link to a nameless object (a pipe, a
// deleted file) is reopened through the target's own fd link instead.
long OpenChecked(const ResolvedPath& p, uint64_t flags, uint64_t mode) {
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? (mode & 07777) : 0;
  how.resolve = p.view.detached ? 0 : RESOLVE_NO_SYMLINKS;
  if (p.view.final_is_symlink) how.flags |= O_NOFOLLOW;
  return syscall(SYS_openat2, AT_FDCWD, p.view.path.c_str(), &how, sizeof how);
}

}  // namespace

bool CanEmulate(std::string_view name) {
  for (auto n : kEmulated)
    if (n == name) return true;
  return false;
}

std::optional<Emulated> Emulate(int listener, uint64_t id, const core::SyscallCall& call,
                                const std::vector<ResolvedPath>& paths,
                                const std::string* redirect) {
  const std::string_view name = core::SyscallName(call.nr, call.abi);
  if (!CanEmulate(name) || paths.empty() || call.abi != core::Abi::kX86_64) return std::nullopt;
  std::vector<ResolvedPath> ps = paths;
  if (redirect) {
    ps[0].view = PathView{};
    ps[0].view.path = *redirect;
  }
  // A nameless object (a pipe, a deleted file) is reached through the magic link the target's
  // path went through, which the kernel follows to that very object.
  for (auto& p : ps)
    if (p.view.detached) p.view.path = p.view.reopen;
  const uint64_t* a = call.args;
  const char* p0 = ps[0].view.path.c_str();
  const char* p1 = ps.size() > 1 ? ps[1].view.path.c_str() : nullptr;
  const int nofollow = ps[0].view.final_is_symlink ? AT_SYMLINK_NOFOLLOW : 0;
  AsTarget as_target(call.pid);

  if (name == "open" || name == "openat" || name == "creat" || name == "openat2") {
    uint64_t flags, mode;
    if (name == "open") flags = a[1], mode = a[2];
    else if (name == "creat") flags = O_CREAT | O_WRONLY | O_TRUNC, mode = a[1];
    else if (name == "openat") flags = a[2], mode = a[3];
    else {
      open_how how{};
      core::ProcessMemory mem(call.pid);
      if (a[3] < sizeof(open_how) ||
          mem.Read(a[2], &how, sizeof how) != static_cast<ssize_t>(sizeof how))
        return Emulated{false, -EINVAL};
      if (how.resolve) return std::nullopt;  // RESOLVE_* semantics are the kernel's to apply
      flags = how.flags;
      mode = how.mode;
    }
    core::UniqueFd fd(static_cast<int>(OpenChecked(ps[0], flags & ~uint64_t{O_CLOEXEC}, mode)));
    if (!fd) return Emulated{false, -errno};
    seccomp_notif_addfd addfd{};
    addfd.id = id;
    addfd.flags = SECCOMP_ADDFD_FLAG_SEND;
    addfd.srcfd = static_cast<uint32_t>(fd.get());
    addfd.newfd_flags = (flags & O_CLOEXEC) ? O_CLOEXEC : 0;
    int rc = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
    if (rc < 0) return Emulated{true, -errno};  // the target is gone, or out of fds (EMFILE)
    return Emulated{true, rc};
  }
  if (name == "stat" || name == "lstat" || name == "newfstatat") {
    struct stat st;
    uint64_t buf = name == "newfstatat" ? a[2] : a[1];
    long rc = fstatat(AT_FDCWD, p0, &st, nofollow);
    if (rc == 0 && !WriteTarget(call.pid, buf, &st, sizeof st)) return Emulated{false, -EFAULT};
    return Emulated{false, Ret(rc)};
  }
  if (name == "statx") {
    struct statx stx;
    long rc = statx(AT_FDCWD, p0, nofollow | static_cast<int>(a[2] & AT_STATX_SYNC_TYPE),
                    static_cast<unsigned>(a[3]), &stx);
    if (rc == 0 && !WriteTarget(call.pid, a[4], &stx, sizeof stx)) return Emulated{false, -EFAULT};
    return Emulated{false, Ret(rc)};
  }
  if (name == "access") return Emulated{false, Ret(faccessat(AT_FDCWD, p0, int(a[1]), 0))};
  if (name == "faccessat") return Emulated{false, Ret(faccessat(AT_FDCWD, p0, int(a[2]), 0))};
  if (name == "faccessat2")
    return Emulated{false, Ret(faccessat(AT_FDCWD, p0, int(a[2]), int(a[3]) & AT_EACCESS))};
  if (name == "readlink" || name == "readlinkat") {
    const uint64_t buf = name == "readlink" ? a[1] : a[2];
    const size_t size = static_cast<size_t>(name == "readlink" ? a[2] : a[3]);
    if (static_cast<int64_t>(size) <= 0) return Emulated{false, -EINVAL};
    std::string text(std::min<size_t>(size, 4096), '\0');
    ssize_t n = readlink(p0, text.data(), text.size());
    if (n > 0 && !WriteTarget(call.pid, buf, text.data(), static_cast<size_t>(n)))
      return Emulated{false, -EFAULT};
    return Emulated{false, Ret(n)};
  }
  if (name == "unlink") return Emulated{false, Ret(unlink(p0))};
  if (name == "rmdir") return Emulated{false, Ret(rmdir(p0))};
  if (name == "unlinkat")
    return Emulated{false, Ret(unlinkat(AT_FDCWD, p0, int(a[2]) & AT_REMOVEDIR))};
  if (name == "mkdir") return Emulated{false, Ret(mkdir(p0, mode_t(a[1])))};
  if (name == "mkdirat") return Emulated{false, Ret(mkdir(p0, mode_t(a[2])))};
  if (name == "mknod") return Emulated{false, Ret(mknod(p0, mode_t(a[1]), dev_t(a[2])))};
  if (name == "mknodat") return Emulated{false, Ret(mknod(p0, mode_t(a[2]), dev_t(a[3])))};
  if (name == "chmod" || name == "fchmodat") {
    const mode_t mode = mode_t(name == "chmod" ? a[1] : a[2]);
    return Emulated{false, Ret(fchmodat(AT_FDCWD, p0, mode, 0))};
  }
  if (name == "chown" || name == "lchown")
    return Emulated{false, Ret(fchownat(AT_FDCWD, p0, uid_t(a[1]), gid_t(a[2]),
                                        name == "lchown" ? AT_SYMLINK_NOFOLLOW : 0))};
  if (name == "fchownat")
    return Emulated{false, Ret(fchownat(AT_FDCWD, p0, uid_t(a[2]), gid_t(a[3]), nofollow))};
  if (name == "truncate") return Emulated{false, Ret(truncate(p0, off_t(a[1])))};
  if (name == "utimensat") {
    timespec times[2];
    const timespec* tp = nullptr;
    if (a[2]) {
      core::ProcessMemory mem(call.pid);
      if (mem.Read(a[2], times, sizeof times) != static_cast<ssize_t>(sizeof times))
        return Emulated{false, -EFAULT};
      tp = times;
    }
    return Emulated{false, Ret(utimensat(AT_FDCWD, p0, tp, nofollow))};
  }
  if (name == "symlink" || name == "symlinkat") {
    // The link's text is not a path the call resolves: read it as written.
    core::ProcessMemory mem(call.pid);
    char target[4096];
    ssize_t n = mem.Read(a[0], target, sizeof target);
    if (n <= 0 || strnlen(target, static_cast<size_t>(n)) == static_cast<size_t>(n))
      return Emulated{false, -EFAULT};
    return Emulated{false, Ret(symlink(target, p0))};
  }
  if (p1 == nullptr) return std::nullopt;
  if (name == "rename" || name == "renameat") return Emulated{false, Ret(rename(p0, p1))};
  if (name == "renameat2")
    return Emulated{false, Ret(renameat2(AT_FDCWD, p0, AT_FDCWD, p1, unsigned(a[4])))};
  if (name == "link") return Emulated{false, Ret(link(p0, p1))};
  if (name == "linkat")
    return Emulated{false, Ret(linkat(AT_FDCWD, p0, AT_FDCWD, p1, 0))};  // p0 already resolved
  return std::nullopt;
}

}  // namespace pwnbox::supervisor
