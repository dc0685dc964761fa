// socketpair + SCM_RIGHTS: a child receives a pipe's write end over a unix socket and writes
// through it; SCM_CREDENTIALS with SO_PASSCRED names the sender; MSG_PEEK and SOCK_SEQPACKET.
#include <sys/socket.h>
#include <sys/un.h>
#include "co.h"

static void send_fd(int s, int fd) {
  char c = 'F';
  struct iovec iov = {&c, 1};
  char ctl[CMSG_SPACE(sizeof(int))] = {0};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                     .msg_controllen = sizeof ctl};
  struct cmsghdr* h = CMSG_FIRSTHDR(&m);
  h->cmsg_level = SOL_SOCKET;
  h->cmsg_type = SCM_RIGHTS;
  h->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(h), &fd, sizeof fd);
  CHECK(sendmsg(s, &m, 0) == 1);
}
static int recv_fd(int s) {
  char c;
  struct iovec iov = {&c, 1};
  char ctl[CMSG_SPACE(sizeof(int))];
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                     .msg_controllen = sizeof ctl};
  CHECK(recvmsg(s, &m, MSG_CMSG_CLOEXEC) == 1 && c == 'F');
  struct cmsghdr* h = CMSG_FIRSTHDR(&m);
  CHECK(h && h->cmsg_type == SCM_RIGHTS);
  int fd;
  memcpy(&fd, CMSG_DATA(h), sizeof fd);
  return fd;
}

int main(void) {
  int sv[2], p[2];
  CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
  CHECK(pipe(p) == 0);
  pid_t c = fork();
  CHECK(c >= 0);
  if (c == 0) {
    close(sv[0]);
    close(p[1]);
    close(p[0]);
    int fd = recv_fd(sv[1]);
    CHECK(fcntl(fd, F_GETFD) == FD_CLOEXEC);
    CHECK(write(fd, "through passed fd", 17) == 17);
    _exit(0);
  }
  close(sv[1]);
  send_fd(sv[0], p[1]);
  close(p[1]);
  char buf[64] = {0};
  CHECK(co_read_all(p[0], buf, 17) == 0);
  CHECK(co_wait(c) == 0);

  int s2[2];
  CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, s2) == 0);
  int one = 1;
  CHECK(setsockopt(s2[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one) == 0);
  CHECK(send(s2[0], "cred", 4, 0) == 4);
  char d[8];
  CHECK(recv(s2[1], d, sizeof d, MSG_PEEK) == 4);
  char ctl[CMSG_SPACE(sizeof(struct ucred))];
  struct iovec iov = {d, sizeof d};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                     .msg_controllen = sizeof ctl};
  CHECK(recvmsg(s2[1], &m, 0) == 4);
  struct cmsghdr* h = CMSG_FIRSTHDR(&m);
  CHECK(h && h->cmsg_type == SCM_CREDENTIALS);
  struct ucred u;
  memcpy(&u, CMSG_DATA(h), sizeof u);
  CHECK(u.pid == getpid() && u.uid == getuid() && u.gid == getgid());
  struct ucred peer;
  socklen_t len = sizeof peer;
  CHECK(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &peer, &len) == 0 && peer.pid == getpid());
  printf("got \"%s\", credentials ok\n", buf);
  return 0;
}
