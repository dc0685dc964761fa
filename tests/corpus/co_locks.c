// File locks: flock held by the parent makes a child's LOCK_NB fail with EWOULDBLOCK; fcntl
// F_SETLK region locks, F_GETLK names the holder's pid; OFD locks; F_SETLKW waits for release.
#include <sys/file.h>
#include "co.h"

int main(void) {
  int fd = open("lockfile", O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0 && ftruncate(fd, 100) == 0);
  CHECK(flock(fd, LOCK_EX) == 0);
  int go[2], done[2];
  CHECK(pipe(go) == 0 && pipe(done) == 0);
  pid_t c = fork();
  CHECK(c >= 0);
  if (c == 0) {
    int f2 = open("lockfile", O_RDWR);
    int r = flock(f2, LOCK_EX | LOCK_NB) == -1 && errno == EWOULDBLOCK;
    // Region locks: the parent holds bytes 0-9 (told through the pipe).
    char x;
    if (read(go[0], &x, 1) != 1) _exit(9);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 10};
    int conflict = fcntl(f2, F_SETLK, &fl) == -1 && (errno == EAGAIN || errno == EACCES);
    fl = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 10};
    int holder = fcntl(f2, F_GETLK, &fl) == 0 && fl.l_type == F_WRLCK && fl.l_pid == getppid();
    fl = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 50, .l_len = 10};
    int free_ok = fcntl(f2, F_SETLK, &fl) == 0;
    write(done[1], "d", 1);
    // Waits until the parent releases 0-9.
    fl = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
    int waited = fcntl(f2, F_SETLKW, &fl) == 0;
    _exit(r << 0 | conflict << 1 | holder << 2 | free_ok << 3 | waited << 4);
  }
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
  CHECK(fcntl(fd, F_SETLK, &fl) == 0);
  CHECK(write(go[1], "g", 1) == 1);
  char x;
  CHECK(read(done[0], &x, 1) == 1);
  fl.l_type = F_UNLCK;
  CHECK(fcntl(fd, F_SETLK, &fl) == 0);
  int bits = co_wait(c);
  // OFD locks conflict between two open file descriptions of the same process.
  int o1 = open("lockfile", O_RDWR), o2 = open("lockfile", O_RDWR);
  struct flock ol = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
  CHECK(fcntl(o1, F_OFD_SETLK, &ol) == 0);
  ol = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
  errno = 0;
  CHECK(fcntl(o2, F_OFD_SETLK, &ol) == -1 && errno == EAGAIN);
  CHECK(unlink("lockfile") == 0);
  printf("lock results %x\n", bits);
  return bits == 0x1f ? 0 : 1;
}
