// A shell script as real builds run them, through /bin/sh with coreutils: directories, files,
// copies, moves, symlinks, find, sort, wc, sed, a function, a loop, traps, set -e, and the
// exit status of a failing command.
#include "co.h"

static const char script[] =
    "set -e\n"
    "trap 'echo trap EXIT' EXIT\n"
    "mkdir -p work/a/b/c && cd work\n"
    "for i in 3 1 2; do echo \"line $i\" > a/b/c/f$i.txt; done\n"
    "cp a/b/c/f1.txt copy.txt && mv copy.txt moved.txt\n"
    "ln -s a/b/c/f2.txt link.txt && readlink link.txt && cat link.txt\n"
    "find . -name '*.txt' | sort\n"
    "cat a/b/c/*.txt | sort -r | sed 's/line/L/' | tr '\\n' ' '; echo\n"
    "count() { ls \"$1\" | wc -l; }\n"
    "echo files: $(count a/b/c)\n"
    "test -d a && [ -f moved.txt ] && echo tests ok\n"
    "chmod 600 moved.txt && stat -c %a moved.txt\n"
    "echo data | tee t1 t2 >/dev/null && cmp t1 t2 && echo tee ok\n"
    "if grep -q nothing moved.txt; then echo unexpected; else echo grep status $?; fi\n"
    "(exit 4) || echo subshell $?\n"
    "cd .. && rm -r work && test ! -e work && echo cleaned\n";

int main(void) {
  int st = system(script);
  CHECK(st != -1 && WIFEXITED(st));
  printf("script status %d\n", WEXITSTATUS(st));
  fflush(stdout);
  st = system("set -e; false; echo not reached");
  printf("set -e status %d\n", WEXITSTATUS(st));
  return 0;
}
