// Unix sockets by name: an abstract stream socket and a path socket (in the cwd) served by a
// child; a datagram path socket; getsockname/getpeername; the socket file's type; unlink.
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "co.h"

static socklen_t addr_of(struct sockaddr_un* a, const char* name, int abstract) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  size_t n = strlen(name);
  if (abstract) {
    memcpy(a->sun_path + 1, name, n);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
  }
  memcpy(a->sun_path, name, n);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

static void serve_and_talk(struct sockaddr_un* a, socklen_t len, const char* what) {
  int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  CHECK(l >= 0);
  CHECK(bind(l, (struct sockaddr*)a, len) == 0);
  CHECK(listen(l, 4) == 0);
  pid_t c = fork();
  CHECK(c >= 0);
  if (c == 0) {
    int s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
    if (s < 0) _exit(2);
    char buf[32];
    ssize_t n = read(s, buf, sizeof buf);
    if (n <= 0) _exit(3);
    for (ssize_t i = 0; i < n; ++i) buf[i] ^= 0x20;
    write(s, buf, (size_t)n);
    _exit(0);
  }
  close(l);
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  CHECK(s >= 0);
  CHECK(connect(s, (struct sockaddr*)a, len) == 0);
  struct sockaddr_un peer;
  socklen_t pl = sizeof peer;
  CHECK(getpeername(s, (struct sockaddr*)&peer, &pl) == 0 && pl == len &&
        memcmp(&peer, a, len) == 0);
  CHECK(write(s, "hello", 5) == 5);
  char buf[8] = {0};
  CHECK(co_read_all(s, buf, 5) == 0);
  CHECK(co_wait(c) == 0);
  close(s);
  printf("%s: %s\n", what, buf);
}

int main(void) {
  struct sockaddr_un a;
  char name[64];
  snprintf(name, sizeof name, "co_unix_sockets.%d", getpid());
  serve_and_talk(&a, addr_of(&a, name, 1), "abstract");
  socklen_t len = addr_of(&a, "srv.sock", 0);
  serve_and_talk(&a, len, "path");
  struct stat st;
  CHECK(stat("srv.sock", &st) == 0 && S_ISSOCK(st.st_mode));
  CHECK(unlink("srv.sock") == 0);

  int d = socket(AF_UNIX, SOCK_DGRAM, 0), e = socket(AF_UNIX, SOCK_DGRAM, 0);
  CHECK(d >= 0 && e >= 0);
  len = addr_of(&a, "dgram.sock", 0);
  CHECK(bind(d, (struct sockaddr*)&a, len) == 0);
  CHECK(sendto(e, "dg", 2, 0, (struct sockaddr*)&a, len) == 2);
  char buf[4] = {0};
  CHECK(recv(d, buf, sizeof buf, 0) == 2);
  struct sockaddr_un me;
  socklen_t ml = sizeof me;
  CHECK(getsockname(d, (struct sockaddr*)&me, &ml) == 0 && strcmp(me.sun_path, "dgram.sock") == 0);
  CHECK(unlink("dgram.sock") == 0);
  errno = 0;
  CHECK(connect(e, (struct sockaddr*)&a, len) == -1 && errno == ENOENT);
  printf("datagram: %s, name %s\n", buf, me.sun_path);
  return 0;
}
