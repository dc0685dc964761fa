// Struct arguments as strace prints them: tests/progs/st_* make calls whose arguments are
// structs (openat2's open_how, clone3's clone_args, sendfile's in/out offset, timer_create's
// sigevent, kcmp's types, mincore's vector, landlock's attrs). Each runs under Debian's strace
// 6.1 and under `pwnbox trace`, and the lines between its two marker writes must be the same,
// after normalising what differs between two runs (the pid prefix and this run's pids, the
// padding before "= ", and addresses), as in it_decode_fidelity_test.
//
// Where strace 6.1 is older than a struct's field or a syscall, the expected text is strace's
// current format (its sources), written down below with the reason: the test rewrites strace
// 6.1's line before comparing.
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

struct Newer {
  const char* strace61;
  const char* current;
};
// strace 6.1 knows only landlock_ruleset_attr's handled_access_fs and prints "..." for the rest;
// strace since 6.8 prints handled_access_net (Linux 6.7), since 6.13 scoped (Linux 6.12), each
// when `size` reaches it (strace's src/landlock.c).
constexpr Newer kNewerThanStrace61[] = {
    {"{handled_access_fs=LANDLOCK_ACCESS_FS_EXECUTE, ...}, 16,",
     "{handled_access_fs=LANDLOCK_ACCESS_FS_EXECUTE, "
     "handled_access_net=LANDLOCK_ACCESS_NET_BIND_TCP}, 16,"},
    {"{handled_access_fs=LANDLOCK_ACCESS_FS_EXECUTE, ...}, 24,",
     "{handled_access_fs=LANDLOCK_ACCESS_FS_EXECUTE, "
     "handled_access_net=LANDLOCK_ACCESS_NET_BIND_TCP, scoped=0}, 24,"},
    // LANDLOCK_RULE_NET_PORT and its struct landlock_net_port_attr: Linux 6.7, strace 6.8.
    {"0x2 /* LANDLOCK_RULE_??? */, ADDR, 0)",
     "LANDLOCK_RULE_NET_PORT, {allowed_access=LANDLOCK_ACCESS_NET_BIND_TCP, port=80}, 0)"},
};

// Syscalls newer than strace 6.1, which prints them raw: the whole line as current strace
// prints it.
struct NewerSyscall {
  const char* strace61_prefix;
  const char* current;
};
// futex2, Linux 6.7 (strace's src/futex2.c: uaddr, val, the mask (FUTEX_BITSET_MATCH_ANY or
// hex), the flags as the size's name and the other flags, timeout, clockid; futex_requeue's two
// futex_waitv, flags in hex).
constexpr NewerSyscall kSyscallsNewerThanStrace61[] = {
    {"syscall_0x1c6(", "futex_wake(ADDR, 0x1, 1, FUTEX2_SIZE_U32|FUTEX2_PRIVATE) = 0"},
    {"syscall_0x1c7(",
     "futex_wait(ADDR, 4, 0x1, FUTEX2_SIZE_U32|FUTEX2_PRIVATE, NULL, CLOCK_MONOTONIC) = -1 "
     "EAGAIN (Resource temporarily unavailable)"},
    {"syscall_0x1c8(", "futex_requeue(NULL, 0, 1, 0) = -1 EINVAL (Invalid argument)"},
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

// openat2, clone3, sendfile, timer_create (+ timer_delete), kcmp, mincore, landlock_*.
TEST(DecodeStructs, StructArgumentsAsStrace61PrintsThem) {
  if (!HaveStrace()) GTEST_SKIP() << "strace is not installed";
  const std::set<std::string> names = Compare("st_structs", "", 50);
  for (const char* want : {"openat2", "clone3", "sendfile", "timer_create", "kcmp", "mincore",
                           "landlock_create_ruleset", "landlock_add_rule", "mq_notify"}) {
    EXPECT_TRUE(names.contains(want)) << want;
  }
}

// i386 calls (int $0x80): sendfile's 32-bit offset, sendfile64's, openat2, landlock, kcmp.
TEST(DecodeStructs, I386StructArgumentsAsStrace61PrintsThem) {
  if (!HaveStrace()) GTEST_SKIP() << "strace is not installed";
  const std::set<std::string> names = Compare("st_i386", "", 10);
  for (const char* want : {"sendfile", "sendfile64", "openat2", "landlock_create_ruleset",
                           "kcmp"}) {
    EXPECT_TRUE(names.contains(want)) << want;
  }
}

// Times a call sets (utimensat, utimes, futimesat with strace's ISO-8601 comments; clock_settime
// and settimeofday without), perf_event_open, bpf (map and object commands), modify_ldt,
// quotactl (QCMD), futex2.
TEST(DecodeStructs, TimesLdtQuotasAndFutex2AsStracePrintsThem) {
  if (!HaveStrace()) GTEST_SKIP() << "strace is not installed";
  const std::set<std::string> names = Compare("st_more", "", 25);
  for (const char* want : {"utimensat", "utimes", "futimesat", "clock_settime", "settimeofday",
                           "modify_ldt", "quotactl", "bpf", "perf_event_open", "futex_wake",
                           "futex_wait"}) {
    EXPECT_TRUE(names.contains(want)) << want;
  }
}

}  // namespace
}  // namespace pwnbox::testing
