// Integration tests for `pwnbox trace --json`: one JSON object per line (SPEC.md "Trace
// output"), parsed with nlohmann::json and checked field by field on helper programs whose calls
// are known (tests/progs/tr_basic.c, tr_signal.c, tr_exec.c, tr_fork.c).
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/syscalls.h"
#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

using nlohmann::json;

// Parses every line of `text`; a line that is not a JSON object is a failure.
std::vector<json> ParseLines(const std::string& text) {
  std::vector<json> out;
  for (const auto& l : Lines(text)) {
    json j = json::parse(l, nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(j.is_object()) << "not a JSON object: " << l;
    if (j.is_object()) out.push_back(std::move(j));
  }
  return out;
}

// Checks the fields every syscall object has, with their types.
void CheckSyscallShape(const json& j) {
  SCOPED_TRACE(j.dump());
  ASSERT_TRUE(j.contains("seq") && j["seq"].is_number_integer());
  ASSERT_TRUE(j.contains("pid") && j["pid"].is_number_integer());
  EXPECT_GT(j["pid"].get<long>(), 0);
  ASSERT_TRUE(j["syscall"].is_string());
  ASSERT_TRUE(j.contains("nr") && j["nr"].is_number_integer());
  ASSERT_TRUE(j.contains("args") && j["args"].is_array());
  for (const auto& a : j["args"]) EXPECT_TRUE(a.is_string()) << a;
  ASSERT_TRUE(j.contains("raw_args") && j["raw_args"].is_array());
  // Six registers; those past the syscall's own arguments are written as 0.
  ASSERT_EQ(j["raw_args"].size(), 6u);
  for (size_t i = pwnbox::core::Signature(j["syscall"].get<std::string>()).nargs; i < 6; ++i)
    EXPECT_EQ(j["raw_args"][i], 0) << i;
  for (const auto& a : j["raw_args"]) EXPECT_TRUE(a.is_number_integer()) << a;
  ASSERT_TRUE(j.contains("ret"));
  ASSERT_TRUE(j.contains("error"));
  EXPECT_TRUE(j["error"].is_null() || j["error"].is_string());
  ASSERT_TRUE(j.contains("time") && j["time"].is_number());
  double now = static_cast<double>(::time(nullptr));
  EXPECT_GT(j["time"].get<double>(), now - 600);
  EXPECT_LT(j["time"].get<double>(), now + 600);
  ASSERT_TRUE(j.contains("dur_us") && j["dur_us"].is_number());
  EXPECT_GE(j["dur_us"].get<double>(), 0);
}

std::vector<json> Calls(const std::vector<json>& all, const std::string& name) {
  std::vector<json> out;
  for (const auto& j : all)
    if (j.contains("syscall") && j["syscall"] == name) out.push_back(j);
  return out;
}

std::vector<json> Events(const std::vector<json>& all, const std::string& kind) {
  std::vector<json> out;
  for (const auto& j : all)
    if (j.contains("event") && j["event"] == kind) out.push_back(j);
  return out;
}

void ExpectSeqIncreasing(const std::vector<json>& all) {
  long last = -1;
  for (const auto& j : all) {
    ASSERT_TRUE(j.contains("seq") && j["seq"].is_number_integer()) << j.dump();
    long seq = j["seq"].get<long>();
    EXPECT_GT(seq, last) << j.dump();
    last = seq;
  }
}

std::vector<json> TraceBasic(std::string* in_out, RunResult* r_out,
                             const std::vector<std::string>& extra = {}) {
  std::string dir = TempDir();
  std::string in = dir + "/in.txt";
  WriteFile(in, "hello\n");
  std::vector<std::string> args{"trace", "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.insert(args.end(), {"--", Prog("tr_basic"), in});
  RunResult r = Pwnbox(args);
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_EQ(r.out, std::string("a\tb\nc\1\377\0", 8) + "0123456789abcdefghijklmnopqrstuvwxyzABCD");
  *in_out = in;
  *r_out = r;
  return ParseLines(r.err);
}

TEST(TraceJson, EveryLineParsesAndSyscallsHaveAllFields) {
  std::string in;
  RunResult r;
  auto all = TraceBasic(&in, &r);
  ASSERT_GT(all.size(), 15u) << r.err;
  ExpectSeqIncreasing(all);
  for (const auto& j : all) {
    if (j.contains("syscall")) {
      CheckSyscallShape(j);
    } else {
      ASSERT_TRUE(j.contains("event")) << "neither syscall nor event: " << j.dump();
      EXPECT_TRUE(j["event"] == "signal" || j["event"] == "exit" || j["event"] == "exec")
          << j.dump();
      EXPECT_TRUE(j.contains("seq") && j.contains("pid")) << j.dump();
    }
  }
}

TEST(TraceJson, KnownCallsFieldByField) {
  std::string in;
  RunResult r;
  auto all = TraceBasic(&in, &r);

  // getpid x5: no arguments, the target's pid as result.
  auto getpid = Calls(all, "getpid");
  ASSERT_EQ(getpid.size(), 5u) << r.err;
  long pid = getpid[0]["pid"].get<long>();
  for (const auto& j : getpid) {
    EXPECT_EQ(j["nr"], 39);
    EXPECT_EQ(j["args"], json::array());
    EXPECT_EQ(j["ret"], pid);
    EXPECT_TRUE(j["error"].is_null());
    EXPECT_EQ(j["pid"], pid);
  }

  // The failing openat and the successful one.
  auto openat = Calls(all, "openat");
  const json* missing = nullptr;
  const json* found = nullptr;
  for (const auto& j : openat) {
    if (j["args"].size() > 1 && j["args"][1] == "\"/nonexistent/tr_basic_missing\"") missing = &j;
    if (j["args"].size() > 1 && j["args"][1] == "\"" + in + "\"") found = &j;
  }
  ASSERT_NE(missing, nullptr) << r.err;
  EXPECT_EQ((*missing)["nr"], 257);
  EXPECT_EQ((*missing)["args"],
            json::array({"AT_FDCWD", "\"/nonexistent/tr_basic_missing\"", "O_RDONLY"}));
  EXPECT_EQ((*missing)["ret"], -1);
  EXPECT_EQ((*missing)["error"], "ENOENT");
  EXPECT_EQ((*missing)["raw_args"][0].get<uint64_t>() & 0xffffffffu, 4294967196u);  // AT_FDCWD
  EXPECT_GT((*missing)["raw_args"][1].get<uint64_t>(), 0u);                          // the path
  EXPECT_EQ((*missing)["raw_args"][2], 0);                                           // O_RDONLY
  ASSERT_NE(found, nullptr) << r.err;
  EXPECT_EQ((*found)["args"], json::array({"AT_FDCWD", "\"" + in + "\"", "O_RDONLY"}));
  EXPECT_EQ((*found)["ret"], 3);
  EXPECT_TRUE((*found)["error"].is_null());
  EXPECT_LT((*missing)["seq"].get<long>(), (*found)["seq"].get<long>());

  // read(3, "hello\n", 64) = 6 and close(3) = 0, after the openat.
  auto reads = Calls(all, "read");
  ASSERT_FALSE(reads.empty());
  const json& rd = reads.back();
  EXPECT_EQ(rd["nr"], 0);
  EXPECT_EQ(rd["args"], json::array({"3", "\"hello\\n\"", "64"}));
  EXPECT_EQ(rd["raw_args"][0], 3);
  EXPECT_EQ(rd["raw_args"][2], 64);
  EXPECT_EQ(rd["ret"], 6);
  EXPECT_GT(rd["seq"].get<long>(), (*found)["seq"].get<long>());
  auto closes = Calls(all, "close");
  ASSERT_FALSE(closes.empty());
  EXPECT_EQ(closes.back()["args"], json::array({"3"}));
  EXPECT_EQ(closes.back()["ret"], 0);

  // The two writes: escaped and cut exactly as in the text output.
  auto writes = Calls(all, "write");
  ASSERT_EQ(writes.size(), 2u) << r.err;
  EXPECT_EQ(writes[0]["nr"], 1);
  EXPECT_EQ(writes[0]["args"], json::array({"1", "\"a\\tb\\nc\\1\\377\\0\"", "8"}));
  EXPECT_EQ(writes[0]["ret"], 8);
  EXPECT_EQ(writes[0]["raw_args"][0], 1);
  EXPECT_EQ(writes[0]["raw_args"][2], 8);
  EXPECT_EQ(writes[1]["args"],
            json::array({"1", "\"0123456789abcdefghijklmnopqrstuv\"...", "40"}));
  EXPECT_EQ(writes[1]["ret"], 40);

  // chdir x2: ENOENT.
  auto chdir = Calls(all, "chdir");
  ASSERT_EQ(chdir.size(), 2u) << r.err;
  for (const auto& j : chdir) {
    EXPECT_EQ(j["nr"], 80);
    EXPECT_EQ(j["args"], json::array({"\"/nonexistent/tr_basic_dir\""}));
    EXPECT_EQ(j["ret"], -1);
    EXPECT_EQ(j["error"], "ENOENT");
  }

  // exit_group(3) then the exit event, last.
  auto exit_group = Calls(all, "exit_group");
  ASSERT_EQ(exit_group.size(), 1u) << r.err;
  EXPECT_EQ(exit_group[0]["nr"], 231);
  EXPECT_EQ(exit_group[0]["args"], json::array({"3"}));
  EXPECT_EQ(exit_group[0]["raw_args"][0], 3);
  auto exits = Events(all, "exit");
  ASSERT_EQ(exits.size(), 1u) << r.err;
  EXPECT_EQ(exits[0]["pid"], pid);
  EXPECT_EQ(all.back(), exits[0]);
  // The exit status is in the event (as a number 3 under some key).
  bool has_status = false;
  for (const auto& [k, v] : exits[0].items())
    if (k != "seq" && k != "pid" && k != "time" && v == 3) has_status = true;
  EXPECT_TRUE(has_status) << exits[0].dump();
}

TEST(TraceJson, FilterApplies) {
  std::string in;
  RunResult r;
  auto all = TraceBasic(&in, &r, {"-e", "trace=getpid,chdir"});
  size_t syscalls = 0;
  for (const auto& j : all) {
    if (!j.contains("syscall")) continue;
    ++syscalls;
    EXPECT_TRUE(j["syscall"] == "getpid" || j["syscall"] == "chdir") << j.dump();
  }
  EXPECT_EQ(syscalls, 7u) << r.err;
  ExpectSeqIncreasing(all);
}

TEST(TraceJson, OutputFile) {
  std::string dir = TempDir();
  std::string in = dir + "/in.txt";
  WriteFile(in, "hello\n");
  std::string out = dir + "/trace.json";
  RunResult r = Pwnbox({"trace", "--json", "-o", out, "--", Prog("tr_basic"), in});
  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(r.err, "");
  auto all = ParseLines(ReadFile(out));
  EXPECT_EQ(Calls(all, "getpid").size(), 5u);
  EXPECT_EQ(Events(all, "exit").size(), 1u);
}

TEST(TraceJson, SignalEvents) {
  RunResult r = Pwnbox({"trace", "--json", "--", Prog("tr_signal"), "handler"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "usr1\nusr1\n");
  auto all = ParseLines(r.err);
  ExpectSeqIncreasing(all);
  auto sigs = Events(all, "signal");
  ASSERT_EQ(sigs.size(), 2u) << r.err;
  auto kill = Calls(all, "kill");
  auto tgkill = Calls(all, "tgkill");
  ASSERT_EQ(kill.size(), 1u);
  ASSERT_EQ(tgkill.size(), 1u);
  long pid = kill[0]["pid"].get<long>();
  EXPECT_EQ(kill[0]["args"], json::array({std::to_string(pid), "SIGUSR1"}));
  EXPECT_EQ(kill[0]["nr"], 62);
  EXPECT_EQ(tgkill[0]["args"], json::array({std::to_string(pid), std::to_string(pid), "SIGUSR1"}));
  // Each signal comes after the call that sent it, and names SIGUSR1 and its si_code.
  EXPECT_GT(sigs[0]["seq"].get<long>(), kill[0]["seq"].get<long>());
  EXPECT_GT(sigs[1]["seq"].get<long>(), tgkill[0]["seq"].get<long>());
  EXPECT_LT(sigs[0]["seq"].get<long>(), tgkill[0]["seq"].get<long>());
  for (const auto& s : sigs) EXPECT_EQ(s["pid"], pid);
  EXPECT_NE(sigs[0].dump().find("SIGUSR1"), std::string::npos) << sigs[0].dump();
  EXPECT_NE(sigs[0].dump().find("SI_USER"), std::string::npos) << sigs[0].dump();
  EXPECT_NE(sigs[1].dump().find("SI_TKILL"), std::string::npos) << sigs[1].dump();
  auto sigreturn = Calls(all, "rt_sigreturn");
  EXPECT_EQ(sigreturn.size(), 2u);
}

TEST(TraceJson, KilledExitEvent) {
  RunResult r = Pwnbox({"trace", "--json", "--", Prog("tr_signal"), "kill"});
  EXPECT_EQ(r.status, 137) << r.err;
  auto all = ParseLines(r.err);
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.back()["event"], "exit") << all.back().dump();
  EXPECT_NE(all.back().dump().find("SIGKILL"), std::string::npos) << all.back().dump();
}

TEST(TraceJson, ExecEvent) {
  std::string dir = TempDir();
  std::string in = dir + "/in.txt";
  WriteFile(in, "hello\n");
  RunResult r = Pwnbox({"trace", "--json", "--", Prog("tr_exec"), Prog("tr_basic"), in});
  EXPECT_EQ(r.status, 3) << r.err;
  auto all = ParseLines(r.err);
  ExpectSeqIncreasing(all);
  auto execve = Calls(all, "execve");
  ASSERT_EQ(execve.size(), 2u) << r.err;
  EXPECT_EQ(execve[1]["nr"], 59);
  EXPECT_EQ(execve[1]["ret"], 0);
  ASSERT_GE(execve[1]["args"].size(), 2u);
  EXPECT_EQ(execve[1]["args"][0], "\"" + Prog("tr_basic") + "\"");
  // argv's strings are cut at -s 32, as in the text output.
  auto quoted = [](const std::string& s) {
    return s.size() <= 32 ? "\"" + s + "\"" : "\"" + s.substr(0, 32) + "\"...";
  };
  EXPECT_EQ(execve[1]["args"][1], "[" + quoted(Prog("tr_basic")) + ", " + quoted(in) + "]");
  auto execs = Events(all, "exec");
  ASSERT_GE(execs.size(), 1u) << r.err;
  // The new image's exec event is the process's, and the new image's calls follow it.
  const json& last = execs.back();
  EXPECT_EQ(last["pid"], execve[1]["pid"]);
  auto getpid = Calls(all, "getpid");
  ASSERT_EQ(getpid.size(), 5u);
  EXPECT_GT(getpid[0]["seq"].get<long>(), last["seq"].get<long>());
}

TEST(TraceJson, ForkedChildHasItsPid) {
  RunResult r = Pwnbox({"trace", "--json", "--", Prog("tr_fork"), "fork"});
  EXPECT_EQ(r.status, 7) << r.err;
  auto all = ParseLines(r.err);
  ExpectSeqIncreasing(all);
  auto clone = Calls(all, "clone");
  ASSERT_EQ(clone.size(), 1u) << r.err;
  long parent = clone[0]["pid"].get<long>();
  long child = clone[0]["ret"].get<long>();
  EXPECT_GT(child, 0);
  bool child_write = false;
  for (const auto& w : Calls(all, "write"))
    if (w["pid"] == child && w["args"] == json::array({"1", "\"child\\n\"", "6"}) &&
        w["ret"] == 6)
      child_write = true;
  EXPECT_TRUE(child_write) << r.err;
  auto wait4 = Calls(all, "wait4");
  ASSERT_EQ(wait4.size(), 1u);
  EXPECT_EQ(wait4[0]["pid"], parent);
  EXPECT_EQ(wait4[0]["ret"], child);
  auto exits = Events(all, "exit");
  ASSERT_EQ(exits.size(), 2u) << r.err;
  EXPECT_EQ(exits[0]["pid"], child);
  EXPECT_EQ(exits[1]["pid"], parent);
  EXPECT_EQ(all.back(), exits[1]);
}

}  // namespace
}  // namespace pwnbox::testing
