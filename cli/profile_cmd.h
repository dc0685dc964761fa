// `pwnbox profile` and `pwnbox learn` (SPEC.md; docs/profile.md): least-privilege policies from
// recordings and strace logs, or from a run recorded on the spot.
#pragma once

namespace pwnbox::cli {

// argv[0] is "profile" / "learn". Return the exit code.
int ProfileCommand(int argc, char** argv);
int LearnCommand(int argc, char** argv);

}  // namespace pwnbox::cli
