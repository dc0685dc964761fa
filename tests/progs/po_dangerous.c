// po_dangerous [NAME...]: makes each named call of the default profile's dangerous set (all of
// them without a NAME) with arguments the kernel rejects before any permission check (bad
// flags, fd -1, a bad pointer), and prints "NAME=0" or "NAME=-1 ERRNO" per line. Allowed, a
// call fails with EINVAL, EBADF or EFAULT; denied by a filter, with the filter's errno (EPERM),
// so the two cannot be confused (bubblewrap's try-syscall). Exits 0.
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_fsconfig
#define SYS_fsconfig 431
#endif
#ifndef SYS_fsmount
#define SYS_fsmount 432
#endif
#ifndef SYS_fspick
#define SYS_fspick 433
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_quotactl_fd
#define SYS_quotactl_fd 443
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x1000
#endif

#define BAD ((long)1)  // a pointer the kernel cannot read

struct Call {
  const char* name;
  long nr;
  long a[6];
};

static const struct Call kCalls[] = {
    // unshare/clone creating a user namespace, with a flag unshare refuses (CLONE_PIDFD) or a
    // combination clone refuses (CLONE_NEWUSER|CLONE_FS): EINVAL when allowed.
    {"unshare", SYS_unshare, {CLONE_NEWUSER | CLONE_PIDFD}},
    {"clone", SYS_clone, {CLONE_NEWUSER | CLONE_FS}},
    {"mount", SYS_mount, {BAD, BAD, BAD, 0, 0}},
    {"umount2", SYS_umount2, {BAD, -1}},
    {"open_tree", SYS_open_tree, {-1, BAD, -1}},
    {"move_mount", SYS_move_mount, {-1, BAD, -1, BAD, -1}},
    {"fsconfig", SYS_fsconfig, {-1, 0, 0, 0, 0}},
    {"fsmount", SYS_fsmount, {-1, -1, -1}},
    {"fspick", SYS_fspick, {-1, BAD, -1}},
    {"mount_setattr", SYS_mount_setattr, {-1, BAD, -1, BAD, 0}},
    {"chroot", SYS_chroot, {BAD}},
    {"setns", SYS_setns, {-1, 0}},
    {"name_to_handle_at", SYS_name_to_handle_at, {-1, BAD, BAD, BAD, -1}},
    {"quotactl_fd", SYS_quotactl_fd, {-1, 0, 0, 0}},
    {"settimeofday", SYS_settimeofday, {BAD, 0}},
    {"clock_settime", SYS_clock_settime, {-1, BAD}},
    {"clock_adjtime", SYS_clock_adjtime, {-1, BAD}},
    {"iopl", SYS_iopl, {4}},
    {"ioperm", SYS_ioperm, {-1, 8, 1}},
    {"perf_event_open", SYS_perf_event_open, {BAD, 0, -1, -1, -1}},
    {"add_key", SYS_add_key, {BAD, BAD, 0, 0, 0}},
    {"request_key", SYS_request_key, {BAD, BAD, 0, 0}},
    {"keyctl", SYS_keyctl, {-1, 0, 0, 0, 0}},
    {"bpf", SYS_bpf, {-1, BAD, 1 << 20}},
    {"mbind", SYS_mbind, {0, 0, -1, 0, 0, 0}},
    {"set_mempolicy", SYS_set_mempolicy, {-1, 0, 0}},
    {"get_mempolicy", SYS_get_mempolicy, {0, 0, 0, 0, -1}},
    {"move_pages", SYS_move_pages, {0, 1, BAD, BAD, BAD, -1}},
    {"open_by_handle_at", SYS_open_by_handle_at, {-1, BAD, 0}},
    {"syslog", SYS_syslog, {-1, 0, 0}},
    {"userfaultfd", SYS_userfaultfd, {-1}},
    {"swapon", SYS_swapon, {BAD, 0}},
    {"pivot_root", SYS_pivot_root, {BAD, BAD}},
    {"reboot", SYS_reboot, {0, 0, 0, 0}},
    {"finit_module", SYS_finit_module, {-1, BAD, -1}},
    {"acct", SYS_acct, {BAD}},
};

static void Try(const struct Call* c) {
  errno = 0;
  long r = syscall(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
  if (r == -1) printf("%s=-1 %s\n", c->name, strerrorname_np(errno));
  else printf("%s=%ld\n", c->name, r);
}

int main(int argc, char** argv) {
  const size_t n = sizeof kCalls / sizeof kCalls[0];
  for (size_t i = 0; i < n; ++i) {
    int wanted = argc < 2;
    for (int k = 1; k < argc; ++k) wanted |= strcmp(argv[k], kCalls[i].name) == 0;
    if (wanted) Try(&kCalls[i]);
  }
  return 0;
}
