// pwnbox: the command-line front end. Argument parsing and wiring only; the work is done by the
// libraries (config, filters, supervisor, recorder).
#include <cstdio>
#include <cstring>
#include <string>

#include "cli/bench_cmd.h"
#include "cli/common.h"
#include "cli/diff_cmd.h"
#include "cli/policy_cmds.h"
#include "cli/profile_cmd.h"
#include "cli/record_cmd.h"
#include "cli/run_cmd.h"
#include "cli/trace_cmd.h"

namespace {

constexpr const char* kHelp = R"(pwnbox: a syscall sandbox and syscall debugger

usage:
  pwnbox [run] [--policy FILE] [--complain] [--log FILE] -- CMD [ARG...]
  pwnbox trace [-f|--no-follow] [-o FILE] [-e trace=SET] [-c|-C] [-s N] [-t|-tt|-ttt]
               [-T] [-y] [-n] [--json] (-- CMD [ARG...] | -p PID)
  pwnbox record -o FILE.pwnr [--policy FILE] [--snapshots[=EVERY]] [--no-data] -- CMD [ARG...]
  pwnbox show FILE.pwnr [--json] [-c] [--at N [--regs] [--mem ADDR:LEN]]
  pwnbox replay FILE.pwnr [--until N]
  pwnbox diff A.pwnr B.pwnr [--json]
  pwnbox bench [--policy FILE] [-n RUNS] [--modes LIST] [--json] [--plot FILE.svg]
               [--timeout SECS] -- CMD
  pwnbox check POLICY
  pwnbox compile POLICY [--format bpf|disasm|pfc|oci|c] [-o FILE]
  pwnbox convert IN -o OUT
  pwnbox profile FILE... [-o OUT] [--format toml|oci|systemd|c] [--args] [--paths]
                 [--default ACTION]
  pwnbox learn -o OUT [--format ...] [--args] [--paths] [--default ACTION] -- CMD [ARG...]
  pwnbox groups [NAME]

`pwnbox COMMAND --help` tells more. Exit status: the target's (128+N when killed by signal N),
125 when pwnbox itself failed, 126/127 when the command could not be executed / was not found.
)";

// Subcommands SPEC.md defines that this build does not have yet: refused by name, so that they
// are never taken for the name of a program to run.
constexpr const char* kNotYet[] = {"explore", "proxy"};

}  // namespace

int main(int argc, char** argv) {
  using namespace pwnbox::cli;
  if (argc < 2) {
    std::fputs(kHelp, stderr);
    return kExitFailure;
  }
  const std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    std::fputs(kHelp, stdout);
    return 0;
  }
  if (cmd == "--version") {
    std::puts("pwnbox 0.1.0");
    return 0;
  }
  if (cmd == "trace") return TraceCommand(argc - 1, argv + 1);
  if (cmd == "run") return RunCommand(argc - 1, argv + 1);
  if (cmd == "record") return RecordCommand(argc - 1, argv + 1);
  if (cmd == "bench") return BenchCommand(argc - 1, argv + 1);
  if (cmd == "show") return ShowCommand(argc - 1, argv + 1);
  if (cmd == "replay") return ReplayCommand(argc - 1, argv + 1);
  if (cmd == "diff") return DiffCommand(argc - 1, argv + 1);
  if (cmd == "check") return CheckCommand(argc - 1, argv + 1);
  if (cmd == "compile") return CompileCommand(argc - 1, argv + 1);
  if (cmd == "convert") return ConvertCommand(argc - 1, argv + 1);
  if (cmd == "groups") return GroupsCommand(argc - 1, argv + 1);
  if (cmd == "profile") return ProfileCommand(argc - 1, argv + 1);
  if (cmd == "learn") return LearnCommand(argc - 1, argv + 1);
  for (const char* name : kNotYet)
    if (cmd == name)
      return Fail("`" + cmd + "` is not in this build of pwnbox yet; see `pwnbox --help`");
  // `pwnbox [run] ...`: everything else is run's arguments.
  return RunCommand(argc, argv);
}
