// The rest of the x86-64 table that can be called safely, for the decoding-fidelity test
// (it_decode_fidelity_test), between write(-1, "dc_rest:begin", 13) and "dc_rest:end": calls
// that fail on bad arguments (bad ids, NULL pointers, lengths the kernel rejects before acting),
// the retired ones that return ENOSYS, and a few harmless successes. Left out: calls whose
// result is a pid or a time (they differ between runs), and calls that block, never return or
// need a privilege to be tried safely (pause, exit, execve, fork, rt_sigreturn, vhangup, sync).
#include <fcntl.h>
#include <linux/landlock.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NX "/nonexistent/dc"

static void Marker(const char* s) { syscall(SYS_write, -1, s, strlen(s)); }

int main(void) {
  static char buf[1024];
  char* page = (char*)syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  page[0] = 1;
  Marker("dc_rest:begin");
  // retired: ENOSYS (strace prints most of them raw, in hex, with its own argument counts; the
  // registers it shows beyond what syscall(2) was given are the same in both runs)
  syscall(SYS_afs_syscall);
  syscall(SYS_create_module, "dc", 0);
  syscall(SYS_get_kernel_syms, NULL);
  syscall(SYS_query_module, "dc", 0, NULL, 0, NULL);
  syscall(SYS_nfsservctl, 0, NULL, NULL);
  syscall(SYS_getpmsg, -1, NULL, NULL, NULL, NULL);
  syscall(SYS_putpmsg, -1, NULL, NULL, 0, 0);
  syscall(SYS_security);
  syscall(SYS_tuxcall);
  syscall(SYS_vserver);
  syscall(SYS_epoll_ctl_old, -1, 1, -1, NULL);
  syscall(SYS_epoll_wait_old, -1, NULL, 0);
  syscall(SYS__sysctl, NULL);
  syscall(SYS_lookup_dcookie, 0, NULL, 0);
  syscall(SYS_uselib, NX);
  syscall(SYS_set_thread_area, NULL);
  syscall(SYS_get_thread_area, NULL);
  // bad arguments
  syscall(SYS_add_key, "dc_nonexistent_type", "dc", NULL, 0, -1);
  syscall(SYS_keyctl, 99999, 0, 0, 0, 0);
  syscall(SYS_clock_adjtime, CLOCK_REALTIME, NULL);
  syscall(SYS_clock_gettime, CLOCK_MONOTONIC, NULL);
  syscall(SYS_clock_settime, CLOCK_MONOTONIC, NULL);
  syscall(SYS_arch_prctl, 0x9999, 0);
  syscall(SYS_bpf, 99, NULL, 0);
  syscall(SYS_capset, NULL, NULL);
  syscall(SYS_getdents, -1, buf, 10);
  syscall(SYS_getrusage, RUSAGE_SELF, NULL);
  syscall(SYS_init_module, NULL, 0, "");
  syscall(SYS_io_cancel, 0, NULL, NULL);
  syscall(SYS_io_submit, 0, 0, NULL);
  syscall(SYS_io_pgetevents, 0, 0, 0, NULL, NULL, NULL);
  syscall(SYS_io_uring_setup, 0, NULL);
  syscall(SYS_ioprio_set, 1, 0x7ffffff0, 0);
  syscall(SYS_kexec_file_load, -1, -1, 0, NULL, 0);
  syscall(SYS_landlock_add_rule, -1, LANDLOCK_RULE_PATH_BENEATH, NULL, 0);
  syscall(SYS_mount_setattr, -1, "", 0, NULL, 0);
  syscall(SYS_pkey_free, -1);
  syscall(SYS_process_vm_writev, 0x7ffffff0, NULL, 0, NULL, 0, 0);
  syscall(SYS_ptrace, PTRACE_PEEKDATA, 0x7ffffff0, 0, 0);
  syscall(SYS_reboot, 0, 0, 0, NULL);
  syscall(SYS_rt_tgsigqueueinfo, 0x7ffffff0, 0x7ffffff0, SIGUSR1, NULL);
  syscall(SYS_sched_rr_get_interval, 0x7ffffff0, buf);
  syscall(SYS_sched_setaffinity, 0x7ffffff0, 8, buf);
  syscall(SYS_sched_setattr, 0x7ffffff0, NULL, 0);
  syscall(SYS_sched_setparam, 0x7ffffff0, NULL);
  syscall(SYS_semtimedop, -1, NULL, 0, NULL);
  syscall(SYS_set_mempolicy_home_node, 0, 0, 0, 0);
  syscall(SYS_set_robust_list, NULL, 0);
  syscall(SYS_setdomainname, NULL, -1);
  syscall(SYS_sethostname, NULL, -1);
  syscall(SYS_setgroups, -1, NULL);
  syscall(SYS_setrlimit, 99, NULL);
  syscall(SYS_sysfs, 99, 0, 0);
  syscall(SYS_sysinfo, NULL);
  syscall(SYS_syslog, 99, NULL, 0);
  syscall(SYS_timer_create, 99, NULL, buf);
  syscall(SYS_ustat, 0, buf);
  // harmless successes
  syscall(SYS_settimeofday, NULL, NULL);
  syscall(SYS_gettimeofday, NULL, NULL);
  syscall(SYS_getcpu, NULL, NULL, NULL);
  syscall(SYS_inotify_init);  // fd 3
  syscall(SYS_close, 3);
  int fds[2];
  syscall(SYS_pipe, fds);  // [3, 4]
  syscall(SYS_close, 3);
  syscall(SYS_close, 4);
  syscall(SYS_mbind, page, 4096, 0, NULL, 0, 0);
  syscall(SYS_mincore, page, 4096, buf);
  syscall(SYS_pkey_mprotect, page, 4096, PROT_READ, -1);
  syscall(SYS_uname, buf);
  syscall(SYS_iopl, 0);
  syscall(SYS_ioperm, 0x80, 1, 0);
  Marker("dc_rest:end");
  return 0;
}
