// pwnbox audit POLICY|PROFILE.json|FILTER.bpf [--json] | --pid PID: the holes of a seccomp policy
// a reviewer should know, each with why and the fix (filters/audit.h; docs/audit.md lists the
// finding ids).
//
// Exit status: 0 no findings, 1 findings, 125 on bad usage or an unreadable, invalid or corrupt
// input (or a process whose filter cannot be read: that needs CAP_SYS_ADMIN).
#pragma once

namespace pwnbox::cli {

// argv[0] is "audit".
int AuditCommand(int argc, char** argv);

}  // namespace pwnbox::cli
