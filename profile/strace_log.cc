// ReadStraceLog: the calls of an strace log, for `pwnbox profile` (call.h).
//
// strace prints one line per call: an optional leader ("PID " with -f -o, "[pid N] " with -f to
// stderr, a -t/-tt/-ttt/-r timestamp, an -i "[ip]" or -n "[nr]" tag), then `name(args) = result`
// with an optional -T "<secs>" suffix. A call interrupted by another task's line is split into
// `name(args <unfinished ...>` and, later on the same task, `<... name resumed>args) = result`;
// the two halves are joined as text and parsed as one line. Argument text is decoded back to a
// value where it is a number, NULL, a named constant or an OR of those (strace's own spelling,
// with -X raw/verbose numbers and /* comments */ both accepted); structs, strings and arrays are
// not values, but pathname strings are kept as paths.
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/syscalls.h"
#include "profile/call.h"

namespace pwnbox::profile {
namespace {

constexpr std::string_view kWhatToGive =
    "give a .pwnr recording or `strace -f -o FILE` output";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  return s;
}

// ---- Lexing strace's argument text ------------------------------------------------------------

// End (one past) of the quoted string starting at s[i] == '"', including strace's "..." mark for
// a string cut at -s; npos when the quote is not closed.
size_t SkipString(std::string_view s, size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      ++i;
      if (s.substr(i, 3) == "...") i += 3;
      return i;
    }
  }
  return std::string_view::npos;
}

// End of the -y/-yy fd decoration starting at s[i] == '<': "3</etc/passwd>", "3<pipe:[123]>",
// "3<TCP:[1.2.3.4:5->6.7.8.9:10]>", "0</dev/null<char 1:3>>". strace escapes '<' and '>' in the
// path itself, so nesting only comes from its own brackets. npos when it does not close.
size_t SkipDecoration(std::string_view s, size_t i) {
  int angle = 0, square = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\') {
      ++i;
    } else if (c == '"') {
      size_t end = SkipString(s, i);
      if (end == std::string_view::npos) return end;
      i = end - 1;
    } else if (c == '[') {
      ++square;
    } else if (c == ']') {
      if (square > 0) --square;
    } else if (c == '<' && square == 0) {
      ++angle;
    } else if (c == '>' && square == 0) {
      if (--angle == 0) return i + 1;
    }
  }
  return std::string_view::npos;
}

struct ArgList {
  std::vector<std::string> args;  // top-level arguments, comments and decorations removed
  size_t end = 0;                 // index just past the closing ')' (npos when none)
};

// Splits the argument text that follows a call's '(' at its top-level commas, up to the ')'
// that closes the call. With `allow_open` a list with no closing ')' (the first half of an
// unfinished call) is accepted; otherwise it is an error.
core::Result<ArgList> SplitArgs(std::string_view s, bool allow_open) {
  ArgList out;
  std::string cur;
  std::vector<char> nest;  // open brackets
  auto push = [&] {
    out.args.emplace_back(Trim(cur));
    cur.clear();
  };
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') {
      size_t end = SkipString(s, i);
      if (end == std::string_view::npos) return core::Error("a quoted string is not closed");
      cur.append(s.substr(i, end - i));
      i = end - 1;
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      size_t end = s.find("*/", i + 2);
      if (end == std::string_view::npos) return core::Error("a /* comment */ is not closed");
      i = end + 1;
    } else if (c == '<' && i > 0 && IsIdentChar(s[i - 1])) {
      // An -y decoration follows the fd it names; anything else with '<' stays text.
      size_t end = SkipDecoration(s, i);
      if (end == std::string_view::npos) {
        cur += c;
      } else {
        i = end - 1;
      }
    } else if (c == '(' || c == '[' || c == '{') {
      nest.push_back(c == '(' ? ')' : c == '[' ? ']' : '}');
      cur += c;
    } else if (c == ')' || c == ']' || c == '}') {
      if (nest.empty()) {
        if (c != ')') return core::Error(std::string("unbalanced '") + c + "'");
        push();
        out.end = i + 1;
        // "name()" has no arguments, not one empty one.
        if (out.args.size() == 1 && out.args[0].empty()) out.args.clear();
        return out;
      }
      if (nest.back() != c) return core::Error(std::string("unbalanced '") + c + "'");
      nest.pop_back();
      cur += c;
    } else if (c == ',' && nest.empty()) {
      push();
    } else {
      cur += c;
    }
  }
  if (!allow_open) return core::Error("the argument list is not closed by ')'");
  if (!nest.empty()) return core::Error("an argument is cut off");
  push();
  // The first half ends "..., " (strace breaks between arguments): no argument after the comma.
  if (!out.args.empty() && out.args.back().empty()) out.args.pop_back();
  out.end = std::string_view::npos;
  return out;
}

// ---- Values -----------------------------------------------------------------------------------

std::optional<uint64_t> ParseNumber(std::string_view s) {
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  } else if (s.size() > 1 && s[0] == '0') {
    base = 8;  // modes: 0755
    s.remove_prefix(1);
  }
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (IsDigit(c)) {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    if (d >= base) return std::nullopt;
    v = v * base + d;
  }
  return neg ? uint64_t{0} - v : v;
}

std::optional<uint64_t> ParseExpr(std::string_view s);

// A character constant ('T', as in _IOR('T', 0x13, int)) or an expression.
std::optional<uint64_t> ParseIocField(std::string_view s) {
  s = Trim(s);
  if (s.size() == 3 && s[0] == '\'' && s[2] == '\'') return static_cast<uint8_t>(s[1]);
  return ParseExpr(s);
}

// strace's spelling of ioctl request numbers it has no name for: _IOC(dir, type, nr, size),
// and the _IO/_IOR/_IOW/_IOWR macros. <asm-generic/ioctl.h>: nr 8 bits, type 8, size 14, dir 2.
std::optional<uint64_t> ParseIoc(std::string_view s) {
  size_t open = s.find('(');
  if (open == std::string_view::npos || s.back() != ')') return std::nullopt;
  std::string_view macro = s.substr(0, open);
  auto list = SplitArgs(s.substr(open + 1), false);
  if (!list.ok() || list->end != s.size() - open - 1) return std::nullopt;
  const std::vector<std::string>& a = list->args;
  std::optional<uint64_t> dir;
  size_t first = 0;
  if (macro == "_IOC" && a.size() == 4) {
    dir = ParseExpr(a[0]);
    first = 1;
  } else if (macro == "_IO" && a.size() == 2) {
    dir = 0;
  } else if (macro == "_IOW" && a.size() == 3) {
    dir = 1;
  } else if (macro == "_IOR" && a.size() == 3) {
    dir = 2;
  } else if (macro == "_IOWR" && a.size() == 3) {
    dir = 3;
  }
  if (!dir) return std::nullopt;
  auto type = ParseIocField(a[first]);
  auto nr = ParseIocField(a[first + 1]);
  std::optional<uint64_t> size = uint64_t{0};
  if (a.size() > first + 2) size = ParseIocField(a[first + 2]);  // a type name: not a value
  if (!type || !nr || !size) return std::nullopt;
  return (*dir << 30) | ((*size & 0x3fff) << 16) | ((*type & 0xff) << 8) | (*nr & 0xff);
}

std::optional<uint64_t> ParseTerm(std::string_view t) {
  t = Trim(t);
  if (t.empty()) return std::nullopt;
  if (IsDigit(t[0]) || t[0] == '-' || t[0] == '+') return ParseNumber(t);
  if (t.starts_with("_IO")) {
    if (t == "_IOC_NONE") return 0;
    if (t == "_IOC_WRITE") return 1;
    if (t == "_IOC_READ") return 2;
    return ParseIoc(t);
  }
  if (!IsIdentStart(t[0])) return std::nullopt;
  for (char c : t) {
    if (!IsIdentChar(c)) return std::nullopt;
  }
  return core::ConstantValue(t);  // NULL, AT_FDCWD, O_*, SIG*, TCGETS, ...
}

// A number, a constant, or an OR of them ("O_RDONLY|O_CLOEXEC", "S_IFREG|0644"); nullopt for
// anything else (strings, structs, arrays, products such as 8192*1024).
std::optional<uint64_t> ParseExpr(std::string_view s) {
  s = Trim(s);
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  size_t start = 0;
  int depth = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i < s.size() && s[i] == '(') ++depth;
    if (i < s.size() && s[i] == ')') --depth;
    if (i == s.size() || (s[i] == '|' && depth == 0)) {
      auto term = ParseTerm(s.substr(start, i - start));
      if (!term) return std::nullopt;
      v |= *term;
      start = i + 1;
    }
  }
  return v;
}

// The C string strace printed ("..." with \" \\ \n \t \xNN \NNN escapes); nullopt when the
// text is not one complete string (NULL, an address, or cut at PATH_MAX with "...").
std::optional<std::string> Unquote(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return std::nullopt;
  std::string out;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    char c = s[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i + 1 >= s.size()) return std::nullopt;
    c = s[i];
    switch (c) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'v': out += '\v'; break;
      case 'f': out += '\f'; break;
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'x': {
        int v = 0, n = 0;
        while (n < 2 && i + 1 < s.size() - 1 && IsHex(s[i + 1])) {
          char h = s[++i];
          v = v * 16 + (IsDigit(h) ? h - '0' : (h | 0x20) - 'a' + 10);
          ++n;
        }
        if (n == 0) return std::nullopt;
        out += static_cast<char>(v);
        break;
      }
      default:
        if (c >= '0' && c <= '7') {
          int v = c - '0', n = 1;
          while (n < 3 && i + 1 < s.size() - 1 && s[i + 1] >= '0' && s[i + 1] <= '7') {
            v = v * 8 + (s[++i] - '0');
            ++n;
          }
          out += static_cast<char>(v);
        } else {
          out += c;  // \" \\ and anything strace may add
        }
    }
  }
  return out;
}

// ---- One call ---------------------------------------------------------------------------------

// strace's names for clone's parameters, mapped to the signature's (core/syscall_sigs.cc).
std::string_view CanonicalArgName(std::string_view name) {
  if (name == "child_stack") return "stack";
  if (name == "child_tidptr") return "child_tid";
  if (name == "parent_tidptr") return "parent_tid";
  if (name == "newtls") return "tls";
  return name;
}

// Index of a `name=value` argument in the raw registers. strace prints clone's arguments in its
// own order and by name; the raw order is the signature's, except that i386 passes tls before
// child_tid (the kernel's CONFIG_CLONE_BACKWARDS).
std::optional<int> NamedArgIndex(const Call& call, std::string_view name) {
  std::string_view canon = CanonicalArgName(name);
  if (call.abi == core::Abi::kI386 && call.name == "clone") {
    if (canon == "tls") return 3;
    if (canon == "child_tid") return 4;
  }
  return core::ArgIndex(call.name, canon);
}

// Splits "name=value" (clone's style) into its parts; `name` is empty for a plain argument.
void SplitNamed(std::string_view arg, std::string_view& name, std::string_view& value) {
  name = {};
  value = arg;
  size_t i = 0;
  if (arg.empty() || !IsIdentStart(arg[0]) || !std::islower(static_cast<unsigned char>(arg[0]))) {
    return;
  }
  while (i < arg.size() && IsIdentChar(arg[i])) ++i;
  if (i < arg.size() && arg[i] == '=' && (i + 1 == arg.size() || arg[i + 1] != '=')) {
    name = arg.substr(0, i);
    value = arg.substr(i + 1);
  }
}

void DecodeArgs(const std::vector<std::string>& args, Call& call) {
  const core::SyscallSig& sig = core::Signature(call.name);
  for (size_t pos = 0; pos < args.size(); ++pos) {
    std::string_view name, text;
    SplitNamed(args[pos], name, text);
    std::optional<int> idx = static_cast<int>(pos);
    if (!name.empty()) idx = NamedArgIndex(call, name);
    if (!idx || *idx < 0 || *idx >= 6) continue;
    int i = *idx;
    if (i < sig.nargs && sig.args[i].kind == core::ArgKind::kPath) {
      if (auto path = Unquote(text)) call.paths.push_back(std::move(*path));
    }
    if (text.empty() || text[0] == '"') continue;
    if (auto v = ParseExpr(text)) {
      // A 32-bit task's registers are 32 bits wide: -1 is 0xffffffff there.
      call.args[i] = call.abi == core::Abi::kI386 ? (*v & 0xffffffffu) : *v;
      call.known_args |= static_cast<uint8_t>(1u << i);
    }
  }
}

// The text after "= ": "0", "0x7f..", "-1 ENOENT (No such file or directory)", "?",
// "? ERESTARTSYS (...)", "3</etc/passwd> <0.000012>", "0 (Timeout)", "-1 (errno 2)" (-e raw).
std::optional<std::string> ParseResult(std::string_view r, Call& call) {
  r = Trim(r);
  if (r.starts_with("?")) {
    call.returned = false;
    return std::nullopt;
  }
  size_t n = 0;
  while (n < r.size() && (IsIdentChar(r[n]) || r[n] == '-')) ++n;
  auto v = ParseNumber(r.substr(0, n));
  if (!v) return "the result '" + std::string(r.substr(0, 40)) + "' is not a number";
  call.returned = true;
  call.ret = static_cast<int64_t>(*v);
  if (call.ret != -1) return std::nullopt;
  std::string_view rest = TrimLeft(r.substr(n));
  if (rest.starts_with("(errno ")) {
    auto err = ParseNumber(rest.substr(7, rest.find(')') - 7));
    if (err) call.ret = -static_cast<int64_t>(*err);
    return std::nullopt;
  }
  size_t e = 0;
  while (e < rest.size() && IsIdentChar(rest[e])) ++e;
  std::string_view ename = rest.substr(0, e);
  if (auto err = core::ErrnoFromName(ename)) {
    call.ret = -*err;
  } else if (ename.starts_with("ERRNO_")) {
    if (auto num = ParseNumber(ename.substr(6))) call.ret = -static_cast<int64_t>(*num);
  }
  return std::nullopt;
}

// Fills name, nr and abi from the name strace printed: "openat", or "syscall_0x1b4" /
// "syscall_436" for a number strace has no name for (libseccomp may have one).
void SetName(std::string_view name, core::Abi abi, Call& call) {
  call.abi = abi;
  call.name = std::string(name);
  call.nr = -1;
  if (name.starts_with("syscall_")) {
    if (auto nr = ParseNumber(name.substr(8)); nr && *nr < (uint64_t{1} << 31)) {
      call.nr = static_cast<int>(*nr);
      std::string_view known = core::SyscallName(call.nr, abi);
      if (!known.empty()) call.name = std::string(known);
      return;
    }
  }
  if (auto nr = core::SyscallNumber(name, abi)) call.nr = *nr;
}

// ---- Lines ------------------------------------------------------------------------------------

// What precedes the call text: the pid, timestamps, -i/-n tags.
struct Leader {
  int pid = 0;
  bool has_pid = false;
  std::string_view body;
};

bool IsTimestamp(std::string_view tok) {
  bool punct = false;
  for (char c : tok) {
    if (c == '.' || c == ':') {
      punct = true;
    } else if (!IsDigit(c)) {
      return false;
    }
  }
  return punct && IsDigit(tok.front());
}

// The pid at the start of `s` ("1234", or with -Y "1234<comm>"), and where it ends.
std::optional<int> LeadingPid(std::string_view s, size_t& end) {
  size_t n = 0;
  while (n < s.size() && IsDigit(s[n])) ++n;
  if (n == 0 || n > 9) return std::nullopt;
  int pid = static_cast<int>(*ParseNumber(s.substr(0, n)));
  if (n < s.size() && s[n] == '<') {
    size_t close = SkipDecoration(s, n);
    if (close == std::string_view::npos) return std::nullopt;
    n = close;
  }
  end = n;
  return pid;
}

Leader SplitLeader(std::string_view line) {
  Leader l;
  std::string_view s = TrimLeft(line);
  size_t end = 0;
  if (s.starts_with("[pid ")) {  // strace -f to stderr: "[pid  1234] ", "[pid 1234<comm>] "
    std::string_view inner = TrimLeft(s.substr(5));
    if (auto pid = LeadingPid(inner, end); pid && end < inner.size() && inner[end] == ']') {
      l.pid = *pid;
      l.has_pid = true;
      s = TrimLeft(inner.substr(end + 1));
    }
  } else if (auto pid = LeadingPid(s, end); pid && end < s.size() && IsSpace(s[end])) {
    l.pid = *pid;  // strace -f -o FILE: "1234  "
    l.has_pid = true;
    s = TrimLeft(s.substr(end));
  }
  for (;;) {
    size_t sp = s.find(' ');
    if (sp != std::string_view::npos && IsTimestamp(s.substr(0, sp))) {  // -t, -tt, -ttt, -r
      s = TrimLeft(s.substr(sp));
      continue;
    }
    if (s.starts_with("[")) {  // -i "[00007f1a60c3aad7]", -n "[ 59]"
      size_t close = s.find(']');
      std::string_view tag = close == std::string_view::npos ? "" : Trim(s.substr(1, close - 1));
      bool hexish = !tag.empty();
      for (char c : tag) hexish = hexish && (IsHex(c) || c == '?');
      if (hexish) {
        s = TrimLeft(s.substr(close + 1));
        continue;
      }
    }
    break;
  }
  l.body = s;
  return l;
}

// "[ Process PID=N runs in 32 bit mode. ]" (strace prints it to stderr, so only logs written
// there have it): the ABI the task's later calls use.
bool ParseModeSwitch(std::string_view body, int& pid, core::Abi& abi) {
  constexpr std::string_view kHead = "[ Process PID=";
  size_t at = body.find(kHead);
  if (at == std::string_view::npos) return false;
  std::string_view s = body.substr(at + kHead.size());
  size_t n = 0;
  while (n < s.size() && IsDigit(s[n])) ++n;
  auto p = ParseNumber(s.substr(0, n));
  if (!p) return false;
  s = s.substr(n);
  if (s.starts_with(" runs in 64 bit mode")) {
    abi = core::Abi::kX86_64;
  } else if (s.starts_with(" runs in 32 bit mode")) {
    abi = core::Abi::kI386;
  } else if (s.starts_with(" runs in x32 mode")) {
    abi = core::Abi::kX32;
  } else {
    return false;
  }
  pid = static_cast<int>(*p);
  return true;
}

bool IsForkLike(std::string_view name) {
  return name == "clone" || name == "clone3" || name == "fork" || name == "vfork";
}

class LogReader {
 public:
  LogReader(std::string path, const CallSink& sink) : path_(std::move(path)), sink_(sink) {}

  core::Status Line(std::string_view raw, size_t lineno);
  core::Status Finish();
  bool saw_call() const { return calls_ > 0; }

 private:
  // The first half of a call whose task was interrupted.
  struct Pending {
    Call call;         // name, nr, abi, pid
    std::string text;  // argument text after '('
    size_t line = 0;
  };

  core::Error LineError(size_t lineno, std::string_view why) const {
    // `why` may quote the log line: control characters are escaped (octal, as strace escapes),
    // so that a log holding terminal escapes cannot reach the terminal through the message
    // (found by tests/fuzz/strace_log_fuzz.cc).
    std::string safe;
    for (unsigned char c : why) {
      if (c >= 0x20 && c != 0x7f) {
        safe.push_back(static_cast<char>(c));
        continue;
      }
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%o", c);
      safe += buf;
    }
    return core::Error(path_ + ":" + std::to_string(lineno) + ": cannot parse strace line: " +
                       safe);
  }
  core::Abi AbiOf(int pid);
  void SwitchMode(int pid, core::Abi abi);
  void Emit(const Call& call);
  core::Status Complete(Call call, std::string_view text, size_t lineno);
  void Abandon(Pending p);
  std::map<int, Pending>::iterator OtherHalf(const Leader& l, std::string_view name);
  void FlushPid(int pid);
  core::Status Resumed(const Leader& l, size_t lineno);
  core::Status CallLine(const Leader& l, size_t lineno);

  std::string path_;
  const CallSink& sink_;
  uint64_t calls_ = 0;
  size_t lines_ = 0;
  bool summary_ = false;
  std::string carry_;  // a call's text cut by an strace message (see Line)
  std::unordered_map<int, core::Abi> abi_;
  std::map<int, Pending> pending_;
  int last_pid_ = -1;  // the task of the last call line (0: a line without a pid)
};

// "[ Process PID=N runs in 32 bit mode. ]": from then on task N's calls are of that ABI. In a
// log whose lines carry no pid (one task, no -f), the unprefixed task is N.
void LogReader::SwitchMode(int pid, core::Abi abi) {
  abi_[pid] = abi;
  if (last_pid_ == 0) abi_[0] = abi;
}

core::Abi LogReader::AbiOf(int pid) {
  if (auto it = abi_.find(pid); it != abi_.end()) return it->second;
  // A new task whose parent's fork is still unfinished: strace prints no mode line for the
  // child of a 32-bit task, which runs in its parent's mode.
  core::Abi abi = core::Abi::kX86_64;
  for (const auto& [ppid, p] : pending_) {
    if (IsForkLike(p.call.name) && p.call.abi != core::Abi::kX86_64) abi = p.call.abi;
  }
  abi_[pid] = abi;
  return abi;
}

void LogReader::Emit(const Call& call) {
  ++calls_;
  // The child of a fork inherits the parent's mode (see AbiOf).
  if (call.returned && call.ret > 0 && IsForkLike(call.name) && call.abi != core::Abi::kX86_64) {
    abi_.emplace(static_cast<int>(call.ret), call.abi);
  }
  sink_(call);
}

core::Status LogReader::Complete(Call call, std::string_view text, size_t lineno) {
  auto list = SplitArgs(text, false);
  if (!list.ok()) return LineError(lineno, list.error().message() + " in " + call.name + "()");
  std::string_view after = TrimLeft(text.substr(list->end));
  if (after.empty() || after[0] != '=') {
    return LineError(lineno, "no '= RESULT' after the arguments of " + call.name + "()");
  }
  if (auto err = ParseResult(after.substr(1), call)) return LineError(lineno, *err);
  DecodeArgs(list->args, call);
  Emit(call);
  return core::Status::Ok();
}

// A first half whose result never came (the task exited, was detached, or the log ends): the
// call is still one the run made.
void LogReader::Abandon(Pending p) {
  auto list = SplitArgs(p.text, true);
  if (list.ok()) DecodeArgs(list->args, p.call);
  p.call.returned = false;
  Emit(p.call);
}

void LogReader::FlushPid(int pid) {
  if (auto it = pending_.find(pid); it != pending_.end()) {
    Pending p = std::move(it->second);
    pending_.erase(it);
    Abandon(std::move(p));
  }
}

// The first half of a call that resumes on another task's line. strace -f to stderr prefixes a
// line with "[pid N]" only while more than one task is traced, so a call can start without a
// prefix and resume with one, or the other way round; and a thread's execve resumes in the
// thread-group leader's pid.
std::map<int, LogReader::Pending>::iterator LogReader::OtherHalf(const Leader& l,
                                                                 std::string_view name) {
  auto found = pending_.end();
  bool exec = name == "execve" || name == "execveat";
  for (auto j = pending_.begin(); j != pending_.end(); ++j) {
    if (j->second.call.name != name) continue;
    if (!l.has_pid || exec || j->first == 0) {
      if (found == pending_.end() || j->second.line > found->second.line) found = j;
    }
  }
  if (found != pending_.end() && found->first == 0) found->second.call.pid = l.pid;
  return found;
}

core::Status LogReader::Resumed(const Leader& l, size_t lineno) {
  // "<... NAME resumed>REST"
  std::string_view s = l.body.substr(5);
  size_t end = s.find(" resumed>");
  if (end == std::string_view::npos) return LineError(lineno, "'<...' without 'resumed>'");
  std::string_view name = s.substr(0, end);
  std::string_view rest = s.substr(end + 9);
  auto it = pending_.find(l.pid);
  if (it != pending_.end() && it->second.call.name != name) {
    FlushPid(l.pid);
    it = pending_.end();
  }
  if (it == pending_.end()) it = OtherHalf(l, name);
  if (it != pending_.end()) {
    Pending p = std::move(it->second);
    pending_.erase(it);
    std::string text = p.text + std::string(rest);
    return Complete(std::move(p.call), text, lineno);
  }
  // No first half (strace attached mid-call): the name and result, but not which argument
  // the resumed text starts at.
  Call call;
  call.pid = l.pid;
  SetName(name, AbiOf(l.pid), call);
  auto list = SplitArgs(rest, false);
  if (!list.ok()) return LineError(lineno, list.error().message() + " in " + call.name + "()");
  std::string_view after = TrimLeft(rest.substr(list->end));
  if (after.empty() || after[0] != '=') {
    return LineError(lineno, "no '= RESULT' after the arguments of " + call.name + "()");
  }
  if (auto err = ParseResult(after.substr(1), call)) return LineError(lineno, *err);
  Emit(call);
  return core::Status::Ok();
}

core::Status LogReader::CallLine(const Leader& l, size_t lineno) {
  std::string_view body = l.body;
  size_t open = body.find('(');
  Call call;
  call.pid = l.pid;
  SetName(body.substr(0, open), AbiOf(l.pid), call);
  FlushPid(l.pid);  // a task starts a call only once its previous one is over
  std::string_view text = body.substr(open + 1);
  for (std::string_view mark : {"<unfinished ...>", "<detached ...>"}) {
    if (!text.ends_with(mark)) continue;
    // The halves are checked once joined (Complete); a half that never resumes is decoded as
    // far as it goes (Abandon).
    Pending p{std::move(call), std::string(text.substr(0, text.size() - mark.size())), lineno};
    if (mark == "<detached ...>") {
      Abandon(std::move(p));
    } else {
      pending_[l.pid] = std::move(p);
    }
    return core::Status::Ok();
  }
  return Complete(std::move(call), text, lineno);
}

bool LooksLikeCall(std::string_view body) {
  size_t n = 0;
  while (n < body.size() && IsIdentChar(body[n])) ++n;
  return n > 0 && IsIdentStart(body[0]) && n < body.size() && body[n] == '(';
}

// With the log on stderr, strace's own messages ("strace: Process 12 attached") can land in the
// middle of a call's line; the call's text goes on on the next line.
std::optional<size_t> EmbeddedMessage(std::string_view line) {
  size_t at = line.rfind("strace: ");
  if (at == std::string_view::npos || Trim(line.substr(0, at)).empty()) return std::nullopt;
  std::string_view msg = Trim(line.substr(at + 8));
  int pid;
  core::Abi abi;
  bool attach = msg.starts_with("Process ") &&
                (msg.ends_with(" attached") || msg.ends_with(" detached"));
  if (attach || (msg.starts_with("[ Process PID=") && ParseModeSwitch(msg, pid, abi))) return at;
  return std::nullopt;
}

core::Status LogReader::Line(std::string_view raw, size_t lineno) {
  if (summary_) return core::Status::Ok();
  lines_ = lineno;
  std::string joined;
  std::string_view line = raw;
  if (!carry_.empty()) {
    joined = std::move(carry_) + std::string(raw);
    carry_.clear();
    line = joined;
  }
  if (auto at = EmbeddedMessage(line)) {
    std::string_view msg = line.substr(*at);
    carry_ = std::string(line.substr(0, *at));
    int pid;
    core::Abi abi;
    if (ParseModeSwitch(msg, pid, abi)) SwitchMode(pid, abi);
    return core::Status::Ok();
  }
  if (line.find('\0') != std::string_view::npos) {
    if (!saw_call()) {
      return core::Error(path_ + ": not an strace log (binary data); " + std::string(kWhatToGive));
    }
    return LineError(lineno, "binary data");
  }
  if (Trim(line).empty()) return core::Status::Ok();
  Leader l = SplitLeader(line);
  std::string_view body = Trim(l.body);
  l.body = body;
  int mode_pid;
  core::Abi mode_abi;
  if (ParseModeSwitch(body, mode_pid, mode_abi)) {
    SwitchMode(mode_pid, mode_abi);
    return core::Status::Ok();
  }
  if (body.starts_with("+++ ")) {  // "+++ exited with 0 +++", "+++ killed by SIGKILL +++"
    FlushPid(l.pid);
    abi_.erase(l.pid);  // the pid may be reused
    return core::Status::Ok();
  }
  if (body.starts_with("--- ") ||       // signals
      body.starts_with("strace: ") ||   // "Process N attached", warnings
      body.starts_with("> ") ||         // -k stack frames
      body == "<detached ...>") {
    return core::Status::Ok();
  }
  if (body.starts_with("% time")) {  // -C: the summary table ends the log
    summary_ = true;
    return core::Status::Ok();
  }
  if (body.starts_with("<... ")) {
    last_pid_ = l.pid;
    return Resumed(l, lineno);
  }
  if (LooksLikeCall(body)) {
    last_pid_ = l.pid;
    return CallLine(l, lineno);
  }
  if (!saw_call() && pending_.empty()) {
    return core::Error(path_ + ": not an strace log (line " + std::to_string(lineno) +
                       " is not a system call); " + std::string(kWhatToGive));
  }
  return LineError(lineno, "not a system call, signal or exit line (write the log with "
                           "`strace -o FILE` so the program's own output does not mix in)");
}

core::Status LogReader::Finish() {
  if (!carry_.empty()) {
    std::string last = std::move(carry_);
    PWNBOX_RETURN_IF_ERROR(Line(last, lines_));
  }
  // Calls that never resumed, in the order they started.
  std::vector<Pending> rest;
  for (auto& [pid, p] : pending_) rest.push_back(std::move(p));
  pending_.clear();
  std::sort(rest.begin(), rest.end(),
            [](const Pending& a, const Pending& b) { return a.line < b.line; });
  for (Pending& p : rest) Abandon(std::move(p));
  if (!saw_call()) {
    return core::Error(path_ + ": not an strace log (no system call lines found); " +
                       std::string(kWhatToGive));
  }
  return core::Status::Ok();
}

struct FileCloser {
  void operator()(FILE* f) const { fclose(f); }
};

}  // namespace

core::Status ReadStraceLog(const std::string& path, const CallSink& sink) {
  std::unique_ptr<FILE, FileCloser> f(fopen(path.c_str(), "re"));
  if (!f) return core::ErrnoError(errno, "cannot open " + path);
  struct stat st;
  if (fstat(fileno(f.get()), &st) != 0) return core::ErrnoError(errno, "cannot stat " + path);
  if (S_ISDIR(st.st_mode)) return core::Error("cannot read " + path + ": it is a directory");
  LogReader reader(path, sink);
  char* buf = nullptr;
  size_t cap = 0;
  size_t lineno = 0;
  bool any = false;
  core::Status status;
  for (;;) {
    errno = 0;
    ssize_t n = getline(&buf, &cap, f.get());
    if (n < 0) {
      if (errno != 0) status = core::ErrnoError(errno, "cannot read " + path);
      break;
    }
    any = true;
    std::string_view line(buf, static_cast<size_t>(n));
    if (line.ends_with('\n')) line.remove_suffix(1);
    status = reader.Line(line, ++lineno);
    if (!status.ok()) break;
  }
  free(buf);
  PWNBOX_RETURN_IF_ERROR(status);
  if (!any) return core::Error(path + ": empty file; " + std::string(kWhatToGive));
  return reader.Finish();
}

}  // namespace pwnbox::profile
