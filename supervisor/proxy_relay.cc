#include "supervisor/proxy_relay.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

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

core::Result<core::UniqueFd> ProxyRelays::Start(core::UniqueFd stream) {
  if (!shared_->stop) return core::Error("proxy relay: no eventfd", EMFILE);
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    return core::ErrnoError(errno, "proxy relay: socketpair");
  core::UniqueFd target_end(pair[0]), ours(pair[1]);
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
