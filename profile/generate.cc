// Generate: the least-privilege policy of what the runs did. The policy is built as TOML text
// (Render) and loaded back with config's own loader, so every field is what the loader makes of
// it and the file users get is exactly the policy that was checked.
#include <limits.h>
#include <linux/sched.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fcntl.h>
#include <set>
#include <sstream>

#include "config/policy.h"
#include "core/xlat.h"
#include "filters/filters.h"
#include "profile/profile.h"

namespace pwnbox::profile {

namespace {

// Argument-aware rules are written only for syscalls used with at most this many distinct
// values (one rule per value): more means the use is not narrow, and the file unreadable.
constexpr size_t kMaxArgValues = 16;
// A path rule lists at most this many patterns; beyond it, files are merged into DIR/**.
constexpr size_t kMaxPathPatterns = 24;
// A directory holding at least this many of the files becomes DIR/*.
constexpr size_t kDirStarThreshold = 4;

constexpr uint64_t kNamespaceFlags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
                                     CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP | 0x80;  // CLONE_NEWTIME
constexpr char kNamespaceMaskText[] =
    "CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET|"
    "CLONE_NEWCGROUP|CLONE_NEWTIME";
// O_TMPFILE needs O_WRONLY or O_RDWR, so the access mode covers it.
constexpr uint64_t kOpenWriteFlags = O_ACCMODE | O_CREAT | O_TRUNC;
constexpr char kOpenWriteMaskText[] = "O_ACCMODE|O_CREAT|O_TRUNC";

// Sections of the file, in order; a syscall goes to the first of kPickOrder that has it.
const char* const kSectionOrder[] = {"file", "desc", "memory", "process", "signal",
                                     "network", "ipc", "time", "creds", "other"};
const char* const kPickOrder[] = {"network", "ipc", "memory", "signal", "process",
                                  "time", "creds", "file", "desc"};

std::string SectionOf(std::string_view name) {
  for (const char* g : kPickOrder) {
    const core::SyscallGroup* grp = core::FindGroup(g);
    if (grp && std::binary_search(grp->members.begin(), grp->members.end(), name)) return g;
  }
  return "other";
}

int SectionRank(const std::string& s) {
  for (size_t i = 0; i < std::size(kSectionOrder); ++i)
    if (s == kSectionOrder[i]) return static_cast<int>(i);
  return static_cast<int>(std::size(kSectionOrder));
}

// "1,204".
std::string Thousands(uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

std::string Hex(uint64_t v) {
  std::ostringstream os;
  os << "0x" << std::hex << v;
  return os.str();
}

// True when `text` ("A|B|0x40") reads back as `value` with the policy language's terms.
bool ReadsBackAs(const std::string& text, uint64_t value) {
  uint64_t v = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t bar = text.find('|', start);
    std::string term = text.substr(start, bar == std::string::npos ? std::string::npos : bar - start);
    if (term.empty()) return false;
    if (std::isdigit(static_cast<unsigned char>(term[0]))) {
      v |= std::stoull(term, nullptr, 0);
    } else {
      auto c = core::ConstantValue(term);
      if (!c) return false;
      v |= *c;
    }
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  return v == value;
}

// `value` of argument `arg` of `syscall` as readable as the constant tables allow
// ("AF_UNIX", "SOCK_STREAM|SOCK_CLOEXEC"), or a number.
std::string ValueText(std::string_view syscall, int arg, uint64_t value) {
  const core::ArgSpec& spec = core::Signature(syscall).args[arg];
  if (spec.table && (spec.kind == core::ArgKind::kFlags || spec.kind == core::ArgKind::kEnum)) {
    if (const core::Xlat* x = core::FindXlat(spec.table)) {
      std::string t = x->is_flags ? core::FormatFlags(*x, value) : core::FormatEnum(*x, value);
      if (!t.empty() && !std::isdigit(static_cast<unsigned char>(t[0])) && ReadsBackAs(t, value))
        return t;
    }
  }
  return value < 10 ? std::to_string(value) : Hex(value);
}

std::string ArgName(std::string_view syscall, int arg) {
  const char* n = core::Signature(syscall).args[arg].name;
  return n && core::ArgIndex(syscall, n) == arg ? n : "arg" + std::to_string(arg);
}

// A glob matching exactly the file name `s`.
std::string EscapeGlob(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '*' || c == '?' || c == '[' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string NormalizeLexically(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream ss(path);
  std::string item;
  while (std::getline(ss, item, '/')) {
    if (item.empty() || item == ".") continue;
    if (item == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(item);
  }
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

// The path with the symlinks of its longest existing prefix resolved on this machine, as the
// supervisor resolves a target's path before matching `paths` globs.
std::string ResolveExisting(const std::string& path) {
  std::string prefix = path, rest;
  while (true) {
    char buf[PATH_MAX];
    if (realpath(prefix.c_str(), buf)) {
      std::string r = buf;
      if (!rest.empty()) r = (r == "/" ? "" : r) + rest;
      return r;
    }
    size_t slash = prefix.rfind('/');
    if (slash == std::string::npos || prefix == "/") return path;
    rest = prefix.substr(slash) + rest;
    prefix = slash == 0 ? "/" : prefix.substr(0, slash);
  }
}

// /proc/self/X, /proc/thread-self/X and /proc/PID/X name another process on the next run.
std::optional<std::string> ProcPattern(const std::string& p) {
  if (!p.starts_with("/proc/")) return std::nullopt;
  std::string rest = p.substr(6);
  size_t slash = rest.find('/');
  std::string first = rest.substr(0, slash);
  std::string tail = slash == std::string::npos ? "" : EscapeGlob(rest.substr(slash));
  if (first == "self") return "/proc/*" + tail;
  if (first == "thread-self") return "/proc/*/task/*" + tail;
  if (!first.empty() && std::all_of(first.begin(), first.end(), ::isdigit)) return "/proc/*" + tail;
  return std::nullopt;
}

std::string Parent(const std::string& p) {
  size_t slash = p.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : p.substr(0, slash);
}

// A readable glob list covering every path: exact files where there are few, DIR/* for a
// directory with many, DIR/** where the list would grow past kMaxPathPatterns.
std::vector<std::string> PathPatterns(const std::map<std::string, uint64_t>& seen) {
  std::set<std::string> globs;   // finished patterns (/proc ones)
  std::set<std::string> files;   // absolute, normalised, canonical paths
  for (const auto& [raw, n] : seen) {
    const std::string p = NormalizeLexically(raw);
    if (auto proc = ProcPattern(p)) {
      globs.insert(*proc);
      continue;
    }
    files.insert(p);
    // Through /proc/self (e.g. /etc/mtab) realpath names this process: keep the pattern.
    const std::string r = ResolveExisting(p);
    if (auto proc = ProcPattern(r)) globs.insert(*proc);
    else files.insert(r);
  }
  // Directory -> what is kept under it: a file name, or "*" for all of its entries.
  std::map<std::string, std::set<std::string>> by_dir;
  for (const auto& f : files) {
    if (f == "/") {
      globs.insert("/");
      continue;
    }
    by_dir[Parent(f)].insert(f.substr(f.rfind('/') + 1));
  }
  std::vector<std::pair<std::string, std::string>> items;  // (dir, "name" | "*" | "**")
  for (auto& [dir, names] : by_dir) {
    if (names.size() >= kDirStarThreshold) {
      items.push_back({dir, "*"});
    } else {
      for (const auto& n : names) items.push_back({dir, n});
    }
  }
  auto under = [](const std::string& dir, const std::string& d) {
    return d == "/" ? true : dir == d || dir.starts_with(d + "/");
  };
  // Replaces every item under `d` by d/**.
  auto merge = [&](const std::string& d) {
    std::vector<std::pair<std::string, std::string>> next;
    for (auto& it : items)
      if (!under(it.first, d)) next.push_back(it);
    // DIR/** stands for DIR too: drop DIR itself if it was listed as a file of its parent.
    const std::string parent = Parent(d), name = d.substr(d.rfind('/') + 1);
    std::erase_if(next, [&](const auto& it) { return it.first == parent && it.second == name; });
    next.push_back({d, "**"});
    items = std::move(next);
  };
  // Per directory (not "/"): its children among the items, and whether one is a directory.
  struct Tree {
    std::set<std::string> children;
    bool has_subdir = false;
    size_t items = 0;
  };
  auto trees = [&] {
    std::map<std::string, Tree> t;
    for (const auto& [dir, name] : items) {
      std::string child = name;
      bool direct = true;
      for (std::string d = dir; d != "/"; d = Parent(d)) {
        Tree& tr = t[d];
        tr.children.insert(child);
        tr.has_subdir = tr.has_subdir || !direct || name == "**";
        ++tr.items;
        child = d.substr(d.rfind('/') + 1);
        direct = false;
      }
    }
    return t;
  };
  auto depth = [](const std::string& d) { return std::count(d.begin(), d.end(), '/'); };
  // A directory (below the top level) with many children, some of them directories: DIR/**.
  for (bool again = true; again;) {
    again = false;
    std::string best;
    for (const auto& [d, tr] : trees()) {
      if (depth(d) >= 2 && tr.has_subdir && tr.children.size() >= kDirStarThreshold &&
          depth(d) > depth(best))
        best = d;
    }
    if (!best.empty()) {
      merge(best);
      again = true;
    }
  }
  // Still too many: merge the directory holding the most items (the deepest of equals).
  while (items.size() + globs.size() > kMaxPathPatterns) {
    std::string best;
    size_t best_items = 1;
    for (const auto& [d, tr] : trees()) {
      if (tr.items > best_items || (tr.items == best_items && !best.empty() && depth(d) > depth(best))) {
        best = d;
        best_items = tr.items;
      }
    }
    if (best.empty()) break;
    merge(best);
  }
  for (const auto& [dir, name] : items) {
    const std::string d = dir == "/" ? "" : EscapeGlob(dir);
    globs.insert(d + "/" + (name == "*" || name == "**" ? name : EscapeGlob(name)));
  }
  return {globs.begin(), globs.end()};
}

// What was seen of one syscall name, over every ABI.
struct NameUse {
  std::string name;
  std::vector<core::Abi> abis;
  std::map<core::Abi, uint64_t> per_abi;
  std::map<std::string, uint64_t> per_run;
  uint64_t calls = 0, succeeded = 0;
  std::map<std::string, uint64_t> paths;
  const Observations::Usage* x86_64 = nullptr;  // argument values (x86_64 layouts only)
};

// One rule before it is loaded.
struct Draft {
  std::string name;
  std::vector<std::string> args;
  std::vector<std::string> paths;
  std::string comment;
};

std::string RunCounts(const NameUse& u, const std::vector<std::string>& runs) {
  std::string s;
  for (const auto& r : runs) {
    auto it = u.per_run.find(r);
    if (it == u.per_run.end()) continue;
    s += (s.empty() ? "" : ", ") + r + " " + Thousands(it->second);
  }
  return s;
}

std::string UsageComment(const NameUse& u, const std::vector<std::string>& runs) {
  std::string s = u.name + ": " + Thousands(u.calls) + (u.calls == 1 ? " call" : " calls") + " (" +
                  RunCounts(u, runs) + ")";
  if (u.abis.size() > 1 || u.abis.front() != core::Abi::kX86_64) {
    std::string abis;
    for (const auto& [abi, n] : u.per_abi)
      abis += (abis.empty() ? "" : ", ") + std::string(core::AbiName(abi)) + " " + Thousands(n);
    s += " [" + abis + "]";
  }
  return s;
}

// Every call of the syscall knew argument `i`, and all its distinct values were kept.
bool AllKnown(const Observations::Usage* u, int i) {
  return u && u->unknown[i] == 0 && !u->overflow[i] && !u->values[i].empty();
}

struct ArgRules {
  std::vector<std::vector<std::string>> conditions;  // one entry per rule
  std::vector<uint64_t> counts;                      // calls per rule (0: not known)
  std::string why;                                   // for the comment
};

// Argument-aware rules for `u` (SPEC `profile --args`), or nothing when the runs do not show a
// narrow use the kernel can check.
std::optional<ArgRules> NarrowArgs(const NameUse& u) {
  const Observations::Usage* x = u.x86_64;
  if (!x || u.abis.size() != 1) return std::nullopt;  // other ABIs lay arguments out otherwise
  const std::string& n = u.name;
  ArgRules out;
  auto per_value = [&](int arg, bool low32) -> std::optional<ArgRules> {
    if (!AllKnown(x, arg)) return std::nullopt;
    std::map<uint64_t, uint64_t> vals;
    for (const auto& [v, c] : x->values[arg]) vals[low32 ? (v & 0xffffffffu) : v] += c;
    if (vals.size() > kMaxArgValues) return std::nullopt;
    const std::string an = ArgName(n, arg);
    for (const auto& [v, c] : vals) {
      out.conditions.push_back({low32 ? an + " & 0xffffffff == " + ValueText(n, arg, v)
                                      : an + " == " + ValueText(n, arg, v)});
      out.counts.push_back(c);
    }
    return out;
  };
  auto mask_zero = [&](int arg, uint64_t mask, const char* mask_text, const char* why) -> std::optional<ArgRules> {
    if (!AllKnown(x, arg)) return std::nullopt;
    for (const auto& [v, c] : x->values[arg])
      if (v & mask) return std::nullopt;
    out.conditions.push_back({ArgName(n, arg) + " & " + mask_text + " == 0"});
    out.counts.push_back(0);
    out.why = why;
    return out;
  };
  if (n == "socket") {
    if (x->unknown[0] || x->unknown[1] || x->pairs_overflow || x->pairs.empty() ||
        x->pairs.size() > kMaxArgValues)
      return std::nullopt;
    for (const auto& [p, c] : x->pairs) {
      out.conditions.push_back({ArgName(n, 0) + " == " + ValueText(n, 0, p.first),
                                ArgName(n, 1) + " == " + ValueText(n, 1, p.second)});
      out.counts.push_back(c);
    }
    return out;
  }
  if (n == "clone") return mask_zero(0, kNamespaceFlags, kNamespaceMaskText, "no namespace flags seen");
  if (n == "mmap" || n == "mprotect" || n == "pkey_mprotect")
    return mask_zero(2, PROT_EXEC, "PROT_EXEC", "PROT_EXEC never used");
  if (n == "open") return mask_zero(1, kOpenWriteFlags, kOpenWriteMaskText, "nothing opened for writing");
  if (n == "openat") return mask_zero(2, kOpenWriteFlags, kOpenWriteMaskText, "nothing opened for writing");
  if (n == "ioctl") return per_value(1, /*low32=*/true);  // the kernel takes an unsigned int
  if (n == "fcntl") return per_value(1, false);
  if (n == "prctl") return per_value(0, false);
  return std::nullopt;
}

bool HasPathArg(std::string_view name) {
  const core::SyscallSig& sig = core::Signature(name);
  for (int i = 0; i < sig.nargs; ++i)
    if (sig.args[i].kind == core::ArgKind::kPath) return true;
  return false;
}

// Why the calls of `u` cannot be restricted by path, or "" when they can.
std::string PathObstacle(const NameUse& u) {
  if (u.paths.empty()) return "no path seen";
  const core::SyscallSig& sig = core::Signature(u.name);
  int path_args = 0;
  for (int i = 0; i < sig.nargs; ++i) path_args += sig.args[i].kind == core::ArgKind::kPath;
  uint64_t named = 0;
  for (const auto& [p, c] : u.paths) {
    if (p.empty()) return "called on descriptors (empty path)";
    if (p[0] != '/') return "relative to a directory descriptor (" + p + ")";
    named += c;
  }
  if (named < u.calls * static_cast<uint64_t>(path_args)) return "some calls named no path";
  return "";
}

// Every observed call whose arguments the input knew is allowed, with the same first-match
// semantics as the filter (paths aside: the supervisor checks them). A generated rule constrains
// one argument, or socket's first two: the values seen of those are the calls to try.
core::Status SelfCheck(const config::Policy& policy, const Observations& obs) {
  for (const auto& [key, usage] : obs.usage()) {
    const auto& [abi, name] = key;
    auto nr = core::SyscallNumber(name, abi);
    if (!nr || (config::IsIoUring(name) && !policy.options.io_uring)) continue;
    std::set<int> constrained;
    for (const auto& r : policy.rules)
      if (r.HasSyscall(name))
        for (const auto& c : r.args) constrained.insert(c.arg);
    std::vector<std::array<uint64_t, 6>> samples;
    if (constrained.empty()) {
      samples.push_back({});
    } else if (constrained == std::set<int>{0, 1}) {
      for (const auto& [p, n] : usage.pairs) samples.push_back({p.first, p.second, 0, 0, 0, 0});
    } else if (constrained.size() == 1) {
      const int i = *constrained.begin();
      for (const auto& [v, n] : usage.values[i]) {
        std::array<uint64_t, 6> a{};
        a[static_cast<size_t>(i)] = v;
        samples.push_back(a);
      }
    }
    for (const auto& a : samples) {
      const int k = filters::FirstMatch(policy, abi, *nr, a.data());
      const config::Action& act =
          k >= 0 ? policy.rules[static_cast<size_t>(k)].action : policy.default_action;
      if (k == filters::kIoUringGuard || act.kind != config::ActionKind::kAllow)
        return core::Error("internal error: the generated profile does not allow " + name +
                           " as the runs called it; please report this");
    }
  }
  return core::Status::Ok();
}

}  // namespace

core::Result<Generated> Generate(const Observations& obs, const Options& options) {
  Generated g;
  std::vector<std::string> notes;
  // Per name, over every ABI.
  std::map<std::string, NameUse> names;
  std::set<core::Abi> abis = {core::Abi::kX86_64};
  bool io_uring = false;
  for (const auto& [key, usage] : obs.usage()) {
    const auto& [abi, name] = key;
    if (!core::SyscallNumber(name, abi)) {
      notes.push_back("skipped " + name + " (" + std::string(core::AbiName(abi)) +
                      "): libseccomp does not know it");
      continue;
    }
    abis.insert(abi);
    NameUse& u = names[name];
    u.name = name;
    u.abis.push_back(abi);
    u.per_abi[abi] += usage.calls;
    for (const auto& [run, n] : usage.per_run) u.per_run[run] += n;
    u.calls += usage.calls;
    u.succeeded += usage.succeeded;
    for (const auto& [p, n] : usage.paths) u.paths[p] += n;
    if (abi == core::Abi::kX86_64) u.x86_64 = &usage;
    if (name == "io_uring_setup" && usage.succeeded > 0) io_uring = true;
  }
  if (!io_uring && names.count("io_uring_setup"))
    notes.push_back("io_uring_setup was called but failed: io_uring stays off (its calls get ENOSYS)");

  // Rules, grouped by section, sorted by name.
  std::vector<std::pair<std::string, const NameUse*>> order;
  for (const auto& [name, u] : names) {
    if (config::IsIoUring(name) && !io_uring) continue;
    order.push_back({SectionOf(name), &u});
  }
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return SectionRank(a.first) < SectionRank(b.first);
  });
  std::vector<Draft> drafts;
  for (const auto& [section, u] : order) {
    const std::string base = UsageComment(*u, obs.runs());
    std::vector<std::string> paths;
    std::string path_note;
    if (options.paths && HasPathArg(u->name)) {
      path_note = PathObstacle(*u);
      if (path_note.empty())
        paths = PathPatterns(u->paths);
      else
        path_note = "; any path: " + path_note;
    }
    std::optional<ArgRules> narrow = options.args ? NarrowArgs(*u) : std::nullopt;
    if (!narrow) {
      drafts.push_back({u->name, {}, paths, base + path_note});
      g.rule_groups.push_back(section);
      continue;
    }
    for (size_t i = 0; i < narrow->conditions.size(); ++i) {
      std::string c = base + path_note;
      if (!narrow->why.empty()) c += "; " + narrow->why;
      else if (narrow->counts[i] && narrow->conditions.size() > 1)
        c += "; " + Thousands(narrow->counts[i]) + " with these arguments";
      drafts.push_back({u->name, narrow->conditions[i], paths, c});
      g.rule_groups.push_back(section);
    }
  }

  // The policy, as the loader makes it of the text users get.
  config::Policy draft;
  draft.default_action = options.default_action;
  draft.options.abi.assign(abis.begin(), abis.end());
  draft.options.io_uring = io_uring;
  for (const Draft& d : drafts) {
    config::Rule r;
    r.syscalls_as_written = {d.name};
    r.names = {d.name};
    if (auto nr = core::SyscallNumber(d.name, core::Abi::kX86_64)) r.syscalls = {*nr};
    for (const auto& text : d.args) {
      auto c = config::ParseCondition(text, r.names);
      if (auto* err = std::get_if<config::ConditionError>(&c))
        return core::Error("generated condition \"" + text + "\" for " + d.name + " is invalid: " + err->message);
      r.args.push_back(std::get<config::Condition>(std::move(c)));
    }
    r.paths = d.paths;
    draft.rules.push_back(std::move(r));
    g.rule_comments.push_back(d.comment);
  }
  g.policy = std::move(draft);

  // Header.
  std::string runs;
  for (const auto& r : obs.runs()) {
    uint64_t n = 0;
    for (const auto& [key, u] : obs.usage()) {
      auto it = u.per_run.find(r);
      if (it != u.per_run.end()) n += it->second;
    }
    runs += (runs.empty() ? "" : ", ") + r + " (" + Thousands(n) + (n == 1 ? " call)" : " calls)");
  }
  g.header = {
      "Generated by pwnbox profile from " + std::to_string(obs.runs().size()) +
          (obs.runs().size() == 1 ? " run: " : " runs: ") + runs + ".",
      "It allows the " + std::to_string(order.size()) + (order.size() == 1 ? " syscall" : " syscalls") + " these runs made; every other call gets " +
          options.default_action.ToString() + ".",
  };
  if (options.args)
    g.header.push_back("--args: socket, clone, mmap/mprotect, ioctl, fcntl, prctl and open are narrowed to the arguments seen where the use was narrow.");
  if (options.paths)
    g.header.push_back("--paths: calls that name files are allowed on the paths seen only (symlinks resolved as on this machine).");
  for (const auto& n : notes) g.header.push_back("Note: " + n);
  g.header.push_back("Use it:  pwnbox --policy FILE -- CMD");
  g.header.push_back("Run with --complain to see what a new run needs beyond this profile.");

  PWNBOX_ASSIGN_OR_RETURN(std::string text, Render(g, Format::kToml));
  auto loaded = config::LoadPolicyString(text, "<generated profile>");
  if (!loaded.ok()) return core::Error("generated profile does not load: " + loaded.error().message());
  g.policy = std::move(*loaded);
  g.policy.source = "pwnbox profile";
  auto program = filters::Compile(g.policy);
  if (!program.ok()) return core::Error("generated profile does not compile: " + program.error().message());

  PWNBOX_RETURN_IF_ERROR(SelfCheck(g.policy, obs));
  return g;
}

}  // namespace pwnbox::profile
