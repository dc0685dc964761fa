// pwnbox::cli::CheckAgainst: `pwnbox check POLICY --against RUN.pwnr|RUN.strace` (issue 19.3):
// would this policy have let yesterday's run through? Every call of the run is decided by the
// policy as `run` would decide it (first match, arguments, `when` counts, paths), without
// running anything, and the first call the policy would deny is printed.
//
// Paths are decided as the run named them: relative ones are joined to the directory the
// task was in (the recording's starting directory, followed through chdir/fchdir) or to the
// path of the dirfd (followed through open, dup and close), then normalised ("." and ".."
// folded) without looking at this machine's filesystem: symlinks are not followed, so a rule
// on a link's target does not see calls made through the link. An strace log carries no
// starting directory: `--cwd DIR` gives it (else relative paths are undecided).
#pragma once

#include <string>

#include "config/policy.h"

namespace pwnbox::cli {

struct AgainstOptions {
  std::string run;      // a .pwnr recording or an strace -f -o log
  std::string cwd;      // the run's starting directory, for an strace log ("" : unknown)
  bool summary = false;  // -c: calls and denials per rule after the verdict
};

// Prints the first call of the run that `policy` (loaded from `policy_path`) would deny, or
// that it denies none, and with `summary` a table per rule. Returns 0 when no call would be
// denied, 1 when one would, 125 when the run cannot be read (one-line message).
int CheckAgainst(const config::Policy& policy, const std::string& policy_path,
                 const AgainstOptions& options);

}  // namespace pwnbox::cli
