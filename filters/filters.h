// pwnbox::filters: compiles a config::Policy to a seccomp-BPF program (with libseccomp) and
// evaluates a policy in user space with the same first-match semantics.
//
// How first-match is kept: libseccomp does not order rules of one syscall (it builds a decision
// tree sorted by argument), so for each syscall the compiler emits, for rule k with conditions
// C_k and BPF action A_k, the condition sets C_k AND NOT C_j for every earlier rule j whose
// action differs and whose conditions can overlap C_k. Each argument's constraints in a set are
// kept as an interval minus points with a fixed-bits mask, and written as libseccomp comparisons
// (one per argument per rule, as libseccomp requires): EQ, LT/GT half-lines, MASKED_EQ; other
// shapes as several rules (small ranges as equalities, larger ones as aligned power-of-two
// blocks, i.e. masked equalities). NOT of a masked equality is one single-bit masked equality per
// mask bit. SCMP_CMP_NE is never used: libseccomp 2.5.4 drops some rules mixing NE with other
// comparisons when it merges its tree. Emitted sets of different actions are disjoint, so
// libseccomp's order cannot matter. Rules whose action equals the default action are not emitted
// (libseccomp refuses them; the default covers them, and later rules still exclude their
// conditions). When a syscall needs more than kMaxTermsPerSyscall rules (or one argument more
// than 64 comparisons), the whole syscall is escalated and FirstMatch decides in user space
// (Program::evaluated_syscalls lists them; `pwnbox check` says so).
//
// Argument widths: the x86-64 kernel reads each argument as its C type (core::ArgType): an
// `int` is the low 32 bits of the register, whatever the upper half holds. Every condition is
// compared in the argument's own key space: the low `bits` bits, with the sign bit flipped for
// signed types so that unsigned order is the C order (a value written negative is sign-extended
// for a signed argument: `dirfd == -100`). For an argument narrower than 64 bits the emitted
// comparisons are all MASKED_EQ with masks inside the low word (an equality is MASKED_EQ
// 0xffffffff; ranges are aligned blocks), never EQ/LT/GT on the whole register. A rule naming
// several syscalls uses each syscall's own widths. A value that does not fit the argument's type
// is refused (FILE:LINE:COL).
//
// Guards: every compiled policy starts with pwnbox's built-in guard rules (Guards()), ahead of
// the policy's rules, in the kernel and in FirstMatch: ioctl TIOCSTI/TIOCLINUX (a target typing
// into pwnbox's terminal) -> EPERM; clone with CLONE_UNTRACED (a child pwnbox would not trace)
// -> EPERM; clone3 (its flags are in memory, BPF cannot read them) -> ENOSYS, so that libc falls
// back to clone.
//
// Ranges and `!=` on a narrow argument would take many low-word blocks (about 32 per excluded
// point); Compile writes them instead as 64-bit comparisons of the canonical encoding (zero-
// or sign-extended) and adds a prologue that sends every non-canonical encoding of those
// arguments to the supervisor (Program::canonical_checks; x86-64 policies only). Equalities and
// bit tests stay exact low-word MASKED_EQs. The exporters (C, OCI) have no prologue and keep
// the exact low-word form.
//
// Routing: a rule that needs user space reaches the supervisor through USER_NOTIF when it has
// `paths` or is a `redirect`, whatever options.escalate says (the supervisor emulates those
// calls from one read of their arguments: race-free); `modify` and reports of calls that run
// (`log`) need the tracer (SECCOMP_RET_TRACE), only for their own condition sets; the rest
// follow their own `escalate` key, else options.escalate (so one policy can mix both; the
// supervisor then runs both monitors). An `escalate` that contradicts a forced route (the
// action's, or a `when` fall-through's, below) is refused at the key's FILE:LINE:COL. The BPF
// returns one action per call: the first rule whose syscall and args match picks the route;
// a call that falls through in user space (paths, when) to a later rule is decided in that same
// stop (the supervisor decides by FirstMatch, never by SECCOMP_RET_DATA), so the later rule's
// preference is not honoured, and its forced needs are checked here (`when`) or, for a path
// rule falling through to `modify`, fail closed (ENOSYS). A `modify` rule with `paths` is refused (the modified call would read
// the path again after the check). A rule with `when` (counted by the supervisor) is escalated
// too; the calls that are not its occurrences are decided in the same stop by the later rules, so
// it goes through USER_NOTIF when a later rule sharing a syscall needs it (paths, redirect,
// proxy), else through the tracer when one is `modify`; one that itself needs the tracer and can
// fall through to a USER_NOTIF rule is refused.
//
// Tests compare the BPF (through RunBpf) with FirstMatch on the boundary values of every
// condition (tests/unit/filters_test.cc), and install filters in forked children.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <string>
#include <vector>

#include "config/policy.h"
#include "core/status.h"
#include "core/syscalls.h"
#include "filters/landlock_plan.h"

namespace pwnbox::filters {

// SECCOMP_RET_TRACE data values (options.escalate = ptrace): rule index + 1 for a rule, or:
inline constexpr uint16_t kTraceEvaluate = 0xffff;  // decide with FirstMatch (see above)
inline constexpr uint16_t kTraceDefault = 0xfffe;   // the default action (complain mode)
inline constexpr size_t kMaxTraceRules = 0xfffd;
inline constexpr size_t kMaxInstructions = 4096;     // BPF_MAXINSNS
inline constexpr size_t kMaxTermsPerSyscall = 256;

// Where a rule runs, for `pwnbox check` and the supervisor.
struct RulePlacement {
  enum class Where { kKernel, kEscalated, kShadowed };
  Where where = Where::kKernel;
  // How a rule is enforced: kKernel (the BPF decides), kNotify / kPtrace (escalated to the
  // supervisor through SECCOMP_RET_USER_NOTIF / SECCOMP_RET_TRACE), or kLandlock: the rule's
  // paths are enforced by a Landlock ruleset applied before execve, nothing is escalated.
  enum class Route { kKernel, kNotify, kPtrace, kLandlock };
  Route route = Route::kKernel;
  std::string route_why;  // why this route ("paths: emulated race-free", "action modify", ...)
  std::string why;  // escalation reason, or which rule shadows it
  // Syscalls for which an earlier rule without args or paths matches every call first.
  std::vector<std::string> shadowed_syscalls;
};

// A syscall whose policy was escalated as a whole because libseccomp cannot express it.
struct EvaluatedSyscall {
  std::string name;
  std::string why;
};

// One libseccomp rule as emitted (also what `--format c` and OCI export write).
struct EmittedRule {
  std::string syscall;  // name
  uint32_t action = 0;  // SCMP_ACT_* value
  struct Cmp {
    int arg;
    int op;  // enum scmp_compare
    uint64_t datum_a, datum_b;
  };
  std::vector<Cmp> cmps;
  int rule = -1;  // policy rule index, -1 for the io_uring guard / evaluated syscalls, or a
                  // guard (kGuardTiocsti...)
};

// pwnbox's built-in guard rules (see above), in the order they are applied.
struct Guard {
  int code;              // what FirstMatch returns (kGuard*)
  const char* syscall;   // "ioctl"
  const char* text;      // "request == TIOCSTI"
  const char* why;       // one line, for `pwnbox check`
  config::Rule rule;     // as a policy rule (names, args, action errno)
};
inline constexpr int kGuardTiocsti = -3;
inline constexpr int kGuardTioclinux = -4;
inline constexpr int kGuardCloneUntraced = -5;
inline constexpr int kGuardClone3 = -6;
const std::vector<Guard>& Guards();
// Whether guard `g` is part of `policy`'s filter (the CLONE_UNTRACED guard is not when
// policy.options.untraced_children).
bool GuardInForce(const Guard& g, const config::Policy& policy);
// The guard with FirstMatch result `code`, or nullptr.
const Guard* FindGuard(int code);
// The action of a FirstMatch result that is not a policy rule (kIoUringGuard or a guard), or
// nullptr (a rule index, or -1: the default).
const config::Action* GuardAction(int code);

struct Program {
  // Ready for seccomp(SECCOMP_SET_MODE_FILTER); the launcher installs it between fork and exec.
  std::vector<sock_filter> bpf;
  bool uses_notify = false;  // some path returns SECCOMP_RET_USER_NOTIF (install with
                             // SECCOMP_FILTER_FLAG_NEW_LISTENER)
  bool uses_trace = false;   // some path returns SECCOMP_RET_TRACE (data: see kTrace*)
  uint32_t default_action = 0;       // SCMP_ACT_* value of the filter's default
  std::vector<RulePlacement> rules;  // parallel to Policy::rules
  std::vector<int> escalated_rules;  // indices of rules that reach the supervisor
  std::vector<EvaluatedSyscall> evaluated_syscalls;
  std::vector<EmittedRule> emitted;  // what was given to libseccomp, in order
  std::vector<std::string> warnings;  // shadowed rules, dropped names, ...
  // Syscalls whose narrow arguments (bit i: arg i) are compared on the whole register for their
  // canonical encodings (zero-extended unsigned, sign-extended signed values): a prologue sends
  // every other encoding of them to the supervisor (FirstMatch, on the low bits). Cheaper than
  // low-word blocks for ranges and `!=` (see filters.h).
  std::vector<std::pair<std::string, uint8_t>> canonical_checks;
  // With CompileOptions::landlock: the Landlock part of the policy (landlock_plan.h). When
  // `landlock.eligible`, the BPF allows its open/openat calls and relies on the launcher
  // applying that ruleset (LaunchSpec::landlock_paths): a run must not start without it.
  LandlockPlan landlock;

  size_t instructions() const { return bpf.size(); }
  // The raw bytes of `bpf` (struct sock_filter array), as `compile --format bpf` writes them.
  std::string Bytes() const;
};

struct CompileOptions {
  // SPEC --complain: every errno/kill/kill-thread/trap action (the default's included) becomes
  // an escalation (notify or trace per options.escalate), so the supervisor reports the call
  // (FirstMatch says which rule; kTraceDefault / -1 for the default) and lets it run.
  // The io_uring guard stays in force (io_uring operations would bypass the filter).
  bool complain = false;
  // Every escalated rule becomes an in-kernel allow (`pwnbox bench` mode kernel).
  bool kernel_only = false;
  // Let Landlock decide the eligible path rules (landlock_plan.h) instead of escalating their
  // calls. Only for a run whose launcher applies Program::landlock, on a kernel with
  // kLandlockPathsAbi (supervisor::LandlockPathsWanted()); ignored with complain/kernel_only.
  bool landlock = false;
};

// Compiles `policy`. Fails (never half-way) when libseccomp refuses a rule or when the program
// exceeds kMaxInstructions.
core::Result<Program> Compile(const config::Policy& policy, const CompileOptions& options = {});

// Index of the first rule, starting at `from`, whose syscall and scalar `args` match (paths are
// NOT considered: the caller checks them and continues from index+1 when they do not match);
// -1 when none does (the default action applies); kIoUringGuard for an io_uring syscall while
// options.io_uring is false (denied with config::kIoUringErrno); a kGuard* code when a guard
// matches (GuardAction says what it does). Conditions compare with each argument's width.
inline constexpr int kIoUringGuard = -2;
// True when `v` is the canonical encoding of a value of an argument of width `w` (see above).
bool Canonical(uint64_t v, core::ArgWidth w);
int FirstMatch(const config::Policy& policy, core::Abi abi, int nr, const uint64_t args[6],
               size_t from = 0);

// The action the kernel filter takes for rule `index` (-1: the default) under `options`, as a
// SECCOMP_RET_* value (for tests and the supervisor).
uint32_t RuleAction(const config::Policy& policy, int index, const CompileOptions& options = {});

// Other output formats of `pwnbox compile`.
// libseccomp's pseudo filter code (seccomp_export_pfc).
core::Result<std::string> ExportPfc(const config::Policy& policy, const CompileOptions& options = {});
// A standalone C program using libseccomp that builds the same filter, installs it and execs
// argv[1..]. Escalated rules (which need pwnbox's supervisor) become ERRNO(ENOSYS) there.
core::Result<std::string> ExportC(const config::Policy& policy, const CompileOptions& options = {});

}  // namespace pwnbox::filters
