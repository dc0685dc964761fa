// Unit tests for pwnbox::filters: the compiled BPF (run through a BPF interpreter) against the
// policy's own first-match evaluation, real installs in forked children (every in-kernel action
// observed, plus a notify escalation answered by a tiny supervisor loop), sizes, disassembly and
// OCI conversion.
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <sstream>

#include "config/policy.h"
#include "filters/bpf.h"
#include "filters/filters.h"
#include "filters/oci.h"

namespace pwnbox::filters {
namespace {

config::Policy MustLoad(const std::string& toml) {
  auto p = config::LoadPolicyString(toml, "test.toml");
  EXPECT_TRUE(p.ok()) << p.error().message();
  return p.ok() ? std::move(p).value() : config::Policy{};
}

Program MustCompile(const config::Policy& p, const CompileOptions& o = {}) {
  auto prog = Compile(p, o);
  EXPECT_TRUE(prog.ok()) << prog.error().message();
  return prog.ok() ? std::move(prog).value() : Program{};
}

seccomp_data Data(int nr, std::initializer_list<uint64_t> args = {},
                  uint32_t arch = AUDIT_ARCH_X86_64) {
  seccomp_data d{};
  d.nr = nr;
  d.arch = arch;
  int i = 0;
  for (uint64_t a : args) d.args[i++] = a;
  return d;
}

// What the filter must return for a call, from the policy's own evaluation.
uint32_t Expected(const config::Policy& p, const Program& prog, const seccomp_data& d,
                  const CompileOptions& o = {}) {
  uint64_t args[6];
  std::memcpy(args, d.args, sizeof(args));
  std::string_view name = core::SyscallName(d.nr);
  // Junk in the upper half of a narrow argument compared on the whole register: the prologue
  // sends the call to the supervisor (o.kernel_only: allowed).
  for (const auto& [n, checked] : prog.canonical_checks)
    for (int i = 0; i < 6; ++i)
      if (n == name && (checked & (1u << i)) && !Canonical(args[i], core::ArgType(name, i)))
        return o.kernel_only ? SECCOMP_RET_ALLOW
               : p.options.escalate == config::Options::Escalate::kNotify ? SECCOMP_RET_USER_NOTIF
                                                                          : SECCOMP_RET_TRACE | kTraceEvaluate;
  int idx = FirstMatch(p, core::Abi::kX86_64, d.nr, args);
  if (const config::Action* g = GuardAction(idx)) return SECCOMP_RET_ERRNO | g->errno_value;
  for (const auto& e : prog.evaluated_syscalls) {
    if (e.name != name) continue;
    bool notify = p.options.escalate == config::Options::Escalate::kNotify;
    for (const auto& r : p.rules)
      if (r.HasSyscall(name) && (!r.paths.empty() || r.action.kind == config::ActionKind::kRedirect)) notify = true;
    return notify ? SECCOMP_RET_USER_NOTIF : SECCOMP_RET_TRACE | kTraceEvaluate;
  }
  return RuleAction(p, idx, o);
}

// Compares the BPF with FirstMatch on the boundary values of every condition, at random.
void Differential(const config::Policy& p, const CompileOptions& o = {}, int samples = 3000) {
  Program prog = MustCompile(p, o);
  std::set<uint64_t> vals = {0, 1, 2, ~uint64_t{0}, 0xffffffffu, 0x100000000u};
  std::set<int> nrs = {0, 1, 39, 110};
  for (const auto& r : p.rules) {
    for (int nr : r.syscalls) nrs.insert(nr);
    for (const auto& c : r.args) {
      for (uint64_t d : {uint64_t{0}, uint64_t{1}}) {
        vals.insert(c.value + d);
        vals.insert(c.value - d);
      }
      if (c.op == config::Condition::Op::kMaskedEq) {
        vals.insert(c.mask);
        vals.insert(c.mask | c.value);
        for (int b = 0; b < 64; ++b)
          if (c.mask & (uint64_t{1} << b)) vals.insert(c.value ^ (uint64_t{1} << b));
      }
    }
  }
  // The same low words with junk in the upper half (the kernel reads only the low 32 bits of
  // an int), and the guards' syscalls.
  for (uint64_t x : std::vector<uint64_t>(vals.begin(), vals.end())) {
    vals.insert((x & 0xffffffffu) | 0xdead00000000u);
    vals.insert((x & 0xffffffffu) | 0xffffffff00000000u);
    vals.insert((x & 0xffffffffu) | (uint64_t{1} << 32));
    vals.insert(x & 0xffffffffu);
  }
  for (int nr : {SYS_ioctl, SYS_clone, SYS_clone3}) nrs.insert(nr);
  std::vector<uint64_t> v(vals.begin(), vals.end());
  std::vector<int> n(nrs.begin(), nrs.end());
  std::mt19937_64 rng(42);
  for (int i = 0; i < samples; ++i) {
    seccomp_data d = Data(n[rng() % n.size()]);
    for (int a = 0; a < 6; ++a) d.args[a] = (a < 3 || rng() % 4 == 0) ? v[rng() % v.size()] : 0;
    uint32_t got = RunBpf(prog.bpf, d), want = Expected(p, prog, d, o);
    ASSERT_EQ(RetName(got), RetName(want))
        << "nr " << d.nr << " args " << d.args[0] << " " << d.args[1] << " " << d.args[2] << " "
        << d.args[3] << "\n" << p.ToString() << Disassemble(prog.bpf);
  }
}

// Overlapping rules of one syscall with different actions: first match must win.
const char* kMatrix = R"(
default = "errno:EPERM"
[[rule]]
syscalls = ["personality"]
args = ["arg0 == 8"]
action = "allow"
[[rule]]
syscalls = ["personality"]
args = ["arg0 < 16"]
action = "errno:EACCES"
[[rule]]
syscalls = ["personality", "getpriority"]
args = ["arg1 == 5"]
action = "kill"
[[rule]]
syscalls = ["personality"]
args = ["arg0 & 0xf0 == 0x20", "arg2 != 7"]
action = "trap"
[[rule]]
syscalls = ["personality"]
args = ["arg0 >= 0x1000"]
action = "allow"
[[rule]]
syscalls = ["personality"]
action = "errno:ENOENT"
[[rule]]
syscalls = ["personality"]
args = ["arg0 == 3"]
action = "allow"
[[rule]]
syscalls = ["getpriority"]
args = ["arg0 == 1", "arg1 == 2"]
action = "errno:EACCES"
[[rule]]
syscalls = ["getpriority"]
args = ["arg2 == 3"]
action = "errno:ENOENT"
[[rule]]
syscalls = ["getpriority"]
args = ["arg0 == 1"]
action = "errno:EEXIST"
)";

TEST(FirstMatch, OrderDecides) {
  config::Policy p = MustLoad(kMatrix);
  uint64_t a[6] = {8, 5, 0, 0, 0, 0};
  EXPECT_EQ(FirstMatch(p, core::Abi::kX86_64, SYS_personality, a), 0);
  a[0] = 9;
  EXPECT_EQ(FirstMatch(p, core::Abi::kX86_64, SYS_personality, a), 1);
  a[0] = 0x20;
  EXPECT_EQ(FirstMatch(p, core::Abi::kX86_64, SYS_personality, a), 2);
  a[1] = 0;
  EXPECT_EQ(FirstMatch(p, core::Abi::kX86_64, SYS_personality, a, 2), 3);
  a[0] = 0x5000;
  EXPECT_EQ(FirstMatch(p, core::Abi::kX86_64, SYS_personality, a), 4);
  a[0] = 0x500;
  EXPECT_EQ(FirstMatch(p, core::Abi::kX86_64, SYS_personality, a), 5);
  EXPECT_EQ(FirstMatch(p, core::Abi::kX86_64, SYS_getpid, a), -1);
  EXPECT_EQ(FirstMatch(p, core::Abi::kX86_64, SYS_io_uring_setup, a), kIoUringGuard);
  // i386: getpid is 20 there; arguments compare on 32 bits.
  EXPECT_EQ(FirstMatch(p, core::Abi::kI386, 136, a), 5);  // personality
}

TEST(Compile, MatrixEqualsFirstMatch) {
  config::Policy p = MustLoad(kMatrix);
  Program prog = MustCompile(p);
  // personality's rules need more than kMaxTermsPerSyscall condition sets: escalated as a
  // whole; getpriority's stay in the kernel (its 32-bit `!=` compared on the canonical
  // encoding, other encodings escalated by the prologue).
  ASSERT_EQ(prog.evaluated_syscalls.size(), 1u);
  EXPECT_EQ(prog.evaluated_syscalls[0].name, "personality");
  EXPECT_EQ(prog.evaluated_syscalls[0].why, "more than 256 condition sets");
  ASSERT_EQ(prog.canonical_checks.size(), 1u);
  EXPECT_EQ(prog.canonical_checks[0], (std::pair<std::string, uint8_t>{"getpriority", 3}));
  EXPECT_EQ(prog.rules[6].where, RulePlacement::Where::kShadowed);
  ASSERT_EQ(prog.warnings.size(), 1u);
  EXPECT_EQ(prog.warnings[0],
            "rule at test.toml:26:1 is never reached: earlier rules without conditions match personality first");
  Differential(p);
}

TEST(Compile, DefaultActionRulesStillExcludeLaterOnes) {
  // Rule 0 has the default's action (libseccomp refuses it): rule 1 must still not fire for it.
  config::Policy p = MustLoad(R"(
default = "allow"
[[rule]]
syscalls = ["clone"]
args = ["arg0 & 0x7e020000 == 0"]
action = "allow"
[[rule]]
syscalls = ["clone"]
action = "errno:EPERM"
)");
  Program prog = MustCompile(p);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_clone, {0x11})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_clone, {0x10000000 | 0x11})), SECCOMP_RET_ERRNO | EPERM);
  Differential(p);
}

TEST(Compile, TwoComparisonsOfOneArgument) {
  // A small interval becomes equalities; a wide one is escalated and decided by FirstMatch.
  config::Policy p = MustLoad(R"(
default = "allow"
[[rule]]
syscalls = ["getpriority"]
args = ["arg0 >= 3", "arg0 <= 6"]
action = "errno:EACCES"
[[rule]]
syscalls = ["madvise"]
args = ["arg1 > 0", "arg1 < 0xffffffffffffffff"]
action = "errno:EACCES"
[[rule]]
syscalls = ["getpriority", "madvise"]
args = ["arg0 != 1"]
action = "errno:ENOENT"
)");
  Program prog = MustCompile(p);
  ASSERT_EQ(prog.evaluated_syscalls.size(), 1u);
  EXPECT_EQ(prog.evaluated_syscalls[0].name, "madvise");
  EXPECT_TRUE(prog.uses_notify);
  EXPECT_EQ(prog.rules[1].where, RulePlacement::Where::kEscalated);
  EXPECT_EQ(prog.rules[0].where, RulePlacement::Where::kKernel);
  Differential(p);
}

TEST(Compile, EscalationAndComplain) {
  config::Policy p = MustLoad(R"(
default = "errno:EPERM"
[options]
escalate = "ptrace"
[[rule]]
syscalls = ["getuid"]
action = "return"
value = 0
[[rule]]
syscalls = ["uname"]
action = "allow"
log = true
[[rule]]
syscalls = ["openat"]
paths = ["/etc/**"]
action = "errno:EACCES"
[[rule]]
syscalls = ["openat", "getpid", "execve", "read"]
action = "allow"
[[rule]]
syscalls = ["kill"]
action = "kill"
)");
  Program prog = MustCompile(p);
  EXPECT_TRUE(prog.uses_trace);
  // Path rules reach the supervisor through USER_NOTIF even under escalate = "ptrace": the
  // supervisor emulates them from one read of the path (race-free).
  EXPECT_TRUE(prog.uses_notify);
  EXPECT_EQ(prog.escalated_rules, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_getuid)), SECCOMP_RET_TRACE | 1);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_uname)), SECCOMP_RET_TRACE | 2);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_openat)), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(prog.rules[2].route, RulePlacement::Route::kNotify);
  EXPECT_EQ(prog.rules[0].route, RulePlacement::Route::kPtrace);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_getpid)), SECCOMP_RET_ALLOW);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_kill)), SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_getppid)), SECCOMP_RET_ERRNO | EPERM);
  Differential(p);

  CompileOptions complain;
  complain.complain = true;
  Program c = MustCompile(p, complain);
  EXPECT_EQ(RunBpf(c.bpf, Data(SYS_kill)), SECCOMP_RET_TRACE | 5);
  EXPECT_EQ(RunBpf(c.bpf, Data(SYS_getppid)), SECCOMP_RET_TRACE | kTraceDefault);
  EXPECT_EQ(RunBpf(c.bpf, Data(SYS_getpid)), SECCOMP_RET_ALLOW);
  Differential(p, complain);

  CompileOptions kernel;
  kernel.kernel_only = true;
  Program k = MustCompile(p, kernel);
  EXPECT_FALSE(k.uses_trace);
  EXPECT_EQ(RunBpf(k.bpf, Data(SYS_getuid)), SECCOMP_RET_ALLOW);
  EXPECT_EQ(RunBpf(k.bpf, Data(SYS_openat)), SECCOMP_RET_ALLOW);
}

TEST(Compile, ArchitecturesAndIoUring) {
  config::Policy p = MustLoad("default = \"allow\"\n");
  Program prog = MustCompile(p);
  EXPECT_EQ(RunBpf(prog.bpf, Data(20, {}, AUDIT_ARCH_I386)), SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(RunBpf(prog.bpf, Data(0x40000000 | 39)), SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(RunBpf(prog.bpf, Data(39)), SECCOMP_RET_ALLOW);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_io_uring_setup)), SECCOMP_RET_ERRNO | ENOSYS);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_io_uring_enter)), SECCOMP_RET_ERRNO | ENOSYS);

  config::Policy q = MustLoad(R"(
default = "allow"
[options]
abi = ["x86_64", "i386", "x32"]
io_uring = true
[[rule]]
syscalls = ["getppid"]
action = "errno:EACCES"
)");
  Program qp = MustCompile(q);
  EXPECT_EQ(RunBpf(qp.bpf, Data(20, {}, AUDIT_ARCH_I386)), SECCOMP_RET_ALLOW);
  EXPECT_EQ(RunBpf(qp.bpf, Data(64, {}, AUDIT_ARCH_I386)), SECCOMP_RET_ERRNO | EACCES);  // getppid
  EXPECT_EQ(RunBpf(qp.bpf, Data(0x40000000 | 110)), SECCOMP_RET_ERRNO | EACCES);
  EXPECT_EQ(RunBpf(qp.bpf, Data(SYS_io_uring_setup)), SECCOMP_RET_ALLOW);
}

TEST(Compile, TooLargeIsAnError) {
  // 14 syscalls with 50 two-argument rules each: under the per-syscall limit, over 4096 in all.
  std::string toml = "default = \"allow\"\n";
  for (int nr = 0; nr < 14; ++nr)
    for (int i = 0; i < 50; ++i)
      toml += "[[rule]]\nsyscalls = [" + std::to_string(nr) + "]\nargs = [\"arg0 == " +
              std::to_string(nr * 1000 + i) + "\", \"arg1 == " + std::to_string(i) +
              "\"]\naction = \"errno:" + std::to_string(1 + i % 2) + "\"\n";
  config::Policy p = MustLoad(toml);
  auto prog = Compile(p);
  ASSERT_FALSE(prog.ok());
  EXPECT_NE(prog.error().message().find("is too large: its filter has "), std::string::npos)
      << prog.error().message();
  EXPECT_NE(prog.error().message().find("the kernel accepts at most 4096"), std::string::npos);
}

TEST(Compile, DefaultPolicyIsSmallAndCorrect) {
  auto p = config::BuiltinPolicy("default");
  ASSERT_TRUE(p.ok()) << p.error().message();
  Program prog = MustCompile(*p);
  EXPECT_LT(prog.instructions(), 200u);
  EXPECT_FALSE(prog.uses_notify);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_mount)), SECCOMP_RET_ERRNO | EPERM);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_clone, {0x01200011})), SECCOMP_RET_ALLOW);  // fork()
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_clone, {0x10000000})), SECCOMP_RET_ERRNO | EPERM);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_clone3)), SECCOMP_RET_ERRNO | ENOSYS);
  Differential(*p);
}

TEST(Disassemble, ReadsLikeSeccompTools) {
  config::Policy p = MustLoad(R"(
default = "errno:EPERM"
[[rule]]
syscalls = ["execve"]
action = "kill"
[[rule]]
syscalls = ["read"]
args = ["arg0 == 3"]
action = "allow"
)");
  std::string d = Disassemble(MustCompile(p).bpf);
  EXPECT_NE(d.find(" line  CODE  JT   JF      K\n"), std::string::npos) << d;
  EXPECT_NE(d.find(" 0000: 0x20 0x00 0x00 0x00000004  A = arch\n"), std::string::npos) << d;
  EXPECT_NE(d.find("if (A != ARCH_X86_64) goto "), std::string::npos) << d;
  EXPECT_NE(d.find("A = sys_number"), std::string::npos) << d;
  EXPECT_NE(d.find("(A == execve)"), std::string::npos) << d;
  EXPECT_NE(d.find("A = args[0]"), std::string::npos) << d;
  EXPECT_NE(d.find("return KILL_PROCESS"), std::string::npos) << d;
  EXPECT_NE(d.find("return ERRNO(EPERM)"), std::string::npos) << d;
  EXPECT_NE(d.find("return ALLOW"), std::string::npos) << d;
}

// ---- Real installs in a forked child (the filter cannot be removed: never in this process).

struct Outcome {
  int status = 0;     // waitpid status
  long ret = 0;       // what the call returned
  int err = 0;        // errno after it
  bool reported = false;
  std::string note;   // extra line from the child
};

Outcome InChild(const Program& prog, const std::function<std::string(long*, int*)>& body,
                unsigned flags = 0, bool catch_sigsys = false) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    static int report_fd;
    report_fd = fds[1];
    if (catch_sigsys) {
      struct sigaction sa {};
      sa.sa_flags = SA_SIGINFO;
      sa.sa_sigaction = [](int, siginfo_t* si, void*) {
        char buf[64];
        int n = snprintf(buf, sizeof(buf), "0 0 SIGSYS:%d", si->si_syscall);
        (void)!write(report_fd, buf, n);
        _exit(42);
      };
      sigaction(SIGSYS, &sa, nullptr);
    }
    sock_fprog fp{static_cast<unsigned short>(prog.bpf.size()), const_cast<sock_filter*>(prog.bpf.data())};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(120);
    long listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fp);
    if (listener < 0) _exit(121);
    long ret = listener;
    int err = 0;
    std::string note = body(&ret, &err);
    char buf[256];
    int n = snprintf(buf, sizeof(buf), "%ld %d %s", ret, err, note.c_str());
    (void)!write(fds[1], buf, n);
    _exit(0);
  }
  close(fds[1]);
  Outcome o;
  char buf[256] = {};
  ssize_t n = read(fds[0], buf, sizeof(buf) - 1);
  close(fds[0]);
  waitpid(pid, &o.status, 0);
  if (n > 0) {
    o.reported = true;
    std::istringstream in(std::string(buf, n));
    in >> o.ret >> o.err;
    std::getline(in >> std::ws, o.note);
  }
  return o;
}

std::function<std::string(long*, int*)> Call(long nr, long a0 = 0, long a1 = 0, long a2 = 0,
                                             long a3 = 0) {
  return [=](long* ret, int* err) {
    *ret = syscall(nr, a0, a1, a2, a3);
    *err = *ret < 0 ? errno : 0;
    return std::string();
  };
}

const char* kActions = R"(
default = "allow"
[[rule]]
syscalls = ["getpriority"]
args = ["which == 7"]
action = "errno:EACCES"
[[rule]]
syscalls = ["getpriority"]
args = ["arg0 > 100", "arg3 == 5"]
action = "kill"
[[rule]]
syscalls = ["getpriority"]
args = ["arg0 > 100"]
action = "trap"
[[rule]]
syscalls = ["setpriority"]
args = ["arg0 == 77"]
action = "kill-thread"
[[rule]]
syscalls = ["socket"]
args = ["domain == AF_UNIX"]
action = "allow"
[[rule]]
syscalls = ["socket"]
args = ["type & SOCK_DGRAM|SOCK_STREAM|SOCK_RAW == SOCK_DGRAM"]
action = "errno:ENOENT"
[[rule]]
syscalls = ["socket"]
action = "errno:EAFNOSUPPORT"
)";

TEST(RealInstall, EveryKernelAction) {
  config::Policy p = MustLoad(kActions);
  Program prog = MustCompile(p);
  // allow: a bad `which` shows as EINVAL from the kernel, not the filter's errno.
  Outcome o = InChild(prog, Call(SYS_getpriority, 9, 0));
  ASSERT_TRUE(o.reported);
  EXPECT_EQ(o.err, EINVAL);
  // errno by argument name.
  o = InChild(prog, Call(SYS_getpriority, 7, 0));
  EXPECT_EQ(o.err, EACCES);
  // kill (the whole process): 159 = 128 + SIGSYS as a wait status.
  o = InChild(prog, Call(SYS_getpriority, 101, 0, 0, 5));
  EXPECT_FALSE(o.reported);
  ASSERT_TRUE(WIFSIGNALED(o.status));
  EXPECT_EQ(WTERMSIG(o.status), SIGSYS);
  // trap: SIGSYS delivered to a handler, with the syscall number.
  o = InChild(prog, Call(SYS_getpriority, 101, 0, 0, 6), 0, true);
  ASSERT_TRUE(WIFEXITED(o.status));
  EXPECT_EQ(WEXITSTATUS(o.status), 42);
  EXPECT_EQ(o.note, "SIGSYS:" + std::to_string(SYS_getpriority));
  // kill-thread: the calling thread dies, the process goes on.
  o = InChild(prog, [](long* ret, int* err) {
    pthread_t t;
    pthread_create(&t, nullptr, [](void*) -> void* {
      syscall(SYS_setpriority, 77, 0, 0);
      _exit(3);  // not reached
    }, nullptr);
    pthread_join(t, nullptr);
    *ret = 0;
    *err = 0;
    return std::string("main alive");
  });
  ASSERT_TRUE(WIFEXITED(o.status));
  EXPECT_EQ(WEXITSTATUS(o.status), 0);
  EXPECT_EQ(o.note, "main alive");
  // First match over socket's rules; "allowed" shows as a real fd.
  o = InChild(prog, Call(SYS_socket, AF_UNIX, SOCK_DGRAM, 0));
  EXPECT_GE(o.ret, 0);
  o = InChild(prog, Call(SYS_socket, AF_INET, SOCK_DGRAM, 0));
  EXPECT_EQ(o.err, ENOENT);
  o = InChild(prog, Call(SYS_socket, AF_INET, SOCK_STREAM, 0));
  EXPECT_EQ(o.err, EAFNOSUPPORT);
  // io_uring guard.
  o = InChild(prog, Call(SYS_io_uring_setup, 1, 0));
  EXPECT_EQ(o.err, ENOSYS);
}

TEST(RealInstall, FirstMatchMatrixAgainstRealCalls) {
  // munmap of an address that is not page-aligned is EINVAL when allowed (64-bit arguments).
  // libseccomp 2.5.4 writes this policy's ranges wrongly (its BPF answered EEXIST for
  // munmap(0, 1 << 63), which no rule says); Compile catches that and writes munmap again with
  // equality blocks, which here need more condition sets than the kernel part may have: munmap
  // is then decided by the supervisor (FirstMatch), never by a wrong filter.
  config::Policy p = MustLoad(R"(
default = "allow"
[[rule]]
syscalls = ["munmap"]
args = ["arg0 == 100", "arg1 == 1"]
action = "errno:EACCES"
[[rule]]
syscalls = ["munmap"]
args = ["arg1 == 1"]
action = "errno:ENOENT"
[[rule]]
syscalls = ["munmap"]
args = ["arg0 == 100"]
action = "allow"
[[rule]]
syscalls = ["munmap"]
args = ["arg0 >= 50"]
action = "errno:EEXIST"
)");
  Program prog = MustCompile(p);
  bool evaluated = false;
  for (const auto& e : prog.evaluated_syscalls) evaluated = evaluated || e.name == "munmap";
  struct Case {
    long which, who;
    int err;
  } cases[] = {{100, 1, EACCES}, {7, 1, ENOENT}, {100, 2, EINVAL}, {60, 2, EEXIST}, {60, 1, ENOENT},
               {49, 2, EINVAL}, {0, static_cast<long>(uint64_t{1} << 63), EINVAL}};
  for (const Case& c : cases) {
    uint64_t args[6] = {static_cast<uint64_t>(c.which), static_cast<uint64_t>(c.who)};
    int idx = FirstMatch(p, core::Abi::kX86_64, SYS_munmap, args);
    uint32_t want = idx < 0 ? SECCOMP_RET_ALLOW : RuleAction(p, idx);
    Outcome o = InChild(prog, Call(SYS_munmap, c.which, c.who));
    const uint32_t got = RunBpf(prog.bpf, Data(SYS_munmap, {args[0], args[1]}));
    if (evaluated) {
      // Escalated: the supervisor decides with FirstMatch (no supervisor here: ENOSYS).
      EXPECT_EQ(got & SECCOMP_RET_ACTION_FULL, SECCOMP_RET_USER_NOTIF) << c.which << " " << c.who;
      EXPECT_EQ(o.err, ENOSYS);
      if (c.err != EINVAL) {
        EXPECT_EQ(want & SECCOMP_RET_ACTION_FULL, SECCOMP_RET_ERRNO);
        EXPECT_EQ(static_cast<int>(want & SECCOMP_RET_DATA), c.err);
      } else {
        EXPECT_EQ(want, SECCOMP_RET_ALLOW);
      }
    } else {
      EXPECT_EQ(o.err, c.err) << c.which << " " << c.who;
      EXPECT_EQ(got, want);
    }
  }
}

// libseccomp 2.5.4 compares a reloaded low word as the high word in some 64-bit ranges that
// share a syscall with another rule: readahead(fd, 0, 1 << 63) ran (EBADF) where the policy
// traps it (found by tests/fuzz/bpf_firstmatch_fuzz.cc). Compile checks the filter against the
// rules it was built from and rewrites such a syscall without range comparisons.
TEST(RealInstall, LibseccompRangeMistranslationIsCaught) {
  constexpr uint64_t kMaxU64 = ~uint64_t{0};
  config::Policy p = MustLoad(R"(
default = "allow"
[[rule]]
syscalls = ["readahead"]
args = ["count >= 0x8000000000000000"]
action = "trap"
[[rule]]
syscalls = ["readahead"]
action = "errno:EACCES"
)");
  Program prog = MustCompile(p);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_readahead, {99, 0, uint64_t{1} << 63})), SECCOMP_RET_TRAP);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_readahead, {99, 0, 5})), SECCOMP_RET_ERRNO | EACCES);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_readahead, {99, 0, kMaxU64})), SECCOMP_RET_TRAP);
  Outcome o = InChild(prog, Call(SYS_readahead, 99, 0, uint64_t{1} << 63));
  EXPECT_TRUE(WIFSIGNALED(o.status) && WTERMSIG(o.status) == SIGSYS) << o.status;
  o = InChild(prog, Call(SYS_readahead, 99, 0, 5));
  EXPECT_EQ(o.err, EACCES);
}

TEST(RealInstall, NotifyEscalationAnsweredBySupervisorLoop) {
  config::Policy p = MustLoad(R"(
default = "allow"
[[rule]]
syscalls = ["getppid"]
action = "return"
value = 4242
[[rule]]
syscalls = ["getuid"]
action = "errno:EPERM"
log = true
)");
  Program prog = MustCompile(p);
  ASSERT_TRUE(prog.uses_notify);
  ASSERT_FALSE(prog.uses_trace);
  const long my_uid = getuid();  // the child cannot ask: getuid is escalated there
  Outcome o = InChild(prog, [&](long* ret, int* err) {
    int listener = static_cast<int>(*ret);
    static long results[2];
    pthread_t t;
    pthread_create(&t, nullptr, [](void*) -> void* {
      results[0] = syscall(SYS_getppid);
      results[1] = syscall(SYS_getuid);
      return nullptr;
    }, nullptr);
    std::string seen;
    for (int i = 0; i < 2; ++i) {
      seccomp_notif req{};
      seccomp_notif_resp resp{};
      if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) return std::string("recv failed");
      int idx = FirstMatch(p, core::Abi::kX86_64, req.data.nr, reinterpret_cast<uint64_t*>(req.data.args));
      resp.id = req.id;
      const config::Rule& r = p.rules[idx];
      if (r.action.kind == config::ActionKind::kReturn) {
        resp.val = r.action.return_value;
      } else {
        resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;  // this loop lets the logged call run
      }
      seen += std::string(core::SyscallName(req.data.nr)) + ";";
      if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0) return std::string("send failed");
    }
    pthread_join(t, nullptr);
    *ret = results[0];
    *err = results[1] == my_uid ? 0 : 1;
    return seen;
  }, SECCOMP_FILTER_FLAG_NEW_LISTENER);
  ASSERT_TRUE(o.reported) << o.status;
  EXPECT_EQ(o.ret, 4242);
  EXPECT_EQ(o.err, 0);
  EXPECT_EQ(o.note, "getppid;getuid;");
}

TEST(Compile, RulesThatMustSeeTheCallRunStopAtTheTracer) {
  // modify and reports of calls that run need ptrace, whatever options.escalate says.
  config::Policy p = MustLoad(R"(
default = "allow"
[[rule]]
syscalls = ["getuid"]
action = "log"
[[rule]]
syscalls = ["write"]
action = "modify"
set = { count = 1 }
[[rule]]
syscalls = ["getppid"]
action = "return"
value = 1
)");
  Program prog = MustCompile(p);
  EXPECT_TRUE(prog.uses_notify);
  EXPECT_TRUE(prog.uses_trace);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_getuid, {})) & SECCOMP_RET_ACTION_FULL, SECCOMP_RET_TRACE);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_write, {})) & SECCOMP_RET_ACTION_FULL, SECCOMP_RET_TRACE);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_getppid, {})), SECCOMP_RET_USER_NOTIF);
}

// ---- OCI

TEST(Oci, RoundTripGivesAnEqualPolicy) {
  config::Policy p = MustLoad(R"(
default = "errno:EPERM"
[options]
abi = ["x86_64", "i386"]
[[rule]]
syscalls = ["read", "write", "exit_group"]
action = "allow"
[[rule]]
syscalls = ["socket"]
args = ["domain == AF_UNIX", "type & SOCK_CLOEXEC == SOCK_CLOEXEC"]
action = "allow"
[[rule]]
syscalls = ["kill"]
action = "kill-thread"
[[rule]]
syscalls = ["ptrace"]
action = "errno:EACCES"
)");
  std::vector<std::string> notes;
  auto json = PolicyToOci(p, &notes);
  ASSERT_TRUE(json.ok()) << json.error().message();
  EXPECT_TRUE(notes.empty());
  auto back = PolicyFromOci(*json, "p.json");
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->ToString(), p.ToString()) << *json;
  auto toml = config::ToToml(*back);
  auto again = config::LoadPolicyString(toml, "again.toml");
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->ToString(), p.ToString());
}

TEST(Oci, OverlappingRulesAreWrittenDisjoint) {
  config::Policy p = MustLoad(R"(
default = "errno:EPERM"
[[rule]]
syscalls = ["personality"]
args = ["arg0 == 8"]
action = "allow"
[[rule]]
syscalls = ["personality"]
args = ["arg0 < 16"]
action = "errno:EACCES"
[[rule]]
syscalls = ["personality", "munmap"]
args = ["arg1 == 5"]
action = "kill"
[[rule]]
syscalls = ["personality"]
args = ["arg0 & 0xf0 == 0x20"]
action = "trap"
[[rule]]
syscalls = ["munmap"]
args = ["arg0 == 1", "arg1 == 2"]
action = "errno:EACCES"
[[rule]]
syscalls = ["munmap"]
args = ["arg2 == 3"]
action = "errno:ENOENT"
[[rule]]
syscalls = ["munmap"]
args = ["arg0 == 1"]
action = "errno:EEXIST"
)");
  std::vector<std::string> notes;
  auto json = PolicyToOci(p, &notes);
  ASSERT_TRUE(json.ok()) << json.error().message();
  EXPECT_EQ(notes.size(), 1u);
  auto back = PolicyFromOci(*json, "p.json");
  ASSERT_TRUE(back.ok()) << back.error().message();
  // Same decisions everywhere, although the rules differ.
  Program a = MustCompile(p), b = MustCompile(*back);
  std::mt19937_64 rng(7);
  const uint64_t vals[] = {0, 3, 5, 7, 8, 9, 15, 16, 0x20, 0x25, 0x1000, 0x5000, ~uint64_t{0}};
  for (int i = 0; i < 2000; ++i) {
    seccomp_data d = Data(rng() % 2 ? SYS_personality : SYS_munmap,
                          {vals[rng() % 13], vals[rng() % 13], vals[rng() % 13]});
    // A call the prologue escalates (junk in the upper half of a narrow argument) is decided
    // by FirstMatch: compare that decision.
    auto decide = [&](const config::Policy& pol, const Program& prog) {
      uint32_t r = RunBpf(prog.bpf, d);
      if (r != SECCOMP_RET_USER_NOTIF) return r;
      uint64_t args[6];
      std::memcpy(args, d.args, sizeof args);
      return RuleAction(pol, FirstMatch(pol, core::Abi::kX86_64, d.nr, args));
    };
    ASSERT_EQ(decide(p, a), decide(*back, b));
  }
  Differential(*back);
}

TEST(Oci, EscalatedRulesCannotBeExported) {
  config::Policy p = MustLoad("default = \"allow\"\n[[rule]]\nsyscalls = [\"getuid\"]\naction = \"return\"\nvalue = 0\n");
  auto json = PolicyToOci(p);
  ASSERT_FALSE(json.ok());
  EXPECT_EQ(json.error().message(),
            "rule at test.toml:2:1 needs pwnbox's supervisor (action return): an OCI profile cannot express it");
}

TEST(Oci, DockerDefaultProfile) {
  const char* src = std::getenv("PWNBOX_SOURCE_DIR");
  std::string root = src ? std::string(src)
                         : std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().string();
  std::ifstream in(root + "/../shared/fixtures/docker-default-seccomp.json");
  ASSERT_TRUE(in) << "fixture missing";
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<std::string> notes;
  auto p = PolicyFromOci(ss.str(), "docker.json", &notes);
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->default_action.ToString(), "errno:EPERM");
  EXPECT_EQ(p->options.abi.size(), 3u);  // archMap: x86_64 with x86 and x32
  EXPECT_TRUE(p->options.io_uring);      // no pwnbox guard: Docker's own list decides
  Program prog = MustCompile(*p);
  EXPECT_LT(prog.instructions(), kMaxInstructions);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_read)), SECCOMP_RET_ALLOW);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_ptrace)), SECCOMP_RET_ALLOW);     // minKernel 4.8
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_arch_prctl)), SECCOMP_RET_ALLOW);  // includes amd64
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_mount)), SECCOMP_RET_ERRNO | EPERM);      // CAP_SYS_ADMIN
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_clone3)), SECCOMP_RET_ERRNO | ENOSYS);    // errnoRet 38
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_clone, {0x01200011})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_clone, {0x10000000})), SECCOMP_RET_ERRNO | EPERM);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_socket, {40})), SECCOMP_RET_ERRNO | EPERM);  // AF_VSOCK
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_socket, {2})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_personality, {8})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_personality, {1})), SECCOMP_RET_ERRNO | EPERM);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_chroot)), SECCOMP_RET_ALLOW);  // CAP_SYS_CHROOT is default
  EXPECT_EQ(RunBpf(prog.bpf, Data(20, {}, AUDIT_ARCH_I386)), SECCOMP_RET_ALLOW);  // getpid
  Differential(*p, {}, 1000);
}

// Class 4: a condition on a 32-bit argument looks at the low word only, as the kernel does.
TEST(Widths, ThirtyTwoBitArgumentsIgnoreTheUpperHalf) {
  config::Policy p = MustLoad(R"(
default = "allow"
[[rule]]
syscalls = ["socket"]
args = ["domain == AF_INET"]
action = "errno:EACCES"
[[rule]]
syscalls = ["prctl"]
args = ["option == PR_SET_NAME"]
action = "errno:EPERM"
[[rule]]
syscalls = ["ioctl"]
args = ["request == 0x5401"]
action = "errno:ENOTTY"
[[rule]]
syscalls = ["openat"]
args = ["dirfd == -100", "flags & O_WRONLY == O_WRONLY"]
action = "errno:EROFS"
[[rule]]
syscalls = ["getpriority"]
args = ["who < 10"]
action = "errno:ENOENT"
[[rule]]
syscalls = ["lseek"]
args = ["offset < 0"]
action = "errno:EINVAL"
[[rule]]
syscalls = ["read"]
args = ["count > 0x100000"]
action = "errno:E2BIG"
)");
  Program prog = MustCompile(p);
  EXPECT_TRUE(prog.evaluated_syscalls.empty());
  const uint64_t junk = uint64_t{1} << 32;
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_socket, {AF_INET | junk, 1})), SECCOMP_RET_ERRNO | EACCES);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_socket, {AF_INET6 | junk, 1})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_prctl, {15 | junk})), SECCOMP_RET_ERRNO | EPERM);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_ioctl, {1, 0x5401 | 0xffffffff00000000u})), SECCOMP_RET_ERRNO | ENOTTY);
  // AT_FDCWD sign-extended (glibc) and zero-extended: both are -100 for the kernel.
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_openat, {~uint64_t{99}, 0, 1})), SECCOMP_RET_ERRNO | EROFS);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_openat, {0xffffff9cu, 0, 1})), SECCOMP_RET_ERRNO | EROFS);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_openat, {0xffffff9cu, 0, 0 | junk})), SECCOMP_RET_ALLOW);
  // who is an int: -1 < 10. A range on it is compared on the canonical (sign-extended)
  // encoding; junk in the upper half goes to the supervisor, whose FirstMatch reads the low word.
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_getpriority, {0, ~uint64_t{0}})), SECCOMP_RET_ERRNO | ENOENT);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_getpriority, {0, 10})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_getpriority, {0, 10 | junk})), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_getpriority, {0, 0xfffffff0u})), SECCOMP_RET_USER_NOTIF);
  uint64_t g[6] = {0, 9 | junk};
  EXPECT_EQ(FirstMatch(p, core::Abi::kX86_64, SYS_getpriority, g), 4);
  g[1] = 10 | junk;
  EXPECT_EQ(FirstMatch(p, core::Abi::kX86_64, SYS_getpriority, g), -1);
  g[1] = 0xfffffff0u;  // -16, zero-extended
  EXPECT_EQ(FirstMatch(p, core::Abi::kX86_64, SYS_getpriority, g), 4);
  // off_t is a signed 64-bit value; size_t a 64-bit one (the upper half counts).
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_lseek, {3, ~uint64_t{0}})), SECCOMP_RET_ERRNO | EINVAL);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_lseek, {3, 5})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_read, {3, 0, junk})), SECCOMP_RET_ERRNO | E2BIG);
  uint64_t a[6] = {AF_INET | junk};
  EXPECT_EQ(FirstMatch(p, core::Abi::kX86_64, SYS_socket, a), 0);
  Differential(p);
}

TEST(Widths, EachSyscallOfARuleUsesItsOwnWidth) {
  // arg1: ioctl's request is an unsigned int, lseek's offset an off_t (64 bits).
  config::Policy p = MustLoad(R"(
default = "allow"
[[rule]]
syscalls = ["ioctl", "lseek"]
args = ["arg1 == 0x5401"]
action = "errno:EPERM"
)");
  Program prog = MustCompile(p);
  const uint64_t junk = uint64_t{1} << 32;
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_ioctl, {0, 0x5401 | junk})), SECCOMP_RET_ERRNO | EPERM);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_lseek, {0, 0x5401 | junk})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_lseek, {0, 0x5401})), SECCOMP_RET_ERRNO | EPERM);
  Differential(p);
}

TEST(Widths, AValueThatDoesNotFitIsRefusedWithItsLocation) {
  config::Policy p = MustLoad(R"(
default = "allow"
[[rule]]
syscalls = ["socket"]
args = ["domain == 0x100000002"]
action = "errno:EACCES"
)");
  auto prog = Compile(p);
  ASSERT_FALSE(prog.ok());
  EXPECT_NE(prog.error().message().find("test.toml:3:1:"), std::string::npos) << prog.error().message();
  EXPECT_NE(prog.error().message().find("arg0 of socket is int (32 bits"), std::string::npos)
      << prog.error().message();
}

TEST(Guards, InEveryPolicyAheadOfItsRules) {
  config::Policy p = MustLoad(R"(
default = "allow"
[[rule]]
syscalls = ["ioctl", "clone", "clone3"]
action = "allow"
)");
  Program prog = MustCompile(p);
  const uint64_t junk = uint64_t{1} << 32;
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_ioctl, {0, 0x5412})), SECCOMP_RET_ERRNO | EPERM);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_ioctl, {0, 0x5412 | junk})), SECCOMP_RET_ERRNO | EPERM);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_ioctl, {0, 0x541c})), SECCOMP_RET_ERRNO | EPERM);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_ioctl, {0, 0x5401})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_clone, {0x00800000 | SIGCHLD})), SECCOMP_RET_ERRNO | EPERM);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_clone, {SIGCHLD})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_clone3, {0, 88})), SECCOMP_RET_ERRNO | ENOSYS);
  uint64_t a[6] = {0, 0x5412 | junk};
  EXPECT_EQ(FirstMatch(p, core::Abi::kX86_64, SYS_ioctl, a), kGuardTiocsti);
  EXPECT_EQ(GuardAction(kGuardTiocsti)->errno_value, EPERM);
  EXPECT_EQ(prog.rules[0].where, RulePlacement::Where::kKernel);  // ioctl and clone reach it
  // --complain keeps them; a policy without those syscalls has them too.
  Program c = MustCompile(p, CompileOptions{.complain = true});
  EXPECT_EQ(RunBpf(c.bpf, Data(SYS_ioctl, {0, 0x5412})), SECCOMP_RET_ERRNO | EPERM);
  Program d = MustCompile(MustLoad("default = \"allow\"\n"));
  EXPECT_EQ(RunBpf(d.bpf, Data(SYS_clone3)), SECCOMP_RET_ERRNO | ENOSYS);
  Differential(p);
}

TEST(NewSyscalls, NamedInPoliciesAndEnforced) {
  EXPECT_EQ(core::SyscallNumber("mseal"), 462);
  EXPECT_EQ(core::SyscallNumber("setxattrat"), 463);
  EXPECT_EQ(core::SyscallNumber("file_setattr"), 469);
  EXPECT_EQ(core::SyscallNumber("uretprobe"), 335);
  EXPECT_EQ(core::SyscallNumber("setxattrat", core::Abi::kI386), 463);
  EXPECT_EQ(core::SyscallName(464), "getxattrat");
  config::Policy p = MustLoad(R"(
default = "allow"
[options]
abi = ["x86_64", "i386"]
[[rule]]
syscalls = ["setxattrat", "mseal"]
action = "errno:EPERM"
[[rule]]
syscalls = ["file_getattr"]
args = ["at_flags == 0x100"]
action = "errno:EACCES"
)");
  Program prog = MustCompile(p);
  EXPECT_EQ(RunBpf(prog.bpf, Data(463)), SECCOMP_RET_ERRNO | EPERM);
  EXPECT_EQ(RunBpf(prog.bpf, Data(462)), SECCOMP_RET_ERRNO | EPERM);
  EXPECT_EQ(RunBpf(prog.bpf, Data(468, {0, 0, 0, 0, 0x100})), SECCOMP_RET_ERRNO | EACCES);
  EXPECT_EQ(RunBpf(prog.bpf, Data(468, {0, 0, 0, 0, 0})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_getpid)), SECCOMP_RET_ALLOW);
  EXPECT_EQ(RunBpf(prog.bpf, Data(20, {}, AUDIT_ARCH_I386)), SECCOMP_RET_ALLOW);  // getpid
  // i386 (int 0x80): libseccomp cannot place them; pwnbox's prologue does. file_getattr's
  // rule depends on an argument: the supervisor decides (FirstMatch knows i386's numbers).
  EXPECT_EQ(RunBpf(prog.bpf, Data(463, {}, AUDIT_ARCH_I386)), SECCOMP_RET_ERRNO | EPERM);
  EXPECT_EQ(RunBpf(prog.bpf, Data(462, {}, AUDIT_ARCH_I386)), SECCOMP_RET_ERRNO | EPERM);
  EXPECT_EQ(RunBpf(prog.bpf, Data(468, {}, AUDIT_ARCH_I386)), SECCOMP_RET_USER_NOTIF);
  uint64_t a[6] = {0, 0, 0, 0, 0x100};
  EXPECT_EQ(FirstMatch(p, core::Abi::kI386, 468, a), 1);
  EXPECT_EQ(RunBpf(prog.bpf, Data(39, {}, AUDIT_ARCH_X86_64)), SECCOMP_RET_ALLOW);
  const core::SyscallGroup* file = core::FindGroup("file");
  ASSERT_NE(file, nullptr);
  for (std::string_view n : {"setxattrat", "getxattrat", "file_setattr", "open_tree_attr"})
    EXPECT_TRUE(std::find(file->members.begin(), file->members.end(), n) != file->members.end()) << n;
}

TEST(Routing, PathsAndRedirectUseNotifyModifyOnlyItsRegion) {
  config::Policy p = MustLoad(R"(
default = "allow"
[options]
escalate = "ptrace"
[[rule]]
syscalls = ["write"]
args = ["fd == 1"]
action = "modify"
set = { count = 1 }
[[rule]]
syscalls = ["openat"]
paths = ["/etc/**"]
action = "errno:EACCES"
[[rule]]
syscalls = ["open"]
action = "redirect"
to = "/dev/null"
)");
  Program prog = MustCompile(p);
  EXPECT_TRUE(prog.uses_notify);
  EXPECT_TRUE(prog.uses_trace);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_write, {1})), SECCOMP_RET_TRACE | 1);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_write, {2})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_openat)), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_open)), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(prog.rules[0].route, RulePlacement::Route::kPtrace);
  EXPECT_EQ(prog.rules[1].route, RulePlacement::Route::kNotify);
  EXPECT_EQ(prog.rules[2].route, RulePlacement::Route::kNotify);
  config::Policy bad = MustLoad(R"(
default = "allow"
[[rule]]
syscalls = ["openat"]
paths = ["/etc/**"]
action = "modify"
set = { flags = 0 }
)");
  auto r = Compile(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("test.toml:3:1: a modify rule cannot have paths"), std::string::npos)
      << r.error().message();
  EXPECT_NE(r.error().message().find("hint: use action = \"redirect\""), std::string::npos);
}

// libseccomp 2.5.4 never returns from this rule (a signed 32-bit range with a 64-bit `!=`):
// Compile tries such plans in a child that must finish in 5 s, then writes the syscalls with
// equality blocks only (here too many: decided by the supervisor). Found by the
// BPF-versus-FirstMatch fuzzer.
TEST(Compile, PlanThatHangsLibseccompIsRewrittenNotWaitedFor) {
  config::Policy p = MustLoad(R"(
default = "log"
[options]
escalate = "ptrace"
[[rule]]
syscalls = ["dup3"]
args = ["arg2 <= 0x7", "arg4 != 0xfffffffffffffffe"]
action = "errno:5"
)");
  Program prog = MustCompile(p);
  bool evaluated = false;
  for (const auto& e : prog.evaluated_syscalls) evaluated = evaluated || e.name == "dup3";
  EXPECT_TRUE(evaluated);
  uint64_t args[6] = {1, 2, 3, 0, 5, 0};
  EXPECT_EQ(FirstMatch(p, core::Abi::kX86_64, SYS_dup3, args), 0);
  EXPECT_EQ(RunBpf(prog.bpf, Data(SYS_dup3, {1, 2, 3, 0, 5})) & SECCOMP_RET_ACTION_FULL,
            SECCOMP_RET_TRACE);
}

}  // namespace
}  // namespace pwnbox::filters
