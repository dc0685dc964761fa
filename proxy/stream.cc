#include "proxy/stream.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "proxy/protocol.h"

#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif
#ifndef F_SETPIPE_SZ
#define F_SETPIPE_SZ 1031
#endif

namespace pwnbox::proxy {
namespace {

// The pipe each way of a Pump holds this much (the default 64 KiB costs more wake-ups; 1 MiB
// measured no faster here, bench_proxy_relay, and holds 4 times the memory per relay).
constexpr int kPumpPipeBytes = 1 << 18;
constexpr size_t kSpliceChunk = 1 << 20;

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}

struct Way {
  int src = -1, dst = -1;
  core::UniqueFd pipe_r, pipe_w;
  size_t in_pipe = 0;
  size_t capacity = 65536;
  bool src_done = false;  // EOF (or an error) read from src
  bool ended = false;     // nothing more goes this way
  uint64_t carried = 0;
};

// One splice from a way's source into its pipe: whether anything changed (bytes came, or the
// source ended: EOF or an error other than EAGAIN).
bool SpliceIn(Way& way) {
  ssize_t n = splice(way.src, nullptr, way.pipe_w.get(), nullptr,
                     std::min(kSpliceChunk, way.capacity - way.in_pipe),
                     SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
  if (n > 0) {
    way.in_pipe += static_cast<size_t>(n);
    return true;
  }
  if (n < 0 && errno == EINVAL) {
    // A source splice does not read (some character devices): read and write.
    char buf[65536];
    n = read(way.src, buf, std::min(sizeof buf, way.capacity - way.in_pipe));
    if (n > 0) {
      ssize_t put = write(way.pipe_w.get(), buf, static_cast<size_t>(n));
      if (put > 0) way.in_pipe += static_cast<size_t>(put);
      if (put != n) way.src_done = true;  // cannot happen: the pipe had the room
      return true;
    }
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return false;
  way.src_done = true;  // EOF; ECONNRESET and other errors end the way as an EOF
  return true;
}

void SetNonblock(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0 && !(fl & O_NONBLOCK)) (void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

// For a destination splice does not write (a file opened O_APPEND): up to 64 KiB read from the
// pipe and written whole (waiting for the destination if need be). The bytes written, or -1.
ssize_t CopyOut(int pipe_r, int dst, size_t available) {
  char buf[65536];
  ssize_t n = read(pipe_r, buf, std::min(sizeof buf, available));
  if (n <= 0) return n < 0 ? -1 : 0;
  size_t done = 0;
  while (done < static_cast<size_t>(n)) {
    ssize_t w = write(dst, buf + done, static_cast<size_t>(n) - done);
    if (w > 0) {
      done += static_cast<size_t>(w);
    } else if (w < 0 && errno == EAGAIN) {
      pollfd pfd{dst, POLLOUT, 0};
      (void)poll(&pfd, 1, -1);
    } else if (w == 0 || errno != EINTR) {
      if (w == 0) errno = EIO;
      return -1;  // the way ends (the destination failed): what was read is lost with it
    }
  }
  return n;
}

// Waits until `stream` is readable, at most until `*deadline` (-1: never): ETIMEDOUT after.
core::Status WaitStream(int stream, int64_t deadline, int idle_timeout_ms) {
  int wait = -1;
  if (deadline >= 0) {
    int64_t left = deadline - NowMs();
    if (left <= 0)
      return core::Error("proxy: the stream stalled for " + std::to_string(idle_timeout_ms) +
                             " ms",
                         ETIMEDOUT);
    wait = static_cast<int>(left);
  }
  pollfd pfd{stream, POLLIN, 0};
  (void)poll(&pfd, 1, wait);
  return core::Status::Ok();
}

core::Error ShortStream(uint64_t got, uint64_t size) {
  return core::Error("proxy: the stream ended after " + std::to_string(got) + " of " +
                         std::to_string(size) + " bytes",
                     EIO);
}

// Moves `size` bytes of `stream` into memfd `mem` with splice through a pipe.
core::Status SpliceInto(int stream, int mem, uint64_t size, int idle_timeout_ms) {
  int p[2];
  if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) return core::ErrnoError(errno, "proxy: pipe");
  core::UniqueFd pr(p[0]), pw(p[1]);
  int cap = fcntl(p[1], F_SETPIPE_SZ, kPumpPipeBytes);
  const size_t chunk = cap > 0 ? static_cast<size_t>(cap) : 65536;
  uint64_t got = 0;
  loff_t off = 0;
  int64_t deadline = idle_timeout_ms < 0 ? -1 : NowMs() + idle_timeout_ms;
  while (got < size) {
    ssize_t n = splice(stream, nullptr, pw.get(), nullptr,
                       static_cast<size_t>(std::min<uint64_t>(size - got, chunk)),
                       SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n == 0) return ShortStream(got, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN)
        return core::Error(core::ErrnoError(errno, "proxy: reading the stream").message(), EIO);
      PWNBOX_RETURN_IF_ERROR(WaitStream(stream, deadline, idle_timeout_ms));
      continue;
    }
    got += static_cast<uint64_t>(n);
    if (idle_timeout_ms >= 0) deadline = NowMs() + idle_timeout_ms;
    while (n > 0) {
      ssize_t w = splice(pr.get(), nullptr, mem, &off, static_cast<size_t>(n), SPLICE_F_MOVE);
      if (w <= 0) {
        if (w < 0 && errno == EINTR) continue;
        return core::ErrnoError(w < 0 ? errno : EIO, "proxy: writing the memfd");
      }
      n -= w;
    }
  }
  return core::Status::Ok();
}

void EndWay(Way& way, bool reader_gone) {
  way.ended = true;
  if (reader_gone) {
    shutdown(way.src, SHUT_RD);  // the writer on src's side gets EPIPE (sockets)
  } else {
    shutdown(way.dst, SHUT_WR);  // the reader on dst's side sees EOF (sockets)
  }
}

// One splice from a way's pipe to its destination: whether bytes moved. A destination that
// fails (EPIPE: its reader is gone) ends the way.
bool SpliceOut(Way& way) {
  ssize_t n = splice(way.pipe_r.get(), nullptr, way.dst, nullptr, way.in_pipe,
                     SPLICE_F_MOVE | SPLICE_F_NONBLOCK | (way.src_done ? 0 : SPLICE_F_MORE));
  if (n < 0 && errno == EINVAL) n = CopyOut(way.pipe_r.get(), way.dst, way.in_pipe);
  if (n > 0) {
    way.in_pipe -= static_cast<size_t>(n);
    way.carried += static_cast<uint64_t>(n);
    return true;
  }
  if (n < 0 && errno != EAGAIN && errno != EINTR) EndWay(way, /*reader_gone=*/true);
  return false;
}

}  // namespace

std::string NewStreamToken() {
  unsigned char bytes[kStreamTokenBytes / 2];
  size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
    else if (errno != EINTR) std::abort();  // no randomness: nothing safe to do
  }
  static const char kHex[] = "0123456789abcdef";
  std::string token;
  for (unsigned char b : bytes) {
    token += kHex[b >> 4];
    token += kHex[b & 15];
  }
  return token;
}

PumpCount Pump(int a, int b, PumpWays ways, int stop_fd) {
  Way w[2];
  w[0].src = a;
  w[0].dst = b;
  w[0].ended = !ways.a_to_b;
  w[1].src = b;
  w[1].dst = a;
  w[1].ended = !ways.b_to_a;
  SetNonblock(a);
  SetNonblock(b);

  for (Way& way : w) {
    if (way.ended) continue;
    int p[2];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) {
      way.ended = true;  // no pipe: this way cannot run; its peers see EOF
      shutdown(way.dst, SHUT_WR);
      continue;
    }
    way.pipe_r.reset(p[0]);
    way.pipe_w.reset(p[1]);
    int cap = fcntl(p[1], F_SETPIPE_SZ, kPumpPipeBytes);
    if (cap > 0) way.capacity = static_cast<size_t>(cap);
  }
  while (!w[0].ended || !w[1].ended) {
    // One pollfd per endpoint with what the ways want of it. An endpoint is also watched while
    // a way writes to it, with no event asked (poll reports POLLHUP/POLLERR anyway): when its
    // peer is gone (the target closed its fd, the server closed the stream), nothing can be
    // carried there any more, and that way ends at once rather than at its next byte (which
    // may never come: a silent socket or FIFO). An endpoint neither wanted nor watched is left
    // out (poll would report its POLLHUP again and again).
    short want_a = 0, want_b = 0;
    bool watch_a = false, watch_b = false;
    for (int i = 0; i < 2; ++i) {
      Way& way = w[i];
      if (way.ended) continue;
      short& src_want = i == 0 ? want_a : want_b;
      short& dst_want = i == 0 ? want_b : want_a;
      (i == 0 ? watch_b : watch_a) = true;
      if (!way.src_done && way.in_pipe < way.capacity) src_want |= POLLIN;
      if (way.in_pipe > 0) dst_want |= POLLOUT;
    }
    pollfd fds[3] = {{want_a || watch_a ? a : -1, want_a, 0},
                     {want_b || watch_b ? b : -1, want_b, 0}, {stop_fd, POLLIN, 0}};
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[2].revents) break;
    // Each way: splice in and out as long as bytes move (a splice that cannot proceed returns
    // EAGAIN at once), then poll again: one poll per burst rather than per splice.
    for (int i = 0; i < 2; ++i) {
      Way& way = w[i];
      if (!way.ended && way.in_pipe == 0 && (fds[1 - i].revents & (POLLHUP | POLLERR))) {
        EndWay(way, /*reader_gone=*/true);  // (with bytes in the pipe, SpliceOut finds out)
        continue;
      }
      bool src_ready = fds[i].revents != 0;
      for (int round = 0; round < 64 && !way.ended; ++round) {
        bool moved = false;
        if (!way.src_done && way.in_pipe < way.capacity && src_ready) moved |= SpliceIn(way);
        if (way.in_pipe > 0 && SpliceOut(way)) moved = true;
        if (way.ended) break;
        if (way.src_done && way.in_pipe == 0) {
          EndWay(way, /*reader_gone=*/false);
          break;
        }
        if (!moved) break;
        src_ready = true;
      }
    }
  }
  return PumpCount{w[0].carried, w[1].carried};
}

core::Result<core::UniqueFd> Materialise(int stream, uint64_t size, std::string_view name,
                                         int idle_timeout_ms) {
  if (size > kMaxStreamFileBytes)
    return core::Error("proxy: a file of " + std::to_string(size) + " bytes (at most " +
                           std::to_string(kMaxStreamFileBytes) + " are materialised)",
                       EFBIG);
  std::string memfd_name = "pwnbox-proxy:" + std::string(name.substr(0, 200));
  core::UniqueFd mem(memfd_create(memfd_name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!mem) return core::ErrnoError(errno, "proxy: memfd_create");
  if (size > 0) {
    // splice: the bytes sendfile put in the socket (page references) are copied once, into
    // the memfd (measured faster than recv into a prefaulted mapping: docs/proxy.md).
    core::Status status = SpliceInto(stream, mem.get(), size, idle_timeout_ms);
    if (!status.ok()) return status.error();
  }
  if (fcntl(mem.get(), F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) != 0)
    return core::ErrnoError(errno, "proxy: sealing the memfd");
  // A read-only file description of its own (the memfd's is O_RDWR).
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/fd/%d", mem.get());
  core::UniqueFd ro(open(path, O_RDONLY | O_CLOEXEC));
  if (!ro) return core::ErrnoError(errno, "proxy: reopening the memfd read-only");
  return ro;
}

core::Status SendFileBytes(int file, int sock, uint64_t size) {
  off_t offset = 0;
  while (static_cast<uint64_t>(offset) < size) {
    ssize_t n = sendfile(sock, file, &offset,
                         static_cast<size_t>(std::min<uint64_t>(size - offset, 1 << 30)));
    if (n > 0) continue;
    if (n == 0) return core::Error("proxy: the file is shorter than when it was opened", EIO);
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      pollfd pfd{sock, POLLOUT, 0};
      (void)poll(&pfd, 1, -1);
      continue;
    }
    return core::ErrnoError(errno, "proxy: sendfile");
  }
  return core::Status::Ok();
}

}  // namespace pwnbox::proxy
