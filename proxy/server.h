// pwnbox::proxy::Server: the server behind `pwnbox proxy serve` (docs/proxy.md). It performs
// proxied file calls beneath a root directory and answers scalar calls (uname, gethostname) for
// any number of clients at once, with the privileges of whoever runs it (no root needed).
//
// Confinement is the kernel's: every path is resolved by openat2(root, path, ...,
// RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), so "..", absolute symlinks and /proc magic links
// stay beneath the root (a chroot-like view, no string checks). The --allow globs are checked
// twice: on the path as the client named it (so that nothing is created or touched for a name
// the list does not allow) and on the object actually opened, as seen from the root (so that a
// symlink beneath the root cannot lead an allowed name to another file).
//
// Concurrency: one thread per client (Run). File calls block (a slow disk, NFS, a FUSE mount),
// and a thread per client keeps one client's slow call from stalling the others, with plain
// blocking code; one connection's calls are answered in order. Opens never wait for a FIFO's
// other end: a FIFO opened for reading opens at once, one opened for writing without a reader
// fails with ENXIO.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/fd.h"
#include "core/status.h"
#include "proxy/net.h"
#include "proxy/protocol.h"

namespace pwnbox::proxy {

struct ServerOptions {
  // The directory that is "/" for the clients' paths.
  std::string root = "/";
  // Globs naming what may be opened (stat'ed, read as a link...), relative to the root as the
  // client names it: "etc/hostname", "data/**", "*.csv" ("*" and "?" within one component,
  // "**" across components). Empty: everything beneath the root. The rest fails with EACCES.
  std::vector<std::string> allow;
  // The addresses a proxied connect, bind or sendto may use (proxy/net.h, docs/proxy.md
  // "Network calls"): "HOST:PORT", "[V6]:PORT", "HOST:*", "unix:/PATH". Empty: every network
  // call fails with EACCES (network access is asked for explicitly).
  std::vector<std::string> allow_connect;
  NetOptions net;
  // Connections served at once; the next one gets an error message and is closed.
  size_t max_clients = 256;
  // How long a message may take from its first byte to its last; a client that stalls longer
  // is disconnected (idle time between messages is not limited).
  int message_timeout_ms = 30'000;
  // Receives one line per client that broke the protocol and per unexpected failure; may be
  // empty (silent). Called from the clients' threads, never concurrently.
  std::function<void(const std::string&)> log;
  std::string software = "pwnbox proxy serve";
  // Without fd passing (docs/proxy.md "Without fd passing"): the streams one connection may
  // have offered and not yet attached (more: the open fails with EAGAIN), and how long an
  // unattached stream's token stays valid (its file is closed after).
  size_t max_pending_streams = 16;
  int stream_attach_timeout_ms = 10'000;
};

class Server {
 public:
  // Opens the root (which must be a directory).
  static core::Result<std::unique_ptr<Server>> Create(ServerOptions options);
  ~Server();

  // Accepts clients on `listen_fd` (a listening stream socket), each served by its own thread,
  // until `stop_fd` becomes readable; then disconnects the clients and joins their threads.
  core::Status Run(int listen_fd, int stop_fd);

  // Serves one connected client (hello, then calls; or an attach, then the stream's bytes) until
  // it disconnects or breaks the protocol (answered with an error message), or stalls in the
  // middle of a message for options.message_timeout_ms.
  // Blocking; thread-safe. Does not close `sock`.
  void ServeConnection(int sock) const;

  // Performs one call (no I/O on any connection): the answer ServeConnection sends.
  Response Execute(const Request& request) const;

 private:
  explicit Server(ServerOptions options) : options_(std::move(options)) {}
  bool Allowed(std::string_view relative) const;
  // Whether `relative` is a directory on the way to something the --allow list names (every
  // one of its components matches the glob's, and the glob goes on).
  bool LeadsToAllowed(std::string_view relative) const;
  // O_PATH of `path` beneath the root when it is such a directory (checked again where it
  // really is), for stat and access; -EACCES otherwise.
  int OpenAncestor(const std::string& path, bool nofollow) const;
  // The path of `fd` relative to the root ("" for the root itself), or false when it is not
  // beneath the root.
  bool RelativeToRoot(int fd, std::string* relative) const;
  // openat2 beneath the root with the --allow checks: an fd, or -errno.
  int OpenBeneath(const std::string& path, uint64_t flags, uint64_t mode, uint64_t resolve) const;
  // The directory holding the last component of `path` (opened O_PATH beneath the root) and
  // that component, for the calls that act on a name in a directory (mkdir, unlink, rename,
  // link, symlink), with the --allow checks on the name and on where the directory really is.
  // -errno when the path is the root itself (`root_errno`) or cannot be reached.
  struct Entry {
    core::UniqueFd dir;
    std::string name;
  };
  core::Result<Entry> EntryBeneath(const std::string& path, int root_errno) const;
  // mkdir, rmdir, unlink, rename, link, symlink, chmod, truncate and their *at forms.
  Response ExecuteChange(const Request& request) const;
  void Log(const std::string& line) const;

  // Streams (docs/proxy.md "Without fd passing"). OfferStream turns `res`, an open's result with
  // its fd, into a stream offer held for connection `owner` (or into an errno: EOPNOTSUPP for
  // what a stream cannot carry faithfully, EFBIG, EAGAIN). ServeStream serves the connection
  // that attached with `token`. DropStreams closes what `owner` left unattached.
  struct PendingStream {
    core::UniqueFd fd;
    StreamOffer::Kind kind = StreamOffer::Kind::kRead;
    std::optional<uint64_t> size;
    uint64_t owner = 0;
    int64_t deadline_ms = 0;  // CLOCK_MONOTONIC
  };
  Response OfferStream(Response res, uint64_t owner) const;
  void ServeStream(int sock, const std::string& token) const;
  void DropStreams(uint64_t owner) const;
  void SweepStreamsLocked() const;  // closes the expired ones; streams_mu_ held

  ServerOptions options_;
  NetAllowList net_allow_;  // options_.allow_connect, parsed (names resolved) at Create
  core::UniqueFd root_fd_;
  std::string root_real_;  // realpath of the root
  mutable std::atomic<uint64_t> connections_{0};  // numbers clients in the log
  mutable std::mutex log_mu_;
  mutable std::mutex streams_mu_;
  mutable std::map<std::string, PendingStream> streams_;  // by token
  core::UniqueFd stop_event_;  // readable once Run stops: ends the streams being served
};

// Creates a listening unix stream socket for "unix:PATH". A socket file left at PATH by a
// server that is gone (nothing accepts on it) is replaced; a live one is an error (EADDRINUSE).
core::Result<core::UniqueFd> Listen(std::string_view address);

}  // namespace pwnbox::proxy
