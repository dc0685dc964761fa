// Prints what came in from outside, for the replay tests: getrandom bytes, its pid, the time
// through the clock_gettime *syscall* (not the vDSO), and the content of file argv[1] read with
// read(2), once in the process and once in a forked child. With argv[2] == "branch", it first
// checks with access(2) (which replay does not feed) whether argv[1] exists and makes a
// different call when it does not: a replay after the file vanished then diverges.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void print_file(const char* who, const char* path) {
  char buf[256];
  int fd = open(path, O_RDONLY);
  ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
  if (fd >= 0) close(fd);
  if (n < 0) n = 0;
  buf[n] = 0;
  if (n > 0 && buf[n - 1] == '\n') buf[n - 1] = 0;
  printf("%s file=%s\n", who, buf);
  fflush(stdout);
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  if (argc > 2 && !strcmp(argv[2], "branch") && syscall(SYS_access, argv[1], R_OK) != 0) {
    printf("ppid=%ld\n", (long)syscall(SYS_getppid));
    return 0;
  }
  unsigned char r[8];
  syscall(SYS_getrandom, r, sizeof r, 0);
  struct timespec ts;
  syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts);
  printf("random=%02x%02x%02x%02x%02x%02x%02x%02x pid=%ld time=%lld.%09ld\n", r[0], r[1], r[2],
         r[3], r[4], r[5], r[6], r[7], (long)syscall(SYS_getpid), (long long)ts.tv_sec, ts.tv_nsec);
  fflush(stdout);
  print_file("parent", argv[1]);
  pid_t child = fork();
  if (child == 0) {
    print_file("child", argv[1]);
    _exit(0);
  }
  int st;
  waitpid(child, &st, 0);
  return 0;
}
