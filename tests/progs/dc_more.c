// More of the x86-64 table for the decoding-fidelity test (it_decode_fidelity_test), between
// the marker writes write(-1, "dc_more:begin", 13) and "dc_more:end": SysV IPC, timers, message
// queues, process and scheduling queries, and the same calls again with junk in the upper half
// of every int argument (the kernel reads the low 32 bits; so must the decoder). Arguments are
// chosen so that nothing changes outside this process and the lines are the same on every run.
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/fanotify.h>
#include <linux/kcmp.h>
#include <linux/keyctl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NX "/nonexistent/dc"
#define JUNK 0x5a5a5a5a00000000ULL
#define J(v) (JUNK | (uint32_t)(v))

static void Marker(const char* s) { syscall(SYS_write, -1, s, strlen(s)); }

int main(void) {
  static char buf[512];
  static struct stat st;
  struct timespec ts0 = {0, 0};
  Marker("dc_more:begin");

  // ---- SysV IPC (keys that do not exist, ids that are not valid) ----
  syscall(SYS_msgget, 0x7ffffff1, 0600);
  syscall(SYS_semget, 0x7ffffff1, 1, 0600);
  syscall(SYS_shmget, 0x7ffffff1, 4096, 0600);
  syscall(SYS_msgctl, -1, IPC_STAT, buf);
  syscall(SYS_semctl, -1, 0, IPC_RMID, 0);
  syscall(SYS_shmctl, -1, IPC_RMID, NULL);
  syscall(SYS_msgsnd, -1, buf, 10, IPC_NOWAIT);
  syscall(SYS_msgrcv, -1, buf, 10, 0, IPC_NOWAIT | MSG_NOERROR);
  syscall(SYS_semop, -1, NULL, 0);
  syscall(SYS_shmat, -1, NULL, SHM_RDONLY);
  syscall(SYS_shmdt, (void*)0x1000);

  // ---- timers, clocks ----
  struct itimerval itv0 = {{0, 0}, {0, 0}};
  syscall(SYS_setitimer, ITIMER_REAL, &itv0, NULL);
  syscall(SYS_timer_settime, 12345, TIMER_ABSTIME, NULL, NULL);
  syscall(SYS_timer_gettime, 12345, buf);
  syscall(SYS_timer_getoverrun, 12345);
  syscall(SYS_timerfd_settime, -1, TFD_TIMER_ABSTIME, NULL, NULL);
  syscall(SYS_clock_nanosleep, CLOCK_REALTIME, TIMER_ABSTIME, &ts0, NULL);
  syscall(SYS_epoll_pwait2, -1, buf, 1, &ts0, NULL, 8);

  // ---- message queues, keys ----
  syscall(SYS_mq_timedsend, -1, "x", 1, 0, NULL);
  syscall(SYS_mq_timedreceive, -1, buf, 10, NULL, NULL);
  syscall(SYS_mq_notify, -1, NULL);
  syscall(SYS_mq_getsetattr, -1, NULL, buf);
  syscall(SYS_request_key, "user", "dc_nonexistent", NULL, 0);

  // ---- processes, scheduling, identity ----
  uint32_t r, e, s;
  syscall(SYS_getresuid, &r, &e, &s);
  syscall(SYS_getresgid, &r, &e, &s);
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  syscall(SYS_capget, &hdr, NULL);
  syscall(SYS_sched_getparam, 0, buf);
  syscall(SYS_sched_getattr, 0, buf, 48, 0);
  syscall(SYS_get_robust_list, 0x7ffffff0, buf, buf + 8);
  syscall(SYS_tgkill, 0x7ffffff0, 0x7ffffff0, 0);
  syscall(SYS_tkill, 0x7ffffff0, SIGTERM);
  syscall(SYS_rt_sigqueueinfo, 0x7ffffff0, SIGUSR1, NULL);
  syscall(SYS_kcmp, 0x7ffffff0, 0x7ffffff0, KCMP_FILE, 0, 0);
  syscall(SYS_process_vm_readv, 0x7ffffff0, NULL, 0, NULL, 0, 0);
  syscall(SYS_move_pages, 0, 0, NULL, NULL, NULL, 0);
  syscall(SYS_migrate_pages, 0x7ffffff0, 0, NULL, NULL);
  syscall(SYS_setpriority, PRIO_PROCESS, 0x7ffffff0, 0);
  syscall(SYS_getpgid, 0x7ffffff0);
  syscall(SYS_getsid, 0x7ffffff0);
  syscall(SYS_setpgid, 0x7ffffff0, 0);
  syscall(SYS_sched_setscheduler, 0x7ffffff0, SCHED_OTHER, buf);
  syscall(SYS_sched_getaffinity, 0x7ffffff0, 128, buf);
  syscall(SYS_wait4, 0x7ffffff0, NULL, 0, NULL);
  syscall(SYS_waitid, P_PID, 0x7ffffff0, buf, WEXITED, NULL);
  syscall(SYS_waitid, P_PIDFD, -1, buf, WEXITED | WNOWAIT, NULL);

  // ---- files, more ----
  syscall(SYS_utime, NX, NULL);
  syscall(SYS_pivot_root, NX, NX);
  syscall(SYS_swapoff, NX);
  syscall(SYS_fanotify_mark, -1, FAN_MARK_ADD | FAN_MARK_ONLYDIR, FAN_OPEN, AT_FDCWD, NX);
  syscall(SYS_open_by_handle_at, -1, buf, O_RDONLY);
  syscall(SYS_epoll_create, 1);  // fd 3
  syscall(SYS_close, 3);
  syscall(SYS_eventfd, 0);  // fd 3
  syscall(SYS_close, 3);
  syscall(SYS_signalfd, -1, buf, 8);  // fd 3: a new signalfd
  syscall(SYS_close, 3);
  syscall(SYS_io_getevents, 0, 0, 0, NULL, NULL);
  syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0);
  syscall(SYS_io_uring_register, -1, 0, NULL, 0);
  syscall(SYS_futex_waitv, NULL, 0, 0, NULL, CLOCK_MONOTONIC);
  syscall(SYS_remap_file_pages, 0, 0, 0, 0, 0);

  // ---- the same kinds of argument with junk in the upper half of each int ----
  syscall(SYS_read, J(-1), buf, 10);
  syscall(SYS_fstat, J(-1), &st);
  syscall(SYS_openat, J(AT_FDCWD), NX, J(O_RDONLY | O_CLOEXEC));
  syscall(SYS_openat, J(AT_FDCWD), NX, J(O_WRONLY | O_CREAT), J(0640));
  syscall(SYS_faccessat, J(AT_FDCWD), NX, J(R_OK));
  syscall(SYS_mkdirat, J(AT_FDCWD), NX, J(0700));
  syscall(SYS_unlinkat, J(AT_FDCWD), NX, J(AT_REMOVEDIR));
  syscall(SYS_dup2, J(-1), J(7));
  syscall(SYS_fcntl, J(-1), J(F_GETFL));
  syscall(SYS_flock, J(-1), J(LOCK_UN));
  syscall(SYS_socket, J(AF_INET), J(SOCK_DGRAM), J(0));  // fd 3
  syscall(SYS_setsockopt, J(3), J(SOL_SOCKET), J(SO_KEEPALIVE), &r, J(4));
  syscall(SYS_shutdown, J(3), J(SHUT_RDWR));
  syscall(SYS_close, J(3));
  syscall(SYS_sendto, J(-1), "x", 1, J(MSG_DONTWAIT), NULL, J(0));
  syscall(SYS_epoll_ctl, J(-1), J(EPOLL_CTL_DEL), J(-1), NULL);
  syscall(SYS_kill, J(0x7ffffff0), J(0));
  syscall(SYS_tgkill, J(0x7ffffff0), J(0x7ffffff0), J(SIGTERM));
  syscall(SYS_rt_sigaction, J(SIGUSR1), NULL, NULL, 8);
  syscall(SYS_rt_sigprocmask, J(SIG_SETMASK), NULL, NULL, 8);
  syscall(SYS_wait4, J(-1), NULL, J(WNOHANG), NULL);
  syscall(SYS_getpriority, J(PRIO_PGRP), J(0x7ffffff0));
  syscall(SYS_setresuid, J(-1), J(-1), J(-1));
  syscall(SYS_setreuid, J(-1), J(-1));
  syscall(SYS_fchown, J(-1), J(4294901760u), J(-1));
  syscall(SYS_setfsuid, J(-1));
  syscall(SYS_prctl, J(PR_GET_DUMPABLE), 0, 0, 0, 0);
  syscall(SYS_sched_get_priority_max, J(SCHED_RR));
  syscall(SYS_clock_getres, J(CLOCK_BOOTTIME), NULL);
  syscall(SYS_timerfd_create, J(CLOCK_MONOTONIC), J(TFD_NONBLOCK));  // fd 3
  syscall(SYS_close, 3);
  syscall(SYS_eventfd2, J(3), J(EFD_NONBLOCK));  // fd 3
  syscall(SYS_close, 3);
  syscall(SYS_pipe2, buf, J(O_DIRECT));  // [3, 4]
  syscall(SYS_close, 3);
  syscall(SYS_close, 4);
  syscall(SYS_madvise, NULL, 0, J(MADV_NORMAL));
  syscall(SYS_mlockall, J(MCL_FUTURE | 0x100));
  syscall(SYS_munlockall);
  syscall(SYS_getrlimit, J(RLIMIT_STACK), buf);
  syscall(SYS_lseek, J(-1), 0, J(SEEK_DATA));
  syscall(SYS_getdents64, J(-1), buf, J(100));
  syscall(SYS_inotify_init1, J(IN_NONBLOCK));  // fd 3
  syscall(SYS_close, 3);
  syscall(SYS_memfd_create, "dc", J(MFD_CLOEXEC));  // fd 3
  syscall(SYS_close, 3);
  syscall(SYS_close_range, J(1000), J(1001), J(0));
  syscall(SYS_umask, J(022));
  syscall(SYS_umask, J(022));

  Marker("dc_more:end");
  return 0;
}
