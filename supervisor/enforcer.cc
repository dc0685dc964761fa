#include "supervisor/enforcer.h"

#include <linux/audit.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <unordered_map>

#include "supervisor/credentials.h"

namespace pwnbox::supervisor {

Enforcement Enforcer::Plan(const Verdict& v, const core::SyscallCall& call,
                           Backend backend) const {
  using K = Verdict::Kind;
  using D = Enforcement::Do;
  Enforcement e;
  switch (v.kind) {
    case K::kContinue:
      // A decision that rests on a path is carried out by the supervisor on the path it
      // checked (CONTINUE would let the kernel read the target's memory again).
      e.what = (backend == Backend::kNotify && v.path_checked && !v.complained) ? D::kEmulate
                                                                                : D::kContinue;
      break;
    case K::kRedirect:
      e.what = backend == Backend::kNotify ? D::kEmulate : D::kRewrite;
      break;
    case K::kModify:
      if (backend == Backend::kPtrace) {
        e.what = D::kRewrite;
      } else {
        e.what = D::kAnswer;  // refused before the run (Decider::Unsupported)
        e.ret = -ENOSYS;
      }
      break;
    case K::kProxy:
      if (backend == Backend::kNotify) {
        e.what = D::kProxy;
      } else {
        e.what = D::kAnswer;  // proxy rules route through notify (filters RouteOf)
        e.ret = -ENOSYS;
      }
      break;
    case K::kFail:
      e.what = D::kAnswer;
      e.ret = -v.value;
      break;
    case K::kReturn:
      e.what = D::kAnswer;
      e.ret = v.value;
      break;
    case K::kTrap:
      e.what = D::kAnswer;
      e.ret = call.nr;  // SECCOMP_RET_TRAP rolls the call back: rax holds its number
      e.trap = true;
      break;
    case K::kKillProcess:
    case K::kKillThread:
      e.what = D::kKill;
      break;
  }
  return e;
}

Enforcement Enforcer::NotEmulated(const Verdict& v) const {
  Enforcement e;
  if (v.kind == Verdict::Kind::kRedirect) {
    e.what = Enforcement::Do::kAnswer;
    e.ret = -ENOSYS;
  } else {
    e.what = Enforcement::Do::kContinue;
  }
  return e;
}

namespace {

struct PendingTrap {
  int nr;
  core::Abi abi;
};
std::mutex g_traps_mu;
std::unordered_map<pid_t, PendingTrap> g_traps;  // by thread id, until the delivery stop

}  // namespace

void Enforcer::Trap(pid_t tgid, pid_t tid, const core::SyscallCall& call) const {
  if (tgid == 0) {
    auto st = ReadTaskStatus(tid);
    if (!st.ok()) return;  // gone
    tgid = st->tgid;
  }
  {
    std::lock_guard<std::mutex> lock(g_traps_mu);
    g_traps[tid] = {call.nr, call.abi};
  }
  int rc = static_cast<int>(syscall(SYS_tgkill, tgid, tid, SIGSYS));
  if (rc != 0 && errno == ESRCH) {
    // The tracer may not know a new thread's group yet (its first stop can come before the
    // clone event that names it): ask the kernel, so that the trap is not lost.
    if (auto st = ReadTaskStatus(tid); st.ok() && st->tgid != tgid)
      rc = static_cast<int>(syscall(SYS_tgkill, st->tgid, tid, SIGSYS));
    else
      errno = ESRCH;
  }
  if (rc != 0) {
    if (errno != ESRCH) KernelError("tgkill", errno);
    std::lock_guard<std::mutex> lock(g_traps_mu);
    g_traps.erase(tid);
  }
}

void Enforcer::FixTrapSignal(pid_t tid, const siginfo_t& si) const {
  if (si.si_signo != SIGSYS) return;
  PendingTrap trap;
  {
    std::lock_guard<std::mutex> lock(g_traps_mu);
    auto it = g_traps.find(tid);
    if (it == g_traps.end()) return;
    trap = it->second;
    g_traps.erase(it);
  }
  user_regs_struct regs;
  if (ptrace(PTRACE_GETREGS, tid, 0, &regs) != 0) {
    if (errno != ESRCH) KernelError("PTRACE_GETREGS", errno);
    return;
  }
  // Only at the trapped call's return: its wait interrupted (-ERESTARTSYS) or answered (the
  // number; under ptrace the call was skipped: orig_rax -1). A SIGSYS the target had blocked
  // arrives later, anywhere: leave it alone.
  constexpr int64_t kErestartsys = -512;
  const auto rax = static_cast<int64_t>(regs.rax);
  const auto orig = static_cast<int64_t>(regs.orig_rax);
  if ((orig != trap.nr && orig != -1) || (rax != kErestartsys && rax != trap.nr)) return;
  // With rax = the number the kernel's restart logic leaves the call alone.
  regs.rax = static_cast<uint64_t>(static_cast<int64_t>(trap.nr));
  if (ptrace(PTRACE_SETREGS, tid, 0, &regs) != 0 && errno != ESRCH)
    KernelError("PTRACE_SETREGS", errno);
  siginfo_t info{};
  info.si_signo = SIGSYS;
  info.si_code = 1;  // SYS_SECCOMP
  info.si_errno = 0;  // SECCOMP_RET_DATA: an escalated trap has none
  info.si_call_addr = reinterpret_cast<void*>(regs.rip);
  info.si_syscall = trap.nr;
  info.si_arch = trap.abi == core::Abi::kI386 ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64;
  if (ptrace(PTRACE_SETSIGINFO, tid, 0, &info) != 0 && errno != ESRCH)
    KernelError("PTRACE_SETSIGINFO", errno);
}

void Enforcer::Forget(pid_t tid) {
  std::lock_guard<std::mutex> lock(g_traps_mu);
  g_traps.erase(tid);
}

void Enforcer::Kill(pid_t tid) const {
  // kill() with a thread id signals that thread's whole group.
  if (kill(tid, SIGKILL) != 0 && errno != ESRCH) KernelError("kill(SIGKILL)", errno);
}

}  // namespace pwnbox::supervisor
