// Prints "ready" once its SIGTERM handler is in place, then waits for signals; SIGTERM makes it
// print "got TERM" and exit 3. For tests of signals sent to pwnbox and passed on.
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void OnTerm(int sig) {
  (void)sig;
  static const char msg[] = "got TERM\n";
  write(1, msg, sizeof msg - 1);
  _exit(3);
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = OnTerm;
  sigaction(SIGTERM, &sa, NULL);
  write(1, "ready\n", 6);
  for (;;) pause();
}
