#include "proxy/server.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <list>
#include <thread>

#include "proxy/stream.h"

namespace pwnbox::proxy {
namespace {

#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#ifndef __O_TMPFILE
#define __O_TMPFILE 020000000
#endif

// The flags open(2), openat(2) and creat(2) honour (the kernel's VALID_OPEN_FLAGS); they
// ignore the others, where openat2 would refuse them.
constexpr uint64_t kValidOpenFlags =
    O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC |
    FASYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC |
    O_SYNC | O_PATH | __O_TMPFILE;
// RESOLVE_* bits a client's openat2 may add to the server's own.
constexpr uint64_t kClientResolve = RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS |
                                    RESOLVE_NO_SYMLINKS | RESOLVE_CACHED;

// Splits a path on "/" into its components, dropping "" and "." and folding ".." (never above
// the root): the name as the client means it, beneath the root.
std::vector<std::string_view> Components(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view c = path.substr(i, j - i);
    if (c == "..") {
      if (!out.empty()) out.pop_back();
    } else if (!c.empty() && c != ".") {
      out.push_back(c);
    }
    i = j + 1;
  }
  return out;
}

// "**" matches any number of whole components; other components match one with fnmatch(3)
// ("*", "?", "[...]"; dot files too).
bool GlobMatch(const std::vector<std::string_view>& pat, size_t p,
               const std::vector<std::string_view>& path, size_t i) {
  if (p == pat.size()) return i == path.size();
  if (pat[p] == "**") {
    for (size_t k = i; k <= path.size(); ++k)
      if (GlobMatch(pat, p + 1, path, k)) return true;
    return false;
  }
  if (i == path.size()) return false;
  std::string component(pat[p]), name(path[i]);
  return fnmatch(component.c_str(), name.c_str(), 0) == 0 && GlobMatch(pat, p + 1, path, i + 1);
}

Response Errno(const Request& r, int err) {
  Response res;
  res.id = r.id;
  res.err = err;
  return res;
}

template <typename T>
std::string Bytes(const T& value) {
  return std::string(reinterpret_cast<const char*>(&value), sizeof value);
}

bool IsOpen(const std::string& n) {
  return n == "open" || n == "openat" || n == "openat2" || n == "creat";
}

// The calls that change the tree (Server::ExecuteChange).
bool IsChange(const std::string& n) {
  static constexpr std::string_view kNames[] = {
      "mkdir",  "mkdirat", "rmdir",   "unlink",  "unlinkat", "rename",   "renameat", "renameat2",
      "link",   "linkat",  "symlink", "symlinkat", "chmod",  "fchmodat", "truncate"};
  for (auto k : kNames)
    if (k == n) return true;
  return false;
}

}  // namespace

core::Result<std::unique_ptr<Server>> Server::Create(ServerOptions options) {
  std::unique_ptr<Server> server(new Server(std::move(options)));
  const std::string& root = server->options_.root;
  server->root_fd_.reset(open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!server->root_fd_) return core::ErrnoError(errno, "proxy serve: --root " + root);
  char real[PATH_MAX];
  if (realpath(root.c_str(), real) == nullptr)
    return core::ErrnoError(errno, "proxy serve: --root " + root);
  server->root_real_ = real;
  server->stop_event_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!server->stop_event_) return core::ErrnoError(errno, "proxy serve: eventfd");
  for (const std::string& glob : server->options_.allow)
    if (glob.empty() || glob.size() > kMaxPathBytes)
      return core::Error("proxy serve: --allow: an empty or overlong glob", EINVAL);
  auto net = NetAllowList::Parse(server->options_.allow_connect);
  if (!net.ok()) return core::Error("proxy serve: " + net.error().message(), EINVAL);
  server->net_allow_ = std::move(*net);
  return server;
}

Server::~Server() = default;

void Server::Log(const std::string& line) const {
  if (!options_.log) return;
  std::lock_guard lock(log_mu_);
  options_.log(line);
}

bool Server::Allowed(std::string_view relative) const {
  if (options_.allow.empty()) return true;
  auto path = Components(relative);
  for (const std::string& glob : options_.allow)
    if (GlobMatch(Components(glob), 0, path, 0)) return true;
  return false;
}

bool Server::LeadsToAllowed(std::string_view relative) const {
  if (options_.allow.empty()) return true;
  auto path = Components(relative);
  for (const std::string& glob : options_.allow) {
    auto pat = Components(glob);
    // Each of the directory's components matches the glob's in turn, with more of the glob
    // left after them ("**" matches anything, so a directory before it leads there too).
    size_t i = 0;
    while (i < path.size() && i < pat.size() && pat[i] != "**") {
      std::string component(pat[i]), name(path[i]);
      if (fnmatch(component.c_str(), name.c_str(), 0) != 0) break;
      ++i;
    }
    if (i == path.size() && i < pat.size()) return true;
    if (i < pat.size() && pat[i] == "**") return true;
  }
  return false;
}

bool Server::RelativeToRoot(int fd, std::string* relative) const {
  char link[64], target[PATH_MAX + 1];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, target, PATH_MAX);
  if (n <= 0 || target[0] != '/') return false;  // not a path ("anon_inode:..."), or no /proc
  std::string_view path(target, static_cast<size_t>(n));
  if (path.ends_with(" (deleted)")) return false;
  if (root_real_ == "/") {
    *relative = std::string(path.substr(1));
    return true;
  }
  if (path == root_real_) {
    relative->clear();
    return true;
  }
  if (path.size() > root_real_.size() && path.starts_with(root_real_) &&
      path[root_real_.size()] == '/') {
    *relative = std::string(path.substr(root_real_.size() + 1));
    return true;
  }
  return false;
}

int Server::OpenBeneath(const std::string& path, uint64_t flags, uint64_t mode,
                        uint64_t resolve) const {
  if (path.empty()) return -ENOENT;
  if (!Allowed(path)) return -EACCES;
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.mode = (flags & (O_CREAT | __O_TMPFILE)) ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | (resolve & kClientResolve);
  // A name the list allows must not create a file elsewhere through a symlink.
  if (!options_.allow.empty() && (flags & (O_CREAT | __O_TMPFILE))) how.resolve |= RESOLVE_NO_SYMLINKS;
  // Never wait for a FIFO's other end (that would stall this client's connection).
  const bool add_nonblock = !(flags & (O_NONBLOCK | O_PATH));
  if (add_nonblock) how.flags |= O_NONBLOCK;
  int fd;
  do {
    fd = static_cast<int>(syscall(SYS_openat2, root_fd_.get(), path.c_str(), &how, sizeof how));
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return -errno;
  core::UniqueFd owned(fd);
  if (!options_.allow.empty()) {
    std::string relative;
    if (!RelativeToRoot(fd, &relative) || !Allowed(relative)) return -EACCES;
  }
  if (add_nonblock) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) return -errno;
  }
  return owned.release();
}

Response Server::Execute(const Request& r) const {
  Response res;
  res.id = r.id;
  const std::string& n = r.name;
  if (IsNetCall(n)) return NetCall(r, net_allow_, options_.net);  // proxy/net.h
  if (n == "getrandom") {
    // The server's randomness, at most what one message carries (getrandom may return fewer
    // bytes than asked: callers loop).
    const size_t want = std::min<uint64_t>(r.size.value_or(0), kMaxDataBytes);
    const unsigned flags = static_cast<unsigned>(r.flags.value_or(0));
    if (flags & ~unsigned{GRND_NONBLOCK | GRND_RANDOM | 0x0004 /* GRND_INSECURE */})
      return Errno(r, EINVAL);
    std::string bytes(want, '\0');
    ssize_t got;
    do {
      got = getrandom(bytes.data(), want, flags);
    } while (got < 0 && errno == EINTR);
    if (got < 0) return Errno(r, errno);
    bytes.resize(static_cast<size_t>(got));
    res.ret = got;
    res.data = std::move(bytes);
    return res;
  }
  if (n == "uname") {
    utsname u;
    if (uname(&u) != 0) return Errno(r, errno);
    res.data = Bytes(u);
    return res;
  }
  if (n == "gethostname") {
    utsname u;
    if (uname(&u) != 0) return Errno(r, errno);
    res.data = u.nodename;
    return res;
  }
  if (IsChange(n)) return ExecuteChange(r);
  const bool file_call = IsOpen(n) || n == "stat" || n == "lstat" || n == "newfstatat" ||
                         n == "statx" || n == "access" || n == "faccessat" ||
                         n == "faccessat2" || n == "readlink" || n == "readlinkat";
  if (!file_call) return Errno(r, ENOSYS);
  if (!r.path) return Errno(r, EFAULT);  // the client could not give the path
  const std::string& path = *r.path;
  const uint64_t flags = static_cast<uint64_t>(r.flags.value_or(0));
  const uint64_t mode = static_cast<uint64_t>(r.mode.value_or(0));

  if (IsOpen(n)) {
    uint64_t open_flags = flags, open_mode = mode, resolve = 0;
    if (n == "creat") {
      open_flags = O_CREAT | O_WRONLY | O_TRUNC;
    } else if (n == "openat2") {
      resolve = r.resolve.value_or(0);
      if (resolve & ~uint64_t{RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS |
                              RESOLVE_BENEATH | RESOLVE_IN_ROOT | RESOLVE_CACHED})
        return Errno(r, EINVAL);
    }
    if (n != "openat2") {
      open_flags &= kValidOpenFlags;
      open_mode &= 07777;
    }
    int fd = OpenBeneath(path, open_flags, open_mode, resolve);
    if (fd < 0) return Errno(r, -fd);
    res.fd.reset(fd);
    if (open_flags & O_PATH) {
      // An O_PATH file cannot be installed in a seccomp target (ADDFD's fget refuses it):
      // a directory or regular file is passed opened for reading instead (fstat, *at calls
      // and fchdir work on it as on O_PATH), anything else fails with ENOSYS.
      struct stat st;
      if (fstat(fd, &st) != 0) return Errno(r, errno);
      if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) return Errno(r, ENOSYS);
      char proc[64];
      std::snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
      int reopened = open(proc, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY |
                                    (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
      if (reopened < 0) return Errno(r, errno);
      res.fd.reset(reopened);
      int fl = fcntl(reopened, F_GETFL);
      if (fl < 0 || fcntl(reopened, F_SETFL, fl & ~O_NONBLOCK) < 0) return Errno(r, errno);
    }
    res.ret = 0;
    return res;
  }

  // The other calls act on the object the path names: open it O_PATH (confined as an open is),
  // then ask about the fd.
  const bool at_call = n == "newfstatat" || n == "statx" || n == "faccessat2";
  bool nofollow = n == "lstat" || n == "readlink" || n == "readlinkat" ||
                  (at_call && (flags & AT_SYMLINK_NOFOLLOW));
  if (at_call && (flags & ~uint64_t{AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT |
                                    AT_STATX_SYNC_TYPE | AT_EACCESS}))
    return Errno(r, EINVAL);
  if ((n == "stat" || n == "lstat" || n == "newfstatat") && r.abi != "x86_64")
    return Errno(r, ENOSYS);  // struct stat is x86_64's; i386's stat64 is not served
  int pfd = OpenBeneath(path, O_PATH | (nofollow ? O_NOFOLLOW : 0), 0, 0);
  if (pfd == -EACCES && n != "readlink" && n != "readlinkat") {
    // The directories on the way to what --allow names can be stat'ed and accessed (as
    // realpath and sqlite3 do on every component), never opened or listed.
    pfd = OpenAncestor(path, nofollow);
  }
  if (pfd < 0) return Errno(r, -pfd);
  core::UniqueFd object(pfd);
  if (n == "stat" || n == "lstat" || n == "newfstatat") {
    struct stat st;
    if (fstatat(pfd, "", &st, AT_EMPTY_PATH) != 0) return Errno(r, errno);
    res.data = Bytes(st);
    return res;
  }
  if (n == "statx") {
    struct statx stx;
    unsigned int mask = static_cast<unsigned int>(r.mask.value_or(STATX_BASIC_STATS));
    if (statx(pfd, "", AT_EMPTY_PATH | static_cast<int>(flags & AT_STATX_SYNC_TYPE), mask, &stx) != 0)
      return Errno(r, errno);
    res.data = Bytes(stx);
    return res;
  }
  if (n == "access" || n == "faccessat" || n == "faccessat2") {
    if (mode & ~uint64_t{F_OK | R_OK | W_OK | X_OK}) return Errno(r, EINVAL);
    int at_flags = AT_EMPTY_PATH | (n == "faccessat2" ? static_cast<int>(flags & AT_EACCESS) : 0);
    if (syscall(SYS_faccessat2, pfd, "", static_cast<int>(mode), at_flags) != 0)
      return Errno(r, errno);
    return res;
  }
  // readlink, readlinkat: the target's bytes, cut to the caller's buffer size as readlink does.
  char target[PATH_MAX];
  ssize_t len = readlinkat(pfd, "", target, sizeof target);
  if (len < 0) return Errno(r, errno);
  if (r.size && *r.size < static_cast<uint64_t>(len)) len = static_cast<ssize_t>(*r.size);
  if (r.size && *r.size == 0) return Errno(r, EINVAL);
  res.data.assign(target, static_cast<size_t>(len));
  res.ret = len;
  return res;
}

int Server::OpenAncestor(const std::string& path, bool nofollow) const {
  if (!LeadsToAllowed(path)) return -EACCES;
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int fd;
  do {
    fd = static_cast<int>(syscall(SYS_openat2, root_fd_.get(), path.c_str(), &how, sizeof how));
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return -errno;
  core::UniqueFd owned(fd);
  std::string relative;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode) || !RelativeToRoot(fd, &relative) ||
      !LeadsToAllowed(relative))
    return -EACCES;
  return owned.release();
}

core::Result<Server::Entry> Server::EntryBeneath(const std::string& path, int root_errno) const {
  auto parts = Components(path);
  if (parts.empty()) return core::Error("the root", root_errno);
  Entry e;
  e.name = std::string(parts.back());
  std::string parent;
  for (size_t i = 0; i + 1 < parts.size(); ++i) parent += "/" + std::string(parts[i]);
  if (!Allowed(path)) return core::Error("not allowed", EACCES);
  open_how how{};
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  if (!options_.allow.empty()) how.resolve |= RESOLVE_NO_SYMLINKS;  // as a create (OpenBeneath)
  const std::string dir = parent.empty() ? "/" : parent;
  int fd;
  do {
    fd = static_cast<int>(syscall(SYS_openat2, root_fd_.get(), dir.c_str(), &how, sizeof how));
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return core::ErrnoError(errno, "open the directory");
  e.dir.reset(fd);
  if (!options_.allow.empty()) {
    std::string relative;
    if (!RelativeToRoot(fd, &relative) ||
        !Allowed(relative.empty() ? e.name : relative + "/" + e.name))
      return core::Error("not allowed", EACCES);
  }
  return e;
}

Response Server::ExecuteChange(const Request& r) const {
  const std::string& n = r.name;
  if (!r.path) return Errno(r, EFAULT);
  const int64_t flags = r.flags.value_or(0);
  const mode_t mode = static_cast<mode_t>(r.mode.value_or(0)) & 07777;
  auto fail = [&](const core::Error& e) { return Errno(r, e.sys_errno() ? e.sys_errno() : EIO); };
  auto done = [&](int rc) {
    if (rc != 0) return Errno(r, errno);
    Response res;
    res.id = r.id;
    return res;
  };
  // The root itself: what the kernel says for "/" (mkdir: EEXIST, rmdir: EBUSY, ...).
  if (n == "mkdir" || n == "mkdirat") {
    auto e = EntryBeneath(*r.path, EEXIST);
    if (!e.ok()) return fail(e.error());
    return done(mkdirat(e->dir.get(), e->name.c_str(), mode));
  }
  if (n == "rmdir" || n == "unlink" || n == "unlinkat") {
    int at = n == "rmdir" ? AT_REMOVEDIR : n == "unlinkat" ? static_cast<int>(flags) : 0;
    if (at & ~AT_REMOVEDIR) return Errno(r, EINVAL);
    auto e = EntryBeneath(*r.path, (at & AT_REMOVEDIR) ? EBUSY : EISDIR);
    if (!e.ok()) return fail(e.error());
    return done(unlinkat(e->dir.get(), e->name.c_str(), at));
  }
  if (n == "symlink" || n == "symlinkat") {
    // The link's text is data, never resolved here (the kernel resolves it at each use, in
    // the root's view when the server opens through it).
    if (!r.data || r.data->empty() || r.data->size() > kMaxPathBytes ||
        r.data->find('\0') != std::string::npos)
      return Errno(r, r.data && r.data->empty() ? ENOENT : EINVAL);
    auto e = EntryBeneath(*r.path, EEXIST);
    if (!e.ok()) return fail(e.error());
    return done(symlinkat(r.data->c_str(), e->dir.get(), e->name.c_str()));
  }
  if (n == "rename" || n == "renameat" || n == "renameat2" || n == "link" || n == "linkat") {
    if (!r.path2) return Errno(r, EFAULT);
    const bool rename = n.starts_with("rename");
    if (rename && (flags & ~int64_t{RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT}))
      return Errno(r, EINVAL);
    if (!rename && (flags & ~int64_t{AT_SYMLINK_FOLLOW})) return Errno(r, EINVAL);
    auto from = EntryBeneath(*r.path, rename ? EBUSY : EPERM);
    if (!from.ok()) return fail(from.error());
    auto to = EntryBeneath(*r.path2, rename ? EBUSY : EEXIST);
    if (!to.ok()) return fail(to.error());
    if (rename)
      return done(static_cast<int>(syscall(SYS_renameat2, from->dir.get(), from->name.c_str(),
                                           to->dir.get(), to->name.c_str(), flags)));
    if (flags & AT_SYMLINK_FOLLOW) {
      // Follow the old name within the root, then link what it names (through /proc, as
      // linkat(AT_EMPTY_PATH) would need CAP_DAC_READ_SEARCH).
      int obj = OpenBeneath(*r.path, O_PATH, 0, 0);
      if (obj < 0) return Errno(r, -obj);
      core::UniqueFd object(obj);
      char proc[64];
      std::snprintf(proc, sizeof proc, "/proc/self/fd/%d", obj);
      return done(linkat(AT_FDCWD, proc, to->dir.get(), to->name.c_str(), AT_SYMLINK_FOLLOW));
    }
    return done(linkat(from->dir.get(), from->name.c_str(), to->dir.get(), to->name.c_str(), 0));
  }
  if (n == "chmod" || n == "fchmodat" || n == "truncate") {
    // Both follow a final symlink: open the object beneath the root, then act on it through
    // its /proc/self/fd link (an O_PATH fd takes neither fchmod nor ftruncate).
    int obj = OpenBeneath(*r.path, O_PATH, 0, 0);
    if (obj < 0) return Errno(r, -obj);
    core::UniqueFd object(obj);
    char proc[64];
    std::snprintf(proc, sizeof proc, "/proc/self/fd/%d", obj);
    if (n != "truncate") return done(chmod(proc, mode));
    struct stat st;
    if (fstat(obj, &st) != 0) return Errno(r, errno);
    if (S_ISDIR(st.st_mode)) return Errno(r, EISDIR);
    if (!S_ISREG(st.st_mode)) return Errno(r, EINVAL);
    const int64_t length = static_cast<int64_t>(r.args[1]);
    if (length < 0) return Errno(r, EINVAL);
    return done(truncate(proc, length));
  }
  return Errno(r, ENOSYS);
}

void Server::ServeConnection(int sock) const {
  const uint64_t number = ++connections_;
  auto drop = [&](const std::string& why) {
    (void)SendMessage(sock, EncodeError(why));
    Log("client " + std::to_string(number) + ": " + why + "; disconnected");
  };
  auto receive = [&]() -> std::optional<Message> {
    // Idle clients may wait as long as they like; one that stalls in the middle of a message
    // (EIO) for message_timeout_ms is disconnected, so that it cannot hold a thread forever.
    auto frame = ReceiveMessage(sock, options_.message_timeout_ms);
    while (!frame.ok() && frame.error().sys_errno() == ETIMEDOUT)
      frame = ReceiveMessage(sock, options_.message_timeout_ms);
    if (!frame.ok()) {
      drop(frame.error().message());
      return std::nullopt;
    }
    if (!frame->has_value()) return std::nullopt;  // the client is done
    auto m = DecodeMessage((*frame)->payload, std::move((*frame)->fd));
    if (!m.ok()) {
      drop(m.error().message());
      return std::nullopt;
    }
    return std::move(m).value();
  };

  auto hello = receive();
  if (!hello) return;
  if (hello->type == Message::Type::kAttach) return ServeStream(sock, hello->token);
  // Whatever this connection offered and left unattached goes with it.
  struct DropOnReturn {
    const Server* server;
    uint64_t owner;
    ~DropOnReturn() { server->DropStreams(owner); }
  } drop_streams{this, number};
  if (hello->type != Message::Type::kHello) return drop("the first message must be a hello");
  if (hello->hello.version != kProtocolVersion)
    return drop("unsupported protocol version " + std::to_string(hello->hello.version) +
                "; this server speaks " + std::to_string(kProtocolVersion));
  Hello answer;
  answer.fd_passing = static_cast<bool>(hello->fd);
  answer.fd = *answer.fd_passing;  // the client's proof goes back as ours
  answer.software = options_.software;
  if (!SendMessage(sock, EncodeHello(answer), hello->fd.get()).ok()) return;
  hello->fd.reset();

  while (auto m = receive()) {
    if (m->type != Message::Type::kCall) return drop("expected a call");
    Response res = Execute(m->request);
    if (res.fd && !*answer.fd_passing) {
      if (m->request.stream) {
        res = OfferStream(std::move(res), number);  // a stream instead, when the client asks
      } else {
        // The fd cannot cross this connection: fail the call rather than lose it.
        res.fd.reset();
        res.err = EOPNOTSUPP;
      }
    }
    auto sent = SendMessage(sock, EncodeResponse(res), res.fd.get());
    if (!sent.ok()) {
      if (sent.error().sys_errno() != EPIPE && sent.error().sys_errno() != ECONNRESET)
        Log("client " + std::to_string(number) + ": " + sent.error().message());
      return;
    }
  }
}

core::Status Server::Run(int listen_fd, int stop_fd) {
  struct Client {
    core::UniqueFd sock;
    std::thread thread;
    std::atomic<bool> done{false};
  };
  std::list<Client> clients;
  auto reap = [&clients] {
    for (auto it = clients.begin(); it != clients.end();) {
      if (it->done.load()) {
        it->thread.join();
        it = clients.erase(it);
      } else {
        ++it;
      }
    }
  };
  core::Status status;
  while (true) {
    pollfd fds[2] = {{listen_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      status = core::ErrnoError(errno, "proxy serve: poll");
      break;
    }
    if (fds[1].revents) break;
    if (!fds[0].revents) continue;
    int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN) continue;
      if (errno == EMFILE || errno == ENFILE) {
        Log("accept: " + std::string(std::strerror(errno)) + "; waiting for a client to leave");
        reap();
        if (!clients.empty()) {
          pollfd any{clients.front().sock.get(), POLLRDHUP, 0};
          (void)poll(&any, 1, 100);
        }
        continue;
      }
      status = core::ErrnoError(errno, "proxy serve: accept");
      break;
    }
    reap();
    if (clients.size() >= options_.max_clients) {
      (void)SendMessage(fd, EncodeError("too many clients (" +
                                        std::to_string(options_.max_clients) +
                                        "); try again later"));
      close(fd);
      continue;
    }
    Client& c = clients.emplace_back();
    c.sock.reset(fd);
    c.thread = std::thread([this, &c] {
      ServeConnection(c.sock.get());
      // The peer sees the end now; the fd is closed when Run reaps the thread (so that its
      // number is not reused while Run may still shut it down).
      shutdown(c.sock.get(), SHUT_RDWR);
      c.done.store(true);
    });
  }
  // Wake every client thread blocked on its socket or serving a stream, then wait for them.
  const uint64_t one = 1;
  if (write(stop_event_.get(), &one, sizeof one) < 0) Log("stopping streams: eventfd");
  for (Client& c : clients) shutdown(c.sock.get(), SHUT_RDWR);
  for (Client& c : clients) c.thread.join();
  return status;
}

// ---- Streams (docs/proxy.md "Without fd passing") ---------------------------------------------

namespace {
int64_t MonotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}
}  // namespace

void Server::SweepStreamsLocked() const {
  const int64_t now = MonotonicMs();
  for (auto it = streams_.begin(); it != streams_.end();)
    it = it->second.deadline_ms <= now ? streams_.erase(it) : std::next(it);
}

void Server::DropStreams(uint64_t owner) const {
  std::lock_guard lock(streams_mu_);
  for (auto it = streams_.begin(); it != streams_.end();)
    it = it->second.owner == owner ? streams_.erase(it) : std::next(it);
}

Response Server::OfferStream(Response res, uint64_t owner) const {
  Response failed;
  failed.id = res.id;
  struct stat st;
  const int fl = fcntl(res.fd.get(), F_GETFL);
  if (fl < 0 || fstat(res.fd.get(), &st) != 0) {
    failed.err = errno;
    return failed;
  }
  PendingStream pending;
  const int access = fl & O_ACCMODE;
  if (S_ISSOCK(st.st_mode)) {
    pending.kind = StreamOffer::Kind::kDuplex;  // a connected socket (connect's result)
  } else if (S_ISDIR(st.st_mode) || access == O_RDWR) {
    failed.err = EOPNOTSUPP;  // getdents, random access: nothing a byte stream carries
    return failed;
  } else if (access == O_RDONLY) {
    pending.kind = StreamOffer::Kind::kRead;
    if (S_ISREG(st.st_mode)) {
      if (static_cast<uint64_t>(st.st_size) > kMaxStreamFileBytes) {
        failed.err = EFBIG;
        return failed;
      }
      pending.size = static_cast<uint64_t>(st.st_size);
    }
  } else if (access == O_WRONLY) {
    pending.kind = StreamOffer::Kind::kWrite;
  } else {
    failed.err = EOPNOTSUPP;
    return failed;
  }
  pending.fd = std::move(res.fd);
  pending.owner = owner;
  pending.deadline_ms = MonotonicMs() + options_.stream_attach_timeout_ms;
  StreamOffer offer;
  offer.kind = pending.kind;
  offer.size = pending.size;
  {
    std::lock_guard lock(streams_mu_);
    SweepStreamsLocked();
    size_t mine = 0;
    for (const auto& [token, s] : streams_) mine += s.owner == owner;
    if (mine >= options_.max_pending_streams) {
      failed.err = EAGAIN;
      return failed;
    }
    offer.token = NewStreamToken();
    streams_.emplace(offer.token, std::move(pending));
  }
  res.ret = 0;
  res.stream = std::move(offer);
  return res;
}

void Server::ServeStream(int sock, const std::string& token) const {
  PendingStream s;
  {
    std::lock_guard lock(streams_mu_);
    SweepStreamsLocked();
    auto it = streams_.find(token);
    if (it != streams_.end()) {
      s = std::move(it->second);
      streams_.erase(it);
    }
  }
  if (!s.fd) {
    (void)SendMessage(sock, EncodeError("unknown or expired stream token"));
    Log("attach: unknown or expired stream token; disconnected");
    return;
  }
  if (!SendMessage(sock, EncodeAttached()).ok()) return;
  switch (s.kind) {
    case StreamOffer::Kind::kRead:
      if (s.size) {
        auto sent = SendFileBytes(s.fd.get(), sock, *s.size);
        if (!sent.ok() && sent.error().sys_errno() != EPIPE &&
            sent.error().sys_errno() != ECONNRESET)
          Log("stream: " + sent.error().message());
      } else {
        Pump(s.fd.get(), sock, PumpWays{true, false}, stop_event_.get());
      }
      break;
    case StreamOffer::Kind::kWrite:
      // Until the client's EOF, every byte written; closing the connection (our caller) then
      // tells the client that the file has all of it.
      Pump(sock, s.fd.get(), PumpWays{true, false}, stop_event_.get());
      break;
    case StreamOffer::Kind::kDuplex:
      Pump(s.fd.get(), sock, PumpWays{true, true}, stop_event_.get());
      break;
  }
}

core::Result<core::UniqueFd> Listen(std::string_view address) {
  if (address.substr(0, 5) != "unix:")
    return core::Error("proxy serve: --listen " + std::string(address) +
                           ": only unix:PATH is supported",
                       EINVAL);
  const std::string path(address.substr(5));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    return core::Error("proxy serve: --listen unix:PATH: PATH has 1.." +
                           std::to_string(sizeof addr.sun_path - 1) + " bytes",
                       ENAMETOOLONG);
  std::memcpy(addr.sun_path, path.data(), path.size());
  core::UniqueFd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return core::ErrnoError(errno, "proxy serve: socket(AF_UNIX)");
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  if (bind(sock.get(), sa, sizeof addr) != 0) {
    if (errno != EADDRINUSE) return core::ErrnoError(errno, "proxy serve: bind " + path);
    // A socket file: replace it only when no server listens on it any more.
    struct stat st;
    core::UniqueFd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (lstat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode) || !probe ||
        connect(probe.get(), sa, sizeof addr) == 0 || errno != ECONNREFUSED)
      return core::Error("proxy serve: " + path +
                             " exists and is not a stale socket (another server listens on it?)",
                         EADDRINUSE);
    if (unlink(path.c_str()) != 0 || bind(sock.get(), sa, sizeof addr) != 0)
      return core::ErrnoError(errno, "proxy serve: bind " + path);
  }
  if (listen(sock.get(), SOMAXCONN) != 0) return core::ErrnoError(errno, "proxy serve: listen");
  return sock;
}

}  // namespace pwnbox::proxy
