// Emulated calls made as the target, for tests/security/emulation_test.cc. One operation per
// command-line word group; each prints one line "OP=RESULT" (a value, or "-1 ERRNO"):
//   drop UID GID [SUPP]  setgroups({SUPP} or none), setresgid(GID), setresuid(UID)
//   nocap N              drops capability N from the effective, permitted and inheritable sets
//   umask MODE           umask(MODE) (octal)
//   access PATH          access(PATH, R_OK)
//   open PATH            open(PATH, O_RDONLY) and read it: "open=<content>"
//   creat PATH           creat(PATH, 0666): "creat=<mode of the new file, octal>"
//   mknod PATH           mknod(PATH, S_IFCHR|0600, makedev(1, 3))
//   trap                 a second thread calls getppid (trapped by the policy); its SIGSYS
//                        handler checks where it ran, rax and its siginfo:
//                        "trap=handler_in_caller=1 rax=nr ret=nr siginfo=seccomp"
//   race DIR N           N rounds of creat/chmod/link/rename/unlink/unlink in DIR/d, which another
//                        process keeps swapping with a symlink: "race=done"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <ucontext.h>
#include <unistd.h>

static void result(const char* op, long rc) {
  if (rc < 0) printf("%s=-1 %s\n", op, strerrorname_np(errno));
  else printf("%s=%ld\n", op, rc);
}

static volatile pid_t g_caller, g_handler_tid;
static volatile long g_handler_rax = -1;
static volatile int g_handler_code = -1, g_handler_nr = -1;

static void on_sigsys(int sig, siginfo_t* si, void* ctx) {
  (void)sig;
  g_handler_tid = (pid_t)syscall(SYS_gettid);
  g_handler_rax = (long)((ucontext_t*)ctx)->uc_mcontext.gregs[REG_RAX];
  g_handler_code = si->si_code;
  g_handler_nr = si->si_syscall;
}

static void* trapper(void* arg) {
  g_caller = (pid_t)syscall(SYS_gettid);
  *(long*)arg = syscall(SYS_getppid);
  return NULL;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (int i = 1; i < argc; ++i) {
    const char* op = argv[i];
    const char* a = i + 1 < argc ? argv[i + 1] : "";
    const char* b = i + 2 < argc ? argv[i + 2] : "";
    if (!strcmp(op, "drop")) {
      // Raw syscalls would change one thread only; glibc's wrappers change them all.
      gid_t supp = 0;
      int has_supp = i + 3 < argc && argv[i + 3][0] >= '0' && argv[i + 3][0] <= '9';
      if (has_supp) supp = (gid_t)atoi(argv[i + 3]);
      long rc = setgroups(has_supp ? 1 : 0, &supp);
      if (rc == 0) rc = setresgid(atoi(b), atoi(b), atoi(b));
      if (rc == 0) rc = setresuid(atoi(a), atoi(a), atoi(a));
      result(op, rc);
      i += 2 + has_supp;
    } else if (!strcmp(op, "nocap")) {
      struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
      struct __user_cap_data_struct d[2];
      long rc = syscall(SYS_capget, &h, d);
      int cap = atoi(a);
      for (int k = 0; k < 2 && rc == 0; ++k) {
        unsigned mask = cap / 32 == k ? ~(1u << (cap % 32)) : ~0u;
        d[k].effective &= mask, d[k].permitted &= mask, d[k].inheritable &= mask;
      }
      if (rc == 0) rc = syscall(SYS_capset, &h, d);
      result(op, rc);
      i += 1;
    } else if (!strcmp(op, "umask")) {
      umask((mode_t)strtol(a, NULL, 8));
      result(op, 0);
      i += 1;
    } else if (!strcmp(op, "access")) {
      result(op, access(a, R_OK));
      i += 1;
    } else if (!strcmp(op, "open")) {
      int fd = open(a, O_RDONLY);
      if (fd < 0) {
        result(op, -1);
      } else {
        char buf[256];
        ssize_t n = read(fd, buf, sizeof buf - 1);
        buf[n > 0 ? n : 0] = 0;
        if (n > 0 && buf[n - 1] == '\n') buf[n - 1] = 0;
        printf("open=%s\n", buf);
        close(fd);
      }
      i += 1;
    } else if (!strcmp(op, "creat")) {
      int fd = creat(a, 0666);
      struct stat st;
      if (fd < 0 || fstat(fd, &st) != 0) result(op, -1);
      else printf("creat=%04o\n", st.st_mode & 07777);
      if (fd >= 0) close(fd);
      i += 1;
    } else if (!strcmp(op, "mknod")) {
      result(op, mknod(a, S_IFCHR | 0600, makedev(1, 3)));
      i += 1;
    } else if (!strcmp(op, "trap")) {
      struct sigaction sa;
      memset(&sa, 0, sizeof sa);
      sa.sa_sigaction = on_sigsys;
      sa.sa_flags = SA_SIGINFO;
      sigaction(SIGSYS, &sa, NULL);
      pthread_t t;
      long ret = -1;
      pthread_create(&t, NULL, trapper, &ret);
      pthread_join(t, NULL);
      printf("trap=handler_in_caller=%d rax=%s ret=%s siginfo=%s\n",
             g_handler_tid != 0 && g_handler_tid == g_caller,
             g_handler_rax == SYS_getppid ? "nr" : "other",
             ret == SYS_getppid ? "nr" : "other",
             g_handler_code == 1 /* SYS_SECCOMP */ && g_handler_nr == SYS_getppid ? "seccomp"
                                                                                   : "other");
    } else if (!strcmp(op, "race")) {
      char d[2048], f[4096], l[4096], m[4096];
      snprintf(d, sizeof d, "%s/d", a);
      snprintf(f, sizeof f, "%s/a", d);
      snprintf(l, sizeof l, "%s/l", d);
      snprintf(m, sizeof m, "%s/m", d);
      int n = atoi(b);
      for (int k = 0; k < n; ++k) {
        int fd = creat(f, 0600);
        if (fd >= 0) close(fd);
        chmod(f, 0644);
        link(f, l);
        rename(l, m);
        unlink(m);
        unlink(f);
      }
      printf("race=done\n");
      i += 2;
    } else {
      fprintf(stderr, "unknown op %s\n", op);
      return 2;
    }
  }
  return 0;
}
