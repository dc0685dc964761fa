#include "cli/policy_cmds.h"

#include "cli/check_against.h"

#include <boost/program_options.hpp>
#include <linux/seccomp.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/common.h"
#include "cli/options.h"
#include "config/policy.h"
#include "core/syscalls.h"
#include "filters/bpf.h"
#include "filters/filters.h"
#include "filters/oci.h"
#include "supervisor/landlock.h"

namespace pwnbox::cli {
namespace {

namespace po = boost::program_options;

// Parses argv with `desc` and one optional positional list `pos_name`; on error prints it.
bool Parse(int argc, char** argv, const po::options_description& desc, const char* pos_name,
           po::variables_map* vm, int* exit_code) {
  po::positional_options_description pos;
  if (pos_name) pos.add(pos_name, -1);
  if (ParseOptions(po::command_line_parser(argc, argv), desc, vm, argv[0], &pos)) return true;
  *exit_code = kExitFailure;
  return false;
}

// Loads a policy; prints its error and returns nullopt when it is invalid.
std::optional<config::Policy> Load(const std::string& path, int* exit_code) {
  auto p = config::LoadPolicyFile(path);
  if (p.ok()) return std::move(p).value();
  if (p.error().sys_errno() != 0) {
    *exit_code = Fail(p.error().message());
  } else {
    std::fprintf(stderr, "%s\n", p.error().message().c_str());
    *exit_code = Fail("invalid policy " + path + ": fix the error above (`pwnbox check " + path + "` checks it)");
  }
  return std::nullopt;
}

bool WriteOutput(const std::string& path, const std::string& data, int* exit_code) {
  if (path.empty() || path == "-") {
    std::fwrite(data.data(), 1, data.size(), stdout);
    std::fflush(stdout);
    return true;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) {
    *exit_code = Fail(core::ErrnoError(errno, "cannot write " + path));
    return false;
  }
  return true;
}

std::string Summary(const config::Rule& r) {
  std::string s;
  for (size_t i = 0; i < r.syscalls_as_written.size() && i < 6; ++i)
    s += (i ? ", " : "") + r.syscalls_as_written[i];
  if (r.syscalls_as_written.size() > 6) s += ", ... (" + std::to_string(r.syscalls_as_written.size()) + ")";
  if (!r.args.empty()) {
    s += " [";
    for (size_t i = 0; i < r.args.size(); ++i) s += (i ? ", " : "") + r.args[i].text;
    s += "]";
  }
  if (r.when) s += " when=" + r.when->ToString();
  return s + " -> " + r.action.ToString() + (r.log ? " (log)" : "");
}

// Where the policy's path rules run: Landlock (which calls, which directories) or the supervisor
// (and why), when it has path rules.
// The `landlock: tcp ...` line of a policy with tcp_ports rules: which of connect/bind Landlock
// decides and the ports it allows, or why the supervisor decides them.
void PrintLandlockTcpLine(const config::Policy& policy, const filters::Program& prog, bool wanted) {
  bool tcp = false;
  for (const auto& r : policy.rules) tcp = tcp || !r.tcp_ports.empty();
  if (!tcp) return;
  const filters::LandlockPlan& ll = prog.landlock;
  auto ports = [](const std::vector<config::PortRange>& list) {
    std::string out;
    for (const auto& r : list) out += (out.empty() ? "" : ", ") + r.ToString();
    return out.empty() ? std::string("none") : out;
  };
  if (ll.HandledNet() != 0) {
    std::string what;
    if (ll.connect.handled) what += "connect to " + ports(ll.connect.ports);
    if (ll.bind.handled) what += std::string(what.empty() ? "" : "; ") + "bind to " + ports(ll.bind.ports);
    std::printf("landlock: tcp: %s decided in the kernel (EACCES for other TCP ports; other sockets "
                "by the rest of the policy) (docs/policy.md \"TCP ports\")\n",
                what.c_str());
  } else if (!wanted) {
    std::printf("landlock: tcp: not used (PWNBOX_LANDLOCK=off or an older Landlock): the supervisor "
                "decides the TCP port rules\n");
  } else {
    std::printf("landlock: tcp: not used: %s: the supervisor decides the TCP port rules\n",
                ll.tcp_why_not.empty() ? "see the rules' routes" : ll.tcp_why_not.c_str());
  }
}

void PrintLandlockLine(const config::Policy& policy, const filters::Program& prog, bool wanted) {
  PrintLandlockTcpLine(policy, prog, wanted);
  bool paths = false;
  for (const auto& r : policy.rules) paths = paths || !r.paths.empty();
  if (!paths) return;
  const filters::LandlockPlan& ll = prog.landlock;
  if (ll.eligible) {
    std::string calls, dirs;
    for (const auto& n : ll.syscalls) calls += (calls.empty() ? "" : ", ") + n;
    for (const auto& d : ll.dirs) dirs += (dirs.empty() ? "" : ", ") + d;
    std::printf("landlock: ABI %d: %s without O_CREAT/O_PATH/O_TMPFILE decided in the kernel (read, write, "
                "list beneath %s; EACCES elsewhere); the rest of the path rules in the supervisor; programs "
                "run only from beneath those trees (docs/policy.md \"Path rules on Landlock\")\n",
                supervisor::LandlockAbi(), calls.c_str(), dirs.c_str());
  } else if (!wanted) {
    const int abi = supervisor::LandlockAbi();
    std::string why = abi >= filters::kLandlockPathsAbi
                          ? std::string("PWNBOX_LANDLOCK=off")
                          : "Landlock ABI " + std::to_string(abi) + ", needs " +
                                std::to_string(filters::kLandlockPathsAbi);
    std::printf("landlock: not used (%s): every path rule runs in the supervisor\n", why.c_str());
  } else {
    std::printf("landlock: not used: %s: every path rule runs in the supervisor\n", ll.why_not.c_str());
  }
}

}  // namespace

int CheckCommand(int argc, char** argv) {
  po::options_description desc(
      "usage: pwnbox check POLICY [--against RUN.pwnr|RUN.strace [--cwd DIR] [-c]]\n\nValidates a policy and says, for every rule, whether the kernel decides it or it is\n"
      "escalated to pwnbox (and why); warns about rules earlier rules shadow; prints the BPF size.\n"
      "With --against, decides every call of a recorded run (or an strace -f log) as the policy\n"
      "would, without running anything, and prints the first call it would deny.\n"
      "Exit status 0 when valid, 125 when not (--against: 1 when a call would be denied)");
  desc.add_options()("help,h", "show this help")("complain", "as `run --complain` would compile it")(
      "against", po::value<std::string>(), "decide the calls of this recording or strace log")(
      "cwd", po::value<std::string>(), "--against: the run's starting directory (strace logs)")(
      "summary,c", "--against: calls and denials per rule")(
      "policy", po::value<std::vector<std::string>>(), "policy file");
  po::variables_map vm;
  int rc = 0;
  if (!Parse(argc, argv, desc, "policy", &vm, &rc)) return rc;
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (!vm.count("policy") || vm["policy"].as<std::vector<std::string>>().size() != 1)
    return Fail("check takes one policy file: pwnbox check POLICY");
  std::string path = vm["policy"].as<std::vector<std::string>>()[0];
  auto policy = Load(path, &rc);
  if (!policy) return rc;
  filters::CompileOptions opts;
  opts.complain = vm.count("complain") > 0;
  opts.landlock = supervisor::LandlockPathsWanted();
  auto prog = filters::Compile(*policy, opts);
  if (!prog.ok()) return Fail(prog.error().message());
  if (vm.count("against")) {
    AgainstOptions against;
    against.run = vm["against"].as<std::string>();
    if (vm.count("cwd")) against.cwd = vm["cwd"].as<std::string>();
    against.summary = vm.count("summary") > 0;
    return CheckAgainst(*policy, path, against);
  }
  if (vm.count("cwd") || vm.count("summary")) return Fail("--cwd and -c go with --against RUN");
  const char* how = policy->options.escalate == config::Options::Escalate::kNotify ? "notify" : "ptrace";
  std::printf("%s: valid: %zu rules, default %s, escalate %s, abi", path.c_str(), policy->rules.size(),
              policy->default_action.ToString().c_str(), how);
  for (size_t i = 0; i < policy->options.abi.size(); ++i)
    std::printf("%s%s", i ? "," : " ", std::string(core::AbiName(policy->options.abi[i])).c_str());
  std::printf(", io_uring %s\n", policy->options.io_uring ? "allowed" : "denied (ENOSYS)");
  for (const filters::Guard& g : filters::Guards()) {
    std::printf("guard: %s%s%s -> %s: bpf (pwnbox built-in, ahead of every rule): %s\n", g.syscall,
                *g.text ? " " : "", *g.text ? (std::string("[") + g.text + "]").c_str() : "",
                g.rule.action.ToString().c_str(), g.why);
  }
  // Where each rule runs: bpf (the kernel filter decides), landlock (a ruleset applied before
  // execve), notify or ptrace (escalated to pwnbox), with why.
  auto route = [](filters::RulePlacement::Route r) {
    switch (r) {
      case filters::RulePlacement::Route::kNotify: return "notify";
      case filters::RulePlacement::Route::kPtrace: return "ptrace";
      case filters::RulePlacement::Route::kLandlock: return "landlock";
      case filters::RulePlacement::Route::kKernel: return "bpf";
    }
    return "bpf";
  };
  for (size_t i = 0; i < policy->rules.size(); ++i) {
    const config::Rule& r = policy->rules[i];
    const filters::RulePlacement& pl = prog->rules[i];
    std::string where;
    if (pl.where == filters::RulePlacement::Where::kShadowed) {
      where = "never reached: " + pl.why;
    } else if (pl.route == filters::RulePlacement::Route::kKernel) {
      where = "bpf";
      if (r.escalate)  // the kernel decides it: its backend matters only when it is escalated
        where += " (escalate = \"" + std::string(config::EscalateName(*r.escalate)) +
                 "\" applies only under --complain)";
    } else {
      where = route(pl.route);
      if (!pl.route_why.empty()) where += " (" + pl.route_why + ")";
      if (!pl.why.empty()) where += ": " + pl.why;
    }
    std::printf("rule %zu (%s) %s: %s\n", i + 1, r.Location().c_str(), Summary(r).c_str(), where.c_str());
  }
  PrintLandlockLine(*policy, *prog, opts.landlock);
  for (const auto& e : prog->evaluated_syscalls) {
    std::string via = "ptrace";
    for (const auto& em : prog->emitted)
      if (em.syscall == e.name && (em.action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF) via = "notify";
    std::printf("syscall %s: %s, decided by pwnbox as a whole: %s\n", e.name.c_str(), via.c_str(), e.why.c_str());
  }
  for (const auto& [name, args] : prog->canonical_checks) {
    std::string list;
    for (int i = 0; i < 6; ++i)
      if (args & (1u << i)) list += (list.empty() ? "arg" : ", arg") + std::to_string(i);
    std::printf("syscall %s: %s compared as sign/zero-extended values in the kernel; other encodings "
                "(junk in the upper half) decided by pwnbox\n", name.c_str(), list.c_str());
  }
  for (const auto& w : prog->warnings) std::printf("warning: %s\n", w.c_str());
  std::printf("BPF: %zu instructions (limit %zu)\n", prog->instructions(), filters::kMaxInstructions);
  return 0;
}

int CompileCommand(int argc, char** argv) {
  po::options_description desc(
      "usage: pwnbox compile POLICY [--format bpf|disasm|pfc|oci|c] [-o FILE]\n\n"
      "Compiles a policy to seccomp-BPF and writes it (stdout without -o):\n"
      "  bpf     raw struct sock_filter array\n"
      "  disasm  readable disassembly (seccomp-tools style; the default)\n"
      "  pfc     libseccomp's pseudo filter code\n"
      "  oci     OCI/Docker seccomp JSON profile\n"
      "  c       a C program (cc FILE -lseccomp) that installs the filter and execs its arguments");
  desc.add_options()("help,h", "show this help")("format,f", po::value<std::string>()->default_value("disasm"), "output format")(
      "output,o", po::value<std::string>(), "output file")("complain", "compile as `run --complain` does")(
      "kernel-only", "escalated rules become in-kernel allows (as `bench` mode kernel)")(
      "policy", po::value<std::vector<std::string>>(), "policy file");
  po::variables_map vm;
  int rc = 0;
  if (!Parse(argc, argv, desc, "policy", &vm, &rc)) return rc;
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (!vm.count("policy") || vm["policy"].as<std::vector<std::string>>().size() != 1)
    return Fail("compile takes one policy file: pwnbox compile POLICY [--format F] [-o FILE]");
  std::string path = vm["policy"].as<std::vector<std::string>>()[0];
  std::string format = vm["format"].as<std::string>();
  std::string out = vm.count("output") ? vm["output"].as<std::string>() : "";
  if (format != "bpf" && format != "disasm" && format != "pfc" && format != "oci" && format != "c")
    return Fail("unknown format \"" + format + "\": use bpf, disasm, pfc, oci or c");
  auto policy = Load(path, &rc);
  if (!policy) return rc;
  filters::CompileOptions opts;
  opts.complain = vm.count("complain") > 0;
  opts.kernel_only = vm.count("kernel-only") > 0;
  auto prog = filters::Compile(*policy, opts);
  if (!prog.ok()) return Fail(prog.error().message());
  for (const auto& w : prog->warnings) std::fprintf(stderr, "pwnbox: warning: %s\n", w.c_str());
  std::string data;
  if (format == "bpf") {
    if (out.empty() && isatty(STDOUT_FILENO)) return Fail("refusing to write binary BPF to a terminal: add -o FILE");
    data = prog->Bytes();
  } else if (format == "disasm") {
    data = filters::Disassemble(prog->bpf);
  } else if (format == "pfc") {
    auto r = filters::ExportPfc(*policy, opts);
    if (!r.ok()) return Fail(r.error());
    data = *r;
  } else if (format == "oci") {
    std::vector<std::string> notes;
    auto r = filters::PolicyToOci(*policy, &notes);
    if (!r.ok()) return Fail(r.error().message() + "; use another --format");
    for (const auto& n : notes) std::fprintf(stderr, "pwnbox: note: %s\n", n.c_str());
    data = *r;
  } else {
    if (!prog->escalated_rules.empty() || !prog->evaluated_syscalls.empty())
      std::fprintf(stderr, "pwnbox: warning: rules that need pwnbox's supervisor fail with ENOSYS (log: SCMP_ACT_LOG) in the C program\n");
    auto r = filters::ExportC(*policy, opts);
    if (!r.ok()) return Fail(r.error());
    data = *r;
  }
  return WriteOutput(out, data, &rc) ? 0 : rc;
}

int ConvertCommand(int argc, char** argv) {
  po::options_description desc(
      "usage: pwnbox convert IN -o OUT\n\n"
      "Converts an OCI/Docker seccomp JSON profile to a pwnbox TOML policy, or a TOML policy to\n"
      "OCI JSON. The direction follows IN: .json (or text starting with '{') is OCI");
  desc.add_options()("help,h", "show this help")("output,o", po::value<std::string>(), "output file (- for stdout)")(
      "input", po::value<std::vector<std::string>>(), "input file");
  po::variables_map vm;
  int rc = 0;
  if (!Parse(argc, argv, desc, "input", &vm, &rc)) return rc;
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (!vm.count("input") || vm["input"].as<std::vector<std::string>>().size() != 1 || !vm.count("output"))
    return Fail("usage: pwnbox convert IN -o OUT");
  std::string in = vm["input"].as<std::vector<std::string>>()[0];
  std::string out = vm["output"].as<std::string>();
  std::ifstream f(in, std::ios::binary);
  if (!f) return Fail(core::ErrnoError(errno, "cannot read " + in));
  std::stringstream ss;
  ss << f.rdbuf();
  std::string text = ss.str();
  size_t first = text.find_first_not_of(" \t\r\n");
  bool is_json = (in.size() > 5 && in.substr(in.size() - 5) == ".json") ||
                 (first != std::string::npos && text[first] == '{');
  std::vector<std::string> notes;
  std::string data;
  if (is_json) {
    auto p = filters::PolicyFromOci(text, in, &notes);
    if (!p.ok()) return Fail(p.error().message());
    std::vector<std::string> header = {"Converted by `pwnbox convert` from " + in + " (OCI seccomp profile).",
                                       "Rules are in the profile's order; the first that matches decides."};
    if (text.find("\"archMap\"") != std::string::npos || text.find("\"includes\"") != std::string::npos)
      header.push_back("Docker's conditional entries were resolved for its default capabilities on amd64 and this kernel.");
    data = config::ToToml(*p, header);
    auto back = config::LoadPolicyString(data, out);
    if (!back.ok()) return Fail("internal error: the converted policy does not load back:\n" + back.error().message());
  } else {
    auto p = Load(in, &rc);
    if (!p) return rc;
    auto r = filters::PolicyToOci(*p, &notes);
    if (!r.ok()) return Fail(r.error());
    data = *r;
  }
  for (const auto& n : notes) std::fprintf(stderr, "pwnbox: note: %s\n", n.c_str());
  return WriteOutput(out, data, &rc) ? 0 : rc;
}

int GroupsCommand(int argc, char** argv) {
  po::options_description desc(
      "usage: pwnbox groups [NAME]\n\nLists the syscall groups usable in policies and `trace -e` (@file, ...),\n"
      "or the members of one group");
  desc.add_options()("help,h", "show this help")("name", po::value<std::vector<std::string>>(), "group");
  po::variables_map vm;
  int rc = 0;
  if (!Parse(argc, argv, desc, "name", &vm, &rc)) return rc;
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (!vm.count("name")) {
    for (const auto& g : core::Groups())
      std::printf("@%-12s %4zu  %s\n", std::string(g.name).c_str(), g.members.size(),
                  std::string(g.description).c_str());
    return 0;
  }
  for (const auto& name : vm["name"].as<std::vector<std::string>>()) {
    const core::SyscallGroup* g = core::FindGroup(name);
    if (!g) return Fail("unknown group \"" + name + "\"; `pwnbox groups` lists them");
    for (auto m : g->members) std::printf("%s\n", std::string(m).c_str());
  }
  return 0;
}

}  // namespace pwnbox::cli
