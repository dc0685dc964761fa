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

// Records `command` into `output` as `pwnbox record -o OUTPUT [--policy POLICY]
// [--snapshots=EVERY]` does (snapshot_every 0: none), printing pwnbox's errors. Returns the exit
// code of SPEC.md (the target's, or 125/126/127). *recorded is set when the target started and
// its recording was finished: `output` is then a complete recording (`learn` profiles it).
int RecordToFile(const std::vector<std::string>& command, const std::string& output,
                 const std::string& policy, uint64_t snapshot_every, bool* recorded);

}  // namespace pwnbox::cli
