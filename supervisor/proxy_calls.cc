#include "supervisor/proxy_calls.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "proxy/client.h"
#include "proxy/stream.h"
#include "supervisor/proxy_relay.h"

#ifndef O_TMPFILE
#define O_TMPFILE (020000000 | O_DIRECTORY)
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

namespace pwnbox::supervisor {

struct ProxyCalls::State {
  State(int fd, size_t max) : report_fd(fd), max_threads(max),
                              event(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  int report_fd;
  size_t max_threads;
  core::UniqueFd event;
  std::mutex mu;
  std::mutex connect_mu;  // held while connecting (never with `mu`)
  std::condition_variable idle;
  size_t running = 0;
  std::vector<Done> done;
  std::map<std::string, std::shared_ptr<proxy::ProxyClient>> clients;
  std::set<std::string> reported;  // backends whose failure was reported
  // The loop's connections (ProxyCalls::SendFromLoop): backends that have one (`looped`, kept
  // by the loop), one a worker is connecting (`handing`), sockets handed over and not yet
  // adopted (`handed`).
  std::set<std::string> looped, handing;
  std::map<std::string, core::UniqueFd> handed;

  // After a call of a worker went well on `backend` (unix:, fds crossing): a connection of
  // the loop's own, connected here (it may block), if it has none.
  void HandLoopConnection(const std::string& backend) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (looped.count(backend) || handing.count(backend) || handed.count(backend)) return;
      handing.insert(backend);
    }
    core::UniqueFd sock;
    if (auto c = proxy::ProxyClient::Connect(backend); c.ok() && (*c)->fd_passing())
      sock = (*c)->TakeSocket();
    std::lock_guard<std::mutex> lock(mu);
    handing.erase(backend);
    if (sock) handed[backend] = std::move(sock);
  }
  // Worker threads, kept between calls (a thread per call cost more than the call's round
  // trip): started when no idle one is there, up to max_threads; they end with `stopping`.
  std::deque<std::pair<uint64_t, Prepared>> jobs;
  std::condition_variable work;
  size_t threads = 0, idle_threads = 0;
  bool stopping = false;
  // Without fd passing: the relays of write and duplex streams (docs/proxy.md "Without fd
  // passing"); reset by ~ProxyCalls, which thereby waits for them to drain.
  std::unique_ptr<ProxyRelays> relays = std::make_unique<ProxyRelays>();

  // The fd to install in the target for a stream `offer` from `client`'s backend (the hook for
  // every call whose result is an fd: open, and connect's socket): attaches a second connection,
  // then materialises a read stream of a regular file (a sealed read-only memfd) or starts a
  // relay and returns its end (`family`: the relayed socket's, ProxyRelays::Start). Errors
  // carry the errno for the call (EIO: the backend failed, already reported; EAGAIN: too many
  // relays).
  core::Result<core::UniqueFd> StreamToFd(const std::string& backend, proxy::ProxyClient& client,
                                          const proxy::StreamOffer& offer,
                                          std::string_view name, int family = AF_UNIX);

  // The client of `backend`, connected now if needed. One connection attempt at a time: the
  // calls that arrive together wait for it rather than each starting an exec: handler.
  core::Result<std::shared_ptr<proxy::ProxyClient>> Client(const std::string& backend) {
    auto find = [&]() -> std::shared_ptr<proxy::ProxyClient> {
      std::lock_guard<std::mutex> lock(mu);
      auto it = clients.find(backend);
      return it != clients.end() ? it->second : nullptr;
    };
    if (auto c = find()) return c;
    std::lock_guard<std::mutex> connecting(connect_mu);
    if (auto c = find()) return c;  // connected while we waited
    auto c = proxy::ProxyClient::Connect(backend);
    if (!c.ok()) return c.error();
    std::shared_ptr<proxy::ProxyClient> client(std::move(*c));
    std::lock_guard<std::mutex> lock(mu);
    clients[backend] = client;
    return client;
  }
  void Forget(const std::string& backend, const proxy::ProxyClient* broken) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = clients.find(backend);
    if (it != clients.end() && it->second.get() == broken) clients.erase(it);
  }
  void Report(const std::string& backend, const std::string& why) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!reported.insert(backend).second) return;
    }
    // The client's own errors name the backend already.
    if (why.rfind("proxy backend", 0) == 0)
      dprintf(report_fd, "pwnbox: %s; its calls fail with EIO\n", why.c_str());
    else
      dprintf(report_fd, "pwnbox: proxy backend %s: %s; its calls fail with EIO\n",
              backend.c_str(), why.c_str());
  }
  void Finish(uint64_t token, EmulationResult r) {
    std::lock_guard<std::mutex> lock(mu);
    done.push_back(Done{token, std::move(r)});
    const uint64_t one = 1;
    ssize_t ignored = write(event.get(), &one, sizeof one);
    (void)ignored;
    --running;
    idle.notify_all();
  }
};

namespace {

// The target task's fd `fd`, duplicated here (pidfd_getfd), with the close-on-exec flag of its
// number there (/proc/TID/fdinfo: pidfd_getfd's copy is always close-on-exec).
core::Result<core::UniqueFd> TargetFd(pid_t tid, int fd, bool* cloexec) {
  constexpr unsigned kPidfdThread = O_EXCL;  // PIDFD_THREAD: the notification names a thread
  core::UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, tid, kPidfdThread)));
  if (!pidfd) return core::ErrnoError(errno == EINVAL ? ESRCH : errno, "pidfd_open");
  core::UniqueFd dup(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd.get(), fd, 0)));
  if (!dup) return core::ErrnoError(errno, "pidfd_getfd");
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", tid, fd);
  core::UniqueFd info(open(path, O_RDONLY | O_CLOEXEC));
  char text[512];
  ssize_t n = info ? read(info.get(), text, sizeof text - 1) : -1;
  if (n <= 0) return core::ErrnoError(n < 0 ? errno : EBADF, "reading " + std::string(path));
  text[n] = '\0';
  const char* flags = strstr(text, "flags:");
  if (flags == nullptr) return core::Error("no flags in " + std::string(path), EIO);
  *cloexec = (strtoul(flags + 6, nullptr, 8) & O_CLOEXEC) != 0;
  return dup;
}

int IntOpt(int sock, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  return getsockopt(sock, level, name, &v, &len) == 0 ? v : -1;
}

}  // namespace

core::Result<ProxyCalls::Prepared> ProxyCalls::PrepareNet(const core::SyscallCall& call,
                                                          Prepared p) {
  proxy::Request& r = p.request;
  const uint64_t* a = call.args;
  const bool is_sendto = r.name == "sendto";
  const uint64_t addr = is_sendto ? a[4] : a[1];
  const int addrlen = static_cast<int>(is_sendto ? a[5] : a[2]);
  // send() is sendto(fd, buf, len, flags, NULL, 0): no destination, nothing to proxy; the
  // socket the target has decides where the bytes go.
  if (is_sendto && (addr == 0 || addrlen == 0)) {
    p.expect = Prepared::Expect::kContinue;
    return p;
  }
  // The kernel's checks (move_addr_to_kernel, then the family's minimum).
  if (addrlen < 0 || addrlen > static_cast<int>(proxy::kMaxSockaddrBytes))
    return core::Error("sockaddr length", EINVAL);
  if (addrlen < static_cast<int>(sizeof(sa_family_t))) return core::Error("sockaddr length", EINVAL);
  core::ProcessMemory mem(call.pid);
  std::string sockaddr(static_cast<size_t>(addrlen), '\0');
  if (mem.Read(addr, sockaddr.data(), sockaddr.size()) != addrlen)
    return core::Error("unreadable sockaddr", EFAULT);
  if (is_sendto) {
    const size_t len = a[2];
    if (len > kMaxSendBytes) return core::Error("sendto larger than a proxied datagram", EMSGSIZE);
    p.send_bytes.resize(len);
    if (len > 0 && mem.Read(a[1], p.send_bytes.data(), len) != static_cast<ssize_t>(len))
      return core::Error("unreadable sendto buffer", EFAULT);
    p.send_flags = static_cast<int>(a[3]);
    r.size = len;
    r.flags = static_cast<int64_t>(static_cast<int>(a[3]));
  }
  // The target's socket: what to make in its place.
  const int fd = static_cast<int>(a[0]);
  if (fd < 0) return core::Error("bad fd", EBADF);
  bool cloexec = false;
  auto sock = TargetFd(call.pid, fd, &cloexec);
  if (!sock.ok()) return sock.error();
  const int domain = IntOpt(sock->get(), SOL_SOCKET, SO_DOMAIN);
  const int type = IntOpt(sock->get(), SOL_SOCKET, SO_TYPE);
  const int protocol = IntOpt(sock->get(), SOL_SOCKET, SO_PROTOCOL);
  if (domain < 0 || type < 0 || protocol < 0) return core::Error("not a socket", ENOTSOCK);
  const int fl = fcntl(sock->get(), F_GETFL);
  if (fl < 0) return core::ErrnoError(errno, "F_GETFL");
  p.nonblock = (fl & O_NONBLOCK) != 0;
  r.domain = domain;
  r.sock_type = type | (p.nonblock ? SOCK_NONBLOCK : 0) | (cloexec ? SOCK_CLOEXEC : 0);
  r.protocol = protocol;
  r.data = std::move(sockaddr);
  p.expect = Prepared::Expect::kSocket;
  p.target_sock = std::move(*sock);
  p.install_at = fd;
  p.cloexec = cloexec;
  return p;
}

core::Result<core::UniqueFd> ProxyCalls::State::StreamToFd(const std::string& backend,
                                                           proxy::ProxyClient& client,
                                                           const proxy::StreamOffer& offer,
                                                           std::string_view name,
                                                           int family) {
  auto conn = client.AttachStream(offer.token);
  if (!conn.ok()) {
    Report(backend, conn.error().message());
    return core::Error(conn.error().message(), kBackendErrno);
  }
  if (offer.kind == proxy::StreamOffer::Kind::kRead && offer.size) {
    auto mem = proxy::Materialise(conn->get(), *offer.size, name, kStreamIdleTimeoutMs);
    if (!mem.ok()) {
      Report(backend, mem.error().message());
      return core::Error(mem.error().message(), kBackendErrno);
    }
    return mem;
  }
  auto end = relays->Start(std::move(*conn), family);
  if (!end.ok() && end.error().sys_errno() != EAGAIN) {
    Report(backend, end.error().message());
    return core::Error(end.error().message(), kBackendErrno);
  }
  return end;
}

core::Result<ProxyCalls::Prepared> ProxyCalls::Prepare(const core::SyscallCall& call,
                                                       const Verdict& v,
                                                       core::TargetMemory& mem) {
  const std::string_view name = core::SyscallName(call.nr, call.abi);
  if (call.abi != core::Abi::kX86_64 || !v.proxy || !CanProxy(name))
    return core::Error("not a proxied call", ENOSYS);
  Prepared p;
  p.backend = v.proxy->backend;
  proxy::Request& r = p.request;
  r.name = std::string(name);
  r.nr = call.nr;
  r.abi = "x86_64";
  r.pid = call.pid;
  for (int i = 0; i < 6; ++i) r.args[static_cast<size_t>(i)] = call.args[i];
  if (name == "connect" || name == "bind" || name == "sendto") return PrepareNet(call, std::move(p));
  if (name != "uname" && name != "getrandom") {
    if (v.paths.empty()) return core::Error("no resolved path", EFAULT);
    auto pattern = [&v](size_t i) {
      return i < v.proxy_patterns.size() ? v.proxy_patterns[i] : nullptr;
    };
    r.path = ProxyPath(v.paths[0].view.path, pattern(0));
    if (v.paths.size() > 1) r.path2 = ProxyPath(v.paths[1].view.path, pattern(1));
  }
  const uint64_t* a = call.args;
  auto data = [&](uint64_t addr, size_t size, bool exact) {
    p.expect = Prepared::Expect::kData;
    p.out_addr = addr;
    p.out_size = size;
    p.exact = exact;
  };
  auto open = [&](uint64_t flags, uint64_t mode) {
    // O_PATH files cannot be installed (ADDFD's fget refuses them): the backend answers an
    // O_PATH open with the object opened for reading (docs/proxy.md), checked in Interpret.
    r.flags = static_cast<int64_t>(flags);
    r.mode = static_cast<int64_t>(mode);
    p.expect = Prepared::Expect::kFd;
    p.cloexec = (flags & O_CLOEXEC) != 0;
  };
  if (name == "open") open(a[1], a[2]);
  else if (name == "openat") open(a[2], a[3]);
  else if (name == "creat") open(O_CREAT | O_WRONLY | O_TRUNC, a[1]);
  else if (name == "openat2") {
    if (!v.open_how) return core::Error("openat2 without its open_how", EFAULT);
    open(v.open_how->flags, v.open_how->mode);
    r.resolve = v.open_how->resolve;
  } else if (name == "stat" || name == "lstat") {
    data(a[1], sizeof(struct stat), true);
  } else if (name == "newfstatat") {
    r.flags = static_cast<int64_t>(a[3]);
    data(a[2], sizeof(struct stat), true);
  } else if (name == "statx") {
    r.flags = static_cast<int64_t>(a[2]);
    r.mask = static_cast<uint32_t>(a[3]);
    data(a[4], sizeof(struct statx), true);
  } else if (name == "access") {
    r.mode = static_cast<int64_t>(a[1]);
  } else if (name == "faccessat" || name == "faccessat2") {
    r.mode = static_cast<int64_t>(a[2]);
    if (name == "faccessat2") r.flags = static_cast<int64_t>(a[3]);
  } else if (name == "readlink" || name == "readlinkat") {
    const bool at = name == "readlinkat";
    const int64_t bufsiz = static_cast<int32_t>(a[at ? 3 : 2]);
    if (bufsiz <= 0) return core::Error("readlink bufsiz", EINVAL);
    r.size = static_cast<uint64_t>(bufsiz);
    data(a[at ? 2 : 1], static_cast<size_t>(bufsiz), false);
  } else if (name == "uname") {
    data(a[0], sizeof(struct utsname), true);
  } else if (name == "getrandom") {
    // At most what one message carries; getrandom may return fewer bytes than asked.
    const size_t want = std::min<uint64_t>(a[1], proxy::kMaxDataBytes);
    r.size = want;
    r.flags = static_cast<int64_t>(static_cast<uint32_t>(a[2]));
    data(a[0], want, false);
  } else if (name == "mkdir" || name == "chmod") {
    r.mode = static_cast<int64_t>(a[1] & 07777);
  } else if (name == "mkdirat" || name == "fchmodat") {
    r.mode = static_cast<int64_t>(a[2] & 07777);
  } else if (name == "unlinkat") {
    r.flags = static_cast<int64_t>(static_cast<int32_t>(a[2]));
  } else if (name == "renameat2") {
    r.flags = static_cast<int64_t>(static_cast<uint32_t>(a[4]));
  } else if (name == "linkat") {
    r.flags = static_cast<int64_t>(static_cast<int32_t>(a[4]));
  } else if (name == "symlink" || name == "symlinkat") {
    // The link's text, read once (never resolved: it is what the link will hold).
    std::string text;
    char chunk[256];
    for (uint64_t at = a[0];;) {
      ssize_t n = mem.ReadStringBytes(at, chunk, sizeof chunk);
      if (n <= 0) return core::Error("symlink target", EFAULT);
      const char* nul = static_cast<const char*>(memchr(chunk, '\0', static_cast<size_t>(n)));
      text.append(chunk, nul ? static_cast<size_t>(nul - chunk) : static_cast<size_t>(n));
      if (text.size() > proxy::kMaxPathBytes) return core::Error("symlink target", ENAMETOOLONG);
      if (nul) break;
      at += static_cast<uint64_t>(n);
    }
    if (text.empty()) return core::Error("symlink target", ENOENT);
    r.data = std::move(text);
  }
  p.creates = name == "mkdir" || name == "mkdirat" ||
              (p.expect == Prepared::Expect::kFd &&
               ((r.flags.value_or(0) & O_CREAT) || (r.flags.value_or(0) & O_TMPFILE) == O_TMPFILE));
  return p;
}

EmulationResult ProxyCalls::Interpret(const Prepared& p, proxy::Response response,
                                      std::string* why) {
  EmulationResult r;
  auto bad = [&](const std::string& what) {
    *why = what;
    r = EmulationResult{};
    r.ret = -kBackendErrno;
    return std::move(r);
  };
  if (response.err == EINPROGRESS && response.fd && p.expect == Prepared::Expect::kSocket &&
      p.request.name == "connect" && p.nonblock) {
    // A non-blocking connect still in progress: the socket is installed, the call says so.
    r.fd = std::move(response.fd);
    r.cloexec = p.cloexec;
    r.install_at = p.install_at;
    r.ret = -EINPROGRESS;
    return r;
  }
  if (response.err != 0) {
    if (response.fd) return bad("an fd came with an error");
    r.ret = -response.err;
    return r;
  }
  switch (p.expect) {
    case Prepared::Expect::kFd:
      if (!response.fd) return bad("no fd came with a successful " + p.request.name);
      if (!response.data.empty()) return bad("data came with an fd");
      if (int fl = fcntl(response.fd.get(), F_GETFL); fl < 0 || (fl & O_PATH))
        return bad("an O_PATH fd came, which cannot be installed in the target");
      r.fd = std::move(response.fd);
      r.cloexec = p.cloexec;
      return r;
    case Prepared::Expect::kData: {
      if (response.fd) return bad("an fd came with " + p.request.name + "'s data");
      const size_t n = response.data.size();
      if (p.exact ? n != p.out_size : n > p.out_size)
        return bad(std::to_string(n) + " bytes for " + p.request.name + "'s " +
                   std::to_string(p.out_size) + "-byte buffer");
      const int64_t want = p.exact ? 0 : static_cast<int64_t>(n);
      if (response.ret != want)
        return bad(p.request.name + " returned " + std::to_string(response.ret) + ", not " +
                   std::to_string(want));
      r.ret = response.ret;
      r.out = std::move(response.data);
      return r;
    }
    case Prepared::Expect::kNothing:
      if (response.fd || !response.data.empty() || response.ret != 0)
        return bad(p.request.name + " answered more than its result");
      return r;
    case Prepared::Expect::kSocket:
      if (!response.fd) return bad("no socket came with a successful " + p.request.name);
      if (!response.data.empty() || response.ret != 0)
        return bad(p.request.name + " answered more than its socket");
      r.fd = std::move(response.fd);
      r.cloexec = p.cloexec;
      r.install_at = p.install_at;
      return r;
    case Prepared::Expect::kContinue:
      return bad(p.request.name + " was not to be sent");
  }
  return bad("unreachable");
}

void ProxyCalls::FinishNet(const Prepared& p, EmulationResult* r, std::string* why) {
  if (p.expect != Prepared::Expect::kSocket || !r->fd) return;
  auto bad = [&](const std::string& what) {
    *why = what;
    *r = EmulationResult{};
    r->ret = -kBackendErrno;
  };
  const int sock = r->fd.get();
  const int64_t type_bits = p.request.sock_type.value_or(0) & 0xf;  // SOCK_TYPE_MASK
  if (IntOpt(sock, SOL_SOCKET, SO_DOMAIN) != p.request.domain.value_or(-1) ||
      IntOpt(sock, SOL_SOCKET, SO_TYPE) != type_bits)
    return bad("the fd for " + p.request.name + " is not a socket of the target's kind");
  // O_NONBLOCK is the open file's status: the new file gets the target's.
  const int fl = fcntl(sock, F_GETFL);
  if (fl < 0 || fcntl(sock, F_SETFL, p.nonblock ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK)) != 0)
    return bad(std::string("F_SETFL on the passed socket: ") + strerror(errno));
  // Socket options a program commonly sets before connecting, carried over (best effort: an
  // option the new socket's protocol lacks is skipped). Addresses bound before are not.
  struct Opt { int level, name; };
  static constexpr Opt kOpts[] = {{SOL_SOCKET, SO_KEEPALIVE}, {SOL_SOCKET, SO_BROADCAST},
                                  {SOL_SOCKET, SO_OOBINLINE}, {SOL_SOCKET, SO_PRIORITY},
                                  {SOL_SOCKET, SO_PASSCRED},  {IPPROTO_TCP, TCP_NODELAY}};
  for (const Opt& o : kOpts) {
    int v = 0;
    socklen_t len = sizeof v;
    if (getsockopt(p.target_sock.get(), o.level, o.name, &v, &len) == 0 && v != 0)
      (void)setsockopt(sock, o.level, o.name, &v, len);
  }
  for (int name : {SO_LINGER, SO_RCVTIMEO, SO_SNDTIMEO}) {
    char v[32];
    socklen_t len = sizeof v;
    if (getsockopt(p.target_sock.get(), SOL_SOCKET, name, v, &len) == 0)
      (void)setsockopt(sock, SOL_SOCKET, name, v, len);
  }
  if (p.request.name != "sendto") return;
  // A socket already in the backend's network namespace (one installed by an earlier proxied
  // call) keeps its port: send on it, drop the new one.
  uint64_t mine = 0, theirs = 0;
  socklen_t len = sizeof mine;
  int out = sock;
  if (getsockopt(sock, SOL_SOCKET, SO_NETNS_COOKIE, &mine, &len) == 0 &&
      getsockopt(p.target_sock.get(), SOL_SOCKET, SO_NETNS_COOKIE, &theirs, &len) == 0 &&
      mine == theirs)
    out = p.target_sock.get();
  const std::string& to = *p.request.data;
  ssize_t n;
  do {
    n = sendto(out, p.send_bytes.data(), p.send_bytes.size(),
               p.send_flags | MSG_NOSIGNAL | (p.nonblock ? MSG_DONTWAIT : 0),
               reinterpret_cast<const struct sockaddr*>(to.data()),
               static_cast<socklen_t>(to.size()));
  } while (n < 0 && errno == EINTR);
  const int err = errno;
  if (n < 0 || out != sock) {
    r->fd.reset();  // nothing replaced: the target's socket stays as it is
    r->install_at = -1;
  }
  r->ret = n < 0 ? -err : n;
}

ProxyCalls::ProxyCalls(int report_fd, size_t max_threads)
    : state_(std::make_shared<State>(report_fd, max_threads)) {}

ProxyCalls::~ProxyCalls() {
  std::unique_lock<std::mutex> lock(state_->mu);
  state_->idle.wait(lock, [this] { return state_->running == 0; });
  state_->stopping = true;
  state_->work.notify_all();
  state_->idle.wait(lock, [this] { return state_->threads == 0; });
  lock.unlock();
  state_->relays.reset();  // waits for the relays to carry what the target wrote (bounded)
}

namespace {

// An open answered with a stream (it asked for one: `asked`): the fd StreamToFd makes.
EmulationResult FromStream(ProxyCalls::State& state, const ProxyCalls::Prepared& p,
                           proxy::ProxyClient& client, bool asked,
                           const proxy::StreamOffer& offer) {
  EmulationResult r;
  r.ret = -ProxyCalls::kBackendErrno;
  if (!asked) {
    state.Report(p.backend, "a stream came with " + p.request.name + ", which asked for none");
    return r;
  }
  const std::string path = p.request.path.value_or("");
  const bool socket = p.expect == ProxyCalls::Prepared::Expect::kSocket;
  auto fd = state.StreamToFd(p.backend, client, offer, path.substr(path.rfind('/') + 1),
                             socket ? static_cast<int>(p.request.domain.value_or(AF_UNIX))
                                    : AF_UNIX);
  if (!fd.ok()) {
    r.ret = -fd.error().sys_errno();
    return r;
  }
  // The open's (the socket's) O_NONBLOCK, on the target's own file description (a relayed
  // socketpair end would block otherwise; harmless on a memfd).
  if (socket ? p.nonblock : (p.request.flags.value_or(0) & O_NONBLOCK) != 0) {
    const int fl = fcntl(fd->get(), F_GETFL);
    if (fl < 0 || fcntl(fd->get(), F_SETFL, fl | O_NONBLOCK) != 0) {
      state.Report(p.backend, "fcntl(F_SETFL, O_NONBLOCK) on a stream's fd failed");
      return r;
    }
  }
  r.ret = 0;
  r.fd = std::move(*fd);
  r.cloexec = p.cloexec;
  if (socket) r.install_at = p.install_at;  // in place of the target's socket
  return r;
}

EmulationResult Run(ProxyCalls::State& state, const ProxyCalls::Prepared& p) {
  EmulationResult r;
  r.ret = -ProxyCalls::kBackendErrno;
  auto client = state.Client(p.backend);
  if (!client.ok()) {
    state.Report(p.backend, client.error().message());
    return r;
  }
  // Without fd passing, an open asks for a stream instead of the fd that cannot come, and so
  // does a connect: the backend connects (blocking, bounded: the stream carries a connected
  // socket only) and the target gets a relayed socketpair end in place of its socket. bind
  // and sendto have nothing a stream could carry (the backend says EOPNOTSUPP).
  using Expect = ProxyCalls::Prepared::Expect;
  const bool stream = !(*client)->fd_passing() &&
                      (p.expect == Expect::kFd ||
                       (p.expect == Expect::kSocket && p.request.name == "connect"));
  proxy::Request streamed;
  if (stream) {
    streamed = p.request;
    streamed.stream = true;
    if (streamed.sock_type) streamed.sock_type = *streamed.sock_type & ~int64_t{SOCK_NONBLOCK};
  }
  auto resp = (*client)->Call(stream ? streamed : p.request);
  if (!resp.ok()) {
    // A timeout leaves the connection usable; anything else broke it: connect again next time.
    if (resp.error().sys_errno() != ETIMEDOUT) state.Forget(p.backend, client->get());
    state.Report(p.backend, resp.error().message());
    return r;
  }
  if (resp->stream) return FromStream(state, p, **client, stream, *resp->stream);
  std::string why;
  r = ProxyCalls::Interpret(p, std::move(*resp), &why);
  if (why.empty()) ProxyCalls::FinishNet(p, &r, &why);
  if (!why.empty()) {
    state.Report(p.backend, why);
  } else if ((*client)->fd_passing() && p.backend.rfind("unix:", 0) == 0) {
    state.HandLoopConnection(p.backend);  // the next calls go from the loop
  }
  return r;
}

void Worker(std::shared_ptr<ProxyCalls::State> state) {
  std::unique_lock<std::mutex> lock(state->mu);
  while (true) {
    ++state->idle_threads;
    state->work.wait(lock, [&] { return state->stopping || !state->jobs.empty(); });
    --state->idle_threads;
    if (state->jobs.empty()) break;  // stopping, nothing left
    auto [token, p] = std::move(state->jobs.front());
    state->jobs.pop_front();
    lock.unlock();
    EmulationResult r = Run(*state, p);
    state->Finish(token, std::move(r));
    lock.lock();
  }
  --state->threads;
  state->idle.notify_all();
}

}  // namespace

void ProxyCalls::Submit(uint64_t token, Prepared p) {
  std::lock_guard<std::mutex> lock(state_->mu);
  ++state_->running;
  state_->jobs.emplace_back(token, std::move(p));
  if (state_->idle_threads < state_->jobs.size() && state_->threads < state_->max_threads) {
    ++state_->threads;
    std::thread(Worker, state_).detach();
  }
  state_->work.notify_one();
}

std::vector<ProxyCalls::Done> ProxyCalls::TakeDone() {
  uint64_t n;
  ssize_t ignored = read(state_->event.get(), &n, sizeof n);
  (void)ignored;
  std::lock_guard<std::mutex> lock(state_->mu);
  std::vector<Done> out;
  out.swap(state_->done);
  return out;
}

int ProxyCalls::event_fd() const { return state_->event.get(); }

bool ProxyCalls::SendFromLoop(uint64_t token, Prepared& p) {
  using Expect = Prepared::Expect;
  if (p.expect != Expect::kFd && p.expect != Expect::kData && p.expect != Expect::kNothing)
    return false;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    for (auto& [backend, sock] : state_->handed) {
      loop_[backend] = std::make_unique<LoopConnection>(std::move(sock));
      state_->looped.insert(backend);
    }
    state_->handed.clear();
  }
  auto it = loop_.find(p.backend);
  if (it == loop_.end() || it->second->broken()) return false;
  const int64_t deadline = MonotonicNowMs() + proxy::ClientOptions{}.timeout_ms;
  if (!it->second->Send(token, p.request, deadline)) return false;
  loop_calls_[token] = LoopCall{p.backend, std::move(p)};
  return true;
}

void ProxyCalls::AppendPollFds(std::vector<pollfd>* fds) const {
  for (const auto& [backend, conn] : loop_)
    if (!conn->broken()) fds->push_back(pollfd{conn->fd(), conn->events(), 0});
}

int ProxyCalls::NextTimeoutMs() const {
  int64_t next = -1;
  for (const auto& [backend, conn] : loop_) {
    const int64_t d = conn->next_deadline_ms();
    if (d >= 0 && (next < 0 || d < next)) next = d;
  }
  if (next < 0) return -1;
  return static_cast<int>(std::max<int64_t>(0, next - MonotonicNowMs()));
}

std::vector<ProxyCalls::Done> ProxyCalls::OnReady(const pollfd* fds, size_t n) {
  std::vector<Done> out;
  auto fail = [&](uint64_t token, const std::string& why) {
    auto it = loop_calls_.find(token);
    if (it == loop_calls_.end()) return;
    state_->Report(it->second.backend, why);
    EmulationResult r;
    r.ret = -kBackendErrno;
    out.push_back(Done{token, std::move(r)});
    loop_calls_.erase(it);
  };
  for (auto it = loop_.begin(); it != loop_.end();) {
    LoopConnection& conn = *it->second;
    short revents = 0;
    for (size_t i = 0; i < n; ++i)
      if (fds[i].fd == conn.fd()) revents = fds[i].revents;
    std::vector<LoopConnection::Arrived> arrived;
    std::vector<uint64_t> lost;
    std::string broken;
    if (revents) conn.OnReady(revents, &arrived, &lost, &broken);
    for (auto& a : arrived) {
      auto call = loop_calls_.find(a.token);
      if (call == loop_calls_.end()) continue;
      std::string why;
      EmulationResult r = Interpret(call->second.prepared, std::move(a.response), &why);
      if (!why.empty()) state_->Report(call->second.backend, why);
      out.push_back(Done{a.token, std::move(r)});
      loop_calls_.erase(call);
    }
    for (uint64_t token : lost) fail(token, "proxy backend " + it->first + ": " + broken);
    for (uint64_t token : conn.Expire(MonotonicNowMs())) {
      auto call = loop_calls_.find(token);
      const std::string name = call != loop_calls_.end() ? call->second.prepared.request.name : "";
      fail(token, "proxy backend " + it->first + ": no result for " + name + " within " +
                      std::to_string(proxy::ClientOptions{}.timeout_ms) + " ms");
    }
    if (conn.broken()) {
      std::lock_guard<std::mutex> lock(state_->mu);
      state_->looped.erase(it->first);  // a worker makes a new one after its next good call
      it = loop_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

}  // namespace pwnbox::supervisor
