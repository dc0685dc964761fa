// pwnbox::proxy network calls: what `pwnbox proxy serve --allow-connect LIST` does for a
// proxied connect, bind or sendto (docs/proxy.md "Network calls"). The server makes a socket of
// the target's domain, type and protocol in its own network namespace, connects it (connect),
// binds it (bind) or leaves it as made (sendto), and passes it back; the supervisor installs it
// in place of the target's socket (and, for sendto, sends the target's bytes on it).
//
// Nothing is reachable unless the list names it: without a list every network call fails with
// EACCES, as does a destination the list does not name, a family other than AF_INET, AF_INET6
// and AF_UNIX, a socket type other than stream, datagram and (unix) seqpacket, and an abstract
// or relative unix address. A malformed sockaddr is EINVAL, as the kernel would answer.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "proxy/protocol.h"

namespace pwnbox::proxy {

// One --allow-connect entry.
struct NetDestination {
  enum class Kind { kInet, kUnix } kind = Kind::kInet;
  in6_addr addr{};         // kInet: IPv4 as v4-mapped IPv6 (::ffff:a.b.c.d)
  int port = -1;           // kInet: 0..65535, or -1 for any port ("HOST:*")
  std::string path;        // kUnix: an absolute path, matched exactly
  std::string text;        // the entry as written, for messages
};

// The addresses the sandbox may reach, from --allow-connect entries. Empty: nothing.
class NetAllowList {
 public:
  // Parses "HOST:PORT", "[V6]:PORT", "HOST:*" and "unix:/PATH" entries. HOST is an IPv4
  // literal, a bracketed IPv6 literal, or a name resolved once, now, with getaddrinfo (every
  // address it has: "localhost" is 127.0.0.1 and ::1 on most hosts). An error names the entry.
  static core::Result<NetAllowList> Parse(const std::vector<std::string>& entries);

  bool empty() const { return destinations_.empty(); }
  const std::vector<NetDestination>& destinations() const { return destinations_; }
  // Whether the sockaddr `addr` (its family's own layout, a v4-mapped AF_INET6 address counts
  // as its IPv4 one) is listed.
  bool Allows(std::string_view sockaddr) const;

 private:
  std::vector<NetDestination> destinations_;
};

struct NetOptions {
  // How long the server waits for a TCP connection to be made before failing the call with
  // ETIMEDOUT (below the client's 10 s, so that the call gets that answer, not EIO).
  int connect_timeout_ms = 5'000;
};

// Whether `name` is one of the network calls (connect, bind, sendto).
bool IsNetCall(std::string_view name);

// Performs a network call `request` (IsNetCall) for the list `allow`: a socket passed back in
// the result (`ret` 0) or an errno. A connect waits up to connect_timeout_ms for the
// connection, unless the target's socket is non-blocking (SOCK_NONBLOCK in sock_type): a
// connection not made at once is then answered EINPROGRESS with the connecting socket.
Response NetCall(const Request& request, const NetAllowList& allow, const NetOptions& options);

}  // namespace pwnbox::proxy
