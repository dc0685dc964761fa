#include "filters/landlock_plan.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <set>

namespace pwnbox::filters {
namespace {

using config::ActionKind;

// "/D/**" with D absolute and literal: returns D ("/" for "/**"), or "" when the glob has
// another shape.
std::string TreeOf(const std::string& glob) {
  if (glob == "/**") return "/";
  if (glob.size() < 5 || glob.compare(glob.size() - 3, 3, "/**") != 0 || glob[0] != '/') return "";
  std::string dir = glob.substr(0, glob.size() - 3);
  size_t start = 1;
  while (start <= dir.size()) {
    size_t end = dir.find('/', start);
    if (end == std::string::npos) end = dir.size();
    std::string comp = dir.substr(start, end - start);
    if (comp.empty() || comp == "." || comp == "..") return "";
    if (comp.find_first_of("*?[\\") != std::string::npos) return "";
    start = end + 1;
  }
  return dir;
}

// What the glob "dir/**" is to Landlock.
struct Tree {
  enum Kind { kDir, kNothing, kProblem } kind = kProblem;
  std::string why;  // kProblem
};

Tree TreeKind(const std::string& dir) {
  struct stat st {};
  char real[PATH_MAX];
  if (lstat(dir.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    // The supervisor matches canonical paths: every component but a final one not followed is
    // resolved, so a path matching "dir/**" is `dir` itself, a symlink not followed, and an
    // open (without O_PATH, which stays escalated) of it fails with ELOOP in both routes.
    return {Tree::kNothing, ""};
  }
  if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return {Tree::kProblem, dir + " is not an existing directory (Landlock binds existing inodes)"};
  if (!realpath(dir.c_str(), real)) return {Tree::kProblem, dir + ": " + std::strerror(errno)};
  // A symlink on the way: no canonical path is beneath `dir` (nor `dir` itself).
  if (dir != real) return {Tree::kNothing, ""};
  // /proc/<pid> and what is beneath: bound to one process's inode (/proc/self's children are
  // not covered).
  if (dir.rfind("/proc/", 0) == 0) return {Tree::kProblem, dir + " is beneath /proc: per-process inodes"};
  return {Tree::kDir, ""};
}

bool Unconditional(const config::Rule& r) {
  return r.args.empty() && r.paths.empty() && !r.when && !r.log;
}

bool DeniesInKernel(const config::Action& a) {
  return a.kind == ActionKind::kErrno || a.kind == ActionKind::kKill ||
         a.kind == ActionKind::kKillThread || a.kind == ActionKind::kTrap;
}

struct Chain {
  enum Kind { kCovered, kClosed, kIneligible } kind = kIneligible;
  std::set<std::string> dirs;
  std::vector<int> rules;
  std::string why;
};

Chain Classify(const config::Policy& p, const std::string& name) {
  Chain c;
  bool any_allow = false;
  for (size_t k = 0; k < p.rules.size(); ++k) {
    const config::Rule& r = p.rules[k];
    if (!r.HasSyscall(name)) continue;
    const std::string at = " (rule at " + r.Location() + ")";
    if (Unconditional(r)) {
      if (!any_allow && DeniesInKernel(r.action)) {
        c.kind = Chain::kClosed;
        return c;
      }
      if (r.action.kind == ActionKind::kErrno && r.action.errno_value == EACCES) {
        c.kind = Chain::kCovered;
        return c;
      }
      c.why = name + ": the rule after the allow-list must deny with errno:EACCES (Landlock's only answer)" + at;
      return c;
    }
    if (!r.args.empty()) return c.why = name + ": argument conditions" + at, c;
    if (r.when) return c.why = name + ": when" + at, c;
    if (r.log) return c.why = name + ": log = true" + at, c;
    if (r.paths.empty()) return c.why = name + ": not a path rule" + at, c;
    if (r.action.kind != ActionKind::kAllow)
      return c.why = name + ": action " + r.action.ToString() + " on paths (only allow-lists)" + at, c;
    for (const auto& g : r.paths) {
      std::string dir = TreeOf(g);
      if (dir.empty()) return c.why = name + ": glob \"" + g + "\" is not \"/DIR/**\"" + at, c;
      Tree tree = TreeKind(dir);
      if (tree.kind == Tree::kProblem) return c.why = name + ": " + tree.why + at, c;
      if (tree.kind == Tree::kDir) c.dirs.insert(dir);
    }
    c.rules.push_back(static_cast<int>(k));
    any_allow = true;
  }
  if (!any_allow && DeniesInKernel(p.default_action)) {
    c.kind = Chain::kClosed;
    return c;
  }
  if (p.default_action.kind == ActionKind::kErrno && p.default_action.errno_value == EACCES) {
    c.kind = Chain::kCovered;
    return c;
  }
  c.why = name + ": the default after the allow-list must be errno:EACCES (Landlock's only answer), not " +
          p.default_action.ToString();
  return c;
}

// The allowed ports of an eligible chain: handled, unless there are more than
// kLandlockMaxPorts (Landlock takes one rule per port; each costs about 8 us when the run starts).
bool Accept(const std::string& name, std::vector<config::PortRange> allowed, LandlockTcp* tcp,
            std::string* why) {
  tcp->ports = config::NormalizePorts(std::move(allowed));
  size_t n = 0;
  for (const auto& r : tcp->ports) n += static_cast<size_t>(r.last) - r.first + 1;
  if (n > static_cast<size_t>(kLandlockMaxPorts)) {
    *why = name + ": " + std::to_string(n) + " allowed ports, more than " +
           std::to_string(kLandlockMaxPorts) + " (Landlock needs one rule per port)";
    tcp->ports.clear();
    return false;
  }
  tcp->handled = true;
  return true;
}

// Whether `name`'s rules have the shape landlock_plan.h describes for TCP ports; fills `tcp` and
// `rules` (the tcp_ports rules), or returns false with `why`.
bool ClassifyTcp(const config::Policy& p, const std::string& name, LandlockTcp* tcp,
                 std::vector<int>* rules, std::string* why) {
  std::vector<config::PortRange> allowed;
  enum { kAllows, kAfterCatchAll } state = kAllows;
  for (size_t k = 0; k < p.rules.size(); ++k) {
    const config::Rule& r = p.rules[k];
    if (!r.HasSyscall(name)) continue;
    const std::string at = " (rule at " + r.Location() + ")";
    if (!r.args.empty() || r.when || r.log || !r.paths.empty()) {
      *why = name + ": a rule with args, when, paths or log" + at;
      return false;
    }
    if (state == kAllows) {
      if (r.tcp_ports.empty()) {
        *why = name + ": a rule without tcp_ports before the tcp_ports = [\"0-65535\"] errno:EACCES rule" + at;
        return false;
      }
      if (r.action.kind == ActionKind::kAllow) {
        allowed.insert(allowed.end(), r.tcp_ports.begin(), r.tcp_ports.end());
        rules->push_back(static_cast<int>(k));
        continue;
      }
      const bool all = r.tcp_ports.size() == 1 && r.tcp_ports[0].first == 0 &&
                       r.tcp_ports[0].last == 65535;
      if (!all || r.action.kind != ActionKind::kErrno || r.action.errno_value != EACCES) {
        *why = name + ": the rule after the tcp_ports allow rules must be tcp_ports = [\"0-65535\"] "
               "with errno:EACCES (Landlock's only answer)" + at;
        return false;
      }
      rules->push_back(static_cast<int>(k));
      state = kAfterCatchAll;
      continue;
    }
    // The rule that takes every other call (UDP, unix, no port): Landlock lets them through, so
    // the policy must allow them.
    if (!r.tcp_ports.empty() || r.action.kind != ActionKind::kAllow) {
      *why = name + ": after the tcp_ports rules, a rule allowing the other " + name +
             " calls must follow (Landlock does not restrict non-TCP sockets)" + at;
      return false;
    }
    return Accept(name, std::move(allowed), tcp, why);
  }
  if (state == kAfterCatchAll && p.default_action.kind == ActionKind::kAllow) {
    return Accept(name, std::move(allowed), tcp, why);
  }
  *why = state == kAllows
             ? name + ": no tcp_ports = [\"0-65535\"] errno:EACCES rule after its tcp_ports allow rules"
             : name + ": no rule allowing the other " + name + " calls after the tcp_ports rules "
               "(Landlock does not restrict non-TCP sockets)";
  return false;
}

// The TCP part of the plan (landlock_plan.h).
void PlanTcp(const config::Policy& p, LandlockPlan* plan) {
  std::vector<std::string> whys;
  bool any = false;
  for (const char* name : {"connect", "bind"}) {
    bool named = false;
    for (const auto& r : p.rules) named = named || (r.HasSyscall(name) && !r.tcp_ports.empty());
    if (!named) continue;
    any = true;
    LandlockTcp tcp;
    std::vector<int> rules;
    std::string why;
    if (p.options.abi != std::vector<core::Abi>{core::Abi::kX86_64}) {
      whys.push_back("options.abi lists other ABIs than x86_64");
      break;
    }
    if (!ClassifyTcp(p, name, &tcp, &rules, &why)) {
      whys.push_back(why);
      continue;
    }
    (std::string(name) == "connect" ? plan->connect : plan->bind) = std::move(tcp);
    plan->tcp_rules.insert(plan->tcp_rules.end(), rules.begin(), rules.end());
  }
  std::sort(plan->tcp_rules.begin(), plan->tcp_rules.end());
  plan->tcp_rules.erase(std::unique(plan->tcp_rules.begin(), plan->tcp_rules.end()),
                        plan->tcp_rules.end());
  if (!any) plan->tcp_why_not = "no tcp_ports rule";
  else if (!whys.empty()) {
    for (const auto& w : whys) plan->tcp_why_not += (plan->tcp_why_not.empty() ? "" : "; ") + w;
  }
}

}  // namespace

int LandlockFlagsArg(const std::string& syscall) {
  if (syscall == "open") return 1;
  if (syscall == "openat") return 2;
  return -1;
}

static void PlanPaths(const config::Policy& p, LandlockPlan* out);

LandlockPlan PlanLandlock(const config::Policy& p) {
  LandlockPlan plan;
  PlanTcp(p, &plan);
  PlanPaths(p, &plan);
  return plan;
}

void PlanPaths(const config::Policy& p, LandlockPlan* out) {
  LandlockPlan& plan = *out;
  if (p.options.abi != std::vector<core::Abi>{core::Abi::kX86_64}) {
    plan.why_not = "options.abi lists other ABIs than x86_64";
    return;
  }
  std::set<std::string> dirs;
  bool have_g = false;
  std::set<int> rules;
  for (const char* name : {"open", "openat", "creat", "openat2"}) {
    Chain c = Classify(p, name);
    if (c.kind == Chain::kIneligible) {
      plan.why_not = c.why;
      return;
    }
    if (c.kind == Chain::kClosed || (c.kind == Chain::kCovered && c.rules.empty())) continue;
    if (have_g && c.dirs != dirs) {
      plan.why_not = std::string(name) + ": its allow-list differs from the other open calls'";
      return;
    }
    dirs = c.dirs;
    have_g = true;
    if (LandlockFlagsArg(name) >= 0) {
      plan.syscalls.push_back(name);
      rules.insert(c.rules.begin(), c.rules.end());
    }
  }
  if (plan.syscalls.empty()) {
    plan.why_not = "no allow-list of open/openat paths";
    return;
  }
  plan.eligible = true;
  // A tree beneath another listed tree adds nothing (the same rights on every tree): left out,
  // so that the ruleset and `check`'s line name each tree once (TMPDIR under /dev/shm, say).
  for (const auto& d : dirs) {
    const bool nested = std::any_of(dirs.begin(), dirs.end(), [&](const std::string& o) {
      return o != d && (o == "/" || d.rfind(o + "/", 0) == 0);
    });
    if (!nested) plan.dirs.push_back(d);
  }
  plan.rules.assign(rules.begin(), rules.end());
  return;
}

}  // namespace pwnbox::filters
