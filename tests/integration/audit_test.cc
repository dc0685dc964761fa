// `pwnbox audit` as users run it: the reports of the shipped policies and Docker's profile kept in
// docs/audit/ (checked against the real output; PWNBOX_UPDATE_AUDIT_DOCS=1 rewrites them), seeded
// holes in TOML, OCI JSON and BPF written by `compile --format bpf`, exit statuses, --json, bad
// input, and --pid on real processes (pwnbox's own filter under `pwnbox run`, a filter without an
// arch check, the refusal without CAP_SYS_ADMIN).
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace pwnbox {
namespace {

using testing::Contains;
using testing::Prog;
using testing::Pwnbox;
using testing::ReadFile;
using testing::RunOptions;
using testing::SharedPath;
using testing::SourcePath;
using testing::TempDir;
using testing::WriteFile;

// --- the reports in docs/audit/ ------------------------------------------------------------------

struct DocCase {
  std::string doc;    // docs/audit/NAME
  std::string cwd;    // where the run starts
  std::string input;  // as given on the command line (relative: the report names it so)
};

// Every policies/*.toml, examples/*.toml and ../shared/fixtures/*.json (Docker's default profile): a
// new one cannot be missed.
std::vector<DocCase> DocCases() {
  std::vector<DocCase> out;
  for (const char* dir : {"policies", "examples"}) {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(SourcePath(dir)))
      if (e.path().extension() == ".toml") names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    for (const auto& n : names)
      out.push_back({n.substr(0, n.size() - 5) + ".txt", SourcePath(""), std::string(dir) + "/" + n});
  }
  std::vector<std::string> profiles;
  for (const auto& e : std::filesystem::directory_iterator(SharedPath("fixtures")))
    if (e.path().extension() == ".json") profiles.push_back(e.path().filename().string());
  std::sort(profiles.begin(), profiles.end());
  for (const auto& n : profiles)
    out.push_back({n.substr(0, n.size() - 5) + ".txt", SharedPath(""), "fixtures/" + n});
  return out;
}

TEST(AuditDocs, ReportsMatchTheRealOutput) {
  const bool update = std::getenv("PWNBOX_UPDATE_AUDIT_DOCS") != nullptr;
  const std::vector<DocCase> cases = DocCases();
  ASSERT_GE(cases.size(), 8u);
  for (const DocCase& c : cases) {
    RunOptions o;
    o.cwd = c.cwd;
    auto r = Pwnbox({"audit", c.input}, o);
    ASSERT_TRUE(r.status == 0 || r.status == 1) << c.input << ": " << r.status << " " << r.err;
    EXPECT_EQ(r.err, "") << c.input;
    // Exit status: 1 exactly when there are findings.
    EXPECT_EQ(r.status == 0, Contains(r.out, c.input + ": no findings\n")) << r.out;
    const std::string doc = SourcePath("docs/audit/" + c.doc);
    const std::string text = "$ pwnbox audit " + c.input + "\n" + r.out + "(exit status " +
                             std::to_string(r.status) + ")\n";
    if (update) WriteFile(doc, text);
    EXPECT_EQ(ReadFile(doc), text) << doc << " is stale: PWNBOX_UPDATE_AUDIT_DOCS=1 " << "it_audit_test rewrites it";
  }
}

TEST(AuditDocs, EveryFindingIdIsExplained) {
  const std::string guide = ReadFile(SourcePath("docs/audit.md"));
  for (const char* id : {"abi-no-arch-check", "abi-i386-allowed", "abi-x32-allowed", "alias-bypass",
                         "io-uring-allowed", "reach-other-process", "namespace-create", "clone3-allowed",
                         "ioctl-tiocsti", "arg-compared-64bit", "default-allow", "rule-shadowed",
                         "path-rule-advisory"})
    EXPECT_TRUE(Contains(guide, std::string("### `") + id + "`")) << id;
  // And every id a report shows is one of them.
  for (const DocCase& c : DocCases()) {
    for (const std::string& line : testing::Lines(ReadFile(SourcePath("docs/audit/" + c.doc)))) {
      for (const char* sev : {"HIGH ", "MEDIUM ", "LOW "}) {
        if (line.rfind(sev, 0) != 0) continue;
        std::string id = line.substr(std::string(sev).size(), line.find(':') - std::string(sev).size());
        EXPECT_TRUE(Contains(guide, "### `" + id + "`")) << id;
      }
    }
  }
}

TEST(AuditDocs, DockersProfileFindings) {
  RunOptions o;
  o.cwd = SharedPath("fixtures");
  auto r = Pwnbox({"audit", "docker-default-seccomp.json", "--json"}, o);
  ASSERT_EQ(r.status, 1) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["kind"], "oci");
  std::map<std::string, int> ids;
  for (const auto& f : j["findings"]) ids[f["id"]]++;
  // runc compares socket's int domain on 64 bits: AF_VSOCK/AF_KCM with junk above pass.
  EXPECT_EQ(ids["arg-compared-64bit"], 1) << r.out;
  EXPECT_EQ(ids["abi-i386-allowed"], 1) << r.out;
  EXPECT_EQ(ids["abi-x32-allowed"], 1) << r.out;
  EXPECT_EQ(ids["ioctl-tiocsti"], 1) << r.out;
  EXPECT_EQ(ids["alias-bypass"], 0) << r.out;  // an allow-list: denials by default show no intent
  EXPECT_EQ(ids["abi-no-arch-check"], 0) << r.out;
}

// --- seeded holes through the command ------------------------------------------------------------

const char* kDenyExecve = R"(version = 1
default = "allow"

[[rule]]
syscalls = ["execve"]
action = "errno:EPERM"
)";

TEST(AuditCommand, SeededTomlAndItsBpf) {
  std::string d = TempDir();
  WriteFile(d + "/p.toml", kDenyExecve);
  auto r = Pwnbox({"audit", d + "/p.toml"});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_TRUE(Contains(r.out, "HIGH alias-bypass: " + d + "/p.toml:4:1: execve is restricted (errno:EPERM) but "
                              "execveat is allowed\n  why: the exec family: ")) << r.out;
  EXPECT_TRUE(Contains(r.out, "\n  fix: give execveat the same rule")) << r.out;
  EXPECT_TRUE(Contains(r.out, d + "/p.toml: ")) << r.out;
  // The same hole in the BPF pwnbox compiles from it.
  auto c = Pwnbox({"compile", d + "/p.toml", "--format", "bpf", "-o", d + "/p.bpf"});
  ASSERT_EQ(c.status, 0) << c.err;
  r = Pwnbox({"audit", d + "/p.bpf"});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_TRUE(Contains(r.out, "HIGH alias-bypass: syscall execve: execve is restricted (ERRNO(EPERM)) but execveat is allowed\n"))
      << r.out;
  EXPECT_FALSE(Contains(r.out, "abi-")) << r.out;
  // A BPF file needs no .bpf name: its bytes say what it is.
  ASSERT_EQ(rename((d + "/p.bpf").c_str(), (d + "/filter").c_str()), 0);
  auto f = Pwnbox({"audit", d + "/filter"});
  EXPECT_EQ(f.status, 1) << f.err;
  EXPECT_TRUE(Contains(f.out, "HIGH alias-bypass: syscall execve: ")) << f.out;
}

TEST(AuditCommand, SeededOciJson) {
  std::string d = TempDir();
  WriteFile(d + "/p.json", R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [{"names": ["read", "write", "exit_group", "io_uring_setup"], "action": "SCMP_ACT_ALLOW"},
                 {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_NE"}]}]})");
  auto r = Pwnbox({"audit", d + "/p.json", "--json"});
  EXPECT_EQ(r.status, 1) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["findings"].size(), 2u) << r.out;
  EXPECT_EQ(j["findings"][0]["id"], "io-uring-allowed");
  EXPECT_EQ(j["findings"][0]["where"], d + "/p.json: syscalls[0]");
  EXPECT_EQ(j["findings"][1]["id"], "arg-compared-64bit");
  EXPECT_EQ(j["findings"][1]["where"], d + "/p.json: syscalls[1]");
  EXPECT_EQ(j["findings"][1]["syscalls"], nlohmann::json::array({"socket"}));
  EXPECT_EQ(j["summary"]["high"], 2);
  EXPECT_EQ(j["summary"]["total"], 2);
}

TEST(AuditCommand, CleanPolicyExitsZero) {
  std::string d = TempDir();
  WriteFile(d + "/p.toml", "default = \"kill\"\n[[rule]]\nsyscalls = [\"read\", \"write\", \"exit_group\"]\naction = \"allow\"\n");
  auto r = Pwnbox({"audit", d + "/p.toml"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.out, d + "/p.toml: no findings\n");
  r = Pwnbox({"audit", d + "/p.toml", "--json"});
  EXPECT_EQ(r.status, 0);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["findings"].empty());
  EXPECT_EQ(j["summary"]["total"], 0);
}

// One line "pwnbox: ..." on stderr and 125.
void ExpectBadInput(const std::vector<std::string>& args, const std::string& needle) {
  auto r = Pwnbox(args);
  EXPECT_EQ(r.status, 125) << r.out << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("pwnbox: ", 0), 0u) << r.err;
  EXPECT_EQ(testing::Lines(r.err).size(), 1u) << r.err;
  EXPECT_TRUE(Contains(r.err, needle)) << r.err;
}

TEST(AuditCommand, BadInput) {
  std::string d = TempDir();
  ExpectBadInput({"audit", d + "/missing.toml"}, "cannot read " + d + "/missing.toml");
  WriteFile(d + "/odd.bpf", std::string("\x20\x00\x00\x00\x04\x00\x00\x00\x06", 9));
  ExpectBadInput({"audit", d + "/odd.bpf"}, "9 bytes is not a BPF program");
  WriteFile(d + "/garbage.json", "{\"defaultAction\": [nope");
  ExpectBadInput({"audit", d + "/garbage.json"}, "garbage.json");
  ExpectBadInput({"audit", d}, "a directory");
  ExpectBadInput({"audit"}, "audit takes one input");
  ExpectBadInput({"audit", d + "/a", d + "/b"}, "audit takes one input");
  ExpectBadInput({"audit", "--pid", "1", d + "/a"}, "audit takes one input");
  // An invalid policy: its FILE:LINE:COL block, then the pwnbox: line.
  WriteFile(d + "/bad.toml", "default = \"allow\"\n[[rule]]\nsyscalls = [\"exceve\"]\naction = \"allow\"\n");
  auto r = Pwnbox({"audit", d + "/bad.toml"});
  EXPECT_EQ(r.status, 125);
  EXPECT_TRUE(Contains(r.err, d + "/bad.toml:3:")) << r.err;
  EXPECT_TRUE(Contains(r.err, "pwnbox: invalid policy")) << r.err;
}

TEST(AuditCommand, HelpAndRegistration) {
  auto r = Pwnbox({"audit", "--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(Contains(r.out, "usage: pwnbox audit POLICY|PROFILE.json|FILTER.bpf [--json]")) << r.out;
  EXPECT_TRUE(Contains(r.out, "--pid")) << r.out;
  r = Pwnbox({"--help"});
  EXPECT_TRUE(Contains(r.out, "\n  audit    ")) << r.out;
}

// --- --pid -----------------------------------------------------------------------------------

// A process with a pipe on its stdin and stdout; killed and reaped with the object.
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
  }
  ~Child() {
    if (stdin_ >= 0) close(stdin_);
    if (stdout_ >= 0) close(stdout_);
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  // Reads stdout until `line` arrives (or EOF / 60 s).
  bool WaitFor(const std::string& line) {
    std::string got;
    char buf[256];
    while (got.find(line) == std::string::npos) {
      pollfd p{stdout_, POLLIN, 0};
      if (poll(&p, 1, 60000) <= 0) return false;
      ssize_t n = read(stdout_, buf, sizeof(buf));
      if (n <= 0) return false;
      got.append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  // Closes stdin (the helper then exits) and returns the exit status.
  int Finish() {
    close(stdin_);
    stdin_ = -1;
    int st = 0;
    waitpid(pid_, &st, 0);
    reaped_ = true;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1, stdout_ = -1;
  bool reaped_ = false;
};

// The pid (in this namespace) of the descendant of `root` called `comm`, or -1.
pid_t Descendant(pid_t root, const std::string& comm) {
  std::map<pid_t, std::pair<pid_t, std::string>> procs;  // pid -> (ppid, comm)
  DIR* d = opendir("/proc");
  if (!d) return -1;
  while (dirent* e = readdir(d)) {
    pid_t pid = atoi(e->d_name);
    if (pid <= 0) continue;
    std::string stat = ReadFile("/proc/" + std::string(e->d_name) + "/stat");
    size_t l = stat.find('('), r = stat.rfind(')');
    if (l == std::string::npos || r == std::string::npos) continue;
    pid_t ppid = atoi(stat.c_str() + r + 4);
    procs[pid] = {ppid, stat.substr(l + 1, r - l - 1)};
  }
  closedir(d);
  for (const auto& [pid, info] : procs) {
    if (info.second != comm) continue;
    for (pid_t p = info.first; p > 1; p = procs.count(p) ? procs[p].first : 0)
      if (p == root) return pid;
  }
  return -1;
}

std::vector<std::string> AsNobody(std::vector<std::string> argv) {
  if (geteuid() != 0) return argv;
  std::vector<std::string> v = {"setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "--"};
  v.insert(v.end(), argv.begin(), argv.end());
  return v;
}

TEST(AuditPid, PwnboxsOwnFilterHasNoAbiHole) {
  if (geteuid() != 0) GTEST_SKIP() << "PTRACE_SECCOMP_GET_FILTER needs CAP_SYS_ADMIN (AuditPid.RefusedWithoutCapSysAdmin runs instead)";
  Child run({testing::PwnboxBin(), "run", "--", Prog("au_wait")});
  ASSERT_TRUE(run.WaitFor("ready\n"));
  pid_t target = Descendant(run.pid(), "au_wait");
  ASSERT_GT(target, 0);
  auto r = Pwnbox({"audit", "--pid", std::to_string(target)});
  // The built-in default profile: a deny-list (findings), but pwnbox's filter checks the arch,
  // kills x32 and i386, and carries the TIOCSTI and clone3 guards.
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_TRUE(Contains(r.out, "pid " + std::to_string(target) + ": ")) << r.out;
  EXPECT_TRUE(Contains(r.out, "default-allow")) << r.out;
  for (const char* id : {"abi-", "ioctl-tiocsti", "clone3-allowed", "namespace-create", "io-uring-allowed"})
    EXPECT_FALSE(Contains(r.out, id)) << id << "\n" << r.out;
  // The target was detached and runs on to a normal end.
  EXPECT_EQ(run.Finish(), 0);
}

TEST(AuditPid, FilterWithoutArchCheck) {
  if (geteuid() != 0) GTEST_SKIP() << "PTRACE_SECCOMP_GET_FILTER needs CAP_SYS_ADMIN";
  Child c({Prog("au_wait"), "noarch"});
  ASSERT_TRUE(c.WaitFor("ready\n"));
  auto r = Pwnbox({"audit", "--pid", std::to_string(c.pid()), "--json"});
  EXPECT_EQ(r.status, 1) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["kind"], "process");
  ASSERT_FALSE(j["findings"].empty()) << r.out;
  EXPECT_EQ(j["findings"][0]["id"], "abi-no-arch-check");
  EXPECT_TRUE(Contains(r.out, "execve (i386 11, read as munmap)")) << r.out;
  EXPECT_TRUE(Contains(r.out, "\"alias-bypass\"")) << r.out;
  EXPECT_EQ(c.Finish(), 0);
  // A process without a filter: nothing to audit.
  Child plain({Prog("au_wait")});
  ASSERT_TRUE(plain.WaitFor("ready\n"));
  r = Pwnbox({"audit", "--pid", std::to_string(plain.pid())});
  EXPECT_EQ(r.status, 125);
  EXPECT_TRUE(Contains(r.err, "has no seccomp filter")) << r.err;
  EXPECT_EQ(plain.Finish(), 0);
}

TEST(AuditPid, RefusedWithoutCapSysAdmin) {
  // As nobody (the test itself, or through setpriv when run as root), on nobody's own process.
  Child c(AsNobody({Prog("au_wait"), "noarch"}));
  ASSERT_TRUE(c.WaitFor("ready\n"));
  pid_t target = geteuid() == 0 ? Descendant(c.pid(), "au_wait") : c.pid();
  if (target < 0) target = c.pid();  // setpriv execs in place
  auto r = testing::Run(AsNobody({testing::PwnboxBin(), "audit", "--pid", std::to_string(target)}));
  EXPECT_EQ(r.status, 125) << r.out << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(testing::Lines(r.err).size(), 1u) << r.err;
  EXPECT_TRUE(Contains(r.err, "pwnbox: cannot read the seccomp filter of process " + std::to_string(target) +
                                  ": PTRACE_SECCOMP_GET_FILTER needs root (CAP_SYS_ADMIN)")) << r.err;
  // Detached: it runs on.
  EXPECT_EQ(c.Finish(), 0);
}

}  // namespace
}  // namespace pwnbox
