// `pwnbox record` and `pwnbox show`: a recording shows the same text `trace` printed, its JSON
// and its summary; bad files fail cleanly; a recorder killed mid-way leaves a readable file.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

// Addresses and pids differ between two runs of the same program.
std::string Normalise(const std::string& text) {
  // Pids are small in a fresh PID namespace (as CI runs), so "[pid 17]" is matched by its
  // prefix, not by its width.
  static const std::regex hex("0x[0-9a-f]+"), pid("\\b[0-9]{4,}\\b"),
      pid_prefix("\\[pid +[0-9]+\\]"),
      pid_ret("((getpid|gettid|set_tid_address|clone|clone3|fork|vfork|wait4)\\([^)]*\\) += )[0-9]+");
  std::string out = std::regex_replace(text, pid_ret, "$1PID");
  out = std::regex_replace(out, pid_prefix, "[pid N]");
  return std::regex_replace(std::regex_replace(out, hex, "ADDR"), pid, "N");
}

TEST(Record, ShowPrintsWhatTracePrinted) {
  std::string dir = TempDir();
  WriteFile(dir + "/in.txt", "hello\n");
  std::string rec = dir + "/run.pwnr";
  auto r = Pwnbox({"record", "-o", rec, "--", Prog("tr_basic"), dir + "/in.txt"});
  EXPECT_EQ(r.status, 3) << r.err;  // the target's exit status
  auto t = Pwnbox({"trace", "--", Prog("tr_basic"), dir + "/in.txt"});
  auto s = Pwnbox({"show", rec});
  EXPECT_EQ(s.status, 0) << s.err;
  EXPECT_EQ(s.err, "");
  EXPECT_EQ(Normalise(s.out), Normalise(t.err));
  EXPECT_TRUE(Contains(s.out, "read(3, \"hello\\n\", 64)")) << s.out;
  EXPECT_TRUE(Contains(s.out, "+++ exited with 3 +++")) << s.out;
}

// --no-data keeps what `show` prints and not the whole buffers: a program reading a large
// file makes a small recording that shows the same, and replay refuses it with a reason.
TEST(Record, NoDataShowsTheSameAndIsNotReplayable) {
  std::string dir = TempDir();
  std::string big(512 * 1024, '\0');
  std::mt19937 rng(7);  // incompressible, so the sizes below are about what is kept
  for (auto& c : big) c = static_cast<char>('a' + rng() % 26);
  WriteFile(dir + "/big.txt", big);
  const std::string full = dir + "/full.pwnr", lean = dir + "/lean.pwnr";
  ASSERT_EQ(Pwnbox({"record", "-o", full, "--", "cat", dir + "/big.txt"}).status, 0);
  auto r = Pwnbox({"record", "--no-data", "-o", lean, "--", "cat", dir + "/big.txt"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, big);  // the program itself is not affected
  EXPECT_LT(std::filesystem::file_size(lean) * 8, std::filesystem::file_size(full));
  auto a = Pwnbox({"show", full}), b = Pwnbox({"show", lean});
  ASSERT_EQ(b.status, 0) << b.err;
  static const std::regex random_bytes("getrandom\\(\"[^\"]*\"");  // glibc's malloc seed
  EXPECT_EQ(std::regex_replace(Normalise(b.out), random_bytes, "getrandom(R"),
            std::regex_replace(Normalise(a.out), random_bytes, "getrandom(R"));
  EXPECT_TRUE(Contains(b.out, "read(3, \"" + big.substr(0, 32) + "\"...")) << b.out;
  auto p = Pwnbox({"replay", lean});
  EXPECT_EQ(p.status, 125);
  EXPECT_TRUE(Contains(p.err, "recorded with --no-data")) << p.err;
  EXPECT_EQ(Lines(p.err).size(), 1u) << p.err;
}

TEST(Record, ShowJsonAndSummary) {
  std::string dir = TempDir();
  WriteFile(dir + "/in.txt", "x\n");
  std::string rec = dir + "/run.pwnr";
  ASSERT_EQ(Pwnbox({"record", "-o", rec, "--", Prog("tr_basic"), dir + "/in.txt"}).status, 3);
  auto j = Pwnbox({"show", "--json", rec});
  EXPECT_EQ(j.status, 0) << j.err;
  int getpids = 0;
  for (const auto& line : Lines(j.out)) {
    auto v = nlohmann::json::parse(line);
    if (v.contains("syscall") && v["syscall"] == "getpid") ++getpids;
  }
  EXPECT_EQ(getpids, 5);
  auto c = Pwnbox({"show", "-c", rec});
  EXPECT_EQ(c.status, 0) << c.err;
  auto rows = Grep(c.out, " getpid");
  ASSERT_EQ(rows.size(), 1u) << c.out;
  EXPECT_TRUE(Contains(rows[0], "         5           getpid")) << rows[0];
  auto chdir_rows = Grep(c.out, " chdir");
  ASSERT_EQ(chdir_rows.size(), 1u) << c.out;
  EXPECT_TRUE(Contains(chdir_rows[0], "         2         2 chdir")) << chdir_rows[0];
}

TEST(Record, ForkingProgramAndPolicy) {
  std::string dir = TempDir();
  std::string rec = dir + "/run.pwnr";
  std::string policy = dir + "/p.toml";
  WriteFile(policy, "version = 1\ndefault = \"allow\"\n[[rule]]\nsyscalls = [\"getuid\", \"geteuid\"]\n"
                    "action = \"return\"\nvalue = 4242\n");
  auto r = Pwnbox({"record", "-o", rec, "--policy", policy, "--", "sh", "-c", "id -u; true"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "4242\n");
  auto s = Pwnbox({"show", rec});
  EXPECT_EQ(s.status, 0) << s.err;
  EXPECT_TRUE(Contains(s.out, "uid()")) << s.out;
  EXPECT_TRUE(Contains(s.out, "= 4242")) << s.out;
  EXPECT_GE(Grep(s.out, "+++ exited with 0 +++").size(), 2u) << s.out;
  EXPECT_FALSE(Grep(s.out, "[pid ").empty()) << s.out;
}

TEST(Record, BadFilesFailWithOneLine) {
  std::string dir = TempDir();
  WriteFile(dir + "/not.pwnr", "this is not a recording at all\n");
  auto r = Pwnbox({"show", dir + "/not.pwnr"});
  EXPECT_EQ(r.status, 125);
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  EXPECT_EQ(r.err.rfind("pwnbox: ", 0), 0u) << r.err;
  WriteFile(dir + "/empty.pwnr", "");
  r = Pwnbox({"show", dir + "/empty.pwnr"});
  EXPECT_EQ(r.status, 125);
  r = Pwnbox({"show", dir + "/missing.pwnr"});
  EXPECT_EQ(r.status, 125);
  // A flipped byte in the middle of a real recording.
  std::string rec = dir + "/run.pwnr";
  ASSERT_EQ(Pwnbox({"record", "-o", rec, "--", "ls", "/usr/bin"}).status, 0);
  std::string bytes = ReadFile(rec);
  ASSERT_GT(bytes.size(), 200u);
  bytes[bytes.size() / 2] ^= 0x5a;
  WriteFile(dir + "/flipped.pwnr", bytes);
  r = Pwnbox({"show", dir + "/flipped.pwnr"});
  EXPECT_EQ(r.status, 125) << r.err;
  EXPECT_TRUE(Contains(r.err, "corrupt")) << r.err;
  EXPECT_FALSE(r.timed_out);
  r = Pwnbox({"record", "--", "true"});
  EXPECT_EQ(r.status, 125);
}

TEST(Record, KilledRecorderLeavesEveryFinishedChunkReadable) {
  std::string dir = TempDir();
  std::string rec = dir + "/run.pwnr";
  pid_t pw = fork();
  if (pw == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    std::string bin = PwnboxBin();
    execl(bin.c_str(), bin.c_str(), "record", "-o", rec.c_str(), "--", "sh", "-c",
          "while :; do cat /etc/hostname; done", nullptr);
    _exit(127);
  }
  // Let it write a few chunks, then kill pwnbox without warning.
  for (int i = 0; i < 500; ++i) {
    usleep(10000);
    if (ReadFile(rec).size() > 600 * 1024) break;
  }
  kill(pw, SIGKILL);
  waitpid(pw, nullptr, 0);
  auto s = Pwnbox({"show", rec});
  EXPECT_FALSE(s.timed_out);
  EXPECT_GT(Grep(s.out, "openat(AT_FDCWD, \"/etc/hostname\"").size(), 10u) << s.err;
  EXPECT_TRUE(Contains(s.err, "cut short") || s.status == 125) << s.err;
}

}  // namespace
}  // namespace pwnbox::testing

namespace pwnbox::testing {
namespace {

TEST(Replay, FeedsTheRecordedInputsBackAfterTheyChanged) {
  std::string dir = TempDir();
  std::string file = dir + "/input.txt", rec = dir + "/run.pwnr";
  WriteFile(file, "recorded content\n");
  auto r = Pwnbox({"record", "-o", rec, "--", Prog("rp_inputs"), file});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "parent file=recorded content\nchild file=recorded content\n"))
      << r.out;
  WriteFile(file, "changed since\n");
  auto p = Pwnbox({"replay", rec});
  EXPECT_EQ(p.status, 0) << p.err;
  // Same randomness, pid, syscall clock and file content, in the process and its child.
  EXPECT_EQ(p.out, r.out) << p.err;
  EXPECT_EQ(p.err, "");
  // A fresh run sees the new content: the replay did not just rerun the program.
  auto fresh = pwnbox::testing::Run({Prog("rp_inputs"), file});
  EXPECT_TRUE(Contains(fresh.out, "parent file=changed since")) << fresh.out;
}

TEST(Replay, ReportsTheFirstDivergence) {
  std::string dir = TempDir();
  std::string file = dir + "/input.txt", rec = dir + "/run.pwnr";
  WriteFile(file, "x\n");
  ASSERT_EQ(Pwnbox({"record", "-o", rec, "--", Prog("rp_inputs"), file, "branch"}).status, 0);
  unlink(file.c_str());  // access(2) is not fed: the program now takes the other branch
  auto p = Pwnbox({"replay", rec});
  EXPECT_EQ(p.status, 1) << p.err;
  EXPECT_TRUE(Contains(p.err, "replay diverged from " + rec + " at event ")) << p.err;
  EXPECT_TRUE(Contains(p.err, "recorded: getrandom(")) << p.err;
  EXPECT_TRUE(Contains(p.err, "replayed: getppid()")) << p.err;
}

// A call that failed at record time fails again in the replay without running: here the denial
// came from the policy the run was recorded under, which replay does not apply. Before, the
// replayed mkdir ran for real: the directory appeared and the replay diverged.
TEST(Replay, RecordedFailuresAreReplayedAsRecorded) {
  const std::string dir = TempDir();
  WriteFile(dir + "/p.toml",
            "version = 1\ndefault = \"allow\"\n[[rule]]\nsyscalls = [\"mkdir\", \"mkdirat\"]\n"
            "action = \"errno:EPERM\"\n");
  const std::string rec = dir + "/run.pwnr", made = dir + "/D";
  const std::vector<std::string> cmd = {"sh", "-c", "mkdir " + made + " 2>/dev/null || echo denied"};
  std::vector<std::string> args = {"record", "--policy", dir + "/p.toml", "-o", rec, "--"};
  args.insert(args.end(), cmd.begin(), cmd.end());
  auto r = Pwnbox(args);
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(r.out, "denied\n");
  auto p = Pwnbox({"replay", rec});
  EXPECT_EQ(p.status, 0) << p.err;
  EXPECT_EQ(p.out, "denied\n");
  EXPECT_NE(access(made.c_str(), F_OK), 0) << "the replayed mkdir ran";
}

TEST(Replay, UntilStopsEarlyAndCleanly) {
  std::string dir = TempDir();
  std::string rec = dir + "/run.pwnr";
  ASSERT_EQ(Pwnbox({"record", "-o", rec, "--", Prog("rp_inputs"), "/etc/hostname"}).status, 0);
  auto p = Pwnbox({"replay", "--until", "5", rec});
  EXPECT_EQ(p.status, 0) << p.err;
  EXPECT_TRUE(Contains(p.err, "replay stopped after event 5")) << p.err;
  EXPECT_EQ(p.out, "");
  auto bad = Pwnbox({"replay", dir + "/missing.pwnr"});
  EXPECT_EQ(bad.status, 125);
}

}  // namespace
}  // namespace pwnbox::testing

namespace pwnbox::testing {
namespace {

TEST(Snapshots, ShowAtRebuildsMemoryAndRegisters) {
  std::string rec = TempDir() + "/run.pwnr";
  auto r = Pwnbox({"record", "--snapshots=1", "-o", rec, "--", Prog("rp_steps")});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string marker = Lines(r.out).at(0);  // e.g. 0x555555558060
  auto j = Pwnbox({"show", "--json", rec});
  std::vector<uint64_t> getppid_events;
  for (const auto& line : Lines(j.out)) {
    auto v = nlohmann::json::parse(line);
    if (v.value("syscall", "") == "getppid") getppid_events.push_back(v["seq"].get<uint64_t>());
  }
  ASSERT_EQ(getppid_events.size(), 5u) << j.out;
  for (int i : {0, 2, 4}) {
    auto s = Pwnbox({"show", rec, "--at", std::to_string(getppid_events[i]), "--mem",
                     marker + ":16"});
    EXPECT_EQ(s.status, 0) << s.err;
    EXPECT_TRUE(Contains(s.out, "STEP-" + std::to_string(i) + "-MARKER")) << s.out;
  }
  auto regs = Pwnbox({"show", rec, "--at", std::to_string(getppid_events[1]), "--regs"});
  EXPECT_EQ(regs.status, 0) << regs.err;
  EXPECT_TRUE(Contains(regs.out, "orig_rax 0x000000000000006e")) << regs.out;  // getppid
  // Without snapshots there is nothing to show, and it says so.
  std::string plain = TempDir() + "/plain.pwnr";
  ASSERT_EQ(Pwnbox({"record", "-o", plain, "--", Prog("rp_steps")}).status, 0);
  auto none = Pwnbox({"show", plain, "--at", "3", "--mem", marker + ":16"});
  EXPECT_EQ(none.status, 125);
  EXPECT_TRUE(Contains(none.err, "--snapshots")) << none.err;
}

// record --policy with a path rule on execve: the supervisor decides it but the exec goes on
// in the kernel and its result is not seen, so the recording keeps it as unknown and show
// prints `= ?` (JSON "ret": null), as trace --policy does, never a made-up 0.
TEST(Record, ACallThatWentOnInTheKernelIsRecordedAsUnknown) {
  const std::string dir = TempDir();
  const std::string policy = dir + "/exec.toml";
  WriteFile(policy, "version = 1\ndefault = \"allow\"\n[[rule]]\nsyscalls = [\"execve\"]\n"
                    "paths = [\"/usr/bin/true\"]\naction = \"allow\"\n");
  const std::string rec = dir + "/run.pwnr";
  auto r = Pwnbox({"record", "--policy", policy, "-o", rec, "--", "sh", "-c",
                   "/usr/bin/true; echo done"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "done\n");
  auto s = Pwnbox({"show", rec});
  ASSERT_EQ(s.status, 0) << s.err;
  auto lines = Grep(s.out, "execve(\"/usr/bin/true\"");
  ASSERT_EQ(lines.size(), 1u) << s.out;
  EXPECT_TRUE(lines[0].size() >= 3 && lines[0].compare(lines[0].size() - 3, 3, "= ?") == 0)
      << lines[0];
  // The same as trace --policy prints for it.
  auto t = Pwnbox({"trace", "--policy", policy, "--", "sh", "-c", "/usr/bin/true; echo done"});
  auto traced = Grep(t.err, "execve(\"/usr/bin/true\"");
  ASSERT_EQ(traced.size(), 1u) << t.err;
  EXPECT_EQ(Normalise(lines[0]), Normalise(traced[0]));
  bool seen = false;
  for (const auto& line : Lines(Pwnbox({"show", "--json", rec}).out)) {
    auto v = nlohmann::json::parse(line);
    if (v.value("syscall", "") != "execve" || !Contains(line, "/usr/bin/true")) continue;
    seen = true;
    EXPECT_TRUE(v["ret"].is_null()) << line;
    EXPECT_TRUE(v["error"].is_null()) << line;
  }
  EXPECT_TRUE(seen);
  // trace --json says the same.
  t = Pwnbox({"trace", "--json", "--policy", policy, "-e", "trace=execve", "--", "sh", "-c",
              "/usr/bin/true; echo done"});
  seen = false;
  for (const auto& line : Lines(t.err)) {
    if (!Contains(line, "\"\\\"/usr/bin/true\\\"\"")) continue;
    seen = true;
    auto v = nlohmann::json::parse(line);
    EXPECT_TRUE(v["ret"].is_null()) << line;
  }
  EXPECT_TRUE(seen) << t.err;
}

// show --seq: every line starts with "#N ", the recording's number of its event, which --at
// takes: a call's lines carry its entry event's number, as --json's "seq" does; without the
// prefix the text is show's own.
TEST(Snapshots, ShowSeqNumbersAreTheOnesAtTakes) {
  std::string rec = TempDir() + "/run.pwnr";
  auto r = Pwnbox({"record", "--snapshots=1", "-o", rec, "--", Prog("tr_threads"), "2", "3"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto plain = Pwnbox({"show", rec});
  auto seq = Pwnbox({"show", "--seq", rec});
  ASSERT_EQ(seq.status, 0) << seq.err;
  const auto plain_lines = Lines(plain.out), seq_lines = Lines(seq.out);
  ASSERT_EQ(plain_lines.size(), seq_lines.size());
  static const std::regex prefixed(R"(#([0-9]+) (.*))");
  std::vector<uint64_t> getppids, resumed, exits;
  for (size_t i = 0; i < seq_lines.size(); ++i) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(seq_lines[i], m, prefixed)) << seq_lines[i];
    EXPECT_EQ(m[2].str(), plain_lines[i]);
    // A call's first line, whole or "<unfinished ...>" (its "<... getppid resumed>" line, if
    // any, carries the same number: checked below).
    if (Contains(seq_lines[i], "getppid(")) getppids.push_back(std::stoull(m[1].str()));
    if (Contains(seq_lines[i], "<... getppid resumed>")) resumed.push_back(std::stoull(m[1].str()));
    if (Contains(seq_lines[i], "+++ exited with")) exits.push_back(std::stoull(m[1].str()));
  }
  // The same numbers as --json's, for the calls and for the exit events.
  std::vector<uint64_t> json_getppids, json_exits;
  for (const auto& line : Lines(Pwnbox({"show", "--json", rec}).out)) {
    auto v = nlohmann::json::parse(line);
    if (v.value("syscall", "") == "getppid") json_getppids.push_back(v["seq"].get<uint64_t>());
    if (v.value("event", "") == "exit") json_exits.push_back(v["seq"].get<uint64_t>());
  }
  EXPECT_EQ(getppids.size(), 6u) << seq.out;
  std::vector<uint64_t> a = getppids, b = json_getppids;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  EXPECT_EQ(a, b);
  EXPECT_EQ(exits, json_exits);
  for (uint64_t n : resumed)
    EXPECT_NE(std::find(getppids.begin(), getppids.end(), n), getppids.end()) << n;
  ASSERT_EQ(exits.size(), 3u) << seq.out;
  // --at takes them: the state at a getppid line is that call's entry.
  for (uint64_t n : getppids) {
    auto at = Pwnbox({"show", rec, "--at", std::to_string(n), "--regs"});
    EXPECT_EQ(at.status, 0) << at.err;
    EXPECT_TRUE(Contains(at.out, "orig_rax 0x000000000000006e")) << n << "\n" << at.out;
  }
}

// With --snapshots=EVERY > 1 the memory at most events is an older snapshot plus the kernel's
// writes: show says which event it is from (stderr), and says nothing when it is exact.
TEST(Snapshots, ShowAtSaysWhichEventTheMemoryIsFrom) {
  std::string dir = TempDir();
  for (const char* every : {"1", "1000"}) {
    SCOPED_TRACE(every);
    std::string rec = dir + "/run" + every + ".pwnr";
    auto r = Pwnbox({"record", std::string("--snapshots=") + every, "-o", rec, "--",
                     Prog("rp_steps")});
    ASSERT_EQ(r.status, 0) << r.err;
    const std::string marker = Lines(r.out).at(0);
    uint64_t last_getppid = 0;
    for (const auto& line : Lines(Pwnbox({"show", "--json", rec}).out)) {
      auto v = nlohmann::json::parse(line);
      if (v.value("syscall", "") == "getppid") last_getppid = v["seq"].get<uint64_t>();
    }
    ASSERT_NE(last_getppid, 0u);
    auto s = Pwnbox({"show", rec, "--at", std::to_string(last_getppid), "--mem", marker + ":16"});
    ASSERT_EQ(s.status, 0) << s.err;
    if (std::string(every) == "1") {
      EXPECT_TRUE(Contains(s.out, "STEP-4-MARKER")) << s.out;
      EXPECT_EQ(s.err, "");
    } else {
      // One snapshot, at the first call after the exec: the marker written later is not in it.
      EXPECT_FALSE(Contains(s.out, "STEP-4-MARKER")) << s.out;
      EXPECT_TRUE(Contains(s.err, "the memory is the snapshot taken at event ")) << s.err;
      EXPECT_TRUE(Contains(s.err, "--snapshots=1")) << s.err;
    }
  }
}

// --mem more than once: each range, in the order given.
TEST(Snapshots, ShowAtMemMoreThanOnce) {
  std::string rec = TempDir() + "/run.pwnr";
  auto r = Pwnbox({"record", "--snapshots=1", "-o", rec, "--", Prog("rp_steps")});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string marker = Lines(r.out).at(0);
  const uint64_t addr = std::stoull(marker, nullptr, 16);
  uint64_t last_getppid = 0;
  for (const auto& line : Lines(Pwnbox({"show", "--json", rec}).out)) {
    auto v = nlohmann::json::parse(line);
    if (v.value("syscall", "") == "getppid") last_getppid = v["seq"].get<uint64_t>();
  }
  ASSERT_NE(last_getppid, 0u);
  char second[32];
  snprintf(second, sizeof second, "0x%llx:4", static_cast<unsigned long long>(addr + 5));
  auto s = Pwnbox({"show", rec, "--at", std::to_string(last_getppid), "--mem", second, "--mem",
                   marker + ":6"});
  ASSERT_EQ(s.status, 0) << s.err;
  auto lines = Lines(s.out);
  ASSERT_EQ(lines.size(), 3u) << s.out;  // "event N: pid P", then one row per range
  EXPECT_TRUE(Contains(lines[1], "34 2d 4d 41") && Contains(lines[1], "4-MA")) << s.out;
  EXPECT_TRUE(Contains(lines[2], "53 54 45 50 2d 34") && Contains(lines[2], "STEP-4")) << s.out;
  // A bad range among good ones is refused.
  auto bad = Pwnbox({"show", rec, "--at", "3", "--mem", marker + ":6", "--mem", "nope"});
  EXPECT_EQ(bad.status, 125);
  EXPECT_TRUE(Contains(bad.err, "--mem nope")) << bad.err;
}

}  // namespace
}  // namespace pwnbox::testing
