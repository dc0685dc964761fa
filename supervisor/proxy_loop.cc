#include "supervisor/proxy_loop.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include <cstring>

namespace pwnbox::supervisor {

int64_t MonotonicNowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}

LoopConnection::LoopConnection(core::UniqueFd sock) : sock_(std::move(sock)) {
  const int fl = sock_ ? fcntl(sock_.get(), F_GETFL) : -1;
  if (fl < 0 || fcntl(sock_.get(), F_SETFL, fl | O_NONBLOCK) != 0) broken_ = true;
}

bool LoopConnection::Send(uint64_t token, proxy::Request request, int64_t deadline_ms) {
  if (broken_) return false;
  request.id = next_id_;
  auto payload = proxy::EncodeRequest(request);
  if (!payload.ok() || payload->size() > proxy::kMaxMessageBytes) return false;
  if (++next_id_ > proxy::kMaxId) next_id_ = 1;
  unsigned char header[proxy::kLengthBytes];
  proxy::EncodeLength(static_cast<uint32_t>(payload->size()), header);
  if (out_sent_ == out_.size()) {
    out_.clear();
    out_sent_ = 0;
  }
  out_.append(reinterpret_cast<const char*>(header), sizeof header);
  out_ += *payload;
  in_flight_[request.id] = Call{token, deadline_ms, false};
  std::string broken;
  Flush(&broken);
  // A failed send shows at the next OnReady (POLLERR/POLLHUP or the read's EOF), which
  // reports the call lost with the others.
  return true;
}

short LoopConnection::events() const {
  return static_cast<short>(POLLIN | (out_sent_ < out_.size() ? POLLOUT : 0));
}

void LoopConnection::Flush(std::string* broken) {
  while (out_sent_ < out_.size()) {
    ssize_t n = send(sock_.get(), out_.data() + out_sent_, out_.size() - out_sent_,
                     MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) *broken = std::string("send: ") + strerror(errno);
      return;
    }
    out_sent_ += static_cast<size_t>(n);
  }
}

void LoopConnection::Read(std::vector<Arrived>* arrived, std::string* broken) {
  while (broken->empty()) {
    const bool in_header = header_got_ < sizeof header_;
    char* buf = in_header ? reinterpret_cast<char*>(header_) + header_got_
                          : payload_.data() + payload_got_;
    const size_t want = in_header ? sizeof header_ - header_got_ : payload_.size() - payload_got_;
    iovec iov{buf, want};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 8)];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(sock_.get(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) *broken = std::string("recvmsg: ") + strerror(errno);
      return;
    }
    const bool first_byte = in_header && header_got_ == 0;
    const bool bad_fds = !proxy::TakeFds(&msg, first_byte, &fd_);
    if (bad_fds) {
      *broken = "more than one fd, or an fd after a message's first byte";
      return;
    }
    if (n == 0) {
      *broken = first_byte ? "closed the connection"
                           : "closed the connection in the middle of a message";
      return;
    }
    if (in_header) {
      header_got_ += static_cast<size_t>(n);
      if (header_got_ < sizeof header_) continue;
      const uint32_t len = proxy::DecodeLength(header_);
      if (len == 0 || len > proxy::kMaxMessageBytes) {
        *broken = "a message of " + std::to_string(len) + " bytes";
        return;
      }
      payload_.assign(len, '\0');
      payload_got_ = 0;
      continue;
    }
    payload_got_ += static_cast<size_t>(n);
    if (payload_got_ < payload_.size()) continue;
    // A whole message.
    header_got_ = 0;
    auto m = proxy::DecodeMessage(payload_, std::move(fd_));
    fd_.reset();
    if (!m.ok()) {
      *broken = m.error().message();
      return;
    }
    if (m->type == proxy::Message::Type::kError) {
      *broken = "error: " + m->error;
      return;
    }
    if (m->type != proxy::Message::Type::kResult) {
      *broken = "sent a message other than a result";
      return;
    }
    auto it = in_flight_.find(m->response.id);
    if (it == in_flight_.end()) {
      *broken = "sent a result for id " + std::to_string(m->response.id) + ", which is not in flight";
      return;
    }
    const Call call = it->second;
    in_flight_.erase(it);
    if (call.abandoned) continue;  // given up on: the fd (if any) is closed here
    arrived->push_back(Arrived{call.token, std::move(m->response)});
  }
}

void LoopConnection::Break(const std::string& why, std::vector<uint64_t>* lost,
                           std::string* broken) {
  broken_ = true;
  *broken = why;
  for (const auto& [id, call] : in_flight_)
    if (!call.abandoned) lost->push_back(call.token);
  in_flight_.clear();
  out_.clear();
  out_sent_ = 0;
  sock_.reset();
}

void LoopConnection::OnReady(short revents, std::vector<Arrived>* arrived,
                             std::vector<uint64_t>* lost, std::string* broken) {
  if (broken_) return;
  std::string why;
  if (revents & (POLLIN | POLLHUP | POLLERR)) Read(arrived, &why);
  if (why.empty() && (revents & POLLOUT)) Flush(&why);
  if (why.empty() && (revents & (POLLHUP | POLLERR)) && !(revents & POLLIN))
    why = "closed the connection";
  if (!why.empty()) Break(why, lost, broken);
}

std::vector<uint64_t> LoopConnection::Expire(int64_t now_ms) {
  std::vector<uint64_t> out;
  for (auto& [id, call] : in_flight_)
    if (!call.abandoned && call.deadline_ms <= now_ms) {
      call.abandoned = true;
      out.push_back(call.token);
    }
  return out;
}

int64_t LoopConnection::next_deadline_ms() const {
  int64_t next = -1;
  for (const auto& [id, call] : in_flight_)
    if (!call.abandoned && (next < 0 || call.deadline_ms < next)) next = call.deadline_ms;
  return next;
}

}  // namespace pwnbox::supervisor
