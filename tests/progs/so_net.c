// For it_trace_options_test's -yy case: sockets whose fds strace -yy decodes, each named by a
// call on it: a TCP connection over loopback (connect, write), a bound UDPv6 socket, an
// abstract UNIX datagram socket, a netlink socket (write of 0 bytes on each), then closes.
// Exits 0 (1 when loopback TCP is not available).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(void) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(l, (void*)&a, sizeof a) != 0 || listen(l, 1) != 0) return 1;
  socklen_t al = sizeof a;
  getsockname(l, (void*)&a, &al);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(c, (void*)&a, sizeof a) != 0) return 1;
  write(c, "x", 1);
  int u = socket(AF_INET6, SOCK_DGRAM, 0);
  struct sockaddr_in6 b = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
  bind(u, (void*)&b, sizeof b);
  write(u, "", 0);
  int s = socket(AF_UNIX, SOCK_DGRAM, 0);
  struct sockaddr_un n = {.sun_family = AF_UNIX};
  strcpy(n.sun_path + 1, "so_net");
  bind(s, (void*)&n, sizeof(sa_family_t) + 7);
  write(s, "", 0);
  int nl = socket(AF_NETLINK, SOCK_RAW, 0);
  write(nl, "", 0);
  close(nl);
  close(s);
  close(u);
  close(c);
  close(l);
  return 0;
}
