#include "supervisor/proxy_relay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <system_error>
#include <thread>

#include "proxy/stream.h"

namespace pwnbox::supervisor {

struct ProxyRelays::Shared {
  mutable std::mutex mu;
  std::condition_variable ended;
  size_t running = 0;
  core::UniqueFd stop{eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};  // readable: every relay stops
};

ProxyRelays::ProxyRelays() : shared_(std::make_shared<Shared>()) {}

ProxyRelays::~ProxyRelays() {
  std::unique_lock lock(shared_->mu);
  shared_->ended.wait_for(lock, std::chrono::milliseconds(kDrainMs),
                          [this] { return shared_->running == 0; });
  if (shared_->running == 0) return;
  const uint64_t one = 1;
  ssize_t ignored = write(shared_->stop.get(), &one, sizeof one);
  (void)ignored;
  shared_->ended.wait(lock, [this] { return shared_->running == 0; });
}

size_t ProxyRelays::active() const {
  std::lock_guard lock(shared_->mu);
  return shared_->running;
}

namespace {

// A connected pair of TCP sockets over the loopback of `family` in pwnbox's network namespace,
// or false (no loopback up, no such family). The accepted end is checked to be the peer of the
// one connected here: another process connecting to the short-lived listener first is closed.
bool LoopbackPair(int family, core::UniqueFd* target_end, core::UniqueFd* ours) {
  sockaddr_storage addr{};
  socklen_t len;
  if (family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&addr);
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *in;
  } else if (family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
    in6->sin6_family = AF_INET6;
    in6->sin6_addr = in6addr_loopback;
    len = sizeof *in6;
  } else {
    return false;
  }
  core::UniqueFd listener(socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener || bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      listen(listener.get(), 4) != 0 ||
      getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return false;
  core::UniqueFd client(socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!client || connect(client.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0)
    return false;
  sockaddr_storage mine{};
  socklen_t mine_len = sizeof mine;
  if (getsockname(client.get(), reinterpret_cast<sockaddr*>(&mine), &mine_len) != 0) return false;
  for (int attempt = 0; attempt < 4; ++attempt) {
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof peer;
    core::UniqueFd accepted(accept4(listener.get(), reinterpret_cast<sockaddr*>(&peer),
                                    &peer_len, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!accepted) return false;  // ours is queued already: nothing there means it is not
    if (peer_len == mine_len && memcmp(&peer, &mine, mine_len) == 0) {
      const int fl = fcntl(accepted.get(), F_GETFL);
      if (fl < 0 || fcntl(accepted.get(), F_SETFL, fl & ~O_NONBLOCK) != 0) return false;
      const int one = 1;  // the relay forwards at once; Nagle would only add delay
      (void)setsockopt(accepted.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      *target_end = std::move(client);
      *ours = std::move(accepted);
      return true;
    }
  }
  return false;
}

}  // namespace

core::Result<core::UniqueFd> ProxyRelays::Start(core::UniqueFd stream, int family) {
  if (!shared_->stop) return core::Error("proxy relay: no eventfd", EMFILE);
  core::UniqueFd target_end, ours;
  if (!LoopbackPair(family, &target_end, &ours)) {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
      return core::ErrnoError(errno, "proxy relay: socketpair");
    target_end.reset(pair[0]);
    ours.reset(pair[1]);
  }
  {
    std::lock_guard lock(shared_->mu);
    if (shared_->running >= kMaxRelays)
      return core::Error("proxy relay: " + std::to_string(kMaxRelays) + " relays running",
                         EAGAIN);
    ++shared_->running;
  }
  auto relay = [shared = shared_, ours = std::move(ours), stream = std::move(stream)]() mutable {
    proxy::Pump(ours.get(), stream.get(), proxy::PumpWays{}, shared->stop.get());
    ours.reset();  // the target sees the end before pwnbox may exit
    stream.reset();
    std::lock_guard lock(shared->mu);
    --shared->running;
    shared->ended.notify_all();
  };
  try {
    std::thread(std::move(relay)).detach();
  } catch (const std::system_error& e) {
    std::lock_guard lock(shared_->mu);
    --shared_->running;
    shared_->ended.notify_all();
    return core::Error(std::string("proxy relay: no thread: ") + e.what(), EAGAIN);
  }
  return target_end;
}

}  // namespace pwnbox::supervisor
