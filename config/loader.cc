// TOML++ is used only here (and throws): every exception is caught and turned into a
// FILE:LINE:COL error block.
#include <toml++/toml.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include "config/policy.h"
#include "core/fd.h"

namespace pwnbox::config {

extern const char kDefaultPolicyToml[];  // generated from policies/default.toml

namespace {

namespace fs = std::filesystem;

struct SourceFile {
  std::string name;  // as shown in messages
  std::string canonical;
  std::string text;
  toml::table root;

  std::string_view Line(int n) const {
    std::string_view s = text;
    for (int i = 1; i < n; ++i) {
      size_t nl = s.find('\n');
      if (nl == std::string_view::npos) return {};
      s.remove_prefix(nl + 1);
    }
    size_t nl = s.find('\n');
    std::string_view line = nl == std::string_view::npos ? s : s.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  }
};

// How byte `i` of `s` reaches a terminal: "" when it is printed as is, else its escape. Control
// characters (but tab), DEL and the C1 controls (UTF-8 C2 80..C2 9F, which some terminals obey)
// are escaped in octal as strace escapes them, so that a policy someone else wrote cannot send
// terminal escapes or forge lines through an error message. `*len` is how many bytes it covers.
std::string EscapeAt(std::string_view s, size_t i, size_t* len) {
  const auto c = static_cast<unsigned char>(s[i]);
  auto octal = [](unsigned char b) {
    std::string e = "\\";
    if (b >> 6) e += static_cast<char>('0' + (b >> 6));
    if (b >> 3) e += static_cast<char>('0' + ((b >> 3) & 7));
    e += static_cast<char>('0' + (b & 7));
    return e;
  };
  *len = 1;
  if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
      static_cast<unsigned char>(s[i + 1]) <= 0x9f) {
    *len = 2;
    return octal(c) + octal(static_cast<unsigned char>(s[i + 1]));
  }
  if (c == '\n') return "\\n";
  if (c == '\r') return "\\r";
  if ((c < 0x20 && c != '\t') || c == 0x7f) return octal(c);
  return "";
}

// `s` with EscapeAt's escapes applied.
std::string EscapeText(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    size_t len;
    std::string e = EscapeAt(s, i, &len);
    if (e.empty()) out.append(s.substr(i, len));
    else out += e;
    i += len;
  }
  return out;
}

// TOML allows characters beyond ASCII only in strings and comments, and control characters
// (but tab) nowhere. TOML++ 3.3.0 (Debian 12) checks a code point it meets between tokens with
// is_non_ascii_horizontal_whitespace, which reaches __builtin_unreachable for U+00A1..U+0499
// and U+2D6E..U+3167 and shifts by 64 past U+FF1F: undefined behaviour on a malformed policy
// (found by tests/fuzz/policy_loader_fuzz.cc with UBSan; a NUL in a string led it there too).
// Such a file is invalid TOML anyway, so it is refused before TOML++ sees it. Returns where
// (1-based line, column in code points) and what.
struct BadChar {
  int line, column;
  const char* what;
  const char* hint;
};
std::optional<BadChar> CheckCharacters(std::string_view t) {
  int line = 1;
  size_t line_start = 0;
  auto column = [&](size_t at) {
    int col = 1;
    for (size_t i = line_start; i < at; ++i)
      if ((static_cast<unsigned char>(t[i]) & 0xc0) != 0x80) ++col;
    return col;
  };
  for (size_t k = 0; k < t.size(); ++k) {
    const auto b = static_cast<unsigned char>(t[k]);
    if ((b < 0x20 && b != '\t' && b != '\n' && b != '\r') || b == 0x7f) {
      for (size_t i = line_start; i < k; ++i) {
        if (t[i] == '\n') {
          ++line;
          line_start = i + 1;
        }
      }
      return BadChar{line, column(k), "a control character",
                     "write control characters in strings as escapes (\\u001b)"};
    }
  }
  for (size_t i = 0; i < t.size();) {
    const char c = t[i];
    if (c == '\n') {
      ++line;
      line_start = ++i;
    } else if (c == '#') {  // a comment runs to the end of the line
      while (i < t.size() && t[i] != '\n') ++i;
    } else if (c == '"' || c == '\'') {
      const bool multi = t.substr(i, 3) == std::string_view(c == '"' ? "\"\"\"" : "'''");
      const std::string_view close = multi ? t.substr(i, 3) : t.substr(i, 1);
      i += close.size();
      // To the closing quote (a basic string's backslash escapes the next byte); a single-line
      // string ends at the end of the line at the latest (TOML++ reports it unterminated).
      while (i < t.size() && t.substr(i, close.size()) != close) {
        if (!multi && t[i] == '\n') break;
        if (t[i] == '\n') {
          ++line;
          line_start = i + 1;
        }
        i += (c == '"' && t[i] == '\\' && i + 1 < t.size() && t[i + 1] != '\n') ? 2 : 1;
      }
      if (i < t.size() && t[i] != '\n') i += close.size();
    } else if (static_cast<unsigned char>(c) >= 0x80) {
      return BadChar{line, column(i), "a non-ASCII character outside a string or comment",
                     "quote keys and values that hold such characters"};
    } else {
      ++i;
    }
  }
  return std::nullopt;
}

std::string Block(const SourceFile& f, int line, int col, const std::string& msg,
                  const std::string& hint) {
  std::string out = EscapeText(f.name) + ":" + std::to_string(line) + ":" + std::to_string(col) +
                    ": " + EscapeText(msg);
  std::string_view l = f.Line(line);
  if (line > 0 && !l.empty()) {
    out += "\n" + EscapeText(l) + "\n";
    // Columns count UTF-8 code points; copy tabs, and pad for escapes, so the caret lines up.
    int cp = 1;
    for (size_t i = 0; i < l.size() && cp < col;) {
      size_t len;
      const std::string e = EscapeAt(l, i, &len);
      const unsigned char c = l[i];
      if (!e.empty()) {
        out.append(e.size(), ' ');
      } else if ((c & 0xc0) != 0x80) {
        out += c == '\t' ? '\t' : ' ';
      }
      // A code point starts at every byte that is not a continuation byte.
      for (size_t k = i; k < i + len; ++k)
        if ((static_cast<unsigned char>(l[k]) & 0xc0) != 0x80) ++cp;
      i += len;
    }
    out += "^";
  }
  if (!hint.empty()) out += "\nhint: " + EscapeText(hint);
  return out;
}

std::string TypeName(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    default: return "a date/time";
  }
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string JoinQuoted(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + Quote(v[i]);
  return out;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string KeyHint(std::string_view key, const std::vector<std::string>& keys) {
  std::string best;
  size_t bd = 3;
  for (const auto& k : keys) {
    size_t d = EditDistance(key, k);
    if (d < bd) {
      bd = d;
      best = k;
    }
  }
  std::string all;
  for (size_t i = 0; i < keys.size(); ++i) all += (i ? ", " : "") + keys[i];
  if (!best.empty()) return "did you mean \"" + best + "\"? (known keys: " + all + ")";
  return "known keys: " + all;
}

bool HasPathArg(std::string_view name) {
  const core::SyscallSig& sig = core::Signature(name);
  for (int i = 0; i < sig.nargs; ++i)
    if (sig.args[i].kind == core::ArgKind::kPath) return true;
  return false;
}

// Bounds on what a policy may read (a policy can come from someone else: `include =
// ["/dev/zero"]` must fail, not exhaust memory).
constexpr size_t kMaxPolicyFileBytes = 1u << 20;    // one file
constexpr size_t kMaxTotalPolicyBytes = 16u << 20;  // the file and all its includes
constexpr size_t kMaxIncludeDepth = 64;             // files on the include stack
constexpr size_t kMaxPolicyFiles = 1024;            // distinct files

// Reads at most kMaxPolicyFileBytes of `path` into `*text`; false with `*why` when it cannot.
// With `regular_only`, anything but a regular file (a device, FIFO, socket, directory) is
// refused, and opening never blocks (O_NONBLOCK: a FIFO without a writer). Otherwise only
// directories are refused.
bool ReadBounded(const std::string& path, bool regular_only, std::string* text, std::string* why,
                 int* err = nullptr) {
  auto fail_errno = [&] {
    if (err) *err = errno;
    *why = std::strerror(errno);
    return false;
  };
  const int flags = O_RDONLY | O_CLOEXEC | (regular_only ? O_NONBLOCK : 0);
  core::UniqueFd fd(::open(path.c_str(), flags));
  if (!fd) return fail_errno();
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return fail_errno();
  if (S_ISDIR(st.st_mode) || (regular_only && !S_ISREG(st.st_mode))) {
    *why = S_ISDIR(st.st_mode)    ? "a directory, not a file"
           : S_ISFIFO(st.st_mode) ? "a FIFO, not a regular file"
           : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device, not a regular file"
                                                       : "not a regular file";
    return false;
  }
  if (regular_only) {
    // Reads of the regular file block as usual.
    const int fl = fcntl(fd.get(), F_GETFL);
    if (fl >= 0) fcntl(fd.get(), F_SETFL, fl & ~O_NONBLOCK);
  }
  text->clear();
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno();
    if (n == 0) return true;
    if (text->size() + static_cast<size_t>(n) > kMaxPolicyFileBytes) {
      *why = "larger than 1 MiB";
      return false;
    }
    text->append(buf, static_cast<size_t>(n));
  }
}

class Loader {
 public:
  core::Result<Policy> LoadFile(const std::string& path) {
    // The top file is the user's choice: a pipe (`--policy <(...)`) is fine, a directory or an
    // endless device is not; the size bound stops /dev/zero.
    std::string text, why;
    int err = 0;
    if (!ReadBounded(path, /*regular_only=*/false, &text, &why, &err))
      return core::Error("cannot read policy " + path + ": " + why, err);
    return LoadText(std::move(text), path, path);
  }

  core::Result<Policy> LoadText(std::string text, const std::string& name,
                                const std::string& path_for_includes) {
    PWNBOX_RETURN_IF_ERROR(ReadFile(std::move(text), name, path_for_includes, nullptr));
    return Build();
  }

 private:
  struct PendingRule {
    const SourceFile* file;
    const toml::table* table;
  };

  core::Error At(const SourceFile& f, const toml::source_region& r, const std::string& msg,
                 const std::string& hint = "") const {
    return core::Error(Block(f, static_cast<int>(r.begin.line), static_cast<int>(r.begin.column), msg, hint));
  }
  core::Error AtCol(const SourceFile& f, const toml::source_region& r, size_t extra,
                    const std::string& msg, const std::string& hint = "") const {
    return core::Error(Block(f, static_cast<int>(r.begin.line),
                             static_cast<int>(r.begin.column + extra), msg, hint));
  }

  // Reads one file and, depth first, its includes. `from` is the include string node (for
  // errors about this file not being found), nullptr for the top file.
  core::Status ReadFile(std::string text, const std::string& name, const std::string& path,
                        const std::pair<const SourceFile*, const toml::node*>* from) {
    auto f = std::make_unique<SourceFile>();
    f->name = name;
    f->text = std::move(text);
    std::error_code ec;
    f->canonical = path.empty() ? name : fs::weakly_canonical(path, ec).string();
    if (ec) f->canonical = path;
    (void)from;
    if (auto bad = CheckCharacters(f->text)) {
      return core::Error(
          Block(*f, bad->line, bad->column, "invalid TOML: " + std::string(bad->what), bad->hint));
    }
    try {
      f->root = toml::parse(f->text, std::string_view(f->name));
    } catch (const toml::parse_error& e) {
      return core::Error(Block(*f, static_cast<int>(e.source().begin.line),
                               static_cast<int>(e.source().begin.column),
                               "invalid TOML: " + std::string(e.description()),
                               "see https://toml.io for the syntax"));
    }
    const SourceFile& file = *f;
    files_.push_back(std::move(f));
    loaded_.insert(file.canonical);
    if (total_bytes_ == 0) total_bytes_ = file.text.size();
    stack_.push_back(file.canonical);
    display_stack_.push_back(file.name);

    static const std::vector<std::string> kTopKeys = {"version", "default", "include", "options",
                                                      "rule"};
    for (auto&& [k, v] : file.root) {
      if (std::find(kTopKeys.begin(), kTopKeys.end(), k.str()) == kTopKeys.end())
        return At(file, k.source(), "unknown key " + Quote(k.str()), KeyHint(k.str(), kTopKeys));
    }
    if (const toml::node* v = file.root.get("version")) {
      if (!v->is_integer())
        return At(file, v->source(), "\"version\" must be an integer, not " + TypeName(*v));
      if (v->as_integer()->get() != 1)
        return At(file, v->source(), "unsupported policy version " + std::to_string(v->as_integer()->get()),
                  "this pwnbox reads version = 1");
    }
    if (const toml::node* v = file.root.get("default")) {
      if (!v->is_string())
        return At(file, v->source(), "\"default\" must be a string, not " + TypeName(*v),
                  "e.g. default = \"errno:EPERM\"");
      std::string hint;
      auto a = ParseAction(v->as_string()->get(), &hint);
      if (!a.ok()) return At(file, v->source(), a.error().message(), hint);
      if (a->kind != ActionKind::kAllow && a->kind != ActionKind::kErrno &&
          a->kind != ActionKind::kKill && a->kind != ActionKind::kKillThread &&
          a->kind != ActionKind::kTrap && a->kind != ActionKind::kLog)
        return At(file, v->source(),
                  "the default action cannot be \"" + v->as_string()->get() + "\"",
                  "use allow, deny, errno:NAME, kill, kill-thread, trap or log");
      if (!default_) default_ = *a;
    }
    if (const toml::node* v = file.root.get("options")) {
      PWNBOX_RETURN_IF_ERROR(ReadOptions(file, *v));
    }
    if (const toml::node* v = file.root.get("rule")) {
      if (!v->is_array_of_tables())
        return At(file, v->source(), "\"rule\" must be an array of tables ([[rule]]), not " + TypeName(*v),
                  "start each rule with a [[rule]] line");
      for (const toml::node& r : *v->as_array()) rules_.push_back({&file, r.as_table()});
    }
    if (const toml::node* v = file.root.get("include")) {
      if (!v->is_array())
        return At(file, v->source(), "\"include\" must be an array of strings, not " + TypeName(*v),
                  "e.g. include = [\"base.toml\"]");
      for (const toml::node& inc : *v->as_array()) {
        if (!inc.is_string())
          return At(file, inc.source(), "include entries must be strings, not " + TypeName(inc));
        const std::string& rel = inc.as_string()->get();
        fs::path dir = fs::path(path.empty() ? name : path).parent_path();
        fs::path target = fs::path(rel).is_absolute() ? fs::path(rel) : (dir / rel).lexically_normal();
        fs::path shown = fs::path(rel).is_absolute() ? fs::path(rel)
                                                     : (fs::path(name).parent_path() / rel).lexically_normal();
        std::error_code ec2;
        std::string canon = fs::weakly_canonical(target, ec2).string();
        if (ec2) canon = target.string();
        if (std::find(stack_.begin(), stack_.end(), canon) != stack_.end()) {
          std::string chain;
          size_t start = std::find(stack_.begin(), stack_.end(), canon) - stack_.begin();
          for (size_t i = start; i < display_stack_.size(); ++i) chain += display_stack_[i] + " -> ";
          chain += shown.string();
          return At(file, inc.source(), "include cycle: " + chain, "remove one of these includes");
        }
        // A file already read (a diamond: two includes share a base) is not read again: its
        // rules already come earlier, so under first-match a second copy could never decide a
        // call, and re-reading would make shared includes cost exponential time.
        if (loaded_.count(canon)) continue;
        if (stack_.size() >= kMaxIncludeDepth)
          return At(file, inc.source(),
                    "includes nested more than " + std::to_string(kMaxIncludeDepth) + " deep",
                    "flatten the include chain");
        if (files_.size() >= kMaxPolicyFiles)
          return At(file, inc.source(),
                    "more than " + std::to_string(kMaxPolicyFiles) + " policy files included",
                    "merge some of the included files");
        std::string text, why;
        int err = 0;
        if (!ReadBounded(target.string(), /*regular_only=*/true, &text, &why, &err))
          return At(file, inc.source(),
                    "cannot read include " + Quote(rel) + " (" + target.string() + ": " + why + ")",
                    err == 0 ? "an include must be a regular file of at most 1 MiB"
                        : "include paths are relative to the including file");
        total_bytes_ += text.size();
        if (total_bytes_ > kMaxTotalPolicyBytes)
          return At(file, inc.source(),
                    "the policy and its includes exceed " +
                        std::to_string(kMaxTotalPolicyBytes >> 20) + " MiB",
                    "merge or shorten the included files");
        std::pair<const SourceFile*, const toml::node*> origin{&file, &inc};
        PWNBOX_RETURN_IF_ERROR(ReadFile(std::move(text), shown.string(), target.string(), &origin));
      }
    }
    stack_.pop_back();
    display_stack_.pop_back();
    return core::Status::Ok();
  }

  core::Status ReadOptions(const SourceFile& file, const toml::node& v) {
    if (!v.is_table())
      return At(file, v.source(), "\"options\" must be a table, not " + TypeName(v), "write an [options] section");
    static const std::vector<std::string> kKeys = {"escalate", "abi", "io_uring"};
    for (auto&& [k, n] : *v.as_table()) {
      if (std::find(kKeys.begin(), kKeys.end(), k.str()) == kKeys.end())
        return At(file, k.source(), "unknown [options] key " + Quote(k.str()), KeyHint(k.str(), kKeys));
      if (k.str() == "escalate") {
        if (!n.is_string())
          return At(file, n.source(), "\"escalate\" must be a string, not " + TypeName(n), "escalate = \"notify\" or \"ptrace\"");
        const std::string& s = n.as_string()->get();
        Options::Escalate e;
        if (s == "notify") e = Options::Escalate::kNotify;
        else if (s == "ptrace") e = Options::Escalate::kPtrace;
        else return At(file, n.source(), "invalid escalate value " + Quote(s), "escalate = \"notify\" or \"ptrace\"");
        if (!escalate_) escalate_ = e;
      } else if (k.str() == "abi") {
        if (!n.is_array())
          return At(file, n.source(), "\"abi\" must be an array of strings, not " + TypeName(n), "e.g. abi = [\"x86_64\", \"i386\"]");
        std::vector<core::Abi> abis;
        for (const toml::node& a : *n.as_array()) {
          if (!a.is_string()) return At(file, a.source(), "abi entries must be strings, not " + TypeName(a));
          auto abi = core::AbiFromName(a.as_string()->get());
          if (!abi) return At(file, a.source(), "unknown abi " + Quote(a.as_string()->get()), "ABIs: \"x86_64\", \"i386\", \"x32\"");
          if (std::find(abis.begin(), abis.end(), *abi) == abis.end()) abis.push_back(*abi);
        }
        if (std::find(abis.begin(), abis.end(), core::Abi::kX86_64) == abis.end())
          return At(file, n.source(), "\"abi\" must include \"x86_64\"",
                    "pwnbox starts every program with x86_64 syscalls (execve); add \"x86_64\"");
        std::sort(abis.begin(), abis.end());
        if (!abi_) abi_ = abis;
      } else {
        if (!n.is_boolean())
          return At(file, n.source(), "\"io_uring\" must be a boolean, not " + TypeName(n), "io_uring = true or false");
        if (!io_uring_) io_uring_ = n.as_boolean()->get();
      }
    }
    return core::Status::Ok();
  }

  core::Result<Policy> Build() {
    Policy p;
    const SourceFile& top = *files_.front();
    p.source = top.name;
    for (const auto& f : files_) p.files.push_back(f->name);
    if (!default_)
      return core::Error(Block(top, 1, 1, "the policy has no \"default\" action",
                               "add a line such as default = \"errno:EPERM\" (or \"allow\")"));
    p.default_action = *default_;
    if (escalate_) p.options.escalate = *escalate_;
    if (abi_) p.options.abi = *abi_;
    if (io_uring_) p.options.io_uring = *io_uring_;
    for (const PendingRule& pr : rules_) {
      PWNBOX_ASSIGN_OR_RETURN(Rule r, BuildRule(*pr.file, *pr.table, p.options));
      p.rules.push_back(std::move(r));
    }
    return p;
  }

  // Resolves a syscall name written explicitly; "" and an error when it is not usable.
  core::Status CheckName(const SourceFile& f, const toml::node& n, const std::string& name,
                         const Options& opt) {
    if (core::SyscallNumber(name, core::Abi::kX86_64)) return core::Status::Ok();
    for (core::Abi abi : {core::Abi::kI386, core::Abi::kX32}) {
      if (core::SyscallNumber(name, abi)) {
        if (opt.HasAbi(abi)) return core::Status::Ok();
        return At(f, n.source(),
                  "syscall " + Quote(name) + " does not exist on x86_64 (only on " + std::string(core::AbiName(abi)) + ")",
                  "add \"" + std::string(core::AbiName(abi)) + "\" to options.abi, or remove it");
      }
    }
    auto sug = core::SuggestSyscalls(name);
    std::string msg = "unknown syscall " + Quote(name);
    if (!sug.empty()) msg += " (did you mean " + Quote(sug.front()) + "?)";
    std::string hint = sug.size() > 1 ? "close names: " + JoinQuoted(sug) : "";
    if (hint.empty()) hint = "`pwnbox groups` lists groups; syscall names are as in man 2 syscalls";
    return At(f, n.source(), msg, hint);
  }

  bool ExistsOnListedAbi(std::string_view name, const Options& opt) {
    for (core::Abi abi : opt.abi)
      if (core::SyscallNumber(name, abi)) return true;
    return false;
  }

  core::Result<Rule> BuildRule(const SourceFile& f, const toml::table& t, const Options& opt) {
    Rule r;
    r.file = f.name;
    r.line = static_cast<int>(t.source().begin.line);
    r.column = static_cast<int>(t.source().begin.column);
    static const std::vector<std::string> kKeys = {"syscalls", "args", "paths", "action", "value",
                                                   "to", "set", "backend", "log"};
    for (auto&& [k, v] : t) {
      if (std::find(kKeys.begin(), kKeys.end(), k.str()) == kKeys.end())
        return At(f, k.source(), "unknown rule key " + Quote(k.str()), KeyHint(k.str(), kKeys));
    }
    // action
    const toml::node* an = t.get("action");
    if (!an)
      return At(f, t.source(), "rule has no \"action\"",
                "add e.g. action = \"allow\" (or deny, errno:NAME, kill, trap, log, return, ...)");
    if (!an->is_string())
      return At(f, an->source(), "\"action\" must be a string, not " + TypeName(*an), "e.g. action = \"allow\"");
    {
      std::string hint;
      auto a = ParseAction(an->as_string()->get(), &hint);
      if (!a.ok()) return At(f, an->source(), a.error().message(), hint);
      r.action = *a;
    }
    // syscalls
    const toml::node* sn = t.get("syscalls");
    if (!sn) return At(f, t.source(), "rule has no \"syscalls\"", "add e.g. syscalls = [\"read\", \"@file\"]");
    if (!sn->is_array())
      return At(f, sn->source(), "\"syscalls\" must be an array, not " + TypeName(*sn),
                "e.g. syscalls = [\"read\"]");
    if (sn->as_array()->empty())
      return At(f, sn->source(), "empty \"syscalls\" list: the rule would match nothing",
                "name at least one syscall, number or @group");
    const toml::node* pn = t.get("paths");
    bool has_paths = pn != nullptr;
    std::set<std::string> names;
    std::vector<std::pair<std::string, const toml::node*>> explicit_names;
    for (const toml::node& e : *sn->as_array()) {
      std::string name;
      if (e.is_integer()) {
        int64_t nr = e.as_integer()->get();
        std::string_view nm = nr >= 0 && nr < 4096 ? core::SyscallName(static_cast<int>(nr), core::Abi::kX86_64)
                                                   : std::string_view();
        if (nm.empty())
          return At(f, e.source(), "unknown syscall number " + std::to_string(nr),
                    "numbers are x86_64 syscall numbers; prefer names");
        name = std::string(nm);
        r.syscalls_as_written.push_back(std::to_string(nr));
      } else if (e.is_string()) {
        name = e.as_string()->get();
        r.syscalls_as_written.push_back(name);
        if (name.empty()) return At(f, e.source(), "empty syscall name");
        if (name[0] == '@' || name[0] == '%') {
          const core::SyscallGroup* g = core::FindGroup(name);
          if (!g) {
            std::string best;
            size_t bd = 3;
            for (const auto& grp : core::Groups()) {
              size_t d = EditDistance(name.substr(1), grp.name);
              if (d < bd) {
                bd = d;
                best = "@" + std::string(grp.name);
              }
            }
            std::string hint = best.empty() ? "" : "did you mean \"" + best + "\"? ";
            return At(f, e.source(), "unknown group " + Quote(name), hint + "`pwnbox groups` lists them");
          }
          for (std::string_view m : g->members) {
            if (!ExistsOnListedAbi(m, opt)) continue;
            if (has_paths && !HasPathArg(m)) continue;  // a path rule can never match it
            // While options.io_uring is false the io_uring guard decides these before any
            // rule; a member the rule could never decide is left out (written out by ToToml,
            // it would be refused below as a name given explicitly).
            if (IsIoUring(m) && !opt.io_uring &&
                (r.action.kind == ActionKind::kAllow || !r.action.InKernel()))
              continue;
            names.insert(std::string(m));
          }
          continue;
        }
        bool digits = std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (digits) {
          std::string_view nm = name.size() < 5 ? core::SyscallName(std::stoi(name), core::Abi::kX86_64) : std::string_view();
          if (nm.empty()) return At(f, e.source(), "unknown syscall number " + name);
          name = std::string(nm);
        } else {
          PWNBOX_RETURN_IF_ERROR(CheckName(f, e, name, opt));
        }
      } else {
        return At(f, e.source(), "syscalls entries must be names, numbers or @groups, not " + TypeName(e));
      }
      if (IsIoUring(name) && !opt.io_uring &&
          (r.action.kind == ActionKind::kAllow || !r.action.InKernel()))
        return At(f, e.source(), Quote(name) + " is always denied while options.io_uring is false",
                  "io_uring operations bypass seccomp; set io_uring = true in [options] to allow it");
      explicit_names.push_back({name, &e});
      names.insert(name);
    }
    if (names.empty())
      return At(f, sn->source(), "no syscall of these groups can match this rule",
                has_paths ? "none of them takes a path argument" : "none exists on the listed ABIs");
    r.names.assign(names.begin(), names.end());
    for (const auto& n : r.names)
      if (auto nr = core::SyscallNumber(n, core::Abi::kX86_64)) r.syscalls.push_back(*nr);
    std::sort(r.syscalls.begin(), r.syscalls.end());
    // args
    if (const toml::node* cn = t.get("args")) {
      if (!cn->is_array())
        return At(f, cn->source(), "\"args\" must be an array of strings, not " + TypeName(*cn),
                  "e.g. args = [\"fd == 2\"]");
      for (const toml::node& c : *cn->as_array()) {
        if (!c.is_string())
          return At(f, c.source(), "conditions must be strings, not " + TypeName(c), "e.g. \"flags & O_CREAT == 0\"");
        auto res = ParseCondition(c.as_string()->get(), r.names);
        if (auto* err = std::get_if<ConditionError>(&res))
          return AtCol(f, c.source(), err->offset + 1, err->message, err->hint);
        r.args.push_back(std::get<Condition>(std::move(res)));
      }
    }
    // paths
    if (pn) {
      if (!pn->is_array())
        return At(f, pn->source(), "\"paths\" must be an array of strings, not " + TypeName(*pn),
                  "e.g. paths = [\"/etc/**\"]");
      for (const auto& [name, node] : explicit_names) {
        if (!HasPathArg(name))
          return At(f, node->source(), "syscall " + Quote(name) + " has no path argument, so \"paths\" can never match it",
                    "move it to a rule without paths");
      }
      if (pn->as_array()->empty())
        return At(f, pn->source(), "empty \"paths\" list: the rule would match nothing", "remove \"paths\" or list globs");
      for (const toml::node& p : *pn->as_array()) {
        if (!p.is_string()) return At(f, p.source(), "paths entries must be strings, not " + TypeName(p));
        const std::string& s = p.as_string()->get();
        if (s.empty() || s[0] != '/')
          return At(f, p.source(), "path pattern " + Quote(s) + " is not absolute",
                    "paths are matched against absolute, normalised paths: start with /");
        r.paths.push_back(s);
      }
    }
    // log
    if (const toml::node* ln = t.get("log")) {
      if (!ln->is_boolean()) return At(f, ln->source(), "\"log\" must be a boolean, not " + TypeName(*ln), "log = true");
      r.log = ln->as_boolean()->get();
    }
    // companions
    struct Companion {
      const char* key;
      ActionKind kind;
      const char* action;
      const char* example;
    };
    static const Companion kCompanions[] = {
        {"value", ActionKind::kReturn, "return", "value = 0"},
        {"to", ActionKind::kRedirect, "redirect", "to = \"/srv/fake/hostname\""},
        {"set", ActionKind::kModify, "modify", "set = { count = 1 }"},
        {"backend", ActionKind::kProxy, "proxy", "backend = \"unix:/run/pwnbox/proxy.sock\""}};
    for (const Companion& c : kCompanions) {
      const toml::node* n = t.get(c.key);
      if (n && r.action.kind != c.kind) {
        std::string k = c.key;
        const toml::key* key = nullptr;
        for (auto&& [kk, vv] : t)
          if (kk.str() == k) key = &kk;
        return At(f, key ? key->source() : n->source(),
                  Quote(k) + " is only for action " + Quote(c.action) + " (this rule's action is " +
                      Quote(an->as_string()->get()) + ")",
                  "remove it, or change the action");
      }
      if (!n && r.action.kind == c.kind)
        return At(f, an->source(), std::string("action \"") + c.action + "\" needs \"" + c.key + "\"",
                  std::string("add ") + c.example);
    }
    if (const toml::node* n = t.get("value")) {
      if (!n->is_integer()) return At(f, n->source(), "\"value\" must be an integer, not " + TypeName(*n), "e.g. value = 0");
      r.action.return_value = n->as_integer()->get();
    }
    if (const toml::node* n = t.get("to")) {
      if (!n->is_string()) return At(f, n->source(), "\"to\" must be a string, not " + TypeName(*n));
      r.action.to = n->as_string()->get();
      if (r.action.to.empty() || r.action.to[0] != '/')
        return At(f, n->source(), "redirect target " + Quote(r.action.to) + " is not an absolute path");
    }
    if (const toml::node* n = t.get("backend")) {
      if (!n->is_string()) return At(f, n->source(), "\"backend\" must be a string, not " + TypeName(*n));
      r.action.backend = n->as_string()->get();
      if (r.action.backend.empty()) return At(f, n->source(), "empty \"backend\"", "e.g. backend = \"unix:/run/pwnbox/proxy.sock\"");
    }
    if (const toml::node* n = t.get("set")) {
      if (!n->is_table())
        return At(f, n->source(), "\"set\" must be a table, not " + TypeName(*n), "e.g. set = { count = 1 }");
      if (n->as_table()->empty()) return At(f, n->source(), "empty \"set\": nothing to modify", "e.g. set = { count = 1 }");
      for (auto&& [k, v] : *n->as_table()) {
        // Reuse the condition parser to resolve the argument name.
        auto res = ParseCondition(std::string(k.str()) + " == 0", r.names);
        if (auto* err = std::get_if<ConditionError>(&res))
          return At(f, k.source(), err->message, err->hint);
        ArgAssignment as;
        as.arg = std::get<Condition>(res).arg;
        as.name = std::string(k.str());
        if (v.is_integer()) as.value = v.as_integer()->get();
        else if (v.is_string()) as.value = v.as_string()->get();
        else return At(f, v.source(), "set values must be integers or strings, not " + TypeName(v));
        for (const auto& o : r.action.set)
          if (o.arg == as.arg) return At(f, k.source(), "argument " + std::to_string(as.arg) + " is set twice");
        r.action.set.push_back(std::move(as));
      }
      std::sort(r.action.set.begin(), r.action.set.end(),
                [](const ArgAssignment& a, const ArgAssignment& b) { return a.arg < b.arg; });
    }
    return r;
  }

  std::vector<std::unique_ptr<SourceFile>> files_;
  std::set<std::string> loaded_;  // canonical paths of files_
  size_t total_bytes_ = 0;
  std::vector<std::string> stack_;
  std::vector<std::string> display_stack_;
  std::vector<PendingRule> rules_;
  std::optional<Action> default_;
  std::optional<Options::Escalate> escalate_;
  std::optional<std::vector<core::Abi>> abi_;
  std::optional<bool> io_uring_;
};

}  // namespace

core::Result<Policy> LoadPolicyFile(const std::string& path) {
  Loader l;
  return l.LoadFile(path);
}

core::Result<Policy> LoadPolicyString(std::string_view toml, const std::string& name) {
  Loader l;
  return l.LoadText(std::string(toml), name, "");
}

core::Result<Policy> BuiltinPolicy(std::string_view name) {
  if (name == "default") {
    Loader l;
    return l.LoadText(kDefaultPolicyToml, "<builtin default>", "");
  }
  return core::Error("unknown built-in policy \"" + std::string(name) + "\" (built-in: default)");
}

std::vector<std::string> BuiltinPolicyNames() { return {"default"}; }

}  // namespace pwnbox::config
