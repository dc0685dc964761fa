// pwnbox::supervisor::Decider: decides an escalated syscall by the policy's first-match rules.
// Policy evaluation and reporting live here once; the notify and ptrace backends only carry
// the verdict out (Sandbox2's MonitorBase split).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>

#include "config/policy.h"
#include "core/decoder.h"
#include "filters/filters.h"
#include "supervisor/glob.h"
#include "supervisor/path_args.h"
#include "supervisor/path_resolver.h"

namespace pwnbox::supervisor {

// One path argument of an escalated call, as the supervisor read and resolved it (once: the
// emulator acts on this, never on the target's memory again).
struct ResolvedPath {
  PathArg arg;
  PathView view;
  // When view.remote: what resolving it here again needs (the same copy of the path, never a
  // second read of the target's memory), for a call that is not proxied after all (Decide).
  struct Local {
    std::string raw;
    int dirfd = 0;
    ResolveOptions options;
  };
  std::optional<Local> local;
};

struct Verdict {
  // kRedirect: the call acts on the rule's `to` instead of its path (emulated).
  // kModify: the rule's `set` changes the arguments, then the call runs (ptrace only).
  // kProxy: the call is carried out by the rule's backend (proxy/client.h), its result and
  // fd given to the target (notify only).
  enum class Kind {
    kContinue, kFail, kReturn, kKillProcess, kKillThread, kTrap, kRedirect, kModify, kProxy
  };
  Kind kind = Kind::kContinue;
  int64_t value = 0;  // kFail: the errno (positive); kReturn: the value returned
  int rule = -1;      // the deciding rule, -1 for the default action
  // When the deciding rule has `when`: which of its counted calls this one is (1-based).
  uint64_t occurrence = 0;
  bool report = false;  // log = true / action log / a complain-mode report
  bool complained = false;  // the report is a --complain "would be denied"
  // kFail because a path could not be resolved: the kernel itself fails the call with this
  // errno (a missing directory, a loop, ...). Not the policy's denial: --complain leaves it.
  bool resolution_failed = false;
  // kFail because the supervisor could not read what a rule needs of the call (a tcp_ports
  // rule's socket: the task is gone, or no live process, as for `check --against`): denied to
  // fail closed, not by the policy's word.
  bool undecided = false;
  // The call's ABI is not in the policy's options.abi: the filter kills it (rule is -1). Only
  // --complain lets such a call reach the supervisor.
  bool foreign_abi = false;
  // Set when a `paths` rule was considered: the decision rests on `paths`, so letting the
  // kernel re-read the target's memory (CONTINUE) would not be race-free; the backend
  // performs the call itself on `paths` instead where it can (see Emulator).
  bool path_checked = false;
  std::vector<ResolvedPath> paths;
  // openat2: its struct open_how as the Decider read it, once (flags, mode, resolve). The
  // emulator acts on this copy, never on the target's memory again.
  struct OpenHow {
    uint64_t flags = 0, mode = 0, resolve = 0;
  };
  std::optional<OpenHow> open_how;
  // kProxy: the deciding rule's action (its backend) and, for each of `paths`, the pattern that
  // matched it (the path is sent relative to the pattern's fixed directory: ProxyPath), or null.
  const config::Action* proxy = nullptr;
  std::vector<const std::string*> proxy_patterns;
};

// The syscalls `action = "proxy"` can serve (x86_64 names): the open family, the stat family,
// access, readlink, the calls that change the tree (mkdir, rmdir, unlink, rename, link,
// symlink, chmod, truncate and their *at forms), uname, and the network calls connect, bind,
// sendto (docs/proxy.md).
bool CanProxy(std::string_view name);

// The path a proxied call names for its backend: `path` with the fixed leading directories of
// `pattern` (those before the first component with a wildcard; for a pattern without one, its
// parent directory) replaced by "/", so that the rule's directory is the server's root
// (`paths = ["/data/**"]`: "/data/x.csv" is "/x.csv" for `proxy serve --root /srv/data`). A
// rule without paths sends the path as it is.
std::string ProxyPath(const std::string& path, const std::string* pattern);
// That directory of `pattern` ("/data" for "/data/**"), or "" when it has none ("/**",
// a relative pattern).
std::string ProxyFixedDir(const std::string& pattern);

// Writes reports (log = true, action log, --complain) in the trace format, followed by a
// comment naming the rule: `[pid 42] uname({...}) = ? /* pwnbox: log, rule 3 app.toml:9:1 */`.
class Reporter {
 public:
  // `fd` is not owned (stderr or the --log file).
  Reporter(int fd, const config::Policy& policy);
  int fd() const { return fd_; }
  // What the call reads, decoded while it is still in the target's memory (a tracer reports
  // at the exit stop, after an execve replaced that memory): for Report's `entry`.
  core::DecodedCall DecodeEntry(const core::SyscallCall& call, core::TargetMemory& mem) const;
  // Writes one report, decoded exactly as `trace` prints the call. `ret` is the call's result
  // when the backend knows it (ptrace, return, errno); otherwise the result shows as `?` and
  // what the kernel would write as pointers. `entry`: the call as DecodeEntry saw it (else it
  // is decoded now).
  void Report(pid_t pid, const core::SyscallCall& call, core::TargetMemory& mem,
              const Verdict& verdict, std::optional<int64_t> ret,
              const core::DecodedCall* entry = nullptr);

 private:
  int fd_;
  const config::Policy& policy_;
  core::Decoder decoder_;
};

// Path rules. A rule with `paths` matches a call when its syscall and scalar conditions match
// and one of its patterns matches the path the kernel would act on (path_resolver.h). A call
// with several path arguments (link, linkat, rename, renameat(2) with or without
// RENAME_EXCHANGE, symlink(at)'s link path, mount's source and target, move_mount,
// pivot_root, ...) is decided per path: for each path argument, the first rule (in policy
// order) whose syscall and scalars match and that either names no `paths` or has a pattern
// matching that path; then the most restrictive of those verdicts decides the call:
//   kill > kill-thread > trap > errno > return > redirect = modify > allow (and log)
// (ties: the earlier argument's rule, unless only a later one reports: the report names the
// rule asking for it). The call is reported if any path's rule reports. So
// every path of a call must be allowed for the call to be allowed, and a deny rule naming a
// file denies the call whichever argument names it. A redirect applies to the first path
// only; a redirect decided by another argument fails the call with ENOSYS. Paths that cannot
// be resolved fail the call with the kernel's errno; names of nameless objects (pipes,
// deleted files reached through /proc/PID/fd/N) match no pattern. A symlink's target text is
// not a path of the call: the link is harmless by itself, opening it later resolves to the
// denied file and is decided then.
//
// Occurrence rules (`when`, config::Occurrence). A rule with `when` counts the calls that reach
// it in first-match order (no earlier rule decided them) and match its syscalls, args and
// paths: one count per call, even when several of the call's paths reach it. The n-th counted
// call matches the rule when n is one of its occurrences; otherwise the walk goes on with the
// next rules, as for a path that matches no pattern. The counts are per rule, over the whole
// run (every task, every backend: one Decider serves the notify loop and the tracer), in the
// order calls are decided here; they are atomic, so concurrent Decide() calls never share or
// skip a number. A call whose path cannot be resolved fails as the kernel would fail it and is
// counted by no path rule. A call the kernel restarts after a signal is escalated, so decided
// and counted, again.
//
// The counts live in an OccurrenceCounts. A Decider counts into its own, unless its owner
// keeps several runs apart (`pwnbox explore`: each branch is a run of its own whose counts
// start as its parent's at the branch point): set_counts_of then names the set of each call's
// task, and Decide(call, mem, counts) counts into a given one. Without set_counts_of (run,
// trace, record, check) nothing is looked up.
class OccurrenceCounts {
 public:
  explicit OccurrenceCounts(size_t rules)
      : size_(rules), n_(std::make_unique<std::atomic<uint64_t>[]>(rules)) {}
  // A copy of `other`'s counts, each read once (atomically, not all at one instant).
  OccurrenceCounts(const OccurrenceCounts& other) : OccurrenceCounts(other.size_) {
    counting_ = other.counting_;
    for (size_t i = 0; i < size_; ++i) n_[i].store(other.n_[i].load());
  }
  // A set that counts nothing: Take gives 0, which no `when` matches, so every occurrence rule
  // passes the call on (explore: for the calls it injects, which are no program's calls).
  static std::unique_ptr<OccurrenceCounts> Uncounted() {
    auto c = std::make_unique<OccurrenceCounts>(0);
    c->counting_ = false;
    return c;
  }
  OccurrenceCounts& operator=(const OccurrenceCounts&) = delete;
  // How many calls rule `rule` has counted (0 out of range).
  uint64_t Get(int rule) const {
    return rule < 0 || static_cast<size_t>(rule) >= size_ ? 0
                                                          : n_[static_cast<size_t>(rule)].load();
  }
  // Counts one more call for rule `rule` (in range) and returns its number (1-based): one
  // atomic step, so concurrent calls each get their own number. 0 for an Uncounted() set.
  uint64_t Take(int rule) {
    return counting_ ? n_[static_cast<size_t>(rule)].fetch_add(1) + 1 : 0;
  }

 private:
  bool counting_ = true;
  size_t size_;
  std::unique_ptr<std::atomic<uint64_t>[]> n_;
};

class Decider {
 public:
  // Non-owning: `policy` and `reporter` outlive the Decider.
  Decider(const config::Policy& policy, bool complain);
  // Decides by syscall and scalar arguments only (policies without `paths`).
  Verdict Decide(core::Abi abi, int nr, const uint64_t args[6]);
  // Decides `call` of task `call.pid`, reading and resolving its path arguments through `mem`
  // when a `paths` rule needs them.
  Verdict Decide(const core::SyscallCall& call, core::TargetMemory& mem);
  // The same, counting the `when` rules' occurrences into `counts` (not null) instead of the
  // set of call.pid: e.g. into a copy, to know the verdict without counting (explore).
  Verdict Decide(const core::SyscallCall& call, core::TargetMemory& mem,
                 OccurrenceCounts* counts);

  // Where the calls of task `tid` are counted: the set it returns, or the Decider's own when
  // it returns null. Called from every thread that decides (it must be thread-safe); the sets
  // outlive their use. Decide(abi, nr, args), which knows no task, counts into its own.
  using CountsFn = std::function<OccurrenceCounts*(pid_t tid)>;
  void set_counts_of(CountsFn fn) { counts_of_ = std::move(fn); }

  // Resolves the path arguments instead of ResolveTargetPath on the live target: `check
  // --against` decides a recorded run's calls on the paths as they were named then, from the
  // recorded working directory and fds. Null (the default): the live target's.
  using PathResolverFn = std::function<core::Result<PathView>(
      pid_t pid, int dirfd, std::string_view raw, const ResolveOptions& options)>;
  void set_path_resolver(PathResolverFn fn) { resolver_ = std::move(fn); }

  const config::Policy& policy() const { return policy_; }
  // How many calls were decided here (every escalated call is decided once).
  uint64_t decisions() const { return decisions_.load(); }
  // How many calls rule `rule` has counted so far in the Decider's own set (0 for a rule
  // without `when`).
  uint64_t occurrences(int rule) const;
  // --complain: calls that would have been denied but were not reported, because the same
  // syscall, rule and paths were reported already.
  uint64_t complaints_suppressed() const { return complaints_suppressed_; }

  // Rules the supervisor cannot carry out in this build (redirect on calls it cannot emulate,
  // proxy on calls it cannot proxy or under escalate = "ptrace"):
  // the first one's location and why, or nullopt.
  static std::optional<std::string> Unsupported(const config::Policy& policy);

 private:
  Verdict FromAction(const config::Action& action, int rule, bool log);
  // The verdict of FirstMatch's answer `idx` (a rule, -1 the default, or the io_uring guard).
  Verdict ForMatch(int idx);
  Verdict Finish(Verdict v, core::Abi abi, int nr);
  // The number each `when` rule gave the call being decided, so that a rule reached by several
  // of its paths counts it once.
  struct CallCounts {
    OccurrenceCounts* set;  // where the call is counted
    std::vector<std::pair<int, uint64_t>> taken;  // (rule, its count for this call)
  };
  // Whether rule `idx` (which matched everything else) matches by its `when`: true without
  // one; otherwise counts the call for it (once per call) and checks the number.
  bool Occurs(int idx, CallCounts* counts);
  // The first rule from `idx` on (a FirstMatch answer) that names no `paths` and whose `when`
  // holds, or one with `paths` (the caller matches those); -1 for the default.
  int SkipOccurrences(const core::SyscallCall& call, const uint64_t args[6], int idx,
                      CallCounts* counts);
  // `v` with the occurrence of its deciding rule (from `counts`).
  static void StampOccurrence(Verdict* v, const CallCounts& counts);
  // The verdict for a call of an ABI the policy does not list, or nullopt.
  std::optional<Verdict> ForeignAbi(core::Abi abi) const;
  // Reads and resolves every path argument of `call` (i386 calls with their 32-bit
  // arguments); for openat2 first reads and checks its struct open_how into `*open_how` and
  // resolves with its flags and RESOLVE_* bits. An error is the errno the kernel would have
  // failed the call with.
  core::Result<std::vector<ResolvedPath>> ResolvePaths(const core::SyscallCall& call,
                                                       core::TargetMemory& mem,
                                                       std::optional<Verdict::OpenHow>* open_how);
  // The first rule from `idx` on (a FirstMatch answer) that names no `paths` or has a pattern
  // matching `p` (nullptr: no path matches), and whose `when` holds; -1 for the default.
  int MatchPath(const core::SyscallCall& call, int idx, const ResolvedPath* p,
                CallCounts* counts);

  const config::Policy& policy_;
  bool complain_;
  PathResolverFn resolver_;
  // --complain reports once per (abi, nr, rule, the call's resolved paths); the others are
  // counted. Guarded by complain_mu_ (Decide may be called from several threads).
  std::mutex complain_mu_;
  std::set<std::tuple<core::Abi, int, int, std::string>> complained_;
  uint64_t complaints_suppressed_ = 0;
  // Per rule: the calls a `when` rule has counted (Occurs), unless counts_of_ names another set.
  OccurrenceCounts counts_;
  CountsFn counts_of_;
  std::vector<std::vector<Glob>> globs_;         // per rule, compiled `paths`
  // The fixed directories of proxy rules' patterns (ProxyFixedDir): what is beneath them is
  // the backend's, resolved by name (ResolveOptions::remote).
  std::vector<std::string> remote_dirs_;
  std::atomic<uint64_t> decisions_{0};
};

}  // namespace pwnbox::supervisor
