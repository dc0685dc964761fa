#include "explore/selector.h"

#include <fcntl.h>

#include <cerrno>
#include <charconv>
#include <variant>

#include "core/decode_util.h"
#include "core/decoder.h"
#include "core/syscalls.h"
#include "supervisor/glob.h"
#include "supervisor/path_args.h"
#include "supervisor/path_resolver.h"

namespace pwnbox::explore {
namespace {

std::string GroupHint(std::string_view word) {
  std::string best;
  int best_d = 4;
  for (const core::SyscallGroup& g : core::Groups()) {
    const int d = core::EditDistance(word, g.name);
    if (d < best_d) best_d = d, best = "@" + std::string(g.name);
  }
  return best.empty() ? " (`pwnbox groups` lists them)" : " (did you mean " + best + "?)";
}

core::Error Bad(std::string_view text, const std::string& message) {
  return core::Error("--at " + std::string(text) + ": " + message, EINVAL);
}

// The argument's value as its C type reads it, sign-extended for a signed type.
int64_t Canonical(uint64_t v, const core::ArgWidth& w) {
  v &= w.Mask();
  if (w.is_signed && w.bits < 64 && (v >> (w.bits - 1)) & 1) v |= ~w.Mask();
  return static_cast<int64_t>(v);
}

}  // namespace

core::Result<Selector> ParseSelector(std::string_view text) {
  Selector sel;
  sel.text = std::string(text);
  std::string_view rest = text;
  // "#K" at the end.
  if (size_t hash = rest.rfind('#'); hash != std::string_view::npos) {
    std::string_view k = rest.substr(hash + 1);
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(k.data(), k.data() + k.size(), n);
    if (k.empty() || ec != std::errc() || p != k.data() + k.size() || n == 0)
      return Bad(text, "\"#" + std::string(k) +
                           "\": expected #K with K = 1, 2, ... (the K-th "
                           "matching call)");
    sel.occurrence = n;
    rest = rest.substr(0, hash);
  }
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t colon = rest.find(':', start);
    parts.push_back(
        rest.substr(start, colon == std::string_view::npos ? rest.npos : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  const std::string_view target = parts[0];
  if (target.empty())
    return Bad(text,
               "no syscall: expected NAME or @GROUP, e.g. openat:path=/etc/*, read:fd=0, "
               "write#3, @network");
  if (target[0] == '@') {
    const core::SyscallGroup* g = core::FindGroup(target);
    if (g == nullptr)
      return Bad(text,
                 "unknown group \"" + std::string(target) + "\"" + GroupHint(target.substr(1)));
    for (std::string_view m : g->members) sel.names.insert(std::string(m));
  } else {
    if (!core::SyscallNumber(target)) {
      std::string hint;
      for (const std::string& s : core::SuggestSyscalls(target))
        hint += (hint.empty() ? "" : ", ") + s;
      return Bad(text, "unknown syscall \"" + std::string(target) + "\"" +
                           (hint.empty() ? std::string(" (`pwnbox groups` lists the syscalls)")
                                         : " (did you mean " + hint + "?)"));
    }
    sel.names.insert(std::string(target));
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string_view cond = parts[i];
    const size_t eq = cond.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return Bad(text, "condition \"" + std::string(cond) +
                           "\": expected path=GLOB or ARG=VALUE (fd=0, flags=O_RDONLY)");
    const std::string_view key = cond.substr(0, eq), value = cond.substr(eq + 1);
    if (key == "path") {
      if (value.empty() || value[0] != '/')
        return Bad(text, "path=" + std::string(value) +
                             ": the glob must be absolute (paths are matched resolved, as "
                             "policy `paths` are)");
      // A group keeps its members that take a path; a syscall must take one.
      for (auto it = sel.names.begin(); it != sel.names.end();)
        it = supervisor::PathArgsOf(*it).empty() && target[0] == '@' ? sel.names.erase(it)
                                                                     : std::next(it);
      for (const std::string& n : sel.names)
        if (supervisor::PathArgsOf(n).empty()) return Bad(text, "path=: " + n + " takes no path");
      if (sel.names.empty())
        return Bad(text, "path=: no syscall of " + std::string(target) + " takes a path");
      sel.path_glob = std::string(value);
      continue;
    }
    const std::vector<std::string> names(sel.names.begin(), sel.names.end());
    auto parsed = config::ParseCondition(std::string(key) + " == " + std::string(value), names);
    if (auto* err = std::get_if<config::ConditionError>(&parsed))
      return Bad(text, "\"" + std::string(cond) + "\": " + err->message +
                           (err->hint.empty() ? "" : " (" + err->hint + ")"));
    sel.args.push_back(std::get<config::Condition>(parsed));
  }
  return sel;
}

bool Selector::Matches(std::string_view name, const uint64_t (&call_args)[6],
                       const std::string& path) const {
  if (!names.contains(std::string(name))) return false;
  for (const config::Condition& c : args) {
    const core::ArgWidth w = core::ArgType(name, c.arg);
    const int64_t v = Canonical(call_args[c.arg], w);
    const int64_t want = Canonical(c.value, w);
    if (c.op == config::Condition::Op::kMaskedEq) {
      if ((static_cast<uint64_t>(v) & c.mask) != c.value) return false;
    } else if (v != want) {
      return false;
    }
  }
  if (!path_glob.empty() && (path.empty() || !supervisor::GlobMatch(path_glob, path))) return false;
  return true;
}

std::string CallPath(const EntryStop& stop, std::string* raw_out) {
  const std::string_view name = core::SyscallName(stop.nr, stop.abi);
  const std::vector<supervisor::PathArg> pargs = supervisor::PathArgsOf(name, stop.abi);
  if (pargs.empty()) return "";
  const supervisor::PathArg& pa = pargs[0];
  if (!supervisor::IsPathInCall(pa, stop.args)) return "";
  uint64_t addr = stop.args[pa.path];
  if (stop.abi == core::Abi::kI386) addr &= 0xffffffff;
  if (addr == 0) return "";
  core::ProcessMemory mem(stop.tid);
  std::string raw;
  bool terminated = false;
  if (!core::decode::ReadCString(mem, addr, 4096, &raw, &terminated) || !terminated) return "";
  if (raw_out) *raw_out = raw;
  int dirfd = AT_FDCWD;
  if (pa.dirfd >= 0) dirfd = static_cast<int>(stop.args[pa.dirfd]);
  supervisor::ResolveOptions ro;
  ro.follow_final = supervisor::FollowsFinal(pa, stop.args);
  ro.empty_path = supervisor::EmptyPathAllowed(pa, stop.args);
  auto view = supervisor::ResolveTargetPath(stop.tid, dirfd, raw, ro);
  if (!view.ok() || view->detached) return "";
  return view->path;
}

}  // namespace pwnbox::explore
