// i386 (`int $0x80`) file calls from 64-bit code, for tests/security/emulation_test.cc: paths are
// copied below 4 GiB first. One line per operation, "OP=RESULT" (a value or "-1 ERRNO"):
//   open PATH        open (5), then the content read with a 64-bit read: "open=<content>"
//   stat64 PATH      stat64 (195): "stat64=<size> <mode, octal>"
//   access PATH      access (33, R_OK)
//   mkdir PATH       mkdir (39, 0755)
//   unlink PATH      unlink (10) / rmdir PATH: rmdir (40)
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static long Int80(long nr, long a, long b, long c) {
  long ret;
  __asm__ volatile("int $0x80"
                   : "=a"(ret)
                   : "a"(nr), "b"(a), "c"(b), "d"(c)
                   : "memory", "r8", "r9", "r10", "r11");
  return ret;
}

static void result(const char* op, long rc) {
  if (rc < 0) printf("%s=-1 %s\n", op, strerrorname_np((int)-rc));
  else printf("%s=%ld\n", op, rc);
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  char* low = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
                   -1, 0);
  if (low == MAP_FAILED) return 2;
  char* path = low;
  unsigned char* buf = (unsigned char*)low + 4096;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char* op = argv[i];
    snprintf(path, 4096, "%s", argv[i + 1]);
    if (!strcmp(op, "open")) {
      long fd = Int80(5, (long)path, 0, 0);
      if (fd < 0) {
        result(op, fd);
        continue;
      }
      char text[256];
      ssize_t n = read((int)fd, text, sizeof text - 1);
      text[n > 0 ? n : 0] = 0;
      if (n > 0 && text[n - 1] == '\n') text[n - 1] = 0;
      printf("open=%s\n", text);
      close((int)fd);
    } else if (!strcmp(op, "stat64")) {
      memset(buf, 0xff, 96);
      long rc = Int80(195, (long)path, (long)buf, 0);
      if (rc < 0) {
        result(op, rc);
        continue;
      }
      int64_t size;
      uint32_t mode;
      memcpy(&size, buf + 44, 8);  // struct stat64: st_size at 44, st_mode at 16
      memcpy(&mode, buf + 16, 4);
      printf("stat64=%lld %o\n", (long long)size, mode & 07777);
    } else if (!strcmp(op, "access")) {
      result(op, Int80(33, (long)path, 4, 0));
    } else if (!strcmp(op, "mkdir")) {
      result(op, Int80(39, (long)path, 0755, 0));
    } else if (!strcmp(op, "unlink")) {
      result(op, Int80(10, (long)path, 0, 0));
    } else if (!strcmp(op, "rmdir")) {
      result(op, Int80(40, (long)path, 0, 0));
    } else {
      fprintf(stderr, "unknown op %s\n", op);
      return 2;
    }
  }
  syscall(SYS_exit_group, 0);
  return 0;
}
