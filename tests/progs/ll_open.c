// Makes the file calls named on its command line, one per operation, and prints one line each:
// "OP=0" (or "OP=<first bytes>" for reads) or "OP=-1 ERRNO_NAME". Used by landlock_paths_test.
//   read PATH        open(PATH, O_RDONLY) with the raw open syscall, read up to 32 bytes
//   readat PATH      openat(AT_FDCWD, PATH, O_RDONLY)
//   write PATH       openat(O_WRONLY|O_APPEND), write "w\n"
//   rdwr PATH        openat(O_RDWR)
//   trunc PATH       openat(O_WRONLY|O_TRUNC)
//   list PATH        openat(O_RDONLY|O_DIRECTORY), count entries with getdents64
//   creat PATH       openat(O_WRONLY|O_CREAT, 0644)
//   opath PATH       openat(O_PATH)
//   tmpfile DIR      openat(DIR, O_TMPFILE|O_RDWR, 0600)
//   nofollow PATH    openat(O_RDONLY|O_NOFOLLOW)
//   rename A B       rename(A, B)
//   link A B         link(A, B)
//   exec PATH        fork, execve(PATH), print the child's exit status (127: execve failed,
//                    followed by its errno)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char* Name(int e) {
  switch (e) {
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EXDEV: return "EXDEV";
    case EISDIR: return "EISDIR";
    case ENOTDIR: return "ENOTDIR";
    case ELOOP: return "ELOOP";
    case EEXIST: return "EEXIST";
    case EINVAL: return "EINVAL";
    default: {
      static char buf[16];
      snprintf(buf, sizeof buf, "E%d", e);
      return buf;
    }
  }
}

static void Fail(const char* op) { printf("%s=-1 %s\n", op, Name(errno)); }

static void Opened(const char* op, int fd, int do_read) {
  if (fd < 0) return Fail(op);
  if (do_read) {
    char buf[33];
    ssize_t n = read(fd, buf, 32);
    if (n < 0) {
      close(fd);
      return Fail(op);
    }
    buf[n] = 0;
    char* nl = strchr(buf, '\n');
    if (nl) *nl = 0;
    printf("%s=%s\n", op, buf);
  } else {
    printf("%s=0\n", op);
  }
  close(fd);
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (int i = 1; i < argc; ++i) {
    const char* op = argv[i];
    if (i + 1 >= argc) return 2;
    const char* p = argv[++i];
    if (!strcmp(op, "read")) {
      Opened(op, (int)syscall(SYS_open, p, O_RDONLY | O_CLOEXEC), 1);
    } else if (!strcmp(op, "readat")) {
      Opened(op, openat(AT_FDCWD, p, O_RDONLY | O_CLOEXEC), 1);
    } else if (!strcmp(op, "write")) {
      int fd = openat(AT_FDCWD, p, O_WRONLY | O_APPEND | O_CLOEXEC);
      if (fd >= 0 && write(fd, "w\n", 2) != 2) {
        close(fd);
        fd = -1;
      }
      Opened(op, fd, 0);
    } else if (!strcmp(op, "rdwr")) {
      Opened(op, openat(AT_FDCWD, p, O_RDWR | O_CLOEXEC), 0);
    } else if (!strcmp(op, "trunc")) {
      Opened(op, openat(AT_FDCWD, p, O_WRONLY | O_TRUNC | O_CLOEXEC), 0);
    } else if (!strcmp(op, "list")) {
      int fd = openat(AT_FDCWD, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0) {
        Fail(op);
        continue;
      }
      char buf[4096];
      long n, count = 0;
      while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
        for (long off = 0; off < n;) {
          unsigned short reclen;
          memcpy(&reclen, buf + off + 16, sizeof reclen);
          off += reclen;
          ++count;
        }
      close(fd);
      printf("%s=%ld\n", op, count);
    } else if (!strcmp(op, "creat")) {
      Opened(op, openat(AT_FDCWD, p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644), 0);
    } else if (!strcmp(op, "opath")) {
      Opened(op, openat(AT_FDCWD, p, O_PATH | O_CLOEXEC), 0);
    } else if (!strcmp(op, "tmpfile")) {
      Opened(op, openat(AT_FDCWD, p, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600), 0);
    } else if (!strcmp(op, "nofollow")) {
      Opened(op, openat(AT_FDCWD, p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), 1);
    } else if (!strcmp(op, "rename") || !strcmp(op, "link")) {
      if (i + 1 >= argc) return 2;
      const char* q = argv[++i];
      int rc = !strcmp(op, "rename") ? rename(p, q) : link(p, q);
      if (rc < 0) Fail(op);
      else printf("%s=0\n", op);
    } else if (!strcmp(op, "exec")) {
      int pfd[2];
      if (pipe2(pfd, O_CLOEXEC) != 0) return 3;
      pid_t pid = fork();
      if (pid == 0) {
        char* args[] = {(char*)p, NULL};
        execve(p, args, environ);
        int e = errno;
        write(pfd[1], &e, sizeof e);
        _exit(127);
      }
      close(pfd[1]);
      int e = 0, status = 0;
      if (read(pfd[0], &e, sizeof e) != sizeof e) e = 0;
      close(pfd[0]);
      waitpid(pid, &status, 0);
      if (e) printf("%s=-1 %s\n", op, Name(e));
      else printf("%s=%d\n", op, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    } else {
      fprintf(stderr, "unknown op %s\n", op);
      return 2;
    }
  }
  return 0;
}
