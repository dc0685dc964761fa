#include "supervisor/enforcer.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

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

void Enforcer::Trap(pid_t tgid, pid_t tid) const {
  if (tgid == 0) {
    auto st = ReadTaskStatus(tid);
    if (!st.ok()) return;  // gone
    tgid = st->tgid;
  }
  if (syscall(SYS_tgkill, tgid, tid, SIGSYS) != 0 && errno != ESRCH) KernelError("tgkill", errno);
}

void Enforcer::Kill(pid_t tid) const {
  // kill() with a thread id signals that thread's whole group.
  if (kill(tid, SIGKILL) != 0 && errno != ESRCH) KernelError("kill(SIGKILL)", errno);
}

}  // namespace pwnbox::supervisor
