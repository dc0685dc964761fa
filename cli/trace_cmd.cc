#include "cli/trace_cmd.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <algorithm>
#include <bitset>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/common.h"
#include "cli/options.h"
#include "cli/traced_policy.h"
#include "cli/traced_run.h"
#include "core/fd.h"
#include "core/syscalls.h"
#include "filters/trace_filter.h"
#include "config/policy.h"
#include "filters/filters.h"
#include "supervisor/decider.h"
#include "supervisor/launcher.h"
#include "supervisor/policy_tracer.h"
#include "supervisor/ptrace_monitor.h"
#include "supervisor/trace_writer.h"

namespace po = boost::program_options;

namespace pwnbox::cli {
namespace {

constexpr const char* kUsage =
    "usage: pwnbox trace [-f|--no-follow] [-o FILE] [-e QUALIFIER=SET]... [-c|-C [-w]] [-s N]\n"
    "                    [-a N] [-t|-tt|-ttt] [-T] [-y] [-n] [-v] [-X raw|abbrev|verbose]\n"
    "                    [-q|-qq] [-z|-Z] [--json] [--policy FILE] [--wait-all]\n"
    "                    (-- CMD [ARG...] | -p PID)\n"
    "QUALIFIER (as strace's -e): trace, signal, status, quiet, decode-fds, raw, verbose, abbrev\n";

supervisor::PtraceMonitor* g_monitor = nullptr;
volatile sig_atomic_t g_stop_signal = 0;

void OnSignal(int sig) {
  g_stop_signal = sig;
  if (g_monitor) g_monitor->RequestDetach();
}

// -e trace=SET → a selection. strace's rules: a leading '!' negates the whole set; items are
// names, numbers, @group / %group, all, none.
core::Result<filters::TraceSelection> ParseTraceSet(const std::string& expr) {
  filters::TraceSelection sel;
  std::string set = expr;
  if (set.rfind("trace=", 0) == 0) set = set.substr(6);
  else if (set.find('=') != std::string::npos)
    return core::Error("-e " + expr + ": only -e trace=SET is supported");
  bool negate = false;
  if (!set.empty() && set[0] == '!') {
    negate = true;
    set = set.substr(1);
  }
  std::set<std::string> names;
  std::set<int> numbers;
  bool all = false;
  size_t pos = 0;
  while (pos <= set.size()) {
    size_t end = set.find(',', pos);
    if (end == std::string::npos) end = set.size();
    std::string item = set.substr(pos, end - pos);
    pos = end + 1;
    if (item.empty()) continue;
    if (item == "all") {
      all = true;
    } else if (item == "none") {
    } else if (item[0] == '@' || item[0] == '%') {
      const core::SyscallGroup* g = core::FindGroup(item);
      if (!g) return core::Error("-e trace: unknown group \"" + item + "\" (see `pwnbox groups`)");
      for (auto m : g->members) names.insert(std::string(m));
    } else if (isdigit(static_cast<unsigned char>(item[0]))) {
      int nr = std::stoi(item);
      if (core::SyscallName(nr).empty())
        return core::Error("-e trace: no x86_64 syscall has number " + item);
      numbers.insert(nr);
    } else {
      bool known = false;
      for (auto abi : {core::Abi::kX86_64, core::Abi::kI386, core::Abi::kX32})
        known |= core::SyscallNumber(item, abi).has_value();
      if (!known) {
        std::string msg = "-e trace: unknown syscall \"" + item + "\"";
        auto hints = core::SuggestSyscalls(item);
        if (!hints.empty()) msg += " (did you mean \"" + hints[0] + "\"?)";
        return core::Error(msg);
      }
      names.insert(item);
    }
  }
  if (all) {
    sel.all = !negate;  // "!all" traces nothing
    return sel;
  }
  sel.all = false;
  if (negate) {
    for (auto abi : {core::Abi::kX86_64, core::Abi::kI386}) {
      for (int nr : core::AllSyscalls(abi)) {
        std::string name(core::SyscallName(nr, abi));
        auto n64 = core::SyscallNumber(name);
        if (!names.count(name) && !(n64 && numbers.count(*n64))) sel.names.push_back(name);
      }
    }
  } else {
    sel.names.assign(names.begin(), names.end());
    sel.numbers.assign(numbers.begin(), numbers.end());
  }
  return sel;
}

// The items of an -e QUALIFIER=SET whose elements are words (signal=, status=, quiet=,
// decode-fds=), as strace reads them: a leading '!' negates the whole set; "all" and "none";
// `lookup` gives an item's index (-1: unknown). Returns the chosen indices as a bitset.
core::Result<std::bitset<65>> ParseWordSet(const std::string& qualifier, std::string set,
                                           size_t count,
                                           const std::function<int(const std::string&)>& lookup,
                                           const std::string& known) {
  std::bitset<65> bits;
  bool negate = false;
  if (!set.empty() && set[0] == '!') {
    negate = true;
    set = set.substr(1);
  }
  std::stringstream items(set);
  std::string item;
  while (std::getline(items, item, ',')) {
    if (item.empty()) continue;
    std::string lower = item;
    for (char& ch : lower) ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
    if (lower == "all") {
      for (size_t i = 0; i < count; ++i) bits.set(i);
    } else if (lower == "none") {
      bits.reset();
    } else {
      const int i = lookup(lower);
      if (i < 0)
        return core::Error("-e " + qualifier + ": unknown " + qualifier + " \"" + item + "\"" +
                           (known.empty() ? "" : " (known: " + known + ")"));
      bits.set(static_cast<size_t>(i));
    }
  }
  if (negate)
    for (size_t i = 0; i < count; ++i) bits.flip(i);
  return bits;
}

// A signal as -e signal= names it: SIGUSR1, USR1, usr1, 10. -1: none.
int SignalNumber(const std::string& lower) {
  if (!lower.empty() && isdigit(static_cast<unsigned char>(lower[0]))) {
    const int n = atoi(lower.c_str());
    return n >= 1 && n <= 64 ? n : -1;
  }
  for (int sig = 1; sig <= 64; ++sig) {
    std::string name(core::SignalName(sig));
    for (char& ch : name) ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
    if (name == lower || (name.rfind("sig", 0) == 0 && name.substr(3) == lower)) return sig;
  }
  return -1;
}

int IndexIn(const std::vector<std::string>& words, const std::string& w) {
  for (size_t i = 0; i < words.size(); ++i)
    if (words[i] == w) return static_cast<int>(i);
  return -1;
}

std::function<bool(core::Abi, int)> Selector(const filters::TraceSelection& selection) {
  std::set<std::pair<int, int>> wanted;
  for (const auto& n : selection.names)
    for (auto abi : {core::Abi::kX86_64, core::Abi::kI386, core::Abi::kX32})
      if (auto nr = core::SyscallNumber(n, abi)) wanted.insert({static_cast<int>(abi), *nr});
  for (int nr : selection.numbers) wanted.insert({0, nr});
  return [wanted](core::Abi abi, int nr) { return wanted.count({static_cast<int>(abi), nr}) > 0; };
}

std::optional<std::string> FdPath(pid_t pid, int fd) {
  char link[64], target[4096];
  if (fd == AT_FDCWD) snprintf(link, sizeof link, "/proc/%d/cwd", pid);
  else snprintf(link, sizeof link, "/proc/%d/fd/%d", pid, fd);
  ssize_t n = readlink(link, target, sizeof target - 1);
  if (n < 0) return std::nullopt;
  return std::string(target, static_cast<size_t>(n));
}

// Sends the sock_diag request `req` and calls `fn` on each answer until it returns true (found)
// or the answers end.
void SockDiag(const void* req, size_t len, const std::function<bool(const nlmsghdr*)>& fn) {
  core::UniqueFd fd(socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  if (!fd) return;
  sockaddr_nl nl{};
  nl.nl_family = AF_NETLINK;
  if (sendto(fd.get(), req, len, 0, reinterpret_cast<sockaddr*>(&nl), sizeof nl) < 0) return;
  alignas(nlmsghdr) char buf[32768];
  for (;;) {
    const ssize_t n = recv(fd.get(), buf, sizeof buf, 0);
    if (n <= 0) return;
    int left = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) return;
      if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY && fn(h)) return;
    }
  }
}

// strace -yy's text for a UNIX socket: "UNIX-STREAM:[INO->PEER]", "UNIX:[INO,@\"name\"]".
std::optional<std::string> UnixSocketInfo(const std::string& proto, uint32_t ino) {
  struct {
    nlmsghdr nlh;
    unix_diag_req req;
  } r{};
  r.nlh.nlmsg_len = sizeof r;
  r.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  r.nlh.nlmsg_flags = NLM_F_REQUEST;
  r.req.sdiag_family = AF_UNIX;
  r.req.udiag_states = ~0u;
  r.req.udiag_ino = ino;
  r.req.udiag_cookie[0] = r.req.udiag_cookie[1] = ~0u;
  r.req.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER;
  std::optional<std::string> out;
  SockDiag(&r, sizeof r, [&](const nlmsghdr* h) {
    const auto* m = static_cast<const unix_diag_msg*>(NLMSG_DATA(h));
    if (m->udiag_ino != ino) return false;
    uint32_t peer = 0;
    std::optional<std::string> name;
    int len = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
    for (auto* a = reinterpret_cast<const rtattr*>(m + 1); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
      if (a->rta_type == UNIX_DIAG_NAME)
        name.emplace(static_cast<const char*>(RTA_DATA(a)), RTA_PAYLOAD(a));
      else if (a->rta_type == UNIX_DIAG_PEER && RTA_PAYLOAD(a) >= sizeof peer)
        memcpy(&peer, RTA_DATA(a), sizeof peer);
    }
    if (!peer && !name) return true;  // nothing to say but the inode: not kept, as strace
    std::string s = proto + ":[" + std::to_string(ino);
    if (peer) s += "->" + std::to_string(peer);
    if (name) {
      s += ',';
      std::string n = *name;
      if (!n.empty() && n[0] == '\0') {  // abstract: strace's '@'
        s += '@';
        n.erase(0, 1);
      }
      n = n.substr(0, n.find('\0'));
      s += core::QuoteString(n, SIZE_MAX);
    }
    s += ']';
    out = std::move(s);
    return true;
  });
  return out;
}

// strace -yy's text for an inet socket: "TCP:[127.0.0.1:80->127.0.0.1:4242]",
// "UDPv6:[[::1]:53]".
std::optional<std::string> InetSocketInfo(const std::string& proto, uint32_t ino, int family,
                                          int protocol) {
  struct {
    nlmsghdr nlh;
    inet_diag_req_v2 req;
  } r{};
  r.nlh.nlmsg_len = sizeof r;
  r.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  r.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  r.req.sdiag_family = static_cast<uint8_t>(family);
  r.req.sdiag_protocol = static_cast<uint8_t>(protocol);
  r.req.idiag_states = ~0u;
  std::optional<std::string> out;
  auto endpoint = [family](const uint32_t* addr, uint16_t port) {
    char text[INET6_ADDRSTRLEN] = "";
    inet_ntop(family, addr, text, sizeof text);
    const std::string a = family == AF_INET6 ? "[" + std::string(text) + "]" : text;
    return a + ":" + std::to_string(ntohs(port));
  };
  SockDiag(&r, sizeof r, [&](const nlmsghdr* h) {
    const auto* m = static_cast<const inet_diag_msg*>(NLMSG_DATA(h));
    if (m->idiag_inode != ino) return false;
    static const uint32_t kZero[4] = {};
    std::string s = proto + ":[" + endpoint(m->id.idiag_src, m->id.idiag_sport);
    if (m->id.idiag_dport ||
        memcmp(m->id.idiag_dst, kZero, family == AF_INET6 ? 16 : 4) != 0)
      s += "->" + endpoint(m->id.idiag_dst, m->id.idiag_dport);
    s += ']';
    out = std::move(s);
    return true;
  });
  return out;
}

// -yy: a socket fd as strace prints it between <>: its protocol (the socket's
// system.sockprotoname) and what sock_diag says of it; "PROTO:[INO]" when it says nothing.
std::optional<std::string> FdSocket(pid_t pid, int fd) {
  const std::string link = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
  char target[128];
  const ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
  if (n <= 0) return std::nullopt;
  target[n] = '\0';
  unsigned long ino = 0;
  if (sscanf(target, "socket:[%lu]", &ino) != 1) return std::nullopt;
  char name[64];
  const ssize_t len = getxattr(link.c_str(), "system.sockprotoname", name, sizeof name - 1);
  if (len <= 0) return std::nullopt;
  name[len] = '\0';
  const std::string proto(name, strnlen(name, static_cast<size_t>(len)));
  const uint32_t i = static_cast<uint32_t>(ino);
  // As strace, what sock_diag said of an inode (more than the inode) is kept, in a slot of a
  // direct-mapped cache, and printed from there from then on: a socketpair's second end still
  // names its peer after the first end is closed.
  struct Slot {
    unsigned long ino = 0;
    std::string text;
  };
  static std::mutex mu;
  static auto* cache = new std::vector<Slot>(4096);
  std::lock_guard<std::mutex> lock(mu);
  Slot& slot = (*cache)[ino % cache->size()];
  if (slot.ino == ino && !slot.text.empty()) return slot.text;
  std::optional<std::string> info;
  if (proto.rfind("UNIX", 0) == 0) info = UnixSocketInfo(proto, i);
  else if (proto == "TCP") info = InetSocketInfo(proto, i, AF_INET, IPPROTO_TCP);
  else if (proto == "UDP") info = InetSocketInfo(proto, i, AF_INET, IPPROTO_UDP);
  else if (proto == "TCPv6") info = InetSocketInfo(proto, i, AF_INET6, IPPROTO_TCP);
  else if (proto == "UDPv6") info = InetSocketInfo(proto, i, AF_INET6, IPPROTO_UDP);
  if (!info) return proto + ":[" + std::to_string(ino) + "]";
  slot = {ino, *info};
  return info;
}

// A field of /proc/PID/status ("TracerPid", "Uid"): its value, or empty.
std::string StatusField(const std::string& status_path, const std::string& field) {
  FILE* f = fopen(status_path.c_str(), "re");
  if (!f) return "";
  char line[512];
  std::string value;
  const std::string key = field + ":";
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, key.c_str(), key.size()) != 0) continue;
    const char* v = line + key.size();
    while (*v == ' ' || *v == '\t') ++v;
    value = v;
    while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
    break;
  }
  fclose(f);
  return value;
}

std::string Comm(pid_t pid) {
  FILE* f = fopen(("/proc/" + std::to_string(pid) + "/comm").c_str(), "re");
  if (!f) return "?";
  char buf[64] = "";
  if (!fgets(buf, sizeof buf, f)) buf[0] = '\0';
  fclose(f);
  std::string comm = buf;
  if (!comm.empty() && comm.back() == '\n') comm.pop_back();
  // Any process names itself: no control characters reach the terminal.
  for (char& c : comm)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return comm;
}

// Why the kernel refused to let us attach to `pid` (EPERM from PTRACE_SEIZE), from what /proc
// says of it and of us: the first reason that holds, in the kernel's order of checks.
std::string AttachRefusal(pid_t pid) {
  const std::string proc = "/proc/" + std::to_string(pid);
  // A task has one tracer at a time; any thread of the process may be the one that is taken.
  std::vector<std::string> statuses = {proc + "/status"};
  if (DIR* d = opendir((proc + "/task").c_str())) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') statuses.push_back(proc + "/task/" + e->d_name + "/status");
    closedir(d);
  }
  for (const auto& st : statuses) {
    const std::string tracer = StatusField(st, "TracerPid");
    if (!tracer.empty() && tracer != "0") {
      const pid_t t = static_cast<pid_t>(std::atol(tracer.c_str()));
      return "it is already traced by PID " + tracer + " (" + Comm(t) +
             "): a process has one tracer at a time; end that trace first";
    }
  }
  if (StatusField(proc + "/status", "Kthread") == "1") return "it is a kernel thread";
  const bool privileged = geteuid() == 0;  // (CAP_SYS_PTRACE, in practice)
  std::istringstream uids(StatusField(proc + "/status", "Uid"));
  unsigned long real = 0, effective = 0, saved = 0;
  if (!privileged && (uids >> real >> effective >> saved) &&
      (real != getuid() || effective != getuid() || saved != getuid()))
    return "it runs as uid " + std::to_string(effective) +
           ": attaching to another user's process needs root (CAP_SYS_PTRACE)";
  struct stat sb;
  // (The files of a non-dumpable process belong to root, its directory does not.)
  if (!privileged && stat((proc + "/status").c_str(), &sb) == 0 && sb.st_uid != getuid())
    return "it is not dumpable (a set-uid program, or prctl(PR_SET_DUMPABLE, 0)): only root "
           "can attach";
  FILE* yama = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
  if (yama) {
    int scope = 0;
    const bool read = fscanf(yama, "%d", &scope) == 1;
    fclose(yama);
    if (read && scope > 0)
      return "/proc/sys/kernel/yama/ptrace_scope is " + std::to_string(scope) +
             (scope == 1 ? " (only a parent may trace its descendants; root may attach)"
                         : scope == 2 ? " (only root may attach)" : " (no process may attach)");
  }
  return "the kernel refused (not traced, same user, no Yama: a security module or a "
         "sandbox around pwnbox forbids ptrace)";
}

}  // namespace

int TraceCommand(int argc, char** argv) {
  SplitArgs split =
      SplitCommand(argc, argv, 1, {"-o", "-e", "-s", "-p", "--policy", "-a", "-X"});
  // strace spells timestamps -t, -tt, -ttt: give them one option with a level. Its shorthands
  // for -e qualifiers (-q, -qq, -z, -Z, -v, -y, -yy, --signal=SET, ...) become the -e they
  // stand for, in their place: the last one given wins, as in strace.
  std::vector<std::string> opts;
  const std::vector<std::pair<std::string, std::string>> shorthands = {
      {"-q", "quiet=attach,personality"},
      {"--quiet", "quiet=attach,personality"},
      {"-qq", "quiet=attach,personality,exit"},
      {"-z", "status=successful"},
      {"--successful-only", "status=successful"},
      {"-Z", "status=failed"},
      {"--failed-only", "status=failed"},
      {"-v", "abbrev=none"},
      {"--no-abbrev", "abbrev=none"},
      {"-y", "decode-fds=path"},
      {"--decode-fds", "decode-fds=path"},
      {"-yy", "decode-fds=path,socket"},
  };
  for (const auto& o : split.options) {
    bool done = false;
    for (const auto& [flag, expr] : shorthands) {
      if (o == flag) {
        opts.push_back("--expr=" + expr);
        done = true;
      }
    }
    for (const char* q : {"--signal=", "--status=", "--quiet=", "--decode-fds=", "--raw=",
                          "--verbose=", "--abbrev=", "--trace="}) {
      if (!done && o.rfind(q, 0) == 0) {
        opts.push_back("--expr=" + o.substr(2));
        done = true;
      }
    }
    if (done) continue;
    if (o == "-t" || o == "-tt" || o == "-ttt") opts.push_back("--timestamps=" + std::to_string(o.size() - 1));
    else opts.push_back(o);
  }

  po::options_description desc("pwnbox trace options");
  std::string output, policy;
  std::vector<std::string> exprs;
  long long strsize = 32;  // signed: `-s -5` is refused, not read as a huge limit
  int timestamps = 0;
  long long columns = 40;
  std::string xlat_style = "abbrev";
  pid_t attach_pid = 0;
  desc.add_options()
      ("help,h", "show this help")
      ("follow,f", "follow forks, vforks, clones and execs (the default)")
      ("no-follow", "trace only the first task")
      ("output,o", po::value(&output), "write the trace to FILE instead of stderr")
      ("expr,e", po::value(&exprs),
       "QUALIFIER=SET, as strace's -e: trace=SET (names, numbers, @groups, %groups; ! "
       "negates; all, none); signal=SET (the signals shown: SIGUSR1, usr1, 10, ...); "
       "status=SET (the calls shown by their end: successful, failed, unfinished, "
       "unavailable, detached); quiet=SET (attach, exit, personality, path-resolution, "
       "thread-execve, superseded: pwnbox prints only the exit messages); "
       "decode-fds=SET (path: -y; socket: -yy); raw=SET (those calls' arguments and result in hex); "
       "verbose=SET (the others' structures as addresses); abbrev=SET (the others' large "
       "structures in full: execve's environment)")
      ("columns,a", po::value(&columns), "align the results (\" = \") at column N (40)")
      ("const-print-style,X", po::value(&xlat_style),
       "named constants and flags: abbrev (names, the default), raw (numbers, in hex), "
       "verbose (numbers, names in a comment)")
      ("no-abbrev,v", "print large structures in full (-e abbrev=none)")
      ("quiet,q", "-q: -e quiet=attach,personality; -qq: also quiet=exit (no \"+++ exited with "
       "N +++\")")
      ("successful-only,z", "print only calls that succeeded (-e status=successful)")
      ("failed-only,Z", "print only calls that failed (-e status=failed)")
      ("summary-only,c", "print a per-syscall summary instead of the trace; its times are "
       "the target's CPU time in each call (system time, as strace's)")
      ("summary,C", "print the trace and a summary")
      ("summary-wall-clock,w", "-c/-C: time each call from entry to exit, wall-clock, as "
       "strace -w (includes waiting and the tracer's overhead)")
      ("string-limit,s", po::value(&strsize), "print at most N bytes of strings (32)")
      ("timestamps", po::value(&timestamps), "-t (time), -tt (with usecs), -ttt (epoch)")
      ("syscall-times,T", "print the time spent in each call")
      ("decode-fds,y", "print the paths behind file descriptors (-e decode-fds=path); -yy: and "
       "sockets' protocol and addresses (decode-fds=path,socket)")
      ("syscall-number,n", "print the syscall number")
      ("json", "one JSON object per line")
      ("policy", po::value(&policy), "enforce POLICY while tracing")
      ("wait-all", "wait for every process the command started, as strace -f does; by default "
       "pwnbox ends with the command and kills what it left behind")
      ("attach,p", po::value(&attach_pid), "attach to a running process");
  po::variables_map vm;
  if (!ParseOptions(po::command_line_parser(opts), desc, &vm, "trace")) return kExitFailure;
  if (vm.count("help")) {
    std::cout << kUsage << desc;
    return 0;
  }
  if (vm.count("policy") && attach_pid)
    return Fail("--policy needs a command to start: a running process cannot be given a filter");
  if (attach_pid && !split.command.empty())
    return Fail("give either -p PID or a command, not both");
  if (!attach_pid && split.command.empty())
    return Fail("no command to trace: pwnbox trace [OPTIONS] -- CMD [ARG...] or -p PID");
  if (timestamps < 0 || timestamps > 3) return Fail("--timestamps must be 0..3");

  supervisor::TraceWriterOptions wopts;
  filters::TraceSelection selection;
  bool fd_paths = false;
  bool fd_sockets = false;
  for (const auto& e : exprs) {
    const size_t eq = e.find('=');
    std::string q = eq == std::string::npos ? "trace" : e.substr(0, eq);
    const std::string set = eq == std::string::npos ? e : e.substr(eq + 1);
    if (q == "trace" || q == "t") {
      auto sel = ParseTraceSet("trace=" + set);
      if (!sel.ok()) return Fail(sel.error());
      selection = *sel;
    } else if (q == "signal" || q == "signals" || q == "s") {
      auto bits = ParseWordSet("signal", set, 65, SignalNumber, "");
      if (!bits.ok()) return Fail(bits.error());
      wopts.signals = *bits;
    } else if (q == "status") {
      static const std::vector<std::string> kStatuses = {"successful", "failed", "unfinished",
                                                         "unavailable", "detached"};
      auto bits = ParseWordSet(
          "status", set, kStatuses.size(),
          [](const std::string& w) { return IndexIn(kStatuses, w); },
          "successful, failed, unfinished, unavailable, detached");
      if (!bits.ok()) return Fail(bits.error());
      wopts.status = static_cast<unsigned>(bits->to_ulong());
    } else if (q == "quiet" || q == "silent" || q == "silence" || q == "q") {
      // pwnbox prints none of strace's attach, personality, path-resolution and superseded
      // messages: only "exit" changes what it prints.
      static const std::vector<std::string> kQuiet = {
          "exit", "attach", "personality", "path-resolution", "thread-execve", "superseded"};
      auto bits = ParseWordSet(
          "quiet", set, kQuiet.size(), [](const std::string& w) { return IndexIn(kQuiet, w); },
          "attach, exit, path-resolution, personality, thread-execve, superseded");
      if (!bits.ok()) return Fail(bits.error());
      wopts.quiet_exit = bits->test(0);
    } else if (q == "decode-fds") {
      static const std::vector<std::string> kFds = {"path", "socket", "dev", "pidfd"};
      auto bits = ParseWordSet(
          "decode-fds", set, kFds.size(), [](const std::string& w) { return IndexIn(kFds, w); },
          "path, socket, dev, pidfd");
      if (!bits.ok()) return Fail(bits.error());
      for (size_t i = 2; i < kFds.size(); ++i)
        if (bits->test(i))
          return Fail("-e decode-fds=" + kFds[i] + ": not supported by pwnbox trace (only "
                      "decode-fds=path,socket: -y, -yy)");
      fd_paths = bits->test(0);
      fd_sockets = bits->test(1);
    } else if (q == "raw" || q == "x" || q == "verbose" || q == "v" || q == "abbrev" ||
               q == "a") {
      const std::string name = q == "x" ? "raw" : q == "v" ? "verbose" : q == "a" ? "abbrev" : q;
      auto sel = ParseTraceSet("trace=" + set);
      if (!sel.ok()) {
        std::string msg = sel.error().message();
        if (msg.rfind("-e trace", 0) == 0) msg = "-e " + name + msg.substr(8);
        return Fail(msg);
      }
      core::SyscallNameSet names;
      names.all = sel->all;
      names.names = sel->names;
      for (int nr : sel->numbers) names.names.emplace_back(core::SyscallName(nr));
      std::sort(names.names.begin(), names.names.end());
      if (name == "raw") wopts.decode.raw = names;
      else if (name == "verbose") wopts.decode.verbose = names;
      else wopts.decode.abbrev = names;
    } else {
      return Fail("-e " + q + "=: not supported by pwnbox trace (supported: trace, signal, "
                  "status, quiet, decode-fds, raw, verbose, abbrev)");
    }
  }
  if (columns < 0 || columns > 4096)
    return Fail("-a takes a column, 0 to 4096 (got " + std::to_string(columns) + ")");
  wopts.decode.column = static_cast<size_t>(columns);
  if (xlat_style == "abbrev") wopts.decode.xlat = core::XlatStyle::kAbbrev;
  else if (xlat_style == "raw") wopts.decode.xlat = core::XlatStyle::kRaw;
  else if (xlat_style == "verbose") wopts.decode.xlat = core::XlatStyle::kVerbose;
  else return Fail("-X " + xlat_style + ": expected raw, abbrev or verbose");

  wopts.json = vm.count("json") > 0;
  wopts.summary = vm.count("summary-only") || vm.count("summary");
  wopts.trace = !vm.count("summary-only");
  wopts.summary_wall = vm.count("summary-wall-clock") > 0;
  if (wopts.summary_wall && !wopts.summary)
    return Fail("-w times the summary: give it with -c or -C");
  wopts.timestamps = timestamps;
  wopts.durations = vm.count("syscall-times") > 0;
  wopts.numbers = vm.count("syscall-number") > 0;
  // Spawned, the target's filter stops only the selected calls; attached, every call stops.
  wopts.every_call_stops = attach_pid || selection.all;
  if (strsize < 0)
    return Fail("-s takes a number of bytes, 0 or more (got " + std::to_string(strsize) + ")");
  wopts.decode.string_limit = static_cast<size_t>(strsize);
  if (fd_paths) {
    wopts.decode.fd_paths = true;
    wopts.decode.fd_path = FdPath;
  }
  if (fd_sockets) wopts.decode.fd_socket = FdSocket;
  core::UniqueFd out_file;
  int out_fd = STDERR_FILENO;
  if (!output.empty()) {
    out_file.reset(open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!out_file) return Fail(core::ErrnoError(errno, "cannot open -o " + output));
    out_fd = out_file.get();
    wopts.flush_each_line = false;
  }

  supervisor::PtraceOptions popts;
  // Children inherit the trace filter, whose SECCOMP_RET_TRACE fails with ENOSYS in a task
  // nobody traces: with --no-follow they are still followed, only not printed.
  popts.follow = attach_pid ? !vm.count("no-follow") : true;
  wopts.only_main = vm.count("no-follow") > 0;
  popts.pin = getenv("PWNBOX_NO_PIN") == nullptr;  // for measuring what the pin buys
  // With a filter of its own (spawn mode) only the selected calls stop, unless a policy's filter
  // stops others too: then, as when attached, the selection decides what is shown.
  if (!selection.all && (attach_pid || !policy.empty())) popts.selected = Selector(selection);
  supervisor::PtraceMonitor* monitor_ptr = nullptr;
  supervisor::TraceWriter writer(out_fd, wopts, [&monitor_ptr] {
    return monitor_ptr ? monitor_ptr->task_count() : 1;
  });

  std::unique_ptr<TracedPolicy> traced_policy;
  if (!policy.empty()) {
    auto tp = TracedPolicy::Load(policy, writer, STDERR_FILENO);
    if (!tp.ok()) return Fail(tp.error());
    traced_policy = std::move(*tp);
  }
  supervisor::PtraceObserver& observer =
      traced_policy ? traced_policy->observer() : static_cast<supervisor::PtraceObserver&>(writer);
  supervisor::PtraceMonitor monitor(observer, popts);
  monitor_ptr = &monitor;
  g_monitor = &monitor;
  InstallSignalHandlers(OnSignal);

  if (attach_pid) {
    auto st = monitor.RunAttached(attach_pid);
    writer.Finish();
    g_monitor = nullptr;
    if (!st.ok() && st.error().sys_errno() == EPERM)
      return Fail("cannot attach to " + std::to_string(attach_pid) + ": " +
                  AttachRefusal(attach_pid));
    if (!st.ok()) return Fail(st.error());
    return g_stop_signal ? 0 : ExitCodeFromWaitStatus(*st);
  }

  return RunTraced(
      split.command, selection, traced_policy.get(), monitor,
      [&writer](pid_t pid) { writer.set_main(pid); },
      [&writer] {
        writer.Finish();
        g_monitor = nullptr;
      },
      /*no_aslr=*/false, /*wait_all=*/vm.count("wait-all") > 0);
}

}  // namespace pwnbox::cli
