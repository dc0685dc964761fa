#include "supervisor/notify_monitor.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "supervisor/emulator.h"

// Debian 12's headers predate these (kernel 6.6).
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

namespace pwnbox::supervisor {
namespace {

bool IdValid(int listener, uint64_t id) {
  return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

bool WriteTarget(pid_t pid, uint64_t addr, const std::string& data) {
  iovec local{const_cast<char*>(data.data()), data.size()};
  iovec remote{reinterpret_cast<void*>(addr), data.size()};
  return process_vm_writev(pid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(data.size());
}

}  // namespace

NotifyMonitor::NotifyMonitor(Decider& decider, Reporter& reporter, PtraceMonitor* lifecycle,
                             Outcome* outcome)
    : decider_(decider), reporter_(reporter), lifecycle_(lifecycle), enforcer_(outcome) {
  auto own = OwnCredentials();
  if (own.ok()) {
    own_ = *own;
    const uint64_t need = (1ull << CAP_SETUID) | (1ull << CAP_SETGID) | (1ull << CAP_SETPCAP);
    can_switch_ = (own_->cap_eff & need) == need;
  }
}

NotifyMonitor::~NotifyMonitor() = default;

void NotifyMonitor::Report(const core::SyscallCall& call, const Verdict& v,
                           std::optional<int64_t> ret) {
  if (on_served_exit_) on_served_exit_(call.pid, ret);
  if (!v.report) return;
  core::ProcessMemory mem(call.pid);
  reporter_.Report(call.pid, call, mem, v, ret);
}

bool NotifyMonitor::Send(int listener, uint64_t id, int64_t ret, bool cont) {
  seccomp_notif_resp resp{};
  resp.id = id;
  if (cont) resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  else if (ret < 0 && ret >= -4095) resp.error = static_cast<int32_t>(ret);
  else resp.val = ret;
  if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0) return true;
  // ENOENT: the call was interrupted (a signal, its task died): nothing waits for the answer.
  if (errno != ENOENT) enforcer_.KernelError("SECCOMP_IOCTL_NOTIF_SEND", errno);
  return false;
}

void NotifyMonitor::Serve(int listener) {
  // The kernel may grow this struct: allocate the size it reports.
  static const size_t req_size = [] {
    seccomp_notif_sizes s{};
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &s) != 0) return sizeof(seccomp_notif);
    return std::max<size_t>(s.seccomp_notif, sizeof(seccomp_notif));
  }();
  std::vector<char> req_buf(req_size);
  auto* req = reinterpret_cast<seccomp_notif*>(req_buf.data());
  if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) != 0) {
    // ENOENT: the call was interrupted before we got it.
    if (errno != ENOENT && errno != EINTR) enforcer_.KernelError("SECCOMP_IOCTL_NOTIF_RECV", errno);
    return;
  }

  core::SyscallCall call;
  call.pid = static_cast<pid_t>(req->pid);
  call.nr = req->data.nr;
  call.abi = core::AbiOfCall(req->data.arch, req->data.nr);
  for (int i = 0; i < 6; ++i) call.args[i] = req->data.args[i];
  core::ProcessMemory mem(call.pid);
  Verdict v = decider_.Decide(call, mem);
  // What was read (paths) may belong to another process by now if the target died and its
  // pid was reused: decide nothing on it.
  if (!IdValid(listener, req->id)) return;
  if (on_served_entry_) on_served_entry_(call);

  Enforcement e = enforcer_.Plan(v, call, Backend::kNotify);
  switch (e.what) {
    case Enforcement::Do::kEmulate:
      Emulate(listener, req->id, call, std::move(v));
      return;
    case Enforcement::Do::kProxy:
      Proxy(listener, req->id, call, std::move(v));
      return;
    case Enforcement::Do::kKill:
      Report(call, v, std::nullopt);
      if (on_kill_) on_kill_(call.pid);
      enforcer_.Kill(call.pid);
      return;
    case Enforcement::Do::kContinue:
      Report(call, v, std::nullopt);
      Send(listener, req->id, 0, /*cont=*/true);
      return;
    case Enforcement::Do::kRewrite:  // ptrace only
      e.ret = -ENOSYS;
      [[fallthrough]];
    case Enforcement::Do::kAnswer: {
      Report(call, v, e.ret);
      // The signal goes first (see enforcer.h): the answer may find the call interrupted.
      if (e.trap) enforcer_.Trap(0, call.pid, call);
      Send(listener, req->id, e.ret);
      return;
    }
  }
}

void NotifyMonitor::Emulate(int listener, uint64_t id, const core::SyscallCall& call, Verdict v) {
  const std::string* to = nullptr;
  if (v.kind == Verdict::Kind::kRedirect && v.rule >= 0)
    to = &decider_.policy().rules[static_cast<size_t>(v.rule)].action.to;
  core::ProcessMemory mem(call.pid);
  auto prepared = PrepareEmulation(call, v, to, mem);
  if (!prepared) {
    Enforcement e = enforcer_.NotEmulated(v);
    const bool cont = e.what == Enforcement::Do::kContinue;
    Report(call, v, cont ? std::nullopt : std::optional<int64_t>(e.ret));
    Send(listener, id, e.ret, cont);
    return;
  }
  if (!prepared->ok()) {
    const int64_t ret = -prepared->error().sys_errno();
    Report(call, v, ret);
    Send(listener, id, ret);
    return;
  }
  // The credentials of the calling thread, read after the decision, checked before acting
  // (the thread may have died and its id been reused).
  auto st = StatusOf(call.pid, Creates(**prepared));
  if (!IdValid(listener, id)) return;
  int64_t refuse = 0;
  bool take = true;
  if (!st.ok()) {
    enforcer_.KernelError("reading /proc/TID/status", st.error().sys_errno());
    refuse = -EPERM;
  } else {
    take = !own_ || !(st->creds == *own_);
    if (take && !can_switch_) {
      // Not expected under NO_NEW_PRIVS: the target's ids are the supervisor's own.
      enforcer_.KernelError("acting as the target's credentials", EPERM);
      refuse = -EPERM;
    }
  }
  if (refuse == 0 && !take && !Creates(**prepared)) {
    // Acting as the target needs no other identity here: what cannot block is done at once.
    if (auto r = PerformIfQuick(**prepared)) {
      InFlight f;
      f.call = call;
      f.verdict = std::move(v);
      f.out_addr = (*prepared)->out_addr;
      Deliver(listener, id, f, *r);
      return;
    }
  }
  if (refuse == 0) {
    const uint64_t out_addr = (*prepared)->out_addr;
    if (pool_->Submit(id, st->creds, take, st->umask, std::move(prepared->value()))) {
      InFlight f;
      f.call = call;
      f.verdict = std::move(v);
      f.out_addr = out_addr;
      in_flight_.emplace(id, std::move(f));
      return;
    }
    refuse = -EAGAIN;  // kMaxInFlight emulations are running already
  }
  Report(call, v, refuse);
  Send(listener, id, refuse);
}

void NotifyMonitor::Proxy(int listener, uint64_t id, const core::SyscallCall& call, Verdict v) {
  core::ProcessMemory mem(call.pid);
  auto prepared = ProxyCalls::Prepare(call, v, mem);
  if (prepared.ok() && prepared->creates) {
    // The target's umask applies to what the backend creates, as the kernel would apply it.
    auto st = StatusOf(call.pid, /*need_umask=*/true);
    if (!st.ok()) {
      enforcer_.KernelError("reading /proc/TID/status", st.error().sys_errno());
      prepared = core::Error("umask", EPERM);
    } else {
      ProxyCalls::ApplyUmask(*prepared, st->umask);
    }
  }
  // What was read (a symlink's text, a sockaddr, its socket, the umask) may be another
  // process's by now if the target died and its pid was reused.
  if (!IdValid(listener, id)) return;
  if (!prepared.ok()) {
    const int64_t ret = -prepared.error().sys_errno();
    Report(call, v, ret);
    Send(listener, id, ret);
    return;
  }
  if (prepared->expect == ProxyCalls::Prepared::Expect::kContinue) {  // send(): no destination
    Report(call, v, std::nullopt);
    Send(listener, id, 0, /*cont=*/true);
    return;
  }
  if (in_flight_.size() >= kMaxInFlight) {
    Report(call, v, -EAGAIN);
    Send(listener, id, -EAGAIN);
    return;
  }
  if (!proxy_) proxy_ = std::make_unique<ProxyCalls>(reporter_.fd(), kMaxInFlight);
  InFlight f;
  f.call = call;
  f.verdict = std::move(v);
  f.out_addr = prepared->out_addr;
  in_flight_.emplace(id, std::move(f));
  if (!proxy_->SendFromLoop(id, *prepared)) proxy_->Submit(id, std::move(*prepared));
}

void NotifyMonitor::Finish(int listener, WorkerPool::Done& done) {
  auto it = in_flight_.find(done.token);
  if (it == in_flight_.end()) return;
  InFlight f = std::move(it->second);
  in_flight_.erase(it);
  if (f.cancelled) {  // nothing waits for it; an fd is closed with `done`
    Report(f.call, f.verdict, std::nullopt);
    return;
  }
  Deliver(listener, done.token, f, done.result);
}

void NotifyMonitor::Deliver(int listener, uint64_t id, const InFlight& f, EmulationResult& r) {
  if (r.fd && r.install_at >= 0) {
    // A proxied socket replaces the target's at its number (ProxyCalls), then the call's answer.
    seccomp_notif_addfd addfd{};
    addfd.id = id;
    addfd.flags = SECCOMP_ADDFD_FLAG_SETFD;
    addfd.srcfd = static_cast<uint32_t>(r.fd.get());
    addfd.newfd = static_cast<uint32_t>(r.install_at);
    addfd.newfd_flags = r.cloexec ? O_CLOEXEC : 0;
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd) < 0) {
      const int err = errno;
      if (err == ENOENT) return Report(f.call, f.verdict, std::nullopt);  // interrupted or gone
      if (err != EMFILE) enforcer_.KernelError("SECCOMP_IOCTL_NOTIF_ADDFD", err);
      r.ret = -err;
    }
    Report(f.call, f.verdict, r.ret);
    Send(listener, id, r.ret);
    return;
  }
  if (r.fd) {
    seccomp_notif_addfd addfd{};
    addfd.id = id;
    addfd.flags = SECCOMP_ADDFD_FLAG_SEND;
    addfd.srcfd = static_cast<uint32_t>(r.fd.get());
    addfd.newfd_flags = r.cloexec ? O_CLOEXEC : 0;
    int rc = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
    if (rc >= 0) {
      Report(f.call, f.verdict, rc);
      return;
    }
    const int err = errno;
    if (err == ENOENT) {  // interrupted or gone
      Report(f.call, f.verdict, std::nullopt);
      return;
    }
    // EMFILE (the target's RLIMIT_NOFILE): the call fails with it, as the kernel's open would.
    if (err != EMFILE) enforcer_.KernelError("SECCOMP_IOCTL_NOTIF_ADDFD", err);
    Report(f.call, f.verdict, -err);
    Send(listener, id, -err);
    return;
  }
  if (r.ret >= 0 && !r.out.empty()) {
    if (!IdValid(listener, id)) return;
    if (!WriteTarget(f.call.pid, f.out_addr, r.out)) r.ret = -EFAULT;
  }
  Report(f.call, f.verdict, r.ret);
  Send(listener, id, r.ret);
}

core::Result<TaskStatus> NotifyMonitor::StatusOf(pid_t tid, bool need_umask) {
  // With these, no permission check of a file call looks at the groups (access() too, when the
  // real uid is 0: it keeps the capabilities then).
  constexpr uint64_t kFileCaps = (1ull << CAP_CHOWN) | (1ull << CAP_DAC_OVERRIDE) |
                                 (1ull << CAP_DAC_READ_SEARCH) | (1ull << CAP_FOWNER) |
                                 (1ull << CAP_FSETID);
  auto it = status_cache_.find(tid);
  if (!need_umask && quick_creds_ && it != status_cache_.end()) {
    auto q = ReadQuickCredentials(tid);
    if (q.ok() && q->Matches(it->second.raw) &&
        (!(it->second.raw.cap_prm & (1ull << CAP_SETGID)) ||
         (q->ruid == 0 && (q->cap_eff & kFileCaps) == kFileCaps)))
      return it->second;
    if (!q.ok() && (q.error().sys_errno() == ENOTTY || q.error().sys_errno() == EINVAL))
      quick_creds_ = false;
  }
  auto st = ReadTaskStatus(tid);
  if (st.ok()) status_cache_[tid] = *st;
  return st;
}

bool NotifyMonitor::CheckInFlight(int listener) {
  bool cancelling = false;
  for (auto& [id, f] : in_flight_) {
    if (!f.cancelled && !IdValid(listener, id)) f.cancelled = true;
    if (f.cancelled) {
      pool_->Cancel(id);
      cancelling = true;
    }
  }
  return cancelling;
}

core::Result<int> NotifyMonitor::Run(core::UniqueFd listener, pid_t main_pid) {
  uint64_t flags = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
  sync_wake_up_ = ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags) == 0;
  pool_ = std::make_unique<WorkerPool>(kMaxInFlight, enforcer_.outcome());

  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  core::UniqueFd sfd(signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sfd) return core::ErrnoError(errno, "signalfd");

  int main_status = 0;
  bool main_done = false;
  bool listening = true;
  bool cancelling = false;
  auto reap = [&] {
    signalfd_siginfo si;
    while (read(sfd.get(), &si, sizeof si) == sizeof si) {
    }
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG | __WALL)) > 0) {
      if (!WIFSTOPPED(status)) status_cache_.erase(pid);  // the tid may be reused now
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
  auto done = [&] {
    return main_done && (!until_all_tasks_ || !lifecycle_ || lifecycle_->task_count() == 0);
  };
  std::vector<pollfd> fds;
  while (!done()) {
    const int timeout = PollFds(sfd.get(), listening ? listener.get() : -1, cancelling, &fds);
    int n = poll(fds.data(), fds.size(), timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      return core::ErrnoError(errno, "poll");
    }
    HandleReady(listener.get(), fds, &listening);
    if (fds[0].revents & POLLIN) reap();
    if (!in_flight_.empty() && (n == 0 || (fds[0].revents & POLLIN) || cancelling))
      cancelling = CheckInFlight(listener.get());
    else if (in_flight_.empty())
      cancelling = false;
  }
  in_flight_.clear();
  pool_.reset();  // cancels the workers still running
  proxy_.reset();  // waits for the proxied calls still running (each bounded by a timeout)
  return main_status;
}

int NotifyMonitor::PollFds(int first_fd, int listener, bool cancelling,
                           std::vector<pollfd>* fds) {
  fds->assign({{first_fd, POLLIN, 0},
               {pool_->event_fd(), POLLIN, 0},
               {proxy_ ? proxy_->event_fd() : -1, POLLIN, 0},
               {listener, POLLIN, 0}});
  if (proxy_) proxy_->AppendPollFds(fds);  // the proxied calls sent from this loop
  // With calls in flight, a notification may become invalid without any event (a signal
  // interrupts the call, its task is killed): look again now and then, often while cancelling.
  int timeout = in_flight_.empty() ? -1 : cancelling ? 10 : 200;
  if (proxy_) {
    const int proxied = proxy_->NextTimeoutMs();
    if (proxied >= 0 && (timeout < 0 || proxied < timeout)) timeout = proxied;
  }
  return timeout;
}

void NotifyMonitor::HandleReady(int listener, std::vector<pollfd>& fds, bool* listening) {
  if (proxy_ && fds.size() > 4)
    for (auto& d : proxy_->OnReady(fds.data() + 4, fds.size() - 4)) {
      WorkerPool::Done done{d.token, std::move(d.result)};
      Finish(listener, done);
    }
  if (fds[1].revents & POLLIN)
    for (auto& d : pool_->TakeDone()) Finish(listener, d);
  if (proxy_ && (fds[2].revents & POLLIN))
    for (auto& d : proxy_->TakeDone()) {
      WorkerPool::Done done{d.token, std::move(d.result)};
      Finish(listener, done);
    }
  if (*listening && (fds[3].revents & POLLIN)) Serve(listener);
  if (*listening && (fds[3].revents & (POLLHUP | POLLERR | POLLNVAL)) &&
      !(fds[3].revents & POLLIN))
    *listening = false;  // no task uses the filter any more
}

core::Status NotifyMonitor::ServeOnly(core::UniqueFd listener, int stop_fd) {
  uint64_t flags = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
  sync_wake_up_ = ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags) == 0;
  pool_ = std::make_unique<WorkerPool>(kMaxInFlight, enforcer_.outcome());
  bool listening = true;
  bool cancelling = false;
  std::vector<pollfd> fds;
  for (;;) {
    const int timeout = PollFds(stop_fd, listening ? listener.get() : -1, cancelling, &fds);
    const int n = poll(fds.data(), fds.size(), timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      in_flight_.clear();
      pool_.reset();
      proxy_.reset();
      return core::ErrnoError(errno, "poll");
    }
    if (fds[0].revents & POLLIN) break;
    HandleReady(listener.get(), fds, &listening);
    if (!in_flight_.empty())
      cancelling = CheckInFlight(listener.get());
    else
      cancelling = false;
  }
  in_flight_.clear();
  pool_.reset();   // cancels the workers still running
  proxy_.reset();  // waits for the proxied calls still running (each bounded by a timeout)
  return core::Status::Ok();
}

}  // namespace pwnbox::supervisor
