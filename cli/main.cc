// pwnbox: the command-line front end. Argument parsing and wiring only; the work is done by the
// libraries (config, filters, supervisor, recorder).
#include <cstdio>
#include <cstring>
#include <string>

#include "cli/audit_cmd.h"
#include "cli/bench_cmd.h"
#include "cli/common.h"
#include "cli/diff_cmd.h"
#include "cli/explore_cmd.h"
#include "cli/policy_cmds.h"
#include "cli/profile_cmd.h"
#include "cli/proxy_cmd.h"
#include "cli/record_cmd.h"
#include "cli/run_cmd.h"
#include "cli/trace_cmd.h"
#include "cli/version.h"  // generated: PWNBOX_VERSION

namespace {

// The top-level help: kUsage, then a "commands:" table made from kCommands (so that it lists
// exactly the commands main() dispatches), then kOptions. Its sections are also the source of
// pwnbox(1) and of the shell completions (cli/gendoc.py).
constexpr const char* kUsage = R"(pwnbox: a syscall sandbox and syscall debugger

usage:
  pwnbox [run] [--policy FILE] [--complain] [--log FILE] -- CMD [ARG...]
  pwnbox trace [-f|--no-follow] [-o FILE] [-e trace=SET] [-c|-C] [-s N] [-t|-tt|-ttt]
               [-T] [-y] [-n] [--json] [--policy FILE] (-- CMD [ARG...] | -p PID)
  pwnbox record -o FILE.pwnr [--policy FILE] [--snapshots[=EVERY]] [--no-data] -- CMD [ARG...]
  pwnbox show FILE.pwnr [--json] [-c] [--at N [--regs] [--mem ADDR:LEN]]
  pwnbox replay FILE.pwnr [--until N]
  pwnbox diff A.pwnr B.pwnr [--json] [--ignore-random]
  pwnbox bench [--policy FILE] [-n RUNS] [--modes LIST] [--json] [--plot FILE.svg]
               [--timeout SECS] -- CMD [ARG...]
  pwnbox check POLICY [--complain]
  pwnbox compile POLICY [--format bpf|disasm|pfc|oci|c] [-o FILE] [--complain] [--kernel-only]
  pwnbox audit POLICY|PROFILE.json|FILTER.bpf [--json] | --pid PID
  pwnbox convert IN -o OUT
  pwnbox groups [NAME]
  pwnbox profile FILE... [-o OUT] [--format toml|oci|systemd|c] [--args] [--paths]
                 [--default ACTION]
  pwnbox learn -o OUT [--format ...] [--args] [--paths] [--default ACTION]
               [--keep-recording FILE.pwnr] -- CMD [ARG...]
  pwnbox proxy serve --listen unix:PATH [--root DIR] [--allow LIST]
  pwnbox explore [--policy FILE] [--at SELECTOR]... [--outcomes LIST] [--max-branches N]
                 [--depth D] [--jobs N] [--timeout SECS] [--json] [-o DIR] -- CMD [ARG...]
  pwnbox help [COMMAND]
)";

constexpr const char* kOptions = R"(
options:
  -h, --help     show this help (`pwnbox help COMMAND` = `pwnbox COMMAND --help`)
  -V, --version  print pwnbox's version

exit status:
  The target's (128+N when killed by signal N), 125 when pwnbox itself failed, 126/127 when
  the command could not be executed / was not found. check, audit, diff, bench, replay and
  explore have their own: see their --help.
)";

using Command = int (*)(int argc, char** argv);

struct Entry {
  const char* name;
  Command run;       // nullptr for main's own `help`
  const char* what;  // one line, for the help's table and the man page's NAME
};

constexpr Entry kCommands[] = {
    {"run", pwnbox::cli::RunCommand, "run CMD under a policy (the command when none is named)"},
    {"trace", pwnbox::cli::TraceCommand,
     "trace the system calls of CMD or of process PID, in strace's format"},
    {"record", pwnbox::cli::RecordCommand,
     "record CMD's system calls, results and the data it read to a .pwnr file"},
    {"show", pwnbox::cli::ShowCommand,
     "print a recording as a trace, a summary, or the state at one event"},
    {"replay", pwnbox::cli::ReplayCommand,
     "run a recorded program again, fed the recorded results"},
    {"diff", pwnbox::cli::DiffCommand, "compare two recordings call by call"},
    {"bench", pwnbox::cli::BenchCommand, "measure what pwnbox costs a command"},
    {"check", pwnbox::cli::CheckCommand,
     "validate a policy and say where each of its rules runs"},
    {"compile", pwnbox::cli::CompileCommand,
     "compile a policy to seccomp-BPF, its disassembly, PFC, OCI JSON or C"},
    {"audit", pwnbox::cli::AuditCommand,
     "report the holes a reviewer should know in a policy, with why and fix"},
    {"convert", pwnbox::cli::ConvertCommand,
     "convert an OCI/Docker seccomp profile to a TOML policy, or back"},
    {"groups", pwnbox::cli::GroupsCommand, "list the syscall groups, or the members of one"},
    {"profile", pwnbox::cli::ProfileCommand,
     "write a least-privilege policy from recordings and strace logs"},
    {"learn", pwnbox::cli::LearnCommand,
     "run CMD and write a least-privilege policy from what it did"},
    {"proxy", pwnbox::cli::ProxyCommand,
     "serve proxied calls (opens, stat, ...) beneath a directory to sandboxes"},
    {"explore", pwnbox::cli::ExploreCommand,
     "fork CMD at chosen calls to try their failures: crashes, hangs"},
    {"help", nullptr, "show the help of pwnbox or of one COMMAND"},
};

void PrintHelp(std::FILE* out) {
  std::fputs(kUsage, out);
  std::fputs("\ncommands:\n", out);
  for (const Entry& e : kCommands) std::fprintf(out, "  %-8s %s\n", e.name, e.what);
  std::fputs(kOptions, out);
}

// Subcommands SPEC.md defines that this build does not have yet: refused by name, so that they
// are never taken for the name of a program to run.
constexpr const char* kNotYet[] = {"debug", "cov", "agent"};

Command Find(const std::string& name) {
  for (const Entry& e : kCommands)
    if (e.run != nullptr && name == e.name) return e.run;
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
    PrintHelp(stdout);
    return 0;
  }
  if (argc > 2) return Fail("help takes one COMMAND: pwnbox help COMMAND");
  const std::string name = argv[1];
  if (name == "help") {
    PrintHelp(stdout);
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
    PrintHelp(stderr);
    return pwnbox::cli::kExitFailure;
  }
  const std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help") {
    PrintHelp(stdout);
    return 0;
  }
  if (cmd == "-V" || cmd == "--version") {
    std::puts("pwnbox " PWNBOX_VERSION);
    return 0;
  }
  if (cmd == "help") return Help(argc - 1, argv + 1);
  // A target killed by a signal takes pwnbox with it, by the same signal (ExitLikeTarget).
  if (Command run = Find(cmd)) return pwnbox::cli::ExitLikeTarget(run(argc - 1, argv + 1));
  for (const char* later : kNotYet)
    if (cmd == later) return NotYet(cmd);
  // `pwnbox [run] ...`: everything else is run's arguments.
  return pwnbox::cli::ExitLikeTarget(pwnbox::cli::RunCommand(argc, argv));
}
