// sec_path_ops: the path calls the path-rule security tests attack with, one per word group;
// prints one line per operation, "OP=RESULT", RESULT being what was read, a number, or
// "-1 ERRNO".
//   cat PATH                  open(PATH) and read it: "cat=<first line>"
//   link A B / linkat A B / rename A B / renameat A B / exchange A B (renameat2 with
//   RENAME_EXCHANGE) / symlink TEXT P / symlinkat TEXT P          (AT_FDCWD, flags 0)
//   openat2 DIR PATH FLAGS RESOLVE
//                             openat2(DIR, PATH, {FLAGS, 0, RESOLVE}); DIR "-" is AT_FDCWD,
//                             otherwise opened O_RDONLY|O_DIRECTORY; FLAGS and RESOLVE are numbers (0x..);
//                             prints the first line read, or for O_PATH "path:<fd's link>"
//   open32 PATH / open32hi PATH / openat32 DIR PATH / stat32 PATH
//                             i386 open (5), openat (295) and stat64 (195) with `int $0x80`,
//                             strings and buffers below 4 GiB; stat32 prints the size;
//                             open32hi sets the registers' upper 32 bits
//   race2 GOOD BAD N RESOLVE  a thread flips the path buffer between GOOD and BAD while this
//                             one calls openat2(AT_FDCWD, buf, {O_RDONLY, 0, RESOLVE}) N times
//   race32 GOOD BAD N         the same with i386 open
//   racelink GOOD BAD NEW N   the same with link(buf, NEW); each link made is read, removed
//   The races print "race=<times a file starting with "secret" was read> opened=<opens>".

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

enum { kNrOpen32 = 5, kNrStat64_32 = 195, kNrOpenat32 = 295 };

static long Int80(long nr, long a, long b, long c) {
  long ret;
  __asm__ volatile("int $0x80"
                   : "=a"(ret)
                   : "a"(nr), "b"(a), "c"(b), "d"(c)
                   : "memory", "r8", "r9", "r10", "r11");
  return ret;
}

// Memory below 4 GiB for i386 pointers.
static char* g_low;

static char* Low(const char* s, size_t at) {
  size_t n = strlen(s) + 1;
  if (at + n > 4096) exit(3);
  memcpy(g_low + at, s, n);
  return g_low + at;
}

static void result(const char* op, long rc) {
  if (rc < 0) printf("%s=-1 %s\n", op, strerrorname_np(errno));
  else printf("%s=%ld\n", op, rc);
}

// i386 calls return -errno in eax.
static void result32(const char* op, long rc) {
  if (rc < 0 && rc > -4096) {
    errno = (int)-rc;
    rc = -1;
  }
  result(op, rc);
}

static void read_fd(const char* op, int fd) {
  if (fd < 0) {
    result(op, -1);
    return;
  }
  char buf[256];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n < 0) {
    result(op, -1);
    return;
  }
  buf[n] = 0;
  char* nl = strchr(buf, '\n');
  if (nl) *nl = 0;
  printf("%s=%s\n", op, buf);
}

static char g_path[4096];
static char* g_buf;  // the buffer flipped: g_path, or low memory for race32
static const char *g_good, *g_bad;
static volatile int g_stop;

static void* flipper(void* arg) {
  (void)arg;
  size_t good = strlen(g_good) + 1, bad = strlen(g_bad) + 1;
  while (!g_stop) {
    memcpy(g_buf, g_bad, bad);
    memcpy(g_buf, g_good, good);
  }
  return NULL;
}

// link(buf, NEW) N times while buf flips; each link made is read and removed.
static void race_link(const char* newpath, long n) {
  g_buf = g_path;
  strcpy(g_buf, g_good);
  pthread_t t;
  pthread_create(&t, NULL, flipper, NULL);
  long leaked = 0, linked = 0;
  for (long k = 0; k < n; ++k) {
    if (link(g_buf, newpath) != 0) continue;
    ++linked;
    int f = open(newpath, O_RDONLY);
    char got[64];
    ssize_t r = f >= 0 ? read(f, got, sizeof got - 1) : -1;
    if (f >= 0) close(f);
    if (r > 0 && !strncmp(got, "secret", 6)) ++leaked;
    unlink(newpath);
  }
  g_stop = 1;
  pthread_join(t, NULL);
  g_stop = 0;
  printf("race=%ld opened=%ld\n", leaked, linked);
}

static void race(int i386, long n, uint64_t resolve) {
  g_buf = i386 ? g_low + 2048 : g_path;
  strcpy(g_buf, g_good);
  pthread_t t;
  pthread_create(&t, NULL, flipper, NULL);
  long leaked = 0, opened = 0;
  for (long k = 0; k < n; ++k) {
    long f;
    if (i386) {
      f = Int80(kNrOpen32, (long)(uintptr_t)g_buf, O_RDONLY, 0);
    } else {
      struct open_how how = {.flags = O_RDONLY, .mode = 0, .resolve = resolve};
      f = syscall(SYS_openat2, AT_FDCWD, g_buf, &how, sizeof how);
    }
    if (f < 0) continue;
    ++opened;
    char got[64];
    ssize_t r = read((int)f, got, sizeof got - 1);
    close((int)f);
    if (r > 0 && !strncmp(got, "secret", 6)) ++leaked;
  }
  g_stop = 1;
  pthread_join(t, NULL);
  g_stop = 0;
  printf("race=%ld opened=%ld\n", leaked, opened);
}

int main(int argc, char** argv) {
  g_low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1,
               0);
  if (g_low == MAP_FAILED) return 2;
  for (int i = 1; i < argc; ++i) {
    const char* op = argv[i];
    const char* a = i + 1 < argc ? argv[i + 1] : "";
    const char* b = i + 2 < argc ? argv[i + 2] : "";
    errno = 0;
    if (!strcmp(op, "cat")) {
      read_fd(op, open(a, O_RDONLY));
      i += 1;
    } else if (!strcmp(op, "link")) {
      result(op, link(a, b));
      i += 2;
    } else if (!strcmp(op, "linkat")) {
      result(op, linkat(AT_FDCWD, a, AT_FDCWD, b, 0));
      i += 2;
    } else if (!strcmp(op, "rename")) {
      result(op, rename(a, b));
      i += 2;
    } else if (!strcmp(op, "renameat")) {
      result(op, syscall(SYS_renameat, AT_FDCWD, a, AT_FDCWD, b));
      i += 2;
    } else if (!strcmp(op, "exchange")) {
      result(op, syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE));
      i += 2;
    } else if (!strcmp(op, "symlink")) {
      result(op, symlink(a, b));
      i += 2;
    } else if (!strcmp(op, "symlinkat")) {
      result(op, symlinkat(a, AT_FDCWD, b));
      i += 2;
    } else if (!strcmp(op, "openat2")) {
      const char* flags = i + 3 < argc ? argv[i + 3] : "0";
      const char* res = i + 4 < argc ? argv[i + 4] : "0";
      int dir = AT_FDCWD;
      if (strcmp(a, "-") != 0) dir = open(a, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      struct open_how how = {.flags = strtoull(flags, NULL, 0), .mode = 0,
                             .resolve = strtoull(res, NULL, 0)};
      long fd = syscall(SYS_openat2, dir, b, &how, sizeof how);
      if (fd >= 0 && (how.flags & O_PATH)) {
        char link[64], target[4096];
        snprintf(link, sizeof link, "/proc/self/fd/%ld", fd);
        ssize_t n = readlink(link, target, sizeof target - 1);
        target[n < 0 ? 0 : n] = 0;
        printf("openat2=path:%s\n", target);
        close((int)fd);
      } else {
        read_fd(op, (int)fd);
      }
      if (dir >= 0) close(dir);
      i += 4;
    } else if (!strcmp(op, "open32")) {
      long fd = Int80(kNrOpen32, (long)(uintptr_t)Low(a, 0), O_RDONLY, 0);
      if (fd < 0) result32(op, fd);
      else read_fd(op, (int)fd);
      i += 1;
    } else if (!strcmp(op, "open32hi")) {
      // Garbage in the upper halves of the 64-bit registers: the i386 entry uses the low 32
      // bits only, and so must a supervisor reading the call's arguments.
      const long hi = 0x5a5a5a5a00000000L;
      long fd = Int80(kNrOpen32, hi | (long)(uintptr_t)Low(a, 0), hi | O_RDONLY, hi);
      if (fd < 0) result32(op, fd);
      else read_fd(op, (int)fd);
      i += 1;
    } else if (!strcmp(op, "openat32")) {
      int dir = open(a, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      long fd = Int80(kNrOpenat32, dir, (long)(uintptr_t)Low(b, 0), O_RDONLY);
      if (fd < 0) result32(op, fd);
      else read_fd(op, (int)fd);
      if (dir >= 0) close(dir);
      i += 2;
    } else if (!strcmp(op, "stat32")) {
      char* st = g_low + 3072;  // struct stat64 of i386: st_size (long long) at offset 44
      long rc = Int80(kNrStat64_32, (long)(uintptr_t)Low(a, 0), (long)(uintptr_t)st, 0);
      if (rc != 0) {
        result32(op, rc);
      } else {
        long long size;
        memcpy(&size, st + 44, sizeof size);
        printf("stat32=%lld\n", size);
      }
      i += 1;
    } else if (!strcmp(op, "racelink")) {
      g_good = a;
      g_bad = b;
      race_link(i + 3 < argc ? argv[i + 3] : "", atol(i + 4 < argc ? argv[i + 4] : "1000"));
      i += 4;
    } else if (!strcmp(op, "race2") || !strcmp(op, "race32")) {
      g_good = a;
      g_bad = b;
      long n = atol(i + 3 < argc ? argv[i + 3] : "1000");
      const int i386 = !strcmp(op, "race32");
      uint64_t resolve = 0;
      if (!i386) resolve = strtoull(i + 4 < argc ? argv[i + 4] : "0", NULL, 0);
      race(i386, n, resolve);
      i += i386 ? 3 : 4;
    } else {
      fprintf(stderr, "sec_path_ops: unknown op %s\n", op);
      return 2;
    }
    fflush(stdout);
  }
  return 0;
}
