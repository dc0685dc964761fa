#include "supervisor/decider.h"

#include "supervisor/emulator.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include <algorithm>
#include <cerrno>
#include <cstdio>

namespace pwnbox::supervisor {

Reporter::Reporter(int fd, const config::Policy& policy)
    : fd_(fd), policy_(policy), decoder_(core::DecodeOptions{}) {}

void Reporter::Report(pid_t pid, const core::SyscallCall& call, core::TargetMemory& mem,
                      const Verdict& verdict, std::optional<int64_t> ret) {
  core::DecodedCall d;
  decoder_.Entry(call, mem, &d);
  char prefix[32];
  snprintf(prefix, sizeof prefix, "[pid %5d] ", pid);
  std::string line = prefix;
  if (ret) {
    core::SyscallCall done = call;
    done.ret = *ret;
    decoder_.Exit(done, mem, &d);
    line += d.Line();
  } else {
    // The call continues in the kernel: its result is not known here.
    // The call continues in the kernel: the arguments it fills in are shown as pointers.
    line += d.name + "(";
    const size_t nargs = core::Signature(d.name).nargs;
    for (size_t i = 0; i < std::max(nargs, d.args.size()); ++i) {
      if (i) line += ", ";
      if (i < d.args.size()) {
        line += d.args[i];
      } else {
        char buf[24];
        snprintf(buf, sizeof buf, "%#llx", static_cast<unsigned long long>(call.args[i]));
        line += buf;
      }
    }
    line += ")";
    size_t col = line.size() - (line.find("] ") + 2);
    if (col < 39) line.append(39 - col, ' ');
    else line += ' ';
    line += "= ?";
  }
  line += " /* pwnbox: ";
  if (verdict.complained) line += "--complain, would be ";
  if (verdict.foreign_abi) {
    line += "kill, the policy's abi does not list " + std::string(core::AbiName(call.abi));
  } else if (verdict.rule >= 0) {
    const auto& r = policy_.rules[static_cast<size_t>(verdict.rule)];
    line += r.action.ToString() + ", rule " + std::to_string(verdict.rule + 1) + " at " +
            r.Location();
  } else {
    line += policy_.default_action.ToString() + ", the default action";
  }
  line += " */\n";
  ssize_t ignored = write(fd_, line.data(), line.size());
  (void)ignored;
}

Decider::Decider(const config::Policy& policy, bool complain)
    : policy_(policy), complain_(complain) {
  globs_.resize(policy.rules.size());
  for (size_t i = 0; i < policy.rules.size(); ++i)
    for (const auto& p : policy.rules[i].paths) globs_[i].emplace_back(p);
}

std::optional<std::string> Decider::Unsupported(const config::Policy& policy) {
  for (const auto& r : policy.rules) {
    std::string what;
    if (r.action.kind == config::ActionKind::kRedirect) {
      for (const auto& name : r.names)
        if (PathArgsOf(name).empty() ||
            (policy.options.escalate == config::Options::Escalate::kNotify && !CanEmulate(name)))
          return r.Location() + ": redirect cannot apply to " + name +
                 (PathArgsOf(name).empty() ? ", which takes no path"
                                           : " with escalate = \"notify\"; use \"ptrace\"");
    }
    else if (r.action.kind == config::ActionKind::kProxy) what = "action proxy";
    if (!what.empty())
      return r.Location() + ": this rule uses " + what +
             ", which this build's supervisor cannot enforce yet; remove the rule or use an "
             "in-kernel action (allow, errno, kill, trap, return, log)";
  }
  return std::nullopt;
}

Verdict Decider::FromAction(const config::Action& action, int rule, bool log) {
  Verdict v;
  v.rule = rule;
  v.report = log;
  using K = config::ActionKind;
  switch (action.kind) {
    case K::kAllow: v.kind = Verdict::Kind::kContinue; break;
    case K::kLog: v.kind = Verdict::Kind::kContinue; v.report = true; break;
    case K::kErrno: v.kind = Verdict::Kind::kFail; v.value = action.errno_value; break;
    case K::kReturn: v.kind = Verdict::Kind::kReturn; v.value = action.return_value; break;
    case K::kRedirect: v.kind = Verdict::Kind::kRedirect; break;
    case K::kModify: v.kind = Verdict::Kind::kModify; break;
    case K::kKill: v.kind = Verdict::Kind::kKillProcess; break;
    case K::kKillThread: v.kind = Verdict::Kind::kKillThread; break;
    case K::kTrap: v.kind = Verdict::Kind::kTrap; break;
    default:  // refused before the run by Unsupported(); fail closed if it ever gets here
      v.kind = Verdict::Kind::kFail;
      v.value = ENOSYS;
      break;
  }
  return v;
}

Verdict Decider::ForMatch(int idx) {
  // The io_uring guard and pwnbox's guards (TIOCSTI, CLONE_UNTRACED, clone3).
  if (const config::Action* g = filters::GuardAction(idx)) return FromAction(*g, -1, false);
  if (idx < 0) return FromAction(policy_.default_action, -1, false);
  const auto& rule = policy_.rules[static_cast<size_t>(idx)];
  return FromAction(rule.action, idx, rule.log);
}

std::optional<Verdict> Decider::ForeignAbi(core::Abi abi) const {
  if (policy_.options.HasAbi(abi)) return std::nullopt;
  Verdict v;
  v.kind = Verdict::Kind::kKillProcess;
  v.foreign_abi = true;
  return v;
}

Verdict Decider::Decide(core::Abi abi, int nr, const uint64_t args[6]) {
  if (auto v = ForeignAbi(abi)) return Finish(std::move(*v), abi, nr);
  return Finish(ForMatch(filters::FirstMatch(policy_, abi, nr, args)), abi, nr);
}

core::Result<std::vector<ResolvedPath>> Decider::ResolvePaths(const core::SyscallCall& call,
                                                              core::TargetMemory& mem) {
  std::vector<ResolvedPath> out;
  const std::string_view name = core::SyscallName(call.nr, call.abi);
  for (const PathArg& arg : PathArgsOf(name)) {
    const uint64_t addr = call.args[arg.path];
    int dirfd = arg.dirfd >= 0 ? static_cast<int>(call.args[arg.dirfd]) : AT_FDCWD;
    ResolveOptions ro;
    ro.follow_final = FollowsFinal(arg, call.args);
    ro.empty_path = EmptyPathAllowed(arg, call.args);
    std::string raw;
    if (addr == 0 && arg.nullable) {
      ro.empty_path = true;  // utimensat(fd, NULL, ...): the fd itself
    } else {
      // One read of the path, up to PATH_MAX: everything after works on this copy.
      char buf[4096];
      ssize_t n = mem.Read(addr, buf, sizeof buf);
      if (n <= 0) return core::Error("unreadable path", EFAULT);
      size_t len = strnlen(buf, static_cast<size_t>(n));
      if (len == static_cast<size_t>(n)) {
        if (n == sizeof buf) return core::Error("path too long", ENAMETOOLONG);
        return core::Error("unterminated path", EFAULT);
      }
      raw.assign(buf, len);
    }
    auto view = ResolveTargetPath(call.pid, dirfd, raw, ro);
    if (!view.ok()) return view.error();
    out.push_back({arg, std::move(*view)});
  }
  return out;
}

Verdict Decider::Decide(const core::SyscallCall& call, core::TargetMemory& mem) {
  if (auto v = ForeignAbi(call.abi)) return Finish(std::move(*v), call.abi, call.nr);
  std::optional<std::vector<ResolvedPath>> paths;
  size_t from = 0;
  int idx;
  while (true) {
    idx = filters::FirstMatch(policy_, call.abi, call.nr, call.args, from);
    if (idx < 0) break;
    const auto& rule = policy_.rules[static_cast<size_t>(idx)];
    if (rule.paths.empty()) break;
    if (!paths) {
      auto resolved = ResolvePaths(call, mem);
      if (!resolved.ok()) {
        // The kernel would fail the call the same way (missing directory, loop, bad pointer).
        Verdict v;
        v.kind = Verdict::Kind::kFail;
        v.value = resolved.error().sys_errno() ? resolved.error().sys_errno() : EINVAL;
        v.rule = idx;
        v.path_checked = true;
        return v;
      }
      paths = std::move(*resolved);
    }
    bool match = false;
    for (const auto& p : *paths)
      for (const auto& g : globs_[static_cast<size_t>(idx)])
        match = match || (!p.view.detached && g.Matches(p.view.path));
    if (match) break;
    from = static_cast<size_t>(idx) + 1;
  }
  Verdict v = ForMatch(idx);
  if (!paths && v.kind == Verdict::Kind::kRedirect) {
    auto resolved = ResolvePaths(call, mem);
    if (!resolved.ok()) {
      v.kind = Verdict::Kind::kFail;
      v.value = resolved.error().sys_errno() ? resolved.error().sys_errno() : EINVAL;
      return v;
    }
    paths = std::move(*resolved);
  }
  if (paths) {
    v.path_checked = true;
    v.paths = std::move(*paths);
  }
  return Finish(std::move(v), call.abi, call.nr);
}

Verdict Decider::Finish(Verdict v, core::Abi abi, int nr) {
  ++decisions_;
  const bool denies = v.kind == Verdict::Kind::kFail || v.kind == Verdict::Kind::kKillProcess ||
                      v.kind == Verdict::Kind::kKillThread || v.kind == Verdict::Kind::kTrap;
  if (complain_ && denies) {
    // Nothing is denied; each (syscall, rule) is reported once.
    const bool first = complained_.insert({abi, nr, v.rule}).second;
    v.kind = Verdict::Kind::kContinue;
    v.report = first;
    v.complained = true;
  }
  return v;
}

}  // namespace pwnbox::supervisor
