// `sh -c 'sleep 10 & exit 0'` with the background job's output sent away: the shell exits at
// once, leaving sleep behind (issue 13: pwnbox hung on this until the sleep ended).
#include "co.h"

int main(void) {
  pid_t c = fork();
  CHECK(c >= 0);
  if (c == 0) {
    execl("/bin/sh", "sh", "-c", "sleep 10 </dev/null >/dev/null 2>&1 & exit 0", (char*)NULL);
    _exit(127);
  }
  CHECK(co_wait(c) == 0);
  printf("shell left sleep behind\n");
  return 0;
}
