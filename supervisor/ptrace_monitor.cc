#include "supervisor/ptrace_monitor.h"

#include <dirent.h>
#include <linux/audit.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace pwnbox::supervisor {

unsigned long long* ArgRegister(user_regs_struct& regs, core::Abi abi, int arg) {
  unsigned long long* x86_64[6] = {&regs.rdi, &regs.rsi, &regs.rdx, &regs.r10, &regs.r8, &regs.r9};
  unsigned long long* i386[6] = {&regs.rbx, &regs.rcx, &regs.rdx, &regs.rsi, &regs.rdi, &regs.rbp};
  return abi == core::Abi::kI386 ? i386[arg] : x86_64[arg];
}
namespace {

constexpr uint32_t kX32Bit = 0x40000000;
constexpr uint64_t kCloneUntraced = 0x00800000;  // CLONE_UNTRACED
constexpr int kI386Clone = 120;
constexpr int kClone3 = 435;  // the same number in every ABI

bool IsWait(core::Abi abi, int nr) {
  if (abi == core::Abi::kI386) return nr == 7 /* waitpid */ || nr == 114 || nr == 284;
  int n = nr & ~kX32Bit;
  return n == SYS_wait4 || n == SYS_waitid;
}

bool IsAffinity(core::Abi abi, int nr, bool* is_get) {
  int n = abi == core::Abi::kI386 ? nr : (nr & ~kX32Bit);
  int get = abi == core::Abi::kI386 ? 242 : SYS_sched_getaffinity;
  int set = abi == core::Abi::kI386 ? 241 : SYS_sched_setaffinity;
  *is_get = n == get;
  return n == get || n == set;
}

// 0: not a clone; 1: clone (flags in the first argument); 3: clone3 (flags in its struct).
int CloneKind(core::Abi abi, int nr) {
  if (abi == core::Abi::kI386) return nr == kI386Clone ? 1 : nr == kClone3 ? 3 : 0;
  const int n = nr & ~static_cast<int>(kX32Bit);
  return n == SYS_clone ? 1 : n == kClone3 ? 3 : 0;
}

// Whether `si`, at a signal-delivery-stop of `tid`, is a fault the kernel raised (force_sig: the
// instruction faults again when it is run again) in the init of a PID namespace that has no
// handler for it: natively that init dies of it; traced, the kernel keeps it unkillable
// (force_sig_info_to_task clears SIGNAL_UNKILLABLE only when the task is not traced), so the
// signal the tracer passes on is dropped at delivery (get_signal: an unkillable init gets no
// signal of default action but SIGKILL and SIGSTOP), and the instruction faults again, forever.
bool IsUnkillableInitFault(pid_t tid, const siginfo_t& si) {
  const int sig = si.si_signo;
  if (sig != SIGSEGV && sig != SIGBUS && sig != SIGILL && sig != SIGFPE) return false;
  if (si.si_code <= 0) return false;  // sent by a process (kill, tgkill, sigqueue): no fault
  std::ifstream status("/proc/" + std::to_string(tid) + "/status");
  std::string line;
  bool init = false, caught = true;
  while (std::getline(status, line)) {
    if (line.rfind("NStgid:", 0) == 0) {
      // The thread group id in each PID namespace, the task's own last.
      const size_t last = line.find_last_of(" \t");
      init = last != std::string::npos && line.compare(last + 1, std::string::npos, "1") == 0;
    } else if (line.rfind("SigCgt:", 0) == 0) {
      // force_sig reset an ignored or blocked fault to the default action: caught means a
      // handler, which runs as natively.
      const uint64_t mask = std::strtoull(line.c_str() + 7, nullptr, 16);
      caught = (mask >> (sig - 1)) & 1;
    }
  }
  return init && !caught;
}

}  // namespace

// Keeps tracer and tracees on one CPU while at most one traced task can run.
class PtraceMonitor::Pinner {
 public:
  explicit Pinner(bool enabled) : enabled_(enabled) {
    CPU_ZERO(&original_);
    if (enabled_ && sched_getaffinity(0, sizeof original_, &original_) != 0) enabled_ = false;
    if (enabled_ && CPU_COUNT(&original_) < 2) enabled_ = false;
  }

  int cpu() const { return cpu_; }
  bool pinned() const { return pinned_; }
  const cpu_set_t& original() const { return original_; }

  // Pins the tracer to the CPU it runs on; the launcher pins the child there.
  int Start() {
    if (!enabled_) return -1;
    cpu_ = sched_getcpu();
    if (cpu_ < 0 || !CPU_ISSET(cpu_, &original_)) cpu_ = FirstCpu();
    SetSelf(true);
    pinned_ = true;
    return cpu_;
  }

  // The target changed its own affinity: from now on pwnbox leaves affinity alone.
  void Disable(const std::unordered_map<pid_t, std::unique_ptr<Task>>& tasks) {
    if (!enabled_) return;
    if (pinned_) Apply(tasks, false);
    enabled_ = false;
  }

  void Update(const std::unordered_map<pid_t, std::unique_ptr<Task>>& tasks) {
    if (!enabled_) return;
    size_t runnable = 0;
    for (const auto& [tid, task] : tasks) runnable += task->parked ? 0 : 1;
    const bool want = runnable <= 1;
    if (want != pinned_) Apply(tasks, want);
  }

  void Pin(pid_t tid) const {
    if (!enabled_ || !pinned_) return;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu_, &one);
    sched_setaffinity(tid, sizeof one, &one);
  }

 private:
  int FirstCpu() const {
    for (int i = 0; i < CPU_SETSIZE; ++i)
      if (CPU_ISSET(i, &original_)) return i;
    return 0;
  }
  void SetSelf(bool pin) const {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu_, &one);
    sched_setaffinity(0, sizeof one, pin ? &one : &original_);
  }
  void Apply(const std::unordered_map<pid_t, std::unique_ptr<Task>>& tasks, bool pin) {
    pinned_ = pin;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu_, &one);
    for (const auto& [tid, task] : tasks) sched_setaffinity(tid, sizeof one, pin ? &one : &original_);
    SetSelf(pin);
  }

  bool enabled_;
  bool pinned_ = false;
  int cpu_ = -1;
  cpu_set_t original_;
};

PtraceMonitor::PtraceMonitor(PtraceObserver& observer, PtraceOptions options)
    : observer_(observer), options_(std::move(options)),
      pinner_(std::make_unique<Pinner>(options_.pin)) {}

PtraceMonitor::~PtraceMonitor() = default;

unsigned PtraceMonitor::SeizeOptions() const {
  unsigned opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEEXEC |
                  PTRACE_O_EXITKILL;
  if (options_.follow) opts |= PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE;
  return opts;
}

int PtraceMonitor::PrepareSpawn() { return pinner_->Start(); }

Task& PtraceMonitor::AddTask(pid_t tid, pid_t tgid) {
  auto& slot = tasks_[tid];
  if (!slot) {
    slot = std::make_unique<Task>();
    slot->tid = tid;
    slot->tgid = tgid;
    if (tasks_.size() > 1) ever_multiple_ = true;
  }
  return *slot;
}

std::vector<pid_t> PtraceMonitor::Tids() const {
  std::vector<pid_t> tids;
  tids.reserve(tasks_.size());
  for (const auto& [tid, task] : tasks_) tids.push_back(tid);
  return tids;
}

void PtraceMonitor::KernelError(const char* what, int err) {
  if (options_.outcome) options_.outcome->KernelError(what, err);
}

void PtraceMonitor::FailClosed(Task& task, const char* what, int err) {
  // ESRCH: the task is gone or dying (SIGKILL), so the call will not run either.
  if (err != ESRCH) KernelError(what, err);
  kill(task.tgid, SIGKILL);
}

bool PtraceMonitor::StripUntraced(Task& task) {
  const int kind = CloneKind(task.call.abi, task.call.nr);
  if (kind == 1) {
    if (!(task.call.args[0] & kCloneUntraced)) return true;
    user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, task.tid, 0, &regs) != 0) return false;
    if (task.call.abi == core::Abi::kI386) regs.rbx &= ~kCloneUntraced;
    else regs.rdi &= ~kCloneUntraced;
    return ptrace(PTRACE_SETREGS, task.tid, 0, &regs) == 0;
  }
  if (kind == 3) {
    // struct clone_args starts with its u64 flags. Another thread can set the flag again after
    // this (plain trace is a debugger; a policy answers clone3 with ENOSYS in the filter).
    uint64_t flags = 0;
    iovec local{&flags, sizeof flags};
    iovec remote{reinterpret_cast<void*>(task.call.args[0]), sizeof flags};
    if (process_vm_readv(task.tid, &local, 1, &remote, 1, 0) != sizeof flags)
      return true;  // unreadable: the kernel fails the call with EFAULT
    if (!(flags & kCloneUntraced)) return true;
    flags &= ~kCloneUntraced;
    return process_vm_writev(task.tid, &local, 1, &remote, 1, 0) == sizeof flags;
  }
  return true;
}

void PtraceMonitor::Resume(Task& task, int sig) {
  const auto req = (attached_ || task.in_syscall) ? PTRACE_SYSCALL : PTRACE_CONT;
  // ESRCH: the task was killed meanwhile (its exit is reported next).
  if (ptrace(req, task.tid, 0, sig) != 0 && errno != ESRCH)
    KernelError(req == PTRACE_SYSCALL ? "ptrace(PTRACE_SYSCALL)" : "ptrace(PTRACE_CONT)", errno);
}

core::Result<int> PtraceMonitor::RunSpawned(pid_t pid) {
  Adopt(pid);
  return Loop(pid);
}

core::Result<int> PtraceMonitor::RunAttached(pid_t pid) {
  attached_ = true;
  main_pid_ = pid;
  unsigned opts = SeizeOptions() & ~PTRACE_O_EXITKILL;
  // Threads can be created while we attach: repeat until no new one appears.
  bool found_new = true;
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  while (found_new) {
    found_new = false;
    DIR* d = opendir(dir.c_str());
    if (!d) {
      if (tasks_.empty()) return core::ErrnoError(errno, "no process " + std::to_string(pid));
      break;
    }
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      pid_t tid = static_cast<pid_t>(std::stol(e->d_name));
      if (tasks_.count(tid)) continue;
      if (ptrace(PTRACE_SEIZE, tid, 0, opts) != 0) {
        if (errno == ESRCH) continue;
        int err = errno;
        closedir(d);
        DetachAll();
        return core::ErrnoError(err, "ptrace(PTRACE_SEIZE, " + std::to_string(tid) +
                                         ") (attaching to another user's process needs root; "
                                         "check /proc/sys/kernel/yama/ptrace_scope)");
      }
      ptrace(PTRACE_INTERRUPT, tid, 0, 0);
      AddTask(tid, pid).announced = true;
      found_new = true;
    }
    closedir(d);
  }
  pinner_->Disable(tasks_);
  return Loop(pid);
}

void PtraceMonitor::DetachAll() {
  for (auto& [tid, task] : tasks_) {
    ptrace(PTRACE_DETACH, tid, 0, 0);
    observer_.OnForget(*task);
  }
  tasks_.clear();
}

core::Result<int> PtraceMonitor::Loop(pid_t main_pid) {
  bool detaching = false;
  while (!tasks_.empty()) {
    if (attached_ && !detaching && detach_requested_.load(std::memory_order_relaxed)) {
      detaching = true;
      for (auto& [tid, task] : tasks_) ptrace(PTRACE_INTERRUPT, tid, 0, 0);
    }
    int status;
    pid_t tid = waitpid(-1, &status, __WALL);
    if (tid < 0) {
      if (errno == EINTR) continue;
      if (errno == ECHILD) break;
      return core::ErrnoError(errno, "waitpid");
    }
    if (detaching && WIFSTOPPED(status)) {
      // Detach at whatever stop the task is in; a pending signal is passed on, not lost.
      auto it = tasks_.find(tid);
      int sig = 0;
      const int event = status >> 16;
      if (WIFSTOPPED(status) && event == 0 && (WSTOPSIG(status) & 0x7f) != SIGTRAP)
        sig = WSTOPSIG(status);
      ptrace(PTRACE_DETACH, tid, 0, sig);
      if (it != tasks_.end()) {
        observer_.OnForget(*it->second);
        tasks_.erase(it);
      }
      continue;
    }
    Dispatch(tid, status);
    if (options_.end_with_main && main_done_) break;
  }
  (void)main_pid;
  return main_done_ ? main_status_ : 0;
}

void PtraceMonitor::Adopt(pid_t pid) {
  main_pid_ = pid;
  AddTask(pid, pid).announced = true;
}

void PtraceMonitor::ServedEntry(const core::SyscallCall& call) {
  auto it = tasks_.find(call.pid);
  if (it == tasks_.end() || it->second->in_syscall) return;
  Task& task = *it->second;
  task.call = call;
  task.call.ret = 0;
  task.served = true;
  task.served_unknown = false;
  clock_gettime(CLOCK_REALTIME, &task.entry_time);
  task.shown = options_.selected ? options_.selected(call.abi, call.nr) : true;
  task.skip = false;
  observer_.OnServedEntry(task);
}

void PtraceMonitor::ServedExit(pid_t tid, std::optional<int64_t> ret) {
  auto it = tasks_.find(tid);
  if (it == tasks_.end() || !it->second->served) return;
  Task& task = *it->second;
  task.call.ret = ret.value_or(0);
  task.served_unknown = !ret.has_value();
  observer_.OnServedExit(task);
  task.served = false;
  task.served_unknown = false;
}

void PtraceMonitor::Dispatch(pid_t tid, int status) {
  if (WIFEXITED(status) || WIFSIGNALED(status)) HandleGone(tid, status);
  else if (WIFSTOPPED(status)) HandleStop(tid, status);
}

void PtraceMonitor::HandleGone(pid_t tid, int status) {
  auto it = tasks_.find(tid);
  if (tid == main_pid_) {
    main_status_ = status;
    main_done_ = true;
  }
  if (it == tasks_.end()) return;  // an untraced child reaped because we are its parent
  if (!it->second->announced) gone_unannounced_.insert(tid);
  observer_.OnTaskExit(*it->second, status);
  observer_.OnForget(*it->second);
  tasks_.erase(it);
  pinner_->Update(tasks_);
}

void PtraceMonitor::HandleStop(pid_t tid, int status) {
  auto it = tasks_.find(tid);
  Task& task = it != tasks_.end() ? *it->second : AddTask(tid, tid);
  const int sig = WSTOPSIG(status);
  const int event = status >> 16;
  // The check of a fault (see below) lasts until the task's next stop, whatever it is.
  const bool checking_fault = task.fault_check;
  task.fault_check = false;

  if (sig == (SIGTRAP | 0x80)) {  // syscall-enter or -exit stop
    HandleSyscallStop(task);
    return;
  }
  switch (event) {
    case PTRACE_EVENT_SECCOMP:
      HandleSyscallStop(task);
      return;
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK:
    case PTRACE_EVENT_CLONE: {
      unsigned long msg = 0;
      const long rc = ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg);
      if (rc != 0 || msg == 0) {
        // No task with tid 0: the child still reports its first stop, and is taken up then.
        if (rc != 0 && errno != ESRCH) KernelError("ptrace(PTRACE_GETEVENTMSG)", errno);
        Resume(task, 0);
        return;
      }
      pid_t child = static_cast<pid_t>(msg);
      if (!tasks_.count(child) && gone_unannounced_.erase(child)) {
        // The child has come and gone already (its stops and its exit were taken first).
        Resume(task, 0);
        return;
      }
      // A thread shows up under its creator's thread group.
      const bool thread =
          event == PTRACE_EVENT_CLONE &&
          access(("/proc/" + std::to_string(task.tgid) + "/task/" + std::to_string(child)).c_str(),
                 F_OK) == 0;
      Task& c = AddTask(child, thread ? task.tgid : child);
      c.tgid = thread ? task.tgid : child;  // a stop taken first guessed tgid = tid
      c.announced = true;
      observer_.OnNewTask(c, tid);
      pinner_->Pin(child);
      pinner_->Update(tasks_);
      Resume(task, 0);
      return;
    }
    case PTRACE_EVENT_EXEC: {
      unsigned long old = 0;
      const long rc = ptrace(PTRACE_GETEVENTMSG, tid, 0, &old);
      if (rc != 0 || old == 0) {
        if (rc != 0 && errno != ESRCH) KernelError("ptrace(PTRACE_GETEVENTMSG)", errno);
        old = static_cast<unsigned long>(tid);
      }
      pid_t old_tid = static_cast<pid_t>(old);
      if (old_tid != tid) {
        // A non-leader thread exec'd: it took over the leader's tid; the leader's entry (and
        // any other thread's) is gone without an exit notification.
        auto from = tasks_.find(old_tid);
        if (from != tasks_.end()) {
          std::unique_ptr<Task> moved = std::move(from->second);
          tasks_.erase(from);
          auto leader = tasks_.find(tid);
          if (leader != tasks_.end()) {
            observer_.OnForget(*leader->second);
            tasks_.erase(leader);
          }
          moved->tid = tid;
          tasks_[tid] = std::move(moved);
        }
      }
      Task& t = tasks_.count(tid) ? *tasks_[tid] : AddTask(tid, tid);
      t.tgid = tid;
      observer_.OnExec(t, old_tid);
      Resume(t, 0);
      return;
    }
    case PTRACE_EVENT_STOP:
      if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
        // group-stop: stay stopped until SIGCONT
        if (ptrace(PTRACE_LISTEN, tid, 0, 0) != 0 && errno != ESRCH)
          KernelError("ptrace(PTRACE_LISTEN)", errno);
      } else {
        Resume(task, 0);  // initial stop of a new task, or our PTRACE_INTERRUPT
      }
      return;
    case PTRACE_EVENT_EXIT:
      Resume(task, 0);
      return;
    default:
      break;
  }
  if (event != 0) {
    Resume(task, 0);
    return;
  }
  // Signal-delivery-stop.
  siginfo_t si;
  if (ptrace(PTRACE_GETSIGINFO, tid, 0, &si) != 0) {
    Resume(task, sig);
    return;
  }
  if (checking_fault && sig == SIGTRAP &&
      (si.si_code == TRAP_TRACE || si.si_code == TRAP_BRKPT)) {
    // The step ran the instruction: it was no fault. The check's own trap (TRAP_BRKPT: the step
    // was a syscall the filter let run, x86's user_single_step_report; an int3 is SI_KERNEL).
    Resume(task, 0);
    return;
  }
  if (IsUnkillableInitFault(tid, si)) {
    // A process can queue itself a signal that looks like a fault (rt_sigqueueinfo), which an
    // init ignores: the tracer lets go only of a task whose instruction faults again. First the
    // signal is suppressed (as the kernel would drop it) and that one instruction is run alone:
    // it stops with the same signal at the same address (a fault), or with the step's SIGTRAP
    // or any other stop (no fault; the task goes on traced).
    user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, tid, 0, &regs) == 0) {
      if (checking_fault && regs.rip == task.fault_ip && sig == task.fault_sig) {
        Release(task, sig);
        return;
      }
      observer_.OnSignal(task, si);
      task.fault_check = true;
      task.fault_ip = regs.rip;
      task.fault_sig = sig;
      if (ptrace(PTRACE_SINGLESTEP, tid, 0, 0) == 0) return;
      task.fault_check = false;
      if (errno == ESRCH) return;  // killed meanwhile: its exit is reported next
      KernelError("ptrace(PTRACE_SINGLESTEP)", errno);
      Resume(task, sig);
      return;
    }
    if (errno != ESRCH) KernelError("ptrace(PTRACE_GETREGS)", errno);
  }
  task.drop_signal = false;
  observer_.OnSignal(task, si);
  Resume(task, task.drop_signal ? 0 : sig);
  task.drop_signal = false;
}

void PtraceMonitor::Release(Task& task, int sig) {
  // Only an untraced task can die of the fault (see IsUnkillableInitFault): the tracer lets go
  // of it at the fault, once the instruction was seen to fault again when run alone
  // (HandleStop); the signal passed on is dropped, the instruction faults a third time,
  // untraced, the kernel makes the init killable and it dies of the fault, its namespace with it
  // (its members, traced, report their SIGKILL here). A pidfd is kept so that KillLeftovers ends
  // it should it live on (the instruction did not fault again): it is no longer under
  // PTRACE_O_EXITKILL, and a call its filter sends to the tracer fails with ENOSYS.
  const pid_t tid = task.tid;
  core::UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, task.tgid, 0)));
  if (ptrace(PTRACE_DETACH, tid, 0, sig) != 0) {
    if (errno != ESRCH) KernelError("ptrace(PTRACE_DETACH)", errno);
    Resume(task, sig);  // still traced: as before (the exit of a dying task is reported next)
    return;
  }
  if (pidfd) released_.push_back(std::move(pidfd));
  auto it = tasks_.find(tid);
  observer_.OnForget(*it->second);
  tasks_.erase(it);
  pinner_->Update(tasks_);
}

void PtraceMonitor::KillReleased() {
  for (const auto& fd : released_) syscall(SYS_pidfd_send_signal, fd.get(), SIGKILL, nullptr, 0);
  released_.clear();
}

void PtraceMonitor::HandleSyscallStop(Task& task) {
  __ptrace_syscall_info info;
  long n = ptrace(PTRACE_GET_SYSCALL_INFO, task.tid, sizeof info, &info);
  if (n <= 0) {
    Resume(task, 0);
    return;
  }
  if (info.op == PTRACE_SYSCALL_INFO_SECCOMP || info.op == PTRACE_SYSCALL_INFO_ENTRY) {
    const uint64_t nr = info.op == PTRACE_SYSCALL_INFO_SECCOMP ? info.seccomp.nr : info.entry.nr;
    const uint64_t* args =
        info.op == PTRACE_SYSCALL_INFO_SECCOMP ? info.seccomp.args : info.entry.args;
    task.call.pid = task.tid;
    task.call.abi = core::AbiOfCall(info.arch, nr);
    task.call.nr = static_cast<int>(nr);
    for (int i = 0; i < 6; ++i) task.call.args[i] = args[i];
    task.call.ret = 0;
    task.call.sp = info.stack_pointer;
    task.trace_data = info.op == PTRACE_SYSCALL_INFO_SECCOMP
                          ? static_cast<uint16_t>(info.seccomp.ret_data) : 0;
    task.in_syscall = true;
    clock_gettime(CLOCK_REALTIME, &task.entry_time);
    bool is_get = false;
    const bool affinity = IsAffinity(task.call.abi, task.call.nr, &is_get);
    if (affinity && !is_get) pinner_->Disable(tasks_);
    // Which calls are shown: the selection's syscall numbers, never the filter's data (the
    // target's own filter can stop a call with any data).
    task.shown = options_.selected ? options_.selected(task.call.abi, task.call.nr) : true;
    if (options_.follow && !StripUntraced(task)) {
      FailClosed(task, "clearing CLONE_UNTRACED", errno);
      Resume(task, 0);
      return;
    }
    if (IsWait(task.call.abi, task.call.nr)) {
      task.parked = true;
      pinner_->Update(tasks_);
    }
    task.skip = false;
    observer_.OnEntry(task);
    if (task.skip) {
      // orig_rax = -1: the kernel skips the call; its result is set at the exit stop. If that
      // cannot be done the call would run: kill the task instead.
      user_regs_struct regs;
      if (ptrace(PTRACE_GETREGS, task.tid, 0, &regs) != 0) {
        FailClosed(task, "ptrace(PTRACE_GETREGS)", errno);
      } else {
        regs.orig_rax = static_cast<uint64_t>(-1);
        if (ptrace(PTRACE_SETREGS, task.tid, 0, &regs) != 0)
          FailClosed(task, "ptrace(PTRACE_SETREGS)", errno);
      }
    }
    Resume(task, 0);
    return;
  }
  if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
    if (!task.in_syscall) {  // attached in the middle of a call
      Resume(task, 0);
      return;
    }
    task.call.ret = info.exit.rval;
    task.in_syscall = false;
    if (task.skip) {
      // Failing here leaves the skipped call's -ENOSYS: it did not run either way.
      user_regs_struct regs;
      if (ptrace(PTRACE_GETREGS, task.tid, 0, &regs) != 0) {
        if (errno != ESRCH) KernelError("ptrace(PTRACE_GETREGS)", errno);
      } else {
        regs.rax = static_cast<uint64_t>(task.skip_ret);
        if (ptrace(PTRACE_SETREGS, task.tid, 0, &regs) != 0 && errno != ESRCH)
          KernelError("ptrace(PTRACE_SETREGS)", errno);
      }
      task.call.ret = task.skip_ret;
      task.skip = false;
    }
    bool is_get = false;
    if (IsAffinity(task.call.abi, task.call.nr, &is_get) && is_get && pinner_->pinned() &&
        task.call.ret > 0) {
      // Show the target its own mask, not the pin.
      size_t len = std::min<size_t>(static_cast<size_t>(task.call.ret), sizeof(cpu_set_t));
      iovec local{const_cast<cpu_set_t*>(&pinner_->original()), len};
      iovec remote{reinterpret_cast<void*>(task.call.args[2]), len};
      process_vm_writev(task.tid, &local, 1, &remote, 1, 0);
    }
    if (task.parked) {
      task.parked = false;
      pinner_->Update(tasks_);
    }
    observer_.OnExit(task);
    Resume(task, 0);
    return;
  }
  Resume(task, 0);
}

}  // namespace pwnbox::supervisor
