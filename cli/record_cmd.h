// `pwnbox record`, `show` and `replay` (SPEC.md "Recording").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pwnbox::cli {

// argv[0] is "record" / "show". Return the exit code.
int RecordCommand(int argc, char** argv);
int ShowCommand(int argc, char** argv);
int ReplayCommand(int argc, char** argv);

// What `pwnbox record` was asked for besides the command and the output.
struct RecordSettings {
  std::string policy;           // --policy: enforced while recording ("" none)
  uint64_t snapshot_every = 0;  // --snapshots=EVERY (0: none)
  bool keep_data = true;        // false: --no-data (only what `show` prints; no replay)
  bool wait_all = false;        // --wait-all: trace until every process is gone, not the main
};

// Records `command` into `output` as `pwnbox record -o OUTPUT ...` does, printing pwnbox's
// errors. Returns the exit code of SPEC.md (the target's, or 125/126/127). *recorded is set when
// the target started and its recording was finished: `output` is then a complete recording
// (`learn` profiles it).
int RecordToFile(const std::vector<std::string>& command, const std::string& output,
                 const RecordSettings& settings, bool* recorded);

}  // namespace pwnbox::cli
