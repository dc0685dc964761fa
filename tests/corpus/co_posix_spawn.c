// posix_spawn of /bin/echo with its stdout on a pipe (file actions), and posix_spawnp of a
// command that does not exist.
#include <spawn.h>
#include "co.h"

extern char** environ;
int main(void) {
  int p[2];
  CHECK(pipe(p) == 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[1], 1);
  posix_spawn_file_actions_addclose(&fa, p[0]);
  char* argv[] = {"echo", "spawned", "hello", NULL};
  pid_t pid;
  CHECK(posix_spawn(&pid, "/bin/echo", &fa, NULL, argv, environ) == 0);
  close(p[1]);
  char buf[64] = {0};
  ssize_t n = 0, k;
  while ((k = read(p[0], buf + n, sizeof buf - 1 - n)) > 0) n += k;
  CHECK(co_wait(pid) == 0);
  CHECK(strcmp(buf, "spawned hello\n") == 0);
  char* argv2[] = {"no-such-command-co", NULL};
  int r = posix_spawnp(&pid, "no-such-command-co", NULL, NULL, argv2, environ);
  CHECK(r == ENOENT);
  printf("spawn output %s", buf);
  printf("spawnp missing ENOENT\n");
  return 0;
}
