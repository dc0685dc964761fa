// What a new user meets first: `pwnbox --help` lists exactly the commands there are, `pwnbox help
// COMMAND` is `pwnbox COMMAND --help`, `-V`/`--version` print the CMake project's version, and
// `cmake --install` puts a man page per command (rendered by man(1), each naming every option its
// --help names) and bash/zsh completions (which complete the commands and each command's options,
// policies for --policy, recordings for show/replay/diff) under the prefix.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

namespace fs = std::filesystem;

// The commands SPEC.md names. Each is either in `pwnbox --help` and has its own --help, or is
// refused by name as not in this build.
const std::vector<std::string> kSpecCommands = {"run",    "trace",   "record",  "show",  "replay",
                                                "diff",   "debug",   "explore", "cov",   "profile",
                                                "learn",  "compile", "check",   "audit", "convert",
                                                "groups", "proxy",   "agent",   "bench"};

// The "commands:" table of the top-level help: name -> one-line summary.
std::map<std::string, std::string> ListedCommands() {
  RunResult top = Pwnbox({"--help"});
  EXPECT_EQ(top.status, 0) << top.err;
  std::map<std::string, std::string> out;
  bool in_table = false;
  static const std::regex kEntry(R"(^  ([a-z]+)  +(\S.*)$)");
  std::smatch m;
  for (const std::string& line : Lines(top.out)) {
    if (line == "commands:") {
      in_table = true;
    } else if (in_table && std::regex_match(line, m, kEntry)) {
      out[m[1]] = m[2];
    } else if (in_table && !line.starts_with("    ")) {
      break;
    }
  }
  return out;
}

// Every option-like word of a help text: "--policy", "-o", "-tt", "--snapshots" (of
// "--snapshots[=EVERY]"), "--no-follow".
std::set<std::string> OptionWords(const std::string& text) {
  static const std::regex kWord(R"((^|[\s\[(|,`])(--?[A-Za-z][A-Za-z0-9-]*))");
  std::set<std::string> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kWord);
       it != std::sregex_iterator(); ++it)
    out.insert((*it)[2]);
  return out;
}

// The long options of a --help's Boost table ("  -o [ --output ] arg", "  --json").
std::set<std::string> TableLongOptions(const std::string& help) {
  static const std::regex kRow(R"(^  (?:-\w \[ )?(--[a-z][a-z0-9-]*)\b.*$)");
  std::set<std::string> out;
  std::smatch m;
  for (const std::string& line : Lines(help))
    if (std::regex_match(line, m, kRow)) out.insert(m[1]);
  return out;
}

std::string BuildDir() {  // PWNBOX_BIN is BUILD/cli/pwnbox
  return fs::path(PwnboxBin()).parent_path().parent_path().string();
}

bool OnPath(const std::string& tool) {
  return pwnbox::testing::Run({"sh", "-c", "command -v " + tool}).status == 0;
}

// `cmake --install BUILD --prefix PREFIX`, once per test program.
class Installed : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    prefix_ = new std::string(TempDir() + "/prefix");
    install_ = new RunResult(
        pwnbox::testing::Run({"cmake", "--install", BuildDir(), "--prefix", *prefix_}));
  }
  static void TearDownTestSuite() {
    delete prefix_;
    delete install_;
  }
  void SetUp() override {
    // cmake --install copies everything, then writes BUILD/install_manifest.txt: a user who
    // cannot write the build tree (the tests as nobody) gets every file and that one error.
    if (install_->status != 0 && access(BuildDir().c_str(), W_OK) != 0) {
      ASSERT_TRUE(Contains(install_->err, "install_manifest.txt")) << install_->err;
      ASSERT_EQ(Grep(install_->err, "Error").size(), 1u) << install_->err;
    } else {
      ASSERT_EQ(install_->status, 0) << install_->out << install_->err;
    }
  }
  static std::string Man(const std::string& page) { return *prefix_ + "/share/man/man1/" + page; }
  static std::string BashCompletion() {
    return *prefix_ + "/share/bash-completion/completions/pwnbox";
  }
  static std::string ZshCompletion() { return *prefix_ + "/share/zsh/site-functions/_pwnbox"; }

  // The page as man(1) shows it (plain text), or groff's when man is not installed.
  static RunResult Render(const std::string& page) {
    RunOptions o;
    o.env = {"LC_ALL=C", "LANG=C", "MANWIDTH=100", "MANPAGER=cat", "PAGER=cat"};
    if (OnPath("man")) return pwnbox::testing::Run({"man", "-l", page}, o);
    return pwnbox::testing::Run(
        {"groff", "-man", "-Tascii", "-rLL=100n", "-P-c", "-P-b", "-P-o", "-P-u", page}, o);
  }

  // COMPREPLY of the bash completion for `words` (the last one is the word being completed),
  // run in `cwd`; one entry a line, sorted.
  static std::vector<std::string> Complete(const std::vector<std::string>& words,
                                           const std::string& cwd = "/") {
    std::string script = "source \"$0\" || exit 3; COMP_WORDS=(";
    for (const std::string& w : words) script += " '" + w + "'";
    script += " ); COMP_CWORD=" + std::to_string(words.size() - 1) +
              "; COMP_LINE=\"${COMP_WORDS[*]}\"; COMP_POINT=${#COMP_LINE}; _pwnbox || exit 4; "
              "printf '%s\\n' \"${COMPREPLY[@]}\"";
    RunOptions o;
    o.cwd = cwd;
    RunResult r =
        pwnbox::testing::Run({"bash", "--norc", "--noprofile", "-c", script, BashCompletion()}, o);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    std::vector<std::string> out;
    for (const std::string& l : Lines(r.out))
      if (!l.empty()) out.push_back(l);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  static std::string* prefix_;
  static RunResult* install_;
};
std::string* Installed::prefix_ = nullptr;
RunResult* Installed::install_ = nullptr;

using Words = std::vector<std::string>;

// ---- The help and the version -----------------------------------------------------------------

TEST(Help, ListsExactlyTheCommandsThatExist) {
  std::map<std::string, std::string> listed = ListedCommands();
  ASSERT_TRUE(listed.count("help"));
  ASSERT_TRUE(listed.count("diff"));
  for (const auto& [cmd, summary] : listed) {
    if (cmd == "help") continue;
    RunResult own = Pwnbox({cmd, "--help"});
    EXPECT_EQ(own.status, 0) << cmd << ": " << own.err;
    EXPECT_EQ(own.err, "") << cmd;
    const std::string usage = cmd == "run" ? "usage: pwnbox [run] " : "usage: pwnbox " + cmd;
    EXPECT_EQ(own.out.rfind(usage, 0), 0u) << own.out;
    // `pwnbox help CMD` is `pwnbox CMD --help`, byte for byte.
    RunResult help = Pwnbox({"help", cmd});
    EXPECT_EQ(help.status, 0) << help.err;
    EXPECT_EQ(help.out, own.out) << cmd;
    EXPECT_FALSE(summary.empty());
  }
  // SPEC.md's commands that the help does not list are refused by name, not run as programs.
  for (const std::string& cmd : kSpecCommands) {
    if (listed.count(cmd)) continue;
    RunResult r = Pwnbox({cmd, "--help"});
    EXPECT_EQ(r.status, 125) << cmd;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
    EXPECT_TRUE(Contains(r.err, "pwnbox: `" + cmd + "` is not in this build")) << r.err;
    RunResult help = Pwnbox({"help", cmd});
    EXPECT_EQ(help.status, 125) << cmd;
    EXPECT_EQ(help.err, r.err);
  }
  // Every usage line of the top-level help is of a listed command.
  RunResult top = Pwnbox({"--help"});
  for (const std::string& line : Lines(top.out)) {
    static const std::regex kUsage(R"(^  pwnbox (?:\[run\]|([a-z]+)) .*$|^  pwnbox ([a-z]+)$)");
    std::smatch m;
    if (!std::regex_match(line, m, kUsage)) continue;
    std::string cmd = m[1].matched ? m[1].str() : m[2].matched ? m[2].str() : "run";
    EXPECT_TRUE(listed.count(cmd)) << line;
  }
  EXPECT_EQ(Pwnbox({"help"}).out, top.out);
  EXPECT_EQ(Pwnbox({"-h"}).out, top.out);
}

// README.md's "Commands" section: a synopsis line and a table row for every listed command, and
// nothing for a command there is not.
TEST(Help, ReadmeDocumentsEveryCommand) {
  const std::string readme = ReadFile(SourcePath("README.md"));
  const size_t start = readme.find("\n## Commands\n");
  ASSERT_NE(start, std::string::npos);
  const std::string section = readme.substr(start, readme.find("\n## ", start + 1) - start);
  std::set<std::string> synopsis, table, listed;
  std::smatch m;
  for (const std::string& line : Lines(section)) {
    if (std::regex_match(line, m, std::regex(R"(^pwnbox (\[run\]|[a-z]+)(?: .*)?$)")))
      synopsis.insert(m[1] == "[run]" ? "run" : m[1].str());
    if (std::regex_match(line, m, std::regex(R"(^\| `([a-z]+)` +\|.*$)"))) table.insert(m[1]);
  }
  for (const auto& [cmd, summary] : ListedCommands()) listed.insert(cmd);
  EXPECT_EQ(synopsis, listed);
  listed.erase("help");
  EXPECT_EQ(table, listed);
  // The options each synopsis line and example names are options of that command's --help
  // (up to the "--" that starts the command, and the "# comment").
  for (const std::string& line : Lines(section)) {
    if (!std::regex_match(line, m, std::regex(R"(^pwnbox ([a-z]+) .*$)")) || m[1] == "help")
      continue;
    const std::string cmd = listed.count(m[1]) ? m[1].str() : "run";
    const std::set<std::string> known = OptionWords(Pwnbox({cmd, "--help"}).out);
    const std::string own = line.substr(0, std::min(line.find(" -- "), line.find(" # ")));
    for (const std::string& option : OptionWords(own))
      EXPECT_TRUE(known.count(option)) << "README: pwnbox " << cmd << " " << option;
  }
}

TEST(Help, UnknownCommandIsOneLineAnd125) {
  for (const Words& args : {Words{"help", "nosuch"}, Words{"help", "trace", "extra"}}) {
    RunResult r = Pwnbox(args);
    EXPECT_EQ(r.status, 125) << args[1];
    EXPECT_EQ(r.out, "");
    ASSERT_EQ(Lines(r.err).size(), 1u) << r.err;
    EXPECT_EQ(r.err.rfind("pwnbox: ", 0), 0u) << r.err;
  }
  EXPECT_TRUE(Contains(Pwnbox({"help", "nosuch"}).err, "nosuch"));
}

TEST(Help, VersionIsTheProjectVersion) {
  std::smatch m;
  const std::string cmake = ReadFile(SourcePath("CMakeLists.txt"));
  ASSERT_TRUE(std::regex_search(cmake, m, std::regex(R"(project\(pwnbox VERSION ([0-9.]+))")));
  for (const char* flag : {"-V", "--version"}) {
    RunResult r = Pwnbox({flag});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "pwnbox " + m[1].str() + "\n");
    EXPECT_EQ(r.err, "");
  }
}

// learn/profile --help must say what the formats accept: --paths is TOML only (render.cc's
// Expressible), and the C format refuses it.
TEST(Help, PathsIsTomlOnly) {
  for (const char* cmd : {"learn", "profile"}) {
    // The table's text with its line breaks and column padding undone.
    const std::string help =
        std::regex_replace(Pwnbox({cmd, "--help"}).out, std::regex(R"(\s+)"), " ");
    EXPECT_FALSE(Contains(help, "toml and c")) << help;
    EXPECT_TRUE(Contains(help,
                         "--paths path rules from the directories the runs named (toml "
                         "only"))
        << help;
  }
  std::string dir = TempDir();
  WriteFile(dir + "/s.log", "100  getpid() = 100\n");
  for (const char* format : {"c", "oci", "systemd"}) {
    RunResult r = Pwnbox({"profile", dir + "/s.log", "--format", format, "--paths"});
    EXPECT_EQ(r.status, 125) << format << ": " << r.out;
    EXPECT_TRUE(Contains(r.err, "--paths")) << r.err;
  }
  RunResult toml = Pwnbox({"profile", dir + "/s.log", "--format", "toml", "--paths"});
  EXPECT_EQ(toml.status, 0) << toml.err;
}

// ---- Installed man pages ----------------------------------------------------------------------

TEST_F(Installed, BinaryPagesAndCompletions) {
  EXPECT_TRUE(fs::exists(*prefix_ + "/bin/pwnbox"));
  EXPECT_TRUE(fs::exists(Man("pwnbox.1")));
  EXPECT_TRUE(fs::exists(BashCompletion()));
  EXPECT_TRUE(fs::exists(ZshCompletion()));
  // A page per listed command, and none for anything else.
  std::set<std::string> want = {"pwnbox.1"}, got;
  for (const auto& [cmd, summary] : ListedCommands())
    if (cmd != "help") want.insert("pwnbox-" + cmd + ".1");
  for (const auto& e : fs::directory_iterator(*prefix_ + "/share/man/man1"))
    got.insert(e.path().filename().string());
  EXPECT_EQ(got, want);
}

TEST_F(Installed, EachPageRendersWithEveryOptionOfItsHelp) {
  for (const auto& [cmd, summary] : ListedCommands()) {
    if (cmd == "help") continue;
    SCOPED_TRACE(cmd);
    const std::string page = Man("pwnbox-" + cmd + ".1");
    ASSERT_TRUE(fs::exists(page));
    RunResult shown = Render(page);
    ASSERT_EQ(shown.status, 0) << shown.err;
    EXPECT_EQ(shown.err, "");
    EXPECT_TRUE(Contains(shown.out, "pwnbox-" + cmd + " - " + summary)) << shown.out;
    EXPECT_TRUE(Contains(shown.out, "SYNOPSIS"));
    const std::string help = Pwnbox({cmd, "--help"}).out;
    std::set<std::string> options = OptionWords(help);
    for (const std::string& option : options)
      EXPECT_TRUE(std::regex_search(shown.out,
                                    std::regex("(^|[^A-Za-z0-9-])" + option + "($|[^A-Za-z0-9-])")))
          << option << " is not in the page:\n"
          << shown.out;
    // The table's descriptions come along (the first words of each, as man fills them).
    for (const std::string& line : Lines(help)) {
      std::smatch m;
      if (std::regex_match(line, m, std::regex(R"(^  -.*?  +(\w+ \w+ \w+).*$)")))
        EXPECT_TRUE(Contains(shown.out, m[1])) << m[1];
    }
  }
  // pwnbox(1): every command, and the top-level options.
  RunResult top = Render(Man("pwnbox.1"));
  ASSERT_EQ(top.status, 0) << top.err;
  for (const auto& [cmd, summary] : ListedCommands()) {
    EXPECT_TRUE(Contains(top.out, summary)) << cmd;
    if (cmd != "help") EXPECT_TRUE(Contains(top.out, "pwnbox-" + cmd + "(1)")) << cmd;
  }
  for (const char* option : {"-V", "--version", "-h", "--help"})
    EXPECT_TRUE(Contains(top.out, option)) << option;
}

// groff's own checks: no warning in any page (-ww), so no page depends on a lenient formatter.
TEST_F(Installed, PagesHaveNoGroffWarnings) {
  if (!OnPath("groff")) GTEST_SKIP() << "groff is not installed";
  for (const auto& e : fs::directory_iterator(*prefix_ + "/share/man/man1")) {
    RunResult r = pwnbox::testing::Run({"groff", "-man", "-ww", "-z", e.path().string()});
    EXPECT_EQ(r.status, 0) << e.path();
    EXPECT_EQ(r.err, "") << e.path();
  }
}

// ---- Completions ------------------------------------------------------------------------------

TEST_F(Installed, BashCompletesCommandsAndOptions) {
  EXPECT_EQ(Complete({"pwnbox", "tr"}), Words{"trace"});
  EXPECT_EQ(Complete({"pwnbox", "trace", "--no-f"}), Words{"--no-follow"});
  EXPECT_EQ(Complete({"pwnbox", "trace", "--no"}), (Words{"--no-abbrev", "--no-follow"}));
  EXPECT_EQ(Complete({"pwnbox", "help", "co"}), (Words{"compile", "convert"}));
  EXPECT_EQ(Complete({"pwnbox", "--vers"}), Words{"--version"});
  // Every command of the help, and every long option of each command's table.
  std::map<std::string, std::string> listed = ListedCommands();
  Words all;
  for (const auto& [cmd, summary] : listed) all.push_back(cmd);
  EXPECT_EQ(Complete({"pwnbox", ""}), all);
  for (const auto& [cmd, summary] : listed) {
    if (cmd == "help") continue;
    for (const std::string& option : TableLongOptions(Pwnbox({cmd, "--help"}).out)) {
      Words got = Complete({"pwnbox", cmd, option});
      EXPECT_TRUE(std::find(got.begin(), got.end(), option) != got.end())
          << "pwnbox " << cmd << " " << option << "<TAB>";
    }
  }
  // Values the help lists.
  EXPECT_EQ(Complete({"pwnbox", "compile", "p.toml", "--format", "d"}), Words{"disasm"});
  EXPECT_EQ(Complete({"pwnbox", "learn", "--format", "s"}), Words{"systemd"});
  EXPECT_EQ(Complete({"pwnbox", "bench", "--modes", "k"}), Words{"kernel"});
}

TEST_F(Installed, BashCompletesTheRightFiles) {
  const std::string dir = TempDir();
  for (const char* f : {"app.toml", "oci.json", "run.pwnr", "notes.txt"})
    WriteFile(dir + "/" + f, "");
  fs::create_directory(dir + "/sub");
  // Policies for --policy, recordings for show/replay/diff; directories to descend into.
  EXPECT_EQ(Complete({"pwnbox", "trace", "--policy", ""}, dir), (Words{"app.toml", "sub"}));
  EXPECT_EQ(Complete({"pwnbox", "--policy", ""}, dir), (Words{"app.toml", "sub"}));
  EXPECT_EQ(Complete({"pwnbox", "show", ""}, dir), (Words{"run.pwnr", "sub"}));
  EXPECT_EQ(Complete({"pwnbox", "replay", ""}, dir), (Words{"run.pwnr", "sub"}));
  EXPECT_EQ(Complete({"pwnbox", "diff", "run.pwnr", ""}, dir), (Words{"run.pwnr", "sub"}));
  EXPECT_EQ(Complete({"pwnbox", "check", ""}, dir), (Words{"app.toml", "oci.json", "sub"}));
  // After "--", a program, then its own arguments (any file).
  Words programs = Complete({"pwnbox", "trace", "--", "bas"}, dir);
  EXPECT_TRUE(std::find(programs.begin(), programs.end(), "bash") != programs.end());
  EXPECT_EQ(Complete({"pwnbox", "trace", "--", "cat", "n"}, dir), Words{"notes.txt"});
  // An option's value is not the program: `trace -o FILE ls` runs ls.
  Words after_option = Complete({"pwnbox", "trace", "-o", "out.txt", "ca"}, dir);
  EXPECT_TRUE(std::find(after_option.begin(), after_option.end(), "cat") != after_option.end());
  Words after_value = Complete({"pwnbox", "trace", "-o", "out.txt", "cat", "no"}, dir);
  EXPECT_EQ(after_value, Words{"notes.txt"});
}

TEST_F(Installed, ZshCompletionParses) {
  if (!OnPath("zsh")) GTEST_SKIP() << "zsh is not installed";
  RunResult r = pwnbox::testing::Run({"zsh", "-n", ZshCompletion()});
  EXPECT_EQ(r.status, 0) << r.err;
  // Every command has its completion function.
  const std::string text = ReadFile(ZshCompletion());
  for (const auto& [cmd, summary] : ListedCommands())
    EXPECT_TRUE(Contains(text, "_pwnbox_" + cmd + "() {")) << cmd;
}

}  // namespace
}  // namespace pwnbox::testing
