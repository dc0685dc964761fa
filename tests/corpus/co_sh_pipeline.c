// Shell pipelines through /bin/sh: popen of a pipeline, a subshell, a here-document and a
// command substitution; the shell's exit code.
#include "co.h"

static void run(const char* cmd) {
  FILE* f = popen(cmd, "r");
  CHECK(f != NULL);
  char line[256];
  while (fgets(line, sizeof line, f)) printf("| %s", line);
  int st = pclose(f);
  CHECK(st != -1);
  printf("status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

int main(void) {
  run("printf 'b\\na\\nc\\nb\\n' | sort | uniq -c | tr -s ' ' | sed 's/^ //'");
  run("seq 1 1000 | awk '{s+=$1} END {print s}'");
  run("(echo sub; exit 3)");
  run("cat <<EOT | wc -l\none\ntwo\nEOT");
  run("x=$(echo nested $(echo deep)); echo \"$x\"; false || echo or; true && exit 5");
  run("for i in 1 2 3; do echo $i; done | tail -n 1");
  return 0;
}
