#include "supervisor/replay_observer.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "core/decoder.h"
#include "recorder/recorded_memory.h"
#include "supervisor/path_args.h"

namespace pwnbox::supervisor {
namespace {

constexpr std::string_view kInputs[] = {
    // The timers: fed back, never armed (their signals are delivered where recorded), and the
    // signals a program takes synchronously (sigwait, sigtimedwait): fed back too.
    "alarm", "getitimer", "setitimer", "timer_gettime", "timer_settime", "rt_sigtimedwait",
    "clock_getres", "clock_gettime", "fstat", "getcwd", "getdents", "getdents64", "getegid",
    "geteuid", "getgid", "getpgrp", "getpid", "getppid", "getrandom", "getresgid", "getresuid",
    "getrusage", "gettid", "gettimeofday", "getuid", "lseek", "lstat", "newfstatat", "pread64", "preadv",
    "preadv2", "read", "readlink", "readlinkat", "readv", "recvfrom", "recvmmsg", "recvmsg",
    "stat", "statfs", "statx", "sysinfo", "time", "times", "uname"};

std::string RecordedLine(const RecordedCall& c) {
  core::Decoder d{core::DecodeOptions{}};
  core::SyscallCall call;
  call.pid = c.entry.pid;
  call.abi = static_cast<core::Abi>(c.entry.abi);
  call.nr = c.entry.nr;
  std::memcpy(call.args, c.entry.args, sizeof call.args);
  core::DecodedCall out;
  recorder::RecordedMemory entry_mem(c.entry.entry_mem);
  d.Entry(call, entry_mem, &out);
  if (!c.exit) return out.EntryText() + "...) = ?";
  call.ret = c.exit->ret;
  recorder::RecordedMemory exit_mem(c.exit->exit_mem);
  d.Exit(call, exit_mem, &out);
  return out.Line();
}

std::string LiveLine(const Task& task) {
  core::Decoder d{core::DecodeOptions{}};
  core::DecodedCall out;
  core::ProcessMemory mem(task.tid);
  d.Entry(task.call, mem, &out);
  std::string text = out.EntryText();
  if (text.size() >= 2 && text.compare(text.size() - 2, 2, ", ") == 0) text.resize(text.size() - 2);
  return text + (out.entry_args < core::Signature(out.name).nargs ? ", ...)" : ")");
}

// Calls that name processes by id: which arguments (bit i: argument i) hold one, given the
// call's arguments (some name a process only for some values of another argument).
// `*signals`: the call sends a signal, where -1 means every process the user may signal.
// `*changes`: the call acts on the process (signals it, writes its memory, sets its limits,
// priority, scheduling, group...): one outside the replayed program must not be reached; the
// others only ask (wait4 on a child that exited is still its parent's to reap).
int PidArgs(std::string_view name, const uint64_t args[6], bool* signals, bool* changes) {
  *signals = false;
  *changes = true;
  static constexpr std::string_view kAsks[] = {
      "sched_getaffinity", "sched_getscheduler", "sched_getparam", "sched_rr_get_interval",
      "sched_getattr", "getpgid", "getsid", "wait4", "waitpid", "get_robust_list",
      "process_vm_readv", "kcmp", "pidfd_open", "getpriority", "ioprio_get", "waitid"};
  for (std::string_view n : kAsks)
    if (n == name) *changes = false;
  if (name == "prlimit64" && args[2] == 0) *changes = false;  // no new limit: a query
  if (name == "kill" || name == "tkill" || name == "rt_sigqueueinfo") {
    *signals = true;
    return 1;
  }
  if (name == "tgkill" || name == "rt_tgsigqueueinfo") {
    *signals = true;
    return 3;
  }
  static constexpr std::string_view kFirst[] = {
      "pidfd_open", "process_vm_readv", "process_vm_writev", "prlimit64", "sched_setaffinity",
      "sched_getaffinity", "sched_setscheduler", "sched_getscheduler", "sched_setparam",
      "sched_getparam", "sched_rr_get_interval", "sched_setattr", "sched_getattr", "getpgid",
      "getsid", "wait4", "waitpid", "get_robust_list", "migrate_pages", "move_pages"};
  for (std::string_view n : kFirst)
    if (n == name) return 1;
  if (name == "kcmp" || name == "setpgid") return 3;
  // getpriority/setpriority(PRIO_PROCESS or PRIO_PGRP, who), ioprio_get/set(IOPRIO_WHO_PROCESS
  // or _PGRP, who), waitid(P_PID or P_PGID, id), fcntl(fd, F_SETOWN, pid or -pgid).
  if ((name == "getpriority" || name == "setpriority") && args[0] <= 1) return 2;
  if ((name == "ioprio_get" || name == "ioprio_set") && (args[0] == 1 || args[0] == 2)) return 2;
  if (name == "waitid" && (args[0] == 1 || args[0] == 2)) return 2;
  if ((name == "fcntl" || name == "fcntl64") && args[1] == 8 /* F_SETOWN */) return 4;
  return 0;
}

bool SetArg(pid_t tid, core::Abi abi, int i, uint64_t value) {
  user_regs_struct regs;
  if (ptrace(PTRACE_GETREGS, tid, 0, &regs) != 0) return false;
  *ArgRegister(regs, abi, i) = abi == core::Abi::kI386 ? static_cast<uint32_t>(value) : value;
  return ptrace(PTRACE_SETREGS, tid, 0, &regs) == 0;
}

// The kernel's restart codes (ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND,
// ERESTART_RESTARTBLOCK): the result a tracer sees at the exit of a call a signal interrupted.
// Signal delivery turns them into EINTR or a restart; fed back without the signal, the program
// would read 512-516 as an errno.
bool InterruptedBySignal(int64_t ret) { return ret <= -512 && ret >= -516; }

// Whether a call of `name` that returned `ret` at record time is replayed as that failure.
bool FeedsFailure(std::string_view name, int64_t ret) {
  if (ret >= 0 || ret < -4095) return false;
  if (ret == -EINPROGRESS || ret == -EALREADY) return false;
  // A call a signal interrupted ran a handler then: without that signal now, failing it at
  // once would skip the handler (and its rt_sigreturn): it runs, and waits as it did.
  if (ret == -EINTR || InterruptedBySignal(ret)) return false;
  return name != "close" && name != "close_range" && name != "exit" && name != "exit_group" &&
         name != "rt_sigreturn";
}

// Read-like inputs whose fd (argument 0) may be a pipe or socket.
bool ReadsFromFd(std::string_view name) {
  return name == "read" || name == "readv" || name == "recvfrom" || name == "recvmsg";
}

// The inode of `tid`'s fd `fd` when it is a pipe or a socket ("pipe:[123]"), else 0.
uint64_t PipeInode(pid_t tid, int fd) {
  if (fd < 0) return 0;
  char link[64], target[64];
  snprintf(link, sizeof link, "/proc/%d/fd/%d", tid, fd);
  ssize_t n = readlink(link, target, sizeof target - 1);
  if (n <= 0) return 0;
  target[n] = '\0';
  std::string_view t(target, static_cast<size_t>(n));
  for (std::string_view kind : {std::string_view("pipe:["), std::string_view("socket:[")})
    if (t.substr(0, kind.size()) == kind) return std::strtoull(target + kind.size(), nullptr, 10);
  return 0;
}

}  // namespace

void ReplayObserver::NoteInternalPipes(const Task& task) {
  const std::string_view name = core::SyscallName(task.call.nr, task.call.abi);
  const int arg = name == "pipe" || name == "pipe2" ? 0 : name == "socketpair" ? 3 : -1;
  if (arg < 0 || task.call.ret != 0) return;
  int fds[2];
  iovec local{fds, sizeof fds};
  iovec remote{reinterpret_cast<void*>(task.call.args[arg]), sizeof fds};
  if (process_vm_readv(task.tid, &local, 1, &remote, 1, 0) != sizeof fds) return;
  for (int fd : fds)
    if (uint64_t ino = PipeInode(task.tid, fd)) internal_.insert(ino);
}

bool ReplayObserver::ReadsInternalPipe(const Task& task) const {
  if (internal_.empty()) return false;
  const uint64_t ino = PipeInode(task.tid, static_cast<int>(task.call.args[0]));
  return ino != 0 && internal_.count(ino) != 0;
}

pid_t ReplayObserver::LivePid(pid_t pid) const {
  for (const auto& [tid, c] : cursors_)
    if (tid == pid) return pid;  // a pid the program learnt live (fork's result)
  for (const auto& [tid, c] : cursors_)
    if (c.task < calls_.size() && !calls_[c.task].empty() && calls_[c.task].front().entry.pid == pid)
      return tid;
  return 0;
}

bool ReplayObserver::MapPids(Task& task, const RecordedCall& rec) {
  bool signals = false, changes = true;
  const int which = PidArgs(core::SyscallName(task.call.nr, task.call.abi), task.call.args,
                            &signals, &changes);
  if (!which) return true;
  for (int i = 0; i < 6; ++i) {
    if (!(which & (1 << i))) continue;
    const int32_t raw = static_cast<int32_t>(task.call.args[i]);
    // 0 is the caller itself (or its own process group); -1 is any child for wait4 and
    // waitid, every process the user may signal for kill, which a replay must not do.
    if (raw == 0 || (raw == -1 && !signals)) continue;
    const pid_t live = raw == -1 ? 0 : LivePid(raw < 0 ? -raw : raw);
    // Not a task of the replayed program (now): a question runs as it is (a child that exited
    // is still there to be waited for); an action is not carried out.
    if (live == 0 && !changes) continue;
    if (live == 0) {
      // A process outside the replayed program (or all of them): not reached; the call
      // returns what it returned at record time.
      task.skip = true;
      task.skip_ret = rec.exit ? rec.exit->ret : 0;
      return false;
    }
    const pid_t value = raw < 0 ? -live : live;
    if (value != raw && !SetArg(task.tid, task.call.abi, i, static_cast<uint32_t>(value))) {
      task.skip = true;
      task.skip_ret = -ESRCH;
      return false;
    }
  }
  return true;
}

void ReplayObserver::MapProcPaths(Task& task) {
  const std::string_view name = core::SyscallName(task.call.nr, task.call.abi);
  for (const PathArg& arg : PathArgsOf(name, task.call.abi)) {
    const uint64_t addr = task.call.args[arg.path];
    if (addr == 0) continue;
    char buf[4096];
    iovec local{buf, sizeof buf - 1};
    iovec remote{reinterpret_cast<void*>(addr), sizeof buf - 1};
    // A path may end near the end of its mapping: read what there is.
    ssize_t n = process_vm_readv(task.tid, &local, 1, &remote, 1, 0);
    if (n <= 0) {
      remote.iov_len = local.iov_len = 64;
      n = process_vm_readv(task.tid, &local, 1, &remote, 1, 0);
      if (n <= 0) continue;
    }
    const std::string_view path(buf, strnlen(buf, static_cast<size_t>(n)));
    if (path.size() == static_cast<size_t>(n) || path.compare(0, 6, "/proc/") != 0) continue;
    // "/proc/PID" and, after it, "/task/TID": each id of a replayed task becomes its live one.
    std::string mapped(path.substr(0, 6));
    size_t pos = 6;
    bool changed = false;
    for (int part = 0; part < 2; ++part) {
      size_t end = pos;
      while (end < path.size() && path[end] >= '0' && path[end] <= '9') ++end;
      if (end == pos || end - pos > 9 || (end < path.size() && path[end] != '/')) break;
      const pid_t recorded = static_cast<pid_t>(std::stol(std::string(path.substr(pos, end - pos))));
      const pid_t live = LivePid(recorded);
      const pid_t id = live != 0 ? live : recorded;  // not the program's: left as it is
      changed |= id != recorded;
      mapped += std::to_string(id);
      pos = end;
      if (path.compare(pos, 6, "/task/") != 0) break;
      mapped += "/task/";
      pos += 6;
    }
    if (!changed) continue;
    mapped += std::string(path.substr(pos));
    // The new path goes below the stack pointer, past the red zone: the kernel copies it at
    // the call's entry, before anything of the program's can use that memory again.
    user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, task.tid, 0, &regs) != 0) continue;
    const uint64_t at = ((task.call.abi == core::Abi::kI386 ? regs.rsp & 0xffffffffu : regs.rsp) -
                         512 - mapped.size() - 1) & ~uint64_t{15};
    iovec src{const_cast<char*>(mapped.c_str()), mapped.size() + 1};
    iovec dst{reinterpret_cast<void*>(at), mapped.size() + 1};
    if (process_vm_writev(task.tid, &src, 1, &dst, 1, 0) != static_cast<ssize_t>(src.iov_len))
      continue;  // left as it is: the call acts on the recorded pid's entry
    *ArgRegister(regs, task.call.abi, arg.path) = at;
    if (ptrace(PTRACE_SETREGS, task.tid, 0, &regs) == 0) task.call.args[arg.path] = at;
  }
}

bool ReplayObserver::IsInput(std::string_view name) {
  return std::find(std::begin(kInputs), std::end(kInputs), name) != std::end(kInputs);
}

ReplayObserver::ReplayObserver(std::vector<std::vector<RecordedCall>> calls, uint64_t until,
                               std::vector<bool> killed)
    : calls_(std::move(calls)), until_(until), killed_(std::move(killed)) {
  for (const auto& task : calls_)
    for (const auto& call : task) {
      recorded_ids_.insert(call.entry.pid);
      recorded_ids_.insert(call.entry.tgid);
    }
}

bool ReplayObserver::Replays(const siginfo_t& si) const {
  const int sig = si.si_signo;
  if (si.si_code == SI_TIMER) return true;  // a POSIX timer's
  if ((sig == SIGALRM || sig == SIGVTALRM || sig == SIGPROF) && si.si_code == SI_KERNEL)
    return true;  // alarm, setitimer
  if (sig == SIGCHLD && si.si_code > 0) return true;  // a child's end or stop (CLD_*)
  // Sent by a process outside the program (recorded: the user's kill; pwnbox's own replays
  // are SI_TKILL from pwnbox, below).
  if (si.si_code == SI_USER || si.si_code == SI_QUEUE || si.si_code == SI_TKILL)
    return recorded_ids_.count(si.si_pid) == 0;
  return false;
}

void ReplayObserver::Deliver(const Task& task, const RecordedCall& rec) const {
  for (const siginfo_t& si : rec.signals_after)
    if (Replays(si)) syscall(SYS_tgkill, task.tgid, task.tid, si.si_signo);
}

void ReplayObserver::OnSignal(Task& task, const siginfo_t& si) {
  // Ours (tgkill from pwnbox: SI_TKILL with pwnbox's pid) go through. Live ones of the kinds
  // replay delivers itself are dropped; an outsider's kill now (the user's SIGTERM) and the
  // terminal's SIGINT (SI_KERNEL) are the replay's, and go through.
  if (si.si_code == SI_TKILL && si.si_pid == getpid()) return;
  const int sig = si.si_signo;
  const bool live_timer = si.si_code == SI_TIMER ||
                          ((sig == SIGALRM || sig == SIGVTALRM || sig == SIGPROF) &&
                           si.si_code == SI_KERNEL);
  if (live_timer || (sig == SIGCHLD && si.si_code > 0)) task.drop_signal = true;
}

void ReplayObserver::OnNewTask(Task& task, pid_t) { cursors_[task.tid].task = next_task_++; }

void ReplayObserver::Stop(Task& task) {
  // Everything of the replayed program goes: the run ends here.
  kill(task.tgid, SIGKILL);
  for (const auto& [tid, c] : cursors_) kill(tid, SIGKILL);
}

void ReplayObserver::OnEntry(Task& task) {
  if (divergence_ || stopped_) {
    Stop(task);
    return;
  }
  Cursor& c = cursors_[task.tid];  // the first task gets index 0
  const std::vector<RecordedCall>* calls = c.task < calls_.size() ? &calls_[c.task] : nullptr;
  // The recording's task was killed by SIGKILL here (past its last call, or in that call, which
  // never returned): so is this one.
  const bool killed = calls && c.task < killed_.size() && killed_[c.task];
  if (killed && c.next >= calls->size()) {
    kill(task.tid, SIGKILL);
    return;
  }
  if (!calls || c.next >= calls->size()) {
    divergence_ = Divergence{0, task.tid, "(the recording has no more calls for this task)",
                             LiveLine(task)};
    Stop(task);
    return;
  }
  const RecordedCall& rec = (*calls)[c.next];
  if (until_ && rec.entry.seq > until_) {
    stopped_ = true;
    Stop(task);
    return;
  }
  if (rec.entry.nr != task.call.nr || rec.entry.abi != static_cast<uint8_t>(task.call.abi)) {
    divergence_ = Divergence{rec.entry.seq, task.tid, RecordedLine(rec), LiveLine(task)};
    Stop(task);
    return;
  }
  if (killed && c.next + 1 == calls->size() && !rec.exit) {
    c.next = calls->size();
    kill(task.tid, SIGKILL);
    return;
  }
  ++c.next;
  c.current = nullptr;
  c.last = &rec;
  c.signalled = false;
  // The recording shows this call interrupted by its signals: they are sent now, so that it
  // is interrupted again rather than waiting for a signal nothing sends.
  if (rec.exit && (rec.exit->ret == -EINTR || InterruptedBySignal(rec.exit->ret)) &&
      !rec.signals_after.empty()) {
    Deliver(task, rec);
    c.signalled = true;
  }
  const std::string_view name = core::SyscallName(task.call.nr, task.call.abi);
  if (rec.exit && IsInput(name) && !InterruptedBySignal(rec.exit->ret)) {
    c.current = &rec;
    // A read of the program's own pipe runs, so that the pipe drains (see the header); its
    // result is the recorded one all the same.
    c.drained = rec.exit->ret >= 0 && ReadsFromFd(name) && ReadsInternalPipe(task);
    if (!c.drained) {
      task.skip = true;
      task.skip_ret = rec.exit->ret;
    }
    return;
  }
  // A call that failed at record time fails again, with the same errno, without running: a
  // failure changes nothing (so skipping it is faithful), and it may have come from the world
  // rather than the program: a policy's denial (replay runs without the policy), a file that was
  // missing then. Not `close` (it frees the fd even when it fails), EINPROGRESS (a non-blocking
  // connect goes on) nor EINTR (a signal handler ran then).
  if (rec.exit && !rec.exit->ret_unknown && FeedsFailure(name, rec.exit->ret)) {
    task.skip = true;
    task.skip_ret = rec.exit->ret;
    c.current = &rec;
    return;
  }
  if (MapPids(task, rec)) MapProcPaths(task);
}

void ReplayObserver::OnExit(Task& task) {
  auto it = cursors_.find(task.tid);
  if (it == cursors_.end()) return;
  if (it->second.last && !it->second.signalled) {
    // Delivered on the way back to user space: before the program's next instruction.
    Deliver(task, *it->second.last);
    it->second.signalled = true;
  }
  if (!it->second.current) {
    NoteInternalPipes(task);
    return;
  }
  const RecordedCall& rec = *it->second.current;
  it->second.current = nullptr;
  ++fed_;
  const bool drained = it->second.drained;
  it->second.drained = false;
  if (drained && task.call.ret != rec.exit->ret) {
    user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, task.tid, 0, &regs) == 0) {
      regs.rax = static_cast<uint64_t>(rec.exit->ret);
      ptrace(PTRACE_SETREGS, task.tid, 0, &regs);
    }
    task.call.ret = rec.exit->ret;
  }
  // What the kernel wrote at record time, written where the program now expects it: at the
  // same offset from the same argument (addresses line up anyway: ASLR is off both times).
  for (const auto& blob : rec.exit->exit_mem) {
    uint64_t addr = blob.addr;
    for (int i = 0; i < 6; ++i) {
      if (blob.addr >= rec.entry.args[i] && rec.entry.args[i] != 0 &&
          blob.addr - rec.entry.args[i] < (1u << 20)) {
        addr = task.call.args[i] + (blob.addr - rec.entry.args[i]);
        break;
      }
    }
    iovec local{const_cast<char*>(blob.bytes.data()), blob.bytes.size()};
    iovec remote{reinterpret_cast<void*>(addr), blob.bytes.size()};
    process_vm_writev(task.tid, &local, 1, &remote, 1, 0);
  }
}

void ReplayObserver::OnTaskExit(Task& task, int status) {
  auto it = cursors_.find(task.tid);
  if (it == cursors_.end()) return;
  const Cursor& c = it->second;
  // The program ended a task that the recording shows going on.
  if (!divergence_ && !stopped_ && c.task < calls_.size() && c.next < calls_[c.task].size()) {
    const RecordedCall& rec = calls_[c.task][c.next];
    const int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT) {
      if (!interrupted_) {
        interrupted_ = sig;
        interrupted_at_ = rec.entry.seq;
      }
    } else if (!until_ || rec.entry.seq <= until_) {
      divergence_ = Divergence{rec.entry.seq, task.tid, RecordedLine(rec), "(the task exited)"};
    }
  }
  cursors_.erase(it);
}

}  // namespace pwnbox::supervisor
