// i386 syscalls made with `int $0x80` from 64-bit code, for the decoding-fidelity test
// (it_decode_fidelity_test): 16-bit uids (chown, setresuid), their 32-bit forms, modes, signed
// and unsigned ints from 32-bit registers, unknown flags, a wrong sigsetsize. Between the
// marker writes write(-1, "dc_i386:begin", 13) and "dc_i386:end" (both i386 writes). Strings
// live below 4 GiB (MAP_32BIT). Every call fails or changes nothing.
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static long Int80(long nr, long a, long b, long c, long d) {
  long ret;
  __asm__ volatile("int $0x80"
                   : "=a"(ret)
                   : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d)
                   : "memory", "r8", "r9", "r10", "r11");
  return ret;
}

int main(void) {
  char* low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
                   -1, 0);
  if (low == MAP_FAILED) return 2;
  char* path = low;
  strcpy(path, "/nonexistent/dc");
  char* begin = low + 64;
  strcpy(begin, "dc_i386:begin");
  char* end = low + 96;
  strcpy(end, "dc_i386:end");
  char* set = low + 128;
  memset(set, 0, 8);
  set[1] = 1;  // SIGUSR1... bit 9

  Int80(4, -1, (long)begin, 13, 0);              // write
  Int80(182, (long)path, 0xffff, 1000, 0);       // chown (16-bit ids): chown(path, -1, 1000)
  Int80(212, (long)path, 0xffffffff, 65534, 0);  // chown32
  Int80(16, (long)path, 0xfffe, 0xffff, 0);      // lchown (16-bit)
  Int80(164, 0xffff, 0xffff, 0xffff, 0);         // setresuid (16-bit): all -1
  Int80(208, -1, -1, -1, 0);                     // setresuid32
  Int80(27, 42, 0, 0, 0);                        // alarm(42)
  Int80(27, 0, 0, 0, 0);                         // alarm(0) = 42
  Int80(15, (long)path, 051, 0, 0);              // chmod
  Int80(39, (long)path, 0100755, 0, 0);          // mkdir
  Int80(14, (long)path, 020644, 0x0103, 0);      // mknod(S_IFCHR, makedev(1, 3))
  Int80(60, 022, 0, 0, 0);                       // umask
  Int80(60, 022, 0, 0, 0);                       // umask = 022
  Int80(19, -1, -1, 0, 0);                       // lseek(-1, -1, SEEK_SET)
  Int80(5, (long)path, O_RDONLY | 0x40000000, 0, 0);  // open with an unknown bit
  Int80(37, 0, 0, 0, 0);                         // kill(0, 0)
  Int80(175, 0, (long)set, 0, 4);                // rt_sigprocmask(SIG_BLOCK, set, NULL, 4)
  Int80(175, 0, (long)set, 0, 8);                // ... with 8
  Int80(175, 1, (long)set, 0, 8);                // SIG_UNBLOCK
  Int80(4, -1, (long)end, 11, 0);                // write
  syscall(SYS_exit_group, 0);
  return 0;
}
