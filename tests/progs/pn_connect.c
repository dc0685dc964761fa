// Network calls a proxy rule carries out (tests/integration/proxy_net_test.cc). One line of
// results on stdout per mode:
//   pn_connect tcp IP PORT [nonblock] [cloexec] [nowait]
//       socket(AF_INET, SOCK_STREAM [| SOCK_NONBLOCK] [| SOCK_CLOEXEC]) on fd 3, connect; prints
//       "connect=0 fd=3 nonblock=N cloexec=N", then sends an HTTP/1.0 GET and prints the status
//       line it reads back ("HTTP/1.0 200 OK"); on failure "connect=-1 errno=NAME". A
//       non-blocking connect that says EINPROGRESS is waited for (POLLOUT, SO_ERROR; the line
//       starts with "einprogress "), or with `nowait` reported at once:
//       "connect=-1 errno=EINPROGRESS fd=3 nonblock=1 cloexec=N".
//   pn_connect udp IP PORT
//       an unconnected datagram socket; sendto "ping1", recvfrom, sendto "ping2", recvfrom;
//       prints each reply (the echo server answers with the datagram and the sender's port:
//       both replies show the same port when the socket was not replaced the second time).
//   pn_connect unix PATH | abstract NAME
//       connect a unix stream socket to PATH or to the abstract NAME; prints "connect=0" and
//       the line read, or "connect=-1 errno=NAME".
//   pn_connect bind IP PORT
//       bind a TCP socket; prints "bind=0 port=N" (getsockname) or "bind=-1 errno=NAME".
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char* Name(int err) {
  const char* n = strerrorname_np(err);
  return n ? n : "?";
}

static int Flags(int fd, int* cloexec) {
  *cloexec = (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
  return (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
}

// Waits up to 10 s for `fd` to be readable (the sockets may be non-blocking).
static int WaitIn(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, 10000) == 1;
}

static int Tcp(const char* ip, int port, int nonblock, int cloexec, int nowait) {
  int s = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0) |
                              (cloexec ? SOCK_CLOEXEC : 0), 0);
  if (s < 0) return printf("socket=-1 errno=%s\n", Name(errno)), 1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, ip, &a.sin_addr);
  int rc = connect(s, (struct sockaddr*)&a, sizeof a);
  if (rc != 0 && errno == EINPROGRESS && nowait) {
    int ce;
    int nb = Flags(s, &ce);
    printf("connect=-1 errno=EINPROGRESS fd=%d nonblock=%d cloexec=%d\n", s, nb, ce);
    return 0;
  }
  if (rc != 0 && errno == EINPROGRESS) {  // allowed for a non-blocking socket
    struct pollfd p = {s, POLLOUT, 0};
    poll(&p, 1, 10000);
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
    rc = err ? -1 : 0;
    errno = err;
    printf("einprogress ");
  }
  if (rc != 0) return printf("connect=-1 errno=%s\n", Name(errno)), 0;
  int ce;
  int nb = Flags(s, &ce);
  printf("connect=0 fd=%d nonblock=%d cloexec=%d\n", s, nb, ce);
  const char req[] = "GET / HTTP/1.0\r\n\r\n";
  if (write(s, req, sizeof req - 1) != (ssize_t)(sizeof req - 1))
    return printf("write errno=%s\n", Name(errno)), 1;
  char buf[256];
  size_t got = 0;
  while (got < sizeof buf - 1 && !memchr(buf, '\n', got)) {
    if (!WaitIn(s)) return printf("no answer\n"), 1;
    ssize_t n = read(s, buf + got, sizeof buf - 1 - got);
    if (n <= 0) break;
    got += (size_t)n;
  }
  buf[got] = 0;
  char* nl = strpbrk(buf, "\r\n");
  if (nl) *nl = 0;
  printf("%s\n", buf);
  return 0;
}

static int Udp(const char* ip, int port) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, ip, &a.sin_addr);
  for (int i = 1; i <= 2; ++i) {
    char msg[16];
    snprintf(msg, sizeof msg, "ping%d", i);
    ssize_t n = sendto(s, msg, strlen(msg), 0, (struct sockaddr*)&a, sizeof a);
    if (n < 0) return printf("sendto=-1 errno=%s\n", Name(errno)), 0;
    printf("sendto=%zd ", n);
    if (!WaitIn(s)) return printf("no reply\n"), 1;
    char buf[128];
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    n = recvfrom(s, buf, sizeof buf - 1, 0, (struct sockaddr*)&from, &len);
    if (n < 0) return printf("recvfrom=-1 errno=%s\n", Name(errno)), 1;
    buf[n] = 0;
    printf("reply=%s from_port_ok=%d\n", buf, ntohs(from.sin_port) == port);
  }
  return 0;
}

static int Unix(const char* name, int abstract) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  socklen_t len;
  if (abstract) {
    strncpy(a.sun_path + 1, name, sizeof a.sun_path - 2);
    len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
  } else {
    strncpy(a.sun_path, name, sizeof a.sun_path - 1);
    len = sizeof a;
  }
  if (connect(s, (struct sockaddr*)&a, len) != 0)
    return printf("connect=-1 errno=%s\n", Name(errno)), 0;
  char buf[128];
  if (!WaitIn(s)) return printf("connect=0 no line\n"), 1;
  ssize_t n = read(s, buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  char* nl = strchr(buf, '\n');
  if (nl) *nl = 0;
  printf("connect=0 line=%s\n", buf);
  return 0;
}

static int Bind(const char* ip, int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, ip, &a.sin_addr);
  if (bind(s, (struct sockaddr*)&a, sizeof a) != 0)
    return printf("bind=-1 errno=%s\n", Name(errno)), 0;
  socklen_t len = sizeof a;
  getsockname(s, (struct sockaddr*)&a, &len);
  printf("bind=0 port=%d\n", ntohs(a.sin_port));
  return 0;
}

int main(int argc, char** argv) {
  if (argc >= 4 && !strcmp(argv[1], "tcp")) {
    int nonblock = 0, cloexec = 0, nowait = 0;
    for (int i = 4; i < argc; ++i) {
      nonblock |= !strcmp(argv[i], "nonblock");
      cloexec |= !strcmp(argv[i], "cloexec");
      nowait |= !strcmp(argv[i], "nowait");
    }
    return Tcp(argv[2], atoi(argv[3]), nonblock, cloexec, nowait);
  }
  if (argc == 4 && !strcmp(argv[1], "udp")) return Udp(argv[2], atoi(argv[3]));
  if (argc == 3 && !strcmp(argv[1], "unix")) return Unix(argv[2], 0);
  if (argc == 3 && !strcmp(argv[1], "abstract")) return Unix(argv[2], 1);
  if (argc == 4 && !strcmp(argv[1], "bind")) return Bind(argv[2], atoi(argv[3]));
  fprintf(stderr, "usage: see the top of pn_connect.c\n");
  return 2;
}
