// recorder/diff.h: Myers alignment of call summaries, change pairing, hunks, normalisation.
#include "recorder/diff.h"

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace pwnbox::recorder {
namespace {

// "read:x" → a call named read whose key is "read:x".
std::vector<CallSummary> Calls(const std::vector<std::string>& keys) {
  std::vector<CallSummary> out;
  for (size_t i = 0; i < keys.size(); ++i) {
    CallSummary c;
    c.key = keys[i];
    c.name = keys[i].substr(0, keys[i].find(':'));
    c.text = keys[i];
    c.seq = 10 * (i + 1);
    out.push_back(c);
  }
  return out;
}

// The script as a string: '=' same, '-' remove, '+' insert, '~' change.
std::string Ops(const TaskAlignment& al) {
  std::string s;
  for (const auto& e : al.edits) s += "=-+~"[static_cast<int>(e.kind)];
  return s;
}

// Every element of a and b appears once, in order, and kSame / kChange pairs are consistent.
void CheckCovers(const TaskAlignment& al, const std::vector<CallSummary>& a,
                 const std::vector<CallSummary>& b) {
  size_t i = 0, j = 0;
  for (const auto& e : al.edits) {
    if (e.a != kNoIndex) {
      EXPECT_EQ(e.a, i++);
    }
    if (e.b != kNoIndex) {
      EXPECT_EQ(e.b, j++);
    }
    if (e.kind == EditKind::kSame) {
      EXPECT_EQ(a[e.a].key, b[e.b].key);
    }
    if (e.kind == EditKind::kChange) {
      EXPECT_EQ(a[e.a].name, b[e.b].name);
      EXPECT_NE(a[e.a].key, b[e.b].key);
    }
  }
  EXPECT_EQ(i, a.size());
  EXPECT_EQ(j, b.size());
}

TEST(Diff, Identical) {
  auto a = Calls({"open:1", "read:2", "close:3"});
  auto al = AlignCalls(a, a);
  EXPECT_TRUE(al.same());
  EXPECT_EQ(Ops(al), "===");
  EXPECT_TRUE(MakeHunks(al, 2).empty());
}

TEST(Diff, Empty) {
  std::vector<CallSummary> none;
  EXPECT_TRUE(AlignCalls(none, none).same());
  auto a = Calls({"open:1", "read:2"});
  auto al = AlignCalls(a, none);
  EXPECT_EQ(Ops(al), "--");
  EXPECT_EQ(al.removed, 2u);
  al = AlignCalls(none, a);
  EXPECT_EQ(Ops(al), "++");
  EXPECT_EQ(al.inserted, 2u);
  EXPECT_FALSE(al.same());
}

TEST(Diff, InsertRemoveChange) {
  auto a = Calls({"open:1", "read:2", "write:3", "close:4", "exit:0"});
  auto b = Calls({"open:1", "mmap:9", "read:2", "write:33", "exit:0"});
  auto al = AlignCalls(a, b);
  CheckCovers(al, a, b);
  EXPECT_EQ(Ops(al), "=+=~-=");
  EXPECT_EQ(al.inserted, 1u);
  EXPECT_EQ(al.removed, 1u);
  EXPECT_EQ(al.changed, 1u);
  EXPECT_EQ(b[al.edits[1].b].key, "mmap:9");
  EXPECT_EQ(a[al.edits[4].a].key, "close:4");
}

TEST(Diff, AlignsAcrossAShiftNotLineByLine) {
  // B has one extra call at the front: a line-by-line comparison would differ everywhere.
  auto a = Calls({"a:1", "b:2", "c:3", "d:4", "e:5", "f:6"});
  auto b = Calls({"x:0", "a:1", "b:2", "c:3", "d:4", "e:5", "f:6"});
  auto al = AlignCalls(a, b);
  CheckCovers(al, a, b);
  EXPECT_EQ(Ops(al), "+======");
}

TEST(Diff, ShortestEditScriptIsMinimal) {
  // Classic Myers example: ABCABBA vs CBABAC has D = 5.
  std::vector<uint32_t> a = {'A', 'B', 'C', 'A', 'B', 'B', 'A'};
  std::vector<uint32_t> b = {'C', 'B', 'A', 'B', 'A', 'C'};
  std::vector<Edit> s;
  ASSERT_TRUE(ShortestEditScript(a, b, 100, &s));
  size_t d = 0, same = 0;
  for (const auto& e : s) {
    if (e.kind == EditKind::kSame) {
      EXPECT_EQ(a[e.a], b[e.b]);
      ++same;
    } else {
      ++d;
    }
  }
  EXPECT_EQ(d, 5u);
  EXPECT_EQ(same, 4u);
  EXPECT_FALSE(ShortestEditScript(a, b, 4, &s));
  EXPECT_TRUE(s.empty());
}

TEST(Diff, RandomScriptsAreMinimal) {
  // Against a quadratic LCS on small random sequences.
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    std::vector<uint32_t> a(rng() % 12), b(rng() % 12);
    for (auto& x : a) x = rng() % 3;
    for (auto& x : b) x = rng() % 3;
    std::vector<std::vector<size_t>> lcs(a.size() + 1, std::vector<size_t>(b.size() + 1, 0));
    for (size_t i = a.size(); i-- > 0;)
      for (size_t j = b.size(); j-- > 0;)
        lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    std::vector<Edit> s;
    ASSERT_TRUE(ShortestEditScript(a, b, 100, &s));
    size_t same = 0, ia = 0, ib = 0;
    for (const auto& e : s) {
      if (e.kind != EditKind::kInsert) {
        EXPECT_EQ(e.a, ia++);
      }
      if (e.kind != EditKind::kRemove) {
        EXPECT_EQ(e.b, ib++);
      }
      if (e.kind == EditKind::kSame) {
        EXPECT_EQ(a[e.a], b[e.b]);
        ++same;
      }
    }
    EXPECT_EQ(ia, a.size());
    EXPECT_EQ(ib, b.size());
    EXPECT_EQ(same, lcs[0][0]);
  }
}

TEST(Diff, LongSequencesWithAFewEdits) {
  std::vector<std::string> ka;
  for (int i = 0; i < 100000; ++i) ka.push_back("call" + std::to_string(i % 97) + ":" + std::to_string(i));
  std::vector<std::string> kb = ka;
  kb.erase(kb.begin() + 500);                               // removed
  kb.insert(kb.begin() + 40000, "extra:1");                 // inserted
  kb[70000] = kb[70000].substr(0, kb[70000].find(':')) + ":changed";  // changed
  kb.insert(kb.begin() + 99000, "extra:2");                 // inserted
  auto a = Calls(ka), b = Calls(kb);
  auto al = AlignCalls(a, b);
  CheckCovers(al, a, b);
  EXPECT_FALSE(al.too_different);
  EXPECT_EQ(al.removed, 1u);
  EXPECT_EQ(al.inserted, 2u);
  EXPECT_EQ(al.changed, 1u);
  auto hunks = MakeHunks(al, 2);
  EXPECT_EQ(hunks.size(), 4u);
  for (const auto& h : hunks) EXPECT_LE(h.end - h.begin, 5u);
}

TEST(Diff, CapReportsTooDifferent) {
  std::vector<std::string> ka, kb;
  for (int i = 0; i < 2000; ++i) {
    ka.push_back("x:a" + std::to_string(i));
    kb.push_back("x:b" + std::to_string(i));
  }
  ka.insert(ka.begin(), "same:0");
  kb.insert(kb.begin(), "same:0");
  auto a = Calls(ka), b = Calls(kb);
  auto al = AlignCalls(a, b, 100);
  EXPECT_TRUE(al.too_different);
  CheckCovers(al, a, b);
  EXPECT_EQ(al.removed, 2000u);
  EXPECT_EQ(al.inserted, 2000u);
  EXPECT_EQ(al.edits[0].kind, EditKind::kSame);  // the common prefix is still aligned
  // With room enough, the same input pairs every call as changed.
  al = AlignCalls(a, b, 5000);
  EXPECT_FALSE(al.too_different);
  EXPECT_EQ(al.changed, 2000u);
  EXPECT_EQ(al.removed + al.inserted, 0u);
}

TEST(Diff, HunksMergeOverlappingContext) {
  auto a = Calls({"a:1", "b:2", "c:3", "d:4", "e:5", "f:6", "g:7", "h:8", "i:9", "j:10"});
  auto b = Calls({"a:1", "b:x", "c:3", "d:x", "e:5", "f:6", "g:7", "h:8", "i:9", "j:x"});
  auto al = AlignCalls(a, b);
  auto hunks = MakeHunks(al, 1);
  ASSERT_EQ(hunks.size(), 2u);
  EXPECT_EQ(hunks[0].begin, 0u);
  EXPECT_EQ(hunks[0].end, 5u);
  EXPECT_EQ(hunks[1].begin, 8u);
  EXPECT_EQ(hunks[1].end, 10u);
}

TEST(Diff, NormaliseAddresses) {
  EXPECT_EQ(NormaliseAddresses("mmap(0x7ffff7fc0000, 8192, PROT_READ, 0x10) = 0x555555559000"),
            "mmap(0x?, 8192, PROT_READ, 0x10) = 0x?");
  EXPECT_EQ(NormaliseAddresses("\"a0x123456\""), "\"a0x123456\"");
  EXPECT_EQ(NormaliseAddresses(""), "");
}

}  // namespace
}  // namespace pwnbox::recorder
