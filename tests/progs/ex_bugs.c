// ex_bugs: planted error-handling bugs for `pwnbox explore` (tests/integration/explore_test.cc).
//   ex_bugs fopen FILE   prints FILE's first line; crashes (NULL FILE*) when fopen fails
//   ex_bugs write        writes 64 bytes to stdout; crashes when the write is short
//   ex_bugs eintr FILE   reads FILE through fd 10 with a SIGALRM handler installed (no
//                        SA_RESTART); loops forever when that read fails with EINTR
//   ex_bugs fallback FILE  prints FILE's first line; when it cannot be opened, creates a
//                        directory (a call the test's policy kills)
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void on_alarm(int sig) { (void)sig; }

int main(int argc, char** argv) {
  if (argc >= 3 && strcmp(argv[1], "fopen") == 0) {
    FILE* f = fopen(argv[2], "r");
    char line[256];
    // Bug: f is not checked.
    if (fgets(line, sizeof line, f) != NULL) fputs(line, stdout);
    fclose(f);
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "fallback") == 0) {
    FILE* f = fopen(argv[2], "r");
    if (f == NULL) return mkdir("/tmp/ex_bugs_fallback", 0700) == 0 ? 0 : 3;
    char line[256];
    if (fgets(line, sizeof line, f) != NULL) fputs(line, stdout);
    fclose(f);
    return 0;
  }
  if (argc >= 2 && strcmp(argv[1], "write") == 0) {
    char buf[64];
    memset(buf, 'x', sizeof buf);
    buf[63] = '\n';
    ssize_t n = write(1, buf, sizeof buf);
    // Bug: a short write is taken for memory corruption.
    if (n >= 0 && n != (ssize_t)sizeof buf) *(volatile int*)0 = 1;
    return n < 0 ? 1 : 0;
  }
  if (argc >= 3 && strcmp(argv[1], "eintr") == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0 || dup2(fd, 10) != 10) return 2;
    char buf[128];
    ssize_t r = read(10, buf, sizeof buf);
    const int err = errno;
    // Bug: the retry loop never reads again. (Fd 20, when open, is told once: the test's
    // sign that the branch is in its loop.)
    if (r < 0 && err == EINTR) (void)!write(20, "h", 1);
    while (r < 0 && err == EINTR) {
    }
    if (r > 0) (void)!write(1, buf, (size_t)r);
    return r < 0 ? 1 : 0;
  }
  fprintf(stderr, "usage: ex_bugs fopen FILE | write | eintr FILE\n");
  return 2;
}
