// pwnbox::supervisor::LoopConnection: a connection to a proxy backend that the notify loop
// drives itself, without blocking: calls are queued and sent as the socket takes them, results
// are read as they come (docs/proxy.md "How it runs"). It saves the two thread switches a call
// made through a worker thread costs (loop -> worker -> loop), which on one CPU are about a
// third of a proxied open's cost.
//
// The framing is protocol.h's (4-byte length, JSON payload, at most one fd on a message's first
// byte), read incrementally: a message may arrive over several wake-ups. Anything that breaks the
// protocol (a bad length, an undecodable payload, a result for an id not in flight, an fd
// elsewhere than on a first byte, an error message) or the backend closing the connection
// breaks it: the calls in flight are returned as lost, and the connection is not used again.
// Thread-compatible: used by the notify loop only.
#pragma once

#include <poll.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/fd.h"
#include "proxy/protocol.h"

namespace pwnbox::supervisor {

class LoopConnection {
 public:
  // `sock`: connected, the hellos exchanged (ProxyClient::TakeSocket); made non-blocking here.
  explicit LoopConnection(core::UniqueFd sock);

  // Numbers `request` (ids of this connection), queues it and sends what the socket takes now.
  // `token` names the call in what OnReady and Expire return; `deadline_ms` (CLOCK_MONOTONIC)
  // is when it is given up. False (nothing queued) when the request cannot be encoded or the
  // connection is broken.
  bool Send(uint64_t token, proxy::Request request, int64_t deadline_ms);

  int fd() const { return sock_.get(); }
  // The poll events it waits for: POLLIN, and POLLOUT while bytes wait to be sent.
  short events() const;

  struct Arrived {
    uint64_t token = 0;
    proxy::Response response;
  };
  // Reads what came and sends what waits, after poll said `revents`. Results go to *arrived.
  // When the connection breaks, *broken says why and *lost gets the tokens still in flight.
  void OnReady(short revents, std::vector<Arrived>* arrived, std::vector<uint64_t>* lost,
               std::string* broken);

  // The tokens whose deadline has passed at `now_ms`; their results, if they still come, are
  // dropped (an fd with one is closed).
  std::vector<uint64_t> Expire(int64_t now_ms);
  // The earliest deadline of the calls in flight, or -1.
  int64_t next_deadline_ms() const;

  bool broken() const { return broken_; }

 private:
  void Flush(std::string* broken);
  void Read(std::vector<Arrived>* arrived, std::string* broken);
  void Break(const std::string& why, std::vector<uint64_t>* lost, std::string* broken);

  core::UniqueFd sock_;
  bool broken_ = false;
  uint64_t next_id_ = 1;
  struct Call {
    uint64_t token = 0;
    int64_t deadline_ms = 0;
    bool abandoned = false;  // expired: its result is dropped
  };
  std::map<uint64_t, Call> in_flight_;  // by id
  std::string out_;                     // framed bytes not sent yet
  size_t out_sent_ = 0;
  // The message being read: its 4-byte length, then its payload; the fd on its first byte.
  unsigned char header_[proxy::kLengthBytes] = {};
  size_t header_got_ = 0;
  std::string payload_;
  size_t payload_got_ = 0;
  core::UniqueFd fd_;
};

// CLOCK_MONOTONIC in milliseconds.
int64_t MonotonicNowMs();

}  // namespace pwnbox::supervisor
