// lt_tcp: connect/bind calls for tcp_ports rules (tests/integration/landlock_tcp_test.cc).
// Each argument is one operation; each prints one line "OP PORT: RESULT" (RESULT "ok" or the
// errno's name):
//   connect:PORT    TCP (IPv4) connect to 127.0.0.1:PORT
//   connect6:PORT   TCP (IPv6 socket) connect to ::1:PORT
//   udp:PORT        UDP connect to 127.0.0.1:PORT
//   bind:PORT       TCP bind to 127.0.0.1:PORT (SO_REUSEADDR)
//   udpbind:PORT    UDP bind to 127.0.0.1:PORT
//   unspec:PORT     TCP bind of AF_UNSPEC/INADDR_ANY:PORT (bound as AF_INET by the kernel)
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char* Name(int err) {
  switch (err) {
    case 0: return "ok";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EADDRINUSE: return "EADDRINUSE";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EINVAL: return "EINVAL";
    case ENETUNREACH: return "ENETUNREACH";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    default: return strerror(err);
  }
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    char op[32];
    int port = 0;
    if (sscanf(argv[i], "%31[^:]:%d", op, &port) != 2) {
      fprintf(stderr, "lt_tcp: bad operation %s\n", argv[i]);
      return 2;
    }
    const int six = strcmp(op, "connect6") == 0;
    const int udp = strcmp(op, "udp") == 0 || strcmp(op, "udpbind") == 0;
    int fd = socket(six ? AF_INET6 : AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
    if (fd < 0) {
      printf("%s %d: socket %s\n", op, port, Name(errno));
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in in4;
    memset(&in4, 0, sizeof in4);
    in4.sin_family = AF_INET;
    in4.sin_port = htons((uint16_t)port);
    in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct sockaddr_in6 in6;
    memset(&in6, 0, sizeof in6);
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons((uint16_t)port);
    in6.sin6_addr = in6addr_loopback;
    int rc;
    if (six) {
      rc = connect(fd, (struct sockaddr*)&in6, sizeof in6);
    } else if (strcmp(op, "connect") == 0 || strcmp(op, "udp") == 0) {
      rc = connect(fd, (struct sockaddr*)&in4, sizeof in4);
    } else if (strcmp(op, "bind") == 0 || strcmp(op, "udpbind") == 0) {
      rc = bind(fd, (struct sockaddr*)&in4, sizeof in4);
    } else if (strcmp(op, "unspec") == 0) {
      in4.sin_family = AF_UNSPEC;
      in4.sin_addr.s_addr = htonl(INADDR_ANY);
      rc = bind(fd, (struct sockaddr*)&in4, sizeof in4);
    } else {
      fprintf(stderr, "lt_tcp: unknown operation %s\n", op);
      return 2;
    }
    printf("%s %d: %s\n", op, port, Name(rc == 0 ? 0 : errno));
    fflush(stdout);
    close(fd);
  }
  return 0;
}
