// `pwnbox bench` end to end: real runs of real commands in every mode, the text table, --json,
// --plot and the failure paths. Never asserts on timing beyond "positive".
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

using nlohmann::json;

std::string GetppidPolicy(const std::string& action_lines) {
  std::string path = TempDir() + "/policy.toml";
  WriteFile(path, "version = 1\ndefault = \"allow\"\n[[rule]]\nsyscalls = [\"getppid\"]\n" +
                      action_lines);
  return path;
}

const json* FindMode(const json& doc, const std::string& name) {
  for (const auto& m : doc["modes"])
    if (m["name"] == name) return &m;
  return nullptr;
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(BenchCmdTest, TableHasARowPerMode) {
  auto r = Pwnbox({"bench", "-n", "3", "--modes", "native,policy,kernel,trace", "--", "/bin/ls",
                   "/"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "pwnbox bench: /bin/ls /")) << r.out;
  auto header = Grep(r.out, "median");
  ASSERT_FALSE(header.empty()) << r.out;
  EXPECT_TRUE(Contains(header[0], "escalated"));
  EXPECT_TRUE(Contains(header[0], "x native"));
  for (const std::string mode : {"native", "policy", "kernel", "trace"}) {
    bool found = false;
    for (const auto& line : Lines(r.out))
      if (line.rfind(mode + " ", 0) == 0) {
        found = true;
        EXPECT_FALSE(Contains(line, "FAILED")) << line;
        EXPECT_TRUE(Contains(line, "ms") || Contains(line, "µs") || Contains(line, " s"))
            << line;
      }
    EXPECT_TRUE(found) << mode << " missing in\n" << r.out;
  }
  // The target's stdout goes to /dev/null, not into the report.
  EXPECT_FALSE(Contains(r.out, "proc\n")) << r.out;
}

TEST(BenchCmdTest, JsonHasEverySampleAndSummary) {
  auto r = Pwnbox({"bench", "-n", "3", "--modes", "native,policy,kernel,trace", "--json", "--",
                   "true"});
  ASSERT_EQ(r.status, 0) << r.err;
  json doc = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << r.out;
  EXPECT_EQ(doc["runs"], 3);
  EXPECT_EQ(doc["command"], json::array({"true"}));
  ASSERT_EQ(doc["modes"].size(), 4u);
  for (const auto& m : doc["modes"]) {
    SCOPED_TRACE(m.dump());
    EXPECT_EQ(m["status"], "ok");
    ASSERT_EQ(m["samples"].size(), 3u);
    for (const auto& s : m["samples"]) {
      EXPECT_GT(s["wall_s"].get<double>(), 0);
      EXPECT_GE(s["user_s"].get<double>(), 0);
      EXPECT_GE(s["sys_s"].get<double>(), 0);
      EXPECT_GT(s["maxrss_kb"].get<long>(), 0);
      EXPECT_TRUE(s.contains("escalated"));
    }
    const auto& sum = m["summary"];
    for (const char* key : {"median_wall_s", "min_wall_s", "max_wall_s", "median_maxrss_kb",
                            "ratio", "ratio_low", "ratio_high"})
      EXPECT_GT(sum[key].get<double>(), 0) << key;
    for (const char* key : {"mad_wall_s", "median_user_s", "median_sys_s"})
      EXPECT_GE(sum[key].get<double>(), 0) << key;
    EXPECT_TRUE(sum["noisy"].is_boolean());
    EXPECT_LE(sum["min_wall_s"].get<double>(), sum["median_wall_s"].get<double>());
    EXPECT_LE(sum["median_wall_s"].get<double>(), sum["max_wall_s"].get<double>());
    EXPECT_LE(sum["ratio_low"].get<double>(), sum["ratio"].get<double>());
    EXPECT_LE(sum["ratio"].get<double>(), sum["ratio_high"].get<double>());
  }
  // The default policy escalates nothing `true` does; native and trace have no count.
  EXPECT_EQ((*FindMode(doc, "policy"))["summary"]["escalated"], 0);
  EXPECT_EQ((*FindMode(doc, "kernel"))["summary"]["escalated"], 0);
  EXPECT_TRUE((*FindMode(doc, "native"))["summary"]["escalated"].is_null());
}

TEST(BenchCmdTest, EscalatedCallsCountedInPolicyModeOnly) {
  auto policy = GetppidPolicy("action = \"return\"\nvalue = 1\n");
  auto r = Pwnbox({"bench", "-n", "3", "--policy", policy, "--modes", "kernel,policy", "--json",
                   "--", Prog("sb_calls"), "getppid", "getppid"});
  ASSERT_EQ(r.status, 0) << r.err;
  json doc = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << r.out;
  const json* pol = FindMode(doc, "policy");
  const json* ker = FindMode(doc, "kernel");
  ASSERT_TRUE(pol && ker) << r.out;
  for (const auto& s : (*pol)["samples"]) EXPECT_GE(s["escalated"].get<long>(), 2) << r.out;
  for (const auto& s : (*ker)["samples"]) EXPECT_EQ(s["escalated"].get<long>(), 0) << r.out;

  auto text = Pwnbox({"bench", "-n", "3", "--policy", policy, "--modes", "kernel,policy", "--",
                      Prog("sb_calls"), "getppid", "getppid"});
  ASSERT_EQ(text.status, 0) << text.err;
  // Columns end with "... ESCALATED  RATIO [!]  [LOW, HIGH]".
  auto row = Grep(text.out, "policy ");
  ASSERT_FALSE(row.empty()) << text.out;
  std::istringstream words(row.back().substr(0, row.back().find('[')));
  std::vector<std::string> tokens;
  for (std::string w; words >> w;)
    if (w != "!") tokens.push_back(w);
  ASSERT_GE(tokens.size(), 2u) << row.back();
  long escalated = std::stol(tokens[tokens.size() - 2]);
  EXPECT_GE(escalated, 2) << text.out;
}

TEST(BenchCmdTest, PlotWritesAnSvgWithADotPerRun) {
  std::string svg_path = TempDir() + "/bench.svg";
  auto r = Pwnbox({"bench", "-n", "3", "--modes", "native,policy,kernel", "--plot", svg_path,
                   "--", "/bin/ls", "/"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string svg = ReadFile(svg_path);
  ASSERT_EQ(svg.rfind("<svg", 0), 0u) << svg.substr(0, 200);
  EXPECT_TRUE(Contains(svg, "</svg>"));
  EXPECT_EQ(Count(svg, "<circle class=\"run\""), 9u);
  EXPECT_EQ(Count(svg, "<rect class=\"range\""), 3u);
  EXPECT_TRUE(Contains(svg, "pwnbox bench: /bin/ls /"));
  EXPECT_TRUE(Contains(svg, "wall time ("));
  for (const char* mode : {">native<", ">policy<", ">kernel<"}) EXPECT_TRUE(Contains(svg, mode));
  // Tags balance: every element opened is closed or self-closing.
  EXPECT_EQ(Count(svg, "<text"), Count(svg, "</text>"));
}

TEST(BenchCmdTest, CommandThatFailsNativelyIs125) {
  auto r = Pwnbox({"bench", "-n", "2", "--", "false"});
  EXPECT_EQ(r.status, 125);
  EXPECT_TRUE(Contains(r.err, "pwnbox: false fails without pwnbox (exit status 1); bench needs a "
                              "command that succeeds"))
      << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;

  auto missing = Pwnbox({"bench", "-n", "2", "--", "/nonexistent/pwnbox-bench-target"});
  EXPECT_EQ(missing.status, 125);
  EXPECT_TRUE(Contains(missing.err, "cannot start")) << missing.err;
}

TEST(BenchCmdTest, ModeThatExitsDifferentlyIsReportedFailed) {
  auto policy = GetppidPolicy("action = \"kill\"\n");
  auto r = Pwnbox({"bench", "-n", "2", "--policy", policy, "--", Prog("sb_calls"), "getppid"});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  auto row = Grep(r.out, "policy ");
  ASSERT_FALSE(row.empty()) << r.out;
  EXPECT_TRUE(Contains(row[0], "FAILED")) << r.out;
  EXPECT_TRUE(Contains(r.out, "exit status 159")) << r.out;
}

// A run past --timeout is killed with its whole process group (strace's tracees would outlive
// strace) and its mode reported failed. The command sleeps only when something traces it.
TEST(BenchCmdTest, RunPastTimeoutIsKilledAndReported) {
  const std::string marker = TempDir() + "/still-running";
  // A sleep no other test (nor a parallel run of this one) starts: 30.PID seconds.
  const std::string nap = "sleep 30." + std::to_string(getpid());
  const std::string script = "grep -q 'TracerPid:[[:space:]]*0$' /proc/self/status && exit 0; " +
                             nap + "; touch " + marker;
  auto r = Pwnbox({"bench", "-n", "1", "--timeout", "2", "--modes", "trace", "--", "sh", "-c",
                   script});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  auto row = Grep(r.out, "trace ");
  ASSERT_FALSE(row.empty()) << r.out;
  EXPECT_TRUE(Contains(row[0], "FAILED")) << r.out;
  EXPECT_TRUE(Contains(r.out, "--timeout")) << r.out;
  // Nothing of the killed run is left to finish its script later.
  auto ps = pwnbox::testing::Run({"sh", "-c", "ps -eo args | grep -cx '" + nap + "' || true"});
  EXPECT_EQ(ps.out, "0\n");
}

TEST(BenchCmdTest, BadUsageIs125WithOneLine) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"bench", "--modes", "native,bogus", "--", "true"},
        std::vector<std::string>{"bench", "-n", "0", "--", "true"},
        std::vector<std::string>{"bench", "--timeout", "0", "--", "true"},
        std::vector<std::string>{"bench", "--frobnicate", "--", "true"},
        std::vector<std::string>{"bench"},
        std::vector<std::string>{"bench", "--policy", "/nonexistent.toml", "--", "true"}}) {
    auto r = Pwnbox(args);
    EXPECT_EQ(r.status, 125) << args[1];
    auto lines = Lines(r.err);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines[0].rfind("pwnbox: ", 0), 0u) << r.err;
  }
}

}  // namespace
}  // namespace pwnbox::testing
