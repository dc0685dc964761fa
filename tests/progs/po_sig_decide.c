// po_sig_decide: the target decides how SIGTERM and SIGHUP end it. Prints "ready" once its
// handlers are in place; a SIGTERM prints "got TERM" and carries on; a SIGHUP prints "got HUP"
// and exits 4. Waits in pause(), so only signals move it on.
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void OnSignal(int sig) {
  if (sig == SIGTERM) {
    static const char msg[] = "got TERM\n";
    write(1, msg, sizeof msg - 1);
    return;
  }
  static const char msg[] = "got HUP\n";
  write(1, msg, sizeof msg - 1);
  _exit(4);
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = OnSignal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  write(1, "ready\n", 6);
  for (;;) pause();
}
