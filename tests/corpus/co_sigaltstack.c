// sigaltstack: a handler with SA_ONSTACK runs on the alternate stack (SS_ONSTACK inside), and a
// SIGSEGV from unbounded recursion is caught there and left with siglongjmp.
#include <setjmp.h>
#include <sys/resource.h>
#include "co.h"

static char* alt;
static size_t alt_size;
static volatile int on_alt, in_flag;
static sigjmp_buf env;

static void on_usr1(int s) {
  (void)s;
  char here;
  on_alt = &here >= alt && &here < alt + alt_size;
  stack_t cur;
  sigaltstack(NULL, &cur);
  in_flag = (cur.ss_flags & SS_ONSTACK) != 0;
}
static void on_segv(int s) {
  (void)s;
  siglongjmp(env, 1);
}
static int recurse(volatile char* p, int n) {
  volatile char buf[1024];
  buf[0] = (char)n;
  buf[1023] = p ? p[0] : 0;
  return recurse(buf, n + 1) + buf[0];
}

int main(void) {
  alt_size = 1 << 16;
  alt = malloc(alt_size);
  stack_t ss = {.ss_sp = alt, .ss_size = alt_size, .ss_flags = 0};
  CHECK(sigaltstack(&ss, NULL) == 0);
  struct sigaction sa = {0};
  sa.sa_handler = on_usr1;
  sa.sa_flags = SA_ONSTACK;
  CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
  CHECK(raise(SIGUSR1) == 0);
  CHECK(on_alt && in_flag);

  struct rlimit rl = {1 << 20, 1 << 20};
  CHECK(setrlimit(RLIMIT_STACK, &rl) == 0 || errno == EPERM);
  sa.sa_handler = on_segv;
  sa.sa_flags = SA_ONSTACK | SA_NODEFER;
  CHECK(sigaction(SIGSEGV, &sa, NULL) == 0);
  int caught = 0;
  if (sigsetjmp(env, 1) == 0) recurse(NULL, 0);
  else caught = 1;
  printf("altstack handler on alt stack %d, overflow caught %d\n", on_alt, caught);
  return caught ? 0 : 1;
}
