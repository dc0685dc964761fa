// `pwnbox trace`: a strace you would switch to (SPEC.md "Commands", "Trace output").
#pragma once

namespace pwnbox::cli {

// argv[0] is "trace". Returns the process exit code.
int TraceCommand(int argc, char** argv);

}  // namespace pwnbox::cli
