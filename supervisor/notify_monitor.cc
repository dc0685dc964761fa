#include "supervisor/notify_monitor.h"

#include "supervisor/emulator.h"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

// Debian 12's headers predate these (kernel 6.6).
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

namespace pwnbox::supervisor {
namespace {

core::Abi AbiOf(uint32_t arch, int nr) {
  if (arch == AUDIT_ARCH_I386) return core::Abi::kI386;
  if (nr & 0x40000000) return core::Abi::kX32;
  return core::Abi::kX86_64;
}

}  // namespace

NotifyMonitor::NotifyMonitor(Decider& decider, Reporter& reporter, PtraceMonitor* lifecycle)
    : decider_(decider), reporter_(reporter), lifecycle_(lifecycle) {}

void NotifyMonitor::Serve(int listener) {
  // The kernel may grow these structs: allocate the sizes it reports.
  static const seccomp_notif_sizes sizes = [] {
    seccomp_notif_sizes s{};
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &s) != 0) {
      s.seccomp_notif = sizeof(seccomp_notif);
      s.seccomp_notif_resp = sizeof(seccomp_notif_resp);
    }
    return s;
  }();
  std::vector<char> req_buf(std::max<size_t>(sizes.seccomp_notif, sizeof(seccomp_notif)));
  std::vector<char> resp_buf(std::max<size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp)));
  auto* req = reinterpret_cast<seccomp_notif*>(req_buf.data());
  auto* resp = reinterpret_cast<seccomp_notif_resp*>(resp_buf.data());
  std::memset(req, 0, req_buf.size());
  if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) != 0) return;  // ENOENT: target gone

  core::SyscallCall call;
  call.pid = static_cast<pid_t>(req->pid);
  call.nr = req->data.nr;
  call.abi = AbiOf(req->data.arch, req->data.nr);
  for (int i = 0; i < 6; ++i) call.args[i] = req->data.args[i];
  core::ProcessMemory mem(call.pid);
  Verdict v = decider_.Decide(call, mem);
  // What was read (paths) may belong to another process by now if the target died and its
  // pid was reused: decide nothing on it.
  if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) != 0) return;

  std::memset(resp, 0, resp_buf.size());
  resp->id = req->id;
  std::optional<int64_t> ret;
  // A decision that rests on a path is carried out by the supervisor on the path it checked
  // (CONTINUE would let the kernel read the target's memory again, after another thread may
  // have changed it).
  const bool emulate = (v.kind == Verdict::Kind::kContinue && v.path_checked && !v.complained) ||
                       v.kind == Verdict::Kind::kRedirect;
  if (emulate) {
    const std::string* to = nullptr;
    if (v.kind == Verdict::Kind::kRedirect)
      to = &decider_.policy().rules[static_cast<size_t>(v.rule)].action.to;
    std::optional<Emulated> e = Emulate(listener, req->id, call, v.paths, to);
    if (e && e->answered) {
      if (v.report) reporter_.Report(call.pid, call, mem, v, e->value);
      return;
    }
    if (e) {
      ret = e->value;
      if (e->value < 0) resp->error = static_cast<int32_t>(e->value);
      else resp->val = e->value;
    } else if (to) {
      resp->error = -ENOSYS;  // a redirect the supervisor cannot carry out fails closed
      ret = -ENOSYS;
    } else {
      resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;  // advisory: see docs/security.md
    }
  } else {
    switch (v.kind) {
      case Verdict::Kind::kContinue:
        resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        break;
      case Verdict::Kind::kRedirect:
      case Verdict::Kind::kModify:  // refused before the run (Decider::Unsupported)
        resp->error = -ENOSYS;
        ret = -ENOSYS;
        break;
      case Verdict::Kind::kFail:
        resp->error = -static_cast<int32_t>(v.value);
        ret = -v.value;
        break;
      case Verdict::Kind::kReturn:
        resp->val = v.value;
        ret = v.value;
        break;
      case Verdict::Kind::kTrap:
        syscall(SYS_tgkill, call.pid, call.pid, SIGSYS);
        resp->error = -ENOSYS;
        ret = -ENOSYS;
        break;
      case Verdict::Kind::kKillProcess:
      case Verdict::Kind::kKillThread:
        // A verdict from user space cannot make the kernel kill with SIGSYS: SIGKILL does it.
        kill(call.pid, SIGKILL);
        resp->error = -ENOSYS;
        break;
    }
  }
  if (v.report) reporter_.Report(call.pid, call, mem, v, ret);
  ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp);  // ENOENT: the target was interrupted
}

core::Result<int> NotifyMonitor::Run(core::UniqueFd listener, pid_t main_pid) {
  uint64_t flags = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
  sync_wake_up_ = ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags) == 0;

  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  core::UniqueFd sfd(signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sfd) return core::ErrnoError(errno, "signalfd");

  int main_status = 0;
  bool main_done = false;
  bool listening = true;
  auto reap = [&] {
    signalfd_siginfo si;
    while (read(sfd.get(), &si, sizeof si) == sizeof si) {
    }
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG | __WALL)) > 0) {
      if (lifecycle_) {
        lifecycle_->Dispatch(pid, status);
        if (lifecycle_->main_done()) {
          main_status = lifecycle_->main_status();
          main_done = true;
        }
      } else if (pid == main_pid && !WIFSTOPPED(status)) {
        main_status = status;
        main_done = true;
      }
    }
  };
  reap();  // the target may already be gone
  while (!main_done) {
    pollfd fds[2] = {{sfd.get(), POLLIN, 0}, {listener.get(), POLLIN, 0}};
    int n = poll(fds, listening ? 2 : 1, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return core::ErrnoError(errno, "poll");
    }
    if (listening && (fds[1].revents & POLLIN)) Serve(listener.get());
    if (listening && (fds[1].revents & (POLLHUP | POLLERR | POLLNVAL)) &&
        !(fds[1].revents & POLLIN))
      listening = false;  // no task uses the filter any more
    if (fds[0].revents & POLLIN) reap();
  }
  return main_status;
}

}  // namespace pwnbox::supervisor
