// pwnbox::filters audit: the holes of a seccomp policy that a reviewer should know (`pwnbox
// audit`, docs/audit.md lists every finding id), for every input pwnbox reads: a TOML policy or
// an OCI/Docker profile (as a config::Policy), a raw BPF program (`compile --format bpf`) and the
// filters of a running process (PTRACE_SECCOMP_GET_FILTER).
//
// How: every input becomes a model that answers "what happens to this call" for an (ABI,
// syscall, arguments) triple: for a policy, its rules in first-match order (each condition
// compared as the kernel reads the argument, or, for OCI, on the whole 64-bit register as
// libseccomp does in runc); for BPF, the program run by RunBpf (several filters: the most
// restrictive result, as the kernel combines them). Each syscall is probed with representative
// argument values (every constant the policy or program compares an argument with, its
// neighbours and masks; for a policy, each rule's conditions satisfied together; for BPF, one
// vector per path of the program to a return, found by following the program with the arch and
// number known and solving each argument word's branch conditions), which recovers per-syscall
// actions; the checks (namespace flags, TIOCSTI, ... set on top of every probe) are then written
// once against the model. A call is "restricted" when a probe is denied or escalated and a rule
// decided some probe (BPF: an answer differs from the default's, the answer to an unused number):
// what only the default denies shows no intent.
//
// Contexts: a TOML policy run by `pwnbox run` has pwnbox's built-in guards ahead of its rules
// (filters::Guards(): TIOCSTI/TIOCLINUX, CLONE_UNTRACED, clone3), an exported one (`compile
// --format oci|c`) has not. Findings on a TOML policy are computed without the guards; those
// the guards close are marked Finding::Context::kExported.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/policy.h"
#include "core/status.h"

namespace pwnbox::filters {

enum class Severity { kHigh, kMedium, kLow };
std::string_view SeverityName(Severity s);  // "HIGH", "MEDIUM", "LOW"

struct Finding {
  std::string id;      // stable: "abi-no-arch-check", "alias-bypass", ... (docs/audit.md)
  Severity severity = Severity::kMedium;
  std::string where;   // "p.toml:4:1" (the rule), "p.toml (default)", "syscall execveat", "arch i386"
  std::string what;    // one line
  std::string why;     // one line
  std::string fix;     // one line
  // kEverywhere: the hole is there however the filter runs; kExported: under `pwnbox run` a
  // built-in guard closes it, it is open when the policy is exported (OCI, C).
  enum class Context { kEverywhere, kExported };
  Context context = Context::kEverywhere;
  std::vector<std::string> syscalls;  // the syscalls involved (first: the one `where` is about)
};

struct AuditReport {
  std::string input;  // as named on the command line ("pid 1234" for a process)
  enum class Kind { kPolicy, kOci, kBpf, kProcess };
  Kind kind = Kind::kPolicy;
  std::vector<Finding> findings;    // most severe first, then in check order
  std::vector<std::string> notes;   // what the audit could not decide, reader notes

  size_t Count(Severity s) const;
};
std::string_view KindName(AuditReport::Kind k);  // "policy", "oci", "bpf", "process"

struct AuditOptions {
  // Whether pwnbox's supervisor performs a path call of this syscall itself, race-free
  // (supervisor::CanEmulate); path rules on the others are advisory. nullptr: none is.
  std::function<bool(std::string_view)> can_emulate;
};

// The alias families of finding alias-bypass: syscalls that reach the same effect, so that
// restricting one while another is allowed is a hole (docs/audit.md has the table).
struct AliasFamily {
  const char* name;                  // "open"
  std::vector<const char*> members;  // interchangeable: restricting one means restricting the effect
  std::vector<const char*> extra;    // also reach the effect; restricting them alone proves nothing
  bool denied_only;  // a restriction counts only when the member is denied outright (members whose
                     // arguments differ in meaning: clone's flags are not fork's)
  const char* effect;  // "open a file (...)": what each can do
};
const std::vector<AliasFamily>& AliasFamilies();

// Audits a policy. `kind` kPolicy (TOML: conditions compared with the argument's width, guards
// as above, `paths` rules, shadowed rules from Compile) or kOci (the profile as runc runs it:
// conditions on the whole register, no pwnbox guards). Fails when the policy does not compile.
core::Result<AuditReport> AuditPolicy(const config::Policy& policy, AuditReport::Kind kind,
                                      const std::string& input, const AuditOptions& options = {});

// Audits BPF programs (one, or a process's filters, all of which the kernel runs).
// Preconditions: every program is non-empty.
AuditReport AuditBpf(const std::vector<std::vector<sock_filter>>& filters, AuditReport::Kind kind,
                     const std::string& input);

// The struct sock_filter array of `bytes` (`compile --format bpf`): a whole number of 8-byte
// instructions, 1 to BPF_MAXINSNS of them, every jump inside the program, ending in a return.
core::Result<std::vector<sock_filter>> ParseBpf(std::string_view bytes, const std::string& name);

// The seccomp filters of process `pid`, newest first: seizes it, interrupts it, reads every
// filter with PTRACE_SECCOMP_GET_FILTER and detaches (it runs on). Needs CAP_SYS_ADMIN; an empty
// list when the process has no filter.
core::Result<std::vector<std::vector<sock_filter>>> ReadProcessFilters(pid_t pid);

// Text: one block per finding ("SEVERITY id: where: what", "  why: ...", "  fix: ...", and
// "  context: ..." for kExported), then one summary line.
std::string FormatAuditText(const AuditReport& report);
// One JSON document: {"input","kind","findings":[{"id","severity","where","what","why","fix",
// "context","syscalls"}],"notes":[...],"summary":{"high","medium","low","total"}}.
std::string FormatAuditJson(const AuditReport& report);

}  // namespace pwnbox::filters
