// The audit engine (filters/audit.h): a seeded bad policy for each finding kind, as TOML, as an
// OCI profile and as raw BPF (hand-assembled, or compiled by pwnbox) where the kind applies; a
// clean policy without findings; BPF parsing errors.
#include "filters/audit.h"

#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "config/policy.h"
#include "core/syscalls.h"
#include "filters/filters.h"
#include "filters/oci.h"
#include "supervisor/emulator.h"

namespace pwnbox::filters {
namespace {

using Prog = std::vector<sock_filter>;

AuditReport Toml(const std::string& text) {
  auto p = config::LoadPolicyString(text, "seed.toml");
  EXPECT_TRUE(p.ok()) << p.error().message();
  AuditOptions o;
  o.can_emulate = supervisor::CanEmulate;
  auto r = AuditPolicy(*p, AuditReport::Kind::kPolicy, "seed.toml", o);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return *r;
}

AuditReport Oci(const std::string& json) {
  auto p = PolicyFromOci(json, "seed.json");
  EXPECT_TRUE(p.ok()) << p.error().message();
  auto r = AuditPolicy(*p, AuditReport::Kind::kOci, "seed.json");
  EXPECT_TRUE(r.ok()) << r.error().message();
  return *r;
}

AuditReport Bpf(const Prog& prog) { return AuditBpf({prog}, AuditReport::Kind::kBpf, "seed.bpf"); }

AuditReport CompiledBpf(const std::string& toml) {
  auto p = config::LoadPolicyString(toml, "seed.toml");
  EXPECT_TRUE(p.ok()) << p.error().message();
  auto prog = Compile(*p);
  EXPECT_TRUE(prog.ok()) << prog.error().message();
  // Through the bytes `compile --format bpf` writes.
  auto parsed = ParseBpf(prog->Bytes(), "seed.bpf");
  EXPECT_TRUE(parsed.ok()) << parsed.error().message();
  return Bpf(*parsed);
}

// The findings with `id` (and, when given, whose `what` contains `text`).
std::vector<Finding> With(const AuditReport& r, const std::string& id, const std::string& text = "") {
  std::vector<Finding> out;
  for (const Finding& f : r.findings)
    if (f.id == id && f.what.find(text) != std::string::npos) out.push_back(f);
  return out;
}

std::string Dump(const AuditReport& r) { return FormatAuditText(r); }

// BPF building blocks.
sock_filter Ld(uint32_t off) { return BPF_STMT(BPF_LD | BPF_W | BPF_ABS, off); }
sock_filter Jeq(uint32_t k, uint8_t jt, uint8_t jf) { return BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, jt, jf); }
sock_filter Ret(uint32_t k) { return BPF_STMT(BPF_RET | BPF_K, k); }
constexpr uint32_t kNr = offsetof(seccomp_data, nr), kArch = offsetof(seccomp_data, arch);
constexpr uint32_t kErrno = SECCOMP_RET_ERRNO | 1;

const char* kDenyExecve = R"(version = 1
default = "allow"

[[rule]]
syscalls = ["execve"]
action = "errno:EPERM"
)";

TEST(AuditToml, ExecveDeniedButExecveatAllowed) {
  AuditReport r = Toml(kDenyExecve);
  auto f = With(r, "alias-bypass", "execveat");
  ASSERT_EQ(f.size(), 1u) << Dump(r);
  EXPECT_EQ(f[0].severity, Severity::kHigh);
  EXPECT_EQ(f[0].where, "seed.toml:4:1");
  EXPECT_EQ(f[0].what, "execve is restricted (errno:EPERM) but execveat is allowed");
  EXPECT_EQ(f[0].context, Finding::Context::kEverywhere);
  // And it is a deny-list.
  EXPECT_EQ(With(r, "default-allow").size(), 1u) << Dump(r);
}

TEST(AuditToml, OpenDeniedButItsAliasesAllowed) {
  AuditReport r = Toml("default = \"allow\"\n[[rule]]\nsyscalls = [\"open\"]\naction = \"errno:EACCES\"\n");
  auto f = With(r, "alias-bypass");
  ASSERT_EQ(f.size(), 1u) << Dump(r);
  EXPECT_EQ(f[0].what, "open is restricted (errno:EACCES) but openat, openat2, creat and open_by_handle_at are allowed");
  // Restricting the whole family closes it.
  r = Toml("default = \"allow\"\n[[rule]]\nsyscalls = [\"open\", \"openat\", \"openat2\", \"creat\", "
           "\"open_by_handle_at\"]\naction = \"errno:EACCES\"\n");
  EXPECT_TRUE(With(r, "alias-bypass").empty()) << Dump(r);
}

TEST(AuditToml, ConditionalRestrictionOfAnAliasIsMedium) {
  AuditReport r = Toml("default = \"allow\"\n[[rule]]\nsyscalls = [\"openat\"]\n"
                       "args = [\"flags & O_WRONLY|O_RDWR == 0\"]\naction = \"allow\"\n"
                       "[[rule]]\nsyscalls = [\"openat\"]\naction = \"errno:EROFS\"\n");
  auto f = With(r, "alias-bypass", "openat (for some arguments)");
  ASSERT_EQ(f.size(), 1u) << Dump(r);
  EXPECT_EQ(f[0].severity, Severity::kMedium);
  EXPECT_NE(f[0].what.find("open, openat2, creat"), std::string::npos) << f[0].what;
}

TEST(AuditToml, FamiliesDeniedByTheDefaultAreNoIntent) {
  // Allow-list: execveat denied because nothing names it; execve allowed: no finding.
  AuditReport r = Toml("default = \"kill\"\n[[rule]]\nsyscalls = [\"execve\", \"exit_group\"]\naction = \"allow\"\n");
  EXPECT_TRUE(With(r, "alias-bypass").empty()) << Dump(r);
  EXPECT_TRUE(r.findings.empty()) << Dump(r);
}

TEST(AuditToml, IoUringAllowed) {
  AuditReport r = Toml("default = \"allow\"\n[options]\nio_uring = true\n");
  auto f = With(r, "io-uring-allowed");
  ASSERT_EQ(f.size(), 1u) << Dump(r);
  EXPECT_EQ(f[0].severity, Severity::kHigh);
  EXPECT_EQ(f[0].where, "seed.toml (default)");
  // Without the option, pwnbox's io_uring guard denies it (in exports too).
  EXPECT_TRUE(With(Toml("default = \"allow\"\n"), "io-uring-allowed").empty());
}

TEST(AuditToml, CallsThatReachOtherProcesses) {
  AuditReport r = Toml("default = \"kill\"\n[[rule]]\nsyscalls = [\"ptrace\", \"process_vm_writev\", "
                       "\"process_vm_readv\", \"pidfd_getfd\", \"kcmp\", \"pidfd_open\", \"pidfd_send_signal\"]\n"
                       "action = \"allow\"\n");
  for (const char* s : {"ptrace", "process_vm_writev", "process_vm_readv", "pidfd_getfd", "kcmp", "pidfd_send_signal"}) {
    auto f = With(r, "reach-other-process", std::string(s) + " ");
    ASSERT_FALSE(f.empty()) << s << "\n" << Dump(r);
    EXPECT_EQ(f[0].where, "seed.toml:2:1");
  }
  EXPECT_EQ(With(r, "reach-other-process", "ptrace")[0].severity, Severity::kHigh);
  EXPECT_EQ(With(r, "reach-other-process", "kcmp")[0].severity, Severity::kLow);
  // ptrace allowed only for PTRACE_TRACEME is still reported, as "for some arguments".
  r = Toml("default = \"kill\"\n[[rule]]\nsyscalls = [\"ptrace\"]\nargs = [\"arg0 == 0\"]\naction = \"allow\"\n");
  auto f = With(r, "reach-other-process", "ptrace is allowed for some arguments");
  EXPECT_EQ(f.size(), 1u) << Dump(r);
}

TEST(AuditToml, NamespaceFlags) {
  AuditReport r = Toml("default = \"kill\"\n[[rule]]\nsyscalls = [\"clone\", \"unshare\", \"setns\"]\naction = \"allow\"\n");
  auto f = With(r, "namespace-create", "clone with CLONE_NEWUSER");
  ASSERT_EQ(f.size(), 1u) << Dump(r);
  EXPECT_EQ(f[0].severity, Severity::kHigh);
  EXPECT_EQ(With(r, "namespace-create", "unshare with").size(), 1u);
  EXPECT_EQ(With(r, "namespace-create", "setns").size(), 1u);
  // Only the flags the rule lets through are named.
  r = Toml("default = \"kill\"\n[[rule]]\nsyscalls = [\"unshare\"]\nargs = [\"flags & CLONE_NEWUSER == 0\"]\naction = \"allow\"\n");
  f = With(r, "namespace-create");
  ASSERT_EQ(f.size(), 1u) << Dump(r);
  EXPECT_EQ(f[0].what.find("CLONE_NEWUSER"), std::string::npos) << f[0].what;
  EXPECT_EQ(f[0].severity, Severity::kMedium);
  // policies/default.toml's rule closes it.
  r = Toml("default = \"allow\"\n[[rule]]\nsyscalls = [\"clone\", \"unshare\"]\nargs = [\"arg0 & CLONE_NEWNS|CLONE_NEWUTS|"
           "CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET|CLONE_NEWCGROUP == 0\"]\naction = \"allow\"\n"
           "[[rule]]\nsyscalls = [\"clone\", \"unshare\", \"setns\"]\naction = \"errno:EPERM\"\n");
  EXPECT_TRUE(With(r, "namespace-create").empty()) << Dump(r);
}

TEST(AuditToml, GuardedHolesAreForExportsOnly) {
  AuditReport r = Toml("default = \"kill\"\n[[rule]]\nsyscalls = [\"ioctl\", \"clone3\"]\naction = \"allow\"\n");
  auto ioctl = With(r, "ioctl-tiocsti", "TIOCSTI and TIOCLINUX are allowed");
  ASSERT_EQ(ioctl.size(), 1u) << Dump(r);
  EXPECT_EQ(ioctl[0].context, Finding::Context::kExported);
  auto c3 = With(r, "clone3-allowed");
  ASSERT_EQ(c3.size(), 1u) << Dump(r);
  EXPECT_EQ(c3[0].context, Finding::Context::kExported);
  EXPECT_NE(Dump(r).find("  context: exported policy only"), std::string::npos);
  // A policy that denies TIOCSTI itself has no such finding.
  r = Toml("default = \"kill\"\n[[rule]]\nsyscalls = [\"ioctl\"]\nargs = [\"request == TIOCSTI\"]\naction = \"errno:EPERM\"\n"
           "[[rule]]\nsyscalls = [\"ioctl\"]\nargs = [\"request == TIOCLINUX\"]\naction = \"errno:EPERM\"\n"
           "[[rule]]\nsyscalls = [\"ioctl\"]\naction = \"allow\"\n");
  EXPECT_TRUE(With(r, "ioctl-tiocsti").empty()) << Dump(r);
}

TEST(AuditToml, OtherAbis) {
  AuditReport r = Toml("default = \"kill\"\n[options]\nabi = [\"x86_64\", \"i386\", \"x32\"]\n"
                       "[[rule]]\nsyscalls = [\"read\", \"write\", \"exit_group\"]\naction = \"allow\"\n");
  EXPECT_EQ(With(r, "abi-i386-allowed").size(), 1u) << Dump(r);
  auto x32 = With(r, "abi-x32-allowed");
  ASSERT_EQ(x32.size(), 1u) << Dump(r);
  EXPECT_EQ(x32[0].where, "arch x32");
  EXPECT_NE(x32[0].why.find("advisory"), std::string::npos);
  EXPECT_TRUE(With(Toml("default = \"kill\"\n"), "abi-i386-allowed").empty());
}

TEST(AuditToml, ShadowedRules) {
  AuditReport r = Toml("default = \"kill\"\n[[rule]]\nsyscalls = [\"socket\"]\naction = \"allow\"\n"
                       "[[rule]]\nsyscalls = [\"socket\"]\nargs = [\"domain == AF_INET\"]\naction = \"errno:EACCES\"\n");
  auto f = With(r, "rule-shadowed");
  ASSERT_EQ(f.size(), 1u) << Dump(r);
  EXPECT_EQ(f[0].where, "seed.toml:5:1");
  EXPECT_EQ(f[0].severity, Severity::kLow);
}

TEST(AuditToml, AdvisoryPathRules) {
  AuditReport r = Toml("default = \"allow\"\n[[rule]]\nsyscalls = [\"execve\", \"openat\"]\npaths = [\"/tmp/**\"]\n"
                       "action = \"errno:EACCES\"\n");
  auto f = With(r, "path-rule-advisory");
  ASSERT_EQ(f.size(), 1u) << Dump(r);
  EXPECT_EQ(f[0].syscalls, std::vector<std::string>{"execve"});  // openat is emulated: exact
  EXPECT_EQ(f[0].where, "seed.toml:2:1");
}

TEST(AuditToml, CleanAllowListHasNoFinding) {
  AuditReport r = Toml("default = \"kill\"\n[[rule]]\nsyscalls = [\"read\", \"write\", \"close\", \"exit_group\", "
                       "\"brk\", \"mmap\", \"munmap\", \"fstat\", \"execve\"]\naction = \"allow\"\n"
                       "[[rule]]\nsyscalls = [\"openat\"]\nargs = [\"flags & O_WRONLY|O_RDWR|O_CREAT == 0\"]\naction = \"allow\"\n");
  EXPECT_TRUE(r.findings.empty()) << Dump(r);
  EXPECT_NE(FormatAuditText(r).find("seed.toml: no findings"), std::string::npos);
}

// OCI: conditions compared on the whole register, as libseccomp does in runc.
TEST(AuditOci, IntArgumentComparedOn64Bits) {
  AuditReport r = Oci(R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [{"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"},
                 {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
                  "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_NE"}]}]})");
  auto f = With(r, "arg-compared-64bit", "socket: domain (arg0, int)");
  ASSERT_EQ(f.size(), 1u) << Dump(r);
  EXPECT_EQ(f[0].where, "seed.json: syscalls[1]");
  EXPECT_NE(f[0].what.find("reads as 40"), std::string::npos) << f[0].what;
  // A deny rule with an equality: junk above 40 no longer matches it, and the default allows.
  r = Oci(R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_EQ"}]}]})");
  f = With(r, "arg-compared-64bit", "socket: domain (arg0, int)");
  ASSERT_EQ(f.size(), 1u) << Dump(r);
  EXPECT_EQ(f[0].where, "seed.json (default)");
  // The same rule on a 64-bit argument (unsigned long) is exact.
  r = Oci(R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [{"names": ["mmap"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 40, "op": "SCMP_CMP_NE"}]}]})");
  EXPECT_TRUE(With(r, "arg-compared-64bit").empty()) << Dump(r);
}

TEST(AuditOci, SeededHoles) {
  AuditReport r = Oci(R"({"defaultAction": "SCMP_ACT_ALLOW",
    "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}],
    "syscalls": [{"names": ["execve"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]})");
  auto alias = With(r, "alias-bypass", "execveat");
  ASSERT_EQ(alias.size(), 1u) << Dump(r);
  EXPECT_EQ(alias[0].where, "seed.json: syscalls[0]");
  EXPECT_EQ(alias[0].context, Finding::Context::kEverywhere);
  EXPECT_EQ(With(r, "abi-i386-allowed").size(), 1u) << Dump(r);
  EXPECT_EQ(With(r, "abi-x32-allowed").size(), 1u) << Dump(r);
  EXPECT_EQ(With(r, "ioctl-tiocsti").size(), 1u) << Dump(r);
  EXPECT_EQ(With(r, "ioctl-tiocsti")[0].context, Finding::Context::kEverywhere);  // no pwnbox guard in runc
  EXPECT_EQ(With(r, "clone3-allowed").size(), 1u) << Dump(r);
  EXPECT_EQ(With(r, "default-allow").size(), 1u) << Dump(r);
  EXPECT_EQ(With(r, "namespace-create", "unshare with CLONE_NEWUSER").size(), 1u) << Dump(r);
  EXPECT_EQ(With(r, "reach-other-process", "ptrace").size(), 1u) << Dump(r);
  EXPECT_EQ(With(r, "reach-other-process", "ptrace")[0].where, "seed.json (default)");
}

// Raw BPF.
TEST(AuditBpf, NoArchCheck) {
  // execve (59) denied by number, whatever the architecture: int 0x80's 59 is oldolduname, and
  // i386 execve is 11 (x86-64 munmap, allowed).
  AuditReport r = Bpf({Ld(kNr), Jeq(59, 0, 1), Ret(kErrno), Ret(SECCOMP_RET_ALLOW)});
  auto f = With(r, "abi-no-arch-check");
  ASSERT_EQ(f.size(), 1u) << Dump(r);
  EXPECT_EQ(f[0].severity, Severity::kHigh);
  EXPECT_NE(f[0].what.find("execve (i386 11, read as munmap)"), std::string::npos) << f[0].what;
  auto alias = With(r, "alias-bypass", "execveat");
  ASSERT_EQ(alias.size(), 1u) << Dump(r);
  EXPECT_EQ(alias[0].where, "syscall execve");
  EXPECT_NE(alias[0].what.find("ERRNO(EPERM)"), std::string::npos);
  EXPECT_EQ(With(r, "default-allow").size(), 1u) << Dump(r);
  EXPECT_EQ(With(r, "clone3-allowed").size(), 1u) << Dump(r);
  EXPECT_EQ(With(r, "clone3-allowed")[0].where, "syscall clone3");
  EXPECT_EQ(With(r, "io-uring-allowed").size(), 1u) << Dump(r);
}

TEST(AuditBpf, I386AllowedWhereX86_64IsFiltered) {
  // Checks the arch, but lets every non-x86-64 call through.
  AuditReport r = Bpf({Ld(kArch), Jeq(AUDIT_ARCH_X86_64, 1, 0), Ret(SECCOMP_RET_ALLOW), Ld(kNr), Jeq(59, 0, 1),
                       Ret(kErrno), Ret(SECCOMP_RET_ALLOW)});
  EXPECT_TRUE(With(r, "abi-no-arch-check").empty()) << Dump(r);
  auto f = With(r, "abi-i386-allowed", "denied on x86-64 but allowed there: execve");
  ASSERT_EQ(f.size(), 1u) << Dump(r);
  EXPECT_EQ(f[0].severity, Severity::kHigh);
}

TEST(AuditBpf, X32NumbersNotKilled) {
  AuditReport r = Bpf({Ld(kArch), Jeq(AUDIT_ARCH_X86_64, 1, 0), Ret(SECCOMP_RET_KILL_PROCESS), Ld(kNr),
                       Jeq(59, 0, 1), Ret(kErrno), Ret(SECCOMP_RET_ALLOW)});
  EXPECT_TRUE(With(r, "abi-i386-allowed").empty()) << Dump(r);
  auto f = With(r, "abi-x32-allowed", "execve");
  ASSERT_EQ(f.size(), 1u) << Dump(r);
  EXPECT_EQ(f[0].severity, Severity::kHigh);
}

TEST(AuditBpf, KillingI386IsAnArchCheckButX32Remains) {
  AuditReport r = Bpf({Ld(kArch), Jeq(AUDIT_ARCH_I386, 0, 1), Ret(SECCOMP_RET_KILL_PROCESS), Ld(kNr), Jeq(59, 0, 1),
                       Ret(kErrno), Ret(SECCOMP_RET_ALLOW)});
  EXPECT_TRUE(With(r, "abi-no-arch-check").empty()) << Dump(r);
  EXPECT_TRUE(With(r, "abi-i386-allowed").empty()) << Dump(r);
  EXPECT_EQ(With(r, "abi-x32-allowed", "execve").size(), 1u) << Dump(r);
}

TEST(AuditBpf, IntArgumentComparedOn64Bits) {
  // socket(AF_VSOCK) denied by comparing both halves: hi == 0 && lo == 40.
  constexpr uint32_t kLo = offsetof(seccomp_data, args[0]), kHi = kLo + 4;
  AuditReport r = Bpf({Ld(kArch), Jeq(AUDIT_ARCH_X86_64, 1, 0), Ret(SECCOMP_RET_KILL_PROCESS), Ld(kNr),
                       BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1), Ret(SECCOMP_RET_KILL_PROCESS),
                       Jeq(41, 0, 5), Ld(kHi), Jeq(0, 0, 3), Ld(kLo), Jeq(40, 0, 1), Ret(kErrno),
                       Ret(SECCOMP_RET_ALLOW)});
  auto f = With(r, "arg-compared-64bit", "socket: domain (arg0, int)");
  ASSERT_EQ(f.size(), 1u) << Dump(r);
  EXPECT_EQ(f[0].where, "syscall socket");
  EXPECT_TRUE(With(r, "abi-x32-allowed").empty()) << Dump(r);
}

TEST(AuditBpf, PathsThroughSeveralArgumentsAreFound) {
  // ptrace allowed only for (request == PTRACE_PEEKDATA && pid == 1234): no single-argument
  // probe reaches the allow; exploring the program's paths does.
  constexpr uint32_t kA0 = offsetof(seccomp_data, args[0]), kA1 = offsetof(seccomp_data, args[1]);
  Prog prog = {Ld(kArch), Jeq(AUDIT_ARCH_X86_64, 1, 0), Ret(SECCOMP_RET_KILL_PROCESS), Ld(kNr),
               BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1), Ret(SECCOMP_RET_KILL_PROCESS),
               Jeq(101, 0, 9),                                   // ptrace
               Ld(kA0 + 4), Jeq(0, 0, 6), Ld(kA0), Jeq(2, 0, 4),  // request == 2
               Ld(kA1 + 4), Jeq(0, 0, 2), Ld(kA1), Jeq(1234, 1, 0),  // pid == 1234
               Ret(kErrno), Ret(SECCOMP_RET_ALLOW),
               Jeq(16, 0, 4), Ld(kA0), Jeq(1, 0, 1), Ret(SECCOMP_RET_ALLOW), Ret(kErrno),  // ioctl(1, *)
               Ret(SECCOMP_RET_KILL_PROCESS)};
  AuditReport r = Bpf(prog);
  auto f = With(r, "reach-other-process", "ptrace is allowed for some arguments");
  EXPECT_EQ(f.size(), 1u) << Dump(r);
  // ioctl allowed on fd 1 whatever the request: TIOCSTI on fd 1 is found.
  EXPECT_EQ(With(r, "ioctl-tiocsti", "TIOCSTI and TIOCLINUX").size(), 1u) << Dump(r);
  // The same in TOML.
  AuditReport t = Toml("default = \"kill\"\n[[rule]]\nsyscalls = [\"ioctl\"]\nargs = [\"fd == 1\"]\naction = \"allow\"\n");
  EXPECT_EQ(With(t, "ioctl-tiocsti").size(), 1u) << Dump(t);
}

TEST(AuditBpf, CompiledPoliciesKeepTheirFindings) {
  // The seeded TOML holes, found again in the BPF pwnbox compiles from them.
  AuditReport r = CompiledBpf(kDenyExecve);
  EXPECT_EQ(With(r, "alias-bypass", "execveat").size(), 1u) << Dump(r);
  r = CompiledBpf("default = \"allow\"\n[options]\nio_uring = true\n");
  EXPECT_EQ(With(r, "io-uring-allowed").size(), 1u) << Dump(r);
  r = CompiledBpf("default = \"kill\"\n[[rule]]\nsyscalls = [\"ptrace\", \"clone\", \"unshare\"]\naction = \"allow\"\n");
  EXPECT_EQ(With(r, "reach-other-process", "ptrace").size(), 1u) << Dump(r);
  EXPECT_EQ(With(r, "namespace-create", "clone with").size(), 1u) << Dump(r);
  // pwnbox's filters check the arch, kill x32, compare int arguments on their width and carry the
  // TIOCSTI/clone3 guards.
  r = CompiledBpf("default = \"allow\"\n[[rule]]\nsyscalls = [\"socket\"]\nargs = [\"domain != AF_VSOCK\"]\naction = \"allow\"\n"
                  "[[rule]]\nsyscalls = [\"socket\"]\naction = \"errno:EACCES\"\n");
  for (const char* id : {"abi-no-arch-check", "abi-i386-allowed", "abi-x32-allowed", "arg-compared-64bit",
                         "ioctl-tiocsti", "clone3-allowed"})
    EXPECT_TRUE(With(r, id).empty()) << id << "\n" << Dump(r);
  r = CompiledBpf("default = \"kill\"\n[[rule]]\nsyscalls = [\"read\", \"write\", \"exit_group\"]\naction = \"allow\"\n");
  EXPECT_TRUE(r.findings.empty()) << Dump(r);
}

TEST(AuditBpf, ProcessFiltersCombineAsTheKernelDoes) {
  // Two filters: the older allows everything, the newer denies execve and execveat: the most
  // restrictive answer wins.
  Prog allow = {Ret(SECCOMP_RET_ALLOW)};
  Prog deny = {Ld(kArch), Jeq(AUDIT_ARCH_X86_64, 1, 0), Ret(SECCOMP_RET_KILL_PROCESS), Ld(kNr),
               BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1), Ret(SECCOMP_RET_KILL_PROCESS),
               Jeq(59, 1, 0), Jeq(322, 0, 1), Ret(kErrno), Ret(SECCOMP_RET_ALLOW)};
  AuditReport r = AuditBpf({deny, allow}, AuditReport::Kind::kProcess, "pid 1");
  EXPECT_TRUE(With(r, "alias-bypass").empty()) << Dump(r);
  EXPECT_TRUE(With(r, "abi-no-arch-check").empty()) << Dump(r);
  r = AuditBpf({allow}, AuditReport::Kind::kProcess, "pid 1");
  EXPECT_FALSE(With(r, "abi-no-arch-check").empty()) << Dump(r);
}

TEST(AuditBpf, ParseRefusesWhatIsNotAProgram) {
  auto r = ParseBpf(std::string(13, 'x'), "f.bpf");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "f.bpf: 13 bytes is not a BPF program (a whole number of 8-byte instructions, as "
                                 "`pwnbox compile --format bpf` writes)");
  EXPECT_FALSE(ParseBpf("", "f.bpf").ok());
  Prog jump = {Jeq(1, 5, 0), Ret(SECCOMP_RET_ALLOW)};
  EXPECT_FALSE(ParseBpf(std::string(reinterpret_cast<const char*>(jump.data()), jump.size() * 8), "f.bpf").ok());
  Prog no_ret = {Ld(kNr)};
  EXPECT_FALSE(ParseBpf(std::string(reinterpret_cast<const char*>(no_ret.data()), 8), "f.bpf").ok());
}

TEST(AuditFamilies, EveryNameIsAnX86_64SyscallInOneFamily) {
  std::set<std::string> seen;
  for (const AliasFamily& f : AliasFamilies()) {
    EXPECT_GE(f.members.size() + f.extra.size(), 2u) << f.name;
    for (const auto* list : {&f.members, &f.extra})
      for (const char* n : *list) {
        EXPECT_TRUE(core::SyscallNumber(n).has_value()) << f.name << ": " << n;
        EXPECT_TRUE(seen.insert(n).second) << n << " is in two families";
      }
  }
}

TEST(AuditFormat, JsonHasStableKeys) {
  AuditReport r = Toml(kDenyExecve);
  std::string j = FormatAuditJson(r);
  for (const char* key : {"\"input\": \"seed.toml\"", "\"kind\": \"policy\"", "\"id\": \"alias-bypass\"",
                          "\"severity\": \"high\"", "\"where\": \"seed.toml:4:1\"", "\"context\": \"everywhere\"",
                          "\"summary\"", "\"total\""})
    EXPECT_NE(j.find(key), std::string::npos) << key << "\n" << j;
  j = FormatAuditJson(Toml("default = \"kill\"\n[[rule]]\nsyscalls = [\"ioctl\"]\naction = \"allow\"\n"));
  EXPECT_NE(j.find("\"context\": \"exported\""), std::string::npos) << j;
}

}  // namespace
}  // namespace pwnbox::filters
