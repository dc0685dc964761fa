// exs_policy: the calls `explore --policy` tests need (tests/integration/explore_policy_test.cc).
//   exs_policy fallback DIR NAME   access(DIR/app.conf); when it fails, falls back to DIR/NAME:
//                                  writes one byte to fd 20 (when open) first, then opens and
//                                  prints it. Prints "conf: TEXT" (exit 0), "NAME: TEXT"
//                                  (exit 2) or "open NAME: ERROR" (exit 3).
//   exs_policy escalated           getppid, uname, getppid again, then write(2, "abcdefgh\n", 9):
//                                  prints "ppid N", "uname ok" or "uname: ERROR", "ppid N".
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static int Fallback(const char* dir, const char* name) {
  char conf[4096], other[4096], buf[256];
  snprintf(conf, sizeof conf, "%s/app.conf", dir);
  snprintf(other, sizeof other, "%s/%s", dir, name);
  const int use_conf = access(conf, R_OK) == 0;
  if (!use_conf) (void)!write(20, "b", 1);
  const int fd = open(use_conf ? conf : other, O_RDONLY);
  if (fd < 0) {
    printf("open %s: %s\n", use_conf ? "conf" : name, strerror(errno));
    return 3;
  }
  const ssize_t n = read(fd, buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  printf("%s: %s", use_conf ? "conf" : name, buf);
  return use_conf ? 0 : 2;
}

static int Escalated(void) {
  printf("ppid %ld\n", (long)syscall(SYS_getppid));
  struct utsname u;
  if (uname(&u) == 0)
    printf("uname ok\n");
  else
    printf("uname: %s\n", strerror(errno));
  printf("ppid %ld\n", (long)syscall(SYS_getppid));
  fflush(stdout);
  (void)!write(2, "abcdefgh\n", 9);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 4 && strcmp(argv[1], "fallback") == 0) return Fallback(argv[2], argv[3]);
  if (argc == 2 && strcmp(argv[1], "escalated") == 0) return Escalated();
  fprintf(stderr, "usage: exs_policy fallback DIR NAME | escalated\n");
  return 64;
}
