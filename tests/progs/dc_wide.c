// A wide sweep of x86-64 syscalls for the decoding-fidelity test (it_decode_fidelity_test):
// each called once or twice with arguments whose decoding is stable between two runs (bad fds,
// paths under /nonexistent, zero timeouts, flags with unknown bits), between the marker writes
// write(-1, "dc_wide:begin", 13) and "dc_wide:end". Nothing here changes the caller's
// credentials, files or scheduling; calls that would report pids or times are left out.
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/landlock.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define NX "/nonexistent/dc"
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef SYS_mseal
#define SYS_mseal 462
#endif

static void Marker(const char* s) { syscall(SYS_write, -1, s, strlen(s)); }

int main(void) {
  static char buf[256];
  static struct stat st;
  char data[] = "hello\nworld";
  struct iovec iov[2] = {{data, 5}, {data + 6, 5}};
  struct timespec ts0 = {0, 0};
  struct timespec ts1 = {0, 1};
  struct timeval tv0 = {0, 0};
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  int fds[2];
  Marker("dc_wide:begin");

  // ---- file descriptors and I/O ----
  syscall(SYS_read, -1, buf, 10);
  syscall(SYS_pread64, -1, buf, 10, 100);
  syscall(SYS_pwrite64, -1, data, 5, -1L);
  syscall(SYS_readv, -1, iov, 2);
  syscall(SYS_writev, -1, iov, 2);
  syscall(SYS_preadv, -1, iov, 1, 0, 0);
  syscall(SYS_pwritev, -1, iov, 2, 7, 0);
  syscall(SYS_preadv2, -1, iov, 1, 0, 0, RWF_NOWAIT | RWF_HIPRI);
  syscall(SYS_pwritev2, -1, iov, 1, -1L, 0, RWF_APPEND | 0x1000);
  syscall(SYS_dup, -1);
  syscall(SYS_dup2, -1, 5);
  syscall(SYS_fcntl, -1, F_GETFD);
  syscall(SYS_fcntl, -1, F_SETFD, FD_CLOEXEC);
  syscall(SYS_fcntl, -1, F_SETFL, O_NONBLOCK | O_APPEND);
  syscall(SYS_fcntl, -1, F_DUPFD_CLOEXEC, 10);
  syscall(SYS_fcntl, -1, 9999, 0);
  syscall(SYS_ioctl, -1, TCGETS, buf);
  syscall(SYS_ioctl, -1, FIONBIO, buf);
  syscall(SYS_fsync, -1);
  syscall(SYS_fdatasync, -1);
  syscall(SYS_syncfs, -1);
  syscall(SYS_fstat, -1, &st);
  syscall(SYS_fstatfs, -1, buf);
  syscall(SYS_getdents64, -1, buf, sizeof(buf));
  syscall(SYS_fchdir, -1);
  syscall(SYS_readahead, -1, 0, 4096);
  syscall(SYS_fallocate, -1, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 0, 4096);
  syscall(SYS_sync_file_range, -1, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE);
  syscall(SYS_sendfile, -1, -1, NULL, 4096);
  syscall(SYS_splice, -1, NULL, -1, NULL, 4096, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
  syscall(SYS_tee, -1, -1, 4096, 0);
  syscall(SYS_vmsplice, -1, iov, 2, SPLICE_F_GIFT);
  syscall(SYS_copy_file_range, -1, NULL, -1, NULL, 4096, 0);
  syscall(SYS_close_range, 1000, 1001, 0);
  syscall(SYS_close_range, 1000, ~0U, CLOSE_RANGE_CLOEXEC);
  syscall(SYS_pipe2, fds, O_CLOEXEC | O_NONBLOCK);
  syscall(SYS_close, fds[0]);
  syscall(SYS_close, fds[1]);
  syscall(SYS_flock, -1, LOCK_SH);

  // ---- paths ----
  syscall(SYS_stat, NX, &st);
  syscall(SYS_lstat, NX, &st);
  syscall(SYS_newfstatat, AT_FDCWD, NX, &st, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT);
  syscall(SYS_statx, AT_FDCWD, NX, AT_STATX_DONT_SYNC, STATX_TYPE | STATX_SIZE, buf);
  syscall(SYS_statfs, NX, buf);
  syscall(SYS_access, NX, R_OK | W_OK);
  syscall(SYS_access, NX, F_OK);
  syscall(SYS_faccessat, AT_FDCWD, NX, X_OK);
  syscall(SYS_faccessat2, AT_FDCWD, NX, R_OK, AT_EACCESS | AT_SYMLINK_NOFOLLOW);
  syscall(SYS_truncate, NX, 4096);
  syscall(SYS_rename, NX, NX "2");
  syscall(SYS_renameat, AT_FDCWD, NX, -1, NX "2");
  syscall(SYS_renameat2, AT_FDCWD, NX, AT_FDCWD, NX "2", RENAME_NOREPLACE | RENAME_WHITEOUT);
  syscall(SYS_rmdir, NX);
  syscall(SYS_unlink, NX);
  syscall(SYS_unlinkat, AT_FDCWD, NX, AT_REMOVEDIR);
  syscall(SYS_link, NX, NX "2");
  syscall(SYS_linkat, AT_FDCWD, NX, AT_FDCWD, NX "2", AT_SYMLINK_FOLLOW);
  syscall(SYS_symlink, "target", NX);
  syscall(SYS_symlinkat, "target", AT_FDCWD, NX);
  syscall(SYS_readlink, NX, buf, sizeof(buf));
  syscall(SYS_readlinkat, AT_FDCWD, NX, buf, 10);
  syscall(SYS_getcwd, buf, 1);
  syscall(SYS_utimensat, AT_FDCWD, NX, NULL, 0);
  syscall(SYS_utimes, NX, NULL);
  syscall(SYS_futimesat, AT_FDCWD, NX, NULL);
  syscall(SYS_setxattr, NX, "user.dc", "v", 1, XATTR_CREATE);
  syscall(SYS_lsetxattr, NX, "user.dc", "value", 5, XATTR_REPLACE);
  syscall(SYS_fsetxattr, -1, "user.dc", "v", 1, 0);
  syscall(SYS_getxattr, NX, "user.dc", buf, sizeof(buf));
  syscall(SYS_lgetxattr, NX, "user.dc", buf, 0);
  syscall(SYS_fgetxattr, -1, "user.dc", buf, 10);
  syscall(SYS_listxattr, NX, buf, sizeof(buf));
  syscall(SYS_llistxattr, NX, NULL, 0);
  syscall(SYS_flistxattr, -1, buf, 10);
  syscall(SYS_removexattr, NX, "user.dc");
  syscall(SYS_lremovexattr, NX, "user.dc");
  syscall(SYS_fremovexattr, -1, "user.dc");
  syscall(SYS_chroot, NX);
  syscall(SYS_acct, NX);
  syscall(SYS_mount, "none", NX, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, NULL);
  syscall(SYS_umount2, NX, MNT_DETACH | UMOUNT_NOFOLLOW);
  syscall(SYS_fchmodat2, AT_FDCWD, NX, 0644, AT_SYMLINK_NOFOLLOW);
  syscall(SYS_inotify_init1, IN_CLOEXEC | IN_NONBLOCK);  // fd 3
  syscall(SYS_inotify_add_watch, 3, NX, IN_MODIFY | IN_CREATE | IN_ONLYDIR);
  syscall(SYS_inotify_rm_watch, 3, 1);
  syscall(SYS_close, 3);
  struct open_how how = {.flags = O_RDONLY | O_CLOEXEC, .mode = 0, .resolve = RESOLVE_NO_SYMLINKS};
  syscall(SYS_openat2, AT_FDCWD, NX, &how, sizeof(how));
  syscall(SYS_name_to_handle_at, AT_FDCWD, NX, buf, buf + 64, 0);

  // ---- memory ----
  char* page = (char*)syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  syscall(SYS_mprotect, page, 4096, PROT_READ);
  syscall(SYS_msync, page, 4096, MS_SYNC | MS_INVALIDATE);
  syscall(SYS_msync, page, 4096, 0x100);
  syscall(SYS_mlock, page, 0);
  syscall(SYS_munlock, page, 0);
  syscall(SYS_mlock2, page, 0, MLOCK_ONFAULT);
  syscall(SYS_mremap, page + 1, 4096, 8192, MREMAP_MAYMOVE);
  syscall(SYS_madvise, page, 4096, MADV_WILLNEED);
  syscall(SYS_munmap, page + 1, 4096);
  syscall(SYS_munmap, page, 4096);
  syscall(SYS_mmap, NULL, 4096, PROT_NONE, MAP_SHARED_VALIDATE | 0x800000, -1, 4096);
  syscall(SYS_mmap, (void*)0x10000, 4096, PROT_EXEC,
          MAP_PRIVATE | MAP_FIXED_NOREPLACE | MAP_ANONYMOUS, -1, 0);
  syscall(SYS_munmap, (void*)0x10000, 4096);
  syscall(SYS_memfd_create, "dc", MFD_CLOEXEC | MFD_ALLOW_SEALING);  // fd 3
  syscall(SYS_close, 3);
  syscall(SYS_memfd_create, "dc", 0x1000);
  syscall(SYS_get_mempolicy, buf, NULL, 0, NULL, 0);
  syscall(SYS_mseal, 0, 0, 0);

  // ---- sockets ----
  syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds);  // [3, 4]
  syscall(SYS_close, 3);
  syscall(SYS_close, 4);
  syscall(SYS_accept, -1, NULL, NULL);
  syscall(SYS_accept4, -1, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  syscall(SYS_sendto, -1, data, 5, MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0);
  syscall(SYS_recvfrom, -1, buf, 10, MSG_PEEK | MSG_TRUNC, NULL, NULL);
  struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
  syscall(SYS_sendmsg, -1, &msg, MSG_EOR);
  syscall(SYS_recvmsg, -1, &msg, MSG_CMSG_CLOEXEC);
  syscall(SYS_sendmmsg, -1, NULL, 0, 0);
  syscall(SYS_recvmmsg, -1, NULL, 0, MSG_WAITFORONE, NULL);
  int one = 1;
  socklen_t len = sizeof(one);
  syscall(SYS_setsockopt, -1, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  syscall(SYS_getsockopt, -1, SOL_SOCKET, SO_TYPE, &one, &len);
  syscall(SYS_setsockopt, -1, 12345, 678, &one, sizeof(one));
  syscall(SYS_getsockname, -1, buf, &len);
  syscall(SYS_getpeername, -1, buf, &len);
  syscall(SYS_socket, AF_INET6, SOCK_DGRAM, IPPROTO_UDP);  // fd 3
  syscall(SYS_close, 3);
  syscall(SYS_socket, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0);  // fd 3
  syscall(SYS_close, 3);

  // ---- polling, events, timers ----
  struct pollfd pfd = {.fd = -1, .events = POLLIN | POLLPRI};
  syscall(SYS_poll, &pfd, 1, 0);
  syscall(SYS_poll, NULL, 0, 0);
  syscall(SYS_ppoll, &pfd, 1, &ts0, NULL, 8);
  syscall(SYS_select, 0, NULL, NULL, NULL, &tv0);
  syscall(SYS_pselect6, 0, NULL, NULL, NULL, &ts0, NULL);
  syscall(SYS_epoll_create1, EPOLL_CLOEXEC);  // fd 3
  struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = 7};
  syscall(SYS_epoll_ctl, 3, EPOLL_CTL_ADD, -1, &ev);
  syscall(SYS_epoll_wait, 3, buf, 4, 0);
  syscall(SYS_epoll_pwait, 3, buf, 4, 0, NULL, 8);
  syscall(SYS_close, 3);
  syscall(SYS_eventfd2, 5, EFD_CLOEXEC | EFD_SEMAPHORE);  // fd 3
  syscall(SYS_close, 3);
  syscall(SYS_timerfd_create, CLOCK_MONOTONIC, TFD_CLOEXEC);  // fd 3
  syscall(SYS_timerfd_gettime, 3, buf);
  syscall(SYS_close, 3);
  syscall(SYS_signalfd4, -1, &set, 8, SFD_CLOEXEC);
  syscall(SYS_nanosleep, &ts1, NULL);
  syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ts1, NULL);
  syscall(SYS_clock_getres, CLOCK_MONOTONIC, &ts0);
  syscall(SYS_clock_getres, 99, NULL);
  struct itimerval itv;
  syscall(SYS_getitimer, ITIMER_REAL, &itv);
  syscall(SYS_getitimer, 7, &itv);
  syscall(SYS_timer_delete, 12345);

  // ---- signals ----
  struct sigaction old;
  syscall(SYS_rt_sigaction, SIGUSR2, NULL, &old, 8);
  syscall(SYS_rt_sigaction, SIGKILL, NULL, NULL, 8);
  syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 8);
  syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &set, NULL, 8);
  syscall(SYS_rt_sigtimedwait, &set, NULL, &ts0, 8);
  syscall(SYS_sigaltstack, NULL, buf);
  syscall(SYS_pidfd_send_signal, -1, SIGTERM, NULL, 0);

  // ---- process state ----
  syscall(SYS_getuid);
  syscall(SYS_geteuid);
  syscall(SYS_getgid);
  syscall(SYS_getegid);
  syscall(SYS_setreuid, -1, -1);
  syscall(SYS_setregid, -1, -1);
  syscall(SYS_setuid, -1);
  syscall(SYS_setgid, -1);
  syscall(SYS_getgroups, 0, NULL);
  syscall(SYS_setfsuid, -1);
  syscall(SYS_setfsgid, -1);
  syscall(SYS_getrlimit, RLIMIT_NOFILE, buf);
  syscall(SYS_getrlimit, 99, buf);
  syscall(SYS_prlimit64, 0, RLIMIT_CORE, NULL, buf);
  syscall(SYS_wait4, -1, NULL, WNOHANG | __WALL, NULL);
  syscall(SYS_waitid, P_ALL, 0, buf, WNOHANG | WEXITED, NULL);
  syscall(SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0);
  syscall(SYS_prctl, PR_SET_NAME, "dc-wide", 0, 0, 0);
  syscall(SYS_prctl, PR_GET_NAME, buf, 0, 0, 0);
  syscall(SYS_prctl, 0x7fffffff, 0, 0, 0, 0);
  syscall(SYS_personality, 0xffffffff);
  syscall(SYS_sched_yield);
  syscall(SYS_sched_getscheduler, 0);
  syscall(SYS_sched_get_priority_max, SCHED_FIFO);
  syscall(SYS_sched_get_priority_min, 99);
  syscall(SYS_ioprio_get, 1, 0);
  syscall(SYS_getpriority, PRIO_USER, 0);
  syscall(SYS_unshare, 0);
  syscall(SYS_setns, -1, CLONE_NEWNET);
  syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &one);
  syscall(SYS_getrandom, buf, 0, GRND_NONBLOCK);
  syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
  // pwnbox trace runs an unprivileged target with no_new_privs (its seccomp filter needs it),
  // strace does not: set it so that landlock_restrict_self fails the same way under both.
  syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  syscall(SYS_landlock_restrict_self, -1, 0);
  syscall(SYS_finit_module, -1, "", 0);
  syscall(SYS_delete_module, "dc_nonexistent", O_NONBLOCK | O_TRUNC);
  syscall(SYS_kill, 0x7ffffff0, 0);
  syscall(SYS_mq_open, "/dc_nonexistent", O_RDONLY);
  syscall(SYS_mq_unlink, "/dc_nonexistent");
  syscall(SYS_io_setup, 0, buf);
  syscall(SYS_io_destroy, 0);
  syscall(SYS_futex, &one, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  syscall(SYS_process_madvise, -1, iov, 1, MADV_COLD, 0);
  syscall(SYS_process_mrelease, -1, 0);
  syscall(SYS_pidfd_getfd, -1, 0, 0);
  syscall(SYS_pidfd_open, 0x7ffffff0, 0);
  syscall(SYS_fspick, AT_FDCWD, NX, FSPICK_CLOEXEC | FSPICK_NO_AUTOMOUNT);
  syscall(SYS_fsmount, -1, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC);
  syscall(SYS_fsconfig, -1, FSCONFIG_SET_FLAG, "ro", NULL, 0);
  syscall(SYS_open_tree, AT_FDCWD, NX, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  syscall(SYS_move_mount, -1, "", AT_FDCWD, NX, MOVE_MOUNT_F_EMPTY_PATH);

  Marker("dc_wide:end");
  return 0;
}
