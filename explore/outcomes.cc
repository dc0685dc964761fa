#include "explore/outcomes.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <string>

#include "core/decoder.h"
#include "supervisor/ptrace_monitor.h"

namespace pwnbox::explore {
namespace {

constexpr int kErestartSys = 512;
constexpr int kErestartNoHand = 514;

bool Upper(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string ErrnoHint(std::string_view word) {
  std::string best;
  int best_d = 3;
  for (int e = 1; e < 512; ++e) {
    const std::string_view name = core::ErrnoName(e);
    if (name.empty()) continue;
    const int d = core::EditDistance(word, name);
    if (d < best_d) best_d = d, best = name;
  }
  for (std::string_view w : {"ok", "short", "eof", "eintr"}) {
    const int d = core::EditDistance(word, w);
    if (d < best_d) best_d = d, best = w;
  }
  return best.empty() ? std::string() : " (did you mean " + best + "?)";
}

// Index of the count argument of a read/write-like call, or -1.
int CountArg(std::string_view name) {
  if (name == "read" || name == "write" || name == "pread64" || name == "pwrite64" ||
      name == "recvfrom" || name == "sendto")
    return 2;
  return -1;
}

bool ReadLike(std::string_view name) {
  return name == "read" || name == "pread64" || name == "readv" || name == "preadv" ||
         name == "preadv2" || name == "recvfrom" || name == "recvmsg";
}

// The calls that fail with EINTR after any handler (never restart): ERESTARTNOHAND, or
// ERESTART_RESTARTBLOCK, which acts the same when a handler runs.
bool NeverRestarts(std::string_view name) {
  for (std::string_view n : {"pause", "rt_sigsuspend", "sigsuspend", "poll", "ppoll", "select",
                             "pselect6", "_newselect", "epoll_wait", "epoll_pwait", "epoll_pwait2",
                             "nanosleep", "clock_nanosleep", "rt_sigtimedwait"})
    if (name == n) return true;
  return false;
}

// The masks of /proc/TID/status: caught (SigCgt), blocked (SigBlk); seccomp mode.
struct SignalState {
  uint64_t caught = 0, blocked = 0;
  int seccomp = 0;
  pid_t tgid = 0;
  bool ok = false;
};

SignalState ReadSignalState(pid_t tid) {
  SignalState s;
  std::ifstream in("/proc/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("SigCgt:", 0) == 0)
      s.caught = std::strtoull(line.c_str() + 7, nullptr, 16), s.ok = true;
    else if (line.rfind("SigBlk:", 0) == 0)
      s.blocked = std::strtoull(line.c_str() + 7, nullptr, 16);
    else if (line.rfind("Seccomp:", 0) == 0)
      s.seccomp = std::atoi(line.c_str() + 8);
    else if (line.rfind("Tgid:", 0) == 0)
      s.tgid = std::atoi(line.c_str() + 5);
  }
  return s;
}

int ChooseSignal(const SignalState& s) {
  auto usable = [&](int sig) {
    const uint64_t bit = uint64_t{1} << (sig - 1);
    return (s.caught & bit) && !(s.blocked & bit);
  };
  for (int sig :
       {SIGALRM, SIGCHLD, SIGUSR1, SIGUSR2, SIGWINCH, SIGIO, SIGPIPE, SIGINT, SIGTERM, SIGHUP})
    if (usable(sig)) return sig;
  for (int sig = 1; sig <= 64; ++sig)
    if (usable(sig)) return sig;
  return 0;
}

core::Status SetRegs(pid_t tid, const user_regs_struct& regs) {
  if (ptrace(PTRACE_SETREGS, tid, 0, &regs) != 0)
    return core::ErrnoError(errno, "ptrace(PTRACE_SETREGS, " + std::to_string(tid) + ")");
  return core::Status::Ok();
}

}  // namespace

std::string CallOutcome::ToString() const {
  switch (kind) {
    case Kind::kOk:
      return "ok";
    case Kind::kErrno:
      return std::string(core::ErrnoName(err));
    case Kind::kShort:
      return "short";
    case Kind::kEof:
      return "eof";
    case Kind::kEintr:
      return signal ? "eintr:" + std::string(core::SignalName(signal)) : "eintr";
  }
  return "?";
}

core::Result<CallOutcome> ParseOutcome(std::string_view text) {
  CallOutcome o;
  if (text == "ok") return o;
  if (text == "short") return o.kind = CallOutcome::Kind::kShort, o;
  if (text == "eof") return o.kind = CallOutcome::Kind::kEof, o;
  if (text == "eintr" || text.rfind("eintr:", 0) == 0) {
    o.kind = CallOutcome::Kind::kEintr;
    if (text != "eintr") {
      const std::string_view name = text.substr(6);
      const auto value = core::ConstantValue(name);
      if (!value || name.rfind("SIG", 0) != 0 || *value < 1 || *value > 64 || *value == SIGKILL ||
          *value == SIGSTOP)
        return core::Error("bad signal in outcome \"" + std::string(text) +
                           "\": expected eintr:SIGNAME with a signal a program can catch "
                           "(e.g. eintr:SIGUSR1)");
      o.signal = static_cast<int>(*value);
    }
    return o;
  }
  if (Upper(text)) {
    const auto err = core::ErrnoFromName(text);
    if (err && *err > 0 && *err < 512) {
      o.kind = CallOutcome::Kind::kErrno;
      o.err = *err;
      return o;
    }
    if (err)
      return core::Error("outcome \"" + std::string(text) +
                         "\" is a kernel-internal code that no program sees: give an errno "
                         "name such as ENOENT, or eintr for an interruption");
  }
  return core::Error("unknown outcome \"" + std::string(text) + "\"" + ErrnoHint(text) +
                     ": expected ok, short, eof, eintr or an errno name (ENOENT, EACCES, ...)");
}

std::string_view CallName(const EntryStop& stop) { return core::SyscallName(stop.nr, stop.abi); }

core::Result<AppliedOutcome> ApplyAtEntry(const EntryStop& stop, const CallOutcome& outcome) {
  AppliedOutcome a;
  a.outcome = outcome;
  a.entry = stop;
  const std::string_view name = CallName(stop);
  const std::string call = name.empty() ? "syscall " + std::to_string(stop.nr) : std::string(name);
  user_regs_struct regs = stop.regs;
  switch (outcome.kind) {
    case CallOutcome::Kind::kOk:
      return a;
    case CallOutcome::Kind::kErrno:
      a.skipped = true;
      a.ret = -outcome.err;
      break;
    case CallOutcome::Kind::kEof:
      if (!ReadLike(name))
        return core::Error(
            "outcome eof applies to reads (read, pread64, readv, recvfrom, "
            "recvmsg...), not to " +
                call,
            EINVAL);
      a.skipped = true;
      a.ret = 0;
      break;
    case CallOutcome::Kind::kShort: {
      const int arg = CountArg(name);
      if (arg < 0)
        return core::Error(
            "outcome short applies to read, write, pread64, pwrite64, recvfrom "
            "and sendto, not to " +
                call,
            EINVAL);
      unsigned long long* reg = supervisor::ArgRegister(regs, stop.abi, arg);
      const uint64_t count = stop.abi == core::Abi::kI386 ? (*reg & 0xffffffffu) : *reg;
      if (count < 2)
        return core::Error("outcome short: this " + call + " asks for " + std::to_string(count) +
                               " byte(s), nothing can be shorter",
                           EINVAL);
      a.count_arg = arg;
      a.count_before = *reg;
      *reg = count / 2;
      PWNBOX_RETURN_IF_ERROR(SetRegs(stop.tid, regs));
      return a;
    }
    case CallOutcome::Kind::kEintr: {
      const SignalState s = ReadSignalState(stop.tid);
      if (!s.ok)
        return core::ErrnoError(errno, "reading /proc/" + std::to_string(stop.tid) + "/status");
      int sig = outcome.signal;
      if (sig != 0) {
        const uint64_t bit = uint64_t{1} << (sig - 1);
        if (!(s.caught & bit) || (s.blocked & bit))
          return core::Error("outcome " + outcome.ToString() + ": the process does not catch " +
                                 std::string(core::SignalName(sig)) +
                                 " unblocked, so it would not interrupt " + call,
                             EINVAL);
      } else {
        sig = ChooseSignal(s);
        if (sig == 0)
          return core::Error("outcome eintr: the process catches no unblocked signal, so " + call +
                                 " cannot fail with EINTR in it (a signal without a handler "
                                 "restarts the call or ends the process)",
                             EINVAL);
      }
      a.signal = sig;
      a.skipped = true;
      a.ret = -(NeverRestarts(name) ? kErestartNoHand : kErestartSys);
      break;
    }
  }
  // A skip at a syscall-enter-stop happens before seccomp, whose filters would see syscall -1.
  if (stop.kind == EntryKind::kSyscall && ReadSignalState(stop.tid).seccomp == 2)
    return core::Error("outcome " + outcome.ToString() + " skips " + call +
                           ", which a process under seccomp can only do at a seccomp stop "
                           "(SECCOMP_RET_TRACE), not at a syscall-enter-stop",
                       ENOTSUP);
  regs.orig_rax = static_cast<unsigned long long>(-1);
  PWNBOX_RETURN_IF_ERROR(SetRegs(stop.tid, regs));
  return a;
}

core::Result<int64_t> FinishAtExit(const AppliedOutcome& a) {
  const pid_t tid = a.entry.tid;
  user_regs_struct regs;
  if (ptrace(PTRACE_GETREGS, tid, 0, &regs) != 0)
    return core::ErrnoError(errno, "ptrace(PTRACE_GETREGS, " + std::to_string(tid) + ")");
  if (a.count_arg >= 0) {
    *supervisor::ArgRegister(regs, a.entry.abi, a.count_arg) = a.count_before;
  }
  if (a.skipped) {
    regs.rax = static_cast<unsigned long long>(a.ret);
    // eintr: the restart logic reads the call's number from orig_rax (it skips -1).
    if (a.outcome.kind == CallOutcome::Kind::kEintr) regs.orig_rax = a.entry.regs.orig_rax;
  }
  if (a.count_arg >= 0 || a.skipped) PWNBOX_RETURN_IF_ERROR(SetRegs(tid, regs));
  if (a.outcome.kind == CallOutcome::Kind::kEintr) {
    // Pending before the task leaves the kernel: the restart code is turned into EINTR or a
    // restart there, and never reaches the program.
    const pid_t tgid = ReadSignalState(tid).tgid;
    if (syscall(SYS_tgkill, tgid > 0 ? tgid : tid, tid, a.signal) != 0)
      return core::ErrnoError(errno, "tgkill(" + std::to_string(tid) + ")");
  }
  const int64_t ret = a.entry.abi == core::Abi::kI386
                          ? static_cast<int64_t>(static_cast<int32_t>(regs.rax))
                          : static_cast<int64_t>(regs.rax);
  return ret;
}

}  // namespace pwnbox::explore
