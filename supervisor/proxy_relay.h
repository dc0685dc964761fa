// pwnbox::supervisor::ProxyRelays: the relays that carry a proxied file or socket between the
// target and a backend's stream when fds cannot cross the backend's connection (docs/proxy.md
// "Without fd passing"). A relay turns "the backend's stream connection" into a local socketpair
// end to install in the target, and carries bytes between the other end and the stream, both
// ways, with splice (proxy::Pump), on a thread of its own:
//
//   target fd (socketpair end) <-> relay thread (splice via pipes) <-> stream connection
//
// Used for a file opened for writing (a write stream), a FIFO or device opened for reading, and
// a connected socket (a duplex stream: connect's result). EOF propagates each way (shutdown
// SHUT_WR); the target closing its end (or dying) ends the relay once the backend has taken every
// byte and closed its side; so does the backend going away (the target then sees EOF, and EPIPE
// on write).
//
// Bounds: at most kMaxRelays at once (Start fails with EAGAIN beyond: the target's open fails
// with it); one thread each, which blocks only in poll, never the notify loop. The destructor
// (pwnbox's exit) waits up to kDrainMs for the relays to finish carrying what the target wrote
// before it stopped, then stops the rest and waits for their threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>

#include <sys/socket.h>

#include "core/fd.h"
#include "core/status.h"

namespace pwnbox::supervisor {

class ProxyRelays {
 public:
  static constexpr size_t kMaxRelays = 64;
  static constexpr int kDrainMs = 10'000;

  ProxyRelays();
  // Waits up to kDrainMs for the running relays to end, then stops them and joins their threads.
  ~ProxyRelays();
  ProxyRelays(const ProxyRelays&) = delete;
  ProxyRelays& operator=(const ProxyRelays&) = delete;

  // The generic relay: takes the backend's stream connection (attached: proxy::ProxyClient::
  // AttachStream) and returns one end of a new connected pair (close-on-exec) to install in the
  // target; a thread carries bytes between the other end and `stream` until both ways have
  // ended. The pair is a socketpair (AF_UNIX, SOCK_STREAM), or, for `family` AF_INET or
  // AF_INET6 (a relayed TCP connection), a TCP connection over pwnbox's loopback when it is up,
  // so that TCP socket options (TCP_NODELAY...) work on the target's end as on the socket it
  // replaces. Errors: EAGAIN (kMaxRelays running), or the socketpair's errno.
  core::Result<core::UniqueFd> Start(core::UniqueFd stream, int family = AF_UNIX);

  // Relays running now.
  size_t active() const;

  struct Shared;  // with the relay threads

 private:
  std::shared_ptr<Shared> shared_;
};

}  // namespace pwnbox::supervisor
