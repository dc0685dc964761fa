// UDP on loopback: sendto/recvfrom between two sockets on ephemeral ports, connect() filtering,
// sendmmsg/recvmmsg of 4 datagrams, MSG_TRUNC on a short buffer.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "co.h"

static int udp(struct sockaddr_in* a) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  CHECK(s >= 0);
  memset(a, 0, sizeof *a);
  a->sin_family = AF_INET;
  a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CHECK(bind(s, (struct sockaddr*)a, sizeof *a) == 0);
  socklen_t l = sizeof *a;
  CHECK(getsockname(s, (struct sockaddr*)a, &l) == 0 && a->sin_port != 0);
  return s;
}

int main(void) {
  struct sockaddr_in aa, ab, from;
  int a = udp(&aa), b = udp(&ab);
  CHECK(sendto(a, "ping", 4, 0, (struct sockaddr*)&ab, sizeof ab) == 4);
  char buf[16] = {0};
  socklen_t fl = sizeof from;
  CHECK(recvfrom(b, buf, sizeof buf, 0, (struct sockaddr*)&from, &fl) == 4);
  CHECK(from.sin_port == aa.sin_port && strcmp(buf, "ping") == 0);
  CHECK(connect(b, (struct sockaddr*)&aa, sizeof aa) == 0);
  struct mmsghdr mm[4];
  struct iovec iov[4];
  char data[4][8];
  for (int i = 0; i < 4; ++i) {
    snprintf(data[i], sizeof data[i], "m%d", i);
    iov[i] = (struct iovec){data[i], strlen(data[i])};
    mm[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
  }
  CHECK(sendmmsg(b, mm, 4, 0) == 4);
  char rd[4][8];
  memset(rd, 0, sizeof rd);
  for (int i = 0; i < 4; ++i) {
    iov[i] = (struct iovec){rd[i], sizeof rd[i] - 1};
    mm[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
  }
  int got = 0;
  while (got < 4) {
    int n = recvmmsg(a, mm + got, 4 - got, 0, NULL);
    CHECK(n > 0);
    got += n;
  }
  CHECK(sendto(a, "longer-than-4", 13, 0, (struct sockaddr*)&ab, sizeof ab) == 13);
  char small[4];
  CHECK(recv(b, small, sizeof small, MSG_TRUNC) == 13);
  printf("udp %s, mmsg %s %s %s %s, trunc 13\n", buf, rd[0], rd[1], rd[2], rd[3]);
  return 0;
}
