// pwnbox::filters BPF tools: a seccomp-BPF interpreter (the kernel's semantics, for tests and
// fuzzers that compare a filter with the policy's own evaluation) and a disassembler in the
// style of seccomp-tools' `dump`.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <string>
#include <vector>

namespace pwnbox::filters {

// Runs a classic BPF seccomp program on `data` and returns the SECCOMP_RET_* value, as the kernel
// would. An invalid program (out-of-range jump or load, no return) yields SECCOMP_RET_KILL_PROCESS.
uint32_t RunBpf(const std::vector<sock_filter>& prog, const seccomp_data& data);

// One line per instruction:
//  " line  CODE  JT   JF      K"
//  " 0000: 0x20 0x00 0x00 0x00000004  A = arch"
//  " 0001: 0x15 0x00 0x05 0xc000003e  if (A != ARCH_X86_64) goto 0007"
//  " 0004: 0x15 0x02 0x00 0x0000003b  if (A == execve) goto 0007"
//  " 0009: 0x06 0x00 0x00 0x00050001  return ERRNO(EPERM)"
// Syscall numbers compared with sys_number are printed as names (for the architecture checked on
// that path, x86_64 when unknown).
std::string Disassemble(const std::vector<sock_filter>& prog);

// "ALLOW", "ERRNO(EPERM)", "KILL_PROCESS", "KILL", "TRAP", "TRACE(3)", "USER_NOTIF", "LOG".
std::string RetName(uint32_t ret);

}  // namespace pwnbox::filters
