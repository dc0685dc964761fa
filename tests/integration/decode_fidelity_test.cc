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
    "memfd_create,connect,bind,rt_sigpending,rt_sigsuspend";

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
};

// The lines between the markers, normalised.
std::vector<std::string> Section(const std::string& text, bool strace) {
  static const std::regex kPid(R"(^(\[pid +)?\d+\]? +)");
  static const std::regex kPad(R"(\) +=)");
  static const std::regex kAddr(R"(0x[0-9a-f]{9,})");
  std::vector<std::string> out;
  bool in = false;
  for (std::string line : Lines(text)) {
    if (strace) line = std::regex_replace(line, kPid, "");
    if (line.starts_with("write(-1, \"dc_edge:begin\"")) in = true;
    if (!in) continue;
    line = std::regex_replace(line, kPad, ") =");
    line = std::regex_replace(line, kAddr, "ADDR");
    if (strace) {
      for (const Newer& n : kNewerThanStrace61) {
        const size_t at = line.find(n.strace61);
        if (at != std::string::npos) line.replace(at, strlen(n.strace61), n.current);
      }
    }
    out.push_back(line);
    if (line.starts_with("write(-1, \"dc_edge:end\"")) break;
  }
  return out;
}

TEST(DecodeFidelity, EdgeCasesAsStrace61PrintsThem) {
  if (pwnbox::testing::Run({"strace", "-V"}).status != 0) GTEST_SKIP() << "strace is not installed";
  const std::string dir = TempDir();
  const std::string strace_out = dir + "/strace.txt";
  const std::string pwnbox_out = dir + "/pwnbox.txt";
  RunResult s = pwnbox::testing::Run({"strace", "-f", "-qq", "-e", kTraceSet, "-o", strace_out, Prog("dc_edge")});
  ASSERT_EQ(s.status, 0) << s.err;
  RunResult p = Pwnbox({"trace", "-e", kTraceSet, "-o", pwnbox_out, "--", Prog("dc_edge")});
  ASSERT_EQ(p.status, 0) << p.err;

  const std::vector<std::string> want = Section(ReadFile(strace_out), true);
  const std::vector<std::string> got = Section(ReadFile(pwnbox_out), false);
  ASSERT_GT(want.size(), 50u) << ReadFile(strace_out);
  ASSERT_EQ(want.back().rfind("write(-1, \"dc_edge:end\"", 0), 0u) << ReadFile(strace_out);
  for (size_t i = 0; i < std::max(want.size(), got.size()); ++i) {
    const std::string w = i < want.size() ? want[i] : "(none)";
    const std::string g = i < got.size() ? got[i] : "(none)";
    EXPECT_EQ(g, w) << "line " << i;
  }
  std::set<std::string> names;
  for (const std::string& l : want) names.insert(l.substr(0, l.find('(')));
  std::cout << "decode fidelity: " << want.size() << " lines, " << names.size()
            << " syscalls compared with strace 6.1\n";
}

}  // namespace
}  // namespace pwnbox::testing
