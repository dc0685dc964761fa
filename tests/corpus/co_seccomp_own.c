// A program that sandboxes itself, as browsers and services do: in a child, NO_NEW_PRIVS and a
// seccomp filter of its own that fails uname with EACCES and allows the rest; the filter holds
// across exec of /bin/sh (whose `uname` fails) and the parent is unaffected.
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include "co.h"

int main(void) {
  pid_t c = fork();
  CHECK(c >= 0);
  if (c == 0) {
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_uname, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof f / sizeof f[0], f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(10);
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) _exit(11);
    struct utsname u;
    if (uname(&u) != -1 || errno != EACCES) _exit(12);
    execl("/bin/sh", "sh", "-c", "uname >/dev/null 2>&1 && exit 13; exit 0", (char*)NULL);
    _exit(14);
  }
  int code = co_wait(c);
  struct utsname u;
  CHECK(uname(&u) == 0);
  printf("own seccomp filter: child status %d, parent uname %s\n", code, u.sysname);
  return code;
}
