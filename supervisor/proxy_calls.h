// pwnbox::supervisor::ProxyCalls: carries out the calls a rule decides `proxy`
// (Verdict::kProxy) through the rule's backend (proxy/client.h, docs/proxy.md), off the notify
// loop: on worker threads kept between calls, one per call in flight at most (the loop caps
// those: a call never waits behind another that a stalled backend holds), with one ProxyClient per backend, connected at its first call and again after it
// broke. A result comes
// back as an EmulationResult (an fd to install, bytes for the target's output buffer, or
// -errno) through event_fd(), and the loop answers the notification as for an emulated call.
//
// Nothing a backend does lets a call through or corrupts the target: no server, a server that
// dies or stalls (ClientOptions' 10 s), a result that breaks the protocol, bytes of the wrong
// size for the call's buffer, an fd where none belongs or none where one does: the call fails
// with kBackendErrno (EIO), and the first such failure of each backend is reported in one line.
// The target's output buffer is written only with exactly what the call writes there (a
// struct stat, statx, utsname; at most bufsiz bytes of a link).
//
// Network calls (connect, bind, sendto; docs/proxy.md "Network calls"): Prepare takes the
// target's socket (pidfd_getfd) for its domain, type, protocol, O_NONBLOCK and the fd number's
// close-on-exec flag, and reads the sockaddr (and sendto's bytes) once. The backend passes back
// a socket made in its namespace; the worker checks it is a socket of the same domain and
// type, gives it the target's O_NONBLOCK and a few socket options (FinishNet), sends sendto's
// bytes on it, and the loop installs it at the target's fd number (ADDFD with SETFD; a
// non-blocking connect still in progress comes back as EINPROGRESS with its socket). A
// sendto on a socket already in the backend's network namespace (a replaced one: its netns
// cookie is the new socket's) is sent on the target's own socket instead: replies keep coming
// to the port the target has. sendto without a destination is not proxied (kContinue).
//
// Without fd passing (a backend behind a relay that drops SCM_RIGHTS: docs/proxy.md "Without fd
// passing"), an open asks for a stream instead of an fd, and the fd installed is a sealed
// read-only memfd with the file's content (a regular file opened O_RDONLY) or a socketpair end
// relayed to the stream (proxy_relay.h); the backend refuses what a stream cannot carry
// (EOPNOTSUPP, EFBIG).
#pragma once

#include <poll.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/decoder.h"
#include "core/status.h"
#include "proxy/protocol.h"
#include "supervisor/decider.h"
#include "supervisor/emulator.h"
#include "supervisor/proxy_loop.h"

namespace pwnbox::supervisor {

class ProxyCalls {
 public:
  static constexpr int kBackendErrno = EIO;
  // Without fd passing: a read stream that brings no byte for this long fails the open (EIO).
  static constexpr int kStreamIdleTimeoutMs = 10'000;

  // A proxied call ready to send: the request, and what its result must look like.
  struct Prepared {
    std::string backend;       // "unix:PATH" or "exec:CMD"
    proxy::Request request;
    // kSocket: a socket to install at `install_at` (network calls); kContinue: nothing to
    // send, the call goes on in the kernel (sendto without a destination).
    enum class Expect { kFd, kData, kNothing, kSocket, kContinue } expect = Expect::kNothing;
    bool cloexec = false;      // kFd: O_CLOEXEC on the installed fd
    uint64_t out_addr = 0;     // kData: the target's buffer
    size_t out_size = 0;       // kData: exactly this many bytes (readlink: at most)
    bool exact = true;         // kData: `out_size` exactly (false: at most, and ret == size)
    // kSocket: the target's socket (a duplicate taken with pidfd_getfd), its fd number there,
    // its O_NONBLOCK; sendto's bytes, flags and destination.
    core::UniqueFd target_sock;
    int install_at = -1;
    bool nonblock = false;
    std::string send_bytes;
    int send_flags = 0;
    // The call creates a file or directory: request.mode must get the target's umask applied
    // (ApplyUmask) before it is sent, as the kernel would apply it (the backend's is its own).
    bool creates = false;
  };

  // The most bytes a proxied sendto carries (a datagram: UDP's limit is 65,507); above, the
  // call fails with EMSGSIZE.
  static constexpr size_t kMaxSendBytes = 256 << 10;

  // Builds the request for `call` decided `v` (its resolved paths, openat2's open_how; a
  // symlink's text is read once from `mem`). Errors carry in sys_errno() the errno to answer
  // with (ENOSYS: not a proxied call of x86_64).
  static core::Result<Prepared> Prepare(const core::SyscallCall& call, const Verdict& v,
                                        core::TargetMemory& mem);
  // For a call that `creates`: the mode the kernel would use under `umask`.
  static void ApplyUmask(Prepared& p, mode_t umask) {
    if (p.creates && p.request.mode) p.request.mode = *p.request.mode & ~int64_t{umask};
  }

  // `report_fd`: where a backend's first failure is reported (stderr or --log);
  // `max_threads`: the most calls the caller lets be in flight at once.
  ProxyCalls(int report_fd, size_t max_threads);
  // Waits for the calls still running (each bounded by the client's timeout).
  ~ProxyCalls();
  ProxyCalls(const ProxyCalls&) = delete;
  ProxyCalls& operator=(const ProxyCalls&) = delete;

  // Runs `p` on a thread of its own; `token` names it in TakeDone.
  void Submit(uint64_t token, Prepared p);

  struct Done {
    uint64_t token = 0;
    EmulationResult result;
  };
  // The calls finished since the last call (drains event_fd()).
  std::vector<Done> TakeDone();
  int event_fd() const;

  // The fast path, on the notify loop itself (supervisor/proxy_loop.h): sends `p` on the
  // loop's own connection to its backend and returns true; its result comes out of OnReady.
  // Taken for a unix: backend whose fds cross, once a worker's call went well on it (the
  // worker then connects the loop's connection and hands it over: connecting may block, the
  // loop never does), for calls whose result needs no worker (an fd, bytes, nothing: not a
  // socket to finish, not a stream). False: Submit it. Loop thread only.
  bool SendFromLoop(uint64_t token, Prepared& p);
  // The loop's connections to poll (appended to *fds with their events) and the milliseconds
  // until the next of their calls times out (-1: none).
  void AppendPollFds(std::vector<pollfd>* fds) const;
  int NextTimeoutMs() const;
  // After poll (`fds` as AppendPollFds filled them, with revents): the calls finished, failed
  // (a connection broken: EIO, reported once) or timed out. Loop thread only.
  std::vector<Done> OnReady(const pollfd* fds, size_t n);

  // What `response` means for a call prepared as `p`: the result, or -kBackendErrno (and
  // `*why`) when the response does not fit the call. For tests.
  static EmulationResult Interpret(const Prepared& p, proxy::Response response,
                                   std::string* why);
  // After Interpret, for kSocket: checks the passed socket (domain and type: -kBackendErrno and
  // `*why` otherwise), gives it the target's O_NONBLOCK and socket options, and performs
  // sendto's send (on it, or on the target's own socket when that one is already in the
  // backend's network namespace: r->fd is then dropped). On a worker thread. For tests.
  static void FinishNet(const Prepared& p, EmulationResult* r, std::string* why);

 struct State;  // shared with the worker threads

 private:
  // Prepare's part for connect, bind and sendto (`p` has the request's common members).
  static core::Result<Prepared> PrepareNet(const core::SyscallCall& call, Prepared p);

  std::shared_ptr<State> state_;
  // The loop's own connections, by backend, and the calls sent on them (loop thread only).
  std::map<std::string, std::unique_ptr<LoopConnection>> loop_;
  struct LoopCall {
    std::string backend;
    Prepared prepared;
  };
  std::map<uint64_t, LoopCall> loop_calls_;  // by token
};

}  // namespace pwnbox::supervisor
