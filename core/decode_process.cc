#include <linux/capability.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/decode_util.h"

namespace pwnbox::core::decode {

void AppendWaitStatus(std::string* out, int status) {
  unsigned rest = static_cast<unsigned>(status);
  if (WIFSTOPPED(status)) {
    const int sig = WSTOPSIG(status);
    out->append("[{WIFSTOPPED(s) && WSTOPSIG(s) == ");
    AppendSignal(out, sig & 0x7f);
    if (sig & 0x80) out->append(" | 0x80");
    out->push_back('}');
    rest &= ~((static_cast<unsigned>(sig) << 8) | 0x7f);
  } else if (WIFSIGNALED(status)) {
    out->append("[{WIFSIGNALED(s) && WTERMSIG(s) == ");
    AppendSignal(out, WTERMSIG(status));
    if (WCOREDUMP(status)) out->append(" && WCOREDUMP(s)");
    out->push_back('}');
    rest &= ~(0x7fu | 0x80u);
  } else if (WIFEXITED(status)) {
    out->append("[{WIFEXITED(s) && WEXITSTATUS(s) == ");
    AppendDec(out, WEXITSTATUS(status));
    out->push_back('}');
    rest &= ~0xff00u;
  } else if (WIFCONTINUED(status)) {
    out->append("[{WIFCONTINUED(s)}");
    rest &= ~0xffffu;
  } else {
    out->push_back('[');
    AppendHex(out, static_cast<unsigned>(status));
    out->push_back(']');
    return;
  }
  if (rest != 0) {
    const unsigned event = rest >> 16;
    if (event != 0) {
      static constexpr const char* kEvents[] = {
          nullptr,
          "PTRACE_EVENT_FORK",
          "PTRACE_EVENT_VFORK",
          "PTRACE_EVENT_CLONE",
          "PTRACE_EVENT_EXEC",
          "PTRACE_EVENT_VFORK_DONE",
          "PTRACE_EVENT_EXIT",
          "PTRACE_EVENT_SECCOMP",
      };
      out->append(" | ");
      if (event < 8) {
        out->append(kEvents[event]);
      } else if (event == PTRACE_EVENT_STOP) {
        out->append("PTRACE_EVENT_STOP");
      } else {
        AppendHex(out, event);
      }
      out->append(" << 16");
      rest &= 0xffff;
    }
    if (rest != 0) {
      out->append(" | ");
      AppendHex(out, rest);
    }
  }
  out->push_back(']');
}

namespace {

// ---- clone / clone3 ----

// strace prints clone's arguments by name, child_stack first; what the kernel writes
// (parent_tid) and what goes with it is printed at exit.
void CloneLayout(Ctx& c, DecodedCall* out) {
  const uint64_t flags = c.Arg(0);
  constexpr uint64_t kExitArgs =
      CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_SETTLS;
  if (!c.exiting) {
    std::string a = "child_stack=";
    AppendAddr(&a, c.Arg(1));
    out->args.push_back(std::move(a));
    std::string f = "flags=";
    AppendFlags(&f, "clone_flags", flags);
    out->args.push_back(std::move(f));
    return;
  }
  if ((flags & kExitArgs) == 0) return;
  if (flags & CLONE_PARENT_SETTID) {
    std::string a = "parent_tid=";
    int32_t tid;
    if (!c.Failed() && Fetch(c, c.Arg(2), &tid)) {
      a.push_back('[');
      AppendUDec(&a, static_cast<uint32_t>(tid));
      a.push_back(']');
    } else {
      AppendAddr(&a, c.Arg(2));
    }
    out->args.push_back(std::move(a));
  }
  if (flags & CLONE_SETTLS) {
    std::string a = "tls=";
    AppendAddr(&a, c.Arg(4));
    out->args.push_back(std::move(a));
  }
  if (flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)) {
    std::string a = "child_tidptr=";
    AppendAddr(&a, c.Arg(3));
    out->args.push_back(std::move(a));
  }
}

struct CloneArgs {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
      set_tid_size, cgroup;
};

bool DecodeCloneArgs(Ctx& c, uint64_t addr, int, std::string* out) {
  CloneArgs a{};
  const uint64_t size = std::min<uint64_t>(c.Arg(1), sizeof(a));
  if (size < 64 || !ReadAll(c.mem, addr, &a, size)) return false;
  out->append("{flags=");
  AppendFlags(out, "clone_flags", a.flags);
  if (a.flags & CLONE_PIDFD) {
    out->append(", pidfd=");
    AppendAddr(out, a.pidfd);
  }
  if (a.flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)) {
    out->append(", child_tid=");
    AppendAddr(out, a.child_tid);
  }
  if (a.flags & CLONE_PARENT_SETTID) {
    out->append(", parent_tid=");
    AppendAddr(out, a.parent_tid);
  }
  out->append(", exit_signal=");
  AppendSignal(out, static_cast<int>(a.exit_signal));
  out->append(", stack=");
  AppendAddr(out, a.stack);
  out->append(", stack_size=");
  AppendHex(out, a.stack_size);
  if (a.flags & CLONE_SETTLS) {
    out->append(", tls=");
    AppendAddr(out, a.tls);
  }
  if (a.set_tid != 0 || a.set_tid_size != 0) {
    out->append(", set_tid=");
    AppendAddr(out, a.set_tid);
    out->append(", set_tid_size=");
    AppendUDec(out, a.set_tid_size);
  }
  if (size >= sizeof(a) && (a.flags & CLONE_INTO_CGROUP)) {
    out->append(", cgroup=");
    AppendUDec(out, a.cgroup);
  }
  AppendNonzeroTail(c, addr, sizeof(a), c.Arg(1), out);
  out->push_back('}');
  return true;
}

// clone3: the struct at entry; at exit what the kernel wrote back, then the size.
void Clone3Layout(Ctx& c, DecodedCall* out) {
  const uint64_t addr = c.Arg(0);
  if (!c.exiting) {
    std::string a;
    if (addr == 0) {
      a = "NULL";
    } else if (c.Compat() || !DecodeCloneArgs(c, addr, 0, &a)) {
      a.clear();
      AppendAddr(&a, addr);
    }
    out->args.push_back(std::move(a));
    return;
  }
  CloneArgs a{};
  if (!c.Failed() && addr != 0 && c.Arg(1) >= 64 && !c.Compat() &&
      ReadAll(c.mem, addr, &a, std::min<uint64_t>(c.Arg(1), sizeof(a))) &&
      (a.flags & CLONE_PARENT_SETTID)) {
    int32_t tid;
    if (Fetch(c, a.parent_tid, &tid)) {
      out->entry_suffix = " => {parent_tid=[";
      AppendUDec(&out->entry_suffix, static_cast<uint32_t>(tid));
      out->entry_suffix.append("]}");
    }
  }
  std::string size;
  AppendUDec(&size, c.Arg(1));
  out->args.push_back(std::move(size));
}

// ---- wait4 ----

ArgResult Wait4Arg(Ctx& c, int idx, std::string* out) {
  if (idx != 1 || !c.exiting) return ArgResult::kGeneric;
  const uint64_t addr = c.Arg(1);
  int32_t status;
  if (addr != 0 && !c.Failed() && c.call.ret > 0 && Fetch(c, addr, &status)) {
    AppendWaitStatus(out, status);
  } else {
    AppendAddr(out, addr);
  }
  return ArgResult::kHandled;
}

// ---- resources ----

void AppendRlim(std::string* out, uint64_t v) {
  if (v == RLIM_INFINITY) {
    out->append("RLIM64_INFINITY");
  } else if (v > 1024 && v % 1024 == 0) {
    AppendUDec(out, v / 1024);
    out->append("*1024");
  } else {
    AppendUDec(out, v);
  }
}

bool DecodeRlimit(Ctx& c, uint64_t addr, int, std::string* out) {
  struct rlimit rl;
  if (!Fetch(c, addr, &rl)) return false;
  out->append("{rlim_cur=");
  AppendRlim(out, rl.rlim_cur);
  out->append(", rlim_max=");
  AppendRlim(out, rl.rlim_max);
  out->push_back('}');
  return true;
}

bool DecodeRusage(Ctx& c, uint64_t addr, int, std::string* out) {
  struct rusage ru;
  if (!Fetch(c, addr, &ru)) return false;
  out->append("{ru_utime=");
  AppendTimevalValue(out, ru.ru_utime.tv_sec, ru.ru_utime.tv_usec);
  out->append(", ru_stime=");
  AppendTimevalValue(out, ru.ru_stime.tv_sec, ru.ru_stime.tv_usec);
  out->append(", ...}");
  return true;
}

void AppendField(std::string* out, const char* name, const char* value, size_t max) {
  out->append(name);
  AppendQuoted(out, std::string_view(value, strnlen(value, max)));
}

bool DecodeUtsname(Ctx& c, uint64_t addr, int, std::string* out) {
  struct utsname u;
  if (!Fetch(c, addr, &u)) return false;
  AppendField(out, "{sysname=", u.sysname, sizeof(u.sysname));
  AppendField(out, ", nodename=", u.nodename, sizeof(u.nodename));
  out->append(", ...}");
  return true;
}

bool DecodeSysinfo(Ctx& c, uint64_t addr, int, std::string* out) {
  struct sysinfo si;
  if (!Fetch(c, addr, &si)) return false;
  out->append("{uptime=");
  AppendDec(out, si.uptime);
  out->append(", loads=[");
  for (int i = 0; i < 3; ++i) {
    if (i) out->append(", ");
    AppendUDec(out, si.loads[i]);
  }
  const std::pair<const char*, uint64_t> fields[] = {
      {"], totalram=", si.totalram}, {", freeram=", si.freeram},
      {", sharedram=", si.sharedram}, {", bufferram=", si.bufferram},
      {", totalswap=", si.totalswap}, {", freeswap=", si.freeswap},
      {", procs=", si.procs},         {", totalhigh=", si.totalhigh},
      {", freehigh=", si.freehigh},   {", mem_unit=", si.mem_unit},
  };
  for (const auto& [name, v] : fields) {
    out->append(name);
    AppendUDec(out, v);
  }
  out->push_back('}');
  return true;
}

// Clock ticks, with strace's seconds comment: "1 /* 0.01 s */".
void AppendTicks(std::string* out, uint64_t v) {
  AppendUDec(out, v);
  if (v == 0) return;
  static const uint64_t hz = static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
  const uint64_t hundredths = hz ? v * 100 / hz : 0;
  out->append(" /* ");
  AppendUDec(out, hundredths / 100);
  out->push_back('.');
  out->push_back(static_cast<char>('0' + hundredths % 100 / 10));
  out->push_back(static_cast<char>('0' + hundredths % 10));
  out->append(" s */");
}

bool DecodeTms(Ctx& c, uint64_t addr, int, std::string* out) {
  struct tms t;
  if (!Fetch(c, addr, &t)) return false;
  out->append("{tms_utime=");
  AppendTicks(out, t.tms_utime);
  out->append(", tms_stime=");
  AppendTicks(out, t.tms_stime);
  out->append(", tms_cutime=");
  AppendTicks(out, t.tms_cutime);
  out->append(", tms_cstime=");
  AppendTicks(out, t.tms_cstime);
  out->push_back('}');
  return true;
}

bool DecodeSchedParam(Ctx& c, uint64_t addr, int, std::string* out) {
  int32_t prio;
  if (!Fetch(c, addr, &prio)) return false;
  out->push_back('[');
  AppendDec(out, prio);
  out->push_back(']');
  return true;
}

struct SchedAttr {
  uint32_t size, sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
};

bool DecodeSchedAttr(Ctx& c, uint64_t addr, int, std::string* out) {
  SchedAttr a;
  if (!Fetch(c, addr, &a)) return false;
  out->append("{size=");
  AppendUDec(out, a.size);
  out->append(", sched_policy=");
  AppendEnum(out, "sched_policy", a.sched_policy);
  out->append(", sched_flags=");
  AppendFlags(out, "sched_flags", a.sched_flags);
  out->append(", sched_nice=");
  AppendDec(out, a.sched_nice);
  out->append(", sched_priority=");
  AppendUDec(out, a.sched_priority);
  out->append(", sched_runtime=");
  AppendUDec(out, a.sched_runtime);
  out->append(", sched_deadline=");
  AppendUDec(out, a.sched_deadline);
  out->append(", sched_period=");
  AppendUDec(out, a.sched_period);
  out->push_back('}');
  return true;
}

#define CAP(x) #x
constexpr const char* kCapNames[] = {
    CAP(CAP_CHOWN), CAP(CAP_DAC_OVERRIDE), CAP(CAP_DAC_READ_SEARCH), CAP(CAP_FOWNER),
    CAP(CAP_FSETID), CAP(CAP_KILL), CAP(CAP_SETGID), CAP(CAP_SETUID), CAP(CAP_SETPCAP),
    CAP(CAP_LINUX_IMMUTABLE), CAP(CAP_NET_BIND_SERVICE), CAP(CAP_NET_BROADCAST),
    CAP(CAP_NET_ADMIN), CAP(CAP_NET_RAW), CAP(CAP_IPC_LOCK), CAP(CAP_IPC_OWNER),
    CAP(CAP_SYS_MODULE), CAP(CAP_SYS_RAWIO), CAP(CAP_SYS_CHROOT), CAP(CAP_SYS_PTRACE),
    CAP(CAP_SYS_PACCT), CAP(CAP_SYS_ADMIN), CAP(CAP_SYS_BOOT), CAP(CAP_SYS_NICE),
    CAP(CAP_SYS_RESOURCE), CAP(CAP_SYS_TIME), CAP(CAP_SYS_TTY_CONFIG), CAP(CAP_MKNOD),
    CAP(CAP_LEASE), CAP(CAP_AUDIT_WRITE), CAP(CAP_AUDIT_CONTROL), CAP(CAP_SETFCAP),
    CAP(CAP_MAC_OVERRIDE), CAP(CAP_MAC_ADMIN), CAP(CAP_SYSLOG), CAP(CAP_WAKE_ALARM),
    CAP(CAP_BLOCK_SUSPEND), CAP(CAP_AUDIT_READ), CAP(CAP_PERFMON), CAP(CAP_BPF),
    CAP(CAP_CHECKPOINT_RESTORE),
};
#undef CAP
static_assert(sizeof(kCapNames) / sizeof(kCapNames[0]) == CAP_CHECKPOINT_RESTORE + 1);

void AppendCapSet(std::string* out, uint64_t set) {
  if (set == 0) {
    out->push_back('0');
    return;
  }
  bool first = true;
  for (unsigned i = 0; i < 64; ++i) {
    if (!((set >> i) & 1)) continue;
    if (!first) out->push_back('|');
    first = false;
    if (i < sizeof(kCapNames) / sizeof(kCapNames[0])) {
      out->append("1<<");
      out->append(kCapNames[i]);
    } else {
      out->append("1<<");
      AppendUDec(out, i);
    }
  }
}

bool DecodeCap(Ctx& c, uint64_t addr, int idx, std::string* out) {
  if (idx == 0) {
    __user_cap_header_struct h;
    if (!Fetch(c, addr, &h)) return false;
    out->append("{version=");
    switch (h.version) {
      case _LINUX_CAPABILITY_VERSION_1: out->append("_LINUX_CAPABILITY_VERSION_1"); break;
      case _LINUX_CAPABILITY_VERSION_2: out->append("_LINUX_CAPABILITY_VERSION_2"); break;
      case _LINUX_CAPABILITY_VERSION_3: out->append("_LINUX_CAPABILITY_VERSION_3"); break;
      default: AppendHex(out, h.version); break;
    }
    out->append(", pid=");
    AppendDec(out, h.pid);
    out->push_back('}');
    return true;
  }
  __user_cap_header_struct h;
  int count = 2;
  if (Fetch(c, c.Arg(0), &h) && h.version == _LINUX_CAPABILITY_VERSION_1) count = 1;
  __user_cap_data_struct d[2] = {};
  if (!ReadAll(c.mem, addr, d, sizeof(d[0]) * count)) return false;
  auto join = [&](uint32_t lo, uint32_t hi) { return uint64_t{hi} << 32 | lo; };
  out->append("{effective=");
  AppendCapSet(out, join(d[0].effective, d[1].effective));
  out->append(", permitted=");
  AppendCapSet(out, join(d[0].permitted, d[1].permitted));
  out->append(", inheritable=");
  AppendCapSet(out, join(d[0].inheritable, d[1].inheritable));
  out->push_back('}');
  return true;
}

// ---- prctl, rseq ----

ArgResult PrctlArg(Ctx& c, int idx, std::string* out) {
  if (idx == 0) return ArgResult::kGeneric;
  const int option = static_cast<int>(c.Arg(0));
  switch (option) {
    case PR_SET_NAME:
      if (idx != 1) return ArgResult::kOmit;
      AppendCString(c, out, c.Arg(1));
      return ArgResult::kHandled;
    case PR_SET_PDEATHSIG:
      if (idx != 1) return ArgResult::kOmit;
      AppendSignal(out, static_cast<int>(c.Arg(1)));
      return ArgResult::kHandled;
    case PR_SET_DUMPABLE:
    case PR_SET_KEEPCAPS:
    case PR_SET_CHILD_SUBREAPER:
    case PR_SET_TIMERSLACK:
      if (idx != 1) return ArgResult::kOmit;
      AppendUDec(out, c.Arg(1));
      return ArgResult::kHandled;
    case PR_SET_NO_NEW_PRIVS:
      AppendUDec(out, c.Arg(idx));
      return ArgResult::kHandled;
    case PR_GET_NAME:  // the name, at exit
      if (idx != 1) return ArgResult::kOmit;
      if (!c.exiting) return ArgResult::kGeneric;
      if (c.Failed()) {
        AppendAddr(out, c.Arg(1));
      } else {
        AppendCString(c, out, c.Arg(1));
      }
      return ArgResult::kHandled;
    case PR_GET_DUMPABLE:
    case PR_GET_KEEPCAPS:
    case PR_GET_NO_NEW_PRIVS:
    case PR_GET_SECCOMP:
    case PR_GET_TIMERSLACK:
    case PR_GET_CHILD_SUBREAPER:
    case PR_GET_PDEATHSIG:
      return ArgResult::kOmit;
    default:
      return ArgResult::kGeneric;
  }
}

int PrctlSplit(Ctx& c) { return static_cast<int>(c.Arg(0)) == PR_GET_NAME ? 1 : -1; }

// "1 (SUID_DUMP_USER)" for PR_GET_DUMPABLE.
bool PrctlRet(Ctx& c, std::string* out) {
  if (static_cast<int>(c.Arg(0)) != PR_GET_DUMPABLE) return false;
  AppendDec(out, c.call.ret);
  const size_t mark = out->size();
  out->append(" (");
  if (!AppendEnumOr(out, "suid_dump", static_cast<uint64_t>(c.call.ret), "")) {
    out->resize(mark);
    return true;
  }
  out->push_back(')');
  return true;
}

// personality(0xffffffff) queries; the result is the persona, "0x400000 (PER_LINUX|...)".
ArgResult PersonalityArg(Ctx& c, int idx, std::string* out) {
  if (idx != 0 || static_cast<uint32_t>(c.Arg(0)) != 0xffffffffu) return ArgResult::kGeneric;
  out->append("0xffffffff");
  return ArgResult::kHandled;
}
bool PersonalityRet(Ctx& c, std::string* out) {
  const uint64_t v = static_cast<uint32_t>(c.call.ret);
  AppendHex(out, v);
  out->append(" (");
  AppendFlags(out, "personality", v);
  out->push_back(')');
  return true;
}

// "0 (SCHED_OTHER)".
bool SchedGetschedulerRet(Ctx& c, std::string* out) {
  AppendDec(out, c.call.ret);
  std::string name;
  if (AppendEnumOr(&name, "sched_policy", static_cast<uint64_t>(c.call.ret), "")) {
    out->append(" (" + name + ")");
  }
  return true;
}

// "IOPRIO_PRIO_VALUE(IOPRIO_CLASS_BE, 4)".
void AppendIoprio(std::string* out, uint32_t v) {
  static constexpr const char* kClasses[] = {"IOPRIO_CLASS_NONE", "IOPRIO_CLASS_RT",
                                             "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"};
  out->append("IOPRIO_PRIO_VALUE(");
  const uint32_t cls = v >> 13;
  if (cls < 4) {
    out->append(kClasses[cls]);
  } else {
    AppendHex(out, cls);
    out->append(" /* IOPRIO_CLASS_??? */");
  }
  out->append(", ");
  AppendUDec(out, v & 0x1fff);
  out->push_back(')');
}

// "0 (IOPRIO_PRIO_VALUE(IOPRIO_CLASS_NONE, 0))".
bool IoprioGetRet(Ctx& c, std::string* out) {
  AppendDec(out, c.call.ret);
  out->append(" (");
  AppendIoprio(out, static_cast<uint32_t>(c.call.ret));
  out->push_back(')');
  return true;
}

ArgResult IoprioSetArg(Ctx& c, int idx, std::string* out) {
  if (idx != 2) return ArgResult::kGeneric;
  AppendIoprio(out, static_cast<uint32_t>(c.Arg(2)));
  return ArgResult::kHandled;
}

// reboot's arg only with LINUX_REBOOT_CMD_RESTART2.
ArgResult RebootArg(Ctx& c, int idx, std::string*) {
  constexpr uint32_t kRestart2 = 0xA1B2C3D4;
  if (idx != 3) return ArgResult::kGeneric;
  return static_cast<uint32_t>(c.Arg(2)) == kRestart2 ? ArgResult::kGeneric : ArgResult::kOmit;
}

// sched_setaffinity's mask: the CPUs set, "[0 1 3]".
ArgResult SetaffinityArg(Ctx& c, int idx, std::string* out) {
  if (idx != 2 || c.Arg(2) == 0) return ArgResult::kGeneric;
  const uint64_t size = std::min<uint64_t>(c.UArg(1), 1024);
  uint8_t mask[1024];
  if (size == 0 || !ReadAll(c.mem, c.Arg(2), mask, size)) return ArgResult::kGeneric;
  out->push_back('[');
  bool first = true;
  for (uint64_t i = 0; i < size * 8; ++i) {
    if (!((mask[i / 8] >> (i % 8)) & 1)) continue;
    if (!first) out->push_back(' ');
    first = false;
    AppendUDec(out, i);
  }
  out->push_back(']');
  return ArgResult::kHandled;
}

// sethostname/setdomainname: strace prints the (int) length unsigned.
ArgResult HostnameArg(Ctx& c, int idx, std::string* out) {
  if (idx != 1) return ArgResult::kGeneric;
  AppendUDec(out, static_cast<uint32_t>(c.Arg(1)));
  return ArgResult::kHandled;
}

// seccomp(SECCOMP_GET_ACTION_AVAIL, 0, [SECCOMP_RET_LOG]).
ArgResult SeccompArg(Ctx& c, int idx, std::string* out) {
  constexpr uint32_t kGetActionAvail = 2;
  if (idx != 2 || static_cast<uint32_t>(c.Arg(0)) != kGetActionAvail) return ArgResult::kGeneric;
  uint32_t action;
  if (!Fetch(c, c.Arg(2), &action)) return ArgResult::kGeneric;
  out->push_back('[');
  AppendEnum(out, "seccomp_ret_action", action);
  out->push_back(']');
  return ArgResult::kHandled;
}

// get_mempolicy's mode, at exit: "[MPOL_DEFAULT]".
ArgResult GetMempolicyArg(Ctx& c, int idx, std::string* out) {
  if (idx != 0 || c.Arg(0) == 0 || !c.exiting || c.Failed()) return ArgResult::kGeneric;
  int32_t mode;
  if (!Fetch(c, c.Arg(0), &mode)) return ArgResult::kGeneric;
  out->push_back('[');
  AppendEnum(out, "mempolicy_mode", static_cast<uint32_t>(mode));
  out->push_back(']');
  return ArgResult::kHandled;
}

// getgroups/setgroups: the list of gids (at exit for getgroups: as many as it returned).
ArgResult GroupsArg(Ctx& c, int idx, std::string* out) {
  if (idx != 1) return ArgResult::kGeneric;
  const bool get = c.name.starts_with("getgroups");
  const uint64_t addr = c.Arg(1);
  if (addr == 0 || (get && (!c.exiting || c.Failed()))) return ArgResult::kGeneric;
  const uint64_t n = get ? (c.Arg(0) == 0 ? 0 : static_cast<uint64_t>(c.call.ret)) : c.Arg(0);
  uint32_t probe;
  if (n != 0 && !Fetch(c, addr, &probe)) return ArgResult::kGeneric;
  AppendArray(c, out, addr, n, sizeof(uint32_t), [&](uint64_t a) {
    uint32_t gid;
    if (!Fetch(c, a, &gid)) return false;
    AppendUDec(out, gid);
    return true;
  });
  return ArgResult::kHandled;
}

int GetgroupsSplit(Ctx&) { return 1; }

ArgResult RseqArg(Ctx& c, int idx, std::string* out) {
  if (idx != 1) return ArgResult::kGeneric;
  AppendHex(out, static_cast<uint32_t>(c.Arg(1)));
  return ArgResult::kHandled;
}

// ---- futex: the arguments that mean something for the operation ----

void AppendFutexTimeout(Ctx& c, std::string* out) {
  const uint64_t t = c.Arg(3);
  if (t == 0 || !AppendTimespec(c, t, out)) AppendAddr(out, t);
}

void AppendBitset(std::string* out, uint32_t v) {
  if (v == 0xffffffffu) {
    out->append("FUTEX_BITSET_MATCH_ANY");
  } else {
    AppendHex(out, v);
  }
}

// Prints every argument after the operation at once (as argument 2), omitting the rest.
ArgResult FutexArg(Ctx& c, int idx, std::string* out) {
  if (idx < 2) return ArgResult::kGeneric;
  if (idx > 2) return ArgResult::kOmit;
  const uint32_t val = static_cast<uint32_t>(c.Arg(2));
  const uint32_t val2 = static_cast<uint32_t>(c.Arg(3));
  const uint32_t val3 = static_cast<uint32_t>(c.Arg(5));
  const int cmd = static_cast<int>(c.Arg(1)) & FUTEX_CMD_MASK;
  auto sep = [&] { out->append(", "); };
  switch (cmd) {
    case FUTEX_WAKE:
    case FUTEX_FD:
      AppendUDec(out, val);
      break;
    case FUTEX_WAIT:
      AppendUDec(out, val);
      sep();
      AppendFutexTimeout(c, out);
      break;
    case FUTEX_LOCK_PI:
    case 13:  // FUTEX_LOCK_PI2
      AppendFutexTimeout(c, out);
      break;
    case FUTEX_UNLOCK_PI:
    case FUTEX_TRYLOCK_PI:
      return ArgResult::kOmit;
    case FUTEX_WAIT_BITSET:
      AppendUDec(out, val);
      sep();
      AppendFutexTimeout(c, out);
      sep();
      AppendBitset(out, val3);
      break;
    case FUTEX_WAKE_BITSET:
      AppendUDec(out, val);
      sep();
      AppendBitset(out, val3);
      break;
    case FUTEX_REQUEUE:
      AppendUDec(out, val);
      sep();
      AppendUDec(out, val2);
      sep();
      AppendAddr(out, c.Arg(4));
      break;
    case FUTEX_CMP_REQUEUE:
    case FUTEX_CMP_REQUEUE_PI:
      AppendUDec(out, val);
      sep();
      AppendUDec(out, val2);
      sep();
      AppendAddr(out, c.Arg(4));
      sep();
      AppendUDec(out, val3);
      break;
    case FUTEX_WAIT_REQUEUE_PI:
      AppendUDec(out, val);
      sep();
      AppendFutexTimeout(c, out);
      sep();
      AppendAddr(out, c.Arg(4));
      break;
    default:
      AppendUDec(out, val);
      sep();
      AppendHex(out, c.Arg(3));
      sep();
      AppendAddr(out, c.Arg(4));
      sep();
      AppendHex(out, val3);
      break;
  }
  return ArgResult::kHandled;
}

ArgResult GetrandomArg(Ctx& c, int idx, std::string* out) {
  if (idx != 0 || !c.exiting || c.Failed()) return ArgResult::kGeneric;
  const uint64_t n = std::min<uint64_t>(static_cast<uint64_t>(c.call.ret), c.Arg(1));
  AppendBuffer(c, out, c.Arg(0), n, /*hex=*/true);
  return ArgResult::kHandled;
}

constexpr StructDecoder kStructs[] = {
    {"clone_args", DecodeCloneArgs, true}, {"rlimit", DecodeRlimit, false},
    {"rusage", DecodeRusage, false},       {"utsname", DecodeUtsname, true},
    {"sysinfo", DecodeSysinfo, false},     {"tms", DecodeTms, false},
    {"sched_param", DecodeSchedParam, true}, {"sched_attr", DecodeSchedAttr, true},
    {"cap", DecodeCap, true},
};

// kcmp's idx1/idx2 depend on the type, as strace prints them: KCMP_FILE compares two fds;
// KCMP_EPOLL_TFD an fd and a struct kcmp_epoll_slot ("{efd=5, tfd=3, toff=0}"); the other
// known types take neither (omitted); an unknown type prints both in hex.
ArgResult KcmpArg(Ctx& c, int idx, std::string* out) {
  if (idx < 3) return ArgResult::kGeneric;
  const uint32_t type = static_cast<uint32_t>(c.Arg(2));
  constexpr uint32_t kFile = 0, kEpollTfd = 7;
  if (type == kFile || (type == kEpollTfd && idx == 3)) {
    AppendFd(c, out, static_cast<int>(c.Arg(idx)));
    return ArgResult::kHandled;
  }
  if (type == kEpollTfd) {
    struct {
      uint32_t efd;
      uint32_t tfd;
      uint32_t toff;
    } slot;
    if (!Fetch(c, c.Arg(4), &slot)) {
      AppendAddr(out, c.Arg(4));
      return ArgResult::kHandled;
    }
    out->append("{efd=");
    AppendFd(c, out, static_cast<int>(slot.efd));
    out->append(", tfd=");
    AppendFd(c, out, static_cast<int>(slot.tfd));
    out->append(", toff=");
    AppendUDec(out, slot.toff);
    out->push_back('}');
    return ArgResult::kHandled;
  }
  if (type < kEpollTfd) return ArgResult::kOmit;
  AppendHex(out, c.Arg(idx));
  return ArgResult::kHandled;
}

// futex2 (Linux 6.7; strace 6.1 prints them raw): current strace's format (its src/futex2.c,
// default abbreviated style). Flags: the size by name, then the other flags
// ("FUTEX2_SIZE_U32|FUTEX2_PRIVATE"); a mask: FUTEX_BITSET_MATCH_ANY or hex.
void AppendFutex2Flags(std::string* out, uint32_t flags) {
  static constexpr const char* kSizes[] = {"FUTEX2_SIZE_U8", "FUTEX2_SIZE_U16",
                                           "FUTEX2_SIZE_U32", "FUTEX2_SIZE_U64"};
  out->append(kSizes[flags & 3]);
  flags &= ~3U;
  if (flags == 0) return;
  out->push_back('|');
  AppendFlags(out, "futex2_flags", flags);
}

void AppendFutex2Mask(std::string* out, uint64_t mask) {
  if (mask == 0xffffffffULL) {
    out->append("FUTEX_BITSET_MATCH_ANY");
  } else {
    AppendHex(out, mask);
  }
}

ArgResult Futex2Arg(Ctx& c, int idx, std::string* out) {
  const bool wait = c.name == "futex_wait";
  if (idx == (wait ? 2 : 1)) {
    AppendFutex2Mask(out, c.Arg(idx));
    return ArgResult::kHandled;
  }
  if (idx == 3) {
    AppendFutex2Flags(out, static_cast<uint32_t>(c.Arg(3)));
    return ArgResult::kHandled;
  }
  return ArgResult::kGeneric;
}

// futex_requeue's two struct futex_waitv: "[{val=0x5, uaddr=0x..., flags=FUTEX2_SIZE_U32},
// {...}]".
ArgResult FutexRequeueArg(Ctx& c, int idx, std::string* out) {
  if (idx != 0 || c.Arg(0) == 0) return ArgResult::kGeneric;
  struct Waitv {
    uint64_t val;
    uint64_t uaddr;
    uint32_t flags;
    uint32_t reserved;
  };
  Waitv first;
  if (!Fetch(c, c.Arg(0), &first)) return ArgResult::kGeneric;
  AppendArray(c, out, c.Arg(0), 2, sizeof(Waitv), [&](uint64_t a) {
    Waitv w;
    if (!Fetch(c, a, &w)) return false;
    out->append("{val=");
    AppendHex(out, w.val);
    out->append(", uaddr=");
    AppendAddr(out, w.uaddr);
    out->append(", flags=");
    AppendFutex2Flags(out, w.flags);
    if (w.reserved != 0) {
      out->append(", __reserved=");
      AppendHex(out, w.reserved);
    }
    out->push_back('}');
    return true;
  });
  return ArgResult::kHandled;
}

constexpr CallHooks kHooks[] = {
    {.name = "kcmp", .arg = KcmpArg},
    {.name = "futex_wait", .arg = Futex2Arg},
    {.name = "futex_wake", .arg = Futex2Arg},
    {.name = "futex_requeue", .arg = FutexRequeueArg},
    {.name = "clone", .layout = CloneLayout},
    {.name = "clone3", .layout = Clone3Layout},
    {.name = "wait4", .arg = Wait4Arg},
    {.name = "waitpid", .arg = Wait4Arg},
    {.name = "prctl", .entry_split = PrctlSplit, .arg = PrctlArg, .ret = PrctlRet},
    {.name = "personality", .arg = PersonalityArg, .ret = PersonalityRet},
    {.name = "sched_getscheduler", .ret = SchedGetschedulerRet},
    {.name = "ioprio_get", .ret = IoprioGetRet},
    {.name = "ioprio_set", .arg = IoprioSetArg},
    {.name = "reboot", .arg = RebootArg},
    {.name = "sched_setaffinity", .arg = SetaffinityArg},
    {.name = "sethostname", .arg = HostnameArg},
    {.name = "setdomainname", .arg = HostnameArg},
    {.name = "seccomp", .arg = SeccompArg},
    {.name = "get_mempolicy", .arg = GetMempolicyArg},
    {.name = "rseq", .arg = RseqArg},
    {.name = "getgroups", .entry_split = GetgroupsSplit, .arg = GroupsArg},
    {.name = "setgroups", .arg = GroupsArg},
    {.name = "futex", .arg = FutexArg},
    {.name = "getrandom", .arg = GetrandomArg},
};

}  // namespace

std::span<const StructDecoder> ProcessStructs() { return kStructs; }
std::span<const CallHooks> ProcessHooks() { return kHooks; }

}  // namespace pwnbox::core::decode
