// exp_selffilter TRIGGER DIR: installs a seccomp filter of its own (mkdir fails with EPERM),
// opens TRIGGER (the branch point), then tries mkdir(DIR). Prints "mkdir=EPERM|ok|errno
// trigger=ok|failed" and exits 0. Under `pwnbox explore` a branch must keep the program's own
// filter (its seccomp filtering is never suspended when it has a filter besides explore's).
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 3) return 64;
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mkdir, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof f / sizeof f[0], f};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
    return 65;
  const int t = open(argv[1], O_RDONLY);
  const int r = mkdir(argv[2], 0755);
  printf("mkdir=%s trigger=%s\n", r == 0 ? "ok" : errno == EPERM ? "EPERM" : "errno",
         t >= 0 ? "ok" : "failed");
  return 0;
}
