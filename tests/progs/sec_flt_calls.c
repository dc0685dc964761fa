// Attacks on pwnbox's filters: each argument names one operation, made with raw syscall() so
// that exactly the bits under test reach the kernel (junk in the upper half of 32-bit
// arguments, syscalls newer than libc, two-path and fd-based calls). Prints one line per
// operation: "OP:ok" or "OP:ERRNONAME" (e.g. "socket-inet-junk:EACCES").
//   sec_flt_calls OP[=ARG[,ARG2]] ...
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_UNTRACED
#define CLONE_UNTRACED 0x00800000
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

static const char* Name(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EROFS: return "EROFS";
    case EXDEV: return "EXDEV";
    case ENOSYS: return "ENOSYS";
    case ENOTTY: return "ENOTTY";
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case EBADF: return "EBADF";
    case EEXIST: return "EEXIST";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case ENODATA: return "ENODATA";
    case ESTALE: return "ESTALE";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EISDIR: return "EISDIR";
    default: {
      static char buf[32];
      snprintf(buf, sizeof buf, "E%d", e);
      return buf;
    }
  }
}

// An i386 syscall (int 0x80) from this 64-bit process: returns -errno like the kernel.
static long Int80(long nr, long a, long b, long c) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
  if (r < 0 && r > -4096) {
    errno = (int)-r;
    return -1;
  }
  return r;
}

static void Report(const char* op, long r) {
  if (r < 0) printf("%s:%s\n", op, Name(errno));
  else printf("%s:ok\n", op);
  fflush(stdout);
}

int main(int argc, char** argv) {
  const unsigned long junk = 1UL << 32;
  for (int i = 1; i < argc; ++i) {
    char op[256];
    snprintf(op, sizeof op, "%s", argv[i]);
    char* a = strchr(op, '=');
    char* b = NULL;
    if (a) {
      *a++ = '\0';
      b = strchr(a, ',');
      if (b) *b++ = '\0';
    }
    long r;
    errno = 0;
    if (!strcmp(op, "tiocsti")) {
      char c = 'x';
      r = syscall(SYS_ioctl, 0, (unsigned long)TIOCSTI, &c);
    } else if (!strcmp(op, "tiocsti-junk")) {
      char c = 'x';
      r = syscall(SYS_ioctl, 0, (unsigned long)TIOCSTI | junk, &c);
    } else if (!strcmp(op, "socket-inet-junk")) {
      r = syscall(SYS_socket, (unsigned long)AF_INET | junk, SOCK_STREAM, 0);
    } else if (!strcmp(op, "socket-inet")) {
      r = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
    } else if (!strcmp(op, "socket-unix")) {
      r = syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
    } else if (!strcmp(op, "prctl-name-junk")) {
      r = syscall(SYS_prctl, (unsigned long)PR_SET_NAME | junk, "pwned", 0, 0, 0);
    } else if (!strcmp(op, "clone-untraced")) {
      r = syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, 0, 0, 0);
      if (r == 0) _exit(0);
      if (r > 0) waitpid((pid_t)r, NULL, 0);
    } else if (!strcmp(op, "clone3")) {
      r = syscall(SYS_clone3, NULL, 0);
    } else if (!strcmp(op, "mseal-int80")) {
      r = Int80(462, 0, 0, 0);
    } else if (!strcmp(op, "tiocsti-int80")) {
      static char c = 'x';  // the guard answers before the kernel reads it
      r = Int80(54, 0, TIOCSTI, (long)&c);
    } else if (!strcmp(op, "mseal")) {
      r = syscall(462, 0, 0, 0);
    } else if (!strcmp(op, "setxattrat")) {
      r = syscall(463, AT_FDCWD, a, 0, "user.pwnbox", NULL, 0);
    } else if (!strcmp(op, "open-w")) {
      r = syscall(SYS_openat, AT_FDCWD, a, O_WRONLY | O_CREAT, 0644);
    } else if (!strcmp(op, "open-r")) {
      r = syscall(SYS_openat, AT_FDCWD, a, O_RDONLY);
    } else if (!strcmp(op, "open-trunc")) {
      r = syscall(SYS_openat, AT_FDCWD, a, O_RDONLY | O_TRUNC);
    } else if (!strcmp(op, "creat")) {
      r = syscall(SYS_creat, a, 0644);
    } else if (!strcmp(op, "truncate")) {
      r = syscall(SYS_truncate, a, 0);
    } else if (!strcmp(op, "unlink")) {
      r = syscall(SYS_unlink, a);
    } else if (!strcmp(op, "mkdir")) {
      r = syscall(SYS_mkdir, a, 0755);
    } else if (!strcmp(op, "rename")) {
      r = syscall(SYS_rename, a, b);
    } else if (!strcmp(op, "link")) {
      r = syscall(SYS_link, a, b);
    } else if (!strcmp(op, "symlink")) {
      r = syscall(SYS_symlink, a, b);
    } else if (!strcmp(op, "chmod")) {
      r = syscall(SYS_chmod, a, 0600);
    } else if (!strcmp(op, "fchmodat2")) {
      r = syscall(452, AT_FDCWD, a, 0600, 0);
    } else if (!strcmp(op, "utimes")) {
      r = syscall(SYS_utimes, a, NULL);
    } else if (!strcmp(op, "mknod")) {
      r = syscall(SYS_mknod, a, S_IFIFO | 0600, 0);
    } else if (!strcmp(op, "fchmod") || !strcmp(op, "fsetxattr") || !strcmp(op, "fchown") ||
               !strcmp(op, "file_setattr")) {
      int fd = open(a, O_RDONLY);
      if (fd < 0) {
        printf("%s:open-failed-%s\n", op, Name(errno));
        continue;
      }
      if (!strcmp(op, "fchmod")) r = syscall(SYS_fchmod, fd, 0600);
      else if (!strcmp(op, "fchown")) r = syscall(SYS_fchown, fd, getuid(), getgid());
      else if (!strcmp(op, "fsetxattr")) r = syscall(SYS_fsetxattr, fd, "user.pwnbox", "x", 1, 0);
      else {
        char attr[32] = {0};  // struct file_attr, zeroed: no change, but the call is made
        r = syscall(469, fd, "", attr, sizeof attr, AT_EMPTY_PATH);
      }
      close(fd);
    } else if (!strcmp(op, "bind-unix")) {
      int s = socket(AF_UNIX, SOCK_STREAM, 0);
      struct sockaddr_un sa = {.sun_family = AF_UNIX};
      snprintf(sa.sun_path, sizeof sa.sun_path, "%s", a);
      r = syscall(SYS_bind, s, &sa, sizeof sa);
      close(s);
    } else if (!strcmp(op, "by-handle")) {
      // name_to_handle_at + open_by_handle_at: opens a file without a path.
      struct {
        struct file_handle fh;
        unsigned char buf[128];
      } h;
      h.fh.handle_bytes = sizeof h.buf;
      int mount_id;
      r = syscall(SYS_name_to_handle_at, AT_FDCWD, a, &h.fh, &mount_id, 0);
      if (r == 0) {
        int mfd = open("/", O_RDONLY | O_DIRECTORY);
        r = syscall(SYS_open_by_handle_at, mfd, &h.fh, O_RDWR);
        close(mfd);
      }
    } else if (!strcmp(op, "cat")) {
      // read the file and print its first line's length (proof of a read)
      char buf[256];
      int fd = open(a, O_RDONLY);
      r = fd < 0 ? -1 : read(fd, buf, sizeof buf);
      if (fd >= 0) close(fd);
    } else {
      printf("%s:unknown-op\n", op);
      continue;
    }
    Report(op, r);
  }
  return 0;
}
