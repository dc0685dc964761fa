#include "supervisor/policy_tracer.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace pwnbox::supervisor {

void PolicyTracer::OnEntry(Task& task) {
  Verdict v = decider_.Decide(task.call.abi, task.call.nr, task.call.args);
  switch (v.kind) {
    case Verdict::Kind::kContinue:
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
