// sec_life_tree SHAPE END: starts processes meant to outlive the sandbox and writes the pid of
// each (one per line) to fd 3, then `READY`; then the main process pauses (END = hold: the test
// kills pwnbox) or, once stdin gives a byte or EOF, exits 0 (END = exit: pwnbox must kill what
// is left). Every process it starts waits in pause() until killed.
//
// SHAPE: tree      a child with a grandchild, a double-forked daemon, a setsid'd double-forked
//                  daemon
//        chain     a chain of 40 processes, each the child of the previous one
//        untraced  a child started with clone(CLONE_UNTRACED); `untraced: EPERM` (not a pid)
//                  when the sandbox refuses it
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_UNTRACED
#define CLONE_UNTRACED 0x00800000
#endif

static int ack[2];

static void Say(const char* line) {
  write(3, line, strlen(line));
}

// Reports this process and waits to be killed.
static void Park(void) {
  char line[32];
  snprintf(line, sizeof line, "%d\n", (int)getpid());
  Say(line);
  write(ack[1], "a", 1);
  for (;;) pause();
}

static void DoubleFork(int new_session) {
  pid_t p = fork();
  if (p == 0) {
    if (new_session) setsid();
    if (fork() == 0) Park();
    _exit(0);
  }
  waitpid(p, NULL, 0);
}

static void Chain(int left) {
  if (left == 0) return;
  if (fork() == 0) {
    Chain(left - 1);
    Park();
  }
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  if (pipe(ack) != 0) return 2;
  int expected = 0;
  if (!strcmp(argv[1], "tree")) {
    if (fork() == 0) {
      if (fork() == 0) Park();
      Park();
    }
    DoubleFork(0);
    DoubleFork(1);
    expected = 4;
  } else if (!strcmp(argv[1], "chain")) {
    Chain(40);
    expected = 40;
  } else if (!strcmp(argv[1], "untraced")) {
    long pid = syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) Park();
    if (pid < 0) {
      char line[64];
      snprintf(line, sizeof line, "untraced: %s\n", errno == EPERM ? "EPERM" : strerror(errno));
      Say(line);
    } else {
      expected = 1;
    }
  } else {
    return 2;
  }
  char c;
  for (int i = 0; i < expected; ++i)
    if (read(ack[0], &c, 1) != 1) return 3;
  Say("READY\n");
  if (!strcmp(argv[2], "exit")) {
    // Exits once the test has a handle on every pid (a byte or EOF on stdin), so that pwnbox's
    // kill of the leftovers cannot come before the test sees them.
    char c;
    while (read(0, &c, 1) < 0 && errno == EINTR) {
    }
    return 0;
  }
  for (;;) pause();
}
