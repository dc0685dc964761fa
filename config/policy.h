// pwnbox::config: the policy language. A TOML file is loaded into a Policy, a tree of plain,
// immutable, printable values; filters::Compile turns it into seccomp-BPF.
//
// Grammar (SPEC.md "Policy format" is the contract; TOML syntax, every key checked):
//
//   policy    := version? default? include? options? rule*
//   version   := "version = 1"
//   default   := "default = " ACTION          (no companion keys: allow|deny|errno:X|kill|
//                                              kill-thread|trap|log)
//   include   := "include = [" PATH,* "]"     (relative to the including file)
//   options   := "[options]" escalate? abi? io_uring?
//     escalate  = "notify" | "ptrace"        (how rules that need user space reach pwnbox)
//     abi       = ["x86_64", "i386", "x32"]   (x86_64 is required; others are killed unless listed)
//     io_uring  = bool                        (io_uring_* are denied with ENOSYS unless true)
//   rule      := "[[rule]]" syscalls action args? paths? tcp_ports? when? log? escalate? value? to?
//                set? backend?
//     syscalls  = [ NAME | NUMBER | "@group" ,+ ]  (x86_64 numbers; groups from core::Groups())
//     args      = [ COND ,* ]                 (all must hold)
//     paths     = [ GLOB ,* ]                 (`*`, `**`, `?`; matched by the supervisor)
//     tcp_ports = [ PORT | "PORT" | "PORT-PORT" ,+ ]   (PORT 0..65535; only on rules whose
//                 syscalls are connect and/or bind, with action allow, deny or errno:X, and no
//                 paths, when or log. The rule matches a call on a TCP socket (AF_INET/AF_INET6,
//                 SOCK_STREAM, IPPROTO_TCP) whose address names a listed port; every other call
//                 (UDP, unix, not a socket, no port in the address) falls through to the next
//                 rules. Decided by Landlock when filters/landlock_plan.h allows, else by the
//                 supervisor; docs/policy.md "TCP ports")
//     when      = WHEN | INT                  (which matching calls; counted by the supervisor)
//     action    = ACTION
//     value     = INT      (action "return")   to = PATH (action "redirect")
//     set       = { ARG = INT|STRING, ... }   (action "modify")
//     backend   = STRING   (action "proxy")    log = bool (report every matching call)
//     escalate  = "notify" | "ptrace"   (this rule's backend when it needs user space; default
//                 options.escalate. paths, redirect and proxy need "notify"; modify and reports
//                 of calls that run (log on allow, action log) need "ptrace": the other value is
//                 an error, as is one that contradicts a `when` fall-through (filters RouteOf))
//   ACTION    := allow | deny | errno:NAME | errno:N | kill | kill-thread | trap | log | return |
//                redirect | modify | proxy
//   COND      := ARG OP VALUE | ARG "&" VALUE "==" VALUE
//   ARG       := arg0..arg5 | parameter name (core::ArgIndex), the same index for every syscall
//   OP        := == | != | < | <= | > | >=     (on the argument as the kernel reads it: the width
//                and signedness of its C type, core::ArgType; an int compares its low 32 bits,
//                signed; a value written negative is sign-extended)
//   VALUE     := TERM ("|" TERM)*    TERM := -?DECIMAL | 0xHEX | 0oOCTAL | 0bBINARY | CONSTANT
//   WHEN      := N | N ".." | N "+" | N ".." M | N "+" S | N ".." "+" S | N ".." M "+" S
//                (N, M, S decimal, N >= 1, M >= N, S >= 1: occurrences N, N+S, N+2S, ... up to M;
//                strace's when=first..last+step; an INT N is "N")
//
// Semantics: the first rule whose syscall and conditions (args, then paths, then when) match
// decides; the including file's rules come first, then each include's rules in the order listed.
// An include's `default` and `[options]` keys apply only where the including file does not set
// them. A rule with `when` counts the calls that reach it (no earlier rule decided them) and
// match its syscalls, args and paths: the n-th such call of the run (all tasks, in the order the
// supervisor decides them) matches when n is one of WHEN's occurrences; the others fall through
// to the next rules. The kernel filter returns one action per call: a call reaches pwnbox by the
// route of the first rule whose in-kernel conditions (syscall, args) it matches, and is decided
// in that stop, whatever route a later rule it falls through to (paths, when) asked for.
//
// Every mistake is an Error whose message is a block:
//   FILE:LINE:COL: message
//   <the source line>
//       ^
//   hint: what to do          (when there is one)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/status.h"
#include "core/syscalls.h"

namespace pwnbox::config {

// One scalar argument comparison. For kMaskedEq: (arg & mask) == value; otherwise `mask` is
// all ones. `value` is as written (64 bits); filters::Compile and FirstMatch compare it with the
// argument's width and signedness (core::ArgType), not with Matches() on the raw register.
struct Condition {
  enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kMaskedEq };
  int arg = 0;  // 0..5
  Op op = Op::kEq;
  uint64_t mask = ~uint64_t{0};
  uint64_t value = 0;
  std::string text;  // as written ("domain == AF_UNIX")

  bool Matches(uint64_t arg_value) const;
  // Canonical form: "arg0 == 0x1", "arg2 & 0x3 == 0x1".
  std::string ToString() const;
  bool operator==(const Condition& o) const {
    return arg == o.arg && op == o.op && mask == o.mask && value == o.value;
  }
};

std::string_view OpName(Condition::Op op);  // "==", ..., "&=="

enum class ActionKind { kAllow, kErrno, kKill, kKillThread, kTrap, kLog, kReturn, kRedirect,
                        kModify, kProxy };

// One `set` entry of a modify rule: argument `arg` (index) becomes `value`.
struct ArgAssignment {
  int arg = 0;
  std::string name;  // as written ("count", "arg2")
  std::variant<int64_t, std::string> value;
  bool operator==(const ArgAssignment& o) const { return arg == o.arg && value == o.value; }
};

struct Action {
  ActionKind kind = ActionKind::kAllow;
  int errno_value = 0;        // kErrno
  int64_t return_value = 0;   // kReturn
  std::string to;             // kRedirect
  std::vector<ArgAssignment> set;  // kModify, sorted by arg
  std::string backend;        // kProxy

  // "allow", "errno:EACCES", "return 0", "redirect /x", "modify count=1", "proxy unix:/s".
  std::string ToString() const;
  // True for actions the kernel can take by itself (allow, errno, kill, kill-thread, trap).
  bool InKernel() const;
  bool operator==(const Action& o) const;
};

// A rule's `when`: which of the calls it counts it decides (1-based occurrences first, first +
// step, ... up to last).
struct Occurrence {
  static constexpr uint64_t kNoLast = ~uint64_t{0};
  uint64_t first = 1;
  uint64_t last = kNoLast;  // inclusive; kNoLast: no end
  uint64_t step = 1;

  bool Matches(uint64_t n) const {
    return n >= first && n <= last && (n - first) % step == 0;
  }
  // Canonical form, read back by ParseOccurrence: "3", "2..5", "2..", "1..9+2", "4+3".
  std::string ToString() const;
  bool operator==(const Occurrence& o) const {
    return first == o.first && last == o.last && step == o.step;
  }
};

struct Options {
  enum class Escalate { kNotify, kPtrace };
  Escalate escalate = Escalate::kNotify;
  std::vector<core::Abi> abi = {core::Abi::kX86_64};
  bool io_uring = false;
  // Not TOML: set by `run` when the target's lifecycle is a PID namespace, which traces no task,
  // so clone(CLONE_UNTRACED) escapes nothing and its guard (filters.h) is left out: sanitizers'
  // StopTheWorld (LeakSanitizer) clones its tracer thread with it.
  bool untraced_children = false;
  bool operator==(const Options& o) const {
    return escalate == o.escalate && abi == o.abi && io_uring == o.io_uring;
  }
  bool HasAbi(core::Abi a) const;
};

// An inclusive range of TCP ports (a single port: first == last).
struct PortRange {
  uint16_t first = 0, last = 0;
  bool Contains(uint16_t port) const { return port >= first && port <= last; }
  // "80" or "8000-8010".
  std::string ToString() const;
  bool operator==(const PortRange& o) const { return first == o.first && last == o.last; }
};

// Sorts and merges overlapping or adjacent ranges: equal sets of ports give equal lists.
std::vector<PortRange> NormalizePorts(std::vector<PortRange> ranges);

struct Rule {
  std::vector<std::string> syscalls_as_written;  // "read", "@file", "59"
  std::vector<std::string> names;  // expanded and resolved, sorted, unique
  std::vector<int> syscalls;       // x86_64 numbers of `names` (those that exist on x86_64)
  std::vector<Condition> args;
  std::vector<std::string> paths;
  // `tcp_ports` (NormalizePorts): when not empty the rule matches only connect/bind calls on a
  // TCP socket whose address names one of these ports (see the grammar above).
  std::vector<PortRange> tcp_ports;
  std::optional<Occurrence> when;
  Action action;
  bool log = false;
  // The rule's own `escalate` (how its calls reach pwnbox when it needs user space); unset:
  // options.escalate. An action that only one backend can carry out forces it (filters RouteOf);
  // a contradicting key is an error.
  std::optional<Options::Escalate> escalate;
  std::string file;  // where the rule starts
  int line = 0, column = 0;
  int escalate_line = 0, escalate_column = 0;  // where its `escalate` value is (when set)

  // True when the kernel cannot decide this rule alone: paths, tcp_ports (the BPF sees neither
  // the socket nor the address; Landlock may take them: filters/landlock_plan.h), when (the supervisor counts the
  // calls), an action other than allow/errno/kill/kill-thread/trap, or log = true (reports
  // need decoded arguments, so `log` is also escalated rather than SCMP_ACT_LOG, which only
  // writes to the audit log).
  bool NeedsUserSpace() const;
  // Why it is escalated ("paths", "when = \"3\" (...)", "action return", "log = true"); ""
  // when it is not.
  std::string EscalationReason() const;
  bool HasSyscall(std::string_view name) const;
  // "file:line:col".
  std::string Location() const;
  // One line, without the location: `syscalls=[read,write] args=[arg0 == 0x1] -> allow`.
  std::string ToString() const;
  // The backend this rule's action, paths or report can only be served by, and why; nullopt
  // when either can serve it. (A `when` rule's fall-through can force a route too: filters
  // RouteOf.)
  std::optional<Options::Escalate> RequiredEscalate(std::string* why = nullptr) const;
};

// "notify" or "ptrace".
std::string_view EscalateName(Options::Escalate e);

struct Policy {
  int version = 1;
  Action default_action{ActionKind::kErrno, 1};
  Options options;
  std::vector<Rule> rules;
  std::string source;                  // file path or "<builtin default>"
  std::vector<std::string> files;      // every file read, the top one first

  // Canonical multi-line text (no source locations): equal policies print equally.
  std::string ToString() const;
};

// The io_uring syscalls, denied with kIoUringErrno unless options.io_uring is true.
inline constexpr std::string_view kIoUringSyscalls[] = {"io_uring_enter", "io_uring_register",
                                                        "io_uring_setup"};
inline constexpr int kIoUringErrno = 38;  // ENOSYS, as if the kernel lacked io_uring.
bool IsIoUring(std::string_view name);

// Loads a policy file and its includes. Errors are FILE:LINE:COL blocks (see above).
core::Result<Policy> LoadPolicyFile(const std::string& path);
// Loads TOML text; `name` is used in messages and to resolve includes (relative to its
// directory).
core::Result<Policy> LoadPolicyString(std::string_view toml, const std::string& name);
// A policy compiled into the binary: "default" (policies/default.toml).
core::Result<Policy> BuiltinPolicy(std::string_view name);
// The names BuiltinPolicy accepts.
std::vector<std::string> BuiltinPolicyNames();

// Parses an action string ("errno:EACCES"); companion keys are not checked here. On failure the
// error message is one line (no location) and `hint` receives a suggestion.
core::Result<Action> ParseAction(std::string_view text, std::string* hint = nullptr);

// Parses one `args` condition for a rule over `syscalls` (names). On failure, `offset` is the
// byte offset in `text` of the faulty token and `hint` a suggestion (maybe empty).
struct ConditionError {
  size_t offset = 0;
  std::string message;
  std::string hint;
};
std::variant<Condition, ConditionError> ParseCondition(std::string_view text,
                                                       const std::vector<std::string>& syscalls);

// Parses a `when` value ("3", "2..5", "1..9+2", ...; see WHEN above). On failure, `offset` is
// the byte offset in `text` of the faulty token and `hint` a suggestion.
std::variant<Occurrence, ConditionError> ParseOccurrence(std::string_view text);

// `s` as a TOML basic string: quoted, with quotes, backslashes and control characters escaped.
std::string TomlString(std::string_view s);

// Writes a policy as TOML that LoadPolicyString reads back to an equal Policy (rules, default,
// options; includes are flattened). `header` lines are written first as comments.
std::string ToToml(const Policy& policy, const std::vector<std::string>& header = {});

}  // namespace pwnbox::config
