// pwnbox::recorder diff: aligns two sequences of syscall summaries (one task of two recordings)
// with Myers' O(ND) algorithm and classifies the differences as removed, inserted or changed
// calls. Pure functions over vectors: no I/O, no decoding (cli/diff_cmd.cc builds the summaries).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pwnbox::recorder {

// One call (or a pseudo-entry such as "+++ exited with 0 +++") of one task.
struct CallSummary {
  std::string name;  // "openat"; calls with equal names can pair up as "changed"
  std::string key;   // normalised text; two calls are the same when their keys are equal
  std::string text;  // what to print (the decoded line as recorded)
  uint64_t seq = 0;  // event number in its recording
};

enum class EditKind { kSame, kRemove, kInsert, kChange };

inline constexpr size_t kNoIndex = static_cast<size_t>(-1);

// One step of the alignment: `a` / `b` index the two input vectors (kNoIndex for the side a
// kRemove / kInsert does not have).
struct Edit {
  EditKind kind = EditKind::kSame;
  size_t a = kNoIndex;
  size_t b = kNoIndex;
};

struct TaskAlignment {
  // Every element of both inputs, in order (kSame and kChange consume one of each).
  std::vector<Edit> edits;
  size_t removed = 0;   // kRemove edits
  size_t inserted = 0;  // kInsert edits
  size_t changed = 0;   // kChange edits
  // More than `max_edits` insertions + deletions were needed: the part between the common
  // prefix and suffix is reported as all removed + all inserted, without pairing.
  bool too_different = false;
  bool same() const { return removed == 0 && inserted == 0 && changed == 0; }
};

inline constexpr size_t kDefaultMaxEdits = 3000;

// Aligns `a` with `b` (minimal insertions + deletions on `key` equality, Myers 1986, after
// trimming the common prefix and suffix). Within each run of differences, removed and inserted
// calls with the same name are paired (by a second alignment on names) into kChange edits.
// Time O((N+M)·D), memory O(N+M+D²) with D ≤ max_edits.
TaskAlignment AlignCalls(const std::vector<CallSummary>& a, const std::vector<CallSummary>& b,
                         size_t max_edits = kDefaultMaxEdits);

// The shortest edit script between two sequences of integers, as kSame / kRemove / kInsert
// edits. Returns false (and leaves `*out` empty) when more than `max_d` insertions + deletions
// are needed.
bool ShortestEditScript(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b,
                        size_t max_d, std::vector<Edit>* out);

// A hunk of a unified-diff-like listing: edits [begin, end) of TaskAlignment::edits, i.e. a run
// of differences with up to `context` kSame edits on each side.
struct Hunk {
  size_t begin = 0;
  size_t end = 0;
};
// Hunks of `alignment`, merging runs whose context would overlap.
std::vector<Hunk> MakeHunks(const TaskAlignment& alignment, size_t context);

// Replaces hexadecimal numbers of 5 or more digits ("0x7ffd1234abcd", addresses) with "0x?".
std::string NormaliseAddresses(std::string_view text);

}  // namespace pwnbox::recorder
