// Descriptors across exec: O_CLOEXEC and FD_CLOEXEC ones close, others survive with their
// offsets; dup2/dup3/F_DUPFD_CLOEXEC; close_range with CLOSE_RANGE_CLOEXEC.
#include <linux/close_range.h>
#include "co.h"

int main(int argc, char** argv) {
  if (argc == 5) {
    int keep = atoi(argv[1]), gone = atoi(argv[2]), gone2 = atoi(argv[3]), gone3 = atoi(argv[4]);
    errno = 0;
    int closed = fcntl(gone, F_GETFD) == -1 && fcntl(gone2, F_GETFD) == -1 &&
                 fcntl(gone3, F_GETFD) == -1;
    char buf[8] = {0};
    CHECK(read(keep, buf, 3) == 3);
    printf("after exec: kept fd reads \"%s\", cloexec fds closed %d\n", buf, closed);
    return closed ? 0 : 1;
  }
  int keep = open("/proc/self/exe", O_RDONLY);
  CHECK(keep >= 0);
  char magic[4];
  CHECK(read(keep, magic, 1) == 1);  // offset 1: the next read gets "ELF"
  int gone = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int gone2 = fcntl(keep, F_DUPFD_CLOEXEC, 20);
  int gone3 = dup3(gone, 30, O_CLOEXEC);
  CHECK(gone >= 0 && gone2 >= 20 && gone3 == 30);
  int extra = dup2(keep, 40);
  CHECK(extra == 40);
  CHECK(syscall(SYS_close_range, 40, 40, CLOSE_RANGE_CLOEXEC) == 0);
  CHECK(fcntl(40, F_GETFD) == FD_CLOEXEC);
  char a[4][16];
  snprintf(a[0], 16, "%d", keep);
  snprintf(a[1], 16, "%d", gone);
  snprintf(a[2], 16, "%d", gone2);
  snprintf(a[3], 16, "%d", 40);
  (void)gone3;
  execl(argv[0], argv[0], a[0], a[1], a[2], a[3], (char*)NULL);
  CHECK(!"exec");
}
