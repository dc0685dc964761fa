#include "proxy/client.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

extern char** environ;

namespace pwnbox::proxy {
namespace {

using Clock = std::chrono::steady_clock;

core::Result<core::UniqueFd> ConnectUnix(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    return core::Error("proxy backend unix:" + path + ": a socket path has 1.." +
                           std::to_string(sizeof addr.sun_path - 1) + " bytes",
                       ENAMETOOLONG);
  std::memcpy(addr.sun_path, path.data(), path.size());
  core::UniqueFd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return core::ErrnoError(errno, "proxy: socket(AF_UNIX)");
  while (connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno == EINTR) continue;
    int err = errno;
    return core::Error("proxy backend unix:" + path + ": cannot connect: " + std::strerror(err) +
                           (err == ENOENT || err == ECONNREFUSED
                                ? " (is `pwnbox proxy serve --listen unix:" + path + "` running?)"
                                : std::string()),
                       err);
  }
  return sock;
}

// Starts `/bin/sh -c command` with one end of a socketpair as its stdin and stdout.
core::Result<core::UniqueFd> SpawnHandler(const std::string& command, pid_t* child) {
  if (command.empty()) return core::Error("proxy backend exec: names no command", EINVAL);
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    return core::ErrnoError(errno, "proxy: socketpair");
  core::UniqueFd ours(pair[0]), theirs(pair[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, theirs.get(), 0);  // dup2 clears FD_CLOEXEC
  posix_spawn_file_actions_adddup2(&actions, theirs.get(), 1);
  char sh[] = "/bin/sh", dash_c[] = "-c";
  std::string cmd = command;
  char* argv[] = {sh, dash_c, cmd.data(), nullptr};
  int err = posix_spawn(child, sh, &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) return core::ErrnoError(err, "proxy backend exec:" + command + ": posix_spawn");
  return ours;
}

}  // namespace

ProxyClient::ProxyClient(core::UniqueFd sock, std::string backend, const ClientOptions& options)
    : sock_(std::move(sock)), backend_(std::move(backend)), options_(options) {}

ProxyClient::~ProxyClient() {
  if (sock_) shutdown(sock_.get(), SHUT_RDWR);
  sock_.reset();
  if (child_ > 0) {
    kill(child_, SIGKILL);
    while (waitpid(child_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
}

core::Result<std::unique_ptr<ProxyClient>> ProxyClient::Connect(std::string_view backend,
                                                                const ClientOptions& options) {
  std::unique_ptr<ProxyClient> client;
  if (backend.substr(0, 5) == "unix:") {
    PWNBOX_ASSIGN_OR_RETURN(core::UniqueFd sock, ConnectUnix(std::string(backend.substr(5))));
    client.reset(new ProxyClient(std::move(sock), std::string(backend), options));
  } else if (backend.substr(0, 5) == "exec:") {
    pid_t child = -1;
    PWNBOX_ASSIGN_OR_RETURN(core::UniqueFd sock,
                            SpawnHandler(std::string(backend.substr(5)), &child));
    client.reset(new ProxyClient(std::move(sock), std::string(backend), options));
    client->child_ = child;
  } else {
    return core::Error("unknown proxy backend \"" + std::string(backend) +
                           "\": use unix:PATH or exec:COMMAND",
                       EINVAL);
  }
  PWNBOX_RETURN_IF_ERROR(client->Handshake());
  return client;
}

core::Status ProxyClient::Handshake() {
  auto fail = [this](const std::string& what, int err) {
    return core::Error("proxy backend " + backend_ + ": " + what, err);
  };
  // The proof of fd passing: an empty memfd (any fd would do).
  core::UniqueFd proof(memfd_create("pwnbox-proxy-hello", MFD_CLOEXEC));
  Hello hello;
  hello.fd = static_cast<bool>(proof);
  hello.software = options_.software;
  if (auto s = SendMessage(sock_.get(), EncodeHello(hello), proof.get()); !s.ok())
    return fail(s.error().message(), s.error().sys_errno());
  auto frame = ReceiveMessage(sock_.get(), options_.timeout_ms);
  if (!frame.ok()) return fail("no hello: " + frame.error().message(), frame.error().sys_errno());
  if (!frame->has_value()) return fail("closed the connection before its hello", ECONNRESET);
  auto m = DecodeMessage((*frame)->payload, std::move((*frame)->fd));
  if (!m.ok()) return fail(m.error().message(), EPROTO);
  if (m->type == Message::Type::kError) return fail("refused the connection: " + m->error, EPROTO);
  if (m->type != Message::Type::kHello) return fail("answered the hello with another message", EPROTO);
  if (m->hello.version != kProtocolVersion)
    return fail("speaks protocol version " + std::to_string(m->hello.version) + ", pwnbox " +
                    std::to_string(kProtocolVersion),
                EPROTO);
  version_ = m->hello.version;
  peer_software_ = m->hello.software;
  fd_passing_ = m->hello.fd_passing.value_or(false) && static_cast<bool>(m->fd);
  return core::Status::Ok();
}

core::UniqueFd ProxyClient::TakeSocket() {
  std::lock_guard lock(mu_);
  if (!broken_) broken_ = core::Error("proxy backend " + backend_ + ": handed over", EBADF);
  return std::move(sock_);
}

core::Error ProxyClient::Break(core::Error error) {
  if (!broken_) {
    broken_ = core::Error("proxy backend " + backend_ + ": " + error.message(), error.sys_errno());
    shutdown(sock_.get(), SHUT_RDWR);  // wakes a reader blocked in recvmsg
  }
  cv_.notify_all();
  return *broken_;
}

core::Result<Response> ProxyClient::Call(const Request& request) {
  Request numbered = request;
  {
    std::lock_guard lock(mu_);
    if (broken_) return *broken_;
    numbered.id = next_id_++;
    if (next_id_ > kMaxId) next_id_ = 1;
  }
  const uint64_t id = numbered.id;
  auto payload = EncodeRequest(numbered);
  if (!payload.ok()) return payload.error();
  {
    std::lock_guard lock(mu_);
    waiting_[id] = true;
  }
  {
    std::lock_guard send_lock(send_mu_);
    if (auto s = SendMessage(sock_.get(), *payload); !s.ok()) {
      std::lock_guard lock(mu_);
      waiting_.erase(id);
      return Break(s.error());
    }
  }
  const bool forever = options_.timeout_ms < 0;
  const auto deadline = Clock::now() + std::chrono::milliseconds(forever ? 0 : options_.timeout_ms);
  auto timed_out = [&] {
    waiting_[id] = false;  // a late result is dropped
    return core::Error("proxy backend " + backend_ + ": no result for " + request.name +
                           " within " + std::to_string(options_.timeout_ms) + " ms",
                       ETIMEDOUT);
  };
  std::unique_lock lock(mu_);
  while (true) {
    if (auto it = arrived_.find(id); it != arrived_.end()) {
      Response response = std::move(it->second);
      arrived_.erase(it);
      waiting_.erase(id);
      return response;
    }
    if (broken_) {
      waiting_.erase(id);
      return *broken_;
    }
    if (reading_) {
      if (forever) {
        cv_.wait(lock);
      } else if (cv_.wait_until(lock, deadline) == std::cv_status::timeout &&
                 !arrived_.count(id) && !broken_) {
        return timed_out();
      }
      continue;
    }
    // This caller reads the socket for everyone until its own result comes.
    reading_ = true;
    lock.unlock();
    int wait_ms = -1;
    if (!forever) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      wait_ms = static_cast<int>(std::max<int64_t>(0, left.count()));
    }
    auto frame = ReceiveMessage(sock_.get(), wait_ms);
    lock.lock();
    reading_ = false;
    cv_.notify_all();  // another waiter may take over the reading
    if (!frame.ok() && frame.error().sys_errno() == ETIMEDOUT) return timed_out();
    if (!frame.ok()) return Break(frame.error());
    if (!frame->has_value()) return Break(core::Error("closed the connection", ECONNRESET));
    auto m = DecodeMessage((*frame)->payload, std::move((*frame)->fd));
    if (!m.ok()) return Break(core::Error(m.error().message(), EPROTO));
    if (m->type == Message::Type::kError) return Break(core::Error("error: " + m->error, EPROTO));
    if (m->type != Message::Type::kResult)
      return Break(core::Error("sent a message other than a result", EPROTO));
    const uint64_t rid = m->response.id;
    if (rid == id) {
      waiting_.erase(id);
      return std::move(m->response);
    }
    auto w = waiting_.find(rid);
    if (w == waiting_.end())
      return Break(core::Error("sent a result for id " + std::to_string(rid) +
                                   ", which is not in flight",
                               EPROTO));
    if (!w->second) {
      waiting_.erase(w);  // its caller gave up; the fd (if any) is closed here
      continue;
    }
    arrived_[rid] = std::move(m->response);
    cv_.notify_all();
  }
}

}  // namespace pwnbox::proxy

namespace pwnbox::proxy {

core::Result<core::UniqueFd> ProxyClient::AttachStream(const std::string& token) const {
  auto fail = [this](const std::string& what, int err) {
    return core::Error("proxy backend " + backend_ + ": stream: " + what, err);
  };
  if (backend_.substr(0, 5) != "unix:") return fail("no address to attach to", EOPNOTSUPP);
  PWNBOX_ASSIGN_OR_RETURN(core::UniqueFd sock, ConnectUnix(backend_.substr(5)));
  if (auto s = SendMessage(sock.get(), EncodeAttach(token)); !s.ok())
    return fail(s.error().message(), s.error().sys_errno());
  auto frame = ReceiveMessage(sock.get(), options_.timeout_ms);
  if (!frame.ok()) return fail("no answer to attach: " + frame.error().message(),
                               frame.error().sys_errno());
  if (!frame->has_value()) return fail("closed the connection instead of attaching", ECONNRESET);
  auto m = DecodeMessage((*frame)->payload, std::move((*frame)->fd));
  if (!m.ok()) return fail(m.error().message(), EPROTO);
  if (m->type == Message::Type::kError) return fail("refused: " + m->error, EPROTO);
  if (m->type != Message::Type::kAttached)
    return fail("answered attach with another message", EPROTO);
  return sock;
}

}  // namespace pwnbox::proxy
