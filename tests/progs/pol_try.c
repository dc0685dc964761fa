/* pol_try: makes one syscall given on the command line and prints its result, for policy tests
 * (bubblewrap try-syscall style: call with bad fds/pointers so that "allowed" shows as
 * EBADF/EFAULT/EINVAL, never confused with the filter's errno).
 *
 *   pol_try [--int80|--x32] NAME|NR [ARG...]    ARGs: integers (0x.., negative)
 * prints "ret=N" or "err=ERRNONAME" and exits 0. --int80 makes the call through the i386 ABI
 * (int $0x80, i386 numbers), --x32 with the x32 bit (0x40000000) set in the number. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct { const char *name; long nr; } kNames[] = {
    {"read", SYS_read},       {"write", SYS_write},         {"close", SYS_close},
    {"getpid", SYS_getpid},   {"getppid", SYS_getppid},     {"getuid", SYS_getuid},
    {"socket", SYS_socket},   {"personality", SYS_personality}, {"getpriority", SYS_getpriority},
    {"dup", SYS_dup},         {"fcntl", SYS_fcntl},         {"mount", SYS_mount},
    {"unshare", SYS_unshare}, {"uname", SYS_uname},         {"kill", SYS_kill},
    {"io_uring_setup", SYS_io_uring_setup}, {"clone3", SYS_clone3}, {"openat", SYS_openat},
};

int main(int argc, char **argv) {
  int i = 1, int80 = 0, x32 = 0;
  for (; i < argc && strncmp(argv[i], "--", 2) == 0; ++i) {
    if (strcmp(argv[i], "--int80") == 0) int80 = 1;
    else if (strcmp(argv[i], "--x32") == 0) x32 = 1;
    else { fprintf(stderr, "pol_try: unknown option %s\n", argv[i]); return 2; }
  }
  if (i >= argc) {
    fprintf(stderr, "usage: pol_try [--int80|--x32] NAME|NR [ARG...]\n");
    return 2;
  }
  long nr = -1;
  for (size_t k = 0; k < sizeof(kNames) / sizeof(kNames[0]); ++k)
    if (strcmp(argv[i], kNames[k].name) == 0) nr = kNames[k].nr;
  if (nr < 0) {
    char *end;
    nr = strtol(argv[i], &end, 0);
    if (*end) { fprintf(stderr, "pol_try: unknown syscall %s\n", argv[i]); return 2; }
  }
  long a[6] = {0};
  for (int k = 0; k < 6 && i + 1 + k < argc; ++k) a[k] = (long)strtoull(argv[i + 1 + k], NULL, 0);
  long ret;
  if (int80) {
    /* i386 ABI: eax = nr, ebx, ecx, edx, esi, edi, ebp; result in eax (-errno on error). */
    long r;
    __asm__ volatile("push %%rbp\n\tmov %7, %%rbp\n\tint $0x80\n\tpop %%rbp"
                     : "=a"(r)
                     : "a"(nr), "b"(a[0]), "c"(a[1]), "d"(a[2]), "S"(a[3]), "D"(a[4]), "g"(a[5])
                     : "memory", "r8", "r9", "r10", "r11");
    r = (long)(int)r;
    if (r < 0 && r > -4096) { errno = (int)-r; ret = -1; } else ret = r;
  } else {
    ret = syscall(x32 ? (nr | 0x40000000L) : nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  }
  if (ret == -1) printf("err=%s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "?");
  else printf("ret=%ld\n", ret);
  return 0;
}
