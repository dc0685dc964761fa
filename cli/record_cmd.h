// `pwnbox record`, `show` and `replay` (SPEC.md "Recording").
#pragma once

namespace pwnbox::cli {

// argv[0] is "record" / "show". Return the exit code.
int RecordCommand(int argc, char** argv);
int ShowCommand(int argc, char** argv);
int ReplayCommand(int argc, char** argv);

}  // namespace pwnbox::cli
