// For the trace-options test (it_trace_options_test): syscalls whose printing strace's output
// options change, after the marker write(-1, "so_opts:begin PID PPID", ...) (and the same to a
// pipe, which succeeds) and up to
// write(-1, "so_opts:end", 11). Named constants and flags (openat, mmap, lseek), a failed call,
// a stat struct, a socket fd, a handled and an ignored signal (SIGUSR1, SIGUSR2), and an execve
// that fails (ENOENT) but whose environment strace prints abbreviated. Exits 0.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void on_usr1(int sig) { (void)sig; }

int main(int argc, char** argv) {
  (void)argc;
  char begin[96];
  snprintf(begin, sizeof(begin), "so_opts:begin %ld %ld", (long)syscall(SYS_getpid),
           (long)syscall(SYS_getppid));
  // The marker, failed (for -Z) and then written to a pipe (for -z).
  int marker[2];
  pipe2(marker, O_CLOEXEC);
  syscall(SYS_write, -1, begin, strlen(begin));
  syscall(SYS_write, marker[1], begin, strlen(begin));
  int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/exe", O_RDONLY | O_CLOEXEC);
  syscall(SYS_lseek, fd, 0, SEEK_END);
  struct stat st;
  syscall(SYS_newfstatat, AT_FDCWD, "/", &st, 0);
  syscall(SYS_openat, AT_FDCWD, "/nonexistent/so_opts", O_WRONLY | O_CREAT | O_TRUNC, 0640);
  void* p = (void*)syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  syscall(SYS_munmap, p, 4096);
  syscall(SYS_close, fd);
  int sv[2];
  syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, sv);
  syscall(SYS_write, sv[0], "x", 1);
  syscall(SYS_close, sv[0]);
  syscall(SYS_close, sv[1]);
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  signal(SIGUSR2, SIG_IGN);
  syscall(SYS_kill, syscall(SYS_getpid), SIGUSR1);
  syscall(SYS_kill, syscall(SYS_getpid), SIGUSR2);
  char* args[] = {argv[0], "child", NULL};
  char* env[] = {"A=1", "B=2", NULL};
  syscall(SYS_execve, "/nonexistent/so_opts", args, env);
  syscall(SYS_write, -1, "so_opts:end", 11);
  return 0;
}
