// Shared pieces of the pwnbox command-line front end: exit codes, error reporting, splitting
// "OPTIONS -- CMD ARGS" and the wait-status → exit-code rule of SPEC.md.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

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

// SPEC.md: the target's exit code, 128+N when killed by signal N.
int ExitCodeFromWaitStatus(int status);

// Installs handlers for SIGINT/SIGTERM/SIGHUP/SIGQUIT that call `on_signal(sig)` (which must be
// async-signal-safe) without SA_RESTART, so a blocking waitpid returns EINTR. SIGPIPE ignored.
void InstallSignalHandlers(void (*on_signal)(int));

}  // namespace pwnbox::cli
