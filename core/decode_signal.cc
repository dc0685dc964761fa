#include <linux/audit.h>
#include <signal.h>

#include <array>
#include <string>

#include "core/decode_util.h"

namespace pwnbox::core {

namespace {

struct CodeName {
  int code;
  const char* name;
};
#define C(x) {x, #x}
constexpr CodeName kSiCodes[] = {
    C(SI_USER),  C(SI_KERNEL), C(SI_QUEUE),    C(SI_TIMER),   C(SI_MESGQ),
    C(SI_ASYNCIO), C(SI_SIGIO), C(SI_TKILL), C(SI_ASYNCNL), {-7, "SI_DETHREAD"},
};
constexpr CodeName kSegvCodes[] = {C(SEGV_MAPERR), C(SEGV_ACCERR), {3, "SEGV_BNDERR"},
                                   {4, "SEGV_PKUERR"}, {5, "SEGV_ACCADI"}, {6, "SEGV_ADIDERR"},
                                   {7, "SEGV_ADIPERR"}, {8, "SEGV_MTEAERR"}, {9, "SEGV_MTESERR"},
                                   {10, "SEGV_CPERR"}};
constexpr CodeName kBusCodes[] = {C(BUS_ADRALN), C(BUS_ADRERR), C(BUS_OBJERR),
                                  C(BUS_MCEERR_AR), C(BUS_MCEERR_AO)};
constexpr CodeName kIllCodes[] = {C(ILL_ILLOPC), C(ILL_ILLOPN), C(ILL_ILLADR), C(ILL_ILLTRP),
                                  C(ILL_PRVOPC), C(ILL_PRVREG), C(ILL_COPROC), C(ILL_BADSTK)};
constexpr CodeName kFpeCodes[] = {C(FPE_INTDIV), C(FPE_INTOVF), C(FPE_FLTDIV), C(FPE_FLTOVF),
                                  C(FPE_FLTUND), C(FPE_FLTRES), C(FPE_FLTINV), C(FPE_FLTSUB)};
constexpr CodeName kTrapCodes[] = {C(TRAP_BRKPT), C(TRAP_TRACE), C(TRAP_BRANCH),
                                   C(TRAP_HWBKPT)};
constexpr CodeName kChldCodes[] = {C(CLD_EXITED),  C(CLD_KILLED), C(CLD_DUMPED),
                                   C(CLD_TRAPPED), C(CLD_STOPPED), C(CLD_CONTINUED)};
constexpr CodeName kPollCodes[] = {C(POLL_IN),  C(POLL_OUT), C(POLL_MSG),
                                   C(POLL_ERR), C(POLL_PRI), C(POLL_HUP)};
constexpr CodeName kSysCodes[] = {{1, "SYS_SECCOMP"}, {2, "SYS_USER_DISPATCH"}};
#undef C

template <size_t N>
const char* Find(const CodeName (&table)[N], int code) {
  for (const CodeName& c : table) {
    if (c.code == code) return c.name;
  }
  return nullptr;
}

const char* CodeNameFor(int sig, int code) {
  if (code <= 0 || code == SI_KERNEL) return Find(kSiCodes, code);
  switch (sig) {
    case SIGSEGV: return Find(kSegvCodes, code);
    case SIGBUS: return Find(kBusCodes, code);
    case SIGILL: return Find(kIllCodes, code);
    case SIGFPE: return Find(kFpeCodes, code);
    case SIGTRAP: return Find(kTrapCodes, code);
    case SIGCHLD: return Find(kChldCodes, code);
    case SIGPOLL: return Find(kPollCodes, code);
    case SIGSYS: return Find(kSysCodes, code);
    default: return nullptr;
  }
}

constexpr std::array<const char*, 32> kSignalNames = [] {
  std::array<const char*, 32> a{};
  a[SIGHUP] = "SIGHUP"; a[SIGINT] = "SIGINT"; a[SIGQUIT] = "SIGQUIT"; a[SIGILL] = "SIGILL";
  a[SIGTRAP] = "SIGTRAP"; a[SIGABRT] = "SIGABRT"; a[SIGBUS] = "SIGBUS"; a[SIGFPE] = "SIGFPE";
  a[SIGKILL] = "SIGKILL"; a[SIGUSR1] = "SIGUSR1"; a[SIGSEGV] = "SIGSEGV";
  a[SIGUSR2] = "SIGUSR2"; a[SIGPIPE] = "SIGPIPE"; a[SIGALRM] = "SIGALRM";
  a[SIGTERM] = "SIGTERM"; a[SIGSTKFLT] = "SIGSTKFLT"; a[SIGCHLD] = "SIGCHLD";
  a[SIGCONT] = "SIGCONT"; a[SIGSTOP] = "SIGSTOP"; a[SIGTSTP] = "SIGTSTP";
  a[SIGTTIN] = "SIGTTIN"; a[SIGTTOU] = "SIGTTOU"; a[SIGURG] = "SIGURG";
  a[SIGXCPU] = "SIGXCPU"; a[SIGXFSZ] = "SIGXFSZ"; a[SIGVTALRM] = "SIGVTALRM";
  a[SIGPROF] = "SIGPROF"; a[SIGWINCH] = "SIGWINCH"; a[SIGIO] = "SIGIO"; a[SIGPWR] = "SIGPWR";
  a[SIGSYS] = "SIGSYS";
  return a;
}();

const std::array<std::string, 33>& RtNames() {
  static const std::array<std::string, 33>* const names = [] {
    auto* a = new std::array<std::string, 33>;
    (*a)[0] = "SIGRTMIN";
    for (int i = 1; i <= 32; ++i) (*a)[i] = "SIGRT_" + std::to_string(i);
    return a;
  }();
  return *names;
}

std::string_view AuditArchName(uint32_t arch) {
  switch (arch) {
    case AUDIT_ARCH_X86_64: return "AUDIT_ARCH_X86_64";
    case AUDIT_ARCH_I386: return "AUDIT_ARCH_I386";
    case AUDIT_ARCH_AARCH64: return "AUDIT_ARCH_AARCH64";
    case AUDIT_ARCH_ARM: return "AUDIT_ARCH_ARM";
    default: return {};
  }
}

void AppendSigval(std::string* s, const siginfo_t& si) {
  s->append(", si_int=");
  decode::AppendDec(s, si.si_value.sival_int);
  s->append(", si_ptr=");
  decode::AppendAddr(s, reinterpret_cast<uint64_t>(si.si_value.sival_ptr));
}

}  // namespace

std::string_view SignalName(int sig) {
  if (sig > 0 && sig < 32) return kSignalNames[sig] ? kSignalNames[sig] : std::string_view();
  if (sig >= 32 && sig <= 64) return RtNames()[sig - 32];
  return {};
}

std::string FormatSiginfo(const siginfo_t& si, XlatStyle style) {
  decode::StyleScope scope(style);
  return FormatSiginfo(si);
}

std::string FormatSiginfo(const siginfo_t& si) {
  using decode::AppendAddr;
  using decode::AppendDec;
  std::string s;
  s.reserve(128);
  s.append("{si_signo=");
  decode::AppendSignal(&s, si.si_signo);
  s.append(", si_code=");
  if (const char* cn = CodeNameFor(si.si_signo, si.si_code)) {
    decode::AppendNamed(&s, std::to_string(si.si_code), cn);
  } else {
    AppendDec(&s, si.si_code);
  }
  if (si.si_errno != 0) {
    s.append(", si_errno=");
    std::string_view en = ErrnoName(si.si_errno);
    if (en.empty()) {
      AppendDec(&s, si.si_errno);
    } else {
      s.append(en);
    }
  }
  const int code = si.si_code;
  if (code <= 0) {  // sent by a process
    switch (code) {
      case SI_TIMER:
        s.append(", si_timerid=");
        decode::AppendHex(&s, static_cast<uint32_t>(si.si_timerid));
        s.append(", si_overrun=");
        AppendDec(&s, si.si_overrun);
        AppendSigval(&s, si);
        break;
      case SI_SIGIO:
      case SI_ASYNCIO:
        break;
      default:
        s.append(", si_pid=");
        AppendDec(&s, si.si_pid);
        s.append(", si_uid=");
        decode::AppendUDec(&s, si.si_uid);
        if (code == SI_QUEUE || code == SI_MESGQ) AppendSigval(&s, si);
        break;
    }
    s.push_back('}');
    return s;
  }
  switch (si.si_signo) {
    case SIGCHLD:
      if (code == SI_KERNEL) break;
      s.append(", si_pid=");
      AppendDec(&s, si.si_pid);
      s.append(", si_uid=");
      decode::AppendUDec(&s, si.si_uid);
      s.append(", si_status=");
      if (code == CLD_EXITED) {
        AppendDec(&s, si.si_status);
      } else {
        decode::AppendSignal(&s, si.si_status);
      }
      s.append(", si_utime=");
      AppendDec(&s, si.si_utime);
      s.append(", si_stime=");
      AppendDec(&s, si.si_stime);
      break;
    case SIGSEGV:
    case SIGBUS:
    case SIGILL:
    case SIGFPE:
    case SIGTRAP:
      s.append(", si_addr=");
      AppendAddr(&s, reinterpret_cast<uint64_t>(si.si_addr));
      break;
    case SIGPOLL:
      if (code == SI_KERNEL) break;
      s.append(", si_band=");
      AppendDec(&s, si.si_band);
      s.append(", si_fd=");
      AppendDec(&s, si.si_fd);
      break;
    case SIGSYS: {
      if (code == SI_KERNEL) break;
      s.append(", si_call_addr=");
      AppendAddr(&s, reinterpret_cast<uint64_t>(si.si_call_addr));
      s.append(", si_syscall=");
      const uint32_t arch = si.si_arch;
      Abi abi = Abi::kX86_64;
      if (arch == AUDIT_ARCH_I386) abi = Abi::kI386;
      if (arch == AUDIT_ARCH_X86_64 && (si.si_syscall & 0x40000000)) abi = Abi::kX32;
      std::string_view name = SyscallName(si.si_syscall, abi);
      if (name.empty()) {
        AppendDec(&s, si.si_syscall);
      } else {
        s.append("__NR_");
        s.append(name);
      }
      s.append(", si_arch=");
      std::string_view an = AuditArchName(arch);
      if (an.empty()) {
        decode::AppendHex(&s, arch);
      } else {
        s.append(an);
      }
      break;
    }
    default:
      break;
  }
  s.push_back('}');
  return s;
}

namespace decode {
namespace {

bool DecodeSigset(Ctx& c, uint64_t addr, int idx, std::string* out) {
  const ArgSpec& spec = c.sig.args[idx];
  uint64_t size = spec.len_arg >= 0 ? c.Arg(spec.len_arg) : 8;
  // strace's print_sigset_addr_len_limit: a size other than the kernel's sigset_t (8 bytes;
  // from a word for i386, from one byte for rt_sigpending, which accepts less) prints the
  // address.
  const uint64_t min = c.name == "rt_sigpending" ? 1 : (c.Compat() ? 4 : 8);
  if (size < min || size > 8) return false;
  uint8_t mask[8] = {};
  const size_t n = size;
  if (!ReadAll(c.mem, addr, mask, n)) return false;
  AppendSigmask(out, mask, n);
  return true;
}

struct KernelSigaction {
  uint64_t handler;
  uint64_t flags;
  uint64_t restorer;
  uint8_t mask[8];
};

bool DecodeSigaction(Ctx& c, uint64_t addr, int, std::string* out) {
  KernelSigaction sa;
  if (!Fetch(c, addr, &sa)) return false;
  out->append("{sa_handler=");
  if (sa.handler == reinterpret_cast<uint64_t>(SIG_DFL)) {
    decode::AppendNamed(out, "0", "SIG_DFL");
  } else if (sa.handler == reinterpret_cast<uint64_t>(SIG_IGN)) {
    decode::AppendNamed(out, "0x1", "SIG_IGN");
  } else {
    AppendHex(out, sa.handler);
  }
  out->append(", sa_mask=");
  AppendSigmask(out, sa.mask, 8);
  out->append(", sa_flags=");
  AppendFlags(out, "sa_flags", sa.flags);
  if (sa.flags & 0x04000000) {  // SA_RESTORER
    out->append(", sa_restorer=");
    AppendAddr(out, sa.restorer);
  }
  out->push_back('}');
  return true;
}

bool DecodeSiginfo(Ctx& c, uint64_t addr, int, std::string* out) {
  siginfo_t si;
  if (!Fetch(c, addr, &si)) return false;
  out->append(FormatSiginfo(si));
  return true;
}

bool DecodeStack(Ctx& c, uint64_t addr, int, std::string* out) {
  stack_t st;
  if (!Fetch(c, addr, &st)) return false;
  out->append("{ss_sp=");
  AppendAddr(out, reinterpret_cast<uint64_t>(st.ss_sp));
  out->append(", ss_flags=");
  AppendFlags(out, "sigaltstack_flags", static_cast<uint32_t>(st.ss_flags));
  out->append(", ss_size=");
  AppendUDec(out, st.ss_size);
  out->push_back('}');
  return true;
}

// struct sigevent (timer_create, mq_notify), as strace prints it: sigev_value when it is not
// zero (whatever the kind), the signal, the kind, and the kind's own fields:
// "{sigev_value={sival_int=42, sival_ptr=0x2a}, sigev_signo=SIGUSR2, sigev_notify=SIGEV_SIGNAL}",
// "{sigev_signo=SIGALRM, sigev_notify=SIGEV_THREAD_ID, sigev_notify_thread_id=42}".
bool DecodeSigevent(Ctx& c, uint64_t addr, int, std::string* out) {
  struct {
    uint64_t value;
    int32_t signo;
    int32_t notify;
    union {
      int32_t tid;
      struct {
        uint64_t function;
        uint64_t attributes;
      } thread;
    } un;
  } ev;
  if (!Fetch(c, addr, &ev)) return false;
  out->push_back('{');
  if (ev.value != 0) {
    out->append("sigev_value={sival_int=");
    AppendDec(out, static_cast<int32_t>(ev.value));
    out->append(", sival_ptr=");
    AppendHex(out, ev.value);
    out->append("}, ");
  }
  out->append("sigev_signo=");
  AppendSignal(out, ev.signo);
  out->append(", sigev_notify=");
  AppendEnum(out, "sigev_notify", static_cast<uint32_t>(ev.notify));
  if (ev.notify == SIGEV_THREAD_ID) {
    out->append(", sigev_notify_thread_id=");
    AppendDec(out, ev.un.tid);
  } else if (ev.notify == SIGEV_THREAD) {
    out->append(", sigev_notify_function=");
    AppendAddr(out, ev.un.thread.function);
    out->append(", sigev_notify_attributes=");
    AppendAddr(out, ev.un.thread.attributes);
  }
  out->push_back('}');
  return true;
}

constexpr StructDecoder kStructs[] = {
    {"sigevent", DecodeSigevent, false},
    {"sigset", DecodeSigset, true},
    {"sigaction", DecodeSigaction, false},
    {"siginfo", DecodeSiginfo, false},
    {"stack_t", DecodeStack, false},
};

bool SigtimedwaitRet(Ctx& c, std::string* out) {
  AppendDec(out, c.call.ret);
  out->append(" (");
  AppendSignal(out, static_cast<int>(c.call.ret));
  out->push_back(')');
  return true;
}

// rt_sigreturn takes no arguments; strace shows the signal mask it restores, read from the
// struct ucontext the kernel put on the stack (the stack pointer points at it once the handler
// returned into the restorer): uc_flags, uc_link, uc_stack, uc_mcontext (struct sigcontext),
// then uc_sigmask.
void SigreturnLayout(Ctx& c, DecodedCall* out) {
  if (c.exiting || c.Compat() || c.call.sp == 0) return;
  constexpr uint64_t kSigmaskOffset = 8 + 8 + sizeof(stack_t) + 256;
  uint8_t mask[8];
  if (!ReadAll(c.mem, c.call.sp + kSigmaskOffset, mask, sizeof mask)) return;
  std::string arg = "{mask=";
  AppendSigmask(&arg, mask, sizeof mask);
  arg += "}";
  out->args.push_back(std::move(arg));
}

constexpr CallHooks kHooks[] = {
    {.name = "rt_sigreturn", .layout = SigreturnLayout},
    {.name = "rt_sigtimedwait", .ret = SigtimedwaitRet},
};

}  // namespace

std::span<const StructDecoder> SignalStructs() { return kStructs; }
std::span<const CallHooks> SignalHooks() { return kHooks; }

}  // namespace decode
}  // namespace pwnbox::core
