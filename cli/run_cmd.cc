#include "cli/run_cmd.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "cli/common.h"
#include "cli/options.h"
#include "config/policy.h"
#include "core/fd.h"
#include "filters/filters.h"
#include "supervisor/decider.h"
#include "supervisor/landlock.h"
#include "supervisor/sandbox.h"

namespace po = boost::program_options;

namespace pwnbox::cli {
namespace {

constexpr const char* kUsage =
    "usage: pwnbox [run] [--policy FILE] [--complain] [--log FILE] [--wait-all]\n"
    "                    [--lifecycle auto|namespace|ptrace] -- CMD [ARG...]\n";

void Forward(int sig) { supervisor::ForwardSignal(sig); }

}  // namespace

int RunCommand(int argc, char** argv) {
  SplitArgs split = SplitCommand(argc, argv, 1, {"--policy", "--log", "--stats", "--lifecycle"});
  po::options_description desc("pwnbox run options");
  std::string policy_path, log_path, lifecycle = "auto";
  desc.add_options()
      ("help,h", "show this help")
      ("policy", po::value(&policy_path),
       "the TOML policy to enforce (default: the built-in `default` profile)")
      ("complain", "deny nothing; report every call the policy would deny, once per syscall, rule and path")
      ("log", po::value(&log_path), "write reports to FILE instead of stderr")
      ("wait-all", "wait for every process the command started, as strace -f does; by default "
       "pwnbox ends with the command and kills what it left behind")
      ("lifecycle", po::value(&lifecycle),
       "how nothing the command starts outlives pwnbox: `namespace` (a PID namespace, plus a "
       "user namespace mapping only your own ids when not root: ptrace stays free for strace, "
       "gdb and sanitizers inside; with path rules the target sees the host's /proc), `ptrace` "
       "(every task traced), `auto` (namespace when the policy has no path or ptrace rules and "
       "the kernel allows it, else ptrace; the default)");
  // For `pwnbox bench` (not in --help): the policy with every escalated rule made an in-kernel
  // allow, and a JSON line of run statistics written to a file at the end.
  po::options_description hidden;
  std::string stats_path;
  hidden.add_options()
      ("kernel-only", "")
      ("stats", po::value(&stats_path), "");
  po::options_description all;
  all.add(desc).add(hidden);
  po::variables_map vm;
  if (!ParseOptions(po::command_line_parser(split.options), all, &vm, "run")) return kExitFailure;
  if (vm.count("help")) {
    std::cout << kUsage << desc;
    return 0;
  }
  if (split.command.empty()) return Fail("no command to run: pwnbox [run] [--policy FILE] -- CMD [ARG...]");

  auto policy = policy_path.empty() ? config::BuiltinPolicy("default")
                                    : config::LoadPolicyFile(policy_path);
  if (!policy.ok()) return Fail(policy.error());
  if (auto why = supervisor::Decider::Unsupported(*policy)) return Fail(*why);
  supervisor::Lifecycle lc;
  if (lifecycle == "auto") lc = supervisor::Lifecycle::kAuto;
  else if (lifecycle == "namespace") lc = supervisor::Lifecycle::kNamespace;
  else if (lifecycle == "ptrace") lc = supervisor::Lifecycle::kPtrace;
  else return Fail("--lifecycle " + lifecycle + ": expected auto, namespace or ptrace");
  // Compiled for the lifecycle it will most likely have (RunSandbox compiles the other variant
  // if it must).
  policy->options.untraced_children = supervisor::PreferNamespace(*policy, lc);
  filters::CompileOptions copts;
  copts.complain = vm.count("complain") > 0;
  copts.kernel_only = vm.count("kernel-only") > 0;
  copts.landlock = supervisor::LandlockPathsWanted();  // eligible path rules (landlock_plan.h)
  auto program = filters::Compile(*policy, copts);
  if (!program.ok()) return Fail(program.error());

  core::UniqueFd log_file;
  supervisor::SandboxOptions sopts;
  sopts.lifecycle = lc;
  sopts.wait_all = vm.count("wait-all") > 0;
  sopts.compile = copts;
  sopts.complain = copts.complain;
  if (!log_path.empty()) {
    log_file.reset(open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!log_file) return Fail(core::ErrnoError(errno, "cannot open --log " + log_path));
    sopts.report_fd = log_file.get();
  }

  // The target shares our terminal: Ctrl-C reaches it directly, and pwnbox waits to report its
  // end. SIGTERM/SIGHUP are passed on to the target; if pwnbox dies, so does the target
  // (PDEATHSIG).
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  ShieldFromGroupSignals();  // only reachable without a Landlock domain
  struct sigaction sa {};
  sa.sa_handler = Forward;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);

  auto result = supervisor::RunSandbox(*policy, *program, split.command, sopts);
  if (!result.ok()) {
    int err = result.error().sys_errno();
    Fail(result.error());
    return err == ENOENT ? kExitNotFound : err == EACCES ? kExitCannotExec : kExitFailure;
  }
  const supervisor::Outcome& outcome = *result->outcome;
  PrintIsolation(result->isolation, result->landlock_abi);
  if (const char* dbg = getenv("PWNBOX_DEBUG_ISOLATION"); dbg && *dbg)
    std::fprintf(stderr, "pwnbox: lifecycle %s%s%s\n",
                 result->pid_namespace ? "namespace" : "ptrace",
                 result->namespace_refused.empty() ? "" : ": ",
                 result->namespace_refused.c_str());
  WarnKernelErrors(outcome);
  if (!stats_path.empty()) {
    if (FILE* f = std::fopen(stats_path.c_str(), "we")) {
      std::fprintf(f, "{\"escalated\":%llu,\"escalated_ptrace\":%llu,\"kernel_errors\":%llu,"
                   "\"isolation\":\"%s\",\"landlock_abi\":%d,\"lifecycle\":\"%s\"}\n",
                   static_cast<unsigned long long>(result->escalated),
                   static_cast<unsigned long long>(result->escalated_ptrace),
                   static_cast<unsigned long long>(outcome.kernel_errors()),
                   std::string(supervisor::IsolationName(result->isolation)).c_str(),
                   result->landlock_abi, result->pid_namespace ? "namespace" : "ptrace");
      std::fclose(f);
    }
  }
  if (result->exec_errno) {
    Fail(core::ErrnoError(result->exec_errno, "cannot execute " + result->path));
    return result->exec_errno == ENOENT ? kExitNotFound : kExitCannotExec;
  }
  const int status = result->wait_status;
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS && !copts.complain) {
    // A seccomp kill is silent: say what it was and how to find the call.
    const std::string policy_arg = policy_path.empty() ? "" : " --policy " + policy_path;
    dprintf(sopts.report_fd,
            "pwnbox: %s was killed by SIGSYS (exit 159): the policy kills a call it made; "
            "`pwnbox --complain%s -- ...` names it\n",
            split.command[0].c_str(), policy_arg.c_str());
  }
  return ExitCodeFromWaitStatus(status);
}

}  // namespace pwnbox::cli
