// Opens a file the way a proxied stream carries it (docs/proxy.md "Without fd passing") and
// prints what the fd the target got does, one line "key=value ..." (errno names), so that the
// test can tell a materialised file, a relayed one and a refused open apart:
//   ps_stream read PATH        O_RDONLY: size (fstat), access mode, seals, bytes read,
//                              write (EBADF), lseek back to 0 and read again
//   ps_stream write PATH TEXT  O_WRONLY|O_CREAT|O_TRUNC: writes TEXT, lseek and pwrite (ESPIPE)
//   ps_stream open PATH FLAGS  open with FLAGS (rdwr, dir, path, wrnb: O_WRONLY|O_CREAT|
//                              O_NONBLOCK, then whether the fd is non-blocking): the result or
//                              the errno
//   ps_stream many PATH N      opens PATH.0 .. PATH.N-1 O_WRONLY|O_CREAT|O_TRUNC, all kept
//                              open: "opened=K first_error=ERRNO|none"
//   ps_stream readwait PATH    O_RDONLY, reads once and prints "first=N", then reads to the
//                              end: "read=TOTAL end=eof" or "end=ERRNO"
//   ps_stream writewait PATH   O_WRONLY|O_CREAT|O_TRUNC, writes "first\n", prints "opened",
//                              waits for a byte on stdin, then writes 64 KiB chunks until one
//                              fails (at most 256 MiB): "end=ERRNO"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char* Name(int err) {
  const char* n = strerrorname_np(err);
  return n ? n : "?";
}

static void Ready(void) {
  printf("opened\n");
  fflush(stdout);
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  signal(SIGPIPE, SIG_IGN);
  const char* mode = argv[1];
  const char* path = argv[2];
  if (strcmp(mode, "read") == 0) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
      printf("open=%s\n", Name(errno));
      return 1;
    }
    struct stat st;
    fstat(fd, &st);
    int acc = fcntl(fd, F_GETFL) & O_ACCMODE;
    int seals = fcntl(fd, F_GET_SEALS);
    char buf[65536];
    long long total = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) total += n;
    int w = (int)write(fd, "x", 1);
    const char* werr = w < 0 ? Name(errno) : "WRITTEN";
    off_t back = lseek(fd, 0, SEEK_SET);
    ssize_t again = read(fd, buf, 4);
    printf("size=%lld acc=%s seals=%d read=%lld write=%s lseek=%lld again=%zd\n",
           (long long)st.st_size, acc == O_RDONLY ? "rdonly" : "other", seals, total, werr,
           (long long)back, again);
    return 0;
  }
  if (strcmp(mode, "write") == 0 && argc >= 4) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
      printf("open=%s\n", Name(errno));
      return 1;
    }
    ssize_t w = write(fd, argv[3], strlen(argv[3]));
    off_t s = lseek(fd, 0, SEEK_SET);
    const char* serr = s < 0 ? Name(errno) : "SEEKED";
    ssize_t p = pwrite(fd, "x", 1, 0);
    const char* perr = p < 0 ? Name(errno) : "WRITTEN";
    int c = close(fd);
    printf("write=%zd lseek=%s pwrite=%s close=%d\n", w, serr, perr, c);
    return 0;
  }
  if (strcmp(mode, "open") == 0 && argc >= 4) {
    int flags = strcmp(argv[3], "rdwr") == 0   ? O_RDWR
                : strcmp(argv[3], "dir") == 0  ? O_RDONLY | O_DIRECTORY
                : strcmp(argv[3], "path") == 0 ? O_PATH
                : strcmp(argv[3], "wrnb") == 0 ? O_WRONLY | O_CREAT | O_NONBLOCK
                                               : O_RDONLY;
    int fd = open(path, flags, 0644);
    printf("open=%s", fd >= 0 ? "ok" : Name(errno));
    if (fd >= 0 && (flags & O_NONBLOCK))
      printf(" nonblock=%d", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    printf("\n");
    return 0;
  }
  if (strcmp(mode, "many") == 0 && argc >= 4) {
    // Opens PATH.0, PATH.1, ... for writing, up to N, keeping them open: how many opened and
    // the errno of the first that failed.
    int n = atoi(argv[3]), opened = 0, first_err = 0;
    char name[4096];
    for (int i = 0; i < n; ++i) {
      snprintf(name, sizeof name, "%s.%d", path, i);
      if (open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644) >= 0) {
        ++opened;
      } else if (first_err == 0) {
        first_err = errno;
      }
    }
    printf("opened=%d first_error=%s\n", opened, first_err ? Name(first_err) : "none");
    return 0;
  }
  if (strcmp(mode, "readwait") == 0) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
      printf("open=%s\n", Name(errno));
      return 1;
    }
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    long long total = n > 0 ? n : 0;
    printf("first=%zd\n", n);
    fflush(stdout);
    while (n > 0 && (n = read(fd, buf, sizeof buf)) > 0) total += n;
    printf("read=%lld end=%s\n", total, n == 0 ? "eof" : Name(errno));
    return 0;
  }
  if (strcmp(mode, "writewait") == 0) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, "first\n", 6) != 6) {
      printf("open=%s\n", Name(errno));
      return 1;
    }
    Ready();
    char b;
    if (read(0, &b, 1) != 1) {
      printf("go=%s\n", Name(errno));
      return 1;
    }
    static char chunk[65536];
    memset(chunk, 'w', sizeof chunk);
    for (int i = 0; i < 4096; ++i) {
      if (write(fd, chunk, sizeof chunk) < 0) {
        printf("end=%s\n", Name(errno));
        return 0;
      }
    }
    printf("end=ALL-WRITTEN\n");
    return 0;
  }
  return 2;
}
