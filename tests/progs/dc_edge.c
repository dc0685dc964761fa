// Syscalls with edge-case arguments for the decoding-fidelity test (it_decode_fidelity_test),
// which traces this program under strace 6.1 and under `pwnbox trace` and compares the lines
// between the two marker writes (write(-1, "dc_edge:begin", 13) and "dc_edge:end").
//
// Every call goes through syscall(2) with 64-bit values so that the upper halves of int
// arguments can hold junk. Nothing here changes the caller's credentials or files: paths are
// under /nonexistent, fds are -1 or /dev/null, uids go to calls that fail.
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <time.h>
#include <netinet/in.h>
#include <unistd.h>

#define JUNK 0xdeadbeef00000000ULL

static void Marker(const char* s) { syscall(SYS_write, -1, s, strlen(s)); }

int main(void) {
  static char buf[64];
  char* argv[] = {"dc", NULL};
  char* envp[] = {NULL};
  Marker("dc_edge:begin");

  // ---- integer widths and signs ----
  syscall(SYS_alarm, JUNK | 42);                       // alarm(42)
  syscall(SYS_alarm, JUNK);                            // alarm(0) = 42
  syscall(SYS_close, JUNK | 99);                       // close(99)
  syscall(SYS_kill, JUNK, JUNK);                       // kill(0, 0)
  syscall(SYS_listen, 0xffffffffffffffffULL, JUNK | 5);  // listen(-1, 5)
  syscall(SYS_setresuid, JUNK | 0xffffffffu, -1L, 0xffffffffULL);  // all -1
  syscall(SYS_setresgid, -1L, -1L, -1L);
  syscall(SYS_chown, "/nonexistent/dc", JUNK | 4294901760u, -1L);
  syscall(SYS_lchown, "/nonexistent/dc", 65534, JUNK | 4294967294u);
  syscall(SYS_fchown, -1, 4294901760u, 0xffffffffULL);
  syscall(SYS_fchownat, JUNK | (uint32_t)AT_FDCWD, "/nonexistent/dc", 0, 4294901760u,
          JUNK | AT_SYMLINK_NOFOLLOW);
  int fd = (int)syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY);
  syscall(SYS_lseek, fd, -1L, SEEK_SET);               // lseek(3, -1, SEEK_SET)
  syscall(SYS_lseek, JUNK | fd, 0x7fffffffffffffffLL, JUNK | 7);  // unknown whence
  syscall(SYS_pread64, fd, buf, 0, -2L);
  syscall(SYS_ftruncate, -1, -4096L);
  syscall(SYS_fadvise64, -1, -1L, 4096, JUNK | POSIX_FADV_DONTNEED);
  syscall(SYS_write, -1, NULL, 0xffffffffffffffffULL);
  syscall(SYS_mknodat, AT_FDCWD, "/nonexistent/dc", S_IFCHR | 0600, makedev(1, 3));
  syscall(SYS_mknod, "/nonexistent/dc", S_IFBLK | 0644, JUNK | makedev(8, 1));
  syscall(SYS_mknod, "/nonexistent/dc", S_IFIFO | 0644, 0);
  syscall(SYS_dup3, JUNK | 0xffffffffu, JUNK | 1000, JUNK);
  syscall(SYS_getpriority, JUNK | 0, JUNK);
  syscall(SYS_epoll_wait, -1, NULL, JUNK | 0xffffffffu, JUNK | 0xfffffffeu);
  syscall(SYS_socket, JUNK | 0xffffffffu, 0, 0);

  // ---- mode_t ----
  syscall(SYS_chmod, "/nonexistent/dc", 051);
  syscall(SYS_chmod, "/nonexistent/dc", 0);
  syscall(SYS_chmod, "/nonexistent/dc", 04755);
  syscall(SYS_fchmodat, AT_FDCWD, "/nonexistent/dc", JUNK | 0100644);
  syscall(SYS_fchmod, -1, S_IFREG | S_ISUID | S_ISGID | S_ISVTX | 07);
  syscall(SYS_mkdir, "/nonexistent/dc", 0100000);
  syscall(SYS_mkdirat, AT_FDCWD, "/nonexistent/dc", 01777);
  syscall(SYS_mknod, "/nonexistent/dc", S_IFREG | S_ISUID | 0755, 0);
  syscall(SYS_mknod, "/nonexistent/dc", 0170000 | 0755, 0);
  syscall(SYS_creat, "/nonexistent/dc", 0);
  syscall(SYS_open, "/nonexistent/dc", O_WRONLY | O_CREAT | O_TRUNC, 0666);
  syscall(SYS_openat, AT_FDCWD, "/nonexistent/dc", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  mode_t old = (mode_t)syscall(SYS_umask, 022);
  syscall(SYS_umask, 0);
  syscall(SYS_umask, JUNK | 0777);
  syscall(SYS_umask, old);

  // ---- unknown values, flag order, newer constants ----
  syscall(SYS_openat, AT_FDCWD, "/nonexistent/dc", O_RDONLY | 0x40000000);
  syscall(SYS_openat, AT_FDCWD, "/nonexistent/dc", O_WRONLY | O_APPEND | O_NONBLOCK | O_DIRECTORY |
                                                       O_NOFOLLOW | O_NOATIME | O_PATH);
  syscall(SYS_fsopen, "dc_nofs", 0x2);
  syscall(SYS_fsopen, "dc_nofs", 0x3);
  char* page = (char*)syscall(SYS_mmap, NULL, 2 * 4096, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char* guard = (char*)syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  syscall(SYS_madvise, guard, 4096, 25);   // MADV_COLLAPSE
  syscall(SYS_madvise, guard, 4096, 99);   // unknown
  syscall(SYS_madvise, guard, 4096, 102);  // MADV_GUARD_INSTALL (6.13)
  syscall(SYS_madvise, guard, 4096, 103);  // MADV_GUARD_REMOVE (6.13)
  syscall(SYS_madvise, guard, 4096, MADV_DONTNEED);
  syscall(SYS_membarrier, 0, 0, 0);         // MEMBARRIER_CMD_QUERY
  syscall(SYS_membarrier, 1 << 9, 0, 0);    // MEMBARRIER_CMD_GET_REGISTRATIONS (6.3)
  syscall(SYS_membarrier, 1 << 12, 0, 0);   // unknown
  syscall(SYS_set_mempolicy, 6, NULL, 0);   // MPOL_WEIGHTED_INTERLEAVE (6.9)
  syscall(SYS_set_mempolicy, 5, NULL, 0);   // MPOL_PREFERRED_MANY
  syscall(SYS_set_mempolicy, 99, NULL, 0);  // unknown
  syscall(SYS_execveat, AT_FDCWD, "/nonexistent/dc", argv, envp, 0x10000);  // AT_EXECVE_CHECK
  syscall(SYS_execveat, AT_FDCWD, "/nonexistent/dc", argv, envp,
          AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | 0x40000000);
  syscall(SYS_fanotify_init, 0x2000 | 0x1000 | 0x200 | 0x80000000u, O_RDONLY);
  syscall(SYS_mmap, NULL, 4096, PROT_READ | 0x100, MAP_PRIVATE | MAP_ANONYMOUS | 0x8000000, -1, 0);
  syscall(SYS_mprotect, page, 4096, 0x1000000 | PROT_READ);
  syscall(SYS_flock, -1, LOCK_EX | LOCK_NB | 0x100);
  syscall(SYS_socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK | 0x100, 99);
  syscall(SYS_shutdown, -1, 7);
  syscall(SYS_rt_sigprocmask, 9, NULL, NULL, 8);

  // ---- memory edge cases ----
  syscall(SYS_mprotect, page + 4096, 4096, PROT_NONE);
  memset(page + 4096 - 8, 'a', 8);
  syscall(SYS_chdir, page + 4096 - 8);                 // unterminated before PROT_NONE
  syscall(SYS_memfd_create, page + 4096 - 8, 0);
  syscall(SYS_mkdir, page + 4096 - 8, 0755);
  memcpy(page + 4096 - 4, "abc", 4);
  syscall(SYS_chdir, page + 4096 - 4);                 // terminated: "abc"
  int us = (int)syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un sun;
  memset(&sun, 0, sizeof(sun));
  sun.sun_family = AF_UNIX;
  strcpy(sun.sun_path, "/nonexistent/dc.sock");
  syscall(SYS_connect, us, &sun, 5);
  syscall(SYS_connect, us, &sun, sizeof(sun));
  struct sockaddr_in sin;
  memset(&sin, 0, sizeof(sin));
  sin.sin_family = AF_INET;
  sin.sin_port = htons(80);
  sin.sin_addr.s_addr = htonl(0x7f000001);
  syscall(SYS_bind, us, &sin, 8);
  syscall(SYS_bind, us, &sin, 1);
  struct sockaddr_in6 sin6;
  memset(&sin6, 0, sizeof(sin6));
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(443);
  sin6.sin6_addr.s6_addr[15] = 1;
  sin6.sin6_scope_id = 7;
  syscall(SYS_bind, us, &sin6, 24);  // SIN6_MIN_LEN: no sin6_scope_id
  syscall(SYS_bind, us, &sin6, sizeof(sin6));
  syscall(SYS_bind, us, &sin6, 20);  // shorter than SIN6_MIN_LEN: sa_data
  syscall(SYS_close, us);
  // A path longer than PATH_MAX: strace prints PATH_MAX - 1 bytes and "...".
  static char longpath[5000];
  memset(longpath, 'p', sizeof(longpath) - 1);
  syscall(SYS_chdir, longpath);
  // A string argument longer than -s (32): cut with "...".
  syscall(SYS_memfd_create, longpath + 4000, 0);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4);
  syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &set, 16);
  syscall(SYS_rt_sigpending, &set, 4);
  syscall(SYS_rt_sigsuspend, &set, 4);
  sigaddset(&set, SIGUSR2);
  struct timespec ts0 = {0, 0};
  syscall(SYS_ppoll, NULL, 0, &ts0, &set, 4);
  syscall(SYS_ppoll, NULL, 0, &ts0, &set, 8);
  syscall(SYS_rt_sigtimedwait, &set, NULL, &ts0, 4);
  syscall(SYS_signalfd4, -1, &set, 4, 0);
  syscall(SYS_signalfd4, -1, &set, 16, 0);
  syscall(SYS_epoll_pwait, -1, NULL, 1, 0, &set, 4);
  struct {
    void* ss;
    size_t len;
  } sm = {&set, 4};
  syscall(SYS_pselect6, 0, NULL, NULL, NULL, &ts0, &sm);
  sm.len = 8;
  syscall(SYS_pselect6, 0, NULL, NULL, NULL, &ts0, &sm);
  syscall(SYS_close, fd);

  Marker("dc_edge:end");
  return 0;
}
