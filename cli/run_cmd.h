// `pwnbox [run] [--policy FILE] [--complain] [--log FILE] -- CMD [ARG...]`.
#pragma once

namespace pwnbox::cli {

// argv[0] is "run" or the program name (`pwnbox --policy ...` is run). Returns the exit code.
int RunCommand(int argc, char** argv);

}  // namespace pwnbox::cli
