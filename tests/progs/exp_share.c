// exp_share FILE TRIGGER MARKER: what `pwnbox explore`'s branches share
// (docs/explore.md "What branches share"). Opens FILE (a regular file of at
// least 8 bytes) and reads its first 4 bytes; fills a pipe with "abcdefgh";
// then opens TRIGGER (the branch point; its result only printed); then reads 4
// more bytes of FILE and 4 bytes of the pipe, and creates MARKER with O_EXCL.
// Prints "file=XXXX pipe=YYYY marker=created|exists trigger=ok|failed", exits
// 0. The original and a branch read the same bytes of FILE (each has its own
// offset: ReopenFd), but consume the one pipe in turn (the baseline "abcd", a
// branch started after it "efgh"), and see each other's files (the branch finds
// the baseline's MARKER).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 4) return 64;
  const int fd = open(argv[1], O_RDONLY);
  char head[5] = {0}, rest[5] = {0}, piped[5] = {0};
  int p[2];
  if (fd < 0 || read(fd, head, 4) != 4 || pipe(p) != 0 || write(p[1], "abcdefgh", 8) != 8)
    return 65;
  const int t = open(argv[2], O_RDONLY);
  if (read(fd, rest, 4) != 4 || read(p[0], piped, 4) != 4) return 66;
  const int m = open(argv[3], O_WRONLY | O_CREAT | O_EXCL, 0644);
  const int made = m >= 0 ? 1 : errno == EEXIST ? 0 : -1;
  printf("file=%s pipe=%s marker=%s trigger=%s\n", rest, piped,
         made == 1   ? "created"
         : made == 0 ? "exists"
                     : "error",
         t >= 0 ? "ok" : "failed");
  return 0;
}
