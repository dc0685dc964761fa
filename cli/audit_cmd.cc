#include "cli/audit_cmd.h"

#include <boost/program_options.hpp>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/common.h"
#include "cli/options.h"
#include "config/policy.h"
#include "filters/audit.h"
#include "filters/oci.h"
#include "supervisor/emulator.h"

namespace pwnbox::cli {
namespace {

namespace po = boost::program_options;

enum class InputKind { kToml, kOci, kBpf };

// By name first (.json, .bpf), then by content: '{' starts JSON, a NUL byte or a size that is
// a multiple of 8 with bytes outside text is BPF, the rest TOML.
InputKind Guess(const std::string& path, const std::string& data) {
  auto ends = [&](const char* s) {
    std::string_view p(path), e(s);
    return p.size() > e.size() && p.substr(p.size() - e.size()) == e;
  };
  if (ends(".json")) return InputKind::kOci;
  if (ends(".bpf")) return InputKind::kBpf;
  if (ends(".toml")) return InputKind::kToml;
  size_t first = data.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && data[first] == '{') return InputKind::kOci;
  for (unsigned char c : data)
    if (c == 0 || (c < 0x20 && c != '\n' && c != '\t' && c != '\r')) return InputKind::kBpf;
  return InputKind::kToml;
}

}  // namespace

int AuditCommand(int argc, char** argv) {
  po::options_description desc(
      "usage: pwnbox audit POLICY|PROFILE.json|FILTER.bpf [--json]\n"
      "       pwnbox audit --pid PID [--json]\n\n"
      "Reports the holes of a seccomp policy that a reviewer should know, each with a stable id,\n"
      "a severity, where it is (FILE:LINE:COL of the rule; the syscall for BPF), why it matters\n"
      "and the fix: no architecture check or other ABIs allowed (int 0x80, x32), a call denied\n"
      "while an alias is allowed (execve/execveat, open/openat/openat2/creat, ...), io_uring,\n"
      "ptrace and other calls that reach other processes, namespace flags on clone/unshare,\n"
      "setns, clone3, ioctl TIOCSTI, int arguments compared on 64 bits, deny-lists (default\n"
      "allow), shadowed rules, advisory path rules. Reads a TOML policy, an OCI/Docker JSON\n"
      "profile, a raw BPF program (`pwnbox compile --format bpf`), or with --pid the filters of a\n"
      "running process (PTRACE_SECCOMP_GET_FILTER: needs root, CAP_SYS_ADMIN). docs/audit.md\n"
      "explains every finding.\n\n"
      "Exit status 0 when there is no finding, 1 when there are, 125 when the input is invalid\n"
      "or cannot be read");
  desc.add_options()("help,h", "show this help")("json", "one JSON document instead of text")(
      "pid,p", po::value<int>(), "audit the seccomp filters of running process PID (root only)")(
      "input", po::value<std::vector<std::string>>(), "policy, profile or BPF file");
  po::positional_options_description pos;
  pos.add("input", -1);
  po::variables_map vm;
  if (!ParseOptions(po::command_line_parser(argc, argv), desc, &vm, argv[0], &pos)) return kExitFailure;
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  const bool json = vm.count("json") > 0;
  const size_t inputs = vm.count("input") ? vm["input"].as<std::vector<std::string>>().size() : 0;
  if (vm.count("pid") ? inputs != 0 : inputs != 1)
    return Fail("audit takes one input: pwnbox audit POLICY|PROFILE.json|FILTER.bpf, or --pid PID");

  core::Result<filters::AuditReport> report = core::Error("");
  if (vm.count("pid")) {
    int pid = vm["pid"].as<int>();
    if (pid <= 0) return Fail("--pid " + std::to_string(pid) + ": expected a process id");
    auto f = filters::ReadProcessFilters(pid);
    if (!f.ok()) return Fail(f.error());
    if (f->empty()) return Fail("process " + std::to_string(pid) + " has no seccomp filter: nothing to audit");
    report = filters::AuditBpf(*f, filters::AuditReport::Kind::kProcess, "pid " + std::to_string(pid));
  } else {
    const std::string path = vm["input"].as<std::vector<std::string>>()[0];
    struct stat st;
    if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
      return Fail("cannot audit " + path + ": a directory; name a policy, profile or BPF file");
    std::ifstream in(path, std::ios::binary);
    if (!in) return Fail(core::ErrnoError(errno, "cannot read " + path));
    std::stringstream ss;
    ss << in.rdbuf();
    if (in.bad()) return Fail(core::ErrnoError(errno, "cannot read " + path));
    const std::string data = ss.str();
    switch (Guess(path, data)) {
      case InputKind::kBpf: {
        auto prog = filters::ParseBpf(data, path);
        if (!prog.ok()) return Fail(prog.error());
        report = filters::AuditBpf({*prog}, filters::AuditReport::Kind::kBpf, path);
        break;
      }
      case InputKind::kOci: {
        std::vector<std::string> notes;
        auto p = filters::PolicyFromOci(data, path, &notes);
        if (!p.ok()) return Fail(p.error().message());
        report = filters::AuditPolicy(*p, filters::AuditReport::Kind::kOci, path);
        if (!report.ok()) break;
        size_t skipped = 0;
        for (const auto& n : notes) {
          if (n.find(" skipped: ") != std::string::npos) ++skipped;
          else report->notes.push_back(n);
        }
        if (skipped)
          report->notes.push_back(std::to_string(skipped) + " conditional entries skipped, as Docker does for its "
                                  "default capabilities on amd64 and this kernel (`pwnbox convert` lists them)");
        break;
      }
      case InputKind::kToml: {
        auto p = config::LoadPolicyFile(path);
        if (!p.ok()) {
          if (p.error().sys_errno() != 0) return Fail(p.error().message());
          std::fprintf(stderr, "%s\n", p.error().message().c_str());
          return Fail("invalid policy " + path + ": fix the error above (`pwnbox check " + path + "` checks it)");
        }
        filters::AuditOptions opts;
        opts.can_emulate = supervisor::CanEmulate;
        report = filters::AuditPolicy(*p, filters::AuditReport::Kind::kPolicy, path, opts);
        break;
      }
    }
  }
  if (!report.ok()) return Fail(report.error());
  const std::string out = json ? filters::FormatAuditJson(*report) : filters::FormatAuditText(*report);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return report->findings.empty() ? 0 : 1;
}

}  // namespace pwnbox::cli
