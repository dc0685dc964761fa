// pwnbox::proxy streams: the byte pipes that carry a proxied file or socket when fds cannot
// cross the connection (a relay that drops SCM_RIGHTS, an ssh-forwarded socket; docs/proxy.md
// "Without fd passing"). Both ends use these: `pwnbox proxy serve` pumps a file or socket into
// the stream's connection, pwnbox materialises a read stream into a memfd or relays a write or
// duplex stream to a socketpair end it installs in the target.
//
// Everything here moves bytes with splice(2) through a pipe (no copy through user space where
// the kernel can avoid it) and never blocks beyond what its arguments allow.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/fd.h"
#include "core/status.h"

namespace pwnbox::proxy {

// A new stream token: 128 bits from getrandom(2) as kStreamTokenBytes lowercase hex digits (an
// unguessable capability: whoever presents it gets the stream, once).
std::string NewStreamToken();

// Which ways Pump carries bytes.
struct PumpWays {
  bool a_to_b = true;
  bool b_to_a = true;
};

// Carries bytes between `a` and `b` (sockets, pipes, files; made O_NONBLOCK here) in the ways
// asked, with splice through a pipe each way, until every way asked has ended or `stop_fd`
// (-1: none) becomes readable. A way ends at its source's EOF (or error), after which Pump
// shuts its destination down for writing (shutdown(SHUT_WR): the peer sees EOF; nothing for a
// non-socket), or when its destination fails or hangs up (EPIPE, POLLHUP: the reader is gone,
// even before another byte comes), after which its source is shut down for reading. Never closes `a` or `b`. Returns the bytes carried a->b and b->a.
struct PumpCount {
  uint64_t a_to_b = 0;
  uint64_t b_to_a = 0;
};
PumpCount Pump(int a, int b, PumpWays ways, int stop_fd = -1);

// Reads exactly `size` bytes (at most kMaxStreamFileBytes) from `stream` into a new memfd named
// `name`, seals it (F_SEAL_WRITE, F_SEAL_GROW, F_SEAL_SHRINK, F_SEAL_SEAL) and returns it opened
// again read-only (its own file description: offset 0, O_RDONLY, close-on-exec). Fails with
// EIO when the stream ends early or fails, ETIMEDOUT when no byte comes for `idle_timeout_ms`
// (-1: never), EFBIG above the bound.
core::Result<core::UniqueFd> Materialise(int stream, uint64_t size, std::string_view name,
                                         int idle_timeout_ms);

// Sends `size` bytes of regular file `file` from offset 0 to `sock` (sendfile(2); blocking,
// until the peer has them or goes away). Fails with EIO when the file is shorter now.
core::Status SendFileBytes(int file, int sock, uint64_t size);

}  // namespace pwnbox::proxy
