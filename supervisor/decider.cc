#include "supervisor/decider.h"

#include "supervisor/emulator.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/fd.h"

#include <cstring>

#include <algorithm>
#include <cerrno>
#include <cstdio>

namespace pwnbox::supervisor {

Reporter::Reporter(int fd, const config::Policy& policy)
    : fd_(fd), policy_(policy), decoder_(core::DecodeOptions{}) {}

core::DecodedCall Reporter::DecodeEntry(const core::SyscallCall& call,
                                        core::TargetMemory& mem) const {
  core::DecodedCall d;
  decoder_.Entry(call, mem, &d);
  return d;
}

void Reporter::Report(pid_t pid, const core::SyscallCall& call, core::TargetMemory& mem,
                      const Verdict& verdict, std::optional<int64_t> ret,
                      const core::DecodedCall* entry) {
  core::DecodedCall d = entry ? *entry : DecodeEntry(call, mem);
  char prefix[32];
  snprintf(prefix, sizeof prefix, "[pid %5d] ", pid);
  std::string line = prefix;
  // The decoder finishes the line as trace would. When the call goes on in the kernel its
  // result is not known here: it is decoded as a failed call (what the kernel would write shows
  // as pointers, as strace shows it for a failure; flags after it decoded) and shown as `?`.
  core::SyscallCall done = call;
  done.ret = ret ? *ret : -EFAULT;
  decoder_.Exit(done, mem, &d);
  std::string text = d.Line(line.size());
  if (!ret) {
    const size_t at = text.rfind("= " + d.ret);
    if (at != std::string::npos) text = text.substr(0, at) + "= ?";
  }
  line += text;
  line += " /* pwnbox: ";
  if (verdict.complained) line += "--complain, would be ";
  if (verdict.foreign_abi) {
    line += "kill, the policy's abi does not list " + std::string(core::AbiName(call.abi));
  } else if (verdict.rule >= 0) {
    const auto& r = policy_.rules[static_cast<size_t>(verdict.rule)];
    line += r.action.ToString() + ", rule " + std::to_string(verdict.rule + 1) + " at " +
            r.Location();
    if (r.when && verdict.occurrence)
      line += ", occurrence " + std::to_string(verdict.occurrence) + " (when = \"" +
              r.when->ToString() + "\")";
  } else {
    line += policy_.default_action.ToString() + ", the default action";
  }
  line += " */\n";
  ssize_t ignored = write(fd_, line.data(), line.size());
  (void)ignored;
}

Decider::Decider(const config::Policy& policy, bool complain)
    : policy_(policy),
      complain_(complain),
      counts_(policy.rules.size()) {
  globs_.resize(policy.rules.size());
  for (size_t i = 0; i < policy.rules.size(); ++i) {
    for (const auto& p : policy.rules[i].paths) {
      globs_[i].emplace_back(p);
      if (policy.rules[i].action.kind != config::ActionKind::kProxy) continue;
      std::string dir = ProxyFixedDir(p);
      if (!dir.empty() && std::find(remote_dirs_.begin(), remote_dirs_.end(), dir) ==
                              remote_dirs_.end())
        remote_dirs_.push_back(std::move(dir));
    }
  }
}

std::optional<std::string> Decider::Unsupported(const config::Policy& policy) {
  for (const auto& r : policy.rules) {
    if (r.action.kind == config::ActionKind::kRedirect) {
      for (const auto& name : r.names)
        // Redirect is always carried out race-free through notify, by emulation.
        if (PathArgsOf(name).empty() || !CanEmulate(name))
          return r.Location() + ": redirect cannot apply to " + name +
                 (PathArgsOf(name).empty()
                      ? ", which takes no path"
                      : ": pwnbox does not emulate it (redirect serves the calls docs/policy.md "
                        "lists under Path rules); remove it from the rule");
    } else if (r.action.kind == config::ActionKind::kProxy) {
      for (const auto& name : r.names)
        if (!CanProxy(name))
          return r.Location() + ": proxy cannot serve " + name +
                 " yet (it serves the open, stat, access and readlink families, mkdir, rmdir, "
                 "unlink, rename, link, symlink, chmod, truncate, uname, getrandom, connect, bind and "
                 "sendto; docs/proxy.md)";
      const std::string& b = r.action.backend;
      if (b.rfind("unix:", 0) != 0 && b.rfind("exec:", 0) != 0)
        return r.Location() + ": backend \"" + b +
               "\" is neither unix:PATH nor exec:COMMAND (docs/proxy.md)";
    }
  }
  return std::nullopt;
}

bool CanProxy(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "open",     "openat",    "openat2",   "creat",      "stat",     "lstat",
      "newfstatat", "statx",   "access",    "faccessat",  "faccessat2", "readlink",
      "readlinkat", "mkdir",   "mkdirat",   "rmdir",      "unlink",   "unlinkat",
      "rename",   "renameat",  "renameat2", "link",       "linkat",   "symlink",
      "symlinkat", "chmod",    "fchmodat",  "truncate",   "uname",    "getrandom", "connect",
      "bind",     "sendto"};
  for (auto n : kNames)
    if (n == name) return true;
  return false;
}

std::string ProxyFixedDir(const std::string& pattern) {
  if (pattern.empty() || pattern[0] != '/') return "";
  std::string fixed;
  size_t pos = 1;
  while (pos <= pattern.size()) {
    size_t end = pattern.find('/', pos);
    if (end == std::string::npos) break;  // the last component is never part of the directory
    const std::string comp = pattern.substr(pos, end - pos);
    if (comp.find_first_of("*?[") != std::string::npos) break;
    fixed += "/" + comp;
    pos = end + 1;
  }
  return fixed;
}

std::string ProxyPath(const std::string& path, const std::string* pattern) {
  if (!pattern) return path;
  const std::string fixed = ProxyFixedDir(*pattern);
  if (fixed.empty()) return path;
  if (path == fixed) return "/";
  if (path.size() > fixed.size() && path.compare(0, fixed.size(), fixed) == 0 &&
      path[fixed.size()] == '/')
    return path.substr(fixed.size());
  return path;
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
    case K::kProxy: v.kind = Verdict::Kind::kProxy; v.proxy = &action; break;
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

uint64_t Decider::occurrences(int rule) const {
  return counts_.Get(rule);
}

bool Decider::Occurs(int idx, CallCounts* counts) {
  const auto& when = policy_.rules[static_cast<size_t>(idx)].when;
  if (!when) return true;
  for (const auto& [rule, n] : counts->taken)
    if (rule == idx) return when->Matches(n);
  // One atomic step: concurrent calls each get their own number.
  const uint64_t n = counts->set->Take(idx);
  counts->taken.push_back({idx, n});
  return when->Matches(n);
}

void Decider::StampOccurrence(Verdict* v, const CallCounts& counts) {
  for (const auto& [rule, n] : counts.taken)
    if (rule == v->rule) v->occurrence = n;
}

int Decider::SkipOccurrences(const core::SyscallCall& call, const uint64_t args[6], int idx,
                             CallCounts* counts) {
  while (idx >= 0) {
    const auto& rule = policy_.rules[static_cast<size_t>(idx)];
    if (!rule.paths.empty() || Occurs(idx, counts)) return idx;
    idx = filters::FirstMatch(policy_, call.abi, call.nr, args, static_cast<size_t>(idx) + 1);
  }
  return idx;
}

Verdict Decider::Decide(core::Abi abi, int nr, const uint64_t args[6]) {
  if (auto v = ForeignAbi(abi)) return Finish(std::move(*v), abi, nr);
  core::SyscallCall call;
  call.abi = abi;
  call.nr = nr;
  CallCounts counts{&counts_, {}};
  Verdict v = ForMatch(SkipOccurrences(call, args, filters::FirstMatch(policy_, abi, nr, args),
                                       &counts));
  StampOccurrence(&v, counts);
  return Finish(std::move(v), abi, nr);
}

namespace {

// The call's arguments as the kernel's entry code for its ABI passes them on: i386 calls take
// 32-bit registers (the ia32 wrappers truncate them; pointers are zero-extended, a dirfd is
// the int in the low half).
void KernelArgs(const core::SyscallCall& call, uint64_t out[6]) {
  for (int i = 0; i < 6; ++i)
    out[i] = call.abi == core::Abi::kI386 ? (call.args[i] & 0xffffffffu) : call.args[i];
}

// openat2(2)'s struct open_how, read once and checked as fs/open.c does before any lookup
// (sys_openat2 and build_open_flags): the errno is the kernel's.
core::Result<Verdict::OpenHow> ReadOpenHow(core::TargetMemory& mem, uint64_t addr,
                                           uint64_t usize) {
  constexpr uint64_t kVer0 = 24;   // OPEN_HOW_SIZE_VER0
  constexpr uint64_t kPage = 4096;
  constexpr uint64_t kTmpfile = 020000000;  // __O_TMPFILE (O_TMPFILE includes O_DIRECTORY)
  constexpr uint64_t kValidFlags = O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND |
                                   O_NONBLOCK | O_SYNC | O_DSYNC | FASYNC | O_DIRECT |
                                   O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME |
                                   O_CLOEXEC | O_PATH | kTmpfile;
  constexpr uint64_t kPathFlags = O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC;
  constexpr uint64_t kValidResolve = RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS |
                                     RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_IN_ROOT |
                                     0x20 /* RESOLVE_CACHED */;
  if (usize < kVer0) return core::Error("open_how smaller than version 0", EINVAL);
  if (usize > kPage) return core::Error("open_how larger than a page", E2BIG);
  uint64_t raw[3];
  if (mem.Read(addr, raw, sizeof raw) != static_cast<ssize_t>(sizeof raw))
    return core::Error("unreadable open_how", EFAULT);
  if (usize > kVer0) {
    // copy_struct_from_user(): a larger struct is accepted only if its tail is zero.
    char tail[kPage];
    const size_t n = static_cast<size_t>(usize - kVer0);
    if (mem.Read(addr + kVer0, tail, n) != static_cast<ssize_t>(n))
      return core::Error("unreadable open_how", EFAULT);
    for (size_t i = 0; i < n; ++i)
      if (tail[i]) return core::Error("open_how with unknown fields", E2BIG);
  }
  Verdict::OpenHow how{raw[0], raw[1], raw[2]};
  const uint64_t flags = how.flags & ~uint64_t{O_CLOEXEC};
  auto invalid = [] { return core::Error("invalid open_how", EINVAL); };
  if (flags & ~kValidFlags) return invalid();
  if (how.resolve & ~kValidResolve) return invalid();
  if ((how.resolve & RESOLVE_BENEATH) && (how.resolve & RESOLVE_IN_ROOT)) return invalid();
  const bool creates = (flags & O_CREAT) || (flags & kTmpfile) == kTmpfile;
  if (creates ? (how.mode & ~uint64_t{07777}) : how.mode) return invalid();
  if ((flags & (O_DIRECTORY | O_CREAT)) == (O_DIRECTORY | O_CREAT)) return invalid();
  if (flags & kTmpfile) {
    if (!(flags & O_DIRECTORY) || (flags & O_ACCMODE) == O_RDONLY) return invalid();
  }
  if ((flags & O_PATH) && (flags & ~kPathFlags)) return invalid();
  if ((how.resolve & 0x20) && (flags & (O_TRUNC | O_CREAT | kTmpfile)))
    return core::Error("RESOLVE_CACHED with O_CREAT, O_TRUNC or O_TMPFILE", EAGAIN);
  return how;
}

// The order in which verdicts win when a call's paths are decided differently.
int Severity(Verdict::Kind k) {
  using K = Verdict::Kind;
  switch (k) {
    case K::kKillProcess: return 6;
    case K::kKillThread: return 5;
    case K::kTrap: return 4;
    case K::kFail: return 3;
    case K::kReturn: return 2;
    case K::kRedirect:
    case K::kModify:
    case K::kProxy: return 1;
    case K::kContinue: return 0;
  }
  return 6;
}

#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

// What a tcp_ports rule needs of a connect/bind call (config/policy.h): the port its address
// names when the socket is TCP. Read once, from the target's fd table and memory.
struct TcpCall {
  enum class Kind {
    kNoPort,   // not a TCP call naming a port: tcp_ports rules do not match it
    kPort,     // a TCP socket and an address naming `port`
    kUnknown,  // the supervisor could not tell (fail closed)
  } kind = Kind::kNoPort;
  uint16_t port = 0;
  int err = 0;  // kUnknown: why
};

// Landlock's reading (security/landlock/net.c), applied to a TCP socket (domain AF_INET or
// AF_INET6, SOCK_STREAM, IPPROTO_TCP): connect and bind name the port of an AF_INET address of
// at least 16 bytes or an AF_INET6 one of at least 24 (SIN6_LEN_RFC2133); bind also that of an
// AF_UNSPEC address of an AF_INET socket when it is INADDR_ANY of at least 16 bytes (the kernel
// binds it as AF_INET). Anything else (not a socket, another kind, another family, a short,
// oversized or unreadable address) names no port: the kernel then fails or performs the call
// whatever its port, as Landlock lets it.
TcpCall ReadTcpCall(const core::SyscallCall& call, const uint64_t args[6], core::TargetMemory& mem,
                    bool bind) {
  TcpCall out;
  const int64_t addrlen = static_cast<int32_t>(args[2]);
  if (addrlen < 2 || addrlen > static_cast<int64_t>(sizeof(sockaddr_storage))) return out;
  long pidfd = syscall(SYS_pidfd_open, call.pid, PIDFD_THREAD);
  if (pidfd < 0 && errno == EINVAL) pidfd = syscall(SYS_pidfd_open, call.pid, 0);
  if (pidfd < 0) return {TcpCall::Kind::kUnknown, 0, errno};
  core::UniqueFd pid_fd(static_cast<int>(pidfd));
  long sfd = syscall(SYS_pidfd_getfd, pid_fd.get(), static_cast<int>(args[0]), 0);
  if (sfd < 0) {
    if (errno == EBADF) return out;  // the kernel fails the call with EBADF
    return {TcpCall::Kind::kUnknown, 0, errno};
  }
  core::UniqueFd sock(static_cast<int>(sfd));
  int domain = 0, type = 0, protocol = 0;
  socklen_t len = sizeof(int);
  if (getsockopt(sock.get(), SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) {
    if (errno == ENOTSOCK) return out;  // the kernel fails the call with ENOTSOCK
    return {TcpCall::Kind::kUnknown, 0, errno};
  }
  len = sizeof(int);
  if (getsockopt(sock.get(), SOL_SOCKET, SO_TYPE, &type, &len) != 0)
    return {TcpCall::Kind::kUnknown, 0, errno};
  len = sizeof(int);
  if (getsockopt(sock.get(), SOL_SOCKET, SO_PROTOCOL, &protocol, &len) != 0)
    return {TcpCall::Kind::kUnknown, 0, errno};
  if ((domain != AF_INET && domain != AF_INET6) || type != SOCK_STREAM || protocol != IPPROTO_TCP)
    return out;
  sockaddr_storage ss{};
  if (mem.Read(args[1], &ss, static_cast<size_t>(addrlen)) != addrlen) return out;  // EFAULT
  const sa_family_t family = ss.ss_family;
  const auto* in4 = reinterpret_cast<const sockaddr_in*>(&ss);
  if (family == AF_INET && addrlen >= static_cast<int64_t>(sizeof(sockaddr_in)))
    return {TcpCall::Kind::kPort, ntohs(in4->sin_port), 0};
  if (family == AF_INET6 && addrlen >= 24)
    return {TcpCall::Kind::kPort, ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port), 0};
  if (bind && family == AF_UNSPEC && domain == AF_INET &&
      addrlen >= static_cast<int64_t>(sizeof(sockaddr_in)) && in4->sin_addr.s_addr == htonl(INADDR_ANY))
    return {TcpCall::Kind::kPort, ntohs(in4->sin_port), 0};
  return out;
}

bool PortListed(const std::vector<config::PortRange>& ports, uint16_t port) {
  for (const auto& r : ports)
    if (r.Contains(port)) return true;
  return false;
}

}  // namespace

core::Result<std::vector<ResolvedPath>> Decider::ResolvePaths(
    const core::SyscallCall& call, core::TargetMemory& mem,
    std::optional<Verdict::OpenHow>* open_how) {
  std::vector<ResolvedPath> out;
  const std::string_view name = core::SyscallName(call.nr, call.abi);
  uint64_t args[6];
  KernelArgs(call, args);
  ResolveOptions how_options;
  const bool is_openat2 = name == "openat2";
  if (is_openat2) {
    // Read once, before the path (as the kernel does): the emulator acts on this copy.
    auto how = ReadOpenHow(mem, args[2], args[3]);
    if (!how.ok()) return how.error();
    *open_how = *how;
    const uint64_t f = how->flags;
    how_options.follow_final = !(f & O_NOFOLLOW) && !((f & O_CREAT) && (f & O_EXCL));
    how_options.resolve = how->resolve;
  }
  for (const PathArg& arg : PathArgsOf(name, call.abi)) {
    if (!IsPathInCall(arg, args)) continue;
    const uint64_t addr = args[arg.path];
    int dirfd = arg.dirfd >= 0 ? static_cast<int>(args[arg.dirfd]) : AT_FDCWD;
    ResolveOptions ro = how_options;
    if (!is_openat2) ro.follow_final = FollowsFinal(arg, args);
    ro.empty_path = EmptyPathAllowed(arg, args);
    std::string raw;
    if (addr == 0 && (arg.nullable || ro.empty_path)) {
      ro.empty_path = true;  // utimensat(fd, NULL, ...), statx(fd, NULL, AT_EMPTY_PATH): the fd
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
    if (!remote_dirs_.empty()) ro.remote = &remote_dirs_;
    auto view = resolver_ ? resolver_(call.pid, dirfd, raw, ro)
                          : ResolveTargetPath(call.pid, dirfd, raw, ro);
    if (!view.ok()) return view.error();
    ResolvedPath resolved{arg, std::move(*view), std::nullopt};
    if (resolved.view.remote) {
      ro.remote = nullptr;
      resolved.local = ResolvedPath::Local{std::move(raw), dirfd, ro};
    }
    out.push_back(std::move(resolved));
  }
  return out;
}

int Decider::MatchPath(const core::SyscallCall& call, int idx, const ResolvedPath* p,
                       CallCounts* counts) {
  while (idx >= 0) {
    const auto& rule = policy_.rules[static_cast<size_t>(idx)];
    bool matches = rule.paths.empty();
    if (!matches && p != nullptr && !p->view.detached)
      for (const auto& g : globs_[static_cast<size_t>(idx)])
        if (g.Matches(p->view.path)) matches = true;
    if (matches && Occurs(idx, counts)) return idx;
    uint64_t args[6];
    KernelArgs(call, args);
    idx = filters::FirstMatch(policy_, call.abi, call.nr, args, static_cast<size_t>(idx) + 1);
  }
  return idx;
}

Verdict Decider::Decide(const core::SyscallCall& call, core::TargetMemory& mem) {
  OccurrenceCounts* set = counts_of_ ? counts_of_(call.pid) : nullptr;
  return Decide(call, mem, set != nullptr ? set : &counts_);
}

Verdict Decider::Decide(const core::SyscallCall& call, core::TargetMemory& mem,
                        OccurrenceCounts* set) {
  if (auto v = ForeignAbi(call.abi)) return Finish(std::move(*v), call.abi, call.nr);
  uint64_t args[6];
  KernelArgs(call, args);
  CallCounts counts{set, {}};
  // Rules with `when` but no paths before the first path rule are counted now: a call they do
  // not take goes on to the next rule.
  int first =
      SkipOccurrences(call, args, filters::FirstMatch(policy_, call.abi, call.nr, args), &counts);
  // tcp_ports rules match only TCP calls naming a listed port (ReadTcpCall, read once); the
  // others go on to the next rules. Undecidable: denied (fail closed).
  std::optional<TcpCall> tcp;
  while (first >= 0 && !policy_.rules[static_cast<size_t>(first)].tcp_ports.empty()) {
    if (!tcp) tcp = ReadTcpCall(call, args, mem, core::SyscallName(call.nr, call.abi) == "bind");
    if (tcp->kind == TcpCall::Kind::kUnknown) {
      Verdict v;
      v.kind = Verdict::Kind::kFail;
      v.value = EACCES;
      v.rule = first;
      v.undecided = true;
      return Finish(std::move(v), call.abi, call.nr);
    }
    if (tcp->kind == TcpCall::Kind::kPort &&
        PortListed(policy_.rules[static_cast<size_t>(first)].tcp_ports, tcp->port))
      break;
    first = SkipOccurrences(
        call, args,
        filters::FirstMatch(policy_, call.abi, call.nr, args, static_cast<size_t>(first) + 1),
        &counts);
  }
  const bool needs_paths =
      first >= 0 && !policy_.rules[static_cast<size_t>(first)].paths.empty();
  if (!needs_paths) {
    Verdict v = ForMatch(first);
    StampOccurrence(&v, counts);
    const bool proxied_path = v.kind == Verdict::Kind::kProxy &&
                              !PathArgsOf(core::SyscallName(call.nr, call.abi)).empty();
    if (v.kind == Verdict::Kind::kRedirect || proxied_path) {
      // The emulator needs the path it replaces (and openat2's open_how); the proxy, the path
      // it sends.
      auto resolved = ResolvePaths(call, mem, &v.open_how);
      if (!resolved.ok()) {
        v.kind = Verdict::Kind::kFail;
        v.value = resolved.error().sys_errno() ? resolved.error().sys_errno() : EINVAL;
        v.resolution_failed = true;
        return Finish(std::move(v), call.abi, call.nr);
      }
      v.path_checked = true;
      v.paths = std::move(*resolved);
    }
    return Finish(std::move(v), call.abi, call.nr);
  }

  std::optional<Verdict::OpenHow> open_how;
  auto resolved = ResolvePaths(call, mem, &open_how);
  if (!resolved.ok()) {
    // The kernel would fail the call the same way (missing directory, loop, bad pointer,
    // invalid open_how, EXDEV under RESOLVE_BENEATH, ...).
    Verdict v;
    v.kind = Verdict::Kind::kFail;
    v.value = resolved.error().sys_errno() ? resolved.error().sys_errno() : EINVAL;
    v.rule = first;
    v.path_checked = true;
    v.resolution_failed = true;
    return Finish(std::move(v), call.abi, call.nr);
  }
  std::vector<ResolvedPath>& paths = *resolved;

  // Each path is decided on its own (first match among the rules that name no path or a
  // pattern matching it); the most restrictive of those verdicts decides the call.
  Verdict v;
  size_t winner = 0;
  bool redirect_elsewhere = false;  // a path other than the first is to be redirected
  std::vector<int> rules_of;        // the proxy rule deciding each path (-2: none)
  auto decide = [&] {
    v = Verdict{};
    winner = 0;
    redirect_elsewhere = false;
    rules_of.clear();
    if (paths.empty()) {
      v = ForMatch(MatchPath(call, first, nullptr, &counts));
      return;
    }
    bool report = false;
    for (size_t i = 0; i < paths.size(); ++i) {
      Verdict vi = ForMatch(MatchPath(call, first, &paths[i], &counts));
      rules_of.push_back(vi.kind == Verdict::Kind::kProxy ? vi.rule : -2);
      report = report || vi.report;
      if (i > 0 && vi.kind == Verdict::Kind::kRedirect) redirect_elsewhere = true;
      // Ties: the earlier argument's rule, unless only the later one reports (so that the
      // report names the rule asking for it).
      const bool wins = i == 0 || Severity(vi.kind) > Severity(v.kind) ||
                        (Severity(vi.kind) == Severity(v.kind) && vi.report && !v.report);
      if (wins) {
        v = std::move(vi);
        winner = i;
      }
    }
    v.report = report;
  };
  decide();
  // A path the walk left to a proxy backend (PathView::remote) stands only when that rule
  // proxies the call; anything else acts here, on the path as resolved here (which may fail:
  // the backend's directories need not exist locally).
  bool remote_ok = v.kind == Verdict::Kind::kProxy;
  bool any_remote = false;
  for (size_t i = 0; i < paths.size(); ++i)
    if (paths[i].view.remote) {
      any_remote = true;
      remote_ok = remote_ok && rules_of[i] == v.rule;
    }
  if (any_remote && !remote_ok) {
    for (ResolvedPath& p : paths) {
      if (!p.local) continue;
      auto view = ResolveTargetPath(call.pid, p.local->dirfd, p.local->raw, p.local->options);
      if (!view.ok()) {
        Verdict fail;
        fail.kind = Verdict::Kind::kFail;
        fail.value = view.error().sys_errno() ? view.error().sys_errno() : EINVAL;
        fail.rule = first;
        fail.path_checked = true;
        fail.resolution_failed = true;
        return Finish(std::move(fail), call.abi, call.nr);
      }
      p.view = std::move(*view);
      p.local.reset();
    }
    decide();
  }
  if (v.kind == Verdict::Kind::kRedirect && (winner != 0 || redirect_elsewhere)) {
    // Both backends redirect the first path only; anything else fails closed.
    v.kind = Verdict::Kind::kFail;
    v.value = ENOSYS;
  }
  if (v.kind == Verdict::Kind::kProxy) {
    // Every path of a proxied call must be the same rule's (rename and link name two): one
    // path proxied and the other not would cross between the backend's tree and the local
    // one, which fails as a rename across mounts does. The pattern that matched each path
    // says how the backend sees it (ProxyPath).
    bool crosses = paths.empty();
    for (size_t i = 0; i < paths.size(); ++i)
      crosses = crosses || paths[i].view.detached || rules_of[i] != v.rule;
    if (crosses) {
      v.kind = Verdict::Kind::kFail;
      v.value = EXDEV;
    } else if (v.rule >= 0) {
      const size_t r = static_cast<size_t>(v.rule);
      for (const ResolvedPath& p : paths) {
        const std::string* pattern = nullptr;
        for (size_t k = 0; k < globs_[r].size() && !pattern; ++k)
          if (globs_[r][k].Matches(p.view.path)) pattern = &policy_.rules[r].paths[k];
        v.proxy_patterns.push_back(pattern);
      }
    }
  }
  v.path_checked = true;
  v.paths = std::move(paths);
  v.open_how = open_how;
  StampOccurrence(&v, counts);
  return Finish(std::move(v), call.abi, call.nr);
}

Verdict Decider::Finish(Verdict v, core::Abi abi, int nr) {
  decisions_.fetch_add(1);
  const bool denies = v.kind == Verdict::Kind::kFail || v.kind == Verdict::Kind::kKillProcess ||
                      v.kind == Verdict::Kind::kKillThread || v.kind == Verdict::Kind::kTrap;
  if (complain_ && denies && !v.resolution_failed) {
    // Nothing is denied; each (syscall, rule, paths) is reported once.
    std::string paths;
    for (const auto& p : v.paths) paths += p.view.path + '\0';
    std::lock_guard<std::mutex> lock(complain_mu_);
    const bool first = complained_.insert({abi, nr, v.rule, std::move(paths)}).second;
    if (!first) ++complaints_suppressed_;
    v.kind = Verdict::Kind::kContinue;
    v.report = first;
    v.complained = true;
  }
  return v;
}

}  // namespace pwnbox::supervisor
