#include "supervisor/policy_tracer.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>

#include <cerrno>
#include <variant>

namespace pwnbox::supervisor {

void PolicyTracer::OnEntry(Task& task) {
  core::ProcessMemory mem(task.tid);
  Verdict v = decider_.Decide(task.call, mem);
  const Enforcement e = enforcer_.Plan(v, task.call, Backend::kPtrace);
  switch (e.what) {
    case Enforcement::Do::kContinue:
    case Enforcement::Do::kEmulate:  // not planned for ptrace
      break;
    case Enforcement::Do::kRewrite:
      if (!(v.kind == Verdict::Kind::kModify ? Modify(task, v) : Redirect(task, v))) {
        task.skip = true;  // fails closed
        task.skip_ret = -ENOSYS;
      }
      break;
    case Enforcement::Do::kAnswer:
      task.skip = true;
      task.skip_ret = e.ret;
      // The tracee is stopped: the signal is delivered when the skipped call returns, with
      // rax = the syscall number, as SECCOMP_RET_TRAP leaves it.
      if (e.trap) enforcer_.Trap(task.tgid, task.tid, task.call);
      break;
    case Enforcement::Do::kKill:
      if (on_kill_) on_kill_(task.tid);
      enforcer_.Kill(task.tid);
      break;
    case Enforcement::Do::kProxy:  // not planned for ptrace (proxy rules route through notify)
      task.skip = true;
      task.skip_ret = -ENOSYS;
      break;
  }
  if (v.report) {
    Pending& p = verdicts_[task.tid];
    if (reporter_) {
      core::ProcessMemory entry_mem(task.tid);
      p.entry = reporter_->DecodeEntry(task.call, entry_mem);
    }
    p.verdict = v;
  }
  if (inner_) inner_->OnEntry(task);
}

namespace {

// Copies `s` (with its NUL) below `*floor` in the target's stack and lowers `*floor`.
bool PushString(pid_t tid, const std::string& s, uint64_t* floor) {
  const uint64_t addr = (*floor - s.size() - 1) & ~uint64_t{15};
  iovec local{const_cast<char*>(s.c_str()), s.size() + 1};
  iovec remote{reinterpret_cast<void*>(addr), s.size() + 1};
  if (process_vm_writev(tid, &local, 1, &remote, 1, 0) != static_cast<ssize_t>(s.size() + 1))
    return false;
  *floor = addr;
  return true;
}

}  // namespace

// Applies the rule's `set`: integers go into the argument registers, strings are copied below
// the stack's red zone and their address goes into the register (the tracee is stopped; the
// copies are dead once the call returns).
bool PolicyTracer::Modify(Task& task, const Verdict& v) {
  if (task.call.abi != core::Abi::kX86_64 || v.rule < 0) return false;
  const auto& set = decider_.policy().rules[static_cast<size_t>(v.rule)].action.set;
  user_regs_struct regs;
  if (ptrace(PTRACE_GETREGS, task.tid, 0, &regs) != 0) {
    if (errno != ESRCH) enforcer_.KernelError("PTRACE_GETREGS", errno);
    return false;
  }
  uint64_t floor = regs.rsp - 128;
  for (const auto& a : set) {
    if (const auto* i = std::get_if<int64_t>(&a.value)) {
      *ArgRegister(regs, task.call.abi, a.arg) = static_cast<uint64_t>(*i);
      task.call.args[a.arg] = static_cast<uint64_t>(*i);
    } else {
      if (!PushString(task.tid, std::get<std::string>(a.value), &floor)) {
        if (errno != ESRCH) enforcer_.KernelError("process_vm_writev", errno);
        return false;
      }
      *ArgRegister(regs, task.call.abi, a.arg) = floor;
      task.call.args[a.arg] = floor;
    }
  }
  if (ptrace(PTRACE_SETREGS, task.tid, 0, &regs) == 0) return true;
  if (errno != ESRCH) enforcer_.KernelError("PTRACE_SETREGS", errno);
  return false;
}

// Points the call's first path argument at a copy of the rule's `to`, written below the
// target's stack red zone (the tracee is stopped; the string is dead once the call returns).
bool PolicyTracer::Redirect(Task& task, const Verdict& v) {
  if (task.call.abi != core::Abi::kX86_64 || v.paths.empty() || v.rule < 0) return false;
  const std::string& to = decider_.policy().rules[static_cast<size_t>(v.rule)].action.to;
  user_regs_struct regs;
  if (ptrace(PTRACE_GETREGS, task.tid, 0, &regs) != 0) {
    if (errno != ESRCH) enforcer_.KernelError("PTRACE_GETREGS", errno);
    return false;
  }
  uint64_t floor = regs.rsp - 128;
  if (!PushString(task.tid, to, &floor)) {
    if (errno != ESRCH) enforcer_.KernelError("process_vm_writev", errno);
    return false;
  }
  *ArgRegister(regs, task.call.abi, v.paths[0].arg.path) = floor;
  // An absolute `to` ignores the dirfd, as the kernel does.
  if (ptrace(PTRACE_SETREGS, task.tid, 0, &regs) == 0) return true;
  if (errno != ESRCH) enforcer_.KernelError("PTRACE_SETREGS", errno);
  return false;
}

void PolicyTracer::OnExit(Task& task) {
  auto it = verdicts_.find(task.tid);
  if (it != verdicts_.end()) {
    if (reporter_) {
      core::ProcessMemory mem(task.tid);
      reporter_->Report(task.tid, task.call, mem, it->second.verdict, task.call.ret,
                        &it->second.entry);
    }
    verdicts_.erase(it);
  }
  if (inner_) inner_->OnExit(task);
}

void PolicyTracer::OnTaskExit(Task& task, int status) {
  Enforcer::Forget(task.tid);
  auto it = verdicts_.find(task.tid);
  if (it != verdicts_.end() && reporter_) {
    core::ProcessMemory mem(task.tid);
    reporter_->Report(task.tid, task.call, mem, it->second.verdict, std::nullopt,
                      &it->second.entry);
  }
  verdicts_.erase(task.tid);
  if (inner_) inner_->OnTaskExit(task, status);
}

void PolicyTracer::OnForget(Task& task) {
  verdicts_.erase(task.tid);
  if (inner_) inner_->OnForget(task);
}

}  // namespace pwnbox::supervisor
