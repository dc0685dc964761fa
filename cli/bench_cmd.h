// `pwnbox bench`: how much a policy costs. Runs a command natively and under pwnbox in several
// modes, interleaved after a warm-up round, and reports wall time, CPU, peak memory, escalated
// calls and the ratio to native (SPEC.md "Commands", docs/bench.md).
#pragma once

namespace pwnbox::cli {

// argv[0] is "bench". Returns the process exit code: 0 when every mode ran, 1 when a pwnbox mode
// exited differently from native (reported as failed), 125 on bad usage or when the command
// fails natively.
int BenchCommand(int argc, char** argv);

}  // namespace pwnbox::cli
