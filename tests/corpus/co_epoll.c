// epoll over a pipe, an eventfd and a socketpair: level and edge triggering, EPOLLONESHOT with
// re-arming, EPOLLHUP when the writer closes, epoll_pwait with a mask.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include "co.h"

int main(void) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  CHECK(ep >= 0);
  int p[2], sv[2];
  CHECK(pipe(p) == 0);
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  int ev = eventfd(0, EFD_NONBLOCK);
  CHECK(ev >= 0);
  struct epoll_event e = {.events = EPOLLIN, .data.u32 = 1};
  CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e) == 0);
  e = (struct epoll_event){.events = EPOLLIN | EPOLLET, .data.u32 = 2};
  CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, ev, &e) == 0);
  e = (struct epoll_event){.events = EPOLLIN | EPOLLONESHOT, .data.u32 = 3};
  CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &e) == 0);
  struct epoll_event out[8];
  CHECK(epoll_wait(ep, out, 8, 0) == 0);
  CHECK(write(p[1], "a", 1) == 1);
  CHECK(eventfd_write(ev, 5) == 0);
  CHECK(write(sv[1], "b", 1) == 1);
  int n = epoll_wait(ep, out, 8, -1);
  unsigned seen = 0;
  for (int i = 0; i < n; ++i) seen |= 1u << out[i].data.u32;
  // Level: the pipe again; edge: not the eventfd; oneshot: not the socket.
  sigset_t none;
  sigemptyset(&none);
  n = epoll_pwait(ep, out, 8, 0, &none);
  CHECK(n == 1 && out[0].data.u32 == 1);
  e = (struct epoll_event){.events = EPOLLIN | EPOLLONESHOT, .data.u32 = 3};
  CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, sv[0], &e) == 0);
  n = epoll_wait(ep, out, 8, 0);
  CHECK(n == 2);
  char c;
  CHECK(read(p[0], &c, 1) == 1);
  close(p[1]);
  n = epoll_wait(ep, out, 8, -1);
  CHECK(n >= 1 && out[0].data.u32 == 1 && (out[0].events & EPOLLHUP));
  CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL) == 0);
  errno = 0;
  CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL) == -1 && errno == ENOENT);
  printf("epoll first wait mask %x, level/edge/oneshot/hup ok\n", seen);
  return seen == 0xe ? 0 : 1;
}
