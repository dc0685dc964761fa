// A 32-bit system call from a 64-bit program: getpid through `int 0x80` (i386 number 20) must
// equal getpid(); and write (i386 number 4) of a static buffer.
#include <sys/mman.h>
#include "co.h"

static char msg[] = "int 0x80 write\n";

int main(void) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
  long w;
  // The buffer's address must fit in 32 bits: msg is in the (non-PIE-or-low) data segment;
  // when it does not, copy it into a low mapping.
  char* buf = msg;
  if ((uintptr_t)msg > 0xffffffffUL) {
    buf = (char*)(uintptr_t)0x10000000;
    CHECK(mmap(buf, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
               -1, 0) == buf);
    memcpy(buf, msg, sizeof msg);
  }
  fflush(stdout);
  __asm__ volatile("int $0x80"
                   : "=a"(w)
                   : "a"(4L), "b"(1L), "c"((long)(uintptr_t)buf), "d"((long)(sizeof msg - 1))
                   : "memory");
  printf("int 0x80 getpid %s, write %ld\n", r == getpid() ? "matches" : "differs", w);
  return r == getpid() && w == (long)sizeof msg - 1 ? 0 : 1;
}
