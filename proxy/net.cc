#include "proxy/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "core/fd.h"

namespace pwnbox::proxy {
namespace {

Response Errno(const Request& r, int err) {
  Response res;
  res.id = r.id;
  res.err = err;
  return res;
}

in6_addr Mapped(const in_addr& v4) {
  in6_addr a{};
  a.s6_addr[10] = 0xff;
  a.s6_addr[11] = 0xff;
  std::memcpy(&a.s6_addr[12], &v4, 4);
  return a;
}

core::Error BadEntry(const std::string& entry, const std::string& why) {
  return core::Error("--allow-connect " + entry + ": " + why, EINVAL);
}

// "80" -> 80, "*" -> -1; -2 when it is neither.
int ParsePort(std::string_view text) {
  if (text == "*") return -1;
  if (text.empty() || text.size() > 5) return -2;
  int port = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return -2;
    port = port * 10 + (c - '0');
  }
  return port <= 65535 ? port : -2;
}

// The socket type without SOCK_NONBLOCK/SOCK_CLOEXEC (the kernel's SOCK_TYPE_MASK).
constexpr int64_t kSockTypeMask = 0xf;

}  // namespace

core::Result<NetAllowList> NetAllowList::Parse(const std::vector<std::string>& entries) {
  NetAllowList list;
  for (const std::string& e : entries) {
    NetDestination d;
    d.text = e;
    if (e.rfind("unix:", 0) == 0) {
      d.kind = NetDestination::Kind::kUnix;
      d.path = e.substr(5);
      if (d.path.empty() || d.path[0] != '/')
        return BadEntry(e, "a unix address is an absolute path (abstract names are refused)");
      if (d.path.size() >= sizeof(sockaddr_un{}.sun_path))
        return BadEntry(e, "the path is longer than a sockaddr_un holds");
      list.destinations_.push_back(std::move(d));
      continue;
    }
    const size_t colon = e.rfind(':');
    if (colon == std::string::npos || colon == 0)
      return BadEntry(e, "expected HOST:PORT, [V6]:PORT, HOST:* or unix:/PATH");
    d.port = ParsePort(std::string_view(e).substr(colon + 1));
    if (d.port == -2) return BadEntry(e, "the port is a number 0..65535 or *");
    std::string host = e.substr(0, colon);
    if (host.front() == '[') {
      if (host.size() < 3 || host.back() != ']') return BadEntry(e, "unbalanced [ ]");
      host = host.substr(1, host.size() - 2);
      if (inet_pton(AF_INET6, host.c_str(), &d.addr) != 1)
        return BadEntry(e, "not an IPv6 address");
      list.destinations_.push_back(std::move(d));
      continue;
    }
    if (host.find(':') != std::string::npos)
      return BadEntry(e, "write an IPv6 address in brackets: [::1]:PORT");
    in_addr v4;
    if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
      d.addr = Mapped(v4);
      list.destinations_.push_back(std::move(d));
      continue;
    }
    // A name: every address it has now (resolved once, at start).
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
    if (rc != 0) return BadEntry(e, std::string("cannot resolve the name: ") + gai_strerror(rc));
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
      NetDestination one = d;
      if (ai->ai_family == AF_INET)
        one.addr = Mapped(reinterpret_cast<const sockaddr_in*>(ai->ai_addr)->sin_addr);
      else if (ai->ai_family == AF_INET6)
        one.addr = reinterpret_cast<const sockaddr_in6*>(ai->ai_addr)->sin6_addr;
      else
        continue;
      list.destinations_.push_back(std::move(one));
    }
    freeaddrinfo(res);
  }
  return list;
}

bool NetAllowList::Allows(std::string_view sa) const {
  if (sa.size() < sizeof(sa_family_t)) return false;
  sockaddr_storage ss{};
  std::memcpy(&ss, sa.data(), std::min(sa.size(), sizeof ss));
  in6_addr addr{};
  int port = 0;
  std::string path;
  bool is_unix = false;
  switch (ss.ss_family) {
    case AF_INET: {
      if (sa.size() < sizeof(sockaddr_in)) return false;
      const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
      addr = Mapped(in->sin_addr);
      port = ntohs(in->sin_port);
      break;
    }
    case AF_INET6: {
      if (sa.size() < 24) return false;  // SIN6_LEN_RFC2133
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
      addr = in6->sin6_addr;
      port = ntohs(in6->sin6_port);
      break;
    }
    case AF_UNIX: {
      const size_t n = sa.size() - offsetof(sockaddr_un, sun_path);
      const char* p = reinterpret_cast<const sockaddr_un*>(&ss)->sun_path;
      if (n == 0 || p[0] == '\0') return false;  // unnamed or abstract: never
      path.assign(p, strnlen(p, n));
      is_unix = true;
      break;
    }
    default:
      return false;
  }
  for (const NetDestination& d : destinations_) {
    if (is_unix) {
      if (d.kind == NetDestination::Kind::kUnix && d.path == path) return true;
      continue;
    }
    if (d.kind == NetDestination::Kind::kInet &&
        std::memcmp(&d.addr, &addr, sizeof addr) == 0 && (d.port < 0 || d.port == port))
      return true;
  }
  return false;
}

bool IsNetCall(std::string_view name) {
  return name == "connect" || name == "bind" || name == "sendto";
}

Response NetCall(const Request& r, const NetAllowList& allow, const NetOptions& options) {
  if (!IsNetCall(r.name)) return Errno(r, ENOSYS);
  if (!r.domain || !r.sock_type || !r.data) return Errno(r, EINVAL);
  // Network access is asked for explicitly (--allow-connect); nothing else is reachable.
  if (allow.empty()) return Errno(r, EACCES);
  const int domain = static_cast<int>(*r.domain);
  const int type = static_cast<int>(*r.sock_type & kSockTypeMask);
  const int protocol = static_cast<int>(r.protocol.value_or(0));
  if (domain != AF_INET && domain != AF_INET6 && domain != AF_UNIX) return Errno(r, EACCES);
  if (type != SOCK_STREAM && type != SOCK_DGRAM && !(domain == AF_UNIX && type == SOCK_SEQPACKET))
    return Errno(r, EACCES);
  // The sockaddr, checked as the kernel would before looking at the address.
  const std::string& sa = *r.data;
  if (sa.size() < sizeof(sa_family_t) || sa.size() > kMaxSockaddrBytes) return Errno(r, EINVAL);
  sa_family_t family;
  std::memcpy(&family, sa.data(), sizeof family);
  if (family != domain) return Errno(r, EAFNOSUPPORT);
  if ((family == AF_INET && sa.size() < sizeof(sockaddr_in)) ||
      (family == AF_INET6 && sa.size() < 24) ||
      (family == AF_UNIX && sa.size() > sizeof(sockaddr_un)))
    return Errno(r, EINVAL);
  if (!allow.Allows(sa)) return Errno(r, EACCES);

  const bool connecting = r.name == "connect";
  core::UniqueFd sock(
      socket(domain, type | SOCK_CLOEXEC | (connecting ? SOCK_NONBLOCK : 0), protocol));
  if (!sock) return Errno(r, errno);
  const auto* addr = reinterpret_cast<const sockaddr*>(sa.data());
  const auto len = static_cast<socklen_t>(sa.size());
  if (r.name == "bind") {
    if (bind(sock.get(), addr, len) != 0) return Errno(r, errno);
  } else if (connecting) {
    // Non-blocking, so that a destination that does not answer fails the call in bounded time.
    if (connect(sock.get(), addr, len) != 0) {
      if (errno != EINPROGRESS) return Errno(r, errno);  // EAGAIN: a full unix backlog
      if (*r.sock_type & SOCK_NONBLOCK) {
        // The target's socket is non-blocking: it gets this one still connecting, and sees
        // the outcome as it would have (POLLOUT, SO_ERROR). The destination is checked.
        Response res = Errno(r, EINPROGRESS);
        res.fd = std::move(sock);
        return res;
      }
      pollfd p{sock.get(), POLLOUT, 0};
      int n;
      do {
        n = poll(&p, 1, options.connect_timeout_ms);
      } while (n < 0 && errno == EINTR);
      if (n < 0) return Errno(r, errno);
      if (n == 0) return Errno(r, ETIMEDOUT);
      int err = 0;
      socklen_t err_len = sizeof err;
      if (getsockopt(sock.get(), SOL_SOCKET, SO_ERROR, &err, &err_len) != 0) return Errno(r, errno);
      if (err != 0) return Errno(r, err);
    }
    const int fl = fcntl(sock.get(), F_GETFL);
    if (fl < 0 || fcntl(sock.get(), F_SETFL, fl & ~O_NONBLOCK) != 0) return Errno(r, errno);
  }
  // sendto: the socket as made; the supervisor sends the target's bytes on it.
  Response res;
  res.id = r.id;
  res.ret = 0;
  res.fd = std::move(sock);
  return res;
}

}  // namespace pwnbox::proxy
