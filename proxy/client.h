// pwnbox::proxy::ProxyClient: one connection to a proxy backend (`pwnbox proxy serve` or a
// handler), over which the supervisor forwards calls and receives their results
// (docs/proxy.md, protocol version 1).
//
//   PWNBOX_ASSIGN_OR_RETURN(auto client, ProxyClient::Connect("unix:/run/p.sock"));
//   proxy::Request req;
//   req.name = "openat"; req.nr = 257; req.pid = pid; req.args = {...};
//   req.path = "/data/report.csv"; req.flags = O_RDONLY; req.mode = 0;
//   PWNBOX_ASSIGN_OR_RETURN(proxy::Response res, client->Call(req));
//   // res.err != 0: fail the call with res.err; else res.ret, res.fd (if passed), res.data
//
// Thread safety: ProxyClient is thread-safe. Any number of threads may Call() at once on one
// client; their requests are in flight together on the one connection and each result is
// handed to its caller by id (the first waiting thread reads the socket for all of them).
// A backend may answer in any order; `pwnbox proxy serve` answers one connection's calls in
// order, so callers that want a slow call (NFS, FUSE) not to delay others open more clients.
//
// Failures: Connect and Call return core::Error with a message for the user and a sys_errno:
// ECONNREFUSED/ENOENT (no server), EPROTO (the backend broke the protocol: wrong version, a
// malformed or unexpected message, an error message), ETIMEDOUT (no result within the
// timeout; the connection stays usable and the late result is dropped), ECONNRESET/EPIPE (the
// backend went away), ENAMETOOLONG/EMSGSIZE (the request breaks a bound of protocol.h; nothing
// was sent). After any other error the connection is broken: every later Call fails at once
// with the same error, and the caller reconnects. The errno a proxied call fails with
// (Response::err) is not an Error: it is the call's answer.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/fd.h"
#include "core/status.h"
#include "proxy/protocol.h"

namespace pwnbox::proxy {

struct ClientOptions {
  // How long Connect waits for the backend's hello, and Call for a result; -1: forever.
  int timeout_ms = 10'000;
  // Sent in the hello, for the backend's messages.
  std::string software = "pwnbox";
};

class ProxyClient {
 public:
  // Connects to `backend` and exchanges the hellos (with the fd-passing proof):
  //   "unix:PATH"  a unix stream socket at PATH (a `pwnbox proxy serve` or a handler);
  //   "exec:CMD"   runs `/bin/sh -c CMD` with one end of a socketpair as its stdin and stdout
  //                (a handler speaking the protocol on fd 0/1); the child is killed and
  //                reaped when the client is destroyed.
  static core::Result<std::unique_ptr<ProxyClient>> Connect(std::string_view backend,
                                                            const ClientOptions& options = {});

  ~ProxyClient();
  ProxyClient(const ProxyClient&) = delete;
  ProxyClient& operator=(const ProxyClient&) = delete;

  // Sends `request` (its id is ignored: the client numbers its calls) and waits for its result.
  // Thread-safe (see the top of this file).
  core::Result<Response> Call(const Request& request);

  // Whether fds cross this connection both ways (proven in the hello). When false, results
  // never carry an fd: a backend behind a relay that drops ancillary data answers without.
  bool fd_passing() const { return fd_passing_; }
  // The protocol version in use (kProtocolVersion) and the backend's "software" string.
  int version() const { return version_; }
  const std::string& peer_software() const { return peer_software_; }
  // The backend string it was connected with, for messages.
  const std::string& backend() const { return backend_; }

  // Without fd passing (docs/proxy.md "Without fd passing"): opens a second connection to the
  // backend's address, attaches it to the stream a result offered (`token`) and returns it once
  // the backend confirms ("attached"); from then on it carries the stream's raw bytes. Waits at
  // most options.timeout_ms for the confirmation. Errors: ECONNREFUSED/ENOENT (the backend is
  // gone), EPROTO (it refused the token or broke the protocol), ETIMEDOUT, EOPNOTSUPP (an exec:
  // backend, whose socketpair always passes fds, has no address to connect to).
  core::Result<core::UniqueFd> AttachStream(const std::string& token) const;

  // The connection's socket, for a caller that speaks the protocol on it by itself from now on
  // (after the hellos; with no call in flight, and for a unix: backend: an exec: handler would
  // be killed with the client). The client is broken afterwards.
  core::UniqueFd TakeSocket();

 private:
  ProxyClient(core::UniqueFd sock, std::string backend, const ClientOptions& options);
  core::Status Handshake();
  // Marks the connection broken with `error` (the first error wins) and wakes every caller.
  core::Error Break(core::Error error);

  core::UniqueFd sock_;
  const std::string backend_;
  const ClientOptions options_;
  pid_t child_ = -1;  // exec: the handler process
  bool fd_passing_ = false;
  int version_ = 0;
  std::string peer_software_;

  std::mutex send_mu_;  // one sendmsg sequence at a time
  std::mutex mu_;       // everything below
  std::condition_variable cv_;
  uint64_t next_id_ = 1;
  bool reading_ = false;                    // a caller is reading the socket
  std::optional<core::Error> broken_;       // set once; every Call fails with it
  std::map<uint64_t, bool> waiting_;        // ids in flight -> still wanted (false: timed out)
  std::map<uint64_t, Response> arrived_;    // results read by another caller
};

}  // namespace pwnbox::proxy
