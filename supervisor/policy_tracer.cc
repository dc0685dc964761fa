#include "supervisor/policy_tracer.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>

#include <cerrno>

namespace pwnbox::supervisor {

void PolicyTracer::OnEntry(Task& task) {
  core::ProcessMemory mem(task.tid);
  Verdict v = decider_.Decide(task.call, mem);
  switch (v.kind) {
    case Verdict::Kind::kContinue:
      break;
    case Verdict::Kind::kRedirect:
      if (!Redirect(task, v)) {
        task.skip = true;  // fails closed
        task.skip_ret = -ENOSYS;
      }
      break;
    case Verdict::Kind::kFail:
      task.skip = true;
      task.skip_ret = -v.value;
      break;
    case Verdict::Kind::kReturn:
      task.skip = true;
      task.skip_ret = v.value;
      break;
    case Verdict::Kind::kTrap:
      syscall(SYS_tgkill, task.tgid, task.tid, SIGSYS);
      task.skip = true;
      task.skip_ret = -ENOSYS;
      break;
    case Verdict::Kind::kKillProcess:
    case Verdict::Kind::kKillThread:
      kill(task.tgid, SIGKILL);
      break;
  }
  if (v.report) verdicts_[task.tid] = v;
  if (inner_) inner_->OnEntry(task);
}

// Points the call's first path argument at a copy of the rule's `to`, written below the
// target's stack red zone (the tracee is stopped; the string is dead once the call returns).
bool PolicyTracer::Redirect(Task& task, const Verdict& v) {
  if (task.call.abi != core::Abi::kX86_64 || v.paths.empty() || v.rule < 0) return false;
  const std::string& to = decider_.policy().rules[static_cast<size_t>(v.rule)].action.to;
  user_regs_struct regs;
  if (ptrace(PTRACE_GETREGS, task.tid, 0, &regs) != 0) return false;
  const uint64_t addr = (regs.rsp - 128 - to.size() - 1) & ~uint64_t{15};
  iovec local{const_cast<char*>(to.c_str()), to.size() + 1};
  iovec remote{reinterpret_cast<void*>(addr), to.size() + 1};
  if (process_vm_writev(task.tid, &local, 1, &remote, 1, 0) != static_cast<ssize_t>(to.size() + 1))
    return false;
  unsigned long long* arg_regs[6] = {&regs.rdi, &regs.rsi, &regs.rdx, &regs.r10, &regs.r8, &regs.r9};
  const PathArg& arg = v.paths[0].arg;
  *arg_regs[arg.path] = addr;
  // An absolute `to` ignores the dirfd, as the kernel does.
  return ptrace(PTRACE_SETREGS, task.tid, 0, &regs) == 0;
}

void PolicyTracer::OnExit(Task& task) {
  auto it = verdicts_.find(task.tid);
  if (it != verdicts_.end()) {
    if (reporter_) {
      core::ProcessMemory mem(task.tid);
      reporter_->Report(task.tid, task.call, mem, it->second, task.call.ret);
    }
    verdicts_.erase(it);
  }
  if (inner_) inner_->OnExit(task);
}

void PolicyTracer::OnTaskExit(Task& task, int status) {
  auto it = verdicts_.find(task.tid);
  if (it != verdicts_.end() && reporter_) {
    core::ProcessMemory mem(task.tid);
    reporter_->Report(task.tid, task.call, mem, it->second, std::nullopt);
  }
  verdicts_.erase(task.tid);
  if (inner_) inner_->OnTaskExit(task, status);
}

void PolicyTracer::OnForget(Task& task) {
  verdicts_.erase(task.tid);
  if (inner_) inner_->OnForget(task);
}

}  // namespace pwnbox::supervisor
