#include "supervisor/path_resolver.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "core/fd.h"

namespace pwnbox::supervisor {
namespace {

constexpr int kMaxSymlinks = 40;  // the kernel's MAXSYMLINKS
constexpr ino_t kProcRootIno = 1;
constexpr uint64_t kScoped = RESOLVE_BENEATH | RESOLVE_IN_ROOT;
constexpr uint64_t kCached = 0x20;  // RESOLVE_CACHED (linux 5.12)

// The mount of `path` (not following a final symlink; mounts on it are crossed, as in a
// lookup) and whether it is that mount's root. Returns 0 or an errno.
int MountOf(const std::string& path, uint64_t* mnt_id, bool* mount_root) {
  struct statx stx;
  if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_MNT_ID,
              &stx) != 0)
    return errno;
  if (!(stx.stx_mask & STATX_MNT_ID)) return ENOSYS;
  *mnt_id = stx.stx_mnt_id;
  if (mount_root) *mount_root = (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
  return 0;
}

// The mount of the object behind the magic link `link` (followed).
int MountOfObject(const std::string& link, uint64_t* mnt_id) {
  struct statx stx;
  if (::statx(AT_FDCWD, link.c_str(), AT_NO_AUTOMOUNT, STATX_MNT_ID, &stx) != 0) return errno;
  if (!(stx.stx_mask & STATX_MNT_ID)) return ENOSYS;
  *mnt_id = stx.stx_mnt_id;
  return 0;
}

std::string ProcPath(pid_t pid, std::string_view tail) {
  std::string s = "/proc/";
  s += std::to_string(pid);
  s += tail;
  return s;
}

void Join(std::string* dir, std::string_view name) {
  if (dir->empty() || dir->back() != '/') *dir += '/';
  *dir += name;
}

std::string Joined(const std::string& dir, std::string_view name) {
  std::string s;
  s.reserve(dir.size() + name.size() + 1);
  s = dir;
  Join(&s, name);
  return s;
}

void ToParent(std::string* path) {
  size_t slash = path->rfind('/');
  path->resize(slash == 0 || slash == std::string::npos ? 1 : slash);
}

// readlink(2) into *out; returns 0 or an errno.
int ReadLink(const std::string& path, std::string* out) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  if (n < 0) return errno;
  if (static_cast<size_t>(n) == sizeof buf) return ENAMETOOLONG;
  out->assign(buf, static_cast<size_t>(n));
  return 0;
}

// Whether `path` is one of `dirs` or beneath one.
bool Beneath(const std::string& path, const std::vector<std::string>& dirs) {
  for (const std::string& d : dirs)
    if (path.size() >= d.size() && path.compare(0, d.size(), d) == 0 &&
        (path.size() == d.size() || path[d.size()] == '/' || d == "/"))
      return true;
  return false;
}

bool IsProcfs(const std::string& dir) {
  struct statfs fs;
  return ::statfs(dir.c_str(), &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC;
}

bool IsProcRoot(const std::string& dir) {
  struct stat st;
  return IsProcfs(dir) && ::stat(dir.c_str(), &st) == 0 && st.st_ino == kProcRootIno;
}

// The thread group of task `tid`, from /proc/TID/status; 0 when it cannot be read.
pid_t ReadTgid(pid_t tid) {
  core::UniqueFd fd(::open(ProcPath(tid, "/status").c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return 0;
  char buf[1024];  // "Tgid:" is the fourth line
  ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
  if (n <= 0) return 0;
  std::string_view s(buf, static_cast<size_t>(n));
  size_t at = s.find("\nTgid:");
  if (at == std::string_view::npos) return 0;
  at += 6;
  while (at < s.size() && (s[at] == ' ' || s[at] == '\t')) ++at;
  pid_t tgid = 0;
  std::from_chars(s.data() + at, s.data() + s.size(), tgid);
  return tgid;
}

// The filesystem uid of task `tid` (the fourth "Uid:" field of /proc/TID/status).
bool ReadFsuid(pid_t tid, uid_t* out) {
  core::UniqueFd fd(::open(ProcPath(tid, "/status").c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return false;
  char buf[2048];
  ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
  if (n <= 0) return false;
  std::string_view s(buf, static_cast<size_t>(n));
  size_t at = s.find("\nUid:");
  if (at == std::string_view::npos) return false;
  at += 5;
  uid_t id = 0;
  for (int field = 0; field < 4; ++field) {
    while (at < s.size() && (s[at] == ' ' || s[at] == '\t')) ++at;
    auto r = std::from_chars(s.data() + at, s.data() + s.size(), id);
    if (r.ec != std::errc()) return false;
    at = static_cast<size_t>(r.ptr - s.data());
  }
  *out = id;
  return true;
}

// fs.protected_symlinks (read at each use: it can change).
bool ProtectedSymlinks() {
  core::UniqueFd fd(::open("/proc/sys/fs/protected_symlinks", O_RDONLY | O_CLOEXEC));
  char c = '1';  // unreadable: assume the protection, which only makes us refuse more
  if (fd && ::read(fd.get(), &c, 1) != 1) c = '1';
  return c != '0';
}

// A magic link (procfs) resolved to the object it references.
struct LinkTarget {
  std::string path;  // canonical host path, or the readlink text when detached
  std::string link;  // the magic link itself ("/proc/PID/fd/N")
  bool is_dir = false;
  bool detached = false;
};

// Follows the procfs magic link `link` as the kernel does (to its object). Returns 0 or errno.
// The readlink text is only trusted when it names the very object the link references.
int FollowMagic(const std::string& link, std::string text, LinkTarget* out) {
  struct stat obj;
  if (::stat(link.c_str(), &obj) != 0) return errno == ENOENT ? ENOENT : errno;
  out->is_dir = S_ISDIR(obj.st_mode);
  out->detached = true;
  out->link = link;
  if (!text.empty() && text[0] == '/') {
    struct stat named;
    if (::lstat(text.c_str(), &named) == 0 && named.st_dev == obj.st_dev &&
        named.st_ino == obj.st_ino) {
      out->detached = false;
    }
  }
  out->path = std::move(text);
  return 0;
}

core::Error Fail(int err, std::string_view raw) {
  std::string what = "resolve path \"";
  what += raw;
  what += '"';
  return core::ErrnoError(err, what);
}

bool TaskExists(pid_t pid) { return ::access(ProcPath(pid, "").c_str(), F_OK) == 0; }

// The object behind the target's dirfd (AT_FDCWD: its cwd).
int DirfdTarget(pid_t pid, int dirfd, LinkTarget* out) {
  if (dirfd < 0 && dirfd != AT_FDCWD) return EBADF;
  std::string link = dirfd == AT_FDCWD ? ProcPath(pid, "/cwd")
                                       : ProcPath(pid, "/fd/" + std::to_string(dirfd));
  std::string text;
  int err = ReadLink(link, &text);
  if (err == 0) err = FollowMagic(link, std::move(text), out);
  if (err == ENOENT) return !TaskExists(pid) ? ESRCH : dirfd == AT_FDCWD ? ENOENT : EBADF;
  return err;
}

class Walker {
 public:
  Walker(pid_t pid, std::string_view raw, const ResolveOptions& options)
      : pid_(pid), raw_(raw), options_(options) {}

  core::Result<PathView> Run(int dirfd);

 private:
  // The lookup's root: the task's root, read once, or the dirfd for scoped lookups (set by
  // Run before the walk).
  int Root(const std::string** root);
  // may_follow_link() of fs/namei.c: with fs.protected_symlinks, a symlink in a sticky,
  // world-writable directory is followed only by its owner or when the directory's owner owns
  // it too (EACCES otherwise). `link` is the lstat of the symlink in directory `dir`.
  int MayFollow(const std::string& dir, const struct stat& link);
  bool Has(uint64_t flag) const { return (options_.resolve & flag) != 0; }

  pid_t pid_;
  std::string_view raw_;
  const ResolveOptions& options_;
  std::string root_;
  int protected_ = -1;  // fs.protected_symlinks, read at the first symlink followed
  bool have_fsuid_ = false;
  uid_t fsuid_ = 0;
};

int Walker::MayFollow(const std::string& dir, const struct stat& link) {
  if (protected_ < 0) protected_ = ProtectedSymlinks() ? 1 : 0;
  if (!protected_) return 0;
  struct stat d;
  if (::stat(dir.c_str(), &d) != 0) return errno;
  if ((d.st_mode & (S_ISVTX | S_IWOTH)) != (S_ISVTX | S_IWOTH)) return 0;
  if (d.st_uid == link.st_uid) return 0;
  if (!have_fsuid_) {
    if (!ReadFsuid(pid_, &fsuid_)) return TaskExists(pid_) ? EACCES : ESRCH;
    have_fsuid_ = true;
  }
  return link.st_uid == fsuid_ ? 0 : EACCES;
}

int Walker::Root(const std::string** root) {
  if (root_.empty()) {
    LinkTarget t;
    std::string link = ProcPath(pid_, "/root");
    int err = ReadLink(link, &t.path);
    if (err == 0 && t.path != "/") err = FollowMagic(link, std::move(t.path), &t);
    if (err == ENOENT) return ESRCH;
    if (err != 0) return err;
    if (t.detached) return ENOENT;
    root_ = std::move(t.path);
  }
  *root = &root_;
  return 0;
}

core::Result<PathView> Walker::Run(int dirfd) {
  PathView out;
  if (raw_.size() >= PATH_MAX) return Fail(ENAMETOOLONG, raw_);
  std::string cur;
  bool cur_is_dir = true;
  const std::string* root = nullptr;
  const bool scoped = Has(kScoped);
  // RESOLVE_NO_XDEV: the one mount the whole walk must stay on (it never changes: every
  // crossing is an error).
  uint64_t mnt = 0;
  size_t start = 0;  // where the walk starts in raw_ (after a removed directory's "..")

  if (raw_.empty()) {
    if (!options_.empty_path) return Fail(ENOENT, raw_);
    LinkTarget t;
    if (int err = DirfdTarget(pid_, dirfd, &t)) return Fail(err, raw_);
    out.path = std::move(t.path);
    out.is_dir = t.is_dir;
    out.detached = t.detached;
    if (t.detached) out.reopen = std::move(t.link);
    return out;
  }
  if (raw_[0] == '/' && Has(RESOLVE_BENEATH)) return Fail(EXDEV, raw_);
  if (raw_[0] == '/' && !Has(RESOLVE_IN_ROOT)) {
    if (int err = Root(&root)) return Fail(err, raw_);
    cur = *root;
  } else {
    LinkTarget t;
    if (int err = DirfdTarget(pid_, dirfd, &t)) return Fail(err, raw_);
    if (!t.is_dir) return Fail(ENOTDIR, raw_);
    if (t.detached) {
      // A deleted directory has no entries, but the kernel's walk still takes "." (the
      // directory itself: stat(".") and opendir(".") in a removed cwd work) and ".." (its
      // parent, where it was: chdir("..") leaves it).
      size_t p = 0;
      while (p < raw_.size()) {
        if (raw_[p] == '/') {
          ++p;
        } else if (raw_[p] == '.' && (p + 1 == raw_.size() || raw_[p + 1] == '/')) {
          ++p;
        } else {
          break;
        }
      }
      if (p == raw_.size()) {
        out.path = std::move(t.path);
        out.is_dir = true;
        out.detached = true;
        out.reopen = std::move(t.link);
        return out;
      }
      const bool dotdot = raw_.compare(p, 2, "..") == 0 &&
                          (p + 2 == raw_.size() || raw_[p + 2] == '/');
      if (!dotdot || scoped) return Fail(scoped && dotdot ? EXDEV : ENOENT, raw_);
      // The parent through the kernel (the magic link, then ".."), named by what it is now;
      // a parent removed too has no name left to check rules against.
      core::UniqueFd parent(::open((t.link + "/..").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (!parent) return Fail(errno == ENOENT && !TaskExists(pid_) ? ESRCH : errno, raw_);
      const std::string link = "/proc/self/fd/" + std::to_string(parent.get());
      std::string text;
      LinkTarget up;
      int err = ReadLink(link, &text);
      if (err == 0) err = FollowMagic(link, std::move(text), &up);
      if (err != 0) return Fail(err, raw_);
      if (up.detached) return Fail(ENOENT, raw_);
      t.path = std::move(up.path);
      start = p + 2;
    }
    cur = std::move(t.path);
    if (scoped) {
      root_ = cur;
      root = &root_;
    }
  }
  if (Has(RESOLVE_NO_XDEV)) {
    if (int err = MountOf(cur, &mnt, nullptr)) return Fail(err, raw_);
  }

  std::string rest(raw_);
  std::string next;
  std::string text;
  size_t pos = start;
  int hops = 0;
  bool last_trailing = false;  // the last component seen was followed by "/"
  while (true) {
    while (pos < rest.size() && rest[pos] == '/') ++pos;
    if (pos == rest.size()) break;
    size_t end = rest.find('/', pos);
    if (end == std::string::npos) end = rest.size();
    std::string_view name(rest.data() + pos, end - pos);
    size_t after = end;
    while (after < rest.size() && rest[after] == '/') ++after;
    const bool last = after == rest.size();
    const bool trailing = last && end < rest.size();
    const bool follow = !last || trailing || options_.follow_final;
    last_trailing = trailing;

    if (!cur_is_dir) return Fail(ENOTDIR, raw_);
    if (name == ".") {
      pos = end;
      continue;
    }
    if (name == "..") {
      if (root == nullptr) {
        if (int err = Root(&root)) return Fail(err, raw_);
      }
      if (cur == *root) {
        if (Has(RESOLVE_BENEATH)) return Fail(EXDEV, raw_);
      } else {
        if (Has(RESOLVE_NO_XDEV)) {
          uint64_t id = 0;
          bool mount_root = false;
          if (int err = MountOf(cur, &id, &mount_root)) return Fail(err, raw_);
          if (mount_root) return Fail(EXDEV, raw_);
        }
        ToParent(&cur);
      }
      pos = end;
      continue;
    }
    if (name.size() > NAME_MAX) return Fail(ENAMETOOLONG, raw_);

    // "self" and "thread-self" in a procfs root name the target, not pwnbox (ordinary
    // symlinks to "TGID" and "TGID/task/TID" for the kernel, not magic ones).
    if ((name == "self" || name == "thread-self") && IsProcRoot(cur)) {
      if (!follow) {
        out.path = Joined(cur, name);
        out.final_is_symlink = true;
        return out;
      }
      if (Has(RESOLVE_NO_SYMLINKS)) return Fail(ELOOP, raw_);
      if (++hops > kMaxSymlinks) return Fail(ELOOP, raw_);
      pid_t tgid = ReadTgid(pid_);
      if (tgid == 0) return Fail(ESRCH, raw_);
      const bool thread = name == "thread-self";
      Join(&cur, std::to_string(tgid));
      if (thread) {
        Join(&cur, "task");
        Join(&cur, std::to_string(pid_));
      }
      pos = end;
      continue;
    }

    next = cur;
    Join(&next, name);
    if (options_.remote && Beneath(next, *options_.remote)) {
      // The backend's: the rest is folded by name, as the backend will see it.
      for (size_t at = end; at < rest.size();) {
        while (at < rest.size() && rest[at] == '/') ++at;
        if (at == rest.size()) break;
        size_t stop = rest.find('/', at);
        if (stop == std::string::npos) stop = rest.size();
        std::string_view part(rest.data() + at, stop - at);
        if (part.size() > NAME_MAX) return Fail(ENAMETOOLONG, raw_);
        if (part == "..") {
          ToParent(&next);
        } else if (part != ".") {
          Join(&next, part);
        }
        at = stop;
      }
      out.path = std::move(next);
      out.exists = false;
      out.remote = true;
      out.trailing_slash = rest.back() == '/';
      return out;
    }
    struct stat st;
    if (::lstat(next.c_str(), &st) != 0) {
      int err = errno;
      if (err == ENOENT && last) {
        out.path = std::move(next);
        out.exists = false;
        out.trailing_slash = trailing;
        return out;
      }
      return Fail(err, raw_);
    }
    if (Has(RESOLVE_NO_XDEV)) {
      uint64_t id = 0;
      if (int err = MountOf(next, &id, nullptr)) return Fail(err, raw_);
      if (id != mnt) return Fail(EXDEV, raw_);
    }
    if (!S_ISLNK(st.st_mode)) {
      cur.swap(next);
      cur_is_dir = S_ISDIR(st.st_mode);
      pos = end;
      continue;
    }
    if (!follow) {
      out.path = std::move(next);
      out.final_is_symlink = true;
      return out;
    }
    if (Has(RESOLVE_NO_SYMLINKS)) return Fail(ELOOP, raw_);
    if (++hops > kMaxSymlinks) return Fail(ELOOP, raw_);
    if (int err = MayFollow(cur, st)) return Fail(err, raw_);
    if (int err = ReadLink(next, &text)) return Fail(err, raw_);
    if (text.empty()) return Fail(ENOENT, raw_);
    // procfs magic links: absolute (d_path) or object ("pipe:[1]") texts; the relative ones
    // ("/proc/mounts" -> "self/mounts") are ordinary symlinks.
    if ((text[0] == '/' || text.find(':') != std::string::npos) && IsProcfs(cur)) {
      // procfs cannot follow these in an RCU walk, which RESOLVE_CACHED cannot leave.
      if (Has(kCached)) return Fail(EAGAIN, raw_);
      // nd_jump_link(): NO_MAGICLINKS first, then NO_XDEV, then the scoped lookups.
      if (Has(RESOLVE_NO_MAGICLINKS)) return Fail(ELOOP, raw_);
      if (Has(RESOLVE_NO_XDEV)) {
        uint64_t id = 0;
        if (int err = MountOfObject(next, &id)) return Fail(err, raw_);
        if (id != mnt) return Fail(EXDEV, raw_);
      }
      if (scoped) return Fail(EXDEV, raw_);
      LinkTarget t;
      if (int err = FollowMagic(next, text, &t)) return Fail(err, raw_);
      if (t.detached) {
        if (!last) return Fail(t.is_dir ? ENOENT : ENOTDIR, raw_);
        if (trailing && !t.is_dir) return Fail(ENOTDIR, raw_);
        out.path = std::move(t.path);
        out.is_dir = t.is_dir;
        out.detached = true;
        out.reopen = std::move(t.link);
        out.trailing_slash = trailing;
        return out;
      }
      cur = std::move(t.path);
      cur_is_dir = t.is_dir;
      pos = end;
      continue;
    }
    if (text[0] == '/') {
      // nd_jump_root().
      if (Has(RESOLVE_BENEATH)) return Fail(EXDEV, raw_);
      // NO_XDEV: the current mount must be the root's, and a lookup that has not needed its
      // root yet (relative, no ".." so far) has none to compare with: EXDEV.
      if (Has(RESOLVE_NO_XDEV) && root == nullptr) return Fail(EXDEV, raw_);
      if (root == nullptr) {
        if (int err = Root(&root)) return Fail(err, raw_);
      }
      if (Has(RESOLVE_NO_XDEV)) {
        uint64_t id = 0;
        if (int err = MountOf(*root, &id, nullptr)) return Fail(err, raw_);
        if (id != mnt) return Fail(EXDEV, raw_);
      }
      cur = *root;
      cur_is_dir = true;
    }
    text.append(rest, end, std::string::npos);
    if (text.size() >= PATH_MAX) return Fail(ENAMETOOLONG, raw_);
    rest.swap(text);
    pos = 0;
  }
  if (!cur_is_dir && last_trailing) return Fail(ENOTDIR, raw_);
  out.path = std::move(cur);
  out.is_dir = cur_is_dir;
  out.trailing_slash = last_trailing;
  return out;
}

}  // namespace

core::Result<PathView> ResolveTargetPath(pid_t pid, int dirfd, std::string_view raw,
                                         const ResolveOptions& options) {
  size_t nul = raw.find('\0');
  if (nul != std::string_view::npos) raw = raw.substr(0, nul);
  return Walker(pid, raw, options).Run(dirfd);
}

core::Result<PathView> ResolveTargetPath(pid_t pid, int dirfd, std::string_view raw,
                                         bool follow_final) {
  ResolveOptions options;
  options.follow_final = follow_final;
  return ResolveTargetPath(pid, dirfd, raw, options);
}

}  // namespace pwnbox::supervisor
