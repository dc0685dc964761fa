// i386 struct arguments made with `int $0x80` from 64-bit code, for the struct-decoding test
// (it_decode_structs_test), between write(-1, "st_i386:begin", 13) and "st_i386:end" (both
// i386 writes): sendfile's 32-bit offset and sendfile64's 64-bit one (in and out), openat2's
// how, landlock's attr, kcmp's types. Data lives below 4 GiB (MAP_32BIT). Every call fails or
// acts only on this process (a memfd and /dev/null).
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static long Int80(long nr, long a, long b, long c, long d, long e) {
  long ret;
  __asm__ volatile("int $0x80"
                   : "=a"(ret)
                   : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
                   : "memory", "r8", "r9", "r10", "r11");
  return ret;
}

int main(void) {
  char* low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
                   -1, 0);
  if (low == MAP_FAILED) return 2;
  int memfd = memfd_create("st", 0);  // fd 3
  char data[100];
  memset(data, 'x', sizeof(data));
  write(memfd, data, sizeof(data));
  int null = open("/dev/null", O_WRONLY);  // fd 4
  char* path = low;
  strcpy(path, "/nonexistent/st");
  char* begin = low + 64;
  strcpy(begin, "st_i386:begin");
  char* end = low + 96;
  strcpy(end, "st_i386:end");
  uint32_t* off32 = (uint32_t*)(low + 128);
  uint64_t* off64 = (uint64_t*)(low + 136);
  struct open_how* how = (struct open_how*)(low + 160);
  uint64_t* attr = (uint64_t*)(low + 192);

  Int80(4, -1, (long)begin, 13, 0, 0);  // write
  *off32 = 10;
  Int80(187, null, memfd, (long)off32, 20, 0);  // sendfile: [10] => [30]
  *off64 = 40;
  Int80(239, null, memfd, (long)off64, 20, 0);  // sendfile64: [40] => [60]
  Int80(187, -1, memfd, (long)off32, 20, 0);    // failed: [30]
  how->flags = O_RDONLY | O_CLOEXEC;
  how->mode = 0;
  how->resolve = RESOLVE_NO_SYMLINKS;
  Int80(437, AT_FDCWD, (long)path, (long)how, sizeof(*how), 0);  // openat2
  attr[0] = 1;                                                    // LANDLOCK_ACCESS_FS_EXECUTE
  Int80(444, (long)attr, 8, 0, 0, 0);                             // landlock_create_ruleset: 5
  Int80(6, 5, 0, 0, 0, 0);                                        // close
  Int80(349, 0x7ffffff0, 0x7ffffff0, 0, 3, 3);  // kcmp(KCMP_FILE) of no such process
  Int80(349, 0x7ffffff0, 0x7ffffff0, 1, 0, 0);  // KCMP_VM
  Int80(4, -1, (long)end, 11, 0, 0);            // write
  syscall(SYS_exit_group, 0);
  return 0;
}
