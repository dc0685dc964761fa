// po_lastcall MODE: writes "x" to stdout, calls getpid, then ends by MODE:
//   kill  kill(getpid(), SIGUSR1) with the default action (killed by SIGUSR1 after kill)
//   exit  exit_group(0)
// Raw syscalls, so a trace -n knows exactly which call comes last.
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  syscall(SYS_write, 1, "x", 1);
  const long pid = syscall(SYS_getpid);
  if (strcmp(argv[1], "kill") == 0) {
    syscall(SYS_kill, pid, SIGUSR1);
    return 3;  // not reached
  }
  if (strcmp(argv[1], "exit") == 0) syscall(SYS_exit_group, 0);
  return 2;
}
