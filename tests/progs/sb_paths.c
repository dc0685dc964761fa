// File operations for the path-rule tests, one per command-line word group; prints one line
// per operation: "OP=RESULT" where RESULT is what was read / 0 / -1 ERRNO.
//   open PATH           open(PATH, O_RDONLY) and read it: "open=<content>"
//   openat DIR NAME     openat(open(DIR), NAME)
//   cd DIR              chdir(DIR)
//   stat PATH           stat(PATH): "stat=<size>"
//   lstat PATH / access PATH / readlink PATH / unlink PATH / mkdir PATH / rmdir PATH
//   rename A B / link A B / symlink TARGET PATH / creat PATH / chmod PATH
//   race GOOD BAD N     a thread flips a path buffer between GOOD and BAD while the main
//                       thread opens it N times; prints "race=<times BAD's content was read>"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void result(const char* op, long rc) {
  if (rc < 0) printf("%s=-1 %s\n", op, strerrorname_np(errno));
  else printf("%s=%ld\n", op, rc);
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
  if (n > 0 && buf[n - 1] == '\n') buf[n - 1] = 0;
  printf("%s=%s\n", op, buf);
}

static char g_path[4096];
static const char *g_good, *g_bad;
static volatile int g_stop;

static void* flipper(void* arg) {
  (void)arg;
  size_t good = strlen(g_good) + 1, bad = strlen(g_bad) + 1;
  while (!g_stop) {
    memcpy(g_path, g_bad, bad);
    memcpy(g_path, g_good, good);
  }
  return NULL;
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const char* op = argv[i];
    const char* a = i + 1 < argc ? argv[i + 1] : "";
    const char* b = i + 2 < argc ? argv[i + 2] : "";
    errno = 0;
    if (!strcmp(op, "open")) { read_fd(op, open(a, O_RDONLY)); i += 1; }
    else if (!strcmp(op, "openat")) {
      int dir = open(a, O_RDONLY | O_DIRECTORY);
      read_fd(op, openat(dir, b, O_RDONLY));
      close(dir);
      i += 2;
    } else if (!strcmp(op, "cd")) { result(op, chdir(a)); i += 1; }
    else if (!strcmp(op, "stat")) {
      struct stat st;
      long rc = stat(a, &st);
      if (rc == 0) printf("stat=%lld\n", (long long)st.st_size); else result(op, rc);
      i += 1;
    } else if (!strcmp(op, "lstat")) {
      struct stat st;
      long rc = lstat(a, &st);
      if (rc == 0) printf("lstat=%s\n", S_ISLNK(st.st_mode) ? "link" : "file"); else result(op, rc);
      i += 1;
    } else if (!strcmp(op, "access")) { result(op, access(a, R_OK)); i += 1; }
    else if (!strcmp(op, "readlink")) {
      char buf[256];
      ssize_t n = readlink(a, buf, sizeof buf - 1);
      if (n >= 0) { buf[n] = 0; printf("readlink=%s\n", buf); } else result(op, n);
      i += 1;
    } else if (!strcmp(op, "unlink")) { result(op, unlink(a)); i += 1; }
    else if (!strcmp(op, "mkdir")) { result(op, mkdir(a, 0755)); i += 1; }
    else if (!strcmp(op, "rmdir")) { result(op, rmdir(a)); i += 1; }
    else if (!strcmp(op, "creat")) {
      int fd = creat(a, 0640);
      if (fd >= 0) { (void)write(fd, "new\n", 4); close(fd); }
      result(op, fd < 0 ? -1 : 0);
      i += 1;
    } else if (!strcmp(op, "chmod")) { result(op, chmod(a, 0600)); i += 1; }
    else if (!strcmp(op, "rename")) { result(op, rename(a, b)); i += 2; }
    else if (!strcmp(op, "link")) { result(op, link(a, b)); i += 2; }
    else if (!strcmp(op, "symlink")) { result(op, symlink(a, b)); i += 2; }
    else if (!strcmp(op, "race")) {
      g_good = a;
      g_bad = b;
      long n = atol(i + 3 < argc ? argv[i + 3] : "1000");
      strcpy(g_path, g_good);
      pthread_t t;
      pthread_create(&t, NULL, flipper, NULL);
      long leaked = 0, opened = 0;
      char want[256];
      int fd = open(g_bad, O_RDONLY);  // NOLINT: only to learn BAD's content when allowed
      (void)fd;
      for (long k = 0; k < n; ++k) {
        int f = open(g_path, O_RDONLY);
        if (f < 0) continue;
        ++opened;
        ssize_t r = read(f, want, sizeof want - 1);
        close(f);
        if (r > 0 && !strncmp(want, "secret", 6)) ++leaked;
      }
      g_stop = 1;
      pthread_join(t, NULL);
      printf("race=%ld opened=%ld\n", leaked, opened);
      i += 3;
    } else {
      fprintf(stderr, "sb_paths: unknown op %s\n", op);
      return 2;
    }
    fflush(stdout);
  }
  return 0;
}
