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
#include "cli/version.h"  // generated: PWNBOX_VERSION

namespace {

// The top-level help. Its "commands:" and "options:" sections are also the source of pwnbox(1)
// and of the shell completions (cli/gendoc.py): every command main() dispatches is listed there,
// and nothing else.
constexpr const char* kHelp = R"(pwnbox: a syscall sandbox and syscall debugger

usage:
  pwnbox [run] [--policy FILE] [--complain] [--log FILE] -- CMD [ARG...]
  pwnbox trace [-f|--no-follow] [-o FILE] [-e trace=SET] [-c|-C] [-s N] [-t|-tt|-ttt]
               [-T] [-y] [-n] [--json] [--policy FILE] (-- CMD [ARG...] | -p PID)
  pwnbox record -o FILE.pwnr [--policy FILE] [--snapshots[=EVERY]] [--no-data] -- CMD [ARG...]
  pwnbox show FILE.pwnr [--json] [-c] [--at N [--regs] [--mem ADDR:LEN]]
  pwnbox replay FILE.pwnr [--until N]
  pwnbox diff A.pwnr B.pwnr [--json]
  pwnbox bench [--policy FILE] [-n RUNS] [--modes LIST] [--json] [--plot FILE.svg]
               [--timeout SECS] -- CMD [ARG...]
  pwnbox check POLICY [--complain]
  pwnbox compile POLICY [--format bpf|disasm|pfc|oci|c] [-o FILE] [--complain] [--kernel-only]
  pwnbox convert IN -o OUT
  pwnbox groups [NAME]
  pwnbox profile FILE... [-o OUT] [--format toml|oci|systemd|c] [--args] [--paths]
                 [--default ACTION]
  pwnbox learn -o OUT [--format ...] [--args] [--paths] [--default ACTION]
               [--keep-recording FILE.pwnr] -- CMD [ARG...]
  pwnbox help [COMMAND]

commands:
  run      run CMD under a policy (the command when none is named)
  trace    trace the system calls of CMD or of process PID, in strace's format
  record   record CMD's system calls, results and the data it read to a .pwnr file
  show     print a recording as a trace, a summary, or the state at one event
  replay   run a recorded program again, fed the recorded results
  diff     compare two recordings call by call
  bench    measure what pwnbox costs a command
  check    validate a policy and say where each of its rules runs
  compile  compile a policy to seccomp-BPF, its disassembly, PFC, OCI JSON or C
  convert  convert an OCI/Docker seccomp profile to a TOML policy, or back
  groups   list the syscall groups, or the members of one
  profile  write a least-privilege policy from recordings and strace logs
  learn    run CMD and write a least-privilege policy from what it did
  help     show the help of pwnbox or of one COMMAND

options:
  -h, --help     show this help (`pwnbox help COMMAND` = `pwnbox COMMAND --help`)
  -V, --version  print pwnbox's version

exit status:
  The target's (128+N when killed by signal N), 125 when pwnbox itself failed, 126/127 when
  the command could not be executed / was not found. check, diff, bench and replay have their
  own: see their --help.
)";

using Command = int (*)(int argc, char** argv);

struct Entry {
  const char* name;
  Command run;
};

// Every command of kHelp, in its order ("help" is main's own).
constexpr Entry kCommands[] = {
    {"run", pwnbox::cli::RunCommand},         {"trace", pwnbox::cli::TraceCommand},
    {"record", pwnbox::cli::RecordCommand},   {"show", pwnbox::cli::ShowCommand},
    {"replay", pwnbox::cli::ReplayCommand},   {"diff", pwnbox::cli::DiffCommand},
    {"bench", pwnbox::cli::BenchCommand},     {"check", pwnbox::cli::CheckCommand},
    {"compile", pwnbox::cli::CompileCommand}, {"convert", pwnbox::cli::ConvertCommand},
    {"groups", pwnbox::cli::GroupsCommand},   {"profile", pwnbox::cli::ProfileCommand},
    {"learn", pwnbox::cli::LearnCommand},
};

// Subcommands SPEC.md defines that this build does not have yet: refused by name, so that they
// are never taken for the name of a program to run.
constexpr const char* kNotYet[] = {"explore", "proxy", "debug", "cov", "audit", "agent"};

Command Find(const std::string& name) {
  for (const Entry& e : kCommands)
    if (name == e.name) return e.run;
  return nullptr;
}

int NotYet(const std::string& name) {
  return pwnbox::cli::Fail("`" + name +
                           "` is not in this build of pwnbox yet; `pwnbox --help` lists the "
                           "commands");
}

// `pwnbox help [COMMAND]`: the top-level help, or COMMAND's own (`pwnbox COMMAND --help`).
int Help(int argc, char** argv) {
  using pwnbox::cli::Fail;
  if (argc < 2) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  if (argc > 2) return Fail("help takes one COMMAND: pwnbox help COMMAND");
  const std::string name = argv[1];
  if (name == "help") {
    std::fputs(kHelp, stdout);
    return 0;
  }
  if (Command run = Find(name)) {
    char help_flag[] = "--help";
    char* args[] = {argv[1], help_flag, nullptr};
    return run(2, args);
  }
  for (const char* later : kNotYet)
    if (name == later) return NotYet(name);
  return Fail("help: no command `" + name + "`; `pwnbox --help` lists the commands");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kHelp, stderr);
    return pwnbox::cli::kExitFailure;
  }
  const std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help") {
    std::fputs(kHelp, stdout);
    return 0;
  }
  if (cmd == "-V" || cmd == "--version") {
    std::puts("pwnbox " PWNBOX_VERSION);
    return 0;
  }
  if (cmd == "help") return Help(argc - 1, argv + 1);
  if (Command run = Find(cmd)) return run(argc - 1, argv + 1);
  for (const char* later : kNotYet)
    if (cmd == later) return NotYet(cmd);
  // `pwnbox [run] ...`: everything else is run's arguments.
  return pwnbox::cli::RunCommand(argc, argv);
}
