// TCP on loopback: listen on 127.0.0.1 port 0 (ephemeral), a child connects and echoes 256 KiB
// back, shutdown(SHUT_WR) ends the stream; a connect to a closed port is refused; a non-blocking
// connect completes through poll; IPv6 ::1 when the host has it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include "co.h"

static int listener(int fam, struct sockaddr_storage* a, socklen_t* len) {
  int l = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (l < 0) return -1;
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset(a, 0, sizeof *a);
  if (fam == AF_INET) {
    struct sockaddr_in* s = (struct sockaddr_in*)a;
    s->sin_family = AF_INET;
    s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *len = sizeof *s;
  } else {
    struct sockaddr_in6* s = (struct sockaddr_in6*)a;
    s->sin6_family = AF_INET6;
    s->sin6_addr = in6addr_loopback;
    *len = sizeof *s;
  }
  if (bind(l, (struct sockaddr*)a, *len) != 0) { close(l); return -1; }
  CHECK(listen(l, 8) == 0);
  CHECK(getsockname(l, (struct sockaddr*)a, len) == 0);
  return l;
}

static void echo_round(int fam) {
  struct sockaddr_storage a;
  socklen_t len;
  int l = listener(fam, &a, &len);
  if (l < 0) {
    printf("family %s unavailable\n", fam == AF_INET ? "ipv4" : "ipv6");
    return;
  }
  CHECK(((struct sockaddr_in*)&a)->sin_port != 0);
  pid_t c = fork();
  CHECK(c >= 0);
  if (c == 0) {
    int s = accept(l, NULL, NULL);
    if (s < 0) _exit(2);
    int nd = 1;  // no delayed-ACK stalls in the lock-step echo
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &nd, sizeof nd);
    char buf[4096];
    ssize_t n;
    while ((n = read(s, buf, sizeof buf)) > 0)
      if (co_write_all(s, buf, (size_t)n) != 0) _exit(3);
    _exit(n == 0 ? 0 : 4);
  }
  close(l);
  int s = socket(fam, SOCK_STREAM | SOCK_NONBLOCK, 0);
  CHECK(s >= 0);
  int r = connect(s, (struct sockaddr*)&a, len);
  CHECK(r == 0 || errno == EINPROGRESS);
  struct pollfd p = {s, POLLOUT, 0};
  CHECK(poll(&p, 1, -1) == 1);
  int err = -1;
  socklen_t el = sizeof err;
  CHECK(getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0);
  CHECK(fcntl(s, F_SETFL, 0) == 0);
  int one = 1;
  CHECK(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0);
  // Send and receive alternately, so neither side's buffers fill.
  static unsigned char out[1 << 18], in[1 << 18];  // 16 KiB at a time, each echoed back
  for (size_t i = 0; i < sizeof out; ++i) out[i] = (unsigned char)(i * 7 + 3);
  for (size_t off = 0; off < sizeof out; off += 16384) {
    CHECK(co_write_all(s, out + off, 16384) == 0);
    CHECK(co_read_all(s, in + off, 16384) == 0);
  }
  CHECK(shutdown(s, SHUT_WR) == 0);
  char c1;
  CHECK(read(s, &c1, 1) == 0);
  CHECK(co_wait(c) == 0);
  CHECK(memcmp(in, out, sizeof in) == 0);
  close(s);
  // The port is closed now: refused.
  s = socket(fam, SOCK_STREAM, 0);
  errno = 0;
  CHECK(connect(s, (struct sockaddr*)&a, len) == -1 && errno == ECONNREFUSED);
  close(s);
  printf("family %s echoed %zu bytes, closed port refused\n", fam == AF_INET ? "ipv4" : "ipv6",
         sizeof in);
}

int main(void) {
  echo_round(AF_INET);
  echo_round(AF_INET6);
  return 0;
}
