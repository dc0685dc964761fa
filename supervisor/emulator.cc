#include "supervisor/emulator.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

namespace pwnbox::supervisor {
namespace {

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef AT_EACCESS
#define AT_EACCESS 0x200
#endif
constexpr uint64_t kKernelLargefile = 0100000;  // O_LARGEFILE as the x86 kernel defines it
constexpr uint64_t kValidOpenFlags =
    O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC |
    O_SYNC | FASYNC | O_DIRECT | kKernelLargefile | O_DIRECTORY | O_NOFOLLOW | O_NOATIME |
    O_CLOEXEC | O_PATH | O_TMPFILE;

constexpr std::string_view kEmulated[] = {
    "access", "chmod", "chown", "chown32", "creat", "faccessat", "faccessat2", "fchmodat",
    "fchownat", "fstatat64", "futimesat", "lchown", "lchown32", "link", "linkat", "lstat",
    "lstat64", "mkdir", "mkdirat", "mknod", "mknodat", "newfstatat", "oldlstat", "oldstat",
    "open", "openat", "openat2", "readlink", "readlinkat", "rename", "renameat", "renameat2",
    "rmdir", "stat", "stat64", "statx", "symlink", "symlinkat", "truncate", "truncate64",
    "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes"};

// i386 struct stat64 (arch/x86/include/uapi/asm/stat.h), 4-byte aligned 64-bit fields.
struct __attribute__((packed)) Stat64I386 {
  uint64_t st_dev;
  uint8_t pad0[4];
  uint32_t st_ino32;
  uint32_t st_mode;
  uint32_t st_nlink;
  uint32_t st_uid;
  uint32_t st_gid;
  uint64_t st_rdev;
  uint8_t pad3[4];
  int64_t st_size;
  uint32_t st_blksize;
  uint64_t st_blocks;
  uint32_t st_atime_, st_atime_nsec, st_mtime_, st_mtime_nsec, st_ctime_, st_ctime_nsec;
  uint64_t st_ino;
};
static_assert(sizeof(Stat64I386) == 96);

std::string ToI386(const struct stat& s) {
  Stat64I386 o{};
  o.st_dev = s.st_dev;
  o.st_ino32 = static_cast<uint32_t>(s.st_ino);
  o.st_mode = s.st_mode;
  o.st_nlink = static_cast<uint32_t>(s.st_nlink);
  o.st_uid = s.st_uid;
  o.st_gid = s.st_gid;
  o.st_rdev = s.st_rdev;
  o.st_size = s.st_size;
  o.st_blksize = static_cast<uint32_t>(s.st_blksize);
  o.st_blocks = static_cast<uint64_t>(s.st_blocks);
  o.st_atime_ = static_cast<uint32_t>(s.st_atim.tv_sec);
  o.st_atime_nsec = static_cast<uint32_t>(s.st_atim.tv_nsec);
  o.st_mtime_ = static_cast<uint32_t>(s.st_mtim.tv_sec);
  o.st_mtime_nsec = static_cast<uint32_t>(s.st_mtim.tv_nsec);
  o.st_ctime_ = static_cast<uint32_t>(s.st_ctim.tv_sec);
  o.st_ctime_nsec = static_cast<uint32_t>(s.st_ctim.tv_nsec);
  o.st_ino = s.st_ino;
  return std::string(reinterpret_cast<const char*>(&o), sizeof o);
}

core::Error Errno(int err) { return core::ErrnoError(err, "emulation"); }

// Where a checked path is acted on: its parent directory (opened without following any
// symlink) and its last component, or, for a nameless object, the magic link that reaches it.
struct Place {
  core::UniqueFd dir;
  std::string name;
  bool magic = false;  // `name` is a /proc/PID/fd/N link to follow (dirfd AT_FDCWD)
  int dirfd() const { return magic ? AT_FDCWD : dir.get(); }
};

long OpenHow(int dirfd, const char* path, uint64_t flags, uint64_t mode, uint64_t resolve) {
  open_how how{};
  how.flags = flags;
  how.mode = mode;
  how.resolve = resolve;
  return syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

// 0 or -errno.
int Locate(const ResolvedPath& p, Place* place) {
  if (p.view.detached) {
    place->name = p.view.reopen;
    place->magic = true;
    return 0;
  }
  const std::string& path = p.view.path;
  if (path.empty() || path[0] != '/') return -ENOENT;
  std::string parent;
  if (path == "/") {
    parent = "/";
    place->name = ".";
  } else {
    const size_t slash = path.rfind('/');
    parent = slash == 0 ? "/" : path.substr(0, slash);
    place->name = path.substr(slash + 1);
  }
  long fd = OpenHow(AT_FDCWD, parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
                    RESOLVE_NO_SYMLINKS);
  if (fd < 0) return -errno;
  place->dir.reset(static_cast<int>(fd));
  return 0;
}

int64_t Ret(long rc) { return rc < 0 ? -errno : rc; }

// An O_PATH handle of the object itself (never following it), as "/proc/self/fd/N".
int64_t Handle(const Place& pl, core::UniqueFd* fd, std::string* proc) {
  if (pl.magic) {
    *proc = pl.name;
    return 0;
  }
  long rc = OpenHow(pl.dir.get(), pl.name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC, 0,
                    RESOLVE_NO_SYMLINKS);
  if (rc < 0) return -errno;
  fd->reset(static_cast<int>(rc));
  *proc = "/proc/self/fd/" + std::to_string(rc);
  return 0;
}

// Filesystems whose calls may wait on the network or on a process (FUSE: maybe one of the
// sandbox, itself waiting for the supervisor).
bool RemoteFs(int dirfd) {
  struct statfs fs;
  if (fstatfs(dirfd, &fs) != 0) return true;
  switch (static_cast<uint64_t>(fs.f_type)) {
    case 0x65735546:  // FUSE
    case 0x6969:      // NFS
    case 0xFF534D42:  // CIFS
    case 0xFE534D42:  // SMB2
    case 0x517B:      // SMB
    case 0x01021997:  // 9P
    case 0x00c36400:  // Ceph
    case 0x5346414F:  // AFS
    case 0x6B414653:  // kAFS
    case 0x73757245:  // Coda
    case 0x47504653:  // GPFS
    case 0x0BD00BD0:  // Lustre
      return true;
    default:
      return false;
  }
}

EmulationResult PerformAt(const EmulatedCall& e, const Place& pl);

}  // namespace

std::optional<EmulationResult> PerformIfQuick(const EmulatedCall& e) {
  using Op = EmulatedCall::Op;
  for (const auto& p : e.paths)
    if (p.view.detached) return std::nullopt;  // a magic link: its object may be anything
  Place pl;
  if (int err = Locate(e.paths[0], &pl); err < 0) {
    EmulationResult r;
    r.ret = err;
    return r;
  }
  if (RemoteFs(pl.dir.get())) return std::nullopt;
  if (e.paths.size() > 1) {
    Place to;
    if (Locate(e.paths[1], &to) == 0 && RemoteFs(to.dir.get())) return std::nullopt;
  }
  if (e.op != Op::kOpen) return PerformAt(e, pl);
  // Only a regular file or a directory, and never waiting (O_NONBLOCK, cleared afterwards).
  struct stat st;
  if (fstatat(pl.dir.get(), pl.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
      !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
    return std::nullopt;
  EmulatedCall nb = e;
  nb.flags |= O_NONBLOCK;
  EmulationResult r = PerformAt(nb, pl);
  if (!r.fd) {
    // A lease breaks with EWOULDBLOCK under O_NONBLOCK: the worker waits as the call would.
    if ((r.ret == -EWOULDBLOCK || r.ret == -ENXIO) && !(e.flags & O_NONBLOCK)) return std::nullopt;
    return r;
  }
  if (fstat(r.fd.get(), &st) != 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
    return std::nullopt;  // swapped for something else since: the worker opens it
  if (!(e.flags & O_NONBLOCK)) {
    const int fl = fcntl(r.fd.get(), F_GETFL);
    if (fl < 0 || fcntl(r.fd.get(), F_SETFL, fl & ~O_NONBLOCK) != 0) return std::nullopt;
  }
  return r;
}

bool Creates(const EmulatedCall& e) {
  using Op = EmulatedCall::Op;
  if (e.op == Op::kOpen) return (e.flags & O_CREAT) || (e.flags & O_TMPFILE) == O_TMPFILE;
  return e.op == Op::kMkdir || e.op == Op::kMknod;
}

bool CanEmulate(std::string_view name) {
  for (auto n : kEmulated)
    if (n == name) return true;
  return false;
}

std::optional<core::Result<EmulatedCall>> PrepareEmulation(const core::SyscallCall& call,
                                                           const Verdict& v,
                                                           const std::string* redirect,
                                                           core::TargetMemory& mem) {
  using Op = EmulatedCall::Op;
  const std::string_view name = core::SyscallName(call.nr, call.abi);
  if (!CanEmulate(name) || v.paths.empty() || call.abi == core::Abi::kX32) return std::nullopt;
  const bool i386 = call.abi == core::Abi::kI386;
  uint64_t a[6];
  for (int i = 0; i < 6; ++i) a[i] = i386 ? (call.args[i] & 0xffffffffu) : call.args[i];
  auto s32 = [](uint64_t x) { return static_cast<int64_t>(static_cast<int32_t>(x)); };

  EmulatedCall e;
  e.paths = v.paths;
  if (redirect) {
    e.paths[0].view = PathView{};
    e.paths[0].view.path = *redirect;
  }
  if (name == "open" || name == "openat" || name == "creat" || name == "openat2") {
    e.op = Op::kOpen;
    uint64_t flags, mode;
    if (name == "open") flags = a[1], mode = a[2];
    else if (name == "creat") flags = O_CREAT | O_WRONLY | O_TRUNC, mode = a[1];
    else if (name == "openat") flags = a[2], mode = a[3];
    else {
      // Decided on the open_how the Decider read once; never read again.
      if (!v.open_how) return core::Result<EmulatedCall>(Errno(ENOSYS));
      flags = v.open_how->flags;
      mode = v.open_how->mode;
      e.resolve = v.open_how->resolve & (RESOLVE_NO_XDEV | RESOLVE_CACHED);
    }
    if (name != "openat2") {
      flags &= kValidOpenFlags;
      mode = (flags & O_CREAT || (flags & O_TMPFILE) == O_TMPFILE) ? (mode & 07777) : 0;
    }
    if (!i386) flags |= kKernelLargefile;  // force_o_largefile(), openat2 included
    if (flags & O_PATH) return core::Result<EmulatedCall>(Errno(kOpathErrno));
    e.flags = flags;
    e.mode = mode;
    return core::Result<EmulatedCall>(std::move(e));
  }
  if (name == "stat" || name == "lstat" || name == "newfstatat" || name == "stat64" ||
      name == "lstat64" || name == "fstatat64" || name == "oldstat" || name == "oldlstat") {
    if (i386 && (name == "stat" || name == "lstat" || name == "oldstat" || name == "oldlstat"))
      return core::Result<EmulatedCall>(Errno(ENOSYS));  // 32-bit struct stat: not converted
    e.op = Op::kStat;
    e.out_addr = (name == "newfstatat" || name == "fstatat64") ? a[2] : a[1];
    if (i386) e.stat_layout = EmulatedCall::StatLayout::kI386Stat64;
    return core::Result<EmulatedCall>(std::move(e));
  }
  if (name == "statx") {
    e.op = Op::kStatx;
    e.flags = a[2] & AT_STATX_SYNC_TYPE;
    e.mode = a[3];
    e.out_addr = a[4];
    return core::Result<EmulatedCall>(std::move(e));
  }
  if (name == "access" || name == "faccessat" || name == "faccessat2") {
    e.op = Op::kAccess;
    e.mode = name == "access" ? a[1] : a[2];
    if (name == "faccessat2") {
      if (a[3] & ~uint64_t{AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH})
        return core::Result<EmulatedCall>(Errno(EINVAL));
      e.flags = a[3] & AT_EACCESS;
    }
    return core::Result<EmulatedCall>(std::move(e));
  }
  if (name == "readlink" || name == "readlinkat") {
    e.op = Op::kReadlink;
    e.out_addr = name == "readlink" ? a[1] : a[2];
    const int64_t size = i386 ? s32(name == "readlink" ? a[2] : a[3])
                              : static_cast<int64_t>(name == "readlink" ? a[2] : a[3]);
    if (size <= 0) return core::Result<EmulatedCall>(Errno(EINVAL));
    e.out_size = static_cast<uint64_t>(size);
    return core::Result<EmulatedCall>(std::move(e));
  }
  if (name == "unlink") e.op = Op::kUnlink;
  else if (name == "rmdir") e.op = Op::kRmdir;
  else if (name == "unlinkat") {
    if (a[2] & ~uint64_t{AT_REMOVEDIR}) return core::Result<EmulatedCall>(Errno(EINVAL));
    e.op = (a[2] & AT_REMOVEDIR) ? Op::kRmdir : Op::kUnlink;
  } else if (name == "mkdir" || name == "mkdirat") {
    e.op = Op::kMkdir;
    e.mode = name == "mkdir" ? a[1] : a[2];
  } else if (name == "mknod" || name == "mknodat") {
    e.op = Op::kMknod;
    e.mode = name == "mknod" ? a[1] : a[2];
    e.dev = (name == "mknod" ? a[2] : a[3]) & 0xffffffffu;  // the kernel takes an unsigned int
  } else if (name == "chmod" || name == "fchmodat") {
    e.op = Op::kChmod;
    e.mode = name == "chmod" ? a[1] : a[2];
  } else if (name == "chown" || name == "lchown" || name == "chown32" || name == "lchown32" ||
             name == "fchownat") {
    e.op = Op::kChown;
    uint64_t u = name == "fchownat" ? a[2] : a[1], g = name == "fchownat" ? a[3] : a[2];
    if (i386 && (name == "chown" || name == "lchown")) {  // 16-bit ids, 0xffff keeps
      u &= 0xffff, g &= 0xffff;
      if (u == 0xffff) u = ~uint64_t{0};
      if (g == 0xffff) g = ~uint64_t{0};
    }
    e.uid = static_cast<uid_t>(u);
    e.gid = static_cast<gid_t>(g);
  } else if (name == "truncate" || name == "truncate64") {
    e.op = Op::kTruncate;
    if (name == "truncate64") e.length = static_cast<int64_t>(a[1] | (a[2] << 32));
    else e.length = i386 ? s32(a[1]) : static_cast<int64_t>(a[1]);
    if (e.length < 0) return core::Result<EmulatedCall>(Errno(EINVAL));
  } else if (name == "utimensat" || name == "utimensat_time64" || name == "utimes" ||
             name == "utime" || name == "futimesat") {
    e.op = Op::kUtimens;
    const uint64_t addr = (name == "utimensat" || name == "utimensat_time64" ||
                           name == "futimesat") ? a[2] : a[1];
    if (name == "utimensat" || name == "utimensat_time64") {
      if (a[3] & ~uint64_t{AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH})
        return core::Result<EmulatedCall>(Errno(EINVAL));
    }
    if (addr) {
      e.has_times = true;
      const bool t32 = i386 && name != "utimensat_time64";
      if (name == "utime") {  // struct utimbuf {time_t actime, modtime}
        int64_t t[2] = {};
        if (t32) {
          int32_t u[2];
          if (mem.Read(addr, u, sizeof u) != sizeof u) return core::Result<EmulatedCall>(Errno(EFAULT));
          t[0] = u[0], t[1] = u[1];
        } else if (mem.Read(addr, t, sizeof t) != sizeof t) {
          return core::Result<EmulatedCall>(Errno(EFAULT));
        }
        e.times[0] = {t[0], 0};
        e.times[1] = {t[1], 0};
      } else {  // timespec[2] or timeval[2]: {seconds, fraction}
        int64_t t[4] = {};
        if (t32) {
          int32_t u[4];
          if (mem.Read(addr, u, sizeof u) != sizeof u) return core::Result<EmulatedCall>(Errno(EFAULT));
          for (int i = 0; i < 4; ++i) t[i] = u[i];
        } else if (mem.Read(addr, t, sizeof t) != sizeof t) {
          return core::Result<EmulatedCall>(Errno(EFAULT));
        }
        const bool usec = name == "utimes" || name == "futimesat";
        for (int i = 0; i < 2; ++i) {
          if (usec && (t[2 * i + 1] < 0 || t[2 * i + 1] >= 1000000))
            return core::Result<EmulatedCall>(Errno(EINVAL));
          e.times[i] = {t[2 * i], usec ? t[2 * i + 1] * 1000 : t[2 * i + 1]};
        }
      }
    }
  } else if (name == "symlink" || name == "symlinkat") {
    e.op = Op::kSymlink;
    // The link's text is not a path the call resolves: read it as written.
    char text[4096];
    ssize_t n = mem.Read(a[0], text, sizeof text);
    if (n <= 0) return core::Result<EmulatedCall>(Errno(EFAULT));
    const size_t len = strnlen(text, static_cast<size_t>(n));
    if (len == static_cast<size_t>(n)) return core::Result<EmulatedCall>(Errno(ENAMETOOLONG));
    e.text.assign(text, len);
  } else if (name == "rename" || name == "renameat" || name == "renameat2") {
    e.op = Op::kRename;
    if (name == "renameat2") e.flags = a[4];
  } else if (name == "link" || name == "linkat") {
    e.op = Op::kLink;
    if (name == "linkat" && (a[4] & ~uint64_t{AT_SYMLINK_FOLLOW | AT_EMPTY_PATH}))
      return core::Result<EmulatedCall>(Errno(EINVAL));
  } else {
    return std::nullopt;
  }
  if ((e.op == Op::kRename || e.op == Op::kLink) && e.paths.size() < 2) return std::nullopt;
  return core::Result<EmulatedCall>(std::move(e));
}

EmulationResult PerformEmulation(const EmulatedCall& e) {
  Place pl;
  if (int err = Locate(e.paths[0], &pl); err < 0) {
    EmulationResult r;
    r.ret = err;
    return r;
  }
  return PerformAt(e, pl);
}

namespace {

EmulationResult PerformAt(const EmulatedCall& e, const Place& pl) {
  using Op = EmulatedCall::Op;
  EmulationResult r;
  const int dfd = pl.dirfd();
  const char* name = pl.name.c_str();
  const int nofollow = pl.magic ? 0 : AT_SYMLINK_NOFOLLOW;
  switch (e.op) {
    case Op::kOpen: {
      uint64_t flags = (e.flags & ~uint64_t{O_CLOEXEC}) | O_CLOEXEC;
      uint64_t resolve = e.resolve;
      if (!pl.magic) {
        resolve |= RESOLVE_NO_SYMLINKS;
        // The final component was not followed by the target's call (O_NOFOLLOW,
        // O_CREAT|O_EXCL): a symlink there fails as it would have.
        if (e.paths[0].view.final_is_symlink) flags |= O_NOFOLLOW;
      }
      long fd = OpenHow(dfd, name, flags, e.mode, resolve);
      if (fd < 0) {
        r.ret = -errno;
        return r;
      }
      r.fd.reset(static_cast<int>(fd));
      r.cloexec = e.flags & O_CLOEXEC;
      if (!(e.flags & kKernelLargefile)) {  // an i386 open without O_LARGEFILE
        struct stat st;
        if (fstat(r.fd.get(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0x7fffffff) {
          r.fd.reset();
          r.ret = -EOVERFLOW;
        }
      }
      return r;
    }
    case Op::kStat: {
      struct stat st;
      r.ret = Ret(fstatat(dfd, name, &st, nofollow));
      if (r.ret == 0) {
        r.out = e.stat_layout == EmulatedCall::StatLayout::kI386Stat64
                    ? ToI386(st)
                    : std::string(reinterpret_cast<const char*>(&st), sizeof st);
      }
      return r;
    }
    case Op::kStatx: {
      struct statx stx;
      r.ret = Ret(statx(dfd, name, nofollow | static_cast<int>(e.flags),
                        static_cast<unsigned>(e.mode), &stx));
      if (r.ret == 0) r.out.assign(reinterpret_cast<const char*>(&stx), sizeof stx);
      return r;
    }
    case Op::kAccess:
      // Without AT_EACCESS the kernel checks the real ids (this thread has the target's).
      r.ret = Ret(syscall(SYS_faccessat2, dfd, name, static_cast<int>(e.mode),
                          nofollow | static_cast<int>(e.flags)));
      return r;
    case Op::kReadlink: {
      std::string text(std::min<uint64_t>(e.out_size, 4096), '\0');
      ssize_t n = readlinkat(dfd, name, text.data(), text.size());
      r.ret = Ret(n);
      if (n > 0) r.out.assign(text.data(), static_cast<size_t>(n));
      return r;
    }
    case Op::kUnlink:
      r.ret = Ret(unlinkat(dfd, name, 0));
      return r;
    case Op::kRmdir:
      r.ret = Ret(unlinkat(dfd, name, AT_REMOVEDIR));
      return r;
    case Op::kMkdir:
      r.ret = Ret(mkdirat(dfd, name, static_cast<mode_t>(e.mode)));
      return r;
    case Op::kMknod:
      r.ret = Ret(syscall(SYS_mknodat, dfd, name, static_cast<unsigned>(e.mode),
                          static_cast<unsigned>(e.dev)));
      return r;
    case Op::kChmod:
      r.ret = Ret(pl.magic ? fchmodat(AT_FDCWD, name, static_cast<mode_t>(e.mode), 0)
                           : syscall(SYS_fchmodat2, dfd, name, static_cast<unsigned>(e.mode),
                                     AT_SYMLINK_NOFOLLOW));
      return r;
    case Op::kChown:
      r.ret = Ret(fchownat(dfd, name, e.uid, e.gid, nofollow));
      return r;
    case Op::kTruncate: {
      // Through an O_PATH handle: never follows a symlink, never opens (a FIFO gets EINVAL
      // from truncate itself instead of blocking an open).
      core::UniqueFd h;
      std::string proc;
      if (int64_t err = Handle(pl, &h, &proc); err < 0) {
        r.ret = err;
        return r;
      }
      r.ret = Ret(truncate(proc.c_str(), static_cast<off_t>(e.length)));
      return r;
    }
    case Op::kUtimens:
      r.ret = Ret(utimensat(dfd, name, e.has_times ? e.times : nullptr, nofollow));
      return r;
    case Op::kSymlink:
      r.ret = Ret(symlinkat(e.text.c_str(), dfd, name));
      return r;
    case Op::kRename:
    case Op::kLink: {
      Place to;
      if (int err = Locate(e.paths[1], &to); err < 0) {
        r.ret = err;
        return r;
      }
      if (e.op == Op::kRename)
        r.ret = Ret(renameat2(dfd, name, to.dirfd(), to.name.c_str(),
                              static_cast<unsigned>(e.flags)));
      else  // the source was resolved as the call asked: link it as it is now
        r.ret = Ret(linkat(dfd, name, to.dirfd(), to.name.c_str(),
                           pl.magic ? AT_SYMLINK_FOLLOW : 0));
      return r;
    }
  }
  r.ret = -ENOSYS;
  return r;
}

}  // namespace

}  // namespace pwnbox::supervisor
