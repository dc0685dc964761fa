// Render: a generated profile as pwnbox TOML (for people: sections and a comment per rule), an
// OCI seccomp profile, a C program using libseccomp, or a systemd [Service] fragment.
#include <algorithm>
#include <cstdio>
#include <set>

#include "filters/filters.h"
#include "filters/oci.h"
#include "profile/profile.h"

namespace pwnbox::profile {

namespace {

constexpr size_t kSystemdWidth = 100;

std::string Quote(std::string_view s) { return config::TomlString(s); }

// One comment line (control characters from file names would end the comment).
std::string Comment(std::string_view prefix, std::string_view text) {
  std::string out(prefix);
  for (char c : text) out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
  return out + "\n";
}

std::string List(const std::vector<std::string>& items, bool one_per_line) {
  std::string s = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (one_per_line) s += "\n  " + Quote(items[i]) + ",";
    else s += (i ? ", " : "") + Quote(items[i]);
  }
  return s + (one_per_line ? "\n]" : "]");
}

std::string SectionTitle(const std::string& group) {
  if (group == "other") return "other";
  const core::SyscallGroup* g = core::FindGroup(group);
  return g ? group + ": " + std::string(g->description) : group;
}

std::string RenderToml(const Generated& g) {
  const config::Policy& p = g.policy;
  std::string s;
  for (const auto& h : g.header) s += Comment("# ", h);
  if (!g.header.empty()) s += "\n";
  s += "version = 1\ndefault = " + Quote(p.default_action.ToString()) + "\n\n[options]\n";
  s += std::string("escalate = ") +
       (p.options.escalate == config::Options::Escalate::kNotify ? "\"notify\"" : "\"ptrace\"") + "\n";
  std::vector<std::string> abis;
  for (core::Abi a : p.options.abi) abis.emplace_back(core::AbiName(a));
  s += "abi = " + List(abis, false) + "\n";
  s += std::string("io_uring = ") + (p.options.io_uring ? "true" : "false") + "\n";
  std::string section;
  for (size_t k = 0; k < p.rules.size(); ++k) {
    const config::Rule& r = p.rules[k];
    if (k < g.rule_groups.size() && g.rule_groups[k] != section) {
      section = g.rule_groups[k];
      s += Comment("\n# ==== ", SectionTitle(section) + " ====");
    }
    s += "\n";
    if (k < g.rule_comments.size() && !g.rule_comments[k].empty()) s += Comment("# ", g.rule_comments[k]);
    s += "[[rule]]\nsyscalls = " + List(r.syscalls_as_written.empty() ? r.names : r.syscalls_as_written, false) + "\n";
    if (!r.args.empty()) {
      std::vector<std::string> conds;
      for (const auto& c : r.args) conds.push_back(c.text.empty() ? c.ToString() : c.text);
      s += "args = " + List(conds, false) + "\n";
    }
    if (!r.paths.empty()) s += "paths = " + List(r.paths, r.paths.size() > 3) + "\n";
    const config::Action& a = r.action;
    const std::string an = a.ToString();
    s += "action = " + Quote(an.substr(0, an.find(' '))) + "\n";
    switch (a.kind) {
      case config::ActionKind::kReturn: s += "value = " + std::to_string(a.return_value) + "\n"; break;
      case config::ActionKind::kRedirect: s += "to = " + Quote(a.to) + "\n"; break;
      case config::ActionKind::kProxy: s += "backend = " + Quote(a.backend) + "\n"; break;
      case config::ActionKind::kModify: {
        s += "set = { ";
        for (size_t i = 0; i < a.set.size(); ++i) {
          s += (i ? ", " : "") + std::string("arg") + std::to_string(a.set[i].arg) + " = ";
          if (const auto* v = std::get_if<int64_t>(&a.set[i].value)) s += std::to_string(*v);
          else s += Quote(std::get<std::string>(a.set[i].value));
        }
        s += " }\n";
        break;
      }
      default: break;
    }
    if (r.log) s += "log = true\n";
  }
  return s;
}

std::string_view FormatName(Format format) {
  switch (format) {
    case Format::kToml: return "toml";
    case Format::kOci: return "oci";
    case Format::kSystemd: return "systemd";
    case Format::kC: return "c";
  }
  return "?";
}

// Formats that cannot check paths (they have no supervisor) refuse path rules outright:
// dropping the paths would allow more than the profile says, failing them would break the run.
core::Status Expressible(Format format, bool paths, const config::Action& default_action) {
  if (paths && format != Format::kToml)
    return core::Error("the " + std::string(FormatName(format)) + " format cannot express path "
                       "rules (--paths); profile without --paths, or use --format toml");
  if (format == Format::kSystemd && default_action.kind != config::ActionKind::kErrno &&
      default_action.kind != config::ActionKind::kKill)
    return core::Error("systemd's SystemCallFilter= cannot express the default action \"" +
                       default_action.ToString() + "\"; use --default errno:NAME or kill");
  return core::Status::Ok();
}

bool HasPaths(const config::Policy& p) {
  return std::any_of(p.rules.begin(), p.rules.end(),
                     [](const config::Rule& r) { return !r.paths.empty(); });
}

core::Result<std::string> RenderC(const Generated& g) {
  PWNBOX_RETURN_IF_ERROR(Expressible(Format::kC, HasPaths(g.policy), g.policy.default_action));
  PWNBOX_ASSIGN_OR_RETURN(std::string c, filters::ExportC(g.policy));
  std::string s = "/*\n";
  for (const auto& h : g.header) {
    std::string line = h;
    for (size_t at; (at = line.find("*/")) != std::string::npos;) line.replace(at, 2, "* /");
    s += Comment(" * ", line);
  }
  return s + " */\n" + c;
}

core::Result<std::string> RenderOci(const Generated& g) {
  PWNBOX_RETURN_IF_ERROR(Expressible(Format::kOci, HasPaths(g.policy), g.policy.default_action));
  return filters::PolicyToOci(g.policy);
}

core::Result<std::string> RenderSystemd(const Generated& g) {
  const config::Policy& p = g.policy;
  PWNBOX_RETURN_IF_ERROR(Expressible(Format::kSystemd, HasPaths(p), p.default_action));
  std::string errno_line;  // none for kill: systemd kills the process by default
  if (p.default_action.kind == config::ActionKind::kErrno) {
    std::string_view name = core::ErrnoName(p.default_action.errno_value);
    errno_line = "SystemCallErrorNumber=" +
                 (name.empty() ? std::to_string(p.default_action.errno_value) : std::string(name)) + "\n";
  }
  std::set<std::string> names;
  std::set<std::string> narrowed;
  for (const auto& r : p.rules) {
    if (r.action.kind != config::ActionKind::kAllow || r.log)
      return core::Error("systemd's SystemCallFilter= can only allow; rule " + r.ToString() +
                         " cannot be expressed");
    names.insert(r.names.begin(), r.names.end());
    if (!r.args.empty()) narrowed.insert(r.names.begin(), r.names.end());
  }
  std::string s;
  for (const auto& h : g.header) s += Comment("# ", h);
  s += "[Service]\n";
  if (!narrowed.empty()) {
    std::string list;
    for (const auto& n : narrowed) list += (list.empty() ? "" : ", ") + n;
    s += Comment("# ", "systemd cannot check arguments: " + list + " are allowed with any arguments here");
  }
  // Several SystemCallFilter= lines are ORed together by systemd.
  std::string line;
  for (const auto& n : names) {
    if (!line.empty() && line.size() + 1 + n.size() > kSystemdWidth) {
      s += line + "\n";
      line.clear();
    }
    line += line.empty() ? "SystemCallFilter=" + n : " " + n;
  }
  if (!line.empty()) s += line + "\n";
  s += errno_line;
  std::string arches = "native";
  for (core::Abi a : p.options.abi) {
    if (a == core::Abi::kI386) arches += " x86";
    if (a == core::Abi::kX32) arches += " x32";
  }
  s += "SystemCallArchitectures=" + arches + "\n";
  return s;
}

}  // namespace

std::optional<Format> FormatFromName(std::string_view name) {
  if (name == "toml") return Format::kToml;
  if (name == "oci") return Format::kOci;
  if (name == "systemd") return Format::kSystemd;
  if (name == "c") return Format::kC;
  return std::nullopt;
}

core::Status CheckFormat(Format format, const Options& options) {
  return Expressible(format, options.paths, options.default_action);
}

core::Result<std::string> Render(const Generated& g, Format format) {
  switch (format) {
    case Format::kToml: return RenderToml(g);
    case Format::kOci: return RenderOci(g);
    case Format::kC: return RenderC(g);
    case Format::kSystemd: return RenderSystemd(g);
  }
  return core::Error("unknown output format");
}

}  // namespace pwnbox::profile
