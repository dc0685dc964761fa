// Syscall groups. The first ones are strace's classes (%file, %desc, ... from its syscallent
// flags), the others systemd's SystemCallFilter= sets, restricted to x86-64 names.
#include <algorithm>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "core/syscalls.h"

namespace pwnbox::core {
namespace {

using Names = std::initializer_list<std::string_view>;

struct GroupDef {
  std::string_view name;
  std::string_view description;
  Names members;
  Names includes;  // other groups whose members are added
};

const GroupDef kDefs[] = {
    {"file", "syscalls that take a file name (strace %file)",
     {"access", "acct", "chdir", "chmod", "chown", "chroot", "creat", "execve", "execveat",
      "faccessat", "faccessat2", "fanotify_mark", "fchmodat", "fchmodat2", "fchownat", "fspick",
      "futimesat", "getcwd", "getxattr", "inotify_add_watch", "lchown", "lgetxattr", "link",
      "linkat", "listxattr", "llistxattr", "lremovexattr", "lsetxattr", "lstat", "mkdir",
      "mkdirat", "mknod", "mknodat", "mount", "mount_setattr", "move_mount",
      "name_to_handle_at", "newfstatat", "open", "open_tree", "openat", "openat2",
      "pivot_root", "quotactl", "readlink", "readlinkat", "removexattr", "rename", "renameat",
      "renameat2", "rmdir", "setxattr", "stat", "statfs", "statx", "swapoff", "swapon",
      "symlink", "symlinkat", "truncate", "umount2", "unlink", "unlinkat", "uselib", "utime",
      "utimensat", "utimes"},
     {}},
    {"desc", "syscalls that take or return a file descriptor (strace %desc)",
     {"read", "write", "open", "close", "fstat", "poll", "lseek", "mmap", "ioctl", "pread64",
      "pwrite64", "readv", "writev", "pipe", "select", "dup", "dup2", "sendfile", "fcntl",
      "flock", "fsync", "fdatasync", "ftruncate", "getdents", "fchdir", "creat", "fchmod",
      "fchown", "fstatfs", "readahead", "fsetxattr", "fgetxattr", "flistxattr", "fremovexattr",
      "epoll_create", "getdents64", "fadvise64", "epoll_wait", "epoll_ctl", "epoll_ctl_old",
      "epoll_wait_old", "mq_open", "mq_timedsend", "mq_timedreceive", "mq_notify",
      "mq_getsetattr", "inotify_init", "inotify_add_watch", "inotify_rm_watch", "openat",
      "mkdirat", "mknodat", "fchownat", "futimesat", "newfstatat", "unlinkat", "renameat",
      "linkat", "symlinkat", "readlinkat", "fchmodat", "faccessat", "pselect6", "ppoll",
      "splice", "tee", "sync_file_range", "vmsplice", "utimensat", "epoll_pwait", "signalfd",
      "timerfd_create", "eventfd", "fallocate", "timerfd_settime", "timerfd_gettime",
      "signalfd4", "eventfd2", "epoll_create1", "dup3", "pipe2", "inotify_init1", "preadv",
      "pwritev", "perf_event_open", "fanotify_init", "fanotify_mark", "name_to_handle_at",
      "open_by_handle_at", "syncfs", "setns", "finit_module", "renameat2", "memfd_create",
      "kexec_file_load", "bpf", "execveat", "userfaultfd", "copy_file_range", "preadv2",
      "pwritev2", "statx", "pidfd_send_signal", "io_uring_setup", "io_uring_enter",
      "io_uring_register", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount",
      "fspick", "pidfd_open", "close_range", "openat2", "pidfd_getfd", "faccessat2",
      "process_madvise", "epoll_pwait2", "mount_setattr", "quotactl_fd",
      "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self", "memfd_secret",
      "process_mrelease", "cachestat", "fchmodat2", "socket", "connect", "accept", "sendto",
      "recvfrom", "sendmsg", "recvmsg", "shutdown", "bind", "listen", "getsockname",
      "getpeername", "socketpair", "setsockopt", "getsockopt", "accept4", "recvmmsg",
      "sendmmsg", "getpmsg", "putpmsg"},
     {}},
    {"network", "network syscalls (strace %net, %network)",
     {"socket", "connect", "accept", "sendto", "recvfrom", "sendmsg", "recvmsg", "shutdown",
      "bind", "listen", "getsockname", "getpeername", "socketpair", "setsockopt", "getsockopt",
      "accept4", "recvmmsg", "sendmmsg", "sendfile", "getpmsg", "putpmsg"},
     {}},
    {"process", "process management: create, exec, wait, terminate (strace %process)",
     {"clone", "clone3", "execve", "execveat", "exit", "exit_group", "fork", "kill",
      "rt_sigqueueinfo", "rt_tgsigqueueinfo", "tgkill", "tkill", "unshare", "vfork", "wait4",
      "waitid"},
     {}},
    {"signal", "signal-related syscalls (strace %signal)",
     {"kill", "pause", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo",
      "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_tgsigqueueinfo", "sigaltstack",
      "signalfd", "signalfd4", "tgkill", "tkill", "pidfd_send_signal"},
     {}},
    {"ipc", "System V IPC (strace %ipc)",
     {"msgctl", "msgget", "msgrcv", "msgsnd", "semctl", "semget", "semop", "semtimedop",
      "shmat", "shmctl", "shmdt", "shmget"},
     {}},
    {"memory", "memory mapping (strace %memory)",
     {"brk", "get_mempolicy", "io_destroy", "io_setup", "madvise", "map_shadow_stack", "mbind",
      "migrate_pages", "mincore", "mlock", "mlock2", "mlockall", "mmap", "move_pages",
      "mprotect", "mremap", "msync", "munlock", "munlockall", "munmap", "pkey_mprotect",
      "remap_file_pages", "set_mempolicy", "set_mempolicy_home_node", "shmat", "shmdt"},
     {}},
    {"time", "read or change the system clock (strace %clock)",
     {"adjtimex", "clock_adjtime", "clock_getres", "clock_gettime", "clock_settime",
      "gettimeofday", "settimeofday", "time"},
     {}},
    {"creds", "user/group ids and capabilities (strace %creds)",
     {"capget", "capset", "getegid", "geteuid", "getgid", "getgroups", "getresgid",
      "getresuid", "getuid", "prctl", "setfsgid", "setfsuid", "setgid", "setgroups", "setregid",
      "setresgid", "setresuid", "setreuid", "setuid"},
     {}},
    {"stat", "stat by path (strace %stat)", {"stat"}, {}},
    {"lstat", "stat by path without following symlinks (strace %lstat)", {"lstat"}, {}},
    {"fstat", "stat of an fd or relative to one (strace %fstat)", {"fstat", "newfstatat"}, {}},
    {"stat_like", "every stat variant (strace %%stat)",
     {"fstat", "lstat", "newfstatat", "stat", "statx"},
     {}},
    {"statfs", "statfs by path (strace %statfs)", {"statfs"}, {}},
    {"fstatfs", "statfs of an fd (strace %fstatfs)", {"fstatfs"}, {}},
    {"statfs_like", "every statfs variant (strace %%statfs)", {"fstatfs", "statfs", "ustat"}, {}},
    {"pure", "no arguments, always succeed (strace %pure)",
     {"getegid", "geteuid", "getgid", "getpgrp", "getpid", "getppid", "gettid", "getuid"},
     {}},
    {"default", "what every process needs (systemd @default)",
     {"arch_prctl", "brk", "clock_getres", "clock_gettime", "clock_nanosleep", "execve", "exit",
      "exit_group", "futex", "futex_waitv", "get_robust_list", "get_thread_area", "getegid",
      "geteuid", "getgid", "getgroups", "getpgid", "getpgrp", "getpid", "getppid", "getrandom",
      "getresgid", "getresuid", "getrlimit", "getsid", "gettid", "gettimeofday", "getuid",
      "membarrier", "mmap", "mprotect", "munmap", "nanosleep", "pause", "prlimit64",
      "restart_syscall", "rseq", "rt_sigreturn", "sched_getaffinity", "sched_yield",
      "set_robust_list", "set_thread_area", "set_tid_address", "time"},
     {}},
    {"basic-io", "read and write already open fds (systemd @basic-io)",
     {"close", "close_range", "dup", "dup2", "dup3", "lseek", "pread64", "preadv", "preadv2",
      "pwrite64", "pwritev", "pwritev2", "read", "readv", "write", "writev"},
     {}},
    {"mount", "mount and unmount file systems (systemd @mount)",
     {"chroot", "fsconfig", "fsmount", "fsopen", "fspick", "mount", "mount_setattr",
      "move_mount", "open_tree", "pivot_root", "umount2"},
     {}},
    {"module", "load and unload kernel modules (systemd @module)",
     {"delete_module", "finit_module", "init_module"},
     {}},
    {"raw-io", "raw I/O port access (systemd @raw-io)", {"ioperm", "iopl"}, {}},
    {"reboot", "reboot and kexec (systemd @reboot)",
     {"kexec_file_load", "kexec_load", "reboot"},
     {}},
    {"swap", "enable and disable swap (systemd @swap)", {"swapoff", "swapon"}, {}},
    {"chown", "change file ownership (systemd @chown)",
     {"chown", "fchown", "fchownat", "lchown"},
     {}},
    {"clock", "change the system clock (systemd @clock)",
     {"adjtimex", "clock_adjtime", "clock_settime", "settimeofday"},
     {}},
    {"cpu-emulation", "CPU emulation and LDT (systemd @cpu-emulation)", {"modify_ldt"}, {}},
    {"debug", "debug, trace and profile other processes (systemd @debug)",
     {"kcmp", "lookup_dcookie", "perf_event_open", "pidfd_getfd", "process_vm_readv",
      "process_vm_writev", "ptrace"},
     {}},
    {"keyring", "kernel keyring (systemd @keyring)", {"add_key", "keyctl", "request_key"}, {}},
    {"io_uring", "io_uring", {"io_uring_enter", "io_uring_register", "io_uring_setup"}, {}},
    {"aio", "asynchronous I/O (systemd @aio)",
     {"io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_setup", "io_submit"},
     {"io_uring"}},
    {"namespace", "enter or create namespaces", {"setns", "unshare"}, {}},
    {"resources", "change resource limits and scheduling (systemd @resources)",
     {"ioprio_set", "mbind", "migrate_pages", "move_pages", "sched_setaffinity",
      "sched_setattr", "sched_setparam", "sched_setscheduler", "set_mempolicy", "setpriority",
      "setrlimit"},
     {}},
    {"setuid", "change user and group ids (systemd @setuid)",
     {"setgid", "setgroups", "setregid", "setresgid", "setresuid", "setreuid", "setuid"},
     {}},
    {"sync", "flush caches to disk (systemd @sync)",
     {"fdatasync", "fsync", "msync", "sync", "sync_file_range", "syncfs"},
     {}},
    {"timer", "schedule operations by time (systemd @timer)",
     {"alarm", "getitimer", "setitimer", "timer_create", "timer_delete", "timer_getoverrun",
      "timer_gettime", "timer_settime", "timerfd_create", "timerfd_gettime", "timerfd_settime",
      "times"},
     {}},
    {"obsolete", "unusual, obsolete or unimplemented syscalls (systemd @obsolete)",
     {"_sysctl", "afs_syscall", "create_module", "epoll_ctl_old", "epoll_wait_old",
      "get_kernel_syms", "getpmsg", "nfsservctl", "putpmsg", "query_module", "security",
      "sysfs", "tuxcall", "uselib", "ustat", "vserver"},
     {}},
    {"privileged", "syscalls that need privileges (systemd @privileged)",
     {"_sysctl", "acct", "bpf", "capset", "chroot", "fanotify_init", "nfsservctl",
      "open_by_handle_at", "pivot_root", "quotactl", "quotactl_fd", "setdomainname", "setfsgid",
      "setfsuid", "sethostname", "vhangup"},
     {"chown", "clock", "module", "raw-io", "reboot", "swap", "setuid"}},
};

std::vector<SyscallGroup>* Build() {
  auto* groups = new std::vector<SyscallGroup>;
  for (const GroupDef& d : kDefs) {
    SyscallGroup g{d.name, d.description, {d.members.begin(), d.members.end()}};
    for (std::string_view inc : d.includes) {
      for (const GroupDef& other : kDefs) {
        if (other.name == inc) g.members.insert(g.members.end(), other.members.begin(),
                                                other.members.end());
      }
    }
    std::sort(g.members.begin(), g.members.end());
    g.members.erase(std::unique(g.members.begin(), g.members.end()), g.members.end());
    groups->push_back(std::move(g));
  }
  return groups;
}

}  // namespace

std::span<const SyscallGroup> Groups() {
  static const std::vector<SyscallGroup>* const groups = Build();
  return *groups;
}

const SyscallGroup* FindGroup(std::string_view name) {
  std::string_view bare = name;
  bool strace = false;
  if (bare.starts_with("%%")) {
    bare.remove_prefix(2);
    if (bare == "stat") bare = "stat_like";
    else if (bare == "statfs") bare = "statfs_like";
    else return nullptr;
  } else if (bare.starts_with('%')) {
    bare.remove_prefix(1);
    strace = true;
  } else if (bare.starts_with('@')) {
    bare.remove_prefix(1);
  }
  if (bare == "net") bare = "network";
  if (strace && bare == "clock") bare = "time";
  for (const SyscallGroup& g : Groups()) {
    if (g.name == bare) return &g;
  }
  return nullptr;
}

}  // namespace pwnbox::core
