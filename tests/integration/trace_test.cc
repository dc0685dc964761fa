// Integration tests for `pwnbox trace`: trace the helper programs in tests/progs/tr_*.c and real
// tools, and check exact lines of output against SPEC.md ("Trace output") and, where SPEC.md is
// silent, against what the real strace prints for the same program.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

constexpr char kStrace[] = "/usr/bin/strace";
constexpr char kBasicOut[] = "a\tb\nc\1\377";  // + '\0', 8 bytes
constexpr char kLong[] = "0123456789abcdefghijklmnopqrstuvwxyzABCD";
constexpr char kMissing[] =
    "openat(AT_FDCWD, \"/nonexistent/tr_basic_missing\", O_RDONLY) = -1 ENOENT (No such file "
    "or directory)";

// strace's line layout: the call padded to column 40, then "= RET".
std::string L(const std::string& call, const std::string& ret) {
  std::string s = call;
  if (s.size() < 40) {
    s.resize(40, ' ');
  } else {
    s += ' ';
  }
  return s + "= " + ret;
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

// Lines of `text` from the first one that contains `marker` on.
std::vector<std::string> From(const std::string& text, const std::string& marker) {
  auto lines = Lines(text);
  auto it = std::find_if(lines.begin(), lines.end(),
                         [&](const std::string& l) { return Contains(l, marker); });
  return {it, lines.end()};
}

bool HasStrace() { return access(kStrace, X_OK) == 0; }

std::string BasicInput(std::string* dir_out = nullptr) {
  std::string dir = TempDir();
  WriteFile(dir + "/in.txt", "hello\n");
  if (dir_out) *dir_out = dir;
  return dir + "/in.txt";
}

// How strace prints a string argument (no escaping needed for the test's paths) under the
// default -s 32: quoted, cut after 32 characters with "..." after the closing quote.
std::string Quoted(const std::string& s) {
  if (s.size() <= 32) return "\"" + s + "\"";
  return "\"" + s.substr(0, 32) + "\"...";
}

// A regex that matches `s` literally.
std::string Re(const std::string& s) {
  static const std::regex kSpecial(R"([.^$|()\[\]{}*+?\\])");
  return std::regex_replace(s, kSpecial, "\\$&");
}

// The execve line strace prints for running `argv` (the path in full, the argv strings cut at
// 32), with the environment pointer and count left as a pattern.
std::string ExecveRe(const std::vector<std::string>& argv) {
  std::string args;
  for (const auto& a : argv) args += (args.empty() ? "" : ", ") + Quoted(a);
  return Re("execve(\"" + argv[0] + "\", [" + args + "], ") +
         R"(0x[0-9a-f]+ /\* \d+ vars \*/\) += 0)";
}

// ---- Normalisation for comparing pwnbox's output with strace's ----

struct TLine {
  int task;          // rank of the task's pid among the run's pids (0 = lowest = first)
  std::string text;  // without "[pid N] ", pids as PIDk, addresses as 0xADDR
};

// A line of a strace-format trace with its "[pid N] " prefix taken off (pid -1 when it had
// none) and, for a call split by another task's line, the "<unfinished ...>" line joined with its
// "<... NAME resumed>" line (at the position of the first).
struct Merged {
  long pid;
  std::string text;
  bool pending = false;
};

std::vector<Merged> Merge(const std::string& text) {
  static const std::regex kPrefix(R"(^\[pid\s+(\d+)\] (.*)$)");
  static const std::regex kUnfinished(R"(^(.*?) ?<unfinished \.\.\.>$)");
  static const std::regex kResumed(R"(^<\.\.\. (\w+) resumed>(.*)$)");
  std::vector<Merged> raw;
  for (const auto& line : Lines(text)) {
    if (line.empty() || line.rfind("strace: ", 0) == 0) continue;
    std::smatch m;
    long pid = -1;
    std::string rest = line;
    if (std::regex_match(line, m, kPrefix)) {
      pid = std::stol(m[1]);
      rest = m[2];
    }
    if (std::regex_match(rest, m, kResumed)) {
      std::string name = m[1];
      // The most recent pending call of that name, preferably of the same task.
      int best = -1;
      for (int i = static_cast<int>(raw.size()) - 1; i >= 0; --i) {
        if (!raw[i].pending || raw[i].text.rfind(name + "(", 0) != 0) continue;
        if (best < 0) best = i;
        if (raw[i].pid == pid) {
          best = i;
          break;
        }
      }
      if (best >= 0) {
        raw[best].text += m[2].str();
        raw[best].pending = false;
        continue;
      }
    }
    Merged r{pid, rest};
    if (std::regex_match(rest, m, kUnfinished)) {
      r.text = m[1];
      r.pending = true;
    }
    raw.push_back(r);
  }
  return raw;
}

// Normalises a strace-format trace for comparison: Merge(), then every pid of the run (prefixes,
// the results of getpid/gettid/set_tid_address/clone/fork/vfork) replaced with PIDk (k = rank of the pid among
// them), every address with 0xADDR, and the padding before " = " collapsed. Lines without a
// prefix belong to the lowest pid.
std::vector<TLine> Normalize(const std::string& text) {
  static const std::regex kPidRet(R"(^(getpid|gettid|set_tid_address|clone3?|fork|vfork)\(.*\)\s+= (\d+)$)");
  static const std::regex kProcess(R"(Process PID=(\d+))");
  std::vector<Merged> raw = Merge(text);
  std::set<long> pids;
  for (const auto& r : raw) {
    std::smatch m;
    if (r.pid >= 0) pids.insert(r.pid);
    if (std::regex_match(r.text, m, kPidRet)) pids.insert(std::stol(m[2]));
    if (std::regex_search(r.text, m, kProcess)) pids.insert(std::stol(m[1]));
  }
  std::map<long, int> rank;
  for (long p : pids) rank.emplace(p, static_cast<int>(rank.size()));
  static const std::regex kAddr(R"(0x[0-9a-f]{7,})");
  static const std::regex kPad(R"(\)\s+= )");
  std::vector<TLine> out;
  for (auto& r : raw) {
    std::string t = std::regex_replace(r.text, kAddr, "0xADDR");
    t = std::regex_replace(t, kPad, ") = ");
    for (const auto& [p, k] : rank) {
      std::regex word("\\b" + std::to_string(p) + "\\b");
      t = std::regex_replace(t, word, "PID" + std::to_string(k));
    }
    int task = r.pid < 0 ? 0 : rank[r.pid];
    out.push_back({task, t});
  }
  return out;
}

std::string NormalizedText(const std::string& text) {
  std::string all;
  for (const auto& l : Normalize(text)) all += l.text + "\n";
  return all;
}

// "[pid  4242] " as strace prints it.
std::string PidPrefix(long pid) {
  char buf[32];
  snprintf(buf, sizeof buf, "[pid %5ld] ", pid);
  return buf;
}

// Each task's lines from the first line (of any task) that contains `marker`, SIGCHLD lines
// left out (when SIGCHLD arrives relative to the parent's calls is a race).
std::map<int, std::vector<std::string>> PerTask(const std::vector<TLine>& lines,
                                                const std::string& marker) {
  std::map<int, std::vector<std::string>> out;
  bool on = false;
  for (const auto& l : lines) {
    if (!on && Contains(l.text, marker)) on = true;
    if (!on || l.text.rfind("--- SIGCHLD ", 0) == 0) continue;
    out[l.task].push_back(l.text);
  }
  return out;
}

std::string Dump(const std::map<int, std::vector<std::string>>& m) {
  std::string s;
  for (const auto& [task, lines] : m) {
    s += "task " + std::to_string(task) + ":\n";
    for (const auto& l : lines) s += "  " + l + "\n";
  }
  return s;
}

// Runs `strace -f -q ARGS` and returns what it printed on stderr (with -o FILE, strace -f
// prefixes lines with "PID  " instead of "[pid PID] ", so compare stderr with stderr).
std::string StraceOutput(const std::vector<std::string>& args, int* status = nullptr) {
  std::vector<std::string> argv{kStrace, "-f", "-q"};
  argv.insert(argv.end(), args.begin(), args.end());
  RunResult r = Run(argv);
  if (status) *status = r.status;
  return r.err;
}

// Traces `args` with pwnbox and with strace, and expects every task's normalised lines from
// `marker` on to be identical, and the same stdout and exit status.
void ExpectSameAsStrace(const std::vector<std::string>& args, const std::string& marker) {
  if (!HasStrace()) GTEST_SKIP() << "no " << kStrace;
  std::vector<std::string> pargs{"trace", "--"};
  pargs.insert(pargs.end(), args.begin(), args.end());
  RunResult p = Pwnbox(pargs);
  std::vector<std::string> sargv{kStrace, "-f", "-q"};
  sargv.insert(sargv.end(), args.begin(), args.end());
  RunResult s = Run(sargv);
  EXPECT_EQ(p.status, s.status) << p.err;
  EXPECT_EQ(p.out, s.out);
  auto mine = PerTask(Normalize(p.err), marker);
  auto theirs = PerTask(Normalize(s.err), marker);
  ASSERT_FALSE(theirs.empty()) << "strace printed no line with " << marker << ":\n" << s.err;
  EXPECT_EQ(Dump(mine), Dump(theirs)) << "pwnbox's full output:\n" << p.err;
}

// ---- `-c` table ----

struct Row {
  double percent = 0;
  double seconds = 0;
  long usecs = 0;
  long calls = 0;
  long errors = 0;
};

constexpr char kHeader[] = "% time     seconds  usecs/call     calls    errors syscall";
constexpr char kSeparator[] =
    "------ ----------- ----------- --------- --------- ----------------";

// Parses strace's -c table out of `text`: the rows by syscall name ("total" included). Adds a
// failure when the header or the separators are not where strace puts them.
std::map<std::string, Row> ParseTable(const std::string& text) {
  std::map<std::string, Row> rows;
  auto lines = Lines(text);
  auto h = std::find(lines.begin(), lines.end(), kHeader);
  EXPECT_NE(h, lines.end()) << "no -c header in:\n" << text;
  if (h == lines.end()) return rows;
  EXPECT_TRUE(h + 1 != lines.end() && *(h + 1) == kSeparator) << text;
  int separators = 0;
  for (auto it = h + 2; it != lines.end(); ++it) {
    if (*it == kSeparator) {
      ++separators;
      continue;
    }
    std::istringstream ss(*it);
    std::vector<std::string> f;
    for (std::string w; ss >> w;) f.push_back(w);
    if (f.size() != 5 && f.size() != 6) {
      ADD_FAILURE() << "bad -c row: '" << *it << "'";
      continue;
    }
    Row r;
    r.percent = std::stod(f[0]);
    r.seconds = std::stod(f[1]);
    r.usecs = std::stol(f[2]);
    r.calls = std::stol(f[3]);
    if (f.size() == 6) r.errors = std::stol(f[4]);
    rows[f.back()] = r;
    if (f.back() == "total") break;
  }
  EXPECT_EQ(separators, 1) << text;
  EXPECT_TRUE(rows.count("total")) << text;
  return rows;
}

// ---- tr_basic: exact lines ----

TEST(TraceBasic, PrintsStraceLinesOnStderrAndKeepsStdoutAndStatus) {
  std::string in = BasicInput();
  RunResult r = Pwnbox({"trace", "--", Prog("tr_basic"), in});
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_EQ(r.out, std::string(kBasicOut, 8) + kLong);
  auto lines = From(r.err, "tr_basic_missing");
  ASSERT_FALSE(lines.empty()) << r.err;
  // getpid's value is the target's pid: take it from the first getpid line.
  std::smatch m;
  std::string pid = "?";
  for (const auto& l : lines)
    if (std::regex_match(l, m, std::regex(R"(getpid\(\)\s+= (\d+))"))) {
      pid = m[1];
      break;
    }
  std::vector<std::string> want{
      kMissing,
      L("openat(AT_FDCWD, \"" + in + "\", O_RDONLY)", "3"),
      L("read(3, \"hello\\n\", 64)", "6"),
      L("close(3)", "0"),
      L("write(1, \"a\\tb\\nc\\1\\377\\0\", 8)", "8"),
      L("write(1, \"0123456789abcdefghijklmnopqrstuv\"..., 40)", "40"),
  };
  for (int i = 0; i < 5; ++i) want.push_back(L("getpid()", pid));
  for (int i = 0; i < 2; ++i)
    want.push_back(L("chdir(\"/nonexistent/tr_basic_dir\")",
                     "-1 ENOENT (No such file or directory)"));
  want.push_back(L("exit_group(3)", "?"));
  want.push_back("+++ exited with 3 +++");
  EXPECT_EQ(Join(lines), Join(want)) << "full stderr:\n" << r.err;
  // The first line is the execve of the program, as strace prints it.
  auto all = Lines(r.err);
  ASSERT_FALSE(all.empty());
  EXPECT_TRUE(std::regex_match(all[0], std::regex(ExecveRe({Prog("tr_basic"), in})))) << all[0];
}

TEST(TraceBasic, SameLinesAsStrace) {
  ExpectSameAsStrace({Prog("tr_basic"), BasicInput()}, "tr_basic_missing");
}

TEST(TraceBasic, OutputFileLeavesStderrClean) {
  std::string in = BasicInput();
  std::string file = TempDir() + "/trace.txt";
  RunResult r = Pwnbox({"trace", "-o", file, "--", Prog("tr_basic"), in});
  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, std::string(kBasicOut, 8) + kLong);
  std::string t = ReadFile(file);
  EXPECT_TRUE(Contains(t, kMissing + std::string("\n"))) << t;
  EXPECT_TRUE(Contains(t, "\n+++ exited with 3 +++\n")) << t;
}

TEST(TraceBasic, FilterByNames) {
  std::string in = BasicInput();
  RunResult r = Pwnbox({"trace", "-e", "trace=openat,write", "--", Prog("tr_basic"), in});
  EXPECT_EQ(r.status, 3) << r.err;
  auto lines = From(r.err, "tr_basic_missing");
  std::vector<std::string> want{
      kMissing,
      L("openat(AT_FDCWD, \"" + in + "\", O_RDONLY)", "3"),
      L("write(1, \"a\\tb\\nc\\1\\377\\0\", 8)", "8"),
      L("write(1, \"0123456789abcdefghijklmnopqrstuv\"..., 40)", "40"),
      "+++ exited with 3 +++",
  };
  EXPECT_EQ(Join(lines), Join(want)) << r.err;
  // Nothing but openat and write before, either (the loader's openat calls).
  for (const auto& l : Lines(r.err))
    EXPECT_TRUE(l.rfind("openat(", 0) == 0 || l.rfind("write(", 0) == 0 ||
                l.rfind("+++ ", 0) == 0)
        << l;
}

TEST(TraceBasic, FilterNegated) {
  std::string in = BasicInput();
  RunResult r = Pwnbox({"trace", "-e", "trace=!write", "--", Prog("tr_basic"), in});
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_EQ(Grep(r.err, "write(").size(), 0u) << r.err;
  auto lines = From(r.err, "tr_basic_missing");
  ASSERT_GE(lines.size(), 4u) << r.err;
  EXPECT_EQ(lines[0], kMissing);
  EXPECT_EQ(lines[3], L("close(3)", "0"));
  EXPECT_EQ(lines[4].rfind("getpid()", 0), 0u) << lines[4];
  EXPECT_EQ(Grep(r.err, "getpid()").size(), 5u);
  EXPECT_EQ(Grep(r.err, "chdir(").size(), 2u);
  EXPECT_EQ(Lines(r.err).back(), "+++ exited with 3 +++");
}

TEST(TraceBasic, FilterByNumber) {
  std::string in = BasicInput();
  RunResult r = Pwnbox({"trace", "-e", "trace=39", "--", Prog("tr_basic"), in});  // getpid
  EXPECT_EQ(r.status, 3) << r.err;
  auto lines = Lines(r.err);
  ASSERT_EQ(lines.size(), 6u) << r.err;
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(std::regex_match(lines[i], std::regex(R"(getpid\(\) {32}= \d+)"))) << lines[i];
  EXPECT_EQ(lines[5], "+++ exited with 3 +++");
}

// The syscall names of a trace's lines.
std::set<std::string> Names(const std::string& text) {
  std::set<std::string> names;
  static const std::regex kName(R"(^(?:\[pid\s+\d+\] )?([a-z_0-9]+)\()");
  for (const auto& l : Lines(text)) {
    std::smatch m;
    if (std::regex_search(l, m, kName)) names.insert(m[1]);
  }
  return names;
}

TEST(TraceBasic, FilterByGroup) {
  std::string in = BasicInput();
  for (const std::string set : {"trace=@file", "trace=%file"}) {
    SCOPED_TRACE(set);
    RunResult r = Pwnbox({"trace", "-e", set, "--", Prog("tr_basic"), in});
    EXPECT_EQ(r.status, 3) << r.err;
    auto names = Names(r.err);
    EXPECT_TRUE(names.count("openat")) << r.err;
    EXPECT_TRUE(names.count("chdir")) << r.err;
    for (const char* not_file : {"read", "write", "close", "getpid", "exit_group", "mmap"})
      EXPECT_FALSE(names.count(not_file)) << not_file << " in:\n" << r.err;
    EXPECT_EQ(Grep(r.err, "chdir(\"/nonexistent/tr_basic_dir\")").size(), 2u) << r.err;
    EXPECT_EQ(Lines(r.err).back(), "+++ exited with 3 +++");
    if (HasStrace()) {
      // The same set of names as strace's %file on the same program.
      std::string s = StraceOutput({"-e", "trace=%file", Prog("tr_basic"), in});
      EXPECT_EQ(names, Names(s)) << "strace:\n" << s << "pwnbox:\n" << r.err;
    }
  }
}

TEST(TraceBasic, SyscallNumbers) {
  std::string in = BasicInput();
  RunResult r = Pwnbox({"trace", "-n", "--", Prog("tr_basic"), in});
  EXPECT_EQ(r.status, 3) << r.err;
  auto lines = From(r.err, "tr_basic_missing");
  ASSERT_GE(lines.size(), 6u) << r.err;
  EXPECT_EQ(lines[0], "[ 257] " + std::string(kMissing));
  EXPECT_EQ(lines[2], L("[   0] read(3, \"hello\\n\", 64)", "6"));
  EXPECT_EQ(lines[3], L("[   3] close(3)", "0"));
  EXPECT_EQ(lines[4], L("[   1] write(1, \"a\\tb\\nc\\1\\377\\0\", 8)", "8"));
  auto getpids = Grep(r.err, "getpid()");
  ASSERT_EQ(getpids.size(), 5u);
  EXPECT_TRUE(std::regex_match(getpids[0], std::regex(R"(\[  39\] getpid\(\) {25}= \d+)")))
      << getpids[0];
  EXPECT_EQ(Grep(r.err, "exit_group(3)"), std::vector<std::string>{L("[ 231] exit_group(3)", "?")});
}

// -n on the lines that are not calls: strace prints the task's last call. Traced whole, pwnbox
// knows it; under -e trace=SET the target's filter stops only the selected calls, so the last
// call pwnbox saw (write) is not the last one made (kill, exit_group): the signal line takes
// the interrupted call from the kernel and an exit line it cannot know says "[????]".
TEST(TraceBasic, SyscallNumbersOnSignalAndExitLines) {
  RunResult r = Pwnbox({"trace", "-n", "--", Prog("po_lastcall"), "kill"});
  EXPECT_EQ(r.status, 128 + SIGUSR1) << r.err;
  auto lines = From(r.err, "kill(");
  ASSERT_EQ(lines.size(), 3u) << r.err;
  EXPECT_EQ(lines[0].substr(0, 12), "[  62] kill(") << r.err;
  EXPECT_EQ(lines[1].substr(0, 18), "[  62] --- SIGUSR1") << r.err;
  EXPECT_EQ(lines[2], "[  62] +++ killed by SIGUSR1 +++") << r.err;

  r = Pwnbox({"trace", "-n", "-e", "trace=write", "--", Prog("po_lastcall"), "kill"});
  EXPECT_EQ(r.status, 128 + SIGUSR1) << r.err;
  lines = Lines(r.err);
  ASSERT_EQ(lines.size(), 3u) << r.err;
  EXPECT_EQ(lines[0], L("[   1] write(1, \"x\", 1)", "1")) << r.err;
  EXPECT_EQ(lines[1].substr(0, 18), "[  62] --- SIGUSR1") << r.err;
  EXPECT_EQ(lines[2], "[????] +++ killed by SIGUSR1 +++") << r.err;

  r = Pwnbox({"trace", "-n", "-e", "trace=write", "--", Prog("po_lastcall"), "exit"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(Join(Lines(r.err)),
            Join({L("[   1] write(1, \"x\", 1)", "1"), "[????] +++ exited with 0 +++"}));
  // Selected, exit_group is seen and its number is known.
  r = Pwnbox({"trace", "-n", "-e", "trace=write,exit_group", "--", Prog("po_lastcall"), "exit"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(Lines(r.err).back(), "[ 231] +++ exited with 0 +++") << r.err;
}

TEST(TraceBasic, StringLimit) {
  std::string in = BasicInput();
  RunResult r = Pwnbox({"trace", "-s", "8", "-e", "trace=write", "--", Prog("tr_basic"), in});
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_EQ(Join(Lines(r.err)), Join({L("write(1, \"a\\tb\\nc\\1\\377\\0\", 8)", "8"),
                                      L("write(1, \"01234567\"..., 40)", "40"),
                                      "+++ exited with 3 +++"}));
  // A limit larger than the string prints it whole.
  r = Pwnbox({"trace", "-s", "64", "-e", "trace=write", "--", Prog("tr_basic"), in});
  EXPECT_EQ(Grep(r.err, kLong).size(), 1u) << r.err;
  EXPECT_EQ(Grep(r.err, "\"...").size(), 0u) << r.err;
}

TEST(TraceBasic, Timestamps) {
  std::string in = BasicInput();
  struct Case {
    const char* flag;
    const char* re;
  } cases[] = {
      {"-t", R"(\d\d:\d\d:\d\d getpid\(\) += \d+)"},
      {"-tt", R"(\d\d:\d\d:\d\d\.\d{6} getpid\(\) += \d+)"},
      {"-ttt", R"(\d{10}\.\d{6} getpid\(\) += \d+)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.flag);
    RunResult r = Pwnbox({"trace", c.flag, "-e", "trace=getpid", "--", Prog("tr_basic"), in});
    EXPECT_EQ(r.status, 3) << r.err;
    auto lines = Grep(r.err, "getpid()");
    ASSERT_EQ(lines.size(), 5u) << r.err;
    for (const auto& l : lines) {
      EXPECT_TRUE(std::regex_match(l, std::regex(c.re))) << l;
      EXPECT_EQ(l.find("= "), 40u) << "not padded to column 40 as strace does: " << l;
    }
  }
  // -ttt is the epoch time of the call.
  RunResult r = Pwnbox({"trace", "-ttt", "-e", "trace=getpid", "--", Prog("tr_basic"), in});
  auto lines = Grep(r.err, "getpid()");
  ASSERT_FALSE(lines.empty());
  double t = std::stod(lines[0]);
  double now = static_cast<double>(time(nullptr));
  EXPECT_GT(t, now - 120);
  EXPECT_LT(t, now + 120);
}

TEST(TraceBasic, TimeSpent) {
  std::string in = BasicInput();
  RunResult r = Pwnbox({"trace", "-T", "-e", "trace=getpid,chdir", "--", Prog("tr_basic"), in});
  EXPECT_EQ(r.status, 3) << r.err;
  auto lines = Lines(r.err);
  ASSERT_EQ(lines.size(), 8u) << r.err;
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(std::regex_match(lines[i], std::regex(R"(getpid\(\) {32}= \d+ <\d+\.\d{6}>)")))
        << lines[i];
  for (int i = 5; i < 7; ++i)
    EXPECT_TRUE(std::regex_match(
        lines[i], std::regex(R"(chdir\("/nonexistent/tr_basic_dir"\) {6}= -1 ENOENT )"
                             R"(\(No such file or directory\) <\d+\.\d{6}>)")))
        << lines[i];
  EXPECT_EQ(lines[7], "+++ exited with 3 +++");
}

TEST(TraceBasic, FdPaths) {
  std::string in = BasicInput();
  RunResult r = Pwnbox({"trace", "-y", "-e", "trace=read,close,openat", "--",
                        Prog("tr_basic"), in});
  EXPECT_EQ(r.status, 3) << r.err;
  auto lines = From(r.err, "tr_basic_missing");
  // strace -y prints AT_FDCWD with the cwd too.
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
  std::string at = std::string("AT_FDCWD<") + cwd + ">";
  std::vector<std::string> want{
      "openat(" + at + ", \"/nonexistent/tr_basic_missing\", O_RDONLY) = -1 ENOENT (No such "
      "file or directory)",
      L("openat(" + at + ", \"" + in + "\", O_RDONLY)", "3<" + in + ">"),
      L("read(3<" + in + ">, \"hello\\n\", 64)", "6"),
      L("close(3<" + in + ">)", "0"),
      "+++ exited with 3 +++",
  };
  EXPECT_EQ(Join(lines), Join(want)) << r.err;
}

TEST(TraceBasic, SameFdPathsAsStrace) {
  if (!HasStrace()) GTEST_SKIP();
  std::string in = BasicInput();
  RunResult r = Pwnbox({"trace", "-y", "--", Prog("tr_basic"), in});
  EXPECT_EQ(r.status, 3) << r.err;
  std::string s = StraceOutput({"-y", Prog("tr_basic"), in});
  // stdout is a pipe whose inode differs between the two runs.
  std::regex pipe(R"(<pipe:\[\d+\]>)");
  auto mine = PerTask(Normalize(std::regex_replace(r.err, pipe, "<pipe>")),
                      "tr_basic_missing");
  auto theirs = PerTask(Normalize(std::regex_replace(s, pipe, "<pipe>")), "tr_basic_missing");
  EXPECT_EQ(Dump(mine), Dump(theirs));
}

TEST(TraceCount, TableHasExactCounts) {
  std::string in = BasicInput();
  RunResult r = Pwnbox({"trace", "-c", "--", Prog("tr_basic"), in});
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_EQ(r.out, std::string(kBasicOut, 8) + kLong);
  // -c prints the table instead of the trace.
  EXPECT_EQ(Grep(r.err, "getpid()").size(), 0u) << r.err;
  EXPECT_EQ(Grep(r.err, "+++ exited").size(), 0u) << r.err;
  auto rows = ParseTable(r.err);
  ASSERT_TRUE(rows.count("getpid")) << r.err;
  EXPECT_EQ(rows["getpid"].calls, 5);
  EXPECT_EQ(rows["getpid"].errors, 0);
  ASSERT_TRUE(rows.count("chdir")) << r.err;
  EXPECT_EQ(rows["chdir"].calls, 2);
  EXPECT_EQ(rows["chdir"].errors, 2);
  ASSERT_TRUE(rows.count("write")) << r.err;
  EXPECT_EQ(rows["write"].calls, 2);
  EXPECT_EQ(rows["write"].errors, 0);
  ASSERT_TRUE(rows.count("openat"));
  EXPECT_GE(rows["openat"].calls, 2);
  EXPECT_GE(rows["openat"].errors, 1);
  long calls = 0, errors = 0;
  double percent = 0;
  for (const auto& [name, row] : rows) {
    if (name == "total") continue;
    calls += row.calls;
    errors += row.errors;
    percent += row.percent;
    EXPECT_GE(row.seconds, 0);
  }
  EXPECT_EQ(rows["total"].calls, calls);
  EXPECT_EQ(rows["total"].errors, errors);
  EXPECT_EQ(rows["total"].percent, 100.0);
  if (HasStrace()) {
    // The same calls and errors per syscall as strace counts for the same program.
    std::string s = StraceOutput({"-c", Prog("tr_basic"), in});
    auto theirs = ParseTable(s);
    std::map<std::string, std::pair<long, long>> a, b;
    for (const auto& [n, row] : rows) a[n] = {row.calls, row.errors};
    for (const auto& [n, row] : theirs) b[n] = {row.calls, row.errors};
    EXPECT_EQ(a, b) << "strace:\n" << s << "pwnbox:\n" << r.err;
  }
}

TEST(TraceCount, TableWithFilterHasOnlySelected) {
  std::string in = BasicInput();
  RunResult r = Pwnbox({"trace", "-c", "-e", "trace=getpid,chdir,write", "--",
                        Prog("tr_basic"), in});
  EXPECT_EQ(r.status, 3) << r.err;
  auto rows = ParseTable(r.err);
  EXPECT_EQ(rows.size(), 4u) << r.err;
  EXPECT_EQ(rows["getpid"].calls, 5);
  EXPECT_EQ(rows["chdir"].calls, 2);
  EXPECT_EQ(rows["chdir"].errors, 2);
  EXPECT_EQ(rows["write"].calls, 2);
  EXPECT_EQ(rows["total"].calls, 9);
  EXPECT_EQ(rows["total"].errors, 2);
}

TEST(TraceCount, BothTraceAndTable) {
  std::string in = BasicInput();
  RunResult r = Pwnbox({"trace", "-C", "-e", "trace=getpid,chdir", "--", Prog("tr_basic"), in});
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_EQ(Grep(r.err, "getpid()").size(), 5u) << r.err;
  EXPECT_EQ(Grep(r.err, "chdir(").size(), 2u) << r.err;
  EXPECT_EQ(Grep(r.err, "+++ exited with 3 +++").size(), 1u) << r.err;
  auto rows = ParseTable(r.err);
  EXPECT_EQ(rows["getpid"].calls, 5);
  EXPECT_EQ(rows["chdir"].errors, 2);
  EXPECT_EQ(rows["total"].calls, 7);
  // The trace comes first, the table after it.
  EXPECT_LT(r.err.find("+++ exited with 3 +++"), r.err.find(kHeader)) << r.err;
}

// -c times, as strace's: the CPU time the target spent in each call, so a call that waits
// (nanosleep of 300 ms) costs next to nothing and one that works in the kernel (clearing 64 MiB
// for a read of /dev/zero) shows its work; -w (as strace -w) times them wall-clock instead.
TEST(TraceCount, TimesAreTheTargetsCpuTimeAndWallClockWithW) {
  RunResult r = Pwnbox({"trace", "-c", "-e", "trace=nanosleep,read", "--", Prog("po_cputime")});
  ASSERT_EQ(r.status, 0) << r.err;
  auto rows = ParseTable(r.err);
  ASSERT_TRUE(rows.count("nanosleep") && rows.count("read")) << r.err;
  EXPECT_EQ(rows["nanosleep"].calls, 1);
  EXPECT_LT(rows["nanosleep"].seconds, 0.1) << r.err;
  EXPECT_GT(rows["read"].seconds, 0.0005) << r.err;
  EXPECT_GT(rows["read"].seconds, rows["nanosleep"].seconds) << r.err;
  EXPECT_EQ(Grep(r.err, "wall-clock").size(), 0u) << r.err;

  r = Pwnbox({"trace", "-c", "-w", "-e", "trace=nanosleep,read", "--", Prog("po_cputime")});
  ASSERT_EQ(r.status, 0) << r.err;
  rows = ParseTable(r.err);
  ASSERT_TRUE(rows.count("nanosleep")) << r.err;
  EXPECT_GE(rows["nanosleep"].seconds, 0.3) << r.err;
  // --summary-wall-clock is strace's long name for it.
  r = Pwnbox({"trace", "-C", "--summary-wall-clock", "-e", "trace=nanosleep", "--",
              Prog("po_cputime")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(Grep(r.err, "nanosleep({tv_sec=0, tv_nsec=300000000}, NULL)").size(), 1u) << r.err;
  EXPECT_GE(ParseTable(r.err)["nanosleep"].seconds, 0.3) << r.err;
  // Without a summary -w means nothing: refused, as strace refuses it.
  r = Pwnbox({"trace", "-w", "--", Prog("po_cputime")});
  EXPECT_EQ(r.status, 125);
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  EXPECT_TRUE(Contains(r.err, "pwnbox: -w times the summary: give it with -c or -C")) << r.err;
}

TEST(TraceCount, ThreadsAllCounted) {
  constexpr int kThreads = 4, kCalls = 25;
  RunResult r = Pwnbox({"trace", "-c", "--", Prog("tr_threads"), std::to_string(kThreads),
                        std::to_string(kCalls)});
  EXPECT_EQ(r.status, 0) << r.err;
  auto rows = ParseTable(r.err);
  ASSERT_TRUE(rows.count("getppid")) << r.err;
  EXPECT_EQ(rows["getppid"].calls, kThreads * kCalls);
  EXPECT_EQ(rows["getppid"].errors, 0);
}

TEST(TraceThreads, EveryThreadsCallsWithPrefixes) {
  constexpr int kThreads = 3, kCalls = 5;
  RunResult r = Pwnbox({"trace", "-e", "trace=getppid,clone3,exit", "--", Prog("tr_threads"),
                        std::to_string(kThreads), std::to_string(kCalls)});
  EXPECT_EQ(r.status, 0) << r.err;
  std::map<long, int> per_pid;
  std::set<long> created;
  std::regex getppid(R"(getppid\(\) += (\d+))");
  std::regex clone3(R"(clone3\(.*\) += (\d+)$)");
  for (const auto& l : Merge(r.err)) {
    std::smatch m;
    if (std::regex_match(l.text, m, getppid)) {
      EXPECT_GT(l.pid, 0) << "no [pid N] prefix: " << l.text;
      per_pid[l.pid]++;
    }
    if (std::regex_match(l.text, m, clone3)) created.insert(std::stol(m[1]));
  }
  EXPECT_EQ(per_pid.size(), static_cast<size_t>(kThreads)) << r.err;
  for (const auto& [pid, n] : per_pid) EXPECT_EQ(n, kCalls) << pid;
  // Each thread creation is a clone3 (glibc 2.36) returning the new thread's id.
  std::set<long> callers;
  for (const auto& [pid, n] : per_pid) callers.insert(pid);
  EXPECT_EQ(created, callers) << r.err;
  EXPECT_EQ(Lines(r.err).back(), "+++ exited with 0 +++");
}

// ---- forks ----

TEST(TraceFork, FollowsChildWithPrefixes) {
  for (const std::string mode : {"fork", "vfork"}) {
    SCOPED_TRACE(mode);
    RunResult r = Pwnbox({"trace", "--", Prog("tr_fork"), mode});
    EXPECT_EQ(r.status, 7) << r.err;
    EXPECT_EQ(r.out, "child\n");
    // The child's pid, as the parent's fork/vfork returned it.
    std::regex ret(mode == "fork" ? R"(clone\(child_stack=NULL, flags=CLONE_CHILD_CLEARTID\|)"
                                    R"(CLONE_CHILD_SETTID\|SIGCHLD, child_tidptr=0x[0-9a-f]+\))"
                                    R"( += (\d+)$)"
                                  : R"(vfork\(\) += (\d+)$)");
    long child = -1;
    for (const auto& l : Merge(r.err)) {
      std::smatch m;
      if (std::regex_match(l.text, m, ret)) child = std::stol(m[1]);
    }
    ASSERT_GT(child, 0) << r.err;
    // The child's lines, each with the child's prefix (a call may be split by another task's
    // line into "<unfinished ...>" and "<... resumed>": join those).
    std::vector<std::string> child_lines;
    for (const auto& l : Merge(r.err))
      if (l.pid == child)
        child_lines.push_back(std::regex_replace(l.text, std::regex(R"(\)\s+= )"), ") = "));
    std::vector<std::string> want_child{"write(1, \"child\\n\", 6) = 6", "exit_group(7) = ?",
                                        "+++ exited with 7 +++"};
    if (mode == "fork") want_child.insert(want_child.begin(), "set_robust_list(0xADDR, 24) = 0");
    for (auto& l : child_lines) l = std::regex_replace(l, std::regex("0x[0-9a-f]{7,}"), "0xADDR");
    EXPECT_EQ(Join(child_lines), Join(want_child)) << r.err;
    std::string pre = PidPrefix(child);
    EXPECT_EQ(Grep(r.err, pre + "+++ exited with 7 +++").size(), 1u) << r.err;
    std::string joined = NormalizedText(r.err);
    EXPECT_TRUE(Contains(joined, "wait4(PID1, [{WIFEXITED(s) && WEXITSTATUS(s) == 7}], 0, "
                                 "NULL) = PID1\n"))
        << joined;
    EXPECT_TRUE(Contains(joined, "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, "
                                 "si_pid=PID1, si_uid=" +
                                     std::to_string(getuid()) + ", si_status=7, "))
        << joined;
    // Before the fork there is only one task: no prefixes.
    auto lines = Lines(r.err);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines[0].rfind("execve(", 0), 0u) << lines[0];
    for (const auto& l : lines) {
      if (Contains(l, mode == "fork" ? "clone(" : "vfork(")) break;
      EXPECT_NE(l.rfind("[pid", 0), 0u) << l;
    }
    EXPECT_EQ(lines.back(), "+++ exited with 7 +++");
  }
}

TEST(TraceFork, SameLinesAsStrace) {
  ExpectSameAsStrace({Prog("tr_fork"), "fork"}, "clone(");
}

TEST(TraceFork, VforkSameLinesAsStrace) {
  ExpectSameAsStrace({Prog("tr_fork"), "vfork"}, "vfork(");
}

TEST(TraceFork, NoFollow) {
  RunResult r = Pwnbox({"trace", "--no-follow", "--", Prog("tr_fork"), "fork"});
  EXPECT_EQ(r.status, 7) << r.err;
  EXPECT_EQ(r.out, "child\n");
  EXPECT_EQ(Grep(r.err, "[pid ").size(), 0u) << r.err;
  EXPECT_EQ(Grep(r.err, "child\\n").size(), 0u) << r.err;
  EXPECT_EQ(Grep(r.err, "exit_group(7)").size(), 1u) << r.err;  // the parent's only
  EXPECT_TRUE(Contains(r.err, "\nwait4(")) << r.err;
  EXPECT_EQ(Lines(r.err).back(), "+++ exited with 7 +++");
  // -f is accepted (strace's spelling of the default).
  RunResult f = Pwnbox({"trace", "-f", "--", Prog("tr_fork"), "fork"});
  EXPECT_EQ(f.status, 7) << f.err;
  // (The call may be split by the parent's lines into <unfinished ...> / <... resumed>.)
  EXPECT_EQ(Grep(f.err, "write(1, \"child\\n\", 6").size(), 1u) << f.err;
}

TEST(TraceStructs, SameLinesAsStrace) {
  std::string dir = TempDir();
  std::string dir2 = TempDir();
  // Two runs, two empty directories: same names, so same sizes.
  if (!HasStrace()) GTEST_SKIP();
  RunResult p = Pwnbox({"trace", "--", Prog("tr_structs"), dir});
  EXPECT_EQ(p.status, 0) << p.err;
  std::string s = StraceOutput({Prog("tr_structs"), dir2});
  std::string mine = p.err;
  size_t at;
  while ((at = s.find(dir2)) != std::string::npos) s.replace(at, dir2.size(), dir);
  EXPECT_EQ(Dump(PerTask(Normalize(mine), "pipe2(")), Dump(PerTask(Normalize(s), "pipe2(")))
      << mine;
}

TEST(TraceStructs, ExactLines) {
  std::string dir = TempDir();
  RunResult r = Pwnbox({"trace", "--", Prog("tr_structs"), dir});
  EXPECT_EQ(r.status, 0) << r.err;
  utsname u;
  uname(&u);
  std::string f = dir + "/f";
  std::string stat_s = "{st_mode=S_IFREG|0640, st_size=5, ...}";
  std::vector<std::string> want{
      L("pipe2([3, 4], O_CLOEXEC)", "0"),
      L("write(4, \"x\", 1)", "1"),
      L("poll([{fd=3, events=POLLIN}], 1, 0)", "1 ([{fd=3, revents=POLLIN}])"),
      L("epoll_create1(EPOLL_CLOEXEC)", "5"),
      L("epoll_ctl(5, EPOLL_CTL_ADD, 3, {events=EPOLLIN, data={u32=3, u64=3}})", "0"),
      L("epoll_wait(5, [{events=EPOLLIN, data={u32=3, u64=3}}], 4, 0)", "1"),
      L("openat(AT_FDCWD, \"" + f + "\", O_RDWR|O_CREAT|O_APPEND|O_CLOEXEC, 0600)", "6"),
      L("write(6, \"hello\", 5)", "5"),
      L("fchmod(6, 0640)", "0"),
      L("stat(\"" + f + "\", " + stat_s + ")", "0"),
      L("lstat(\"" + f + "\", " + stat_s + ")", "0"),
      L("newfstatat(AT_FDCWD, \"" + f + "\", " + stat_s + ", 0)", "0"),
      L("fstat(6, " + stat_s + ")", "0"),
      L("fcntl(6, F_SETFD, FD_CLOEXEC)", "0"),
      L("fcntl(6, F_GETFL)", "0x8402 (flags O_RDWR|O_APPEND|O_LARGEFILE)"),
      L("ioctl(6, TCGETS, 0xADDR)", "-1 ENOTTY (Inappropriate ioctl for device)"),
      L("writev(4, [{iov_base=\"ab\", iov_len=2}, {iov_base=\"cd\\n\", iov_len=3}], 2)", "5"),
      L("nanosleep({tv_sec=0, tv_nsec=1000}, NULL)", "0"),
      L("clock_nanosleep(CLOCK_MONOTONIC, 0, {tv_sec=0, tv_nsec=1000}, NULL)", "0"),
      L("rt_sigaction(SIGUSR2, {sa_handler=SIG_IGN, sa_mask=[USR1], sa_flags=SA_RESTART}, "
        "NULL, 8)",
        "0"),
      L("rt_sigaction(SIGUSR2, NULL, {sa_handler=SIG_IGN, sa_mask=[USR1], "
        "sa_flags=SA_RESTART}, 8)",
        "0"),
      L("rt_sigprocmask(SIG_BLOCK, [USR1 USR2], [], 8)", "0"),
      L("rt_sigprocmask(SIG_SETMASK, [], NULL, 8)", "0"),
      L("mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)", "0xADDR"),
      L("mprotect(0xADDR, 8192, PROT_READ)", "0"),
      L("munmap(0xADDR, 8192)", "0"),
      L("setrlimit(RLIMIT_CORE, {rlim_cur=0, rlim_max=0})", "0"),
      L("getrlimit(RLIMIT_CORE, {rlim_cur=0, rlim_max=0})", "0"),
      L("prlimit64(0, RLIMIT_CORE, NULL, {rlim_cur=0, rlim_max=0})", "0"),
      L("uname({sysname=\"Linux\", nodename=\"" + std::string(u.nodename) + "\", ...})", "0"),
      L("dup2(6, 10)", "10"),
      L("dup3(6, 11, O_CLOEXEC)", "11"),
      L("socket(AF_UNIX, SOCK_STREAM, 0)", "7"),
      L("bind(7, {sa_family=AF_UNIX, sun_path=\"" + dir + "/sock\"}, " +
            std::to_string(2 + dir.size() + 6) + ")",
        "0"),
      L("socket(AF_INET, SOCK_STREAM, IPPROTO_IP)", "8"),
      L("connect(8, {sa_family=AF_INET, sin_port=htons(1), "
        "sin_addr=inet_addr(\"127.0.0.1\")}, 16)",
        "-1 ECONNREFUSED (Connection refused)"),
      L("openat(AT_FDCWD, \"" + dir + "\", O_RDONLY|O_DIRECTORY)", "9"),
      // ".", "..", "f", "sock": 24 + 24 + 24 + 24 bytes of linux_dirent64.
      L("getdents64(9, 0xADDR /* 4 entries */, 4096)", "96"),
  };
  std::vector<std::string> got;
  for (const auto& l : From(r.err, "pipe2(")) {
    if (l.rfind("clone3(", 0) == 0 || l.rfind("[pid", 0) == 0) break;
    got.push_back(std::regex_replace(l, std::regex(R"(0x[0-9a-f]{7,})"), "0xADDR"));
  }
  // Addresses replaced after the padding was computed: re-pad those lines.
  for (auto& g : got) {
    std::smatch m;
    if (Contains(g, "0xADDR") && std::regex_match(g, m, std::regex(R"(^(.*?\)) +(= .*)$)")))
      g = L(m[1], m[2].str().substr(2));
  }
  EXPECT_EQ(Join(got), Join(want)) << r.err;
  // clone3 and the child.
  std::string all = NormalizedText(r.err);
  EXPECT_TRUE(Contains(all, "clone3({flags=0, exit_signal=SIGCHLD, stack=NULL, stack_size=0}, "
                            "88) = PID1\n"))
      << all;
  EXPECT_TRUE(Contains(all, "exit_group(5) = ?\n")) << all;
  EXPECT_TRUE(Contains(all, "+++ exited with 5 +++\n")) << all;
  EXPECT_TRUE(Contains(all, "wait4(PID1, [{WIFEXITED(s) && WEXITSTATUS(s) == 5}], 0, NULL) = "
                            "PID1\n"))
      << all;
  EXPECT_EQ(Lines(r.err).back(), "+++ exited with 0 +++");
}

// ---- exec ----

TEST(TraceExec, FollowsExecve) {
  std::string in = BasicInput();
  RunResult r = Pwnbox({"trace", "--", Prog("tr_exec"), Prog("tr_basic"), in});
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_EQ(r.out, std::string(kBasicOut, 8) + kLong);
  auto execs = Grep(r.err, "execve(");
  ASSERT_EQ(execs.size(), 2u) << r.err;
  EXPECT_TRUE(std::regex_match(execs[1], std::regex(ExecveRe({Prog("tr_basic"), in}))))
      << execs[1];
  // The new image's calls follow, to its exit.
  auto after = From(r.err, "tr_basic_missing");
  ASSERT_FALSE(after.empty()) << r.err;
  EXPECT_EQ(after[0], kMissing);
  EXPECT_EQ(Grep(r.err, "getpid()").size(), 5u);
  EXPECT_EQ(after.back(), "+++ exited with 3 +++");
  EXPECT_EQ(Grep(r.err, "[pid ").size(), 0u) << "one task only:\n" << r.err;
}

TEST(TraceExec, SameLinesAsStrace) {
  std::string in = BasicInput();
  ExpectSameAsStrace({Prog("tr_exec"), Prog("tr_basic"), in}, "execve(\"" + Prog("tr_basic"));
}

TEST(TraceExec, ExecInForkedChild) {
  std::string in = BasicInput();
  RunResult r = Pwnbox({"trace", "--", Prog("tr_exec"), "--fork", Prog("tr_basic"), in});
  EXPECT_EQ(r.status, 3) << r.err;
  auto t = Normalize(r.err);
  std::vector<std::string> child;
  for (const auto& l : t)
    if (l.task == 1) child.push_back(l.text);
  ASSERT_FALSE(child.empty()) << r.err;
  auto ex = std::find_if(child.begin(), child.end(), [](const std::string& s) {
    return s.rfind("execve(", 0) == 0;
  });
  ASSERT_NE(ex, child.end()) << r.err;
  EXPECT_TRUE(std::find(ex, child.end(), kMissing) != child.end()) << r.err;
  EXPECT_EQ(child.back(), "+++ exited with 3 +++");
  EXPECT_EQ(Grep(r.err, "tr_basic_missing")[0].rfind("[pid ", 0), 0u) << r.err;
  EXPECT_EQ(Lines(r.err).back(), "+++ exited with 3 +++");
}

TEST(TraceExec, ExecInForkedChildSameLinesAsStrace) {
  std::string in = BasicInput();
  ExpectSameAsStrace({Prog("tr_exec"), "--fork", Prog("tr_basic"), in}, "clone(");
}

// ---- signals ----

TEST(TraceSignal, HandlerAndSiginfo) {
  RunResult r = Pwnbox({"trace", "--", Prog("tr_signal"), "handler"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "usr1\nusr1\n");
  auto lines = From(r.err, "rt_sigaction(SIGUSR1");
  ASSERT_EQ(lines.size(), 12u) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_match(lines[1], m, std::regex(R"(getpid\(\) += (\d+))"))) << lines[1];
  std::string pid = m[1];
  std::string uid = std::to_string(getuid());
  EXPECT_TRUE(std::regex_match(
      lines[0], std::regex(R"(rt_sigaction\(SIGUSR1, \{sa_handler=0x[0-9a-f]+, sa_mask=\[\], )"
                           R"(sa_flags=SA_RESTORER, sa_restorer=0x[0-9a-f]+\}, NULL, 8\) = 0)")))
      << lines[0];
  std::vector<std::string> want{
      L("kill(" + pid + ", SIGUSR1)", "0"),
      "--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=" + pid + ", si_uid=" + uid +
          "} ---",
      L("write(1, \"usr1\\n\", 5)", "5"),
      L("rt_sigreturn({mask=[]})", "0"),
      L("tgkill(" + pid + ", " + pid + ", SIGUSR1)", "0"),
      "--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_TKILL, si_pid=" + pid + ", si_uid=" + uid +
          "} ---",
      L("write(1, \"usr1\\n\", 5)", "5"),
      L("rt_sigreturn({mask=[]})", "0"),
      L("exit_group(0)", "?"),
      "+++ exited with 0 +++",
  };
  EXPECT_EQ(Join({lines.begin() + 2, lines.end()}), Join(want)) << r.err;
}

TEST(TraceSignal, SameLinesAsStrace) {
  ExpectSameAsStrace({Prog("tr_signal"), "handler"}, "rt_sigaction(SIGUSR1");
}

TEST(TraceSignal, KilledBySigkill) {
  RunResult r = Pwnbox({"trace", "--", Prog("tr_signal"), "kill"});
  EXPECT_EQ(r.status, 128 + 9) << r.err;
  auto lines = Lines(r.err);
  ASSERT_GE(lines.size(), 2u) << r.err;
  EXPECT_TRUE(std::regex_match(lines[lines.size() - 2],
                               std::regex(R"(kill\((\d+), SIGKILL\) += \?)")))
      << r.err;
  EXPECT_EQ(lines.back(), "+++ killed by SIGKILL +++");
}

TEST(TraceSignal, ChildKilledBySigkill) {
  RunResult r = Pwnbox({"trace", "--", Prog("tr_signal"), "child"});
  EXPECT_EQ(r.status, 0) << r.err;
  auto killed = Grep(r.err, "+++ killed by SIGKILL +++");
  ASSERT_EQ(killed.size(), 1u) << r.err;
  EXPECT_TRUE(std::regex_match(killed[0], std::regex(R"(\[pid +\d+\] \+\+\+ killed by SIGKILL \+\+\+)")))
      << killed[0];
  std::string all = NormalizedText(r.err);
  EXPECT_TRUE(Contains(all, "wait4(PID1, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}], 0, "
                            "NULL) = PID1\n"))
      << all;
  EXPECT_TRUE(Contains(all, "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_KILLED, si_pid=PID1, "))
      << all;
  EXPECT_EQ(Lines(r.err).back(), "+++ exited with 0 +++");
}

TEST(TraceSignal, ChildKilledSameLinesAsStrace) {
  ExpectSameAsStrace({Prog("tr_signal"), "child"}, "clone(");
}

// ---- i386 calls from a 64-bit program ----

TEST(TraceInt80, NamesI386Calls) {
  RunResult r = Pwnbox({"trace", "--", Prog("tr_int80")});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "int80\n");
  auto lines = From(r.err, "MAP_32BIT");
  std::vector<std::string> calls;
  for (const auto& l : lines)
    if (l.rfind("[ Process", 0) != 0) calls.push_back(l);
  ASSERT_EQ(calls.size(), 5u) << r.err;
  EXPECT_TRUE(std::regex_match(calls[1], std::regex(R"(getpid\(\) {32}= \d+)"))) << calls[1];
  EXPECT_EQ(calls[2], L("write(1, \"int80\\n\", 6)", "6"));
  EXPECT_EQ(calls[3], L("exit_group(0)", "?"));
  EXPECT_EQ(calls[4], "+++ exited with 0 +++");
}

TEST(TraceInt80, SameLinesAsStrace) {
  ExpectSameAsStrace({Prog("tr_int80")}, "MAP_32BIT");
}

// ---- real tools ----

// strace's escaping of `s` (printable ASCII as is, \t \n \v \f \r \" \\, the rest octal).
std::string Escape(const std::string& s) {
  std::string o;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    switch (c) {
      case '\t': o += "\\t"; break;
      case '\n': o += "\\n"; break;
      case '\v': o += "\\v"; break;
      case '\f': o += "\\f"; break;
      case '\r': o += "\\r"; break;
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          o += static_cast<char>(c);
        } else {
          bool digit_next = i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7';
          char buf[8];
          snprintf(buf, sizeof buf, digit_next ? "\\%03o" : "\\%o", c);
          o += buf;
        }
    }
  }
  return o;
}

TEST(TraceTools, CatHostname) {
  std::string content = ReadFile("/etc/hostname");
  ASSERT_FALSE(content.empty());
  ASSERT_LE(content.size(), 32u);
  RunResult r = Pwnbox({"trace", "--", "/bin/cat", "/etc/hostname"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, content);
  EXPECT_EQ(Grep(r.err, "openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY) = 3").size(), 1u) << r.err;
  auto reads = Grep(r.err, "read(3, ");
  ASSERT_GE(reads.size(), 2u) << r.err;
  std::string n = std::to_string(content.size());
  bool found = false;
  for (const auto& l : reads) {
    std::smatch m;
    if (std::regex_match(l, m, std::regex(R"re(read\(3, "(.*)", (\d+)\) += (\d+))re")) &&
        m[1] == Escape(content) && m[3] == n)
      found = true;
  }
  EXPECT_TRUE(found) << "no read(3, \"" << Escape(content) << "\", N) = " << n << " in:\n"
                     << r.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex(R"(\nread\(3, "", \d+\) += 0\n)"))) << r.err;
  EXPECT_EQ(Grep(r.err, L("write(1, \"" + Escape(content) + "\", " + n + ")", n)).size(), 1u)
      << r.err;
  EXPECT_EQ(Lines(r.err).back(), "+++ exited with 0 +++");
}

TEST(TraceTools, CatSeedCaseSameAsStrace) {
  ExpectSameAsStrace({"/bin/cat", "/etc/hostname"}, "openat(AT_FDCWD, \"/etc/hostname\"");
}

TEST(TraceTools, CatWithNumbers) {
  RunResult r = Pwnbox({"trace", "-n", "--", "/bin/cat", "/etc/hostname"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(Grep(r.err, "[ 257] openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY) = 3").size(), 1u)
      << r.err;
  // Every syscall line has its number.
  for (const auto& l : Lines(r.err)) {
    // strace -n prefixes the exit line with the last call's number ("[ 231] +++ exited ...").
    if (Contains(l, "+++ exited with ")) continue;
    EXPECT_TRUE(std::regex_search(l, std::regex(R"(^\[ *\d+\] [a-z_0-9]+\()"))) << l;
  }
}

TEST(TraceTools, Ls) {
  std::string dir = TempDir();
  WriteFile(dir + "/alpha", "");
  WriteFile(dir + "/beta", "");
  RunResult r = Pwnbox({"trace", "--", "/bin/ls", dir});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "alpha\nbeta\n");
  EXPECT_TRUE(std::regex_search(
      r.err, std::regex("\nopenat\\(AT_FDCWD, \"" + dir +
                        "\", O_RDONLY\\|O_NONBLOCK\\|O_CLOEXEC\\|O_DIRECTORY\\) += (\\d+)\n")))
      << r.err;
  EXPECT_TRUE(std::regex_search(
      r.err, std::regex(R"(\ngetdents64\(\d+, 0x[0-9a-f]+ /\* 4 entries \*/, \d+\) += \d+\n)")))
      << r.err;
  EXPECT_EQ(Grep(r.err, L("write(1, \"alpha\\nbeta\\n\", 11)", "11")).size(), 1u) << r.err;
  EXPECT_EQ(Lines(r.err).back(), "+++ exited with 0 +++");
}

TEST(TraceTools, Python) {
  if (access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "no python3";
  RunResult r = Pwnbox({"trace", "--", "/usr/bin/python3", "-c", "print(1)"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "1\n");
  // One write of "1\n", or two when stdout is unbuffered (PYTHONUNBUFFERED).
  auto writes = Grep(r.err, "write(1, ");
  if (writes.size() == 2) {
    EXPECT_EQ(writes[0], L("write(1, \"1\", 1)", "1"));
    EXPECT_EQ(writes[1], L("write(1, \"\\n\", 1)", "1"));
  } else {
    EXPECT_EQ(Join(writes), Join({L("write(1, \"1\\n\", 2)", "2")})) << r.err;
  }
  EXPECT_GT(Grep(r.err, "openat(").size(), 10u);
  EXPECT_EQ(Lines(r.err).back(), "+++ exited with 0 +++");
}

TEST(TraceTools, PythonExitStatus) {
  if (access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "no python3";
  RunResult r = Pwnbox({"trace", "-e", "trace=exit_group", "--", "/usr/bin/python3", "-c",
                        "import sys; sys.exit(42)"});
  EXPECT_EQ(r.status, 42) << r.err;
  EXPECT_EQ(Join(Lines(r.err)), Join({L("exit_group(42)", "?"), "+++ exited with 42 +++"}));
}

// ---- usage errors ----

bool OneLineMessage(const std::string& err) {
  return Lines(err).size() == 1 && err.rfind("pwnbox:", 0) == 0;
}

TEST(TraceErrors, NoCommand) {
  RunResult r = Pwnbox({"trace"});
  EXPECT_EQ(r.status, 125);
  EXPECT_TRUE(OneLineMessage(r.err)) << r.err;
  r = Pwnbox({"trace", "--"});
  EXPECT_EQ(r.status, 125);
  EXPECT_TRUE(OneLineMessage(r.err)) << r.err;
}

TEST(TraceErrors, BadOptions) {
  for (const std::vector<std::string>& args : {
           std::vector<std::string>{"trace", "-e", "trace=no_such_syscall", "--", "/bin/true"},
           {"trace", "-s", "notanumber", "--", "/bin/true"},
           {"trace", "--no-such-flag", "--", "/bin/true"},
           {"trace", "-p", "notapid"},
       }) {
    SCOPED_TRACE(args[1] + " " + args[2]);
    RunResult r = Pwnbox(args);
    EXPECT_EQ(r.status, 125);
    EXPECT_TRUE(OneLineMessage(r.err)) << r.err;
  }
}

TEST(TraceErrors, AttachToMissingProcess) {
  // A pid that is not in use: above the kernel's pid_max.
  RunResult r = Pwnbox({"trace", "-p", "2147483647"});
  EXPECT_EQ(r.status, 125);
  EXPECT_TRUE(OneLineMessage(r.err)) << r.err;
}

// A command started in the background with stdin and stdout on pipes; stderr to /dev/null.
// Closing stdin ends tests/progs/po_waiter; the destructor kills and reaps what is left.
class Background {
 public:
  explicit Background(const std::vector<std::string>& argv) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return;
    std::vector<char*> cargv;
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      int null = open("/dev/null", O_WRONLY);
      dup2(null, 2);
      execvp(cargv[0], cargv.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    in_ = in[1];
    out_ = out[0];
  }
  ~Background() {
    CloseStdin();
    if (out_ >= 0) close(out_);
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  std::string ReadLine() {
    std::string line;
    char c;
    while (read(out_, &c, 1) == 1 && c != '\n') line += c;
    return line;
  }
  void CloseStdin() {
    if (in_ >= 0) close(in_);
    in_ = -1;
  }
  // Closes stdin and waits for the end; returns the wait status.
  int End() {
    CloseStdin();
    int st = -1;
    if (waitpid(pid_, &st, 0) == pid_) reaped_ = true;
    return st;
  }

 private:
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1;
  bool reaped_ = false;
};

// argv run as nobody (65534): through setpriv when the test runs as root.
std::vector<std::string> AsNobody(std::vector<std::string> argv) {
  if (geteuid() != 0) return argv;
  argv.insert(argv.begin(), {"setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                             "--"});
  return argv;
}

// -p on a process another tracer holds names that tracer, not ptrace_scope (this kernel has
// no Yama); a refusal for another user's process or a non-dumpable one says so.
TEST(TraceErrors, AttachRefusedSaysWhy) {
  Background traced({PwnboxBin(), "trace", "-o", "/dev/null", "--", Prog("po_waiter")});
  const std::string target = traced.ReadLine();
  ASSERT_FALSE(target.empty());
  RunResult r = Pwnbox({"trace", "-p", target});
  EXPECT_EQ(r.status, 125) << r.err;
  EXPECT_TRUE(OneLineMessage(r.err)) << r.err;
  EXPECT_TRUE(Contains(r.err, "cannot attach to " + target + ": it is already traced by PID " +
                                  std::to_string(traced.pid()) + " (pwnbox)"))
      << r.err;
  EXPECT_FALSE(Contains(r.err, "ptrace_scope")) << r.err;
  const int st = traced.End();
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;

  // PID 1 is root's: nobody may not attach to it.
  r = pwnbox::testing::Run(AsNobody({PwnboxBin(), "trace", "-p", "1"}));
  EXPECT_EQ(r.status, 125) << r.err;
  EXPECT_TRUE(Contains(r.err, "cannot attach to 1: it runs as uid 0: attaching to another "
                              "user's process needs root"))
      << r.err;

  // Same user, but the process made itself non-dumpable.
  Background nodump(AsNobody({Prog("po_waiter"), "nodump"}));
  const std::string pid = nodump.ReadLine();
  ASSERT_FALSE(pid.empty());
  r = pwnbox::testing::Run(AsNobody({PwnboxBin(), "trace", "-p", pid}));
  EXPECT_EQ(r.status, 125) << r.err;
  EXPECT_TRUE(Contains(r.err, "cannot attach to " + pid + ": it is not dumpable")) << r.err;
}

TEST(TraceErrors, CommandNotFound) {
  RunResult r = Pwnbox({"trace", "--", "/nonexistent/pwnbox-no-such-command"});
  EXPECT_EQ(r.status, 127) << r.err;
  EXPECT_TRUE(Contains(r.err, "pwnbox:")) << r.err;
  r = Pwnbox({"trace", "--", "pwnbox-no-such-command-in-path"});
  EXPECT_EQ(r.status, 127) << r.err;
}

// $PATH is searched as bash does: a directory that cannot be searched holds no command (127
// when the name is nowhere else, not 126); a file that is there but not executable is 126
// unless an executable one comes later. (pwnbox runs as nobody: as root every directory can be
// searched.)
TEST(TraceErrors, CommandNotFoundPastAnUnsearchableDirectory) {
  // Root's 0700 directory is not searchable by nobody; nobody's own needs mode 0.
  const std::string locked = TempDir();
  chmod(locked.c_str(), geteuid() == 0 ? 0700 : 0);
  const std::string noexec = TempDir(), exec = TempDir();
  for (const auto& d : {noexec, exec}) chmod(d.c_str(), 0755);
  WriteFile(noexec + "/po-cmd", "#!/bin/sh\necho noexec\n");
  chmod((noexec + "/po-cmd").c_str(), 0644);
  WriteFile(exec + "/po-cmd", "#!/bin/sh\necho exec\n");
  chmod((exec + "/po-cmd").c_str(), 0755);
  auto with_path = [](const std::string& path) {
    RunOptions o;
    o.env = {"PATH=" + path};
    return o;
  };
  RunResult r = pwnbox::testing::Run(
      AsNobody({PwnboxBin(), "trace", "-o", "/dev/null", "--", "pwnbox-no-such-command"}),
      with_path(locked + ":/usr/bin:/bin"));
  EXPECT_EQ(r.status, 127) << r.err;
  EXPECT_TRUE(Contains(r.err, "pwnbox-no-such-command: command not found")) << r.err;
  EXPECT_TRUE(Contains(r.err, locked + " in $PATH cannot be searched")) << r.err;
  // Found but not executable: 126, as bash.
  r = pwnbox::testing::Run(AsNobody({PwnboxBin(), "trace", "-o", "/dev/null", "--", "po-cmd"}),
                           with_path(locked + ":" + noexec + ":/usr/bin:/bin"));
  EXPECT_EQ(r.status, 126) << r.err;
  EXPECT_TRUE(Contains(r.err, noexec + "/po-cmd: Permission denied")) << r.err;
  // An executable one later in $PATH is the command.
  r = pwnbox::testing::Run(AsNobody({PwnboxBin(), "trace", "-o", "/dev/null", "--", "po-cmd"}),
                           with_path(locked + ":" + noexec + ":" + exec + ":/usr/bin:/bin"));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "exec\n");
  // A directory of that name is no command either.
  ASSERT_EQ(mkdir((noexec + "/po-dir").c_str(), 0755), 0);
  r = pwnbox::testing::Run(AsNobody({PwnboxBin(), "trace", "-o", "/dev/null", "--", "po-dir"}),
                           with_path(noexec + ":/usr/bin:/bin"));
  EXPECT_EQ(r.status, 127) << r.err;
  if (geteuid() != 0) chmod(locked.c_str(), 0700);  // (so that it can be removed)
}

TEST(TraceErrors, CommandNotExecutable) {
  std::string f = TempDir() + "/not-executable";
  WriteFile(f, "#!/bin/sh\nexit 0\n");
  chmod(f.c_str(), 0644);
  RunResult r = Pwnbox({"trace", "--", f});
  EXPECT_EQ(r.status, 126) << r.err;
  EXPECT_TRUE(Contains(r.err, "pwnbox:")) << r.err;
}

}  // namespace
}  // namespace pwnbox::testing
