// Common helpers of the corpus programs (tests/corpus/README.md). Each program checks its own
// results: it prints a deterministic report on stdout and exits 0 when every CHECK holds; a
// failed CHECK prints the file, line, condition and errno on stderr and exits 1.
#pragma once
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHECK(cond)                                                                        \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      int e_ = errno;                                                                      \
      fprintf(stderr, "%s:%d: check failed: %s (errno %d: %s)\n", __FILE__, __LINE__, #cond, \
              e_, strerror(e_));                                                           \
      exit(1);                                                                             \
    }                                                                                      \
  } while (0)

// stdout is a pipe under the driver: line buffering keeps a fork from duplicating output.
__attribute__((constructor)) static void co_line_buffered(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
}

// Waits for `pid` and returns its exit code, or 128+N when signal N killed it.
static inline int co_wait(pid_t pid) {
  int st;
  pid_t r;
  do r = waitpid(pid, &st, 0); while (r < 0 && errno == EINTR);
  CHECK(r == pid);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

// Writes/reads exactly n bytes (retrying short transfers and EINTR); returns 0 or -1.
static inline int co_write_all(int fd, const void* buf, size_t n) {
  const char* p = (const char*)buf;
  while (n > 0) {
    ssize_t k = write(fd, p, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    p += k;
    n -= (size_t)k;
  }
  return 0;
}
static inline int co_read_all(int fd, void* buf, size_t n) {
  char* p = (char*)buf;
  while (n > 0) {
    ssize_t k = read(fd, p, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

static inline int64_t co_now_ns(clockid_t clk) {
  struct timespec ts;
  clock_gettime(clk, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
