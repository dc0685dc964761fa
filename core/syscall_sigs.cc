// The argument signature of every syscall: x86-64's, plus the names only i386 has. Sorted by
// name (checked at compile time); parameter names as in the man pages; kernel-written pointers
// marked `out`.
#include <algorithm>
#include <span>
#include <string_view>
#include <unordered_map>

#include "core/syscalls.h"

namespace pwnbox::core {
namespace {

constexpr ArgSpec I(const char* n) { return {ArgKind::kInt, n, nullptr}; }
constexpr ArgSpec U(const char* n) { return {ArgKind::kUInt, n, nullptr}; }
constexpr ArgSpec H(const char* n) { return {ArgKind::kHex, n, nullptr}; }
constexpr ArgSpec P(const char* n) { return {ArgKind::kPtr, n, nullptr}; }
constexpr ArgSpec PO(const char* n) { return {ArgKind::kPtr, n, nullptr, -1, true}; }
constexpr ArgSpec Fd(const char* n = "fd") { return {ArgKind::kFd, n, nullptr}; }
constexpr ArgSpec DirFd(const char* n = "dirfd") { return {ArgKind::kDirFd, n, nullptr}; }
constexpr ArgSpec Path(const char* n = "pathname") { return {ArgKind::kPath, n, nullptr}; }
constexpr ArgSpec Str(const char* n) { return {ArgKind::kString, n, nullptr}; }
constexpr ArgSpec InBuf(const char* n, int8_t len) { return {ArgKind::kInBuf, n, nullptr, len}; }
constexpr ArgSpec OutBuf(const char* n, int8_t len) {
  return {ArgKind::kOutBuf, n, nullptr, len, true};
}
constexpr ArgSpec Flags(const char* n, const char* t) { return {ArgKind::kFlags, n, t}; }
constexpr ArgSpec Enum(const char* n, const char* t) { return {ArgKind::kEnum, n, t}; }
constexpr ArgSpec Mode(const char* n = "mode") { return {ArgKind::kMode, n, nullptr}; }
constexpr ArgSpec Sig(const char* n = "sig") { return {ArgKind::kSignal, n, "signals"}; }
constexpr ArgSpec Pid(const char* n = "pid") { return {ArgKind::kPid, n, nullptr}; }
constexpr ArgSpec Uid(const char* n) { return {ArgKind::kUid, n, nullptr}; }
constexpr ArgSpec Off(const char* n = "offset") { return {ArgKind::kOffset, n, nullptr}; }
constexpr ArgSpec SIn(const char* n, const char* s, int8_t len = -1) {
  return {ArgKind::kStruct, n, s, len};
}
constexpr ArgSpec SOut(const char* n, const char* s, int8_t len = -1) {
  return {ArgKind::kStruct, n, s, len, true};
}
constexpr ArgSpec Argv(const char* n = "argv") { return {ArgKind::kStrArray, n, nullptr}; }
constexpr ArgSpec Envp(const char* n = "envp") { return {ArgKind::kEnvArray, n, nullptr}; }

template <typename... A>
constexpr SyscallSig R(RetKind ret, const char* name, A... args) {
  static_assert(sizeof...(A) <= 6);
  return SyscallSig{name, static_cast<uint8_t>(sizeof...(A)), {args...}, ret};
}
template <typename... A>
constexpr SyscallSig S(const char* name, A... args) {
  return R(RetKind::kInt, name, args...);
}

constexpr RetKind kFd = RetKind::kFd;
constexpr RetKind kPid = RetKind::kPid;
constexpr RetKind kHex = RetKind::kHex;
constexpr RetKind kNoReturn = RetKind::kNoReturn;

constexpr SyscallSig kSignatures[] = {
    S("_llseek", Fd(), U("offset_high"), U("offset_low"), SOut("result", "uint64"),
      Enum("whence", "lseek_whence")),
    S("_newselect", I("nfds"), SIn("readfds", "fd_set"), SIn("writefds", "fd_set"),
      SIn("exceptfds", "fd_set"), SIn("timeout", "timeval")),
    S("_sysctl", P("args")),
    R(kFd, "accept", Fd("sockfd"), SOut("addr", "sockaddr", 2), SOut("addrlen", "socklen")),
    R(kFd, "accept4", Fd("sockfd"), SOut("addr", "sockaddr", 2), SOut("addrlen", "socklen"),
      Flags("flags", "sock_flags")),
    S("access", Path(), Flags("mode", "access_mode")),
    S("acct", Path("filename")),
    S("add_key", Str("type"), Str("description"), InBuf("payload", 3), U("plen"),
      Enum("keyring", "key_spec")),
    S("adjtimex", SOut("buf", "kernel_timex")),
    // Retired calls (ENOSYS): strace has no decoder and prints its argument count raw, in hex
    // (fds too: their hooks in decode_file.cc).
    S("afs_syscall", H("arg1"), H("arg2"), H("arg3"), H("arg4"), H("arg5")),
    S("alarm", U("seconds")),
    S("arch_prctl", Enum("code", "arch_prctl_code"), H("addr")),
    S("bdflush", I("func"), H("data")),
    S("bind", Fd("sockfd"), SIn("addr", "sockaddr", 2), U("addrlen")),
    S("bpf", Enum("cmd", "bpf_cmd"), SIn("attr", "bpf_attr", 2), U("size")),
    S("break"),
    R(kHex, "brk", P("addr")),
    S("cachestat", Fd(), P("cstat_range"), P("cstat"), U("flags")),
    S("capget", SIn("hdrp", "cap"), SOut("datap", "cap")),
    S("capset", SIn("hdrp", "cap"), SIn("datap", "cap")),
    S("chdir", Path("path")),
    S("chmod", Path(), Mode()),
    S("chown", Path(), Uid("owner"), Uid("group")),
    S("chown32", Path(), Uid("owner"), Uid("group")),
    S("chroot", Path("path")),
    S("clock_adjtime", Enum("clockid", "clockid"), SOut("buf", "kernel_timex")),
    S("clock_adjtime64", Enum("clockid", "clockid"), SOut("buf", "kernel_timex")),
    S("clock_getres", Enum("clockid", "clockid"), SOut("res", "timespec")),
    S("clock_getres_time64", Enum("clockid", "clockid"), SOut("res", "timespec")),
    S("clock_gettime", Enum("clockid", "clockid"), SOut("tp", "timespec")),
    S("clock_gettime64", Enum("clockid", "clockid"), SOut("tp", "timespec")),
    S("clock_nanosleep", Enum("clockid", "clockid"), Flags("flags", "timer_flags"),
      SIn("request", "timespec"), SOut("remain", "timespec")),
    S("clock_nanosleep_time64", Enum("clockid", "clockid"), Flags("flags", "timer_flags"),
      SIn("request", "timespec"), SOut("remain", "timespec")),
    S("clock_settime", Enum("clockid", "clockid"), SIn("tp", "timespec")),
    S("clock_settime64", Enum("clockid", "clockid"), SIn("tp", "timespec")),
    R(kPid, "clone", Flags("flags", "clone_flags"), P("stack"), P("parent_tid"), P("child_tid"),
      H("tls")),
    R(kPid, "clone3", SIn("cl_args", "clone_args", 1), U("size")),
    S("close", Fd()),
    S("close_range", Fd("first"), U("last"), Flags("flags", "close_range_flags")),
    S("connect", Fd("sockfd"), SIn("addr", "sockaddr", 2), U("addrlen")),
    S("copy_file_range", Fd("fd_in"), SIn("off_in", "uint64"), Fd("fd_out"),
      SIn("off_out", "uint64"), U("len"), U("flags")),
    R(kFd, "creat", Path(), Mode()),
    S("create_module", H("name"), H("size")),
    S("delete_module", Str("name"), Flags("flags", "delete_module_flags")),
    R(kFd, "dup", Fd("oldfd")),
    R(kFd, "dup2", Fd("oldfd"), Fd("newfd")),
    R(kFd, "dup3", Fd("oldfd"), Fd("newfd"), Flags("flags", "dup3_flags")),
    R(kFd, "epoll_create", I("size")),
    R(kFd, "epoll_create1", Flags("flags", "epoll_create_flags")),
    S("epoll_ctl", Fd("epfd"), Enum("op", "epoll_ctl_op"), Fd(), SIn("event", "epoll_event")),
    S("epoll_ctl_old", Fd("epfd"), H("op"), Fd(), H("event")),
    S("epoll_pwait", Fd("epfd"), SOut("events", "epoll_event", 2), I("maxevents"), I("timeout"),
      SIn("sigmask", "sigset", 5), U("sigsetsize")),
    S("epoll_pwait2", Fd("epfd"), SOut("events", "epoll_event", 2), I("maxevents"),
      SIn("timeout", "timespec"), SIn("sigmask", "sigset", 5), U("sigsetsize")),
    S("epoll_wait", Fd("epfd"), SOut("events", "epoll_event", 2), I("maxevents"), I("timeout")),
    S("epoll_wait_old", Fd("epfd"), H("events"), H("maxevents"), H("timeout")),
    R(kFd, "eventfd", U("initval")),
    R(kFd, "eventfd2", U("initval"), Flags("flags", "eventfd_flags")),
    S("execve", Path(), Argv(), Envp()),
    S("execveat", DirFd(), Path(), Argv(), Envp(), Flags("flags", "execveat_flags")),
    R(kNoReturn, "exit", I("status")),
    R(kNoReturn, "exit_group", I("status")),
    S("faccessat", DirFd(), Path(), Flags("mode", "access_mode")),
    S("faccessat2", DirFd(), Path(), Flags("mode", "access_mode"), Flags("flags", "at_flags")),
    S("fadvise64", Fd(), Off(), U("len"), Enum("advice", "fadvise_advice")),
    S("fadvise64_64", Fd(), H("offset_lo"), H("offset_hi"), H("len_lo"), H("len_hi"),
      Enum("advice", "fadvise_advice")),
    S("fallocate", Fd(), Flags("mode", "fallocate_mode"), Off(), U("len")),
    R(kFd, "fanotify_init", Flags("flags", "fanotify_init_flags"),
      Flags("event_f_flags", "open_flags")),
    S("fanotify_mark", Fd("fanotify_fd"), Flags("flags", "fanotify_mark_flags"),
      Flags("mask", "fanotify_mask"), DirFd(),
      Path()),
    S("fchdir", Fd()),
    S("fchmod", Fd(), Mode()),
    S("fchmodat", DirFd(), Path(), Mode()),
    S("fchmodat2", DirFd(), Path(), Mode(), Flags("flags", "at_flags")),
    S("fchown", Fd(), Uid("owner"), Uid("group")),
    S("fchown32", Fd(), Uid("owner"), Uid("group")),
    S("fchownat", DirFd(), Path(), Uid("owner"), Uid("group"), Flags("flags", "at_flags")),
    S("fcntl", Fd(), Enum("cmd", "fcntl_cmd"), H("arg")),
    S("fcntl64", Fd(), Enum("cmd", "fcntl_cmd"), H("arg")),
    S("fdatasync", Fd()),
    S("fgetxattr", Fd(), Str("name"), OutBuf("value", 3), U("size")),
    S("file_getattr", DirFd(), Path(), PO("ufattr"), U("usize"),
      Flags("at_flags", "at_flags")),
    S("file_setattr", DirFd(), Path(), P("ufattr"), U("usize"),
      Flags("at_flags", "at_flags")),
    S("finit_module", Fd(), Str("param_values"), Flags("flags", "module_init_flags")),
    S("flistxattr", Fd(), OutBuf("list", 2), U("size")),
    S("flock", Fd(), Flags("operation", "lock_op")),
    R(kPid, "fork"),
    S("fremovexattr", Fd(), Str("name")),
    S("fsconfig", Fd(), Enum("cmd", "fsconfig_cmd"), Str("key"), P("value"), I("aux")),
    S("fsetxattr", Fd(), Str("name"), InBuf("value", 3), U("size"), Flags("flags", "xattr_flags")),
    R(kFd, "fsmount", Fd("fs_fd"), Flags("flags", "fsmount_flags"),
      Flags("attr_flags", "mount_attr_flags")),
    R(kFd, "fsopen", Str("fsname"), Flags("flags", "fsopen_flags")),
    R(kFd, "fspick", DirFd(), Path(), Flags("flags", "fspick_flags")),
    S("fstat", Fd(), SOut("statbuf", "stat")),
    S("fstat64", Fd(), SOut("statbuf", "stat")),
    S("fstatat64", DirFd(), Path(), SOut("statbuf", "stat"), Flags("flags", "at_flags")),
    S("fstatfs", Fd(), SOut("buf", "statfs")),
    S("fstatfs64", Fd(), U("sz"), SOut("buf", "statfs")),
    S("fsync", Fd()),
    S("ftime", PO("tp")),
    S("ftruncate", Fd(), Off("length")),
    S("ftruncate64", Fd(), H("length_lo"), H("length_hi")),
    S("futex", SIn("uaddr", "futex_addr"), Enum("futex_op", "futex_op"), U("val"),
      SIn("timeout", "timespec"), SIn("uaddr2", "futex_addr"), U("val3")),
    S("futex_requeue", P("waiters"), H("flags"), I("nr_wake"), I("nr_requeue")),
    S("futex_time64", SIn("uaddr", "futex_addr"), Enum("futex_op", "futex_op"), U("val"),
      SIn("timeout", "timespec"), SIn("uaddr2", "futex_addr"), U("val3")),
    S("futex_wait", SIn("uaddr", "futex_addr"), U("val"), H("mask"), U("flags"),
      SIn("timeout", "timespec"), Enum("clockid", "clockid")),
    S("futex_waitv", P("waiters"), U("nr_futexes"), U("flags"), SIn("timeout", "timespec"),
      Enum("clockid", "clockid")),
    S("futex_wake", SIn("uaddr", "futex_addr"), H("mask"), I("nr"), U("flags")),
    S("futimesat", DirFd(), Path(), SIn("times", "timeval")),
    S("get_kernel_syms", H("table")),
    S("get_mempolicy", SOut("mode", "int"), P("nodemask"), U("maxnode"), P("addr"), H("flags")),
    S("get_robust_list", Pid(), P("head_ptr"), P("len_ptr")),
    S("get_thread_area", SOut("u_info", "user_desc")),
    S("getcpu", SOut("cpu", "int"), SOut("node", "int"), P("tcache")),
    S("getcwd", OutBuf("buf", 1), U("size")),
    S("getdents", Fd(), SOut("dirp", "linux_dirent", 2), U("count")),
    S("getdents64", Fd(), SOut("dirp", "linux_dirent64", 2), U("count")),
    S("getegid"),
    S("getegid32"),
    S("geteuid"),
    S("geteuid32"),
    S("getgid"),
    S("getgid32"),
    S("getgroups", I("size"), PO("list")),
    S("getgroups32", I("size"), PO("list")),
    S("getitimer", Enum("which", "itimer_which"), SOut("curr_value", "itimerval")),
    S("getpeername", Fd("sockfd"), SOut("addr", "sockaddr", 2), SOut("addrlen", "socklen")),
    R(kPid, "getpgid", Pid()),
    R(kPid, "getpgrp"),
    R(kPid, "getpid"),
    S("getpmsg", Fd(), H("ctlptr"), H("dataptr"), H("bandp"), H("flagsp")),
    R(kPid, "getppid"),
    S("getpriority", Enum("which", "priority_which"), I("who")),
    S("getrandom", OutBuf("buf", 1), U("buflen"), Flags("flags", "getrandom_flags")),
    S("getresgid", SOut("rgid", "int"), SOut("egid", "int"), SOut("sgid", "int")),
    S("getresgid32", SOut("rgid", "int"), SOut("egid", "int"), SOut("sgid", "int")),
    S("getresuid", SOut("ruid", "int"), SOut("euid", "int"), SOut("suid", "int")),
    S("getresuid32", SOut("ruid", "int"), SOut("euid", "int"), SOut("suid", "int")),
    S("getrlimit", Enum("resource", "rlimit_resource"), SOut("rlim", "rlimit")),
    S("getrusage", Enum("who", "rusage_who"), SOut("usage", "rusage")),
    R(kPid, "getsid", Pid()),
    S("getsockname", Fd("sockfd"), SOut("addr", "sockaddr", 2), SOut("addrlen", "socklen")),
    S("getsockopt", Fd("sockfd"), Enum("level", "socket_level"), Enum("optname", "socket_option"),
      SOut("optval", "sockopt", 4), SOut("optlen", "socklen")),
    R(kPid, "gettid"),
    S("gettimeofday", SOut("tv", "timeval"), SOut("tz", "timezone")),
    S("getuid"),
    S("getuid32"),
    S("getxattr", Path(), Str("name"), OutBuf("value", 3), U("size")),
    S("getxattrat", DirFd(), Path(), Flags("at_flags", "at_flags"), Str("name"), P("uargs"),
      U("usize")),
    S("gtty"),
    S("idle"),
    S("init_module", InBuf("module_image", 1), U("len"), Str("param_values")),
    S("inotify_add_watch", Fd(), Path(), Flags("mask", "inotify_mask")),
    R(kFd, "inotify_init"),
    R(kFd, "inotify_init1", Flags("flags", "inotify_init_flags")),
    S("inotify_rm_watch", Fd(), I("wd")),
    S("io_cancel", P("ctx_id"), P("iocb"), PO("result")),
    S("io_destroy", P("ctx_id")),
    S("io_getevents", P("ctx_id"), I("min_nr"), I("nr"), PO("events"), SIn("timeout", "timespec")),
    S("io_pgetevents", P("ctx_id"), I("min_nr"), I("nr"), PO("events"), SIn("timeout", "timespec"),
      P("sig")),
    S("io_pgetevents_time64", P("ctx_id"), I("min_nr"), I("nr"), PO("events"),
      SIn("timeout", "timespec"), P("sig")),
    S("io_setup", U("nr_events"), SOut("ctx_idp", "uint64")),
    S("io_submit", P("ctx_id"), I("nr"), P("iocbpp")),
    S("io_uring_enter", Fd(), U("to_submit"), U("min_complete"),
      Flags("flags", "io_uring_enter_flags"), P("sig"), U("sz")),
    S("io_uring_register", Fd(), Enum("opcode", "io_uring_register_op"), P("arg"), U("nr_args")),
    R(kFd, "io_uring_setup", U("entries"), SOut("p", "io_uring_params")),
    S("ioctl", Fd(), Enum("request", "ioctl_request"), SIn("arg", "winsize_or_ioctl_arg")),
    S("ioperm", H("from"), H("num"), I("turn_on")),
    S("iopl", I("level")),
    S("ioprio_get", Enum("which", "ioprio_which"), I("who")),
    S("ioprio_set", Enum("which", "ioprio_which"), I("who"), I("ioprio")),
    S("ipc", U("call"), I("first"), I("second"), I("third"), P("ptr"), H("fifth")),
    S("kcmp", Pid("pid1"), Pid("pid2"), Enum("type", "kcmp_type"), H("idx1"), H("idx2")),
    S("kexec_file_load", Fd("kernel_fd"), Fd("initrd_fd"), U("cmdline_len"), Str("cmdline"),
      Flags("flags", "kexec_file_flags")),
    S("kexec_load", H("entry"), U("nr_segments"), P("segments"), Flags("flags", "kexec_flags")),
    S("keyctl", Enum("operation", "keyctl_cmd"), H("arg2"), H("arg3"), H("arg4"), H("arg5")),
    S("kill", Pid(), Sig()),
    S("landlock_add_rule", Fd("ruleset_fd"), Enum("rule_type", "landlock_rule_type"),
      SIn("rule_attr", "landlock_rule_attr"), H("flags")),
    R(kFd, "landlock_create_ruleset", SIn("attr", "landlock_ruleset_attr", 1), U("size"),
      Flags("flags", "landlock_create_flags")),
    S("landlock_restrict_self", Fd("ruleset_fd"), U("flags")),
    S("lchown", Path(), Uid("owner"), Uid("group")),
    S("lchown32", Path(), Uid("owner"), Uid("group")),
    S("lgetxattr", Path(), Str("name"), OutBuf("value", 3), U("size")),
    S("link", Path("oldpath"), Path("newpath")),
    S("linkat", DirFd("olddirfd"), Path("oldpath"), DirFd("newdirfd"), Path("newpath"),
      Flags("flags", "at_flags")),
    S("listen", Fd("sockfd"), I("backlog")),
    S("listmount", P("req"), PO("mnt_ids"), U("nr_mnt_ids"), U("flags")),
    S("listxattr", Path(), OutBuf("list", 2), U("size")),
    S("listxattrat", DirFd(), Path(), Flags("at_flags", "at_flags"), OutBuf("list", 4),
      U("size")),
    S("llistxattr", Path(), OutBuf("list", 2), U("size")),
    S("lock"),
    S("lookup_dcookie", H("cookie"), OutBuf("buffer", 2), U("len")),
    S("lremovexattr", Path(), Str("name")),
    S("lseek", Fd(), Off(), Enum("whence", "lseek_whence")),
    S("lsetxattr", Path(), Str("name"), InBuf("value", 3), U("size"),
      Flags("flags", "xattr_flags")),
    S("lsm_get_self_attr", U("attr"), PO("ctx"), P("size"), U("flags")),
    S("lsm_list_modules", PO("ids"), P("size"), U("flags")),
    S("lsm_set_self_attr", U("attr"), P("ctx"), U("size"), U("flags")),
    S("lstat", Path(), SOut("statbuf", "stat")),
    S("lstat64", Path(), SOut("statbuf", "stat")),
    S("madvise", P("addr"), U("length"), Enum("advice", "madvise_advice")),
    R(kHex, "map_shadow_stack", P("addr"), U("size"), H("flags")),
    S("mbind", P("addr"), U("len"), Enum("mode", "mempolicy_mode"), P("nodemask"), U("maxnode"),
      H("flags")),
    S("membarrier", Enum("cmd", "membarrier_cmd"), U("flags"), I("cpu_id")),
    R(kFd, "memfd_create", Str("name"), Flags("flags", "memfd_flags")),
    R(kFd, "memfd_secret", Flags("flags", "memfd_secret_flags")),
    S("migrate_pages", Pid(), U("maxnode"), P("old_nodes"), P("new_nodes")),
    S("mincore", P("addr"), U("length"), PO("vec")),
    S("mkdir", Path(), Mode()),
    S("mkdirat", DirFd(), Path(), Mode()),
    S("mknod", Path(), Mode(), H("dev")),
    S("mknodat", DirFd(), Path(), Mode(), H("dev")),
    S("mlock", P("addr"), U("len")),
    S("mlock2", P("addr"), U("len"), Flags("flags", "mlock_flags")),
    S("mlockall", Flags("flags", "mlockall_flags")),
    R(kHex, "mmap", P("addr"), U("length"), Flags("prot", "prot"), Flags("flags", "mmap_flags"),
      Fd(), H("offset")),
    R(kHex, "mmap2", P("addr"), U("length"), Flags("prot", "prot"), Flags("flags", "mmap_flags"),
      Fd(), H("pgoffset")),
    S("modify_ldt", I("func"), P("ptr"), U("bytecount")),
    S("mount", Str("source"), Path("target"), Str("filesystemtype"),
      Flags("mountflags", "mount_flags"), Str("data")),
    S("mount_setattr", DirFd(), Path(), Flags("flags", "at_flags"), SIn("attr", "mount_attr", 4),
      U("size")),
    S("move_mount", DirFd("from_dirfd"), Path("from_pathname"), DirFd("to_dirfd"),
      Path("to_pathname"), Flags("flags", "move_mount_flags")),
    S("move_pages", Pid(), U("count"), P("pages"), P("nodes"), PO("status"), H("flags")),
    S("mprotect", P("addr"), U("len"), Flags("prot", "prot")),
    S("mpx"),
    S("mq_getsetattr", Fd("mqdes"), SIn("newattr", "mq_attr"), SOut("oldattr", "mq_attr")),
    S("mq_notify", Fd("mqdes"), SIn("sevp", "sigevent")),
    R(kFd, "mq_open", Str("name"), Flags("oflag", "mq_open_flags"), Mode(), SIn("attr", "mq_attr")),
    S("mq_timedreceive", Fd("mqdes"), OutBuf("msg_ptr", 2), U("msg_len"), SOut("msg_prio", "int"),
      SIn("abs_timeout", "timespec")),
    S("mq_timedreceive_time64", Fd("mqdes"), OutBuf("msg_ptr", 2), U("msg_len"),
      SOut("msg_prio", "int"), SIn("abs_timeout", "timespec")),
    S("mq_timedsend", Fd("mqdes"), InBuf("msg_ptr", 2), U("msg_len"), U("msg_prio"),
      SIn("abs_timeout", "timespec")),
    S("mq_timedsend_time64", Fd("mqdes"), InBuf("msg_ptr", 2), U("msg_len"), U("msg_prio"),
      SIn("abs_timeout", "timespec")),
    S("mq_unlink", Str("name")),
    R(kHex, "mremap", P("old_address"), U("old_size"), U("new_size"),
      Flags("flags", "mremap_flags"), P("new_address")),
    S("mseal", P("addr"), U("len"), U("flags")),
    S("msgctl", I("msqid"), Enum("cmd", "ipc_cmd"), SIn("buf", "msqid_ds")),
    S("msgget", H("key"), Flags("msgflg", "ipc_flags")),
    S("msgrcv", I("msqid"), PO("msgp"), U("msgsz"), I("msgtyp"), Flags("msgflg", "msgrcv_flags")),
    S("msgsnd", I("msqid"), P("msgp"), U("msgsz"), Flags("msgflg", "ipc_flags")),
    S("msync", P("addr"), U("length"), Flags("flags", "msync_flags")),
    S("munlock", P("addr"), U("len")),
    S("munlockall"),
    S("munmap", P("addr"), U("length")),
    S("name_to_handle_at", DirFd(), Path(), SOut("handle", "file_handle"),
      SOut("mount_id", "int"),
      Flags("flags", "at_flags")),
    S("nanosleep", SIn("req", "timespec"), SOut("rem", "timespec")),
    S("newfstatat", DirFd(), Path(), SOut("statbuf", "stat"), Flags("flags", "at_flags")),
    S("nfsservctl", H("cmd"), H("argp"), H("resp")),
    S("nice", I("inc")),
    S("oldfstat", Fd(), PO("statbuf")),
    S("oldlstat", Path(), PO("statbuf")),
    S("oldolduname", PO("buf")),
    S("oldstat", Path(), PO("statbuf")),
    S("olduname", PO("buf")),
    R(kFd, "open", Path(), Flags("flags", "open_flags"), Mode()),
    R(kFd, "open_by_handle_at", Fd("mount_fd"), SIn("handle", "file_handle_in"),
      Flags("flags", "open_flags")),
    R(kFd, "open_tree", DirFd(), Path("path"), Flags("flags", "open_tree_flags")),
    R(kFd, "open_tree_attr", DirFd(), Path("path"), Flags("flags", "open_tree_flags"),
      SIn("uattr", "mount_attr", 4), U("usize")),
    R(kFd, "openat", DirFd(), Path(), Flags("flags", "open_flags"), Mode()),
    R(kFd, "openat2", DirFd(), Path(), SIn("how", "open_how", 3), U("size")),
    S("pause"),
    R(kFd, "perf_event_open", SIn("attr", "perf_event_attr"), Pid(), I("cpu"), Fd("group_fd"),
      Flags("flags", "perf_flags")),
    S("personality", Flags("persona", "personality")),
    R(kFd, "pidfd_getfd", Fd("pidfd"), I("targetfd"), U("flags")),
    R(kFd, "pidfd_open", Pid(), Flags("flags", "pidfd_flags")),
    S("pidfd_send_signal", Fd("pidfd"), Sig(), SIn("info", "siginfo"), U("flags")),
    S("pipe", SOut("pipefd", "pipefds")),
    S("pipe2", SOut("pipefd", "pipefds"), Flags("flags", "pipe_flags")),
    S("pivot_root", Path("new_root"), Path("put_old")),
    S("pkey_alloc", H("flags"), Flags("access_rights", "pkey_access")),
    S("pkey_free", I("pkey")),
    S("pkey_mprotect", P("addr"), U("len"), Flags("prot", "prot"), I("pkey")),
    S("poll", SIn("fds", "pollfd", 1), U("nfds"), I("timeout")),
    S("ppoll", SIn("fds", "pollfd", 1), U("nfds"), SIn("tmo_p", "timespec"),
      SIn("sigmask", "sigset", 4), U("sigsetsize")),
    S("ppoll_time64", SIn("fds", "pollfd", 1), U("nfds"), SIn("tmo_p", "timespec"),
      SIn("sigmask", "sigset", 4), U("sigsetsize")),
    S("prctl", Enum("option", "prctl_option"), H("arg2"), H("arg3"), H("arg4"), H("arg5")),
    S("pread64", Fd(), OutBuf("buf", 2), U("count"), Off()),
    S("preadv", Fd(), SOut("iov", "iovec", 2), I("iovcnt"), Off()),
    S("preadv2", Fd(), SOut("iov", "iovec", 2), I("iovcnt"), Off(), H("pos_h"),
      Flags("flags", "rwf_flags")),
    S("prlimit64", Pid(), Enum("resource", "rlimit_resource"), SIn("new_limit", "rlimit"),
      SOut("old_limit", "rlimit")),
    S("process_madvise", Fd("pidfd"), SIn("iovec", "iovec", 2), U("vlen"),
      Enum("advice", "madvise_advice"), U("flags")),
    S("process_mrelease", Fd("pidfd"), U("flags")),
    S("process_vm_readv", Pid(), SOut("local_iov", "iovec", 2), U("liovcnt"),
      SIn("remote_iov", "iovec", 4), U("riovcnt"), U("flags")),
    S("process_vm_writev", Pid(), SIn("local_iov", "iovec", 2), U("liovcnt"),
      SIn("remote_iov", "iovec", 4), U("riovcnt"), U("flags")),
    S("prof"),
    S("profil"),
    S("pselect6", I("nfds"), SIn("readfds", "fd_set"), SIn("writefds", "fd_set"),
      SIn("exceptfds", "fd_set"), SIn("timeout", "timespec"),
      SIn("sigmask", "pselect6_sigmask")),
    S("pselect6_time64", I("nfds"), SIn("readfds", "fd_set"), SIn("writefds", "fd_set"),
      SIn("exceptfds", "fd_set"), SIn("timeout", "timespec"),
      SIn("sigmask", "pselect6_sigmask")),
    S("ptrace", Enum("request", "ptrace_request"), Pid(), P("addr"), P("data")),
    S("putpmsg", Fd(), H("ctlptr"), H("dataptr"), H("band"), H("flags")),
    S("pwrite64", Fd(), InBuf("buf", 2), U("count"), Off()),
    S("pwritev", Fd(), SIn("iov", "iovec", 2), I("iovcnt"), Off()),
    S("pwritev2", Fd(), SIn("iov", "iovec", 2), I("iovcnt"), Off(), H("pos_h"),
      Flags("flags", "rwf_flags")),
    S("query_module", H("name"), H("which"), H("buf"), H("bufsize"), H("ret")),
    S("quotactl", H("cmd"), Path("special"), I("id"), P("addr")),
    S("quotactl_fd", Fd(), H("cmd"), I("id"), P("addr")),
    S("read", Fd(), OutBuf("buf", 2), U("count")),
    S("readahead", Fd(), Off(), U("count")),
    S("readdir", Fd(), PO("dirp"), U("count")),
    S("readlink", Path(), OutBuf("buf", 2), U("bufsiz")),
    S("readlinkat", DirFd(), Path(), OutBuf("buf", 3), U("bufsiz")),
    S("readv", Fd(), SOut("iov", "iovec", 2), I("iovcnt")),
    S("reboot", Enum("magic", "reboot_magic"), Enum("magic2", "reboot_magic"),
      Enum("cmd", "reboot_cmd"), P("arg")),
    S("recvfrom", Fd("sockfd"), OutBuf("buf", 2), U("len"), Flags("flags", "msg_flags"),
      SOut("src_addr", "sockaddr", 5), SOut("addrlen", "socklen")),
    S("recvmmsg", Fd("sockfd"), SOut("msgvec", "mmsghdr", 2), U("vlen"),
      Flags("flags", "msg_flags"), SIn("timeout", "timespec")),
    S("recvmmsg_time64", Fd("sockfd"), SOut("msgvec", "mmsghdr", 2), U("vlen"),
      Flags("flags", "msg_flags"), SIn("timeout", "timespec")),
    S("recvmsg", Fd("sockfd"), SOut("msg", "msghdr"), Flags("flags", "msg_flags")),
    S("remap_file_pages", P("addr"), U("size"), Flags("prot", "prot"), U("pgoff"),
      Flags("flags", "mmap_flags")),
    S("removexattr", Path(), Str("name")),
    S("removexattrat", DirFd(), Path(), Flags("at_flags", "at_flags"), Str("name")),
    S("rename", Path("oldpath"), Path("newpath")),
    S("renameat", DirFd("olddirfd"), Path("oldpath"), DirFd("newdirfd"), Path("newpath")),
    S("renameat2", DirFd("olddirfd"), Path("oldpath"), DirFd("newdirfd"), Path("newpath"),
      Flags("flags", "rename_flags")),
    S("request_key", Str("type"), Str("description"), Str("callout_info"),
      Enum("dest_keyring", "key_spec")),
    S("restart_syscall"),
    S("rmdir", Path()),
    S("rseq", SIn("rseq", "rseq"), U("rseq_len"), Flags("flags", "rseq_flags"), H("sig")),
    S("rt_sigaction", Sig("signum"), SIn("act", "sigaction"), SOut("oldact", "sigaction"),
      U("sigsetsize")),
    S("rt_sigpending", SOut("set", "sigset", 1), U("sigsetsize")),
    S("rt_sigprocmask", Enum("how", "sigprocmask_how"), SIn("set", "sigset", 3),
      SOut("oldset", "sigset", 3), U("sigsetsize")),
    S("rt_sigqueueinfo", Pid("tgid"), Sig(), SIn("info", "siginfo")),
    S("rt_sigreturn"),
    S("rt_sigsuspend", SIn("mask", "sigset", 1), U("sigsetsize")),
    S("rt_sigtimedwait", SIn("set", "sigset", 3), SOut("info", "siginfo"),
      SIn("timeout", "timespec"), U("sigsetsize")),
    S("rt_sigtimedwait_time64", SIn("set", "sigset", 3), SOut("info", "siginfo"),
      SIn("timeout", "timespec"), U("sigsetsize")),
    S("rt_tgsigqueueinfo", Pid("tgid"), Pid("tid"), Sig(), SIn("info", "siginfo")),
    S("sched_get_priority_max", Enum("policy", "sched_policy")),
    S("sched_get_priority_min", Enum("policy", "sched_policy")),
    S("sched_getaffinity", Pid(), U("cpusetsize"), PO("mask")),
    S("sched_getattr", Pid(), SOut("attr", "sched_attr", 2), U("size"), U("flags")),
    S("sched_getparam", Pid(), SOut("param", "sched_param")),
    S("sched_getscheduler", Pid()),
    S("sched_rr_get_interval", Pid(), SOut("tp", "timespec")),
    S("sched_rr_get_interval_time64", Pid(), SOut("tp", "timespec")),
    S("sched_setaffinity", Pid(), U("cpusetsize"), P("mask")),
    S("sched_setattr", Pid(), SIn("attr", "sched_attr"), U("flags")),
    S("sched_setparam", Pid(), SIn("param", "sched_param")),
    S("sched_setscheduler", Pid(), Enum("policy", "sched_policy"), SIn("param", "sched_param")),
    S("sched_yield"),
    S("seccomp", Enum("operation", "seccomp_op"), Flags("flags", "seccomp_flags"),
      SIn("args", "sock_fprog")),
    S("security", H("arg1"), H("arg2"), H("arg3")),
    S("select", I("nfds"), SIn("readfds", "fd_set"), SIn("writefds", "fd_set"),
      SIn("exceptfds", "fd_set"), SIn("timeout", "timeval")),
    S("semctl", I("semid"), I("semnum"), Enum("cmd", "ipc_cmd"), P("arg")),
    S("semget", H("key"), I("nsems"), Flags("semflg", "ipc_flags")),
    S("semop", I("semid"), SIn("sops", "sembuf", 2), U("nsops")),
    S("semtimedop", I("semid"), SIn("sops", "sembuf", 2), U("nsops"), SIn("timeout", "timespec")),
    S("semtimedop_time64", I("semid"), SIn("sops", "sembuf", 2), U("nsops"),
      SIn("timeout", "timespec")),
    S("sendfile", Fd("out_fd"), Fd("in_fd"), SIn("offset", "uint64"), U("count")),
    S("sendfile64", Fd("out_fd"), Fd("in_fd"), SIn("offset", "uint64"), U("count")),
    S("sendmmsg", Fd("sockfd"), SIn("msgvec", "mmsghdr", 2), U("vlen"),
      Flags("flags", "msg_flags")),
    S("sendmsg", Fd("sockfd"), SIn("msg", "msghdr"), Flags("flags", "msg_flags")),
    S("sendto", Fd("sockfd"), InBuf("buf", 2), U("len"), Flags("flags", "msg_flags"),
      SIn("dest_addr", "sockaddr", 5), U("addrlen")),
    S("set_mempolicy", Enum("mode", "mempolicy_mode"), P("nodemask"), U("maxnode")),
    S("set_mempolicy_home_node", P("start"), U("len"), U("home_node"), U("flags")),
    S("set_robust_list", SIn("head", "robust_list"), U("len")),
    S("set_thread_area", SIn("u_info", "user_desc")),
    R(kPid, "set_tid_address", H("tidptr")),
    S("setdomainname", InBuf("name", 1), U("len")),
    S("setfsgid", Uid("fsgid")),
    S("setfsgid32", Uid("fsgid")),
    S("setfsuid", Uid("fsuid")),
    S("setfsuid32", Uid("fsuid")),
    S("setgid", Uid("gid")),
    S("setgid32", Uid("gid")),
    S("setgroups", U("size"), P("list")),
    S("setgroups32", U("size"), P("list")),
    S("sethostname", InBuf("name", 1), U("len")),
    S("setitimer", Enum("which", "itimer_which"), SIn("new_value", "itimerval"),
      SOut("old_value", "itimerval")),
    S("setns", Fd(), Flags("nstype", "setns_types")),
    S("setpgid", Pid(), Pid("pgid")),
    S("setpriority", Enum("which", "priority_which"), I("who"), I("prio")),
    S("setregid", Uid("rgid"), Uid("egid")),
    S("setregid32", Uid("rgid"), Uid("egid")),
    S("setresgid", Uid("rgid"), Uid("egid"), Uid("sgid")),
    S("setresgid32", Uid("rgid"), Uid("egid"), Uid("sgid")),
    S("setresuid", Uid("ruid"), Uid("euid"), Uid("suid")),
    S("setresuid32", Uid("ruid"), Uid("euid"), Uid("suid")),
    S("setreuid", Uid("ruid"), Uid("euid")),
    S("setreuid32", Uid("ruid"), Uid("euid")),
    S("setrlimit", Enum("resource", "rlimit_resource"), SIn("rlim", "rlimit")),
    R(kPid, "setsid"),
    S("setsockopt", Fd("sockfd"), Enum("level", "socket_level"), Enum("optname", "socket_option"),
      SIn("optval", "sockopt", 4), U("optlen")),
    S("settimeofday", SIn("tv", "timeval"), SIn("tz", "timezone")),
    S("setuid", Uid("uid")),
    S("setuid32", Uid("uid")),
    S("setxattr", Path(), Str("name"), InBuf("value", 3), U("size"), Flags("flags", "xattr_flags")),
    S("setxattrat", DirFd(), Path(), Flags("at_flags", "at_flags"), Str("name"), P("uargs"),
      U("usize")),
    S("sgetmask"),
    R(kHex, "shmat", I("shmid"), P("shmaddr"), Flags("shmflg", "shmat_flags")),
    S("shmctl", I("shmid"), Enum("cmd", "ipc_cmd"), SIn("buf", "shmid_ds")),
    S("shmdt", P("shmaddr")),
    S("shmget", H("key"), U("size"), Flags("shmflg", "ipc_flags")),
    S("shutdown", Fd("sockfd"), Enum("how", "shutdown_how")),
    S("sigaction", Sig("signum"), P("act"), PO("oldact")),
    S("sigaltstack", SIn("ss", "stack_t"), SOut("old_ss", "stack_t")),
    S("signal", Sig("signum"), P("handler")),
    R(kFd, "signalfd", Fd(), SIn("mask", "sigset", 2), U("sizemask")),
    R(kFd, "signalfd4", Fd(), SIn("mask", "sigset", 2), U("sizemask"),
      Flags("flags", "signalfd_flags")),
    S("sigpending", PO("set")),
    S("sigprocmask", Enum("how", "sigprocmask_how"), P("set"), PO("oldset")),
    S("sigreturn"),
    S("sigsuspend", I("unused1"), I("unused2"), H("mask")),
    R(kFd, "socket", Enum("domain", "address_family"), Flags("type", "socket_type"),
      Enum("protocol", "ip_protocol")),
    S("socketcall", I("call"), P("args")),
    S("socketpair", Enum("domain", "address_family"), Flags("type", "socket_type"),
      Enum("protocol", "ip_protocol"), SOut("sv", "pipefds")),
    S("splice", Fd("fd_in"), SIn("off_in", "uint64"), Fd("fd_out"), SIn("off_out", "uint64"),
      U("len"), Flags("flags", "splice_flags")),
    S("ssetmask", H("newmask")),
    S("stat", Path(), SOut("statbuf", "stat")),
    S("stat64", Path(), SOut("statbuf", "stat")),
    S("statfs", Path("path"), SOut("buf", "statfs")),
    S("statfs64", Path("path"), U("sz"), SOut("buf", "statfs")),
    S("statmount", P("req"), PO("buf"), U("bufsize"), U("flags")),
    S("statx", DirFd(), Path(), Flags("flags", "statx_flags"), Flags("mask", "statx_mask"),
      SOut("statxbuf", "statx")),
    S("stime", P("t")),
    S("stty"),
    S("swapoff", Path("path")),
    S("swapon", Path("path"), Flags("swapflags", "swap_flags")),
    S("symlink", Str("target"), Path("linkpath")),
    S("symlinkat", Str("target"), DirFd("newdirfd"), Path("linkpath")),
    S("sync"),
    S("sync_file_range", Fd(), Off(), U("nbytes"), Flags("flags", "sync_file_range_flags")),
    S("syncfs", Fd()),
    S("sysfs", H("option"), H("arg1"), H("arg2")),
    S("sysinfo", SOut("info", "sysinfo")),
    S("syslog", Enum("type", "syslog_action"), OutBuf("bufp", 2), I("len")),
    S("tee", Fd("fd_in"), Fd("fd_out"), U("len"), Flags("flags", "splice_flags")),
    S("tgkill", Pid("tgid"), Pid("tid"), Sig()),
    S("time", PO("tloc")),
    S("timer_create", Enum("clockid", "clockid"), SIn("sevp", "sigevent"),
      SOut("timerid", "int")),
    S("timer_delete", I("timerid")),
    S("timer_getoverrun", I("timerid")),
    S("timer_gettime", I("timerid"), SOut("curr_value", "itimerspec")),
    S("timer_gettime64", I("timerid"), SOut("curr_value", "itimerspec")),
    S("timer_settime", I("timerid"), Flags("flags", "timer_flags"), SIn("new_value", "itimerspec"),
      SOut("old_value", "itimerspec")),
    S("timer_settime64", I("timerid"), Flags("flags", "timer_flags"),
      SIn("new_value", "itimerspec"), SOut("old_value", "itimerspec")),
    R(kFd, "timerfd_create", Enum("clockid", "clockid"), Flags("flags", "timerfd_flags")),
    S("timerfd_gettime", Fd(), SOut("curr_value", "itimerspec")),
    S("timerfd_gettime64", Fd(), SOut("curr_value", "itimerspec")),
    S("timerfd_settime", Fd(), Flags("flags", "timerfd_flags"), SIn("new_value", "itimerspec"),
      SOut("old_value", "itimerspec")),
    S("timerfd_settime64", Fd(), Flags("flags", "timerfd_flags"), SIn("new_value", "itimerspec"),
      SOut("old_value", "itimerspec")),
    S("times", SOut("buf", "tms")),
    S("tkill", Pid("tid"), Sig()),
    S("truncate", Path("path"), Off("length")),
    S("truncate64", Path("path"), H("length_lo"), H("length_hi")),
    S("tuxcall", H("arg1"), H("arg2"), H("arg3")),
    S("ugetrlimit", Enum("resource", "rlimit_resource"), SOut("rlim", "rlimit")),
    S("ulimit", I("cmd"), I("newlimit")),
    S("umask", Mode("mask")),
    S("umount", Path("target")),
    S("umount2", Path("target"), Flags("flags", "umount_flags")),
    S("uname", SOut("buf", "utsname")),
    S("unlink", Path()),
    S("unlinkat", DirFd(), Path(), Flags("flags", "at_flags")),
    S("unshare", Flags("flags", "unshare_flags")),
    S("uprobe"),
    S("uretprobe"),
    S("uselib", Path("library")),
    R(kFd, "userfaultfd", Flags("flags", "userfaultfd_flags")),
    S("ustat", H("dev"), PO("ubuf")),
    S("utime", Path("filename"), SIn("times", "utimbuf")),
    S("utimensat", DirFd(), Path(), SIn("times", "timespec"), Flags("flags", "at_flags")),
    S("utimensat_time64", DirFd(), Path(), SIn("times", "timespec"), Flags("flags", "at_flags")),
    S("utimes", Path("filename"), SIn("times", "timeval")),
    R(kPid, "vfork"),
    S("vhangup"),
    S("vm86", H("fn"), P("v86")),
    S("vm86old", P("info")),
    S("vmsplice", Fd(), SIn("iov", "iovec", 2), U("nr_segs"), Flags("flags", "splice_flags")),
    S("vserver", H("arg1"), H("arg2"), H("arg3"), H("arg4"), H("arg5")),
    R(kPid, "wait4", Pid(), SOut("wstatus", "int"), Flags("options", "wait_options"),
      SOut("rusage", "rusage")),
    S("waitid", Enum("idtype", "waitid_which"), I("id"), SOut("infop", "siginfo"),
      Flags("options", "wait_options"), SOut("rusage", "rusage")),
    R(kPid, "waitpid", Pid(), SOut("wstatus", "int"), Flags("options", "wait_options")),
    S("write", Fd(), InBuf("buf", 2), U("count")),
    S("writev", Fd(), SIn("iov", "iovec", 2), I("iovcnt")),
};

constexpr bool NameLess(const SyscallSig& a, const SyscallSig& b) {
  return std::string_view(a.name) < std::string_view(b.name);
}
static_assert(std::is_sorted(std::begin(kSignatures), std::end(kSignatures), NameLess),
              "kSignatures must be sorted by name");
static_assert(std::adjacent_find(std::begin(kSignatures), std::end(kSignatures),
                                 [](const SyscallSig& a, const SyscallSig& b) {
                                   return std::string_view(a.name) == std::string_view(b.name);
                                 }) == std::end(kSignatures),
              "duplicate signature");

// Every buffer/array length refers to an argument the signature has.
constexpr bool LengthsValid() {
  for (const SyscallSig& s : kSignatures) {
    for (int i = 0; i < s.nargs; ++i) {
      if (s.args[i].name == nullptr) return false;
      if (s.args[i].len_arg >= s.nargs) return false;
      if ((s.args[i].kind == ArgKind::kInBuf || s.args[i].kind == ArgKind::kOutBuf) &&
          s.args[i].len_arg < 0) {
        return false;
      }
    }
  }
  return true;
}
static_assert(LengthsValid());

// Arguments whose C type (the kernel's SYSCALL_DEFINE parameter) differs from what their kind
// implies (see ArgType): unsigned int counts and flags printed as kUInt/kHex, int lengths, and
// the unsigned long flag words.
struct CTypeOverride {
  std::string_view syscall;
  std::string_view arg;
  ArgSpec::CType ctype;
};
constexpr ArgSpec::CType kU32 = ArgSpec::CType::kU32;
constexpr ArgSpec::CType kS32 = ArgSpec::CType::kS32;
constexpr ArgSpec::CType kU64 = ArgSpec::CType::kU64;
constexpr ArgSpec::CType kS64 = ArgSpec::CType::kS64;
constexpr CTypeOverride kCTypeOverrides[] = {
    // unsigned long flag words
    {"clone", "flags", kU64}, {"mmap", "prot", kU64}, {"mmap", "flags", kU64},
    {"mmap2", "prot", kU64}, {"mmap2", "flags", kU64}, {"mprotect", "prot", kU64},
    {"pkey_mprotect", "prot", kU64}, {"remap_file_pages", "prot", kU64},
    {"remap_file_pages", "flags", kU64}, {"mremap", "flags", kU64},
    {"mount", "mountflags", kU64}, {"unshare", "flags", kU64}, {"kexec_load", "flags", kU64},
    {"fanotify_mark", "mask", kU64}, {"get_mempolicy", "flags", kU64}, {"mbind", "flags", kU64},
    {"move_pages", "flags", kU64},
    // long
    {"ptrace", "request", kS64}, {"msgrcv", "msgtyp", kS64},
    // unsigned int
    {"alarm", "seconds", kU32}, {"close_range", "last", kU32}, {"copy_file_range", "flags", kU32},
    {"eventfd", "initval", kU32}, {"eventfd2", "initval", kU32}, {"futex", "val", kU32},
    {"futex", "val3", kU32}, {"futex_time64", "val", kU32}, {"futex_time64", "val3", kU32},
    {"futex_requeue", "flags", kU32}, {"futex_wait", "flags", kU32},
    {"futex_waitv", "nr_futexes", kU32}, {"futex_waitv", "flags", kU32},
    {"futex_wake", "flags", kU32}, {"getdents", "count", kU32}, {"getdents64", "count", kU32},
    {"io_setup", "nr_events", kU32}, {"io_uring_enter", "to_submit", kU32},
    {"io_uring_enter", "min_complete", kU32}, {"io_uring_register", "nr_args", kU32},
    {"io_uring_setup", "entries", kU32}, {"ipc", "call", kU32},
    {"landlock_add_rule", "flags", kU32}, {"landlock_restrict_self", "flags", kU32},
    {"listmount", "flags", kU32}, {"lsm_get_self_attr", "attr", kU32},
    {"lsm_get_self_attr", "flags", kU32}, {"lsm_list_modules", "flags", kU32},
    {"lsm_set_self_attr", "attr", kU32}, {"lsm_set_self_attr", "size", kU32},
    {"lsm_set_self_attr", "flags", kU32}, {"membarrier", "flags", kU32},
    {"memfd_secret", "flags", kU32}, {"mq_timedsend", "msg_prio", kU32},
    {"mq_timedsend_time64", "msg_prio", kU32}, {"pidfd_getfd", "flags", kU32},
    {"pidfd_send_signal", "flags", kU32}, {"poll", "nfds", kU32}, {"ppoll", "nfds", kU32},
    {"ppoll_time64", "nfds", kU32}, {"process_madvise", "flags", kU32},
    {"process_mrelease", "flags", kU32}, {"readdir", "count", kU32}, {"recvmmsg", "vlen", kU32},
    {"recvmmsg_time64", "vlen", kU32}, {"sendmmsg", "vlen", kU32}, {"rseq", "rseq_len", kU32},
    {"sched_getaffinity", "cpusetsize", kU32}, {"sched_setaffinity", "cpusetsize", kU32},
    {"sched_getattr", "size", kU32}, {"sched_getattr", "flags", kU32},
    {"sched_setattr", "flags", kU32}, {"semop", "nsops", kU32}, {"semtimedop", "nsops", kU32},
    {"semtimedop_time64", "nsops", kU32}, {"statmount", "flags", kU32},
    {"cachestat", "flags", kU32}, {"bpf", "size", kU32}, {"map_shadow_stack", "flags", kU32},
    {"mknod", "dev", kU32}, {"mknodat", "dev", kU32}, {"quotactl", "cmd", kU32},
    {"quotactl_fd", "cmd", kU32}, {"landlock_add_rule", "rule_type", kU32},
    {"add_key", "keyring", kS32}, {"request_key", "dest_keyring", kS32},
    // int
    {"bind", "addrlen", kS32}, {"connect", "addrlen", kS32}, {"sendto", "addrlen", kS32},
    {"setsockopt", "optlen", kS32}, {"readlink", "bufsiz", kS32}, {"readlinkat", "bufsiz", kS32},
    {"setdomainname", "len", kS32}, {"sethostname", "len", kS32}, {"setgroups", "size", kS32},
    {"setgroups32", "size", kS32}, {"msgget", "key", kS32}, {"semget", "key", kS32},
    {"shmget", "key", kS32}, {"prctl", "option", kS32}, {"socket", "domain", kS32},
    {"socket", "protocol", kS32}, {"socketpair", "domain", kS32},
    {"socketpair", "protocol", kS32}, {"arch_prctl", "code", kS32},
};

// Every override names an existing syscall and argument.
constexpr const SyscallSig* FindSig(std::string_view name) {
  for (const SyscallSig& s : kSignatures)
    if (name == s.name) return &s;
  return nullptr;
}
constexpr bool OverridesValid() {
  for (const CTypeOverride& o : kCTypeOverrides) {
    const SyscallSig* s = FindSig(o.syscall);
    if (s == nullptr) return false;
    bool found = false;
    for (int i = 0; i < s->nargs; ++i) found = found || std::string_view(s->args[i].name) == o.arg;
    if (!found) return false;
  }
  return true;
}
static_assert(OverridesValid(), "kCTypeOverrides names an unknown syscall or argument");

}  // namespace

std::span<const SyscallSig> AllSignatures() { return kSignatures; }

ArgSpec::CType DeclaredCType(const SyscallSig& sig, int arg) {
  if (arg < 0 || arg >= sig.nargs) return ArgSpec::CType::kU64;
  // Looked up for every argument of every syscall when the width table is built: by name.
  static const auto* const by_syscall = [] {
    auto* m = new std::unordered_multimap<std::string_view, const CTypeOverride*>;
    for (const CTypeOverride& o : kCTypeOverrides) m->emplace(o.syscall, &o);
    return m;
  }();
  const std::string_view arg_name(sig.args[arg].name);
  for (auto [it, end] = by_syscall->equal_range(sig.name); it != end; ++it)
    if (it->second->arg == arg_name) return it->second->ctype;
  if (sig.args[arg].ctype != ArgSpec::CType::kByKind) return sig.args[arg].ctype;
  switch (sig.args[arg].kind) {
    case ArgKind::kInt:
    case ArgKind::kFd:
    case ArgKind::kDirFd:
    case ArgKind::kSignal:
    case ArgKind::kPid:
      return ArgSpec::CType::kS32;
    case ArgKind::kUid:
    case ArgKind::kFlags:
    case ArgKind::kEnum:
      return ArgSpec::CType::kU32;
    case ArgKind::kMode:
      return ArgSpec::CType::kU16;
    case ArgKind::kOffset:
      return ArgSpec::CType::kS64;
    default:  // sizes, pointers, addresses, unsigned long words
      return ArgSpec::CType::kU64;
  }
}

}  // namespace pwnbox::core
