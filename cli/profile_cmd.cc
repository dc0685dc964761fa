#include "cli/profile_cmd.h"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cli/common.h"
#include "cli/options.h"
#include "cli/record_cmd.h"
#include "config/policy.h"
#include "core/status.h"
#include "profile/profile.h"

namespace po = boost::program_options;

namespace pwnbox::cli {
namespace {

// The options `profile` and `learn` share, as given.
struct ProfileFlags {
  std::string output;          // "" or "-": stdout (profile only)
  std::string format;          // "": from the output's name
  std::string default_action;  // "": errno:EPERM
  bool args = false;
  bool paths = false;
};

void AddProfileOptions(po::options_description* desc, ProfileFlags* f) {
  desc->add_options()
      ("output,o", po::value(&f->output), "the profile to write")
      ("format,f", po::value(&f->format),
       "toml, oci, systemd or c (default: from OUT's name: .json oci, .c c, .conf/.service "
       "systemd, else toml)")
      ("args", po::bool_switch(&f->args),
       "narrow rules by argument where the runs used a syscall narrowly (socket domains, "
       "mprotect/mmap protections, fcntl commands, ioctl requests, open flags)")
      ("paths", po::bool_switch(&f->paths),
       "path rules from the directories the runs named (toml only: the oci, systemd and c "
       "formats cannot express them and refuse --paths)")
      ("default", po::value(&f->default_action),
       "what happens to every other call: errno:NAME (default errno:EPERM), kill, kill-thread, "
       "trap or log (systemd: errno:NAME or kill only)");
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// --format when given, else what the output's name says (SPEC.md), else TOML.
core::Result<profile::Format> ChooseFormat(const ProfileFlags& f) {
  if (!f.format.empty()) {
    auto format = profile::FormatFromName(f.format);
    if (!format)
      return core::Error("unknown --format \"" + f.format + "\": use toml, oci, systemd or c");
    return *format;
  }
  if (EndsWith(f.output, ".json")) return profile::Format::kOci;
  if (EndsWith(f.output, ".c")) return profile::Format::kC;
  if (EndsWith(f.output, ".conf") || EndsWith(f.output, ".service")) return profile::Format::kSystemd;
  return profile::Format::kToml;
}

core::Result<profile::Options> ChooseOptions(const ProfileFlags& f) {
  profile::Options options;
  options.args = f.args;
  options.paths = f.paths;
  if (f.default_action.empty()) return options;
  std::string hint;
  auto action = config::ParseAction(f.default_action, &hint);
  if (!action.ok())
    return core::Error("--default " + f.default_action + ": " + action.error().message() +
                       (hint.empty() ? "" : "; " + hint));
  using K = config::ActionKind;
  if (action->kind == K::kAllow)
    return core::Error("--default allow would allow every call: a profile denies what the runs "
                       "did not do; use errno:NAME, kill, kill-thread, trap or log");
  if (action->kind != K::kErrno && action->kind != K::kKill && action->kind != K::kKillThread &&
      action->kind != K::kTrap && action->kind != K::kLog)
    return core::Error("--default " + f.default_action +
                       ": the default action must be errno:NAME, kill, kill-thread, trap or log");
  options.default_action = *action;
  return options;
}

// The directory OUT goes to (where WriteAtomically makes its temp file).
std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

// Writes `data` to `path` through a temp file in the same directory renamed over it, so that
// nobody ever reads a half-written profile and a failed write leaves the old file as it was.
core::Status WriteAtomically(const std::string& path, const std::string& data) {
  const std::string dir = DirectoryOf(path);
  const std::string base = path.substr(path.rfind('/') + 1);
  std::string tmp = dir + "/." + base + ".XXXXXX";
  const int fd = mkstemp(tmp.data());
  if (fd < 0) return core::ErrnoError(errno, "cannot write " + path);
  // mkstemp makes 0600; a profile is an ordinary file (0666 less the umask).
  const mode_t mask = umask(0);
  umask(mask);
  int err = fchmod(fd, 0666 & ~mask) == 0 ? 0 : errno;
  for (size_t done = 0; err == 0 && done < data.size();) {
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = errno;
    else done += static_cast<size_t>(n);
  }
  if (err == 0 && fsync(fd) != 0) err = errno;
  if (close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && rename(tmp.c_str(), path.c_str()) != 0) err = errno;
  if (err != 0) {
    unlink(tmp.c_str());
    return core::ErrnoError(err, "cannot write " + path);
  }
  return {};
}

// 12345 -> "12,345".
std::string Thousands(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string Plural(uint64_t n, const std::string& word) {
  return Thousands(n) + " " + word + (n == 1 ? "" : "s");
}

// Generates the profile of `obs`, renders it and writes it to f.output (stdout when none), then
// says on stderr what was written.
core::Status WriteProfile(const profile::Observations& obs, const ProfileFlags& f,
                          profile::Format format, const profile::Options& options) {
  PWNBOX_ASSIGN_OR_RETURN(profile::Generated generated, profile::Generate(obs, options));
  PWNBOX_ASSIGN_OR_RETURN(std::string text, profile::Render(generated, format));
  if (f.output.empty() || f.output == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (std::fflush(stdout) != 0) return core::ErrnoError(errno, "cannot write the profile");
    return {};
  }
  PWNBOX_RETURN_IF_ERROR(WriteAtomically(f.output, text));
  std::set<std::string> names;  // a syscall of two ABIs counts once
  for (const auto& [key, usage] : obs.usage()) names.insert(key.second);
  std::fprintf(stderr, "pwnbox: wrote %s: %s from %s (%s)\n", f.output.c_str(),
               Plural(names.size(), "syscall").c_str(), Plural(obs.runs().size(), "run").c_str(),
               Plural(obs.total_calls(), "call").c_str());
  return {};
}

// The readers' message about an unreadable input, naming the file and saying what to do.
std::string InputError(const std::string& path, const core::Error& error) {
  std::string message = error.message();
  if (message.find(path) == std::string::npos) message = path + ": " + message;
  if (error.sys_errno() != 0 && message.rfind("cannot ", 0) != 0) message = "cannot read " + message;
  // The strace reader says what to give; a damaged recording is to be made again.
  char magic[4] = {};
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    const size_t n = std::fread(magic, 1, sizeof magic, f);
    std::fclose(f);
    if (n == sizeof magic && std::string(magic, 4) == "PWNR" && error.sys_errno() == 0)
      message += "; record the run again (pwnbox record), or leave this file out";
  }
  return message;
}

// How the comments of a learned profile name its run: the command as typed, program by its base
// name, quoted, and cut short when long ("`cat in.txt`").
std::string RunName(const std::vector<std::string>& command) {
  constexpr size_t kMax = 60;
  std::string text = command[0].substr(command[0].rfind('/') + 1);
  for (size_t i = 1; i < command.size(); ++i) text += " " + command[i];
  if (text.size() > kMax) text = text.substr(0, kMax - 3) + "...";
  return "`" + text + "`";
}

// Removes the file at `path` when it goes out of scope, unless kept (learn's temporary
// recording).
class TempFile {
 public:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  ~TempFile() { if (!path_.empty()) unlink(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  void Keep() { path_.clear(); }

 private:
  std::string path_;
};

// A fresh, empty FILE.pwnr in $TMPDIR (or /tmp) for learn's recording.
core::Result<std::string> MakeTempRecording() {
  const char* env = std::getenv("TMPDIR");
  std::string path = std::string(env && *env ? env : "/tmp") + "/pwnbox-learn-XXXXXX.pwnr";
  const int fd = mkstemps(path.data(), 5);
  if (fd < 0)
    return core::ErrnoError(errno, "cannot create a temporary recording in " +
                                       std::string(env && *env ? env : "/tmp") +
                                       " (set TMPDIR to a writable directory)");
  close(fd);
  return path;
}

}  // namespace

int ProfileCommand(int argc, char** argv) {
  po::options_description desc(
      "usage: pwnbox profile FILE... [-o OUT] [--format toml|oci|systemd|c] [--args] [--paths]\n"
      "                      [--default ACTION]\n\n"
      "Writes a least-privilege policy that allows the syscalls the runs in FILE... made and\n"
      "denies the rest. Each FILE is a recording (pwnbox record) or an `strace -f -o` log; several\n"
      "are merged (the union; the comments give each run's counts). Without -o the profile goes\n"
      "to stdout. Enforce it with `pwnbox --policy OUT -- CMD`; docs/profile.md tells more");
  ProfileFlags f;
  desc.add_options()("help,h", "show this help");
  AddProfileOptions(&desc, &f);
  desc.add_options()("input", po::value<std::vector<std::string>>(), "recordings and strace logs");
  po::positional_options_description pos;
  pos.add("input", -1);
  po::variables_map vm;
  if (!ParseOptions(po::command_line_parser(argc, argv), desc, &vm, "profile", &pos))
    return kExitFailure;
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (!vm.count("input"))
    return Fail("profile needs at least one input: pwnbox profile FILE.pwnr|STRACE.log... [-o OUT]");
  auto format = ChooseFormat(f);
  if (!format.ok()) return Fail(format.error());
  auto options = ChooseOptions(f);
  if (!options.ok()) return Fail(options.error());
  if (core::Status s = profile::CheckFormat(*format, *options); !s.ok()) return Fail(s.error());

  profile::Observations obs;
  std::set<std::string> run_names;
  for (const auto& path : vm["input"].as<std::vector<std::string>>()) {
    // Runs are named by their file; the same file given twice is two runs.
    std::string run = path;
    for (int n = 2; !run_names.insert(run).second; ++n) run = path + " #" + std::to_string(n);
    if (auto added = obs.AddFile(path, run); !added.ok()) return Fail(InputError(path, added.error()));
  }
  if (auto written = WriteProfile(obs, f, *format, *options); !written.ok())
    return Fail(written.error());
  return 0;
}

int LearnCommand(int argc, char** argv) {
  SplitArgs split = SplitCommand(argc, argv, 1,
                                 {"-o", "--output", "-f", "--format", "--default",
                                  "--keep-recording"});
  po::options_description desc(
      "usage: pwnbox learn -o OUT [--format toml|oci|systemd|c] [--args] [--paths]\n"
      "                    [--default ACTION] [--keep-recording FILE.pwnr] -- CMD [ARG...]\n\n"
      "Runs CMD, recording what it does, and writes the profile of that run to OUT (as `pwnbox\n"
      "record` then `pwnbox profile`). The exit status is CMD's; the profile is written even when\n"
      "CMD fails. Enforce it with `pwnbox --policy OUT -- CMD`; when a later run needs more, run it\n"
      "with --complain to see what, or learn again and merge with `pwnbox profile`");
  ProfileFlags f;
  std::string keep;
  desc.add_options()("help,h", "show this help");
  AddProfileOptions(&desc, &f);
  desc.add_options()("keep-recording", po::value(&keep),
                     "keep the run's recording as FILE.pwnr (for `pwnbox show` or a later "
                     "`pwnbox profile` merge)");
  po::variables_map vm;
  if (!ParseOptions(po::command_line_parser(split.options), desc, &vm, "learn"))
    return kExitFailure;
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (f.output.empty() || f.output == "-")
    return Fail("learn needs -o OUT, the profile to write: pwnbox learn -o OUT -- CMD");
  if (split.command.empty()) return Fail("no command to learn from: pwnbox learn -o OUT -- CMD");
  // Everything that can be wrong with the options is found before the command runs.
  auto format = ChooseFormat(f);
  if (!format.ok()) return Fail(format.error());
  auto options = ChooseOptions(f);
  if (!options.ok()) return Fail(options.error());
  if (core::Status s = profile::CheckFormat(*format, *options); !s.ok()) return Fail(s.error());
  if (access(DirectoryOf(f.output).c_str(), W_OK | X_OK) != 0)
    return Fail(core::ErrnoError(errno, "cannot write " + f.output + " (its directory " +
                                            DirectoryOf(f.output) + ")"));

  std::string recording = keep;
  std::unique_ptr<TempFile> temp;
  if (recording.empty()) {
    auto made = MakeTempRecording();
    if (!made.ok()) return Fail(made.error());
    recording = *made;
    temp = std::make_unique<TempFile>(recording);
  }
  bool recorded = false;
  // The profile needs the calls, not the data they moved: keep the data only for a recording
  // the user keeps (to show or replay it).
  RecordSettings settings;
  settings.keep_data = !keep.empty();
  const int code = RecordToFile(split.command, recording, settings, &recorded);
  if (!recorded) return code;  // the command never ran; RecordToFile said why

  profile::Observations obs;
  core::Status done = obs.AddFile(recording, RunName(split.command));
  if (done.ok()) done = WriteProfile(obs, f, *format, *options);
  if (!done.ok()) {
    // The run is not lost: its recording can be profiled again with other options.
    if (temp) temp->Keep();
    return Fail(done.error().message() + "; the run's recording is kept: `pwnbox profile " +
                recording + " -o OUT` with other options");
  }
  if (code != 0)
    std::fprintf(stderr,
                 "pwnbox: note: the run exited with status %d; %s covers what it did up to then\n",
                 code, f.output.c_str());
  return code;
}

}  // namespace pwnbox::cli
