#include "config/policy.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <sstream>

namespace pwnbox::config {
namespace {

std::string Hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
  return buf;
}

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}


bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace

bool Condition::Matches(uint64_t a) const {
  switch (op) {
    case Op::kEq: return a == value;
    case Op::kNe: return a != value;
    case Op::kLt: return a < value;
    case Op::kLe: return a <= value;
    case Op::kGt: return a > value;
    case Op::kGe: return a >= value;
    case Op::kMaskedEq: return (a & mask) == value;
  }
  return false;
}

std::string_view OpName(Condition::Op op) {
  switch (op) {
    case Condition::Op::kEq: return "==";
    case Condition::Op::kNe: return "!=";
    case Condition::Op::kLt: return "<";
    case Condition::Op::kLe: return "<=";
    case Condition::Op::kGt: return ">";
    case Condition::Op::kGe: return ">=";
    case Condition::Op::kMaskedEq: return "&==";
  }
  return "?";
}

std::string Condition::ToString() const {
  std::string a = "arg" + std::to_string(arg);
  if (op == Op::kMaskedEq) return a + " & " + Hex(mask) + " == " + Hex(value);
  return a + " " + std::string(OpName(op)) + " " + Hex(value);
}

std::string Action::ToString() const {
  switch (kind) {
    case ActionKind::kAllow: return "allow";
    case ActionKind::kErrno: {
      std::string_view n = core::ErrnoName(errno_value);
      return "errno:" + (n.empty() ? std::to_string(errno_value) : std::string(n));
    }
    case ActionKind::kKill: return "kill";
    case ActionKind::kKillThread: return "kill-thread";
    case ActionKind::kTrap: return "trap";
    case ActionKind::kLog: return "log";
    case ActionKind::kReturn: return "return " + std::to_string(return_value);
    case ActionKind::kRedirect: return "redirect " + to;
    case ActionKind::kModify: {
      std::string s = "modify";
      for (const auto& a : set) {
        s += " arg" + std::to_string(a.arg) + "=";
        if (const auto* i = std::get_if<int64_t>(&a.value)) s += std::to_string(*i);
        else s += TomlString(std::get<std::string>(a.value));
      }
      return s;
    }
    case ActionKind::kProxy: return "proxy " + backend;
  }
  return "?";
}

bool Action::InKernel() const {
  switch (kind) {
    case ActionKind::kAllow:
    case ActionKind::kErrno:
    case ActionKind::kKill:
    case ActionKind::kKillThread:
    case ActionKind::kTrap: return true;
    default: return false;
  }
}

bool Action::operator==(const Action& o) const {
  return kind == o.kind && errno_value == o.errno_value && return_value == o.return_value &&
         to == o.to && set == o.set && backend == o.backend;
}

std::string PortRange::ToString() const {
  return first == last ? std::to_string(first) : std::to_string(first) + "-" + std::to_string(last);
}

std::vector<PortRange> NormalizePorts(std::vector<PortRange> ranges) {
  std::sort(ranges.begin(), ranges.end(), [](const PortRange& a, const PortRange& b) {
    return a.first < b.first || (a.first == b.first && a.last < b.last);
  });
  std::vector<PortRange> out;
  for (const PortRange& r : ranges) {
    if (!out.empty() && static_cast<uint32_t>(r.first) <= static_cast<uint32_t>(out.back().last) + 1) {
      out.back().last = std::max(out.back().last, r.last);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

bool Rule::NeedsUserSpace() const {
  return !paths.empty() || !tcp_ports.empty() || when.has_value() || log || !action.InKernel();
}

std::string Rule::EscalationReason() const {
  std::vector<std::string> why;
  if (!paths.empty()) why.push_back("paths");
  if (!tcp_ports.empty()) why.push_back("tcp_ports (the socket and its address are in user space)");
  if (when) why.push_back("when = \"" + when->ToString() + "\" (only the supervisor counts calls)");
  if (!action.InKernel()) {
    std::string a = action.ToString();
    why.push_back("action " + a.substr(0, a.find(' ')));
  }
  if (log) why.push_back("log = true");
  return Join(why, ", ");
}

bool Rule::HasSyscall(std::string_view name) const {
  return std::binary_search(names.begin(), names.end(), name);
}

std::string Rule::Location() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::string Rule::ToString() const {
  std::vector<std::string> conds;
  for (const auto& c : args) conds.push_back(c.ToString());
  std::string s = "syscalls=[" + Join(names, ",") + "]";
  if (!conds.empty()) s += " args=[" + Join(conds, ", ") + "]";
  if (!paths.empty()) s += " paths=[" + Join(paths, ", ") + "]";
  if (!tcp_ports.empty()) {
    std::vector<std::string> ports;
    for (const auto& pr : tcp_ports) ports.push_back(pr.ToString());
    s += " tcp_ports=[" + Join(ports, ", ") + "]";
  }
  if (when) s += " when=" + when->ToString();
  if (log) s += " log";
  if (escalate) s += " escalate=" + std::string(EscalateName(*escalate));
  return s + " -> " + action.ToString();
}

std::optional<Options::Escalate> Rule::RequiredEscalate(std::string* why) const {
  if (action.kind == ActionKind::kModify) {
    if (why) *why = "action modify changes the arguments of a call that then runs: only the tracer can";
    return Options::Escalate::kPtrace;
  }
  if (!paths.empty() || action.kind == ActionKind::kRedirect || action.kind == ActionKind::kProxy) {
    if (why)
      *why = !paths.empty() ? "paths are emulated race-free from one read of the arguments"
             : action.kind == ActionKind::kProxy
                 ? "the backend's fd and data reach the target through the notification"
                 : "redirect is emulated race-free";
    return Options::Escalate::kNotify;
  }
  // A report of a call that runs in the kernel must show its result, which only the tracer sees.
  if (action.kind == ActionKind::kLog || (action.kind == ActionKind::kAllow && log)) {
    if (why) *why = "a report of a call that runs needs its result: only the tracer sees it";
    return Options::Escalate::kPtrace;
  }
  return std::nullopt;
}

std::string_view EscalateName(Options::Escalate e) {
  return e == Options::Escalate::kNotify ? "notify" : "ptrace";
}

bool Options::HasAbi(core::Abi a) const { return std::find(abi.begin(), abi.end(), a) != abi.end(); }

std::string Policy::ToString() const {
  std::ostringstream os;
  os << "version " << version << "\ndefault " << default_action.ToString() << "\noptions escalate="
     << (options.escalate == Options::Escalate::kNotify ? "notify" : "ptrace") << " abi=";
  for (size_t i = 0; i < options.abi.size(); ++i)
    os << (i ? "," : "") << core::AbiName(options.abi[i]);
  os << " io_uring=" << (options.io_uring ? "true" : "false") << "\n";
  for (size_t i = 0; i < rules.size(); ++i) os << "rule " << i << ": " << rules[i].ToString() << "\n";
  return os.str();
}

bool IsIoUring(std::string_view name) {
  return std::find(std::begin(kIoUringSyscalls), std::end(kIoUringSyscalls), name) !=
         std::end(kIoUringSyscalls);
}

core::Result<Action> ParseAction(std::string_view text, std::string* hint) {
  Action a;
  auto set_hint = [&](std::string h) {
    if (hint) *hint = std::move(h);
  };
  if (text == "allow") return a;
  if (text == "deny") {
    a.kind = ActionKind::kErrno;
    a.errno_value = 1;  // EPERM
    return a;
  }
  if (text.substr(0, 6) == "errno:") {
    std::string_view e = text.substr(6);
    a.kind = ActionKind::kErrno;
    int n = 0;
    auto [p, ec] = std::from_chars(e.data(), e.data() + e.size(), n);
    if (!e.empty() && ec == std::errc() && p == e.data() + e.size()) {
      if (n < 0 || n > 4095) {
        set_hint("an errno number is between 0 and 4095");
        return core::Error("errno " + std::string(e) + " out of range");
      }
      a.errno_value = n;
      return a;
    }
    if (auto v = core::ErrnoFromName(e)) {
      a.errno_value = *v;
      return a;
    }
    set_hint("use an errno name such as EPERM, EACCES, ENOENT, or a number");
    return core::Error("unknown errno \"" + std::string(e) + "\"");
  }
  static const std::pair<std::string_view, ActionKind> kNames[] = {
      {"kill", ActionKind::kKill},         {"kill-process", ActionKind::kKill},
      {"kill-thread", ActionKind::kKillThread}, {"trap", ActionKind::kTrap},
      {"log", ActionKind::kLog},           {"return", ActionKind::kReturn},
      {"redirect", ActionKind::kRedirect}, {"modify", ActionKind::kModify},
      {"proxy", ActionKind::kProxy}};
  for (const auto& [n, k] : kNames) {
    if (text == n) {
      a.kind = k;
      return a;
    }
  }
  set_hint(
      "actions: allow, deny, errno:NAME, errno:N, kill, kill-thread, trap, log, return, "
      "redirect, modify, proxy");
  return core::Error("unknown action \"" + std::string(text) + "\"");
}

namespace {

struct Lexer {
  std::string_view s;
  size_t pos = 0;
  void SkipSpace() {
    while (pos < s.size() && std::isspace(static_cast<unsigned char>(s[pos]))) ++pos;
  }
  bool AtEnd() {
    SkipSpace();
    return pos >= s.size();
  }
};

// Parses "TERM (| TERM)*" at lex.pos.
bool ParseValue(Lexer& lex, uint64_t* out, ConditionError* err) {
  uint64_t v = 0;
  bool first = true;
  for (;;) {
    lex.SkipSpace();
    if (!first) {
      if (lex.pos >= lex.s.size() || lex.s[lex.pos] != '|') break;
      ++lex.pos;
      lex.SkipSpace();
    }
    first = false;
    size_t start = lex.pos;
    bool neg = false;
    if (start < lex.s.size() && lex.s[start] == '-') {
      neg = true;
      ++lex.pos;
    }
    size_t tok = lex.pos;
    while (lex.pos < lex.s.size() && IsIdentChar(lex.s[lex.pos])) ++lex.pos;
    std::string_view word = lex.s.substr(tok, lex.pos - tok);
    if (word.empty()) {
      err->offset = start;
      err->message = lex.pos >= lex.s.size() ? "missing value" : "expected a number or a constant";
      err->hint = "a value is a number (42, 0x2a, 0o52, -1) or constants joined by | (O_RDONLY|O_CLOEXEC)";
      return false;
    }
    uint64_t term = 0;
    if (std::isdigit(static_cast<unsigned char>(word[0]))) {
      int base = 10;
      std::string_view digits = word;
      if (word.size() > 2 && word[0] == '0' && (word[1] == 'x' || word[1] == 'X')) base = 16;
      else if (word.size() > 2 && word[0] == '0' && (word[1] == 'o' || word[1] == 'O')) base = 8;
      else if (word.size() > 2 && word[0] == '0' && (word[1] == 'b' || word[1] == 'B')) base = 2;
      if (base != 10) digits = word.substr(2);
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), term, base);
      if (ec != std::errc() || p != digits.data() + digits.size()) {
        err->offset = start;
        err->message = ec == std::errc::result_out_of_range
                           ? "number \"" + std::string(word) + "\" does not fit in 64 bits"
                           : "malformed number \"" + std::string(word) + "\"";
        err->hint = "numbers are decimal (42), hexadecimal (0x2a), octal (0o52) or binary (0b101)";
        return false;
      }
    } else {
      if (neg) {
        err->offset = start;
        err->message = "'-' applies to numbers only";
        return false;
      }
      auto c = core::ConstantValue(word);
      if (!c) {
        err->offset = tok;
        err->message = "unknown constant \"" + std::string(word) + "\"";
        auto sug = core::SuggestConstants(word);
        if (!sug.empty()) err->hint = "did you mean " + Join(sug, ", ") + "?";
        return false;
      }
      term = *c;
    }
    v |= neg ? uint64_t{0} - term : term;
  }
  *out = v;
  return true;
}

}  // namespace

std::variant<Condition, ConditionError> ParseCondition(std::string_view text,
                                                       const std::vector<std::string>& syscalls) {
  Lexer lex{text};
  ConditionError err;
  Condition c;
  c.text = std::string(text);
  lex.SkipSpace();
  size_t arg_pos = lex.pos;
  while (lex.pos < text.size() && IsIdentChar(text[lex.pos])) ++lex.pos;
  std::string_view arg = text.substr(arg_pos, lex.pos - arg_pos);
  if (arg.empty()) {
    err.offset = arg_pos;
    err.message = "condition does not start with an argument";
    err.hint = "write ARG OP VALUE, e.g. \"arg0 == 1\" or \"flags & O_CREAT == 0\"";
    return err;
  }
  if (arg.size() >= 4 && arg.substr(0, 3) == "arg" &&
      std::all_of(arg.begin() + 3, arg.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); })) {
    int idx = 0;
    std::from_chars(arg.data() + 3, arg.data() + arg.size(), idx);
    if (idx > 5 || arg.size() > 5) {
      err.offset = arg_pos;
      err.message = "argument index out of range: \"" + std::string(arg) + "\"";
      err.hint = "a syscall has six arguments, arg0 to arg5";
      return err;
    }
    c.arg = idx;
  } else {
    int found = -1;
    for (const auto& sc : syscalls) {
      auto idx = core::ArgIndex(sc, arg);
      if (!idx) {
        err.offset = arg_pos;
        err.message = "syscall \"" + sc + "\" has no argument \"" + std::string(arg) + "\"";
        const core::SyscallSig& sig = core::Signature(sc);
        std::vector<std::string> params;
        for (int i = 0; i < sig.nargs; ++i)
          params.push_back(std::string("arg") + std::to_string(i) + "=" + (sig.args[i].name ? sig.args[i].name : "?"));
        err.hint = params.empty() ? "\"" + sc + "\" takes no arguments"
                                  : "its arguments: " + Join(params, ", ") + "; or write argN";
        return err;
      }
      if (found >= 0 && *idx != found) {
        err.offset = arg_pos;
        err.message = "argument \"" + std::string(arg) + "\" is not at the same position in every syscall of the rule";
        err.hint = "split the rule, or write argN";
        return err;
      }
      found = *idx;
    }
    if (found < 0) {
      err.offset = arg_pos;
      err.message = "unknown argument \"" + std::string(arg) + "\"";
      err.hint = "write arg0..arg5";
      return err;
    }
    c.arg = found;
  }
  lex.SkipSpace();
  bool masked = false;
  if (lex.pos < text.size() && text[lex.pos] == '&') {
    ++lex.pos;
    if (!ParseValue(lex, &c.mask, &err)) return err;
    masked = true;
    lex.SkipSpace();
  }
  size_t op_pos = lex.pos;
  std::string_view rest = text.substr(lex.pos);
  static const std::pair<std::string_view, Condition::Op> kOps[] = {
      {"==", Condition::Op::kEq}, {"!=", Condition::Op::kNe}, {"<=", Condition::Op::kLe},
      {">=", Condition::Op::kGe}, {"<", Condition::Op::kLt},  {">", Condition::Op::kGt}};
  bool have_op = false;
  for (const auto& [s, op] : kOps) {
    if (rest.substr(0, s.size()) == s) {
      c.op = op;
      lex.pos += s.size();
      have_op = true;
      break;
    }
  }
  if (!have_op) {
    err.offset = op_pos;
    err.message = op_pos >= text.size() ? "missing comparison operator" : "expected a comparison operator";
    err.hint = "operators: == != < <= > >=, or ARG & MASK == VALUE";
    return err;
  }
  if (masked) {
    if (c.op != Condition::Op::kEq) {
      err.offset = op_pos;
      err.message = "only == can follow a mask";
      err.hint = "write ARG & MASK == VALUE";
      return err;
    }
    c.op = Condition::Op::kMaskedEq;
  }
  if (!ParseValue(lex, &c.value, &err)) return err;
  if (!lex.AtEnd()) {
    err.offset = lex.pos;
    err.message = "unexpected text after the condition";
    err.hint = "one condition per string; all conditions of a rule must hold";
    return err;
  }
  if (masked && (c.value & ~c.mask) != 0) {
    err.offset = arg_pos;
    err.message = "value has bits outside the mask: the condition can never hold";
    return err;
  }
  return c;
}

std::string Occurrence::ToString() const {
  std::string s = std::to_string(first);
  if (last == first) return s;
  if (last == kNoLast) return step == 1 ? s + ".." : s + "+" + std::to_string(step);
  s += ".." + std::to_string(last);
  if (step != 1) s += "+" + std::to_string(step);
  return s;
}

namespace {
constexpr const char* kOccurrenceForms =
    "write N (the N-th call), N..M, N.. (from N on), N..M+S or N+S (every S-th from N), "
    "counted from 1: when = \"3\", \"2..5\", \"1..9+2\"";
}  // namespace

std::variant<Occurrence, ConditionError> ParseOccurrence(std::string_view text) {
  size_t pos = 0;
  auto fail = [&](size_t at, std::string message, std::string hint = kOccurrenceForms) {
    return ConditionError{at, std::move(message), std::move(hint)};
  };
  // A decimal number at `pos`; nullopt (and `*err`) when there is none or it overflows.
  auto number = [&](const char* what,
                    std::optional<ConditionError>* err) -> std::optional<uint64_t> {
    const size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == start) {
      std::string got = start < text.size() ? "\"" + std::string(1, text[start]) + "\""
                                            : "the end";
      *err = fail(start, std::string("expected ") + what + " (a decimal number), found " + got);
      return std::nullopt;
    }
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(text.data() + start, text.data() + pos, v);
    (void)p;
    if (ec != std::errc()) {
      *err = fail(start, std::string(what) + " " + std::string(text.substr(start, pos - start)) +
                             " is too large", "occurrences are counted in 64 bits");
      return std::nullopt;
    }
    return v;
  };
  if (text.empty()) return fail(0, "empty \"when\": it would name no call");
  std::optional<ConditionError> err;
  Occurrence o;
  auto first = number("the first occurrence", &err);
  if (!first) return *err;
  if (*first == 0)
    return fail(0, "occurrences count from 1: 0 names no call",
                "the first matching call is 1 (when = \"1\")");
  o.first = *first;
  o.last = o.first;
  const bool range = text.substr(pos, 2) == "..";
  if (range) {
    pos += 2;
    o.last = Occurrence::kNoLast;
    if (pos < text.size() && text[pos] != '+') {
      const size_t at = pos;
      auto last = number("the last occurrence", &err);
      if (!last) return *err;
      if (*last < o.first)
        return fail(at, "empty range " + std::to_string(o.first) + ".." + std::to_string(*last) +
                            ": the last occurrence comes before the first",
                    "write FIRST..LAST with FIRST <= LAST (\"" + std::to_string(*last) + ".." +
                        std::to_string(o.first) + "\"), or FIRST.. for every call from FIRST on");
      o.last = *last;
    }
  }
  if (pos < text.size() && text[pos] == '+') {
    ++pos;
    if (!range) o.last = Occurrence::kNoLast;  // strace's N+ and N+S: from N on
    if (pos < text.size()) {
      const size_t at = pos;
      auto step = number("the step", &err);
      if (!step) return *err;
      if (*step == 0)
        return fail(at, "a step of 0 never advances",
                    "+1 takes every call, +2 every other one (when = \"1..9+2\": 1, 3, 5, 7, 9)");
      o.step = *step;
    }
  }
  if (pos < text.size())
    return fail(pos, "unexpected \"" + std::string(text.substr(pos)) + "\" in \"when\"");
  if (o.last == o.first) o.step = 1;  // one occurrence: the step changes nothing
  return o;
}

std::string ToToml(const Policy& policy, const std::vector<std::string>& header) {
  std::ostringstream os;
  for (const auto& h : header) os << "# " << h << "\n";
  os << "version = 1\ndefault = " << TomlString(policy.default_action.ToString()) << "\n\n";
  os << "[options]\nescalate = \""
     << (policy.options.escalate == Options::Escalate::kNotify ? "notify" : "ptrace")
     << "\"\nabi = [";
  for (size_t i = 0; i < policy.options.abi.size(); ++i)
    os << (i ? ", " : "") << TomlString(core::AbiName(policy.options.abi[i]));
  os << "]\nio_uring = " << (policy.options.io_uring ? "true" : "false") << "\n";
  for (const auto& r : policy.rules) {
    os << "\n[[rule]]\nsyscalls = [";
    for (size_t i = 0; i < r.names.size(); ++i) os << (i ? ", " : "") << TomlString(r.names[i]);
    os << "]\n";
    if (!r.args.empty()) {
      os << "args = [";
      for (size_t i = 0; i < r.args.size(); ++i) os << (i ? ", " : "") << TomlString(r.args[i].ToString());
      os << "]\n";
    }
    if (!r.paths.empty()) {
      os << "paths = [";
      for (size_t i = 0; i < r.paths.size(); ++i) os << (i ? ", " : "") << TomlString(r.paths[i]);
      os << "]\n";
    }
    if (!r.tcp_ports.empty()) {
      os << "tcp_ports = [";
      for (size_t i = 0; i < r.tcp_ports.size(); ++i) {
        const PortRange& pr = r.tcp_ports[i];
        os << (i ? ", " : "");
        if (pr.first == pr.last) os << pr.first;
        else os << TomlString(pr.ToString());
      }
      os << "]\n";
    }
    if (r.when) os << "when = " << TomlString(r.when->ToString()) << "\n";
    const Action& a = r.action;
    std::string an = a.ToString();
    os << "action = " << TomlString(an.substr(0, an.find(' '))) << "\n";
    switch (a.kind) {
      case ActionKind::kReturn: os << "value = " << a.return_value << "\n"; break;
      case ActionKind::kRedirect: os << "to = " << TomlString(a.to) << "\n"; break;
      case ActionKind::kProxy: os << "backend = " << TomlString(a.backend) << "\n"; break;
      case ActionKind::kModify: {
        os << "set = { ";
        for (size_t i = 0; i < a.set.size(); ++i) {
          os << (i ? ", " : "") << "arg" << a.set[i].arg << " = ";
          if (const auto* v = std::get_if<int64_t>(&a.set[i].value)) os << *v;
          else os << TomlString(std::get<std::string>(a.set[i].value));
        }
        os << " }\n";
        break;
      }
      default: break;
    }
    if (r.log) os << "log = true\n";
    if (r.escalate) os << "escalate = \"" << EscalateName(*r.escalate) << "\"\n";
  }
  return os.str();
}

std::string TomlString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace pwnbox::config
