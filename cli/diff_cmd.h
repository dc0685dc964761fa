// pwnbox diff A.pwnr B.pwnr [--json]: aligns the syscall sequences of two recordings per task
// and reports the first divergence and the inserted, removed and changed calls.
//
// Exit status: 0 same, 1 different (as diff(1)), 125 on bad usage or an unreadable file.
#pragma once

namespace pwnbox::cli {

// argv[0] is "diff".
int DiffCommand(int argc, char** argv);

}  // namespace pwnbox::cli
