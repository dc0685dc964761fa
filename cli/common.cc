#include "cli/common.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace pwnbox::cli {

int Fail(const std::string& message) {
  std::fprintf(stderr, "pwnbox: %s\n", message.c_str());
  return kExitFailure;
}

int Fail(const core::Error& error) { return Fail(error.message()); }

SplitArgs SplitCommand(int argc, char** argv, int first,
                       const std::vector<std::string>& value_options) {
  SplitArgs out;
  int i = first;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') break;
    out.options.push_back(a);
    bool takes_value = false;
    for (const auto& v : value_options) takes_value |= (a == v);
    if (takes_value && i + 1 < argc) out.options.push_back(argv[++i]);
  }
  for (; i < argc; ++i) out.command.push_back(argv[i]);
  return out;
}

namespace {
int g_target_signal = 0;  // the signal that killed the target, 0 if none
}  // namespace

int ExitCodeFromWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) {
    g_target_signal = WTERMSIG(status);
    return 128 + WTERMSIG(status);
  }
  return kExitFailure;
}

int ExitLikeTarget(int code) {
  const int sig = g_target_signal;
  if (sig <= 0 || code != 128 + sig) return code;
  switch (sig) {  // default action "ignore" or "stop": raising would not end pwnbox
    case SIGCHLD: case SIGCONT: case SIGURG: case SIGWINCH:
    case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
      return code;
    default:
      break;
  }
  std::fflush(nullptr);
  rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, nullptr);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, sig);
  sigprocmask(SIG_UNBLOCK, &only, nullptr);
  raise(sig);
  return code;  // still here: the signal did not end pwnbox
}

void PrintIsolation(supervisor::Isolation isolation, int landlock_abi) {
  const char* dbg = getenv("PWNBOX_DEBUG_ISOLATION");
  if (!dbg || !*dbg) return;
  std::fprintf(stderr, "pwnbox: isolation %s (landlock abi %d)\n",
               std::string(supervisor::IsolationName(isolation)).c_str(), landlock_abi);
}

void WarnKernelErrors(const supervisor::Outcome& outcome) {
  const unsigned long long n = outcome.kernel_errors();
  if (n == 0) return;
  std::fprintf(stderr, "pwnbox: warning: %s (%llu unexpected kernel error%s in this run)\n",
               outcome.first_error().c_str(), n, n == 1 ? "" : "s");
}

void ShieldFromGroupSignals() {
  struct sigaction sa {};
  sa.sa_handler = [](int) {};
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGSTKFLT})
    sigaction(sig, &sa, nullptr);
  for (int sig = SIGRTMIN; sig <= SIGRTMAX; ++sig) sigaction(sig, &sa, nullptr);
}

void InstallSignalHandlers(void (*on_signal)(int)) {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: waitpid/poll return EINTR
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaction(sig, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

}  // namespace pwnbox::cli
