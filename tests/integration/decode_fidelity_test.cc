// Decoding fidelity: tests/progs/dc_edge makes syscalls with edge-case arguments (junk in the
// upper halves of int arguments, uid -1 and 4294901760, odd modes, unknown flag bits and enum
// values, strings that run into a PROT_NONE page, short addrlens, wrong sigsetsizes). It runs
// under Debian's strace 6.1 and under `pwnbox trace` with the same -e trace= set, and the lines
// between its two marker writes must be the same, after normalising what differs between two
// runs (the pid prefix, the padding before "= ", and addresses).
//
// Where strace 6.1 is older than a constant (it prints the kernel's newer values raw), the
// expected text is strace's documented format for the current release, written down in
// kNewerThanStrace61 with the reason: the test rewrites strace's line before comparing.
#include <algorithm>
#include <cstring>
#include <iostream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

constexpr char kTraceSet[] =
    "trace=write,alarm,close,kill,listen,setresuid,setresgid,chown,lchown,fchown,fchownat,"
    "openat,lseek,pread64,ftruncate,fadvise64,mknodat,mknod,dup3,getpriority,epoll_wait,socket,"
    "chmod,fchmodat,fchmod,mkdir,mkdirat,creat,open,umask,fsopen,mmap,madvise,membarrier,"
    "set_mempolicy,execveat,fanotify_init,mprotect,flock,shutdown,rt_sigprocmask,chdir,"
    "memfd_create,connect,bind,rt_sigpending,rt_sigsuspend,ppoll,rt_sigtimedwait,signalfd4,"
    "epoll_pwait,pselect6";

// strace 6.1 (Debian 12) predates these constants: what it prints, and what strace prints
// since it knows them (its xlat/*.in tables: madvise_cmds, membarrier_cmds, mpol_modes,
// execveat_flags, fan_init_flags).
struct Newer {
  const char* strace61;
  const char* current;
};
constexpr Newer kNewerThanStrace61[] = {
    {"0x66 /* MADV_??? */", "MADV_GUARD_INSTALL"},  // Linux 6.13
    {"0x67 /* MADV_??? */", "MADV_GUARD_REMOVE"},   // Linux 6.13
    // Linux 6.3; QUERY's result names it too
    {"0x200 /* MEMBARRIER_CMD_??? */", "MEMBARRIER_CMD_GET_REGISTRATIONS"},
    {"MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ|0x200)",
     "MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ|MEMBARRIER_CMD_GET_REGISTRATIONS)"},
    {"0x6 /* MPOL_??? */", "MPOL_WEIGHTED_INTERLEAVE"},  // Linux 6.9
    {"0x10000 /* AT_??? */", "AT_EXECVE_CHECK"},         // Linux 6.14
    // FAN_REPORT_FD_ERROR (0x2000) is Linux 6.13
    {"FAN_REPORT_TARGET_FID|0x80002000", "FAN_REPORT_TARGET_FID|FAN_REPORT_FD_ERROR|0x80000000"},
    // Not newer but wrong: strace 6.1 prints an AF_INET socket's protocol from the whole
    // register; the kernel reads an int (0: IPPROTO_IP, as strace prints it without junk).
    {"SOCK_DGRAM, 6510615553911029760)", "SOCK_DGRAM, IPPROTO_IP)"},
};

// Syscalls newer than strace 6.1, which prints them raw ("syscall_0x1c4(0xffffff9c, ...)"): the
// whole line as strace prints it since it knows them (strace's fchmodat2 decoder is its
// fchmodat one plus the flags; mseal prints addr, len and flags).
struct NewerSyscall {
  const char* strace61_prefix;
  const char* current;
};
constexpr NewerSyscall kSyscallsNewerThanStrace61[] = {
    {"syscall_0x1c4(0xffffff9c, ADDR, 0x1a4, 0x100, 0, 0) =",  // fchmodat2, Linux 6.6
     "fchmodat2(AT_FDCWD, \"/nonexistent/dc\", 0644, AT_SYMLINK_NOFOLLOW) = -1 ENOENT (No such "
     "file or directory)"},
    {"syscall_0x1ce(0, 0, 0, 0, 0, 0) =", "mseal(NULL, 0, 0) = 0"},  // Linux 6.10
};

// The lines between `prog`'s markers, normalised.
std::vector<std::string> Section(const std::string& text, const std::string& prog, bool strace) {
  static const std::regex kPid(R"(^(\[pid +)?\d+\]? +)");
  static const std::regex kPad(R"(\) +=)");
  static const std::regex kAddr(R"(0x[0-9a-f]{9,})");
  const std::string begin = "write(-1, \"" + prog + ":begin";
  const std::string end = "write(-1, \"" + prog + ":end\"";
  std::vector<std::string> out;
  bool in = false;
  bool after_end = false;  // past the end marker: only the exit_group that follows is kept
  std::vector<std::pair<std::regex, std::string>> ids;  // this run's pids, named by the marker
  for (std::string line : Lines(text)) {
    if (strace) line = std::regex_replace(line, kPid, "");
    if (line.starts_with(begin)) {
      in = true;
      std::smatch m;
      static const std::regex kIds(R"re(:begin (\d+) (\d+)")re");
      if (std::regex_search(line, m, kIds)) {
        ids.emplace_back(std::regex("\\b" + m[1].str() + "\\b"), "PID");
        ids.emplace_back(std::regex("\\b" + m[2].str() + "\\b"), "PPID");
      }
    }
    if (!in) continue;
    if (after_end) {
      if (line.starts_with("exit_group(")) out.push_back(std::regex_replace(line, kPad, ") ="));
      if (!line.starts_with("+++") && !line.starts_with("---")) break;
      continue;
    }
    for (const auto& [re, name] : ids) line = std::regex_replace(line, re, name);
    line = std::regex_replace(line, kPad, ") =");
    line = std::regex_replace(line, kAddr, "ADDR");
    if (strace) {
      for (const Newer& n : kNewerThanStrace61) {
        const size_t at = line.find(n.strace61);
        if (at != std::string::npos) line.replace(at, strlen(n.strace61), n.current);
      }
      for (const NewerSyscall& n : kSyscallsNewerThanStrace61) {
        if (line.starts_with(n.strace61_prefix)) line = n.current;
      }
    }
    out.push_back(line);
    if (line.starts_with(end)) after_end = true;
  }
  return out;
}

// Runs `prog` under strace and under pwnbox trace with the same -e trace= set and compares
// the sections line by line. Returns the names of the syscalls compared.
std::set<std::string> Compare(const std::string& prog, const std::string& trace_set,
                              size_t min_lines) {
  const std::string dir = TempDir();
  const std::string strace_out = dir + "/strace.txt";
  const std::string pwnbox_out = dir + "/pwnbox.txt";
  std::vector<std::string> strace_cmd = {"strace", "-f", "-qq", "-o", strace_out};
  std::vector<std::string> pwnbox_cmd = {"trace", "-o", pwnbox_out};
  if (!trace_set.empty()) {
    strace_cmd.insert(strace_cmd.end(), {"-e", trace_set});
    pwnbox_cmd.insert(pwnbox_cmd.end(), {"-e", trace_set});
  }
  strace_cmd.push_back(Prog(prog));
  pwnbox_cmd.insert(pwnbox_cmd.end(), {"--", Prog(prog)});
  RunResult s = pwnbox::testing::Run(strace_cmd);
  EXPECT_EQ(s.status, 0) << s.err;
  RunResult p = Pwnbox(pwnbox_cmd);
  EXPECT_EQ(p.status, 0) << p.err;

  const std::vector<std::string> want = Section(ReadFile(strace_out), prog, true);
  const std::vector<std::string> got = Section(ReadFile(pwnbox_out), prog, false);
  EXPECT_GE(want.size(), min_lines) << ReadFile(strace_out);
  EXPECT_TRUE(!want.empty() && (want.back().starts_with("write(-1, \"" + prog + ":end\"") ||
                                 want.back().starts_with("exit_group(")))
      << ReadFile(strace_out);
  for (size_t i = 0; i < std::max(want.size(), got.size()); ++i) {
    const std::string w = i < want.size() ? want[i] : "(none)";
    const std::string g = i < got.size() ? got[i] : "(none)";
    EXPECT_EQ(g, w) << prog << " line " << i;
  }
  std::set<std::string> names;
  for (const std::string& l : want) names.insert(l.substr(0, l.find('(')));
  std::cout << prog << ": " << want.size() << " lines, " << names.size()
            << " syscalls compared with strace 6.1\n";
  return names;
}

bool HaveStrace() { return pwnbox::testing::Run({"strace", "-V"}).status == 0; }

TEST(DecodeFidelity, EdgeCasesAsStrace61PrintsThem) {
  if (!HaveStrace()) GTEST_SKIP() << "strace is not installed";
  Compare("dc_edge", kTraceSet, 80);
}

// Every syscall: no -e (pwnbox and strace both trace all of them).
TEST(DecodeFidelity, WideSweepAsStrace61PrintsIt) {
  if (!HaveStrace()) GTEST_SKIP() << "strace is not installed";
  Compare("dc_wide", "", 200);
}

// Every flag argument with all bits set: strace's names, order, and hex for the rest.
TEST(DecodeFidelity, FlagSetsInStraceOrder) {
  if (!HaveStrace()) GTEST_SKIP() << "strace is not installed";
  Compare("dc_flags", "", 60);
}

// Calls that return this run's ids (replaced by PID and PPID).
TEST(DecodeFidelity, IdsOfTheRun) {
  if (!HaveStrace()) GTEST_SKIP() << "strace is not installed";
  Compare("dc_pids", "", 10);
}

// The rest of the table that can be called safely.
TEST(DecodeFidelity, RestOfTheTable) {
  if (!HaveStrace()) GTEST_SKIP() << "strace is not installed";
  Compare("dc_rest", "", 50);
}

// i386 calls (int $0x80): 16-bit uids, 32-bit longs.
TEST(DecodeFidelity, I386CallsAsStrace61PrintsThem) {
  if (!HaveStrace()) GTEST_SKIP() << "strace is not installed";
  Compare("dc_i386", "", 20);
}

// SysV IPC, timers, queues, process queries, and int arguments with junk upper halves.
TEST(DecodeFidelity, MoreCallsAndJunkUpperHalves) {
  if (!HaveStrace()) GTEST_SKIP() << "strace is not installed";
  Compare("dc_more", "", 100);
}

}  // namespace
}  // namespace pwnbox::testing
