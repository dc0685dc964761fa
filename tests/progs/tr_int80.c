// tr_int80: from 64-bit code, makes two i386 syscalls with `int $0x80`: getpid (eax=20) and
// write(1, "int80\n", 6) (eax=4, buffer below 4 GiB), then exits 0 with a 64-bit exit_group.
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

int main(void) {
  char* low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
                   -1, 0);
  if (low == MAP_FAILED) return 2;
  memcpy(low, "int80\n", 6);
  Int80(20, 0, 0, 0);
  Int80(4, 1, (long)low, 6);
  syscall(SYS_exit_group, 0);
  return 0;
}
