#include "cli/explore_cmd.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli/common.h"
#include "cli/options.h"
#include "config/policy.h"
#include "explore/explorer.h"
#include "filters/filters.h"
#include "supervisor/decider.h"

namespace po = boost::program_options;

namespace pwnbox::cli {
namespace {

constexpr const char* kUsage =
    "usage: pwnbox explore [--policy FILE] [--at SELECTOR]... [--outcomes LIST]\n"
    "                      [--max-branches N] [--depth D] [--jobs N] [--timeout SECS] [--json]\n"
    "                      [-o DIR] -- CMD [ARG...]\n"
    "Runs CMD, forks it at the selected calls and gives each copy another outcome of the call;\n"
    "reports which outcomes crash, hang, or change the exit status or the output.\n"
    "SELECTOR: NAME or @GROUP, then :path=GLOB, :ARG=VALUE (fd=0), #K (the K-th match), e.g.\n"
    "  openat:path=/etc/app.conf  read:fd=0  write#3  @network\n"
    "OUTCOMES: ok, errno names (ENOENT), short, eof, eintr; default: the call's usual failures.\n"
    "--policy P: P is served as `pwnbox run` serves it, in the baseline and every branch (its\n"
    "path, return, log, modify... rules too; `when` counts each branch as a run of its own,\n"
    "from its parent's counts at the branch point); a selected call P escalates is decided by\n"
    "P first and branches only if P lets it run (one P denies is reported, not branched); P's\n"
    "reports go to DIR/policy.log.\n"
    "Exit status: 0 when no branch crashed or hung, 1 when some did, 125 on errors, 126/127\n"
    "when CMD cannot be executed / is not found.\n";

}  // namespace

int ExploreCommand(int argc, char** argv) {
  SplitArgs split = SplitCommand(
      argc, argv, 1,
      {"--policy", "--at", "--outcomes", "--max-branches", "--depth", "--jobs", "--timeout", "-o"});
  po::options_description desc("pwnbox explore options");
  std::string policy_path, outcomes_text, out_dir;
  std::vector<std::string> at;
  int max_branches = 256, depth = 1;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  int jobs = cpus > 0 ? static_cast<int>(cpus) : 1;
  double timeout = 10;
  // clang-format off
  desc.add_options()
      ("help,h", "show this help")
      ("policy", po::value(&policy_path),
       "enforce this policy on the run and every branch, as `pwnbox run` would (its rules "
       "served in user space included; `when` rules count each branch's calls on top of its "
       "parent's counts at the branch point)")
      ("at", po::value(&at), "branch at the calls SELECTOR matches (repeatable); default: each "
       "distinct fallible call site (syscall + path or fd) once")
      ("outcomes", po::value(&outcomes_text),
       "comma-separated outcomes to try (ok, ENOENT, ..., short, eof, eintr); default: the "
       "call's usual failures")
      ("max-branches", po::value(&max_branches),
       "at most N branches (default 256; `python3 -c 'import json'` takes ~140)")
      ("depth", po::value(&depth), "faults per run: 1 (default) or 2 (each branch is explored "
       "again from its branch point on)")
      ("jobs", po::value(&jobs), "run N branches at once (default: the number of CPUs)")
      ("timeout", po::value(&timeout),
       "seconds a branch may run before it is killed and classified `hang` (default 10)")
      ("json", "print the report as one JSON document")
      ("output,o", po::value(&out_dir),
       "keep the baseline's and each branch's stdout/stderr in DIR, and reproducer policies "
       "in DIR/repro/ID.toml");
  // clang-format on
  po::variables_map vm;
  if (!ParseOptions(po::command_line_parser(split.options), desc, &vm, "explore"))
    return kExitFailure;
  if (vm.count("help")) {
    std::cout << kUsage << desc;
    return 0;
  }
  if (split.command.empty())
    return Fail("no command to explore: pwnbox explore [OPTIONS] -- CMD [ARG...]");
  if (max_branches < 1)
    return Fail("--max-branches " + std::to_string(max_branches) + ": expected a positive number");
  if (jobs < 1) return Fail("--jobs " + std::to_string(jobs) + ": expected a positive number");
  if (!(timeout > 0)) return Fail("--timeout: expected a positive number of seconds");
  if (depth < 1 || depth > 2)
    return Fail("--depth " + std::to_string(depth) +
                ": expected 1 (one fault per run) or 2 (combinations of two)");

  explore::ExploreOptions eo;
  eo.command = split.command;
  eo.max_branches = max_branches;
  eo.depth = depth;
  eo.jobs = jobs;
  eo.timeout_sec = timeout;
  for (const std::string& s : at) {
    auto sel = explore::ParseSelector(s);
    if (!sel.ok()) return Fail(sel.error().message());
    eo.selectors.push_back(*sel);
  }
  if (vm.count("outcomes")) {
    size_t start = 0;
    for (;;) {
      const size_t comma = outcomes_text.find(',', start);
      const std::string word = outcomes_text.substr(
          start, comma == std::string::npos ? std::string::npos : comma - start);
      auto oc = explore::ParseOutcome(word);
      if (!oc.ok()) return Fail("--outcomes: " + oc.error().message());
      eo.outcomes.push_back(*oc);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  std::optional<config::Policy> policy;  // outlives the explorer
  if (!policy_path.empty()) {
    auto loaded = config::LoadPolicyFile(policy_path);
    if (!loaded.ok()) return Fail(loaded.error());
    policy = std::move(*loaded);
    // Rules with `when`: each branch counts as a run of its own (explorer.h).
    if (auto why = supervisor::Decider::Unsupported(*policy))
      return Fail("--policy " + policy_path + ": " + *why);
    auto program = filters::Compile(*policy, {});
    if (!program.ok()) return Fail(program.error());
    eo.policy_bpf = program->bpf;
    eo.policy_notify = program->uses_notify;
    eo.policy_trace = program->uses_trace;
    if (program->uses_notify || program->uses_trace) eo.policy = &*policy;
    std::error_code ec;
    eo.policy_path = std::filesystem::absolute(policy_path, ec).string();
  }
  bool temp = false;
  if (out_dir.empty()) {
    const char* tmp = getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/pwnbox-explore-XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) return Fail(core::ErrnoError(errno, "mkdtemp " + templ));
    out_dir = templ;
    temp = true;
  }
  // Absolute: each branch opens its own output files itself (RedirectFd), from its own cwd.
  {
    std::error_code ec;
    const auto abs = std::filesystem::absolute(out_dir, ec);
    if (!ec) out_dir = abs.lexically_normal().string();
    while (out_dir.size() > 1 && out_dir.back() == '/') out_dir.pop_back();
  }
  eo.out_dir = out_dir;
  signal(SIGPIPE, SIG_IGN);
  explore::Explorer explorer(std::move(eo));
  auto report = explorer.Run();
  if (!report.ok()) {
    if (temp) std::filesystem::remove_all(out_dir);
    const int err = report.error().sys_errno();
    Fail(report.error());
    return err == ENOENT ? kExitNotFound : err == EACCES ? kExitCannotExec : kExitFailure;
  }
  if (temp) {
    std::filesystem::remove_all(out_dir);
    for (auto& p : report->points)
      for (auto& b : p.branches) b.repro.clear(), b.dir.clear();
    report->out_dir.clear();
  }
  const std::string text = vm.count("json") ? report->Json() : report->Text();
  std::fwrite(text.data(), 1, text.size(), stdout);
  for (const std::string& s : report->unmatched)
    std::fprintf(stderr, "pwnbox: warning: --at %s matched no call\n", s.c_str());
  if (temp && !vm.count("json") && report->Findings())
    std::fputs("(-o DIR keeps each branch's output and a reproducer policy per finding)\n", stdout);
  if (!report->policy_errors.empty())
    std::fprintf(stderr, "pwnbox: warning: %s\n", report->policy_errors.c_str());
  std::fflush(stdout);
  return report->Findings() ? 1 : 0;
}

}  // namespace pwnbox::cli
