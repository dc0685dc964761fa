// pwnbox::explore::Explorer: the engine of `pwnbox explore` (issue 15, docs/explore.md). Runs a
// command once under a tracer (the baseline, under the policy's seccomp filter), and at each
// selected call forks the running target (ForkAtStop) once per outcome: the original goes on
// with the real call, each copy gets its own stdout/stderr files and regular-file offsets
// (RedirectFd, ReopenFd) and its outcome, and runs to its end under a per-branch timeout. The
// report classifies every branch against the baseline and writes a reproducer policy for each
// interesting one.
//
// The tracer is one thread with one wait loop (waitpid(-1, __WALL)) over every task: the
// baseline's, the branches' and their children. Branches beyond `jobs` wait parked at their
// call (stopped: no CPU). Everything is traced with PTRACE_O_EXITKILL (copies inherit it) and
// the target has PR_SET_PDEATHSIG: when pwnbox dies, SIGKILL included, every branch dies; when
// Run() returns, every task it started has been killed and waited for.
//
// A task that cannot be forked at a selected call (multi-threaded, with children, ...) is
// reported as such, and each outcome is tried by a fresh run of the command instead, stopped
// at the same occurrence of the call (counted as the reproducer's `when` counts it).
//
// With --depth 2 a branch is explored as the baseline is, from its branch point on (its own
// selection state, copied from its parent's history): combinations of two faults.
//
// A branch whose calls and state, a window of calls after its point, equal its parent's is
// stopped and reported pruned (explore/prune.h); at --depth 2 its own points are dropped.
// Calls made through `int 0x80` (i386) are branch points as x86-64 calls are.
//
// A policy's rules served in user space (docs/explore.md, "Policies served by the supervisor")
// are served for the baseline and every branch, as `pwnbox run` serves them: each spawned run's
// USER_NOTIF listener by a thread of its own (NotifyMonitor::ServeOnly; forked branches share
// their run's), the calls the policy routes through ptrace by a PolicyTracer at the loop's
// seccomp stops. A selected call the policy escalates is decided by the policy first and is a
// branch point only when the policy lets it run; when the policy uses notify, every task runs
// under PTRACE_SYSCALL so that a selected call bound for USER_NOTIF (which outranks the trace
// filter) is taken at its syscall-enter-stop, before the filters.
//
// Occurrence rules (`when`): each run (the baseline, each branch, each re-run) has its own
// counts (supervisor::OccurrenceCounts, chosen per task by Decider::set_counts_of); a branch's
// start as its parent's were just before the policy decided the branch point's call (the
// reproducer's rule, first, takes that call). Calls the explorer injects count nowhere, and no
// `when` rule takes them.
//
// Limits (docs/explore.md): depth 2 at most.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <string>
#include <vector>

#include "config/policy.h"
#include "core/status.h"
#include "explore/outcomes.h"
#include "explore/selector.h"

namespace pwnbox::explore {

struct ExploreOptions {
  std::vector<std::string> command;     // argv[0] is resolved against PATH as execvp does
  std::vector<Selector> selectors;      // empty: every distinct fallible call site once
  std::vector<CallOutcome> outcomes;    // empty: core::DefaultOutcomes of each call
  std::vector<sock_filter> policy_bpf;  // the policy's filter (installed first); may be empty
  std::string policy_path;              // for the reproducers' `include` ("" : none)
  // The policy itself, when its rules need the supervisor (policy_notify: some call returns
  // SECCOMP_RET_USER_NOTIF; policy_trace: SECCOMP_RET_TRACE): served for every run (see the
  // top of this file). Not owned; outlives Run().
  const config::Policy* policy = nullptr;
  bool policy_notify = false, policy_trace = false;
  int max_branches = 256;
  int depth = 1;  // faults per run: 2 = branches branch again at their selected calls
  int jobs = 1;
  double timeout_sec = 10;  // per branch, and for the baseline
  std::string out_dir;      // "": a temporary directory, removed by the caller
  // Stop a branch whose calls and state, kPruneWindow calls after its point, equal its
  // parent's (explore/prune.h; docs/explore.md "Pruning"); at --depth 2 its points go too.
  bool prune = true;
};

// Branch classification, most severe first.
enum class Verdict : uint8_t {
  kCrash,            // SIGSEGV/SIGABRT/SIGBUS/SIGFPE/SIGILL, or a sanitizer report on stderr
  kHang,             // still running at the timeout: killed
  kKilledByPolicy,   // SIGSYS (the policy's kill)
  kDifferentExit,    // another exit status or signal than the baseline
  kDifferentOutput,  // same exit, other stdout or stderr
  kSame,
  kPruned,  // stopped early: in its parent's state after the same calls (BranchReport::pruned)
  kNotRun,  // the outcome did not apply (error says why)
};
std::string_view VerdictName(Verdict v);  // "crash", "hang", ..., "not-run"

struct BranchReport {
  int id = 0;           // 1, 2, ... (the directory name under DIR/branches)
  std::string outcome;  // "ENOENT", "short", ...
  int wait_status = 0;
  double seconds = 0;
  bool stdout_differs = false, stderr_differs = false;
  Verdict verdict = Verdict::kSame;
  std::string error;   // kNotRun: why
  bool rerun = false;  // run again from the start (the target could not be forked)
  std::string note;    // why it was re-run, when the point itself was forked
  std::string dir;     // its stdout/stderr files
  std::string repro;   // the reproducer's path ("" when none)
  // Why it was pruned: its calls and state equal its parent's (kPruned: stopped there), or
  // it ended with its parent's calls and exit (classified as usual); "" when not.
  std::string pruned;
};

struct PointReport {
  int parent = 0;        // the branch it is in (its id), 0: the baseline
  int depth = 1;         // 1 + its parent's depth
  std::string selector;  // the --at that chose it, or "site" (default selection)
  std::string call;      // "openat(AT_FDCWD, \"/etc/app.conf\", O_RDONLY)" as trace shows it
  std::string syscall;   // "openat"
  std::string abi = "x86_64";  // or "i386" (a call made through `int 0x80`)
  std::string path;      // resolved path ("" when none)
  pid_t pid = 0;
  int fd = -1;              // its fd argument (arg0) when it has no path, else -1
  uint64_t count = 0;       // arg2 (the count of read/write-like calls)
  uint64_t occurrence = 0;  // of the reproducer's rule (the N of `when`)
  std::string refused;      // the fork was refused (multi-threaded, ...): why; its outcomes
                            // are then tried by re-runs up to the same occurrence
  std::vector<BranchReport> branches;
};

struct ExploreReport {
  int baseline_status = 0;
  double baseline_seconds = 0;
  bool baseline_hung = false;
  std::vector<PointReport> points;
  std::vector<std::string> unmatched;  // selectors that matched no call
  int skipped_for_budget = 0;          // selected calls not explored (max-branches reached)
  std::string out_dir;
  std::string policy_errors;  // unexpected kernel errors met serving the policy ("" : none)
  // True when some branch crashed or hung (`explore` exits 1).
  bool Findings() const;
  int Pruned() const;  // branches with `pruned` set
  std::string Text() const;  // the tree
  std::string Json() const;  // one JSON document
};

class Explorer {
 public:
  explicit Explorer(ExploreOptions options) : options_(std::move(options)) {}
  // Runs the baseline and every branch to their ends (see the top of this file). Creates
  // out_dir (and baseline/, branches/, repro/ in it). While it runs, SIGCHLD is blocked in the
  // calling thread and it waits for any child (waitpid(-1)): the caller must have no children
  // of its own to wait for meanwhile. Fails (ENOENT/EACCES...) when the command cannot start.
  core::Result<ExploreReport> Run();

 private:
  ExploreOptions options_;
};

}  // namespace pwnbox::explore
