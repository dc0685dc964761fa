// `pwnbox explore` end to end (issue 15, docs/explore.md): planted bugs found, classified and
// reproduced from scratch by their reproducer policies; real programs (cat, python3) explored
// to the end; usage errors; selectors that match nothing; a multi-threaded target; a policy
// enforced in the branches; nothing left running when pwnbox is SIGKILLed.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace pwnbox {
namespace {

using testing::Contains;
using testing::Prog;
using testing::Pwnbox;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

// The JSON report of `explore --json ARGS`; fails the test when it is not one.
nlohmann::json Explore(const std::vector<std::string>& args, int expect_status,
                       testing::RunResult* raw = nullptr) {
  std::vector<std::string> full = {"explore", "--json"};
  full.insert(full.end(), args.begin(), args.end());
  testing::RunResult r = Pwnbox(full);
  if (raw) *raw = r;
  EXPECT_EQ(r.status, expect_status) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
  return j;
}

// The branch of `j` with outcome `outcome` (at any point).
nlohmann::json Branch(const nlohmann::json& j, const std::string& outcome) {
  for (const auto& p : j["points"])
    for (const auto& b : p["branches"])
      if (b["outcome"] == outcome) return b;
  ADD_FAILURE() << "no branch " << outcome << " in " << j.dump();
  return {};
}

TEST(ExploreTest, NullDerefWhenFopenFailsIsACrashAndItsReproducerCrashes) {
  const std::string d = TempDir();
  WriteFile(d + "/app.conf", "setting=1\n");
  auto j = Explore({"-o", d + "/out", "--at", "openat:path=" + d + "/app.conf", "--",
                    Prog("ex_bugs"), "fopen", d + "/app.conf"},
                   1);
  EXPECT_EQ(j["baseline"]["exit"], 0);
  ASSERT_EQ(j["points"].size(), 1u) << j.dump();
  EXPECT_EQ(j["points"][0]["path"], d + "/app.conf");
  // The default outcomes of openat: every error crashes this program.
  ASSERT_GE(j["points"][0]["branches"].size(), 5u);
  for (const auto& b : j["points"][0]["branches"]) {
    EXPECT_EQ(b["classification"], "crash") << b.dump();
    EXPECT_EQ(b["signal"], SIGSEGV);
  }
  const auto enoent = Branch(j, "ENOENT");
  ASSERT_TRUE(enoent.contains("repro"));
  EXPECT_EQ(ReadFile(d + "/out/baseline/stdout"), "setting=1\n");
  // From scratch: the reproducer fails that open, and the program crashes the same way.
  auto r = Pwnbox({"--policy", enoent["repro"], "--", Prog("ex_bugs"), "fopen", d + "/app.conf"});
  EXPECT_EQ(r.status, 128 + SIGSEGV) << r.err;
  // Without it, the program does not crash.
  r = testing::Run({Prog("ex_bugs"), "fopen", d + "/app.conf"});
  EXPECT_EQ(r.status, 0);
}

// A sanitizer report on stderr is a crash though the program exits normally (1): an
// AddressSanitizer-built program writing past a heap buffer on its error path.
TEST(ExploreTest, ASanitizerReportIsACrash) {
  const std::string d = TempDir();
  WriteFile(d + "/in.txt", "present\n");
  // LeakSanitizer refuses to run under a tracer ("does not work under ptrace"): off, as for any
  // ASan program explored or traced.
  testing::RunOptions o;
  o.env = {"ASAN_OPTIONS=detect_leaks=0"};
  testing::RunResult raw = Pwnbox({"explore", "--json", "-o", d + "/out", "--at",
                                   "openat:path=" + d + "/in.txt", "--outcomes", "ENOENT", "--",
                                   Prog("ex_asan"), d + "/in.txt"},
                                  o);
  EXPECT_EQ(raw.status, 1) << raw.out << raw.err;
  auto j = nlohmann::json::parse(raw.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << raw.out << raw.err;
  EXPECT_EQ(j["baseline"]["exit"], 0) << j.dump();
  const auto b = Branch(j, "ENOENT");
  EXPECT_EQ(b["classification"], "crash") << b.dump();
  EXPECT_EQ(b["signal"], 0) << b.dump();  // a report and an exit, no signal
  ASSERT_TRUE(b.contains("repro"));
  auto r = Pwnbox({"--policy", b["repro"], "--", Prog("ex_asan"), d + "/in.txt"}, o);
  EXPECT_NE(r.status, 0);
  EXPECT_TRUE(Contains(r.err, "ERROR: AddressSanitizer: heap-buffer-overflow")) << r.err;
}

TEST(ExploreTest, ShortWriteCrashIsFoundAndReproduced) {
  const std::string d = TempDir();
  auto j = Explore({"-o", d + "/out", "--at", "write:fd=1", "--outcomes", "short,EIO", "--",
                    Prog("ex_bugs"), "write"},
                   1);
  const auto s = Branch(j, "short");
  EXPECT_EQ(s["classification"], "crash") << s.dump();
  EXPECT_EQ(s["signal"], SIGSEGV);
  // Half the bytes reached the branch's own stdout, the baseline's has them all.
  EXPECT_EQ(ReadFile(std::string(s["dir"]) + "/stdout").size(), 32u);
  EXPECT_EQ(ReadFile(d + "/out/baseline/stdout").size(), 64u);
  const auto eio = Branch(j, "EIO");
  EXPECT_EQ(eio["classification"], "different-exit");
  EXPECT_EQ(eio["exit"], 1);
  auto r = Pwnbox({"--policy", s["repro"], "--", Prog("ex_bugs"), "write"});
  EXPECT_EQ(r.status, 128 + SIGSEGV) << r.err;
  r = Pwnbox({"--policy", eio["repro"], "--", Prog("ex_bugs"), "write"});
  EXPECT_EQ(r.status, 1) << r.err;
}

TEST(ExploreTest, EintrRetryLoopIsAHangKilledAtTheTimeoutAndReproduced) {
  const std::string d = TempDir();
  WriteFile(d + "/in", "data\n");
  testing::RunResult raw;
  auto j = Explore({"-o", d + "/out", "--timeout", "2", "--at", "read:fd=10", "--outcomes",
                    "eintr,eof", "--", Prog("ex_bugs"), "eintr", d + "/in"},
                   1, &raw);
  const auto h = Branch(j, "eintr");
  EXPECT_EQ(h["classification"], "hang") << h.dump();
  EXPECT_GE(h["seconds"].get<double>(), 2.0);
  const auto eof = Branch(j, "eof");
  EXPECT_EQ(eof["classification"], "different-output") << eof.dump();
  EXPECT_TRUE(eof["stdout_differs"].get<bool>());
  // The reproducer fails the read with EINTR: the loop spins; the harness' timeout ends it.
  testing::RunOptions opts;
  opts.timeout_sec = 3;
  auto r = Pwnbox({"--policy", h["repro"], "--", Prog("ex_bugs"), "eintr", d + "/in"}, opts);
  EXPECT_TRUE(r.timed_out) << r.status << r.err;
  r = Pwnbox({"--policy", eof["repro"], "--", Prog("ex_bugs"), "eintr", d + "/in"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "");
}

// -o with a relative DIR, and a target that changes directory before the branch point: the
// branch's output still lands in DIR (the path is made absolute before branches open it).
TEST(ExploreTest, RelativeOutputDirectory) {
  const std::string d = TempDir();
  WriteFile(d + "/in", "data\n");
  testing::RunOptions opts;
  opts.cwd = d;
  auto r = Pwnbox({"explore", "--json", "-o", "out", "--at", "openat:path=" + d + "/in",
                   "--outcomes", "ENOENT", "--", "sh", "-c", "cd / && exec cat " + d + "/in"},
                  opts);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(ReadFile(d + "/out/baseline/stdout"), "data\n");
  EXPECT_TRUE(Contains(ReadFile(d + "/out/branches/1/stderr"), "No such file")) << r.out;
  EXPECT_TRUE(Contains(ReadFile(d + "/out/repro/1.toml"), "errno:ENOENT"));
  // Forked, not re-run (a relative path opened from / would have failed the set-up).
  auto j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(Branch(j, "ENOENT").contains("rerun")) << r.out;
}

TEST(ExploreTest, TextTreeNamesTheCallTheOutcomeAndTheClassification) {
  const std::string d = TempDir();
  WriteFile(d + "/app.conf", "x\n");
  auto r = Pwnbox({"explore", "-o", d + "/out", "--at", "openat:path=" + d + "/app.conf",
                   "--outcomes", "ENOENT", "--", Prog("ex_bugs"), "fopen", d + "/app.conf"});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_TRUE(Contains(r.out, "baseline: exit 0")) << r.out;
  EXPECT_TRUE(Contains(r.out, "openat(AT_FDCWD, \"" + d + "/app.conf\", O_RDONLY)")) << r.out;
  EXPECT_TRUE(Contains(r.out, "#1 ENOENT: crash (SIGSEGV")) << r.out;
  EXPECT_TRUE(Contains(r.out, "repro: " + d + "/out/repro/1.toml")) << r.out;
}

TEST(ExploreTest, PolicyIsEnforcedInTheBranches) {
  const std::string d = TempDir();
  WriteFile(d + "/app.conf", "x\n");
  WriteFile(d + "/p.toml", R"(default = "allow"
[[rule]]
syscalls = ["mkdir"]
action = "kill"
)");
  auto j = Explore(
      {"-o", d + "/out", "--policy", d + "/p.toml", "--at", "openat:path=" + d + "/app.conf",
       "--outcomes", "ENOENT", "--", Prog("ex_bugs"), "fallback", d + "/app.conf"},
      0);
  const auto b = Branch(j, "ENOENT");
  EXPECT_EQ(b["classification"], "killed-by-policy") << b.dump();
  EXPECT_EQ(b["signal"], SIGSYS);
  // The reproducer includes the policy: the same kill from scratch.
  EXPECT_TRUE(Contains(ReadFile(b["repro"]), "include = [\"" + d + "/p.toml\"]"));
  auto r = Pwnbox({"--policy", b["repro"], "--", Prog("ex_bugs"), "fallback", d + "/app.conf"});
  EXPECT_EQ(r.status, 128 + SIGSYS) << r.err;
}

// A policy that denies a call the branch set-up injects (dup3, for its own stdout): the branch
// is re-run from the start instead, and the finding is the same.
TEST(ExploreTest, BranchThatCannotBeSetUpIsReRun) {
  const std::string d = TempDir();
  WriteFile(d + "/app.conf", "x\n");
  WriteFile(d + "/p.toml", R"(default = "allow"
[[rule]]
syscalls = ["dup3"]
action = "errno:EPERM"
)");
  auto j = Explore({"--policy", d + "/p.toml", "--at", "openat:path=" + d + "/app.conf",
                    "--outcomes", "ENOENT", "--", Prog("ex_bugs"), "fopen", d + "/app.conf"},
                   1);
  const auto b = Branch(j, "ENOENT");
  EXPECT_TRUE(b["rerun"].get<bool>()) << b.dump();
  EXPECT_TRUE(Contains(b["note"], "not forked")) << b.dump();
  EXPECT_EQ(b["classification"], "crash");
}

TEST(ExploreTest, CatEveryBranchEnds) {
  const std::string d = TempDir();
  WriteFile(d + "/f", std::string(3000, 'a') + "\n");
  auto j = Explore(
      {"--at", "read#2", "--at", "@file:path=" + d + "/f", "--jobs", "2", "--", "cat", d + "/f"},
      0);
  EXPECT_EQ(j["baseline"]["exit"], 0);
  size_t n = 0;
  for (const auto& p : j["points"])
    for (const auto& b : p["branches"]) {
      ++n;
      EXPECT_NE(b["classification"], "hang") << b.dump();
      EXPECT_NE(b["classification"], "crash") << b.dump();
      if (b["outcome"] == "ENOENT") {
        EXPECT_EQ(b["classification"], "different-exit");
        EXPECT_EQ(b["exit"], 1);
        EXPECT_TRUE(b["stderr_differs"].get<bool>());
      }
    }
  EXPECT_GE(n, 6u) << j.dump();
}

// cp and sqlite3 with the default sites: the tree is produced, every branch ends (a crash would
// be a finding in them, not a failure of explore), and the outcome that matters is seen.
TEST(ExploreTest, CpAndSqlite3DefaultSitesEveryBranchEnds) {
  const std::string d = TempDir();
  WriteFile(d + "/src", "payload\n");
  testing::RunResult raw;
  std::vector<std::string> args = {"--json", "--", "cp", d + "/src", d + "/dst"};
  args.insert(args.begin(), "explore");
  raw = Pwnbox(args);
  ASSERT_TRUE(raw.status == 0 || raw.status == 1) << raw.err;
  auto j = nlohmann::json::parse(raw.out);
  EXPECT_EQ(j["skipped_for_budget"], 0);
  bool src_open_fails = false;
  for (const auto& p : j["points"])
    for (const auto& b : p["branches"]) {
      EXPECT_NE(b["classification"], "hang") << p["call"];
      EXPECT_NE(b["classification"], "not-run") << p["call"] << b.dump();
      if (p["syscall"] == "openat" && p.value("path", "") == d + "/src")
        src_open_fails |= b["classification"] == "different-exit" && b["exit"] == 1;
    }
  EXPECT_TRUE(src_open_fails) << j.dump();

  if (access("/usr/bin/sqlite3", X_OK) != 0) GTEST_SKIP() << "no sqlite3";
  ASSERT_EQ(testing::Run({"sqlite3", d + "/t.db", "create table t(a); insert into t values(42);"})
                .status,
            0);
  raw = Pwnbox({"explore", "--json", "--", "sqlite3", d + "/t.db", "select * from t;"});
  ASSERT_TRUE(raw.status == 0 || raw.status == 1) << raw.err;
  j = nlohmann::json::parse(raw.out);
  EXPECT_EQ(j["baseline"]["exit"], 0);
  EXPECT_EQ(j["skipped_for_budget"], 0);
  size_t n = 0, differ = 0;
  for (const auto& p : j["points"])
    for (const auto& b : p["branches"]) {
      ++n;
      EXPECT_NE(b["classification"], "hang") << p["call"];
      differ += b["classification"] != "same";
    }
  EXPECT_GE(n, 10u);
  EXPECT_GE(differ, 1u) << j.dump();
}

TEST(ExploreTest, Python3OpenFailuresAreTracebacks) {
  const std::string d = TempDir();
  WriteFile(d + "/data.txt", "hello\n");
  auto j = Explore(
      {"-o", d + "/out", "--at", "openat:path=" + d + "/data.txt", "--outcomes", "ENOENT,EACCES",
       "--", "python3", "-c", "print(open('" + d + "/data.txt').read(), end='')"},
      0);
  EXPECT_EQ(ReadFile(d + "/out/baseline/stdout"), "hello\n");
  for (const char* e : {"ENOENT", "EACCES"}) {
    const auto b = Branch(j, e);
    EXPECT_EQ(b["classification"], "different-exit") << b.dump();
    EXPECT_EQ(b["exit"], 1);
    const std::string err = ReadFile(std::string(b["dir"]) + "/stderr");
    EXPECT_TRUE(Contains(err, std::string(e) == "ENOENT" ? "FileNotFoundError" : "PermissionError"))
        << err;
    auto r = Pwnbox({"--policy", b["repro"], "--", "python3", "-c",
                     "print(open('" + d + "/data.txt').read(), end='')"});
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(
        Contains(r.err, std::string(e) == "ENOENT" ? "FileNotFoundError" : "PermissionError"));
  }
}

// --depth 2: each branch is explored again from its branch point on; the reproducer of a
// combination holds both rules, in order.
TEST(ExploreTest, DepthTwoExploresTheErrorPathAndReproducesTheCombination) {
  const std::string d = TempDir();
  WriteFile(d + "/main.conf", "main\n");
  WriteFile(d + "/fallback.conf", "fallback\n");
  const std::string script = "try:\n    print(open('" + d +
                             "/main.conf').read(), end='')\n"
                             "except OSError:\n    print(open('" +
                             d + "/fallback.conf').read(), end='')\n";
  auto j = Explore({"-o", d + "/out", "--depth", "2", "--at", "openat:path=" + d + "/*.conf",
                    "--outcomes", "ENOENT", "--", "python3", "-c", script},
                   0);
  ASSERT_EQ(j["points"].size(), 2u) << j.dump();
  const auto& first = j["points"][0];
  EXPECT_EQ(first["path"], d + "/main.conf");
  EXPECT_EQ(first["depth"], 1);
  ASSERT_EQ(first["branches"].size(), 1u);
  EXPECT_EQ(first["branches"][0]["classification"], "different-output");
  // The fallback open happens only in the branch: a point inside it.
  const auto& second = j["points"][1];
  EXPECT_EQ(second["path"], d + "/fallback.conf");
  EXPECT_EQ(second["parent"], first["branches"][0]["id"]);
  EXPECT_EQ(second["depth"], 2);
  ASSERT_EQ(second["branches"].size(), 1u);
  const auto both = second["branches"][0];
  EXPECT_EQ(both["classification"], "different-exit") << both.dump();
  EXPECT_EQ(both["exit"], 1);
  EXPECT_EQ(ReadFile(std::string(first["branches"][0]["dir"]) + "/stdout"), "fallback\n");
  auto r = Pwnbox({"--policy", both["repro"], "--", "python3", "-c", script});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_TRUE(Contains(r.err, "FileNotFoundError")) << r.err;
  EXPECT_TRUE(Contains(r.err, "fallback.conf")) << r.err;
}

TEST(ExploreTest, DefaultSitesWithinTheBudget) {
  // All of cat's sites: the dynamic loader's files (ld.so.cache, libc.so.6) are not sites.
  auto all = Explore({"--", "cat", "/etc/hostname"}, 0);
  EXPECT_EQ(all["skipped_for_budget"], 0);
  bool hostname = false;
  for (const auto& p : all["points"]) {
    EXPECT_EQ(p["selector"], "site");
    const std::string call = p["call"];
    EXPECT_FALSE(Contains(call, "ld.so") || Contains(call, ".so.")) << call;
    EXPECT_NE(p["syscall"], "mmap") << call;
    hostname |= Contains(call, "/etc/hostname");
  }
  EXPECT_TRUE(hostname) << all.dump();
  // A smaller budget: exactly that many branches, the rest counted.
  auto j = Explore({"--max-branches", "3", "--", "cat", "/etc/hostname"}, 0);
  size_t n = 0;
  for (const auto& p : j["points"]) n += p["branches"].size();
  EXPECT_EQ(n, 3u);
  EXPECT_GT(j["skipped_for_budget"].get<int>(), 0);
}

// Without --at or --outcomes: each call site of a real program once, all within the default
// budget, and every branch ends. (/usr/bin/python3: a `python3` earlier in PATH may be a shim
// script whose own calls would be explored too.)
TEST(ExploreTest, Python3ImportJsonWithinTheDefaultBudget) {
  auto j = Explore({"--", "/usr/bin/python3", "-c", "import json"}, 0);
  EXPECT_EQ(j["skipped_for_budget"], 0) << j.dump();
  size_t n = 0;
  for (const auto& p : j["points"])
    for (const auto& b : p["branches"]) {
      ++n;
      EXPECT_NE(b["classification"], "hang") << p["call"] << " " << b.dump();
      EXPECT_NE(b["classification"], "crash") << p["call"] << " " << b.dump();
    }
  EXPECT_GE(n, 50u);
  EXPECT_LE(n, 256u);
}

TEST(ExploreTest, BadSelectorsAndOutcomesAreOneLineErrors) {
  struct Case {
    std::vector<std::string> args;
    std::string expect;
  } cases[] = {
      {{"--at", "opnat"}, "did you mean openat"},
      {{"--at", "@netwrk"}, "did you mean @network"},
      {{"--at", "read:fdd=0"}, "no argument \"fdd\""},
      {{"--at", "write#0"}, "#K"},
      {{"--at", "read:path=/x"}, "read takes no path"},
      {{"--at", "openat:path=rel"}, "absolute"},
      {{"--outcomes", "ENOENTT"}, "did you mean ENOENT"},
      {{"--depth", "3"}, "--depth"},
      {{"--max-branches", "0"}, "--max-branches"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"explore"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    args.insert(args.end(), {"--", "true"});
    auto r = Pwnbox(args);
    EXPECT_EQ(r.status, 125) << c.args[1];
    EXPECT_EQ(testing::Lines(r.err).size(), 1u) << r.err;
    EXPECT_TRUE(Contains(r.err, c.expect)) << r.err;
    EXPECT_EQ(r.out, "");
  }
}

TEST(ExploreTest, SelectorThatNeverMatchesIsReported) {
  testing::RunResult raw;
  auto j = Explore({"--at", "openat:path=/nonexistent/never", "--at", "write#1000", "--", "true"},
                   0, &raw);
  ASSERT_EQ(j["unmatched_selectors"].size(), 2u) << j.dump();
  EXPECT_EQ(j["unmatched_selectors"][0], "openat:path=/nonexistent/never");
  EXPECT_TRUE(Contains(raw.err, "--at write#1000 matched no call")) << raw.err;
}

TEST(ExploreTest, MultiThreadedTargetAtABranchPointIsReported) {
  const std::string d = TempDir();
  WriteFile(d + "/f", "x\n");
  auto j = Explore({"--at", "openat:path=" + d + "/f", "--outcomes", "ENOENT", "--",
                    Prog("ex_threads"), d + "/f"},
                   0);
  ASSERT_EQ(j["points"].size(), 1u) << j.dump();
  EXPECT_TRUE(Contains(j["points"][0]["refused"], "2 threads")) << j.dump();
  // Not forked: the outcome was tried by running the program again up to that open.
  ASSERT_EQ(j["points"][0]["branches"].size(), 1u);
  const auto b = j["points"][0]["branches"][0];
  EXPECT_TRUE(b["rerun"].get<bool>()) << b.dump();
  EXPECT_EQ(b["classification"], "different-exit") << b.dump();
  EXPECT_EQ(b["exit"], 1);
}

// Every process of the run has fd 20 (a pipe's write end); a hung branch writes to it once it is
// in its loop. After pwnbox is SIGKILLed, the read end sees EOF only when no process is left.
TEST(ExploreTest, NothingSurvivesSigkillOfPwnbox) {
  const std::string d = TempDir();
  WriteFile(d + "/in", "data\n");
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(p[1], 20);
    close(p[0]);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    const std::string bin = testing::PwnboxBin(), prog = Prog("ex_bugs"), in = d + "/in";
    execl(bin.c_str(), bin.c_str(), "explore", "--timeout", "600", "--jobs", "2", "--at",
          "read:fd=10", "--outcomes", "eintr,eintr,eof", "--", prog.c_str(), "eintr", in.c_str(),
          nullptr);
    _exit(127);
  }
  close(p[1]);
  pollfd pfd = {p[0], POLLIN, 0};
  ASSERT_EQ(poll(&pfd, 1, 60000), 1) << "no branch reached its loop";
  char c;
  ASSERT_EQ(read(p[0], &c, 1), 1);
  kill(pid, SIGKILL);
  int status;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  // Drain: EOF once every holder of the write end is gone.
  for (;;) {
    ASSERT_EQ(poll(&pfd, 1, 30000), 1) << "a process of the run survived pwnbox";
    const ssize_t n = read(p[0], &c, 1);
    if (n == 0) break;
    ASSERT_EQ(n, 1);
  }
  close(p[0]);
}

// Pruning (docs/explore.md "Pruning"): a `short` read of a small file and `eof` at the read
// that returns 0 anyway leave the program where its parent is: those branches are stopped
// within the window (before the 64 getppid calls and the marker) and reported `pruned`; `eof`
// at the first read changes what the program does and runs to its end.
TEST(ExploreTest, BranchInItsParentsStateIsPrunedBeforeItGoesOn) {
  const std::string d = TempDir();
  WriteFile(d + "/small", "hello data");
  // read:fd=3 #1 is the dynamic loader reading libc; #2 and #3 the program's two reads.
  auto j = Explore({"--at", "read:fd=3#2", "--at", "read:fd=3#3", "--outcomes", "short,eof", "--",
                    Prog("exp_prune"), d + "/small", d + "/marker"},
                   0);
  ASSERT_EQ(j["points"].size(), 2u) << j.dump();
  const auto& first = j["points"][0]["branches"];
  const auto& second = j["points"][1]["branches"];
  ASSERT_EQ(first.size(), 2u);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(first[0]["outcome"], "short");
  EXPECT_EQ(first[0]["classification"], "pruned") << first[0].dump();
  EXPECT_TRUE(Contains(first[0].value("pruned", ""), "32 calls")) << first[0].dump();
  EXPECT_EQ(first[1]["outcome"], "eof");
  EXPECT_EQ(first[1]["classification"], "different-exit") << first[1].dump();
  EXPECT_FALSE(first[1].contains("pruned"));
  for (const auto& b : second) EXPECT_EQ(b["classification"], "pruned") << b.dump();
  EXPECT_EQ(j["pruned"], 3);
  // The baseline and the eof branch reached the marker; the pruned branches were stopped first.
  EXPECT_EQ(ReadFile(d + "/marker"), "xx");
  // The text report says so.
  auto r = Pwnbox({"explore", "--at", "read:fd=3#3", "--outcomes", "eof", "--", Prog("exp_prune"),
                   d + "/small", d + "/marker2"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "#1 eof: pruned (its parent's 32 calls after the point")) << r.out;
  EXPECT_TRUE(Contains(r.out, "1 branches pruned")) << r.out;
}

// At --depth 2 a pruned branch is not explored again: the branches of the points inside it
// (its second read) are dropped, reported pruned because of it.
TEST(ExploreTest, DepthTwoDropsThePointsOfAPrunedBranch) {
  const std::string d = TempDir();
  WriteFile(d + "/small", "hello data");
  // One job: the pruned branch's window ends before any later branch starts (with more, its
  // sub-branches could start first, and a running branch is not dropped).
  auto j = Explore({"--depth", "2", "--jobs", "1", "--at", "read:fd=3#2", "--at", "read:fd=3#3",
                    "--outcomes", "short,eof", "--", Prog("exp_prune"), d + "/small",
                    d + "/marker"},
                   0);
  int pruned_short = 0, dropped = 0;
  for (const auto& p : j["points"])
    if (p["parent"] == 0 && p["occurrence"] == 2)
      for (const auto& b : p["branches"])
        if (b["outcome"] == "short" && b["classification"] == "pruned") pruned_short = b["id"];
  ASSERT_NE(pruned_short, 0) << j.dump();
  for (const auto& p : j["points"]) {
    if (p["parent"] != pruned_short) continue;
    for (const auto& b : p["branches"]) {
      EXPECT_EQ(b["classification"], "pruned") << b.dump();
      EXPECT_EQ(b["pruned"], "its parent branch #" + std::to_string(pruned_short) + " was pruned");
      ++dropped;
    }
  }
  EXPECT_EQ(dropped, 2) << j.dump();  // its second read: short and eof
  EXPECT_EQ(ReadFile(d + "/marker"), "xx");
}

// A call made through `int 0x80` under a policy listing abi i386 is a branch point: the i386
// open (5) with the planted NULL dereference on ENOENT, and the i386 read (3) given `eof`.
TEST(ExploreTest, Int80CallsAreBranchPoints) {
  const std::string d = TempDir();
  WriteFile(d + "/data", "secret\n");
  WriteFile(d + "/p.toml", "default = \"allow\"\n[options]\nabi = [\"x86_64\", \"i386\"]\n");
  auto j = Explore({"--policy", d + "/p.toml", "-o", d + "/out", "--at", "open:path=" + d + "/data",
                    "--at", "read:fd=3", "--outcomes", "ENOENT,EACCES,eof", "--",
                    Prog("exp_int80"), d + "/data"},
                   1);
  EXPECT_EQ(ReadFile(d + "/out/baseline/stdout"), "secret\n");
  const nlohmann::json* open = nullptr;
  const nlohmann::json* read = nullptr;
  for (const auto& p : j["points"]) {
    if (p["abi"] == "i386" && p["syscall"] == "open") open = &p;
    if (p["abi"] == "i386" && p["syscall"] == "read") read = &p;
  }
  ASSERT_NE(open, nullptr) << j.dump();
  ASSERT_NE(read, nullptr) << j.dump();
  EXPECT_EQ((*open)["path"], d + "/data");
  std::string enoent_repro;
  for (const auto& b : (*open)["branches"]) {
    if (b["outcome"] == "ENOENT") {
      EXPECT_EQ(b["classification"], "crash") << b.dump();
      EXPECT_EQ(b["signal"], SIGSEGV);
      enoent_repro = b.value("repro", "");
    } else if (b["outcome"] == "EACCES") {
      EXPECT_EQ(b["classification"], "different-exit") << b.dump();
      EXPECT_EQ(b["exit"], 2);
    }
  }
  bool eof_seen = false;
  for (const auto& b : (*read)["branches"])
    if (b["outcome"] == "eof") {
      eof_seen = true;
      EXPECT_EQ(b["classification"], "different-output") << b.dump();
      EXPECT_EQ(ReadFile(b["dir"].get<std::string>() + "/stdout"), "");
    }
  EXPECT_TRUE(eof_seen) << j.dump();
  // From scratch: the reproducer fails the i386 open and the program crashes.
  ASSERT_FALSE(enoent_repro.empty());
  auto r = Pwnbox({"--policy", enoent_repro, "--", Prog("exp_int80"), d + "/data"});
  EXPECT_EQ(r.status, 128 + SIGSEGV) << r.err;
  r = Pwnbox({"--policy", d + "/p.toml", "--", Prog("exp_int80"), d + "/data"});
  EXPECT_EQ(r.status, 0) << r.err;
}

// What branches share (docs/explore.md): a regular file's offset is the branch's own (ReopenFd:
// it reads the bytes the original read after the branch point), a pipe is one (the baseline
// consumed "abcd", the branch, started after it ended, gets "efgh"), and so is the file system
// (the branch finds the marker the baseline created).
TEST(ExploreTest, BranchesOwnRegularFileOffsetsButSharePipesAndFiles) {
  const std::string d = TempDir();
  WriteFile(d + "/f", "0123456789");
  WriteFile(d + "/trigger", "");
  auto j = Explore({"-o", d + "/out", "--at", "openat:path=" + d + "/trigger", "--outcomes",
                    "ENOENT", "--", Prog("exp_share"), d + "/f", d + "/trigger", d + "/marker"},
                   0);
  EXPECT_EQ(ReadFile(d + "/out/baseline/stdout"),
            "file=4567 pipe=abcd marker=created trigger=ok\n");
  const auto b = Branch(j, "ENOENT");
  EXPECT_EQ(ReadFile(b["dir"].get<std::string>() + "/stdout"),
            "file=4567 pipe=efgh marker=exists trigger=failed\n");
}

// A branch keeps the filters the program installed itself: explore suspends a leaf branch's
// seccomp stops only when its one filter is explore's own (as root without --policy), so the
// program's filter (mkdir -> EPERM) still answers in the branch.
TEST(ExploreTest, BranchKeepsTheProgramsOwnSeccompFilter) {
  const std::string d = TempDir();
  WriteFile(d + "/trigger", "");
  auto j = Explore({"-o", d + "/out", "--at", "openat:path=" + d + "/trigger", "--outcomes",
                    "ENOENT", "--", Prog("exp_selffilter"), d + "/trigger", d + "/dir"},
                   0);
  EXPECT_EQ(ReadFile(d + "/out/baseline/stdout"), "mkdir=EPERM trigger=ok\n");
  const auto b = Branch(j, "ENOENT");
  EXPECT_EQ(ReadFile(b["dir"].get<std::string>() + "/stdout"), "mkdir=EPERM trigger=failed\n");
  EXPECT_NE(access((d + "/dir").c_str(), F_OK), 0);
}

}  // namespace
}  // namespace pwnbox
