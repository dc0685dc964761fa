// pwnbox::profile: a least-privilege policy from what runs did.
//
// Observations (the union of the calls of several runs, with per-run counts and the argument
// values seen) are turned into a config::Policy that allows exactly the syscalls the runs made
// (per ABI), optionally narrowed by argument (--args) and by path (--paths), with a default that
// denies the rest (errno:EPERM unless told otherwise), and rendered as pwnbox TOML (commented,
// for people), an OCI/Docker seccomp profile, a systemd SystemCallFilter= block, or a C program
// using libseccomp. SPEC.md `profile` / `learn` is the contract; docs/profile.md the guide.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/policy.h"
#include "core/status.h"
#include "profile/call.h"

namespace pwnbox::profile {

struct Options {
  bool args = false;   // --args: argument-aware rules where the runs show a narrow use
  bool paths = false;  // --paths: path rules from the directories the runs named
  config::Action default_action{config::ActionKind::kErrno, 1};  // --default (EPERM)
};

// What every run did, merged.
class Observations {
 public:
  // Reads one input file (ReadInput) as run `run` (shown in comments; normally the file name).
  core::Status AddFile(const std::string& path, const std::string& run);
  // Adds one call of run `run`.
  void Add(const std::string& run, const Call& call);

  const std::vector<std::string>& runs() const { return runs_; }
  uint64_t total_calls() const { return total_; }

  // Per (abi, syscall name): how many calls each run made, and what the arguments were.
  struct Usage {
    std::map<std::string, uint64_t> per_run;  // run -> calls
    uint64_t calls = 0;
    // Distinct values seen per argument index (only arguments the input knew), capped at
    // kMaxValues; `overflow[i]` is set when more distinct values were seen.
    std::map<uint64_t, uint64_t> values[6];  // value -> calls
    bool overflow[6] = {};
    uint64_t unknown[6] = {};  // calls whose argument i the input did not know
    std::map<std::string, uint64_t> paths;  // path -> calls
    // Distinct (args[0], args[1]) pairs (calls that knew both; socket's domain and type),
    // capped at kMaxValues like `values`.
    std::map<std::pair<uint64_t, uint64_t>, uint64_t> pairs;
    bool pairs_overflow = false;
    uint64_t succeeded = 0;  // calls known to have returned >= 0
  };
  static constexpr size_t kMaxValues = 64;
  const std::map<std::pair<core::Abi, std::string>, Usage>& usage() const { return usage_; }

 private:
  std::vector<std::string> runs_;
  uint64_t total_ = 0;
  std::map<std::pair<core::Abi, std::string>, Usage> usage_;
};

// The generated policy, and the comments that explain it.
struct Generated {
  config::Policy policy;                  // compiles with filters::Compile
  std::vector<std::string> header;        // comment lines for the top of the file
  std::vector<std::string> rule_comments; // parallel to policy.rules ("12 calls: ls.pwnr (12)")
  std::vector<std::string> rule_groups;   // parallel to policy.rules: the section ("file")
};
core::Result<Generated> Generate(const Observations& obs, const Options& options);

enum class Format { kToml, kOci, kSystemd, kC };
// "toml", "oci", "systemd", "c"; nullopt otherwise.
std::optional<Format> FormatFromName(std::string_view name);
// Renders `g`. TOML passes `pwnbox check`; OCI is read back by filters::PolicyFromOci; C compiles
// against libseccomp and installs the same filter; systemd is a [Service] fragment with
// SystemCallFilter=, SystemCallErrorNumber= and SystemCallArchitectures=. Fails with a clear
// message when the format cannot express the policy (e.g. --paths rules in OCI or systemd).
core::Result<std::string> Render(const Generated& g, Format format);

// Whether `format` can express a profile made with `options`, known before any run: the same
// refusals Render makes for path rules (--paths outside TOML) and for a default action the
// format lacks (systemd: errno or kill only). `learn` checks it before it runs the command.
core::Status CheckFormat(Format format, const Options& options);

}  // namespace pwnbox::profile
