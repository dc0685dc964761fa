// pwnbox policy commands: check, compile, convert, groups (SPEC.md "Commands").
// Each takes the subcommand's argv (argv[0] is the subcommand name) and returns the exit code:
// 0 on success, 125 on error (a `pwnbox: ...` line on stderr; an invalid policy first prints its
// FILE:LINE:COL block).
#pragma once

namespace pwnbox::cli {

int CheckCommand(int argc, char** argv);
int CompileCommand(int argc, char** argv);
int ConvertCommand(int argc, char** argv);
int GroupsCommand(int argc, char** argv);

}  // namespace pwnbox::cli
