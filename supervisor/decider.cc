#include "supervisor/decider.h"

#include <unistd.h>

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
  if (verdict.rule >= 0) {
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
    : policy_(policy), complain_(complain) {}

std::optional<std::string> Decider::Unsupported(const config::Policy& policy) {
  for (const auto& r : policy.rules) {
    std::string what;
    if (!r.paths.empty()) what = "`paths`";
    else if (r.action.kind == config::ActionKind::kRedirect) what = "action redirect";
    else if (r.action.kind == config::ActionKind::kModify) what = "action modify";
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

Verdict Decider::Decide(core::Abi abi, int nr, const uint64_t args[6]) {
  const int idx = filters::FirstMatch(policy_, abi, nr, args);
  Verdict v;
  if (idx == filters::kIoUringGuard) {
    v = FromAction(config::Action{config::ActionKind::kErrno, config::kIoUringErrno}, -1, false);
  } else if (idx < 0) {
    v = FromAction(policy_.default_action, -1, false);
  } else {
    const auto& rule = policy_.rules[static_cast<size_t>(idx)];
    v = FromAction(rule.action, idx, rule.log);
  }
  const bool denies = v.kind == Verdict::Kind::kFail || v.kind == Verdict::Kind::kKillProcess ||
                      v.kind == Verdict::Kind::kKillThread || v.kind == Verdict::Kind::kTrap;
  if (complain_ && denies) {
    // Nothing is denied; each (syscall, rule) is reported once.
    const bool first = complained_.insert({nr, v.rule}).second;
    v.kind = Verdict::Kind::kContinue;
    v.report = first;
    v.complained = true;
  }
  return v;
}

}  // namespace pwnbox::supervisor
