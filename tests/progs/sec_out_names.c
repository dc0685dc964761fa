// Makes files whose names try to forge trace lines and reach the terminal, then uses them so
// that `trace -y` prints their paths. Usage: sec_out_names DIR (a directory to work in).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

// A name that ends a line, forges an exit line, opens an ANSI colour escape, and holds the
// characters -y must escape (<, >, ", \, a tab, control and high bytes, an octal-looking digit).
static const char kName[] = "x\n+++ exited with 0 +++\n\033[31mred<a>\"q\"\\b\tz\001\2007";

int main(int argc, char** argv) {
  if (argc != 2 || chdir(argv[1]) != 0) return 2;
  int fd = open(kName, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return 3;
  if (write(fd, "hi\n", 3) != 3) return 4;
  close(fd);
  // A directory with a hostile name as the working directory: AT_FDCWD<...>.
  if (mkdir("d\033]0;title\007", 0700) != 0 || chdir("d\033]0;title\007") != 0) return 5;
  fd = openat(AT_FDCWD, "f", O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) return 6;
  close(fd);
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return 7;
  close(p[0]);
  close(p[1]);
  return 0;
}
