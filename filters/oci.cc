#include "filters/oci.h"

#include <seccomp.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "filters/filters.h"
#include "filters/internal.h"

namespace pwnbox::filters {
namespace {

using json = nlohmann::json;
using config::ActionKind;
using Op = config::Condition::Op;

std::vector<int> ParseVersion(std::string_view v) {
  std::vector<int> out;
  int cur = -1;
  for (char c : v) {
    if (c >= '0' && c <= '9') {
      cur = (cur < 0 ? 0 : cur * 10) + (c - '0');
    } else {
      if (cur >= 0) out.push_back(cur);
      cur = -1;
      if (c != '.') break;
    }
  }
  if (cur >= 0) out.push_back(cur);
  return out;
}

bool KernelAtLeast(std::string_view min) {
  utsname u{};
  if (uname(&u) != 0) return true;
  return ParseVersion(u.release) >= ParseVersion(min);
}

core::Result<config::Action> ActionFromOci(const std::string& a, int errno_ret) {
  config::Action out;
  if (a == "SCMP_ACT_ALLOW") out.kind = ActionKind::kAllow;
  else if (a == "SCMP_ACT_ERRNO") { out.kind = ActionKind::kErrno; out.errno_value = errno_ret; }
  else if (a == "SCMP_ACT_KILL" || a == "SCMP_ACT_KILL_THREAD") out.kind = ActionKind::kKillThread;
  else if (a == "SCMP_ACT_KILL_PROCESS") out.kind = ActionKind::kKill;
  else if (a == "SCMP_ACT_TRAP") out.kind = ActionKind::kTrap;
  else if (a == "SCMP_ACT_LOG") out.kind = ActionKind::kLog;
  else return core::Error("unsupported OCI action \"" + a + "\" (pwnbox reads ALLOW, ERRNO, KILL, KILL_THREAD, KILL_PROCESS, TRAP, LOG)");
  return out;
}

core::Result<std::pair<std::string, int>> ActionToOci(const config::Action& a) {
  switch (a.kind) {
    case ActionKind::kAllow: return std::pair<std::string, int>{"SCMP_ACT_ALLOW", -1};
    case ActionKind::kErrno: return std::pair<std::string, int>{"SCMP_ACT_ERRNO", a.errno_value};
    case ActionKind::kKill: return std::pair<std::string, int>{"SCMP_ACT_KILL_PROCESS", -1};
    case ActionKind::kKillThread: return std::pair<std::string, int>{"SCMP_ACT_KILL_THREAD", -1};
    case ActionKind::kTrap: return std::pair<std::string, int>{"SCMP_ACT_TRAP", -1};
    case ActionKind::kLog: return std::pair<std::string, int>{"SCMP_ACT_LOG", -1};
    default: return core::Error("action \"" + a.ToString() + "\" has no OCI equivalent");
  }
}

core::Result<std::pair<std::string, int>> RetToOci(uint32_t ret) {
  uint32_t data = ret & SECCOMP_RET_DATA;
  switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW: return std::pair<std::string, int>{"SCMP_ACT_ALLOW", -1};
    case SECCOMP_RET_ERRNO: return std::pair<std::string, int>{"SCMP_ACT_ERRNO", static_cast<int>(data)};
    case SECCOMP_RET_KILL_PROCESS: return std::pair<std::string, int>{"SCMP_ACT_KILL_PROCESS", -1};
    case SECCOMP_RET_KILL_THREAD: return std::pair<std::string, int>{"SCMP_ACT_KILL_THREAD", -1};
    case SECCOMP_RET_TRAP: return std::pair<std::string, int>{"SCMP_ACT_TRAP", -1};
    case SECCOMP_RET_LOG: return std::pair<std::string, int>{"SCMP_ACT_LOG", -1};
    default: return core::Error("an escalated action has no OCI equivalent");
  }
}

const char* OpToOci(int op) {
  switch (op) {
    case SCMP_CMP_NE: return "SCMP_CMP_NE";
    case SCMP_CMP_LT: return "SCMP_CMP_LT";
    case SCMP_CMP_LE: return "SCMP_CMP_LE";
    case SCMP_CMP_EQ: return "SCMP_CMP_EQ";
    case SCMP_CMP_GE: return "SCMP_CMP_GE";
    case SCMP_CMP_GT: return "SCMP_CMP_GT";
    case SCMP_CMP_MASKED_EQ: return "SCMP_CMP_MASKED_EQ";
  }
  return "?";
}

int ConditionOp(Op op) {
  switch (op) {
    case Op::kEq: return SCMP_CMP_EQ;
    case Op::kNe: return SCMP_CMP_NE;
    case Op::kLt: return SCMP_CMP_LT;
    case Op::kLe: return SCMP_CMP_LE;
    case Op::kGt: return SCMP_CMP_GT;
    case Op::kGe: return SCMP_CMP_GE;
    case Op::kMaskedEq: return SCMP_CMP_MASKED_EQ;
  }
  return SCMP_CMP_EQ;
}

bool NameKnown(const std::string& name, const config::Options& o) {
  for (core::Abi abi : o.abi)
    if (core::SyscallNumber(name, abi)) return true;
  return false;
}

void Note(std::vector<std::string>* notes, std::string s) {
  if (notes) notes->push_back(std::move(s));
}

std::vector<std::string> Strings(const json& j) {
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& e : j)
      if (e.is_string()) out.push_back(e.get<std::string>());
  return out;
}

bool Any(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const auto& x : a)
    if (std::find(b.begin(), b.end(), x) != b.end()) return true;
  return false;
}

bool All(const std::vector<std::string>& need, const std::vector<std::string>& have) {
  for (const auto& x : need)
    if (std::find(have.begin(), have.end(), x) == have.end()) return false;
  return true;
}

// Entries that differ only in their names become one entry, as Docker writes its profiles
// (one long allow list): exact, since an OCI runtime does not order entries anyway. Each
// merged entry keeps the place of its first part; its names are sorted.
json MergeEntries(const json& entries) {
  json out = json::array();
  std::vector<json> shapes;  // out[i] without "names"
  for (const auto& e : entries) {
    json shape = e;
    shape.erase("names");
    auto it = std::find(shapes.begin(), shapes.end(), shape);
    if (it == shapes.end()) {
      shapes.push_back(shape);
      out.push_back(e);
      continue;
    }
    json& names = out[static_cast<size_t>(it - shapes.begin())]["names"];
    for (const auto& n : e["names"]) names.push_back(n);
  }
  for (auto& e : out) {
    std::vector<std::string> names = e["names"].get<std::vector<std::string>>();
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    e["names"] = names;
  }
  return out;
}

}  // namespace

const std::vector<std::string>& DockerDefaultCapabilities() {
  static const std::vector<std::string> kCaps = {
      "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",     "CAP_MKNOD",
      "CAP_NET_RAW", "CAP_SETGID",      "CAP_SETUID",           "CAP_SETFCAP",    "CAP_SETPCAP",
      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"};
  return kCaps;
}

core::Result<config::Policy> PolicyFromOci(std::string_view text, const std::string& name,
                                           std::vector<std::string>* notes) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    return core::Error(name + ": invalid JSON: " + e.what());
  }
  if (!j.is_object()) return core::Error(name + ": an OCI seccomp profile is a JSON object");
  try {
    config::Policy p;
    p.source = name;
    p.files = {name};
    p.options.io_uring = true;  // only the pwnbox guard entry (below) turns the guard back on
    int default_errno = j.value("defaultErrnoRet", 1);
    {
      PWNBOX_ASSIGN_OR_RETURN(p.default_action,
                              ActionFromOci(j.value("defaultAction", std::string("SCMP_ACT_ALLOW")), default_errno));
    }
    // Architectures.
    std::vector<std::string> arches = Strings(j.value("architectures", json::array()));
    if (j.contains("archMap") && j["archMap"].is_array()) {
      for (const auto& m : j["archMap"]) {
        if (m.value("architecture", std::string()) != "SCMP_ARCH_X86_64") continue;
        arches.push_back("SCMP_ARCH_X86_64");
        for (const auto& s : Strings(m.value("subArchitectures", json::array()))) arches.push_back(s);
      }
    }
    p.options.abi = {core::Abi::kX86_64};
    if (std::find(arches.begin(), arches.end(), "SCMP_ARCH_X86") != arches.end()) p.options.abi.push_back(core::Abi::kI386);
    if (std::find(arches.begin(), arches.end(), "SCMP_ARCH_X32") != arches.end()) p.options.abi.push_back(core::Abi::kX32);
    const auto& caps = DockerDefaultCapabilities();
    const std::vector<std::string> kArch = {"amd64"};
    std::set<std::string> unknown;
    const json syscalls = j.value("syscalls", json::array());
    for (size_t i = 0; i < syscalls.size(); ++i) {
      const json& e = syscalls[i];
      std::string where = name + ": syscalls[" + std::to_string(i) + "]";
      std::vector<std::string> names = Strings(e.value("names", json::array()));
      if (e.contains("name") && e["name"].is_string()) names.push_back(e["name"].get<std::string>());
      std::string label = names.empty() ? "" : names.front() + (names.size() > 1 ? ", ..." : "");
      if (e.value("comment", std::string()) == kIoUringGuardComment) {
        p.options.io_uring = false;
        continue;
      }
      if (e.value("comment", std::string()).starts_with(kGuardCommentPrefix)) continue;  // built in
      if (e.contains("includes")) {
        const json& inc = e["includes"];
        auto need = Strings(inc.value("caps", json::array()));
        auto ar = Strings(inc.value("arches", json::array()));
        std::string mk = inc.value("minKernel", std::string());
        if (!need.empty() && !All(need, caps)) {
          Note(notes, where + " (" + label + ") skipped: needs capabilities Docker does not grant by default");
          continue;
        }
        if (!ar.empty() && !Any(ar, kArch)) continue;  // another machine
        if (!mk.empty() && !KernelAtLeast(mk)) {
          Note(notes, where + " (" + label + ") skipped: needs kernel " + mk);
          continue;
        }
      }
      if (e.contains("excludes")) {
        const json& exc = e["excludes"];
        if (Any(Strings(exc.value("caps", json::array())), caps)) continue;
        if (Any(Strings(exc.value("arches", json::array())), kArch)) continue;
        std::string mk = exc.value("minKernel", std::string());
        if (!mk.empty() && KernelAtLeast(mk)) continue;
      }
      config::Rule r;
      r.file = name;
      r.line = static_cast<int>(i + 1);
      std::set<std::string> known;
      for (const auto& n : names) {
        if (NameKnown(n, p.options)) known.insert(n);
        else unknown.insert(n);
      }
      if (known.empty()) continue;
      r.syscalls_as_written.assign(names.begin(), names.end());
      r.names.assign(known.begin(), known.end());
      for (const auto& n : r.names)
        if (auto nr = core::SyscallNumber(n, core::Abi::kX86_64)) r.syscalls.push_back(*nr);
      std::sort(r.syscalls.begin(), r.syscalls.end());
      PWNBOX_ASSIGN_OR_RETURN(r.action, ActionFromOci(e.value("action", std::string()), e.value("errnoRet", 1)));
      for (const auto& a : e.value("args", json::array())) {
        config::Condition c;
        c.arg = a.value("index", 0);
        if (c.arg < 0 || c.arg > 5) return core::Error(where + ": argument index " + std::to_string(c.arg) + " out of range");
        uint64_t v = a.value("value", uint64_t{0}), v2 = a.value("valueTwo", uint64_t{0});
        std::string op = a.value("op", std::string());
        c.value = v;
        if (op == "SCMP_CMP_EQ") c.op = Op::kEq;
        else if (op == "SCMP_CMP_NE") c.op = Op::kNe;
        else if (op == "SCMP_CMP_LT") c.op = Op::kLt;
        else if (op == "SCMP_CMP_LE") c.op = Op::kLe;
        else if (op == "SCMP_CMP_GT") c.op = Op::kGt;
        else if (op == "SCMP_CMP_GE") c.op = Op::kGe;
        else if (op == "SCMP_CMP_MASKED_EQ") {
          c.op = Op::kMaskedEq;
          c.mask = v;
          c.value = v2 & v;
          // The whole low word of a 32-bit argument (as pwnbox writes `==` on an int): `==`.
          bool whole = !r.names.empty();
          for (const auto& n : r.names) {
            const core::ArgWidth w = core::ArgType(n, c.arg);
            whole = whole && w.bits < 64 && c.mask == w.Mask();
          }
          if (whole) {
            c.op = Op::kEq;
            c.mask = ~uint64_t{0};
          }
        } else {
          return core::Error(where + ": unknown comparison \"" + op + "\"");
        }
        c.text = c.ToString();
        r.args.push_back(std::move(c));
      }
      p.rules.push_back(std::move(r));
    }
    if (!unknown.empty()) {
      std::string list;
      for (const auto& n : unknown) list += (list.empty() ? "" : " ") + n;
      Note(notes, "names unknown on the profile's ABIs, dropped (runc ignores them too): " + list);
    }
    return p;
  } catch (const json::exception& e) {
    return core::Error(name + ": malformed OCI seccomp profile: " + e.what());
  }
}

core::Result<std::string> PolicyToOci(const config::Policy& policy, std::vector<std::string>* notes) {
  for (const auto& r : policy.rules) {
    if (r.NeedsUserSpace() &&
        !(r.action.kind == ActionKind::kLog && r.paths.empty() && !r.when && !r.log))
      return core::Error("rule at " + r.Location() + " needs pwnbox's supervisor (" + r.EscalationReason() +
                         "): an OCI profile cannot express it");
  }
  PWNBOX_ASSIGN_OR_RETURN(internal::Plan plan, internal::MakePlan(policy, CompileOptions{}));
  if (!plan.evaluated.empty())
    return core::Error("the conditions of " + plan.evaluated.front().name + " cannot be written as libseccomp rules (" +
                       plan.evaluated.front().why + "): an OCI profile cannot express them");
  json j;
  PWNBOX_ASSIGN_OR_RETURN(auto def, ActionToOci(policy.default_action));
  j["defaultAction"] = def.first;
  if (def.second >= 0) j["defaultErrnoRet"] = def.second;
  json arches = json::array({"SCMP_ARCH_X86_64"});
  if (policy.options.HasAbi(core::Abi::kI386)) arches.push_back("SCMP_ARCH_X86");
  if (policy.options.HasAbi(core::Abi::kX32)) arches.push_back("SCMP_ARCH_X32");
  j["architectures"] = arches;
  json calls = json::array();
  if (!policy.options.io_uring) {
    json g;
    g["names"] = json::array();
    for (auto n : config::kIoUringSyscalls) g["names"].push_back(std::string(n));
    g["action"] = "SCMP_ACT_ERRNO";
    g["errnoRet"] = config::kIoUringErrno;
    g["comment"] = std::string(kIoUringGuardComment);
    calls.push_back(g);
  }
  auto put_action = [](json& e, const std::pair<std::string, int>& a) {
    e["action"] = a.first;
    if (a.second >= 0) e["errnoRet"] = a.second;
  };
  if (!plan.needs_expansion) {
    for (const Guard& g : Guards()) {
      json e;
      e["names"] = json::array({std::string(g.syscall)});
      put_action(e, {"SCMP_ACT_ERRNO", g.rule.action.errno_value});
      e["comment"] = std::string(kGuardCommentPrefix) + g.syscall + (*g.text ? " " : "") + g.text;
      for (const auto& c : g.rule.args) {
        // Guards are on 32-bit arguments (ioctl's request) or bit tests: the low word only.
        const core::ArgWidth w = core::ArgType(g.syscall, c.arg);
        e["args"].push_back({{"index", c.arg},
                             {"value", c.op == Op::kMaskedEq ? (c.mask & w.Mask()) : w.Mask()},
                             {"valueTwo", c.value & w.Mask()},
                             {"op", "SCMP_CMP_MASKED_EQ"}});
      }
      calls.push_back(e);
    }
    for (const auto& r : policy.rules) {
      json e;
      e["names"] = r.names;
      PWNBOX_ASSIGN_OR_RETURN(auto a, ActionToOci(r.action));
      put_action(e, a);
      if (!r.args.empty()) {
        e["args"] = json::array();
        for (const auto& c : r.args) {
          json x;
          x["index"] = c.arg;
          x["value"] = c.op == Op::kMaskedEq ? c.mask : c.value;
          x["valueTwo"] = c.op == Op::kMaskedEq ? c.value : 0;
          x["op"] = OpToOci(ConditionOp(c.op));
          // A 32-bit argument: the low word only (MakePlan expands every other shape).
          const core::ArgWidth w = core::ArgType(r.names.front(), c.arg);
          if (w.bits < 64) {
            x["value"] = c.op == Op::kMaskedEq ? (c.mask & w.Mask()) : w.Mask();
            x["valueTwo"] = c.value & w.Mask();
            x["op"] = "SCMP_CMP_MASKED_EQ";
          }
          e["args"].push_back(x);
        }
      }
      calls.push_back(e);
    }
  } else {
    Note(notes, "rules of one syscall overlap with different actions: written as disjoint condition sets "
                "(OCI runtimes do not apply rules in order)");
    for (const auto& er : plan.emitted) {
      if (er.rule == -1) continue;  // the io_uring guard, written above
      json e;
      if (const Guard* g = FindGuard(er.rule))
        e["comment"] = std::string(kGuardCommentPrefix) + g->syscall + (*g->text ? " " : "") + g->text;
      e["names"] = json::array({er.syscall});
      PWNBOX_ASSIGN_OR_RETURN(auto a, RetToOci(er.action));
      put_action(e, a);
      if (!er.cmps.empty()) {
        e["args"] = json::array();
        for (const auto& c : er.cmps)
          e["args"].push_back({{"index", c.arg}, {"value", c.datum_a}, {"valueTwo", c.datum_b}, {"op", OpToOci(c.op)}});
      }
      calls.push_back(e);
    }
  }
  j["syscalls"] = MergeEntries(calls);
  return j.dump(2) + "\n";
}

}  // namespace pwnbox::filters
