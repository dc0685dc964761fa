// `pwnbox explore [--policy FILE] [--at SELECTOR]... [--outcomes LIST] [--max-branches N]
// [--depth D] [--jobs N] [--timeout SECS] [--json] [-o DIR] -- CMD [ARG...]`: fork the target at
// chosen calls and try each outcome (explore/explorer.h, docs/explore.md).
#pragma once

namespace pwnbox::cli {

// argv[0] is "explore". Returns 0 when no branch crashed or hung, 1 when some did, 125 on a
// usage error or when pwnbox failed, 126/127 when CMD cannot be executed / is not found.
int ExploreCommand(int argc, char** argv);

}  // namespace pwnbox::cli
