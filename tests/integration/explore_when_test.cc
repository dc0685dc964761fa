// `pwnbox explore --policy P` where P has occurrence rules (`when`, docs/policy.md "Occurrence
// conditions"; docs/explore.md "Policies served by the supervisor"): each branch counts its
// calls as a run of its own that shares its parent's history up to the branch point, whatever
// its siblings and the baseline did, under both escalation backends; every branch's output is
// the one `pwnbox run --policy` gives with its reproducer.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace pwnbox {
namespace {

using testing::Prog;
using testing::Pwnbox;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

class ExploreWhenTest : public ::testing::TestWithParam<std::string> {
 protected:
  // A file and a policy whose `when = "2"` rule fails the 2nd open of it with EACCES.
  void SetUp() override {
    file_ = dir_ + "/f";
    WriteFile(file_, "x\n");
    WriteFile(policy_, "default = \"allow\"\n[options]\nescalate = \"" + GetParam() +
                           "\"\n[[rule]]\nsyscalls = [\"openat\"]\npaths = [\"" + file_ +
                           "\"]\nwhen = \"2\"\naction = \"errno:EACCES\"\n");
  }

  nlohmann::json Explore(const std::vector<std::string>& extra, int opens) {
    std::vector<std::string> args = {"explore", "--json", "-o", out_, "--policy", policy_,
                                     "--at", "openat:path=" + file_};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"--", Prog("exw_opens"), file_, std::to_string(opens)});
    testing::RunResult r = Pwnbox(args);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j;
  }

  // The whole output of the run branch `id` stands for: its own stdout (from its branch point
  // on) after its parent's lines for the opens before the first of its own (exw_opens numbers
  // its lines: "open K: ...").
  std::string FullOutput(const nlohmann::json& j, int id) {
    if (id == 0) return ReadFile(out_ + "/baseline/stdout");
    for (const auto& p : j["points"])
      for (const auto& b : p["branches"]) {
        if (b["id"] != id) continue;
        const std::string own = ReadFile(b["dir"].get<std::string>() + "/stdout");
        const std::string first = own.substr(0, own.find(':'));
        std::string before;
        for (const std::string& line : testing::Lines(FullOutput(j, p["parent"].get<int>()))) {
          if (line.substr(0, line.find(':')) == first) break;
          before += line + "\n";
        }
        return before + own;
      }
    ADD_FAILURE() << "no branch " << id;
    return "";
  }

  // Every branch with a reproducer: `pwnbox run --policy` with it prints the branch's whole
  // output. Returns the branches checked.
  int CheckReproducers(const nlohmann::json& j, int opens) {
    int n = 0;
    for (const auto& p : j["points"])
      for (const auto& b : p["branches"]) {
        if (!b.contains("repro")) continue;
        ++n;
        auto r = Pwnbox({"--policy", b["repro"].get<std::string>(), "--", Prog("exw_opens"),
                         file_, std::to_string(opens)});
        EXPECT_EQ(r.status, 0) << r.err;
        EXPECT_EQ(r.out, FullOutput(j, b["id"].get<int>()))
            << "branch " << b.dump() << "\n" << ReadFile(b["repro"].get<std::string>());
      }
    return n;
  }

  // The points whose call is an open of file_, in report order, and their first branches'
  // whole outputs by outcome.
  std::map<std::string, std::string> Outputs(const nlohmann::json& j, const nlohmann::json& p) {
    std::map<std::string, std::string> out;
    for (const auto& b : p["branches"]) out[b["outcome"]] = FullOutput(j, b["id"].get<int>());
    return out;
  }

  std::string dir_ = TempDir();
  std::string out_ = dir_ + "/out";
  std::string policy_ = dir_ + "/p.toml";
  std::string file_;
};

// Explore at each open the policy lets run (the 1st and the 3rd; the 2nd is the policy's,
// reported as a point without branches). The ENOENT branch at the 1st open counts the policy's
// rule from 0 (the reproducer's rule takes that open first): its 2nd counted open is the 3rd,
// which gets EACCES; not the baseline's counts (3 opens by the time branches start: all ok).
// The branch at the 3rd open starts from the baseline's counts before it.
TEST_P(ExploreWhenTest, BranchCountsAsARunOfItsOwn) {
  auto j = Explore({"--outcomes", "ok,ENOENT"}, 3);
  EXPECT_EQ(ReadFile(out_ + "/baseline/stdout"), "open 1: ok\nopen 2: EACCES\nopen 3: ok\n");
  ASSERT_EQ(j["points"].size(), 3u) << j.dump();
  EXPECT_EQ(j["points"][0]["occurrence"], 1);
  EXPECT_TRUE(j["points"][1].contains("refused")) << j.dump();
  EXPECT_EQ(j["points"][2]["occurrence"], 3);  // the policy's open is counted for the repro
  ASSERT_EQ(j["points"][0]["branches"].size(), 1u);
  EXPECT_EQ(Outputs(j, j["points"][0])["ENOENT"], "open 1: ENOENT\nopen 2: ok\nopen 3: EACCES\n");
  EXPECT_EQ(Outputs(j, j["points"][2])["ENOENT"], "open 1: ok\nopen 2: EACCES\nopen 3: ENOENT\n");
  EXPECT_EQ(CheckReproducers(j, 3), 2);
}

// Siblings at one point, run in parallel, each count their own calls; so do their own
// branches (--depth 2): two explore rules and the policy's, in order, in each reproducer.
TEST_P(ExploreWhenTest, SiblingsAndSubBranchesKeepTheirOwnCounts) {
  auto j = Explore({"--outcomes", "ok,ENOENT,EPERM", "--depth", "2", "--jobs", "2"}, 4);
  EXPECT_EQ(ReadFile(out_ + "/baseline/stdout"),
            "open 1: ok\nopen 2: EACCES\nopen 3: ok\nopen 4: ok\n");
  ASSERT_FALSE(j["points"].empty());
  const auto first = Outputs(j, j["points"][0]);
  EXPECT_EQ(first.at("ENOENT"), "open 1: ENOENT\nopen 2: ok\nopen 3: EACCES\nopen 4: ok\n");
  EXPECT_EQ(first.at("EPERM"), "open 1: EPERM\nopen 2: ok\nopen 3: EACCES\nopen 4: ok\n");
  // In branch #1 (ENOENT at the 1st open), at its 2nd open (which it was let run): the
  // policy's rule has counted nothing yet; the 4th open is its 2nd.
  bool sub = false;
  for (const auto& p : j["points"]) {
    if (p["parent"] != 1 || p.contains("refused")) continue;
    if (Outputs(j, p)["EPERM"] != "open 1: ENOENT\nopen 2: EPERM\nopen 3: ok\nopen 4: EACCES\n")
      continue;
    sub = true;
  }
  EXPECT_TRUE(sub) << j.dump(1);
  EXPECT_GE(CheckReproducers(j, 4), 6);
}

// A `when` rule on every openat (no paths): the dynamic loader's opens, the program's and
// explore's own (RedirectFd opens each branch's stdout and stderr in the copy, through the
// policy) could all count. Only the program's do: in the branch at the first open of the file,
// the policy's EACCES moves one open later (the reproducer's rule takes the first), as under
// `pwnbox run` with the reproducer.
TEST_P(ExploreWhenTest, InjectedCallsAreNotCounted) {
  WriteFile(policy_, "default = \"allow\"\n[options]\nescalate = \"" + GetParam() +
                         "\"\n[[rule]]\nsyscalls = [\"openat\"]\nwhen = \"4\"\n"
                         "action = \"errno:EACCES\"\n");
  auto j = Explore({"--outcomes", "ok,ENOENT", "--jobs", "2"}, 5);
  // The baseline's EACCES is at open k (4 minus the loader's opens before main).
  const std::vector<std::string> base = testing::Lines(ReadFile(out_ + "/baseline/stdout"));
  ASSERT_EQ(base.size(), 5u);
  size_t k = 0;
  for (size_t i = 0; i < base.size(); ++i)
    if (base[i] == "open " + std::to_string(i + 1) + ": EACCES") k = i + 1;
  ASSERT_GE(k, 2u) << ReadFile(out_ + "/baseline/stdout");
  ASSERT_FALSE(j["points"].empty());
  // Forked, not re-run (a counted injected open would have taken the EACCES and made it one).
  for (const auto& p : j["points"])
    for (const auto& b : p["branches"]) EXPECT_FALSE(b.contains("rerun")) << b.dump();
  const std::vector<std::string> first =
      testing::Lines(Outputs(j, j["points"][0])["ENOENT"]);
  ASSERT_EQ(first.size(), 5u);
  EXPECT_EQ(first[0], "open 1: ENOENT");
  for (size_t i = 1; i < first.size(); ++i)
    EXPECT_EQ(first[i], "open " + std::to_string(i + 1) + (i + 1 == k + 1 ? ": EACCES" : ": ok"));
  EXPECT_GE(CheckReproducers(j, 5), 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, ExploreWhenTest, ::testing::Values("notify", "ptrace"));

}  // namespace
}  // namespace pwnbox
