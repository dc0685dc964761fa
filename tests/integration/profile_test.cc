// `pwnbox learn` and `pwnbox profile` on real programs: a profile learned from a run lets the
// same command run under `pwnbox --policy` with the same output, and denies what the run never
// did (reported by --complain); recordings merge; strace logs are inputs; every output format
// works where it is used (check, convert, cc -lseccomp, systemd); --args narrows by argument;
// --default changes the verdict; bad input fails with one line and 125.
#include <linux/filter.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/syscalls.h"
#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

// The distribution's python, not a version manager's shim (a shell script that runs more).
const char kPython[] = "/usr/bin/python3";

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// `pwnbox learn -o OUT OPTIONS... -- CMD...`.
RunResult Learn(const std::string& out, const std::vector<std::string>& cmd,
                const std::vector<std::string>& options = {}, const RunOptions& ro = {}) {
  return Pwnbox(Concat(Concat(Concat({"learn", "-o", out}, options), {"--"}), cmd), ro);
}

// `pwnbox --policy POLICY [--complain] -- CMD...`.
RunResult Enforce(const std::string& policy, const std::vector<std::string>& cmd,
                  bool complain = false, const RunOptions& ro = {}) {
  std::vector<std::string> args = {"--policy", policy};
  if (complain) args.push_back("--complain");
  args.push_back("--");
  return Pwnbox(Concat(args, cmd), ro);
}

// testing::Run (inside a TEST body, Run names the test's own method).
RunResult Exec(const std::vector<std::string>& argv) { return Run(argv); }

void ExpectOneLineError(const RunResult& r, const std::string& needle) {
  EXPECT_EQ(r.status, 125) << r.err;
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  EXPECT_EQ(r.err.rfind("pwnbox: ", 0), 0u) << r.err;
  EXPECT_TRUE(Contains(r.err, needle)) << "expected \"" << needle << "\" in: " << r.err;
}

// Learns a TOML profile from `cmd`, checks it, and runs `cmd` again under it: same status and
// output. Returns the profile's path.
std::string RoundTrip(const std::string& dir, const std::string& name,
                      const std::vector<std::string>& cmd, const RunOptions& ro = {}) {
  const std::string policy = dir + "/" + name + ".toml";
  RunResult learned = Learn(policy, cmd, {}, ro);
  EXPECT_EQ(learned.status, 0) << learned.err;
  EXPECT_EQ(Grep(learned.err, "pwnbox: wrote " + policy + ": ").size(), 1u) << learned.err;
  RunResult check = Pwnbox({"check", policy});
  EXPECT_EQ(check.status, 0) << check.out << check.err;
  RunResult enforced = Enforce(policy, cmd, false, ro);
  EXPECT_EQ(enforced.status, 0) << enforced.err << "\n" << ReadFile(policy);
  EXPECT_EQ(enforced.out, learned.out);
  EXPECT_EQ(enforced.err, "");
  return policy;
}

// The last word of each line (file names in `ls -l`, whose sizes and times move under /tmp).
std::vector<std::string> LastWords(const std::string& text) {
  std::vector<std::string> words;
  for (const auto& line : Lines(text)) words.push_back(line.substr(line.rfind(' ') + 1));
  return words;
}

TEST(Learn, LsRoundTrip) {
  const std::string dir = TempDir();
  const std::string policy = dir + "/ls.toml";
  RunResult learned = Learn(policy, {"ls", "-l", "/"});
  ASSERT_EQ(learned.status, 0) << learned.err;
  EXPECT_EQ(Pwnbox({"check", policy}).status, 0);
  RunResult enforced = Enforce(policy, {"ls", "-l", "/"});
  EXPECT_EQ(enforced.status, 0) << enforced.err;
  EXPECT_EQ(enforced.err, "");
  EXPECT_FALSE(learned.out.empty());
  EXPECT_EQ(LastWords(enforced.out), LastWords(learned.out));
}

TEST(Learn, CatRoundTrip) {
  const std::string dir = TempDir();
  WriteFile(dir + "/in.txt", "one\ntwo\n");
  RoundTrip(dir, "cat", {"cat", dir + "/in.txt"});
}

TEST(Learn, PythonRoundTrip) {
  const std::string dir = TempDir();
  RoundTrip(dir, "py", {kPython, "-c", "import json; print(json.dumps({'a': sum(range(10))}))"});
}

TEST(Learn, SqliteRoundTrip) {
  const std::string dir = TempDir();
  // Each run gets a fresh database (the second would otherwise find the table).
  const std::string sql = "create table t(x); insert into t values (1), (2); select sum(x) from t;";
  const std::string policy = dir + "/sqlite.toml";
  RunResult learned = Learn(policy, {"sqlite3", dir + "/learn.db", sql});
  ASSERT_EQ(learned.status, 0) << learned.err;
  EXPECT_EQ(learned.out, "3\n");
  RunResult enforced = Enforce(policy, {"sqlite3", dir + "/run.db", sql});
  EXPECT_EQ(enforced.status, 0) << enforced.err;
  EXPECT_EQ(enforced.out, "3\n");
}

TEST(Learn, TarRoundTrip) {
  const std::string dir = TempDir();
  std::filesystem::create_directories(dir + "/src/sub");
  WriteFile(dir + "/src/a.txt", "a\n");
  WriteFile(dir + "/src/sub/b.txt", "b\n");
  const std::string policy = dir + "/tar.toml";
  RunResult learned = Learn(policy, {"tar", "-cf", dir + "/learn.tar", "-C", dir + "/src", "."});
  ASSERT_EQ(learned.status, 0) << learned.err;
  RunResult enforced = Enforce(policy, {"tar", "-cf", dir + "/run.tar", "-C", dir + "/src", "."});
  EXPECT_EQ(enforced.status, 0) << enforced.err;
  RunResult list = Exec({"tar", "-tf", dir + "/run.tar"});
  EXPECT_EQ(list.status, 0);
  EXPECT_EQ(list.out, Exec({"tar", "-tf", dir + "/learn.tar"}).out);
  EXPECT_TRUE(Contains(list.out, "./sub/b.txt")) << list.out;
}

TEST(Learn, ShellPipelineRoundTrip) {
  const std::string dir = TempDir();
  WriteFile(dir + "/words", "b\na\nb\nc\nb\n");
  const std::string policy =
      RoundTrip(dir, "sh", {"sh", "-c", "cat " + dir + "/words | sort | uniq -c"});
  RunResult again = Enforce(policy, {"sh", "-c", "cat " + dir + "/words | sort | uniq -c"});
  EXPECT_TRUE(Contains(again.out, "3 b")) << again.out;
}

// What the learned run never did is denied; --complain names it instead.
TEST(Learn, DeniesWhatTheRunNeverDid) {
  const std::string dir = TempDir();
  const std::string policy = dir + "/py.toml";
  ASSERT_EQ(Learn(policy, {kPython, "-c", "print(1)"}).status, 0);
  const std::vector<std::string> sock = {kPython, "-c",
                                         "import socket; socket.socket(); print('made a socket')"};
  RunResult denied = Enforce(policy, sock);
  EXPECT_NE(denied.status, 0);
  EXPECT_EQ(denied.out, "");
  EXPECT_TRUE(Contains(denied.err, "PermissionError")) << denied.err;

  RunResult complained = Enforce(policy, sock, /*complain=*/true);
  EXPECT_EQ(complained.status, 0) << complained.err;
  EXPECT_EQ(complained.out, "made a socket\n");
  auto socket_lines = Grep(complained.err, "socket(AF_INET");
  ASSERT_EQ(socket_lines.size(), 1u) << complained.err;
  EXPECT_TRUE(Contains(socket_lines[0], "--complain, would be errno:EPERM, the default action"))
      << socket_lines[0];
}

TEST(Learn, FailingRunStillWritesTheProfile) {
  const std::string dir = TempDir();
  const std::string policy = dir + "/fail.toml";
  RunResult r = Learn(policy, {"sh", "-c", "echo out; exit 3"});
  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(Grep(r.err, "pwnbox: note: the run exited with status 3").size(), 1u) << r.err;
  EXPECT_EQ(Pwnbox({"check", policy}).status, 0);
  RunResult again = Enforce(policy, {"sh", "-c", "echo out; exit 3"});
  EXPECT_EQ(again.status, 3) << again.err;
  EXPECT_EQ(again.out, "out\n");
}

TEST(Learn, SummaryLineAndNoLeftovers) {
  const std::string dir = TempDir();
  const std::string tmp = dir + "/tmp";
  std::filesystem::create_directories(tmp);
  const std::string policy = dir + "/true.toml";
  RunResult r = Learn(policy, {"true"}, {}, RunOptions{.env = {"TMPDIR=" + tmp}});
  ASSERT_EQ(r.status, 0) << r.err;
  // "pwnbox: wrote OUT: N syscalls from 1 run (M calls)"
  auto lines = Lines(r.err);
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_TRUE(Contains(lines[0], "pwnbox: wrote " + policy + ": ")) << lines[0];
  EXPECT_TRUE(Contains(lines[0], " syscalls from 1 run (")) << lines[0];
  EXPECT_TRUE(Contains(lines[0], " calls)")) << lines[0];
  // The temporary recording is gone and the profile was renamed into place.
  EXPECT_TRUE(std::filesystem::is_empty(tmp));
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"tmp", "true.toml"}));
  struct stat st;
  ASSERT_EQ(stat(policy.c_str(), &st), 0);
  EXPECT_NE(st.st_mode & 0044, 0u) << "a profile is readable by others, as files are";
}

TEST(Learn, KeepRecordingIsAnInputForProfile) {
  const std::string dir = TempDir();
  WriteFile(dir + "/in.txt", "x\n");
  const std::string rec = dir + "/cat.pwnr";
  RunResult r = Learn(dir + "/a.toml", {"cat", dir + "/in.txt"}, {"--keep-recording", rec});
  ASSERT_EQ(r.status, 0) << r.err;
  RunResult show = Pwnbox({"show", rec});
  EXPECT_EQ(show.status, 0) << show.err;
  EXPECT_TRUE(Contains(show.out, "read(3, \"x\\n\"")) << show.out;
  RunResult p = Pwnbox({"profile", rec, "-o", dir + "/b.toml"});
  EXPECT_EQ(p.status, 0) << p.err;
  EXPECT_EQ(Enforce(dir + "/b.toml", {"cat", dir + "/in.txt"}).out, "x\n");
}

// The syscall names of a TOML profile's allow rules.
std::set<std::string> AllowedNames(const std::string& toml) {
  std::set<std::string> names;
  std::istringstream in(toml);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("syscalls", 0) != 0) continue;
    for (size_t q = line.find('"'); q != std::string::npos; q = line.find('"', q + 1)) {
      const size_t end = line.find('"', q + 1);
      if (end == std::string::npos) break;
      names.insert(line.substr(q + 1, end - q - 1));
      q = end;
    }
  }
  return names;
}

TEST(Profile, MergesRecordingsAsAUnion) {
  const std::string dir = TempDir();
  WriteFile(dir + "/in.txt", "x\n");
  ASSERT_EQ(Pwnbox({"record", "-o", dir + "/cat.pwnr", "--", "cat", dir + "/in.txt"}).status, 0);
  ASSERT_EQ(Pwnbox({"record", "-o", dir + "/py.pwnr", "--", kPython, "-c",
                    "import socket; socket.socket(socket.AF_UNIX).close()"})
                .status,
            0);
  RunResult merged = Pwnbox({"profile", dir + "/cat.pwnr", dir + "/py.pwnr", "-o", dir + "/m.toml"});
  ASSERT_EQ(merged.status, 0) << merged.err;
  EXPECT_TRUE(Contains(merged.err, " from 2 runs (")) << merged.err;
  const std::string toml = ReadFile(dir + "/m.toml");
  RunResult cat_only = Pwnbox({"profile", dir + "/cat.pwnr"});
  ASSERT_EQ(cat_only.status, 0) << cat_only.err;
  const auto cat_names = AllowedNames(cat_only.out), all = AllowedNames(toml);
  for (const auto& n : cat_names) EXPECT_TRUE(all.count(n)) << n << " missing from the union";
  EXPECT_TRUE(all.count("socket")) << toml;
  EXPECT_FALSE(cat_names.count("socket")) << cat_only.out;
  // The comment above a rule gives each run's count: read, made by both, shows both, and cat's
  // count is the one cat's own profile gives.
  const std::regex merged_read(R"(# read: ([0-9]+) calls \(\S*/cat\.pwnr ([0-9]+), \S*/py\.pwnr ([0-9]+)\))");
  const std::regex cat_read(R"(# read: ([0-9]+) calls? \(\S*/cat\.pwnr ([0-9]+)\))");
  std::smatch m, c;
  ASSERT_TRUE(std::regex_search(toml, m, merged_read)) << toml;
  ASSERT_TRUE(std::regex_search(cat_only.out, c, cat_read)) << cat_only.out;
  EXPECT_EQ(std::stoul(m[1]), std::stoul(m[2]) + std::stoul(m[3]));
  EXPECT_EQ(m[2], c[1]);
  EXPECT_GT(std::stoul(m[3]), 0u);
  EXPECT_EQ(Grep(toml, "# socket: ").size(), 1u) << toml;
  EXPECT_TRUE(Contains(Grep(toml, "# socket: ")[0], "/py.pwnr 1)")) << toml;
  // Both commands run under the merged profile.
  EXPECT_EQ(Enforce(dir + "/m.toml", {"cat", dir + "/in.txt"}).out, "x\n");
  RunResult py = Enforce(dir + "/m.toml",
                         {kPython, "-c", "import socket; socket.socket(socket.AF_UNIX).close()"});
  EXPECT_EQ(py.status, 0) << py.err;
}

TEST(Profile, StraceLogIsAnInput) {
  const std::string dir = TempDir();
  WriteFile(dir + "/in.txt", "from strace\n");
  const std::string log = dir + "/cat.strace";
  RunResult traced = Exec({"strace", "-f", "-o", log, "cat", dir + "/in.txt"});
  ASSERT_EQ(traced.status, 0) << traced.err;
  RunResult p = Pwnbox({"profile", log, "-o", dir + "/cat.toml"});
  ASSERT_EQ(p.status, 0) << p.err;
  EXPECT_EQ(Pwnbox({"check", dir + "/cat.toml"}).status, 0);
  RunResult enforced = Enforce(dir + "/cat.toml", {"cat", dir + "/in.txt"});
  EXPECT_EQ(enforced.status, 0) << enforced.err;
  EXPECT_EQ(enforced.out, "from strace\n");
  // A shell pipeline's log (-f: several processes) works too.
  const std::string log2 = dir + "/sh.strace";
  const std::vector<std::string> sh = {"sh", "-c", "cat " + dir + "/in.txt | wc -c"};
  ASSERT_EQ(Exec(Concat({"strace", "-f", "-o", log2}, sh)).status, 0);
  ASSERT_EQ(Pwnbox({"profile", log2, "-o", dir + "/sh.toml"}).status, 0);
  RunResult piped = Enforce(dir + "/sh.toml", sh);
  EXPECT_EQ(piped.status, 0) << piped.err;
  EXPECT_EQ(piped.out, "12\n");
}

// 32-bit calls (int 0x80) need the i386 ABI in the profile. strace says when a process switches
// only on its stderr, so that is the log to give; a recording always knows.
TEST(Profile, Int80CallsAddTheI386Abi) {
  const std::string dir = TempDir();
  const std::string log = dir + "/int80.strace";
  RunResult traced = Exec({"sh", "-c", "strace " + Prog("tr_int80") + " 2>" + log});
  ASSERT_EQ(traced.status, 0) << traced.err;
  ASSERT_EQ(Pwnbox({"profile", log, "-o", dir + "/log.toml"}).status, 0);
  ASSERT_EQ(Learn(dir + "/rec.toml", {Prog("tr_int80")}).status, 0);
  for (const std::string& policy : {dir + "/log.toml", dir + "/rec.toml"}) {
    SCOPED_TRACE(policy);
    EXPECT_TRUE(Contains(ReadFile(policy), "abi = [\"x86_64\", \"i386\"]"));
    RunResult enforced = Enforce(policy, {Prog("tr_int80")});
    EXPECT_EQ(enforced.status, 0) << enforced.err;
    EXPECT_EQ(enforced.out, "int80\n");
  }
}

TEST(Profile, WritesToStdoutWithoutOutput) {
  const std::string dir = TempDir();
  ASSERT_EQ(Pwnbox({"record", "-o", dir + "/t.pwnr", "--", "true"}).status, 0);
  RunResult p = Pwnbox({"profile", dir + "/t.pwnr"});
  ASSERT_EQ(p.status, 0) << p.err;
  EXPECT_EQ(p.err, "");
  WriteFile(dir + "/t.toml", p.out);
  EXPECT_EQ(Pwnbox({"check", dir + "/t.toml"}).status, 0);
  EXPECT_TRUE(AllowedNames(p.out).count("execve")) << p.out;
  // --format oci to stdout is JSON.
  RunResult oci = Pwnbox({"profile", dir + "/t.pwnr", "--format", "oci"});
  ASSERT_EQ(oci.status, 0) << oci.err;
  EXPECT_NO_THROW(nlohmann::json::parse(oci.out)) << oci.out;
}

TEST(ProfileFormats, OciConvertsAndRuns) {
  const std::string dir = TempDir();
  const std::string json = dir + "/ls.json";  // .json: OCI without --format
  ASSERT_EQ(Learn(json, {"ls", "/"}).status, 0);
  auto parsed = nlohmann::json::parse(ReadFile(json));
  EXPECT_EQ(parsed["defaultAction"], "SCMP_ACT_ERRNO") << parsed.dump(1);
  RunResult conv = Pwnbox({"convert", json, "-o", dir + "/x.toml"});
  ASSERT_EQ(conv.status, 0) << conv.err;
  RunResult r = Enforce(dir + "/x.toml", {"ls", "/"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, Exec({"ls", "/"}).out);
}

TEST(ProfileFormats, CProgramCompilesAndEnforces) {
  const std::string dir = TempDir();
  WriteFile(dir + "/f", "f\n");
  const std::string src = dir + "/args.c";  // .c: C without --format
  ASSERT_EQ(Learn(src, {Prog("pf_args"), "learn", dir + "/f"}).status, 0);
  RunResult cc = Exec({"cc", "-o", dir + "/prog", src, "-lseccomp"});
  ASSERT_EQ(cc.status, 0) << cc.err;
  RunResult ok = Exec({dir + "/prog", Prog("pf_args"), "learn", dir + "/f"});
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_EQ(ok.out, "learn: ok\n");
  RunResult denied = Exec({dir + "/prog", Prog("pf_args"), "getppid", dir + "/f"});
  EXPECT_EQ(denied.status, 1) << denied.err;
  EXPECT_EQ(denied.out, "getppid: EPERM\n");
  // ls under a profile learned from ls.
  ASSERT_EQ(Learn(dir + "/ls.c", {"/bin/ls", "/"}).status, 0);
  ASSERT_EQ(Exec({"cc", "-o", dir + "/ls_prog", dir + "/ls.c", "-lseccomp"}).status, 0);
  RunResult ls = Exec({dir + "/ls_prog", "/bin/ls", "/"});
  EXPECT_EQ(ls.status, 0) << ls.err;
  EXPECT_EQ(ls.out, Exec({"/bin/ls", "/"}).out);
}

// The C program installs exactly the filter `pwnbox compile --format bpf` builds from the same
// profile: read back from the kernel (PTRACE_SECCOMP_GET_FILTER) at the exec that follows
// seccomp_load. That request needs CAP_SYS_ADMIN, hence root only.
TEST(ProfileFormats, CProgramInstallsTheSameFilter) {
  if (geteuid() != 0) GTEST_SKIP() << "PTRACE_SECCOMP_GET_FILTER needs CAP_SYS_ADMIN";
  const std::string dir = TempDir();
  WriteFile(dir + "/f", "f\n");
  const std::string rec = dir + "/rec.pwnr";
  ASSERT_EQ(Pwnbox({"record", "-o", rec, "--", Prog("pf_args"), "learn", dir + "/f"}).status, 0);
  ASSERT_EQ(Pwnbox({"profile", rec, "--args", "-o", dir + "/p.toml"}).status, 0);
  ASSERT_EQ(Pwnbox({"profile", rec, "--args", "-o", dir + "/p.c"}).status, 0);
  ASSERT_EQ(Pwnbox({"compile", dir + "/p.toml", "--format", "bpf", "-o", dir + "/p.bpf"}).status,
            0);
  RunResult cc = Exec({"cc", "-o", dir + "/prog", dir + "/p.c", "-lseccomp"});
  ASSERT_EQ(cc.status, 0) << cc.err;

  const std::string prog = dir + "/prog", target = Prog("pf_args"), file = dir + "/f";
  const pid_t pid = fork();
  if (pid == 0) {
    ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
    execl(prog.c_str(), prog.c_str(), target.c_str(), "learn", file.c_str(), nullptr);
    _exit(127);
  }
  ASSERT_GT(pid, 0);
  int status = 0;
  // The exec of the C program, then its exec of the target: the filter is in place by then.
  for (int exec = 0; exec < 2; ++exec) {
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSTOPPED(status) && WSTOPSIG(status) == SIGTRAP) << std::hex << status;
    if (exec == 0) {
      ASSERT_EQ(ptrace(PTRACE_CONT, pid, nullptr, nullptr), 0);
    }
  }
  const long n = ptrace(static_cast<__ptrace_request>(PTRACE_SECCOMP_GET_FILTER), pid, 0, nullptr);
  std::string installed(n > 0 ? static_cast<size_t>(n) * sizeof(sock_filter) : 0, '\0');
  const long got = ptrace(static_cast<__ptrace_request>(PTRACE_SECCOMP_GET_FILTER), pid, 0,
                          installed.data());
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  ASSERT_GT(n, 0) << strerror(errno);
  ASSERT_EQ(got, n);
  EXPECT_EQ(installed, ReadFile(dir + "/p.bpf"));
}

TEST(ProfileFormats, SystemdFragmentNamesRealSyscalls) {
  const std::string dir = TempDir();
  const std::string conf = dir + "/ls.conf";  // .conf: systemd without --format
  ASSERT_EQ(Learn(conf, {"ls", "/"}).status, 0);
  const std::string text = ReadFile(conf);
  EXPECT_TRUE(Contains(text, "[Service]")) << text;
  EXPECT_EQ(Grep(text, "SystemCallErrorNumber=EPERM").size(), 1u) << text;
  EXPECT_EQ(Grep(text, "SystemCallArchitectures=").size(), 1u) << text;
  std::set<std::string> names;
  for (const auto& line : Grep(text, "SystemCallFilter=")) {
    if (line[0] == '#') continue;
    std::istringstream words(line.substr(line.find('=') + 1));
    std::string w;
    while (words >> w) {
      EXPECT_NE(w[0], '~') << "a profile allows; it does not list what to deny: " << line;
      EXPECT_TRUE(core::SyscallNumber(w).has_value()) << "not a syscall: " << w;
      names.insert(w);
    }
  }
  for (const char* needed : {"execve", "openat", "getdents64", "write", "exit_group"})
    EXPECT_TRUE(names.count(needed)) << needed << " missing from " << text;
  // Same set as the TOML profile of the same kind of run.
  ASSERT_EQ(Learn(dir + "/ls.toml", {"ls", "/"}).status, 0);
  EXPECT_EQ(names, AllowedNames(ReadFile(dir + "/ls.toml")));
}

// --args: each wider use of a narrowly used syscall is denied; without --args it is not.
TEST(ProfileArgs, NarrowUsesOnly) {
  const std::string dir = TempDir();
  WriteFile(dir + "/f", "f\n");
  const std::string narrow = dir + "/narrow.toml", wide = dir + "/wide.toml";
  RunResult learned = Learn(narrow, {Prog("pf_args"), "learn", dir + "/f"}, {"--args"});
  ASSERT_EQ(learned.status, 0) << learned.err;
  EXPECT_EQ(learned.out, "learn: ok\n");
  ASSERT_EQ(Pwnbox({"check", narrow}).status, 0) << ReadFile(narrow);
  ASSERT_EQ(Learn(wide, {Prog("pf_args"), "learn", dir + "/f"}).status, 0);
  RunResult again = Enforce(narrow, {Prog("pf_args"), "learn", dir + "/f"});
  EXPECT_EQ(again.status, 0) << again.err << again.out << ReadFile(narrow);
  EXPECT_EQ(again.out, "learn: ok\n");
  for (const char* mode : {"inet", "exec-mprotect", "setlk", "ioctl-other", "write-open"}) {
    RunResult denied = Enforce(narrow, {Prog("pf_args"), mode, dir + "/f"});
    EXPECT_EQ(denied.status, 1) << mode << ": " << denied.err;
    EXPECT_EQ(denied.out, std::string(mode) + ": EPERM\n") << mode;
    RunResult allowed = Enforce(wide, {Prog("pf_args"), mode, dir + "/f"});
    EXPECT_EQ(allowed.status, 0) << mode << ": " << allowed.err;
    EXPECT_EQ(allowed.out, std::string(mode) + ": ok\n") << mode;
  }
}

TEST(ProfileDefault, KillInsteadOfErrno) {
  const std::string dir = TempDir();
  WriteFile(dir + "/f", "f\n");
  const std::string policy = dir + "/kill.toml";
  ASSERT_EQ(Learn(policy, {Prog("pf_args"), "learn", dir + "/f"}, {"--default", "kill"}).status, 0);
  EXPECT_TRUE(Contains(Pwnbox({"check", policy}).out, "default kill")) << ReadFile(policy);
  EXPECT_EQ(Enforce(policy, {Prog("pf_args"), "learn", dir + "/f"}).status, 0);
  RunResult killed = Enforce(policy, {Prog("pf_args"), "getppid", dir + "/f"});
  EXPECT_EQ(killed.status, 159) << killed.err;  // 128 + SIGSYS
  // errno:NAME chooses the errno.
  const std::string acces = dir + "/acces.toml";
  ASSERT_EQ(Learn(acces, {Prog("pf_args"), "learn", dir + "/f"}, {"--default", "errno:EACCES"})
                .status,
            0);
  RunResult denied = Enforce(acces, {Prog("pf_args"), "getppid", dir + "/f"});
  EXPECT_EQ(denied.status, 1) << denied.err;
  EXPECT_EQ(denied.out, "getppid: EACCES\n");
}

// --paths: files the run named are allowed, the same calls on other files are not.
TEST(ProfilePaths, OnlyThePathsTheRunNamed) {
  const std::string dir = TempDir();
  std::filesystem::create_directories(dir + "/seen");
  std::filesystem::create_directories(dir + "/unseen");
  WriteFile(dir + "/seen/f", "seen\n");
  WriteFile(dir + "/unseen/g", "unseen\n");
  const std::string policy = dir + "/paths.toml";
  ASSERT_EQ(Learn(policy, {"cat", dir + "/seen/f"}, {"--paths"}).status, 0);
  EXPECT_TRUE(Contains(ReadFile(policy), dir + "/seen/f")) << ReadFile(policy);
  EXPECT_EQ(Pwnbox({"check", policy}).status, 0);
  RunResult seen = Enforce(policy, {"cat", dir + "/seen/f"});
  EXPECT_EQ(seen.status, 0) << seen.err;
  EXPECT_EQ(seen.out, "seen\n");
  RunResult unseen = Enforce(policy, {"cat", dir + "/unseen/g"});
  EXPECT_EQ(unseen.status, 1);
  EXPECT_EQ(unseen.out, "");
  EXPECT_TRUE(Contains(unseen.err, "Operation not permitted")) << unseen.err;
  RunResult complained = Enforce(policy, {"cat", dir + "/unseen/g"}, /*complain=*/true);
  EXPECT_EQ(complained.out, "unseen\n");
  auto lines = Grep(complained.err, "--complain, would be");
  ASSERT_EQ(lines.size(), 1u) << complained.err;
  EXPECT_TRUE(Contains(lines[0], "openat(AT_FDCWD, \"" + dir + "/unseen/g\"")) << lines[0];
  // OCI cannot say "on these paths only": refused, not silently widened.
  ExpectOneLineError(Learn(dir + "/paths.json", {"cat", dir + "/seen/f"}, {"--paths"}),
                     "cannot express path rules");
  EXPECT_FALSE(std::filesystem::exists(dir + "/paths.json"));
}

// A format that cannot express what was asked is refused before the command runs; when the
// profile cannot be written after the run (here the run removed the output's directory),
// learn keeps the run's recording for another try instead of losing it.
TEST(Learn, KeepsTheRecordingWhenTheProfileFails) {
  const std::string dir = TempDir();
  const std::string tmp = dir + "/tmp";
  std::filesystem::create_directories(tmp);
  std::filesystem::create_directories(dir + "/out");
  const RunOptions in_tmp{.env = {"TMPDIR=" + tmp}};
  RunResult early = Learn(dir + "/p.conf", {"touch", dir + "/ran"}, {"--default", "log"}, in_tmp);
  ExpectOneLineError(early, "cannot express the default action");
  EXPECT_FALSE(std::filesystem::exists(dir + "/ran"));
  EXPECT_TRUE(std::filesystem::is_empty(tmp));

  RunResult r = Learn(dir + "/out/p.conf", {"rm", "-r", dir + "/out"}, {}, in_tmp);
  ExpectOneLineError(r, "recording is kept");
  EXPECT_FALSE(std::filesystem::exists(dir + "/out/p.conf"));
  std::vector<std::string> kept;
  for (const auto& e : std::filesystem::directory_iterator(tmp)) kept.push_back(e.path());
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_TRUE(Contains(r.err, kept[0])) << r.err;
  RunResult again = Pwnbox({"profile", kept[0], "-o", dir + "/p.conf", "--default", "kill"});
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(Grep(ReadFile(dir + "/p.conf"), "SystemCallFilter=").empty(), false);
}

TEST(ProfileErrors, BadInputsFailWithOneLine) {
  const std::string dir = TempDir();
  ExpectOneLineError(Pwnbox({"profile", dir + "/missing.pwnr"}), dir + "/missing.pwnr");
  WriteFile(dir + "/notes.txt", "these are my notes\nnothing like a syscall here\n");
  ExpectOneLineError(Pwnbox({"profile", dir + "/notes.txt"}), dir + "/notes.txt");
  // A flipped byte in a real recording.
  ASSERT_EQ(Pwnbox({"record", "-o", dir + "/ls.pwnr", "--", "ls", "/usr/bin"}).status, 0);
  std::string bytes = ReadFile(dir + "/ls.pwnr");
  ASSERT_GT(bytes.size(), 200u);
  bytes[bytes.size() / 2] ^= 0x5a;
  WriteFile(dir + "/flipped.pwnr", bytes);
  ExpectOneLineError(Pwnbox({"profile", dir + "/flipped.pwnr", "-o", dir + "/x.toml"}), "corrupt");
  EXPECT_FALSE(std::filesystem::exists(dir + "/x.toml"));
  ExpectOneLineError(Pwnbox({"profile", dir + "/ls.pwnr", "--format", "yaml"}), "yaml");
  ExpectOneLineError(Pwnbox({"profile", dir + "/ls.pwnr", "--default", "explode"}), "explode");
  ExpectOneLineError(Pwnbox({"profile", dir + "/ls.pwnr", "--default", "allow"}), "allow");
  ExpectOneLineError(Pwnbox({"profile"}), "input");
  ExpectOneLineError(Pwnbox({"profile", dir + "/ls.pwnr", "-o", dir + "/no/such/dir/p.toml"}),
                     dir + "/no/such/dir/p.toml");
  ExpectOneLineError(Pwnbox({"learn", "--", "true"}), "-o");
  ExpectOneLineError(Pwnbox({"learn", "-o", dir + "/p.toml"}), "command");
  // Bad options are found before the command runs.
  ExpectOneLineError(Pwnbox({"learn", "-o", dir + "/p.toml", "--format", "yaml", "--", "touch",
                             dir + "/ran"}),
                     "yaml");
  ExpectOneLineError(Pwnbox({"learn", "-o", dir + "/p.toml", "--default", "nope", "--", "touch",
                             dir + "/ran"}),
                     "nope");
  ExpectOneLineError(Pwnbox({"learn", "-o", dir + "/no/such/dir/p.toml", "--", "touch",
                             dir + "/ran"}),
                     dir + "/no/such/dir");
  EXPECT_FALSE(std::filesystem::exists(dir + "/ran"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/p.toml"));
  // A command that cannot start: no profile, 127 as for run.
  RunResult missing = Pwnbox({"learn", "-o", dir + "/p.toml", "--", dir + "/no-such-program"});
  EXPECT_EQ(missing.status, 127) << missing.err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/p.toml"));
}

TEST(ProfileErrors, HelpAndUsage) {
  RunResult p = Pwnbox({"profile", "--help"});
  EXPECT_EQ(p.status, 0);
  EXPECT_TRUE(Contains(p.out, "pwnbox profile FILE...")) << p.out;
  EXPECT_TRUE(Contains(p.out, "--default")) << p.out;
  RunResult l = Pwnbox({"learn", "--help"});
  EXPECT_EQ(l.status, 0);
  EXPECT_TRUE(Contains(l.out, "pwnbox learn -o OUT")) << l.out;
  RunResult top = Pwnbox({"--help"});
  EXPECT_TRUE(Contains(top.out, "pwnbox profile FILE...")) << top.out;
  EXPECT_TRUE(Contains(top.out, "pwnbox learn -o OUT")) << top.out;
}

}  // namespace
}  // namespace pwnbox::testing
