// Shared pieces of the pwnbox command-line front end: exit codes, error reporting, splitting
// "OPTIONS -- CMD ARGS" and the wait-status → exit-code rule of SPEC.md.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "supervisor/landlock.h"
#include "supervisor/outcome.h"

namespace pwnbox::cli {

inline constexpr int kExitFailure = 125;  // pwnbox itself failed
inline constexpr int kExitCannotExec = 126;
inline constexpr int kExitNotFound = 127;

// Prints "pwnbox: MESSAGE" on stderr and returns kExitFailure.
int Fail(const std::string& message);
int Fail(const core::Error& error);

// Splits argv (after the subcommand) into pwnbox's options and the target command: the command
// starts after "--", or at the first word that is neither an option nor the value of one of
// `value_options` (e.g. {"-o", "-s", "-e", "-p", "--policy"}).
struct SplitArgs {
  std::vector<std::string> options;
  std::vector<std::string> command;
};
SplitArgs SplitCommand(int argc, char** argv, int first, const std::vector<std::string>& value_options);

// SPEC.md: the target's exit code, 128+N when killed by signal N. Remembers that signal for
// ExitLikeTarget.
int ExitCodeFromWaitStatus(int status);

// What `main` returns through: when the target was killed by signal N (ExitCodeFromWaitStatus
// saw it) and `code` is 128+N, pwnbox dies of the same signal, as strace and sudo do, so that a
// shell loop stops on Ctrl-C and prints "Segmentation fault" itself: stdio is flushed, the
// signal's default action restored and RLIMIT_CORE set to 0 (pwnbox must not dump its own core
// for the target's crash). `$?` still reads 128+N. Otherwise (or for signals whose default
// action is not to terminate) returns `code`.
int ExitLikeTarget(int code);

// With PWNBOX_DEBUG_ISOLATION set: one line saying how the supervisor was kept out of the
// target's reach (supervisor/landlock.h).
void PrintIsolation(supervisor::Isolation isolation, int landlock_abi);
// One `pwnbox: warning:` line with the run's first unexpected kernel error, if there was one.
void WarnKernelErrors(const supervisor::Outcome& outcome);

// Installs handlers for SIGINT/SIGTERM/SIGHUP/SIGQUIT that call `on_signal(sig)` (which must be
// async-signal-safe) without SA_RESTART, so a blocking waitpid returns EINTR. SIGPIPE ignored.
void InstallSignalHandlers(void (*on_signal)(int));

// pwnbox shares the target's process group: a target that signals its group (kill(0, SIGUSR1),
// as shells and servers do to their children) reaches pwnbox too, and plain `trace`/`record`
// (no Landlock domain) would die of it while the target handles it. Gives every signal that
// ends a process by default and that pwnbox does not use itself (SIGUSR1/2, SIGALRM, SIGVTALRM,
// SIGPROF, SIGIO, SIGPWR, SIGSTKFLT, the real-time signals) a handler that does nothing
// (SA_RESTART). A handler, not SIG_IGN: the target starts with what pwnbox inherited, and
// execve resets handlers.
void ShieldFromGroupSignals();

}  // namespace pwnbox::cli
