// pwnbox::supervisor landlock: keeps the target from reaching its supervisor.
//
// The target runs as pwnbox's child, as the same user: without more, it could ptrace pwnbox,
// write its memory (process_vm_writev, /proc/PPID/mem), take its fds (pidfd_getfd: the seccomp
// listener, then answer its own notifications), or signal it (kill, kill(-1), kill(0) to the
// shared process group, pidfd_send_signal, tgkill, F_SETOWN/SIGIO). A Landlock domain applied
// in the child before execve stops every one of these, root included, and costs nothing on
// calls that Landlock does not hook:
// - ptrace scoping comes with any domain: a task in a domain may ptrace (PTRACE_ATTACH/SEIZE,
//   process_vm_*, /proc/PID/{mem,fd,environ,...}, pidfd_getfd, kcmp, ...) only tasks in the
//   same domain or a nested one;
// - LANDLOCK_SCOPE_SIGNAL (ABI 6+): signals only to tasks in the same or a nested domain.
// The domain handles no filesystem or network access, except when the policy's open calls are an
// allow-list of trees that Landlock decides exactly (filters/landlock_plan.h,
// PreparePathsRuleset: the same domain then also handles read, write and list beneath them;
// docs/policy.md "Path rules on Landlock"). It does not scope abstract unix sockets: pwnbox uses none, and scoping them would cut the target off
// from X11, D-Bus and other abstract-socket services outside, which a syscall filter should not
// change. Without Landlock or with ABI < 6 the launcher falls back to a non-dumpable supervisor
// (PR_SET_DUMPABLE 0), which stops the ptrace family for a target that is not root, and not
// signals (docs/security.md).
#pragma once

#include <string_view>

#include "core/fd.h"
#include "core/status.h"
#include "filters/landlock_plan.h"

namespace pwnbox::supervisor {

// How the supervisor is kept out of the target's reach.
enum class Isolation {
  kNone,        // nothing (trace/record without a policy: a debugger, not a sandbox)
  kNonDumpable,  // fallback: PR_SET_DUMPABLE 0 on the supervisor (not root, not signals)
  kLandlock,    // a Landlock domain scoping ptrace and signals
};

// "none", "nondumpable", "landlock".
std::string_view IsolationName(Isolation isolation);

// Landlock's ABI version on this kernel (0: no Landlock). PWNBOX_NO_LANDLOCK=1 in the
// environment makes it 0 (to exercise the fallback).
int LandlockAbi();

// Creates the ruleset that LandlockRestrictSelf applies: no handled fs/net access, signals
// scoped. In the parent, before fork. Errors: ABI < 6 (EOPNOTSUPP), or the kernel refused.
core::Result<core::UniqueFd> PrepareScopeRuleset();

// Whether runs should let Landlock decide eligible path rules (filters::CompileOptions::landlock):
// LandlockAbi() >= filters::kLandlockPathsAbi, and PWNBOX_LANDLOCK is not "off" (or "0") in the
// environment. PWNBOX_LANDLOCK=off is a debugging knob: the same policy then runs with every
// path rule in the supervisor, as on a kernel without Landlock (`pwnbox check` says which).
bool LandlockPathsWanted();

// The ruleset for a policy whose path rules and/or TCP ports Landlock decides in part
// (filters::LandlockPlan, Applies()): signals scoped as PrepareScopeRuleset's; when
// `plan.eligible`, `plan.handled` filesystem rights handled, `plan.granted` beneath each of
// `plan.dirs`, `plan.granted_everywhere` beneath "/"; plan.HandledNet() handled, with one
// LANDLOCK_RULE_NET_PORT rule per allowed port of `plan.connect` / `plan.bind`. Errors:
// ABI < kLandlockPathsAbi (EOPNOTSUPP), a directory that cannot be opened (its errno), or the
// kernel refused. The caller must not start the target without it (the BPF relies on it).
core::Result<core::UniqueFd> PreparePathsRuleset(const filters::LandlockPlan& plan);

// Enters the domain of `ruleset_fd`. Async-signal-safe (between fork and execve). Precondition:
// NO_NEW_PRIVS is set (or the caller has CAP_SYS_ADMIN). Returns 0 or an errno.
int LandlockRestrictSelf(int ruleset_fd);

}  // namespace pwnbox::supervisor
