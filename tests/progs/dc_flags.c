// Flag sets for the decoding-fidelity test (it_decode_fidelity_test), between the marker writes
// write(-1, "dc_flags:begin", 14) and "dc_flags:end": each flag argument with every bit set
// (the order strace prints names in, and the bits it leaves in hex), and with one bit. Every
// call fails before doing anything: a bad fd, a path under /nonexistent, or unknown bits the
// kernel rejects.
#include <fcntl.h>
#include <linux/mman.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define NX "/nonexistent/dc"
#define ALL 0xffffffffu

static void Marker(const char* s) { syscall(SYS_write, -1, s, strlen(s)); }

int main(void) {
  static char buf[256];
  Marker("dc_flags:begin");
  syscall(SYS_openat, AT_FDCWD, NX, ALL & ~(O_CREAT | O_TMPFILE));
  syscall(SYS_openat, AT_FDCWD, NX, O_RDWR | O_CREAT | O_NOCTTY | O_TRUNC | O_DSYNC | O_ASYNC |
                                        O_LARGEFILE | O_SYNC, 0600);
  syscall(SYS_open, NX, O_ACCMODE);
  syscall(SYS_newfstatat, -1, NX, buf, ALL);
  syscall(SYS_unlinkat, -1, NX, ALL);
  syscall(SYS_linkat, -1, NX, -1, NX, ALL);
  syscall(SYS_faccessat2, -1, NX, ALL, ALL);
  syscall(SYS_statx, -1, NX, ALL, ALL, buf);
  syscall(SYS_renameat2, -1, NX, -1, NX, ALL);
  syscall(SYS_mmap, NULL, 4096, ALL, ALL & ~(0x3fu << 26), -1, 0);
  syscall(SYS_mprotect, 0, 0, ALL);
  syscall(SYS_mremap, 0, 0, 0, ALL, 0);
  syscall(SYS_msync, 0, 0, ALL);
  syscall(SYS_mlock2, 0, 0, ALL);
  syscall(SYS_mlockall, ALL);
  syscall(SYS_unshare, (1ULL << 32) | 0x80 | CLONE_FILES | CLONE_FS | CLONE_NEWNS | CLONE_NEWUSER);
  syscall(SYS_setns, -1, ALL);
  syscall(SYS_mount, NX, NX, NULL, 0xffffffffULL & ~(MS_REMOUNT | MS_BIND | MS_MOVE), NULL);
  syscall(SYS_umount2, NX, ALL);
  syscall(SYS_socket, AF_UNIX, ALL & ~0xfu, 0);
  syscall(SYS_accept4, -1, NULL, NULL, ALL);
  syscall(SYS_sendto, -1, NULL, 0, ALL, NULL, 0);
  syscall(SYS_recvfrom, -1, NULL, 0, ALL, NULL, NULL);
  syscall(SYS_pipe2, buf, ALL);
  syscall(SYS_dup3, -1, -1, ALL);
  syscall(SYS_eventfd2, 0, ALL);
  syscall(SYS_timerfd_create, CLOCK_MONOTONIC, ALL);
  syscall(SYS_timerfd_settime, -1, ALL, NULL, NULL);
  syscall(SYS_signalfd4, -1, buf, 8, ALL);
  syscall(SYS_epoll_create1, ALL);
  syscall(SYS_inotify_init1, ALL);
  syscall(SYS_inotify_add_watch, -1, NX, ALL);
  syscall(SYS_memfd_create, "dc", ALL & ~0x18u);  // MFD_NOEXEC_SEAL, MFD_EXEC: Linux 6.3
  syscall(SYS_getrandom, buf, 0, ALL);
  syscall(SYS_splice, -1, NULL, -1, NULL, 0, ALL);
  syscall(SYS_sync_file_range, -1, 0, 0, ALL);
  syscall(SYS_preadv2, -1, NULL, 0, 0, 0, ALL);
  syscall(SYS_fallocate, -1, ALL, 0, 0);
  syscall(SYS_flock, -1, ALL);
  syscall(SYS_wait4, -1, NULL, ALL, NULL);
  syscall(SYS_waitid, P_ALL, 0, NULL, ALL, NULL);
  syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, ALL, NULL, NULL);
  syscall(SYS_close_range, 1000, 1001, ALL);
  syscall(SYS_pidfd_open, 0, ALL);
  syscall(SYS_setxattr, NX, "user.dc", "", 0, ALL);
  syscall(SYS_fsopen, "dc_nofs", ALL);
  // MOUNT_ATTR_IDMAP and MOUNT_ATTR_NOSYMFOLLOW are not in strace 6.1's table.
  syscall(SYS_fsmount, -1, ALL, ALL & ~0x300000u);
  syscall(SYS_fspick, -1, NX, ALL);
  syscall(SYS_open_tree, -1, NX, ALL);
  syscall(SYS_move_mount, -1, NX, -1, NX, ALL);
  syscall(SYS_execveat, -1, NX, NULL, NULL, ALL & ~0x10000u);  // AT_EXECVE_CHECK: Linux 6.14
  syscall(SYS_fanotify_init, ALL & ~0x6000u, ALL);  // FAN_REPORT_FD_ERROR, _MNT: Linux 6.13, 6.14
  syscall(SYS_fanotify_mark, -1, ALL, 0xffffffffffffffffULL, -1, NX);
  syscall(SYS_userfaultfd, ALL);
  syscall(SYS_seccomp, 1, ALL, NULL);
  syscall(SYS_delete_module, "dc_nonexistent", ALL);
  syscall(SYS_swapon, NX, ALL);
  syscall(SYS_io_uring_enter, -1, 0, 0, ALL, NULL, 0);
  syscall(SYS_landlock_create_ruleset, NULL, 0, ALL);
  syscall(SYS_pkey_alloc, ALL, ALL);
  syscall(SYS_shmat, -1, NULL, ALL);
  syscall(SYS_msgrcv, -1, NULL, 0, 0, ALL);
  syscall(SYS_shmget, 0x7ffffff1, 0, ALL & ~IPC_CREAT);
  syscall(SYS_msync, 0, 0, MS_ASYNC | MS_INVALIDATE);
  syscall(SYS_mmap, NULL, 0, PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM | PROT_GROWSUP,
          MAP_SHARED | MAP_HUGETLB | (21 << 26), -1, 0);
  Marker("dc_flags:end");
  return 0;
}
