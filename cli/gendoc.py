#!/usr/bin/env python3
"""Man pages and shell completions for pwnbox, made from its own --help texts.

    gendoc.py PWNBOX OUTDIR

runs the built PWNBOX (`--help`, `--version`, `COMMAND --help` for every command the top-level
help lists, `groups`) and writes

    OUTDIR/man/man1/pwnbox.1, OUTDIR/man/man1/pwnbox-COMMAND.1
    OUTDIR/completions/pwnbox        (bash; loaded on demand by bash-completion)
    OUTDIR/completions/_pwnbox       (zsh)

The help texts are the one source: a page says what `--help` says, laid out as a man page, and
the completions offer the commands and options `--help` lists, so neither can disagree with the
program. The --help layouts read here are the two pwnbox prints (cli/main.cc's top-level help and
Boost.Program_options' option tables with a "usage:" caption); anything else is kept as text.
"""

import os
import re
import subprocess
import sys

# ---- Reading the help texts -------------------------------------------------------------------


def run(pwnbox, *args):
    p = subprocess.run([pwnbox, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, check=False)
    if p.returncode != 0:
        sys.exit(f"gendoc: `pwnbox {' '.join(args)}` exited {p.returncode}: {p.stderr.strip()}")
    return p.stdout


def sections(text):
    """Top-level help: the title line, then "name:" headings at column 0 with indented bodies."""
    lines = text.rstrip("\n").split("\n")
    title = lines[0]
    out, name = {}, None
    for line in lines[1:]:
        m = re.match(r"^([a-z][a-z ]*):$", line)
        if m:
            name = m.group(1)
            out[name] = []
        elif name is not None:
            out[name].append(line)
    for name in out:
        while out[name] and not out[name][-1].strip():
            out[name].pop()
    return title, out


def entries(body):
    """"  NAME  description" lines (with indented continuation lines) -> [(NAME, text)]."""
    out = []
    for line in body:
        m = re.match(r"^  (\S(?:.*?\S)?)  +(\S.*)$", line)
        if m and not line.startswith("   "):
            out.append([m.group(1), m.group(2)])
        elif out and line.strip():
            out[-1][1] += " " + line.strip()
    return [tuple(e) for e in out]


# "  -o [ --output ] arg (=x) text", "  --policy arg   text", "  -n arg   text", "  --regs "
OPTION = re.compile(r"^  (?:(-\w) \[ (--[\w-]+) \]|(--[\w-]+)|(-\w))"
                    r"( arg)?( \(=[^)]*\))?(?: +(\S.*))?\s*$")


class Option:
    def __init__(self, short, long, arg, default, text):
        self.short, self.long, self.arg, self.default, self.text = short, long, arg, default, text

    def names(self):
        return [n for n in (self.short, self.long) if n]


class CommandHelp:
    """One `pwnbox COMMAND --help`: usage lines, description, option table, text after it."""

    def __init__(self, name, text):
        self.name = name
        self.text = text
        self.usage, self.description, self.options, self.after = [], [], [], []
        lines = text.rstrip("\n").split("\n")
        i = 0
        if lines and lines[0].startswith("usage: "):
            self.usage.append(lines[0][len("usage: "):])
            i = 1
            while i < len(lines) and lines[i].startswith("   ") and not OPTION.match(lines[i]):
                self.usage.append(lines[i][len("usage: "):])  # aligned under "pwnbox"
                i += 1
        # Boost prints the caption, ":" and then the table; run's caption ends in its own
        # "pwnbox run options" line.
        while i < len(lines) and not OPTION.match(lines[i]):
            if not re.match(r"^pwnbox \w+ options:$", lines[i]):
                self.description.append(lines[i])
            i += 1
        while self.description and not self.description[0].strip():
            self.description.pop(0)
        if self.options_follow(lines, i) and self.description:
            self.description[-1] = re.sub(r":$", ".", self.description[-1])
        while i < len(lines):
            m = OPTION.match(lines[i])
            if m:
                self.options.append(Option(m.group(1) or m.group(4), m.group(2) or m.group(3),
                                           bool(m.group(5)),
                                           m.group(6)[3:-1] if m.group(6) else None,
                                           (m.group(7) or "").strip()))
            elif self.options and lines[i].startswith("    ") and not self.after:
                self.options[-1].text = (self.options[-1].text + " " + lines[i].strip()).strip()
            else:
                self.after = lines[i:]
                break
            i += 1

    @staticmethod
    def options_follow(lines, i):
        return i < len(lines) and OPTION.match(lines[i]) is not None

    def usage_options(self):
        """Options the usage lines name that the table does not: "-tt", "--snapshots=", ..."""
        found = []
        for line in self.usage:
            for m in re.finditer(r"(?<![\w-])(--?[A-Za-z][\w-]*)(\[?=)?", line):
                name = m.group(1) + ("=" if m.group(2) else "")
                if name not in found:
                    found.append(name)
        return found

    def optional_values(self):
        """Options whose value is optional and comes only after '=' ("--snapshots[=EVERY]")."""
        return {m.group(1) for line in self.usage
                for m in re.finditer(r"(--[\w-]+)\[=", line)}

    def value_options(self):
        """Every spelling of an option that takes a value."""
        out = set()
        for o in self.options:
            if o.arg:
                out.update(o.names())
        out -= self.optional_values()
        for line in self.usage:  # "-o FILE", "-s N", "-p PID", "-e trace=SET"
            for m in re.finditer(r"(?<![\w-])(--?[A-Za-z][\w-]*) [A-Z][\w.=]*", line):
                out.add(m.group(1))
        return out

    def flags(self):
        """Every spelling of every option, table first, then the usage lines' own."""
        out = []
        for o in self.options:
            out += o.names()
        for n in self.usage_options():
            if n not in out and n.rstrip("=") not in out:
                out.append(n)
        return out


# ---- Man pages --------------------------------------------------------------------------------


def roff(text):
    """Text as roff: backslashes and dashes escaped, no line starting with a control char."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(("\\&" + l if l.startswith((".", "'")) else l) for l in text.split("\n"))


def paragraphs(lines):
    """Help text as roff: blank lines separate paragraphs, indented lines stay as laid out."""
    out, block, literal = [], [], None

    def flush():
        if block:
            if literal:
                out.extend([".PP", ".RS 2", ".nf", roff("\n".join(block)), ".fi", ".RE"])
            else:
                out.extend([".PP", roff(" ".join(l.strip() for l in block))])
            block.clear()

    for line in lines:
        if not line.strip():
            flush()
            continue
        is_literal = line.startswith("  ")
        if block and is_literal != literal:
            flush()
        literal = is_literal
        block.append(line)
    flush()
    return out


def header(title, name, version):
    return [f'.\\" Generated by cli/gendoc.py from `{name} --help`; do not edit.',
            f'.TH "{roff(title.upper())}" "1" "" "pwnbox {version}" "pwnbox manual"',
            ".nh", ".ad l"]


def option_item(o):
    spellings = ", ".join(f"\\fB{roff(n)}\\fR" for n in o.names())
    if o.arg:
        spellings += " \\fIarg\\fR"
    if o.default is not None:
        spellings += f" (default: {roff(o.default)})"
    return [".TP", spellings] + ([roff(o.text)] if o.text else [])


def command_page(cmd, summary, version):
    out = header(f"pwnbox-{cmd.name}", f"pwnbox {cmd.name}", version)
    out += [".SH NAME", f"pwnbox\\-{cmd.name} \\- {roff(summary)}", ".SH SYNOPSIS", ".nf"]
    out += [roff(l) for l in cmd.usage] + [".fi"]
    if any(l.strip() for l in cmd.description):
        out += [".SH DESCRIPTION"] + paragraphs(cmd.description)
    if cmd.options:
        out += [".SH OPTIONS"]
        for o in cmd.options:
            out += option_item(o)
    exit_at = next((i for i, l in enumerate(cmd.after) if l.lower().startswith("exit status")),
                   len(cmd.after))
    if any(l.strip() for l in cmd.after[:exit_at]):
        out += [".SH NOTES"] + paragraphs(cmd.after[:exit_at])
    if exit_at < len(cmd.after):
        status = cmd.after[exit_at:]
        status[0] = re.sub(r"^exit status:?\s*", "", status[0], flags=re.I)
        out += [".SH EXIT STATUS"] + paragraphs(status)
    out += [".SH SEE ALSO", "\\fBpwnbox\\fR(1)"]
    return "\n".join(out) + "\n"


def main_page(title, secs, commands, version):
    name, _, what = title.partition(": ")
    out = header("pwnbox", "pwnbox", version)
    out += [".SH NAME", f"{roff(name)} \\- {roff(what)}", ".SH SYNOPSIS", ".nf"]
    out += [roff(l[2:]) for l in secs.get("usage", []) if l.strip()] + [".fi"]
    out += [".SH COMMANDS"]
    for cmd, summary in commands:
        ref = f"\\fBpwnbox\\-{cmd}\\fR(1)" if cmd != "help" else "\\fBhelp\\fR"
        out += [".TP", ref, roff(summary)]
    out += [".SH OPTIONS"]
    for spell, text in entries(secs.get("options", [])):
        out += [".TP", ", ".join(f"\\fB{roff(s.strip())}\\fR" for s in spell.split(",")),
                roff(text)]
    for sec, body in secs.items():
        if sec in ("usage", "commands", "options"):
            continue
        out += [f".SH {roff(sec.upper())}"] + paragraphs([l.strip() for l in body])
    out += [".SH SEE ALSO"]
    out += [",\n".join(f"\\fBpwnbox\\-{c}\\fR(1)" for c, _ in commands if c != "help")]
    return "\n".join(out) + "\n"


# ---- Completions ------------------------------------------------------------------------------

# What the value of an option is, by its long name: a file kind (a glob), or a fixed list of
# words (taken from the option's own help text where it lists them).
FILE_KINDS = {
    "--policy": "*.toml", "--keep-recording": "*.pwnr", "--plot": "*.svg",
}
# Positional arguments: commands whose words are recordings, policies, commands to run, ...
POSITIONAL = {
    "show": "pwnr", "replay": "pwnr", "diff": "pwnr", "check": "policy", "compile": "policy",
    "convert": "policy", "profile": "file", "groups": "group", "help": "command",
    "run": "program", "trace": "program", "record": "program", "bench": "program",
    "learn": "program",
}


def word_lists(cmd):
    """Options whose value is one of the words their help lists ("toml, oci, systemd or c",
    "bpf|disasm|pfc|oci|c" in the usage line, bench's mode table)."""
    lists = {}
    for o in cmd.options:
        if not o.arg:
            continue
        words = None
        m = re.search(r"--format (\w+(?:\|\w+)+)", " ".join(cmd.usage))
        if o.long == "--format" and m:
            words = m.group(1).split("|")
        m2 = re.match(r"^([a-z]+(?:, [a-z]+)* or [a-z]+)\b", o.text)
        if o.long == "--format" and m2:
            words = re.split(r", | or ", m2.group(1))
        if o.long == "--default":
            m3 = re.search(r"errno:NAME \(default (errno:\w+)\), ([\w-]+(?:, [\w-]+)*) or (\w+)",
                           o.text)
            if m3:
                words = [m3.group(1)] + m3.group(2).split(", ") + [m3.group(3)]
        if o.long == "--modes":
            words = [l.split()[0] for l in cmd.after if re.match(r"^  [a-z]+ ", l)]
        if words:
            for n in o.names():
                lists[n] = words
    return lists


def unique(words):
    return list(dict.fromkeys(words))


def sh_words(words):
    return " ".join(words)


def bash_completion(commands, helps, groups, version):
    names = [c for c, _ in commands]
    top = ["-h", "--help", "-V", "--version"]
    out = [f"# bash completion for pwnbox {version}. Generated by cli/gendoc.py from pwnbox's",
           "# --help texts; do not edit.",
           "",
           "_pwnbox_files() {  # _pwnbox_files [GLOB...]: directories and the files that match",
           "  local IFS=$'\\n' glob",
           "  compopt -o filenames 2>/dev/null",
           "  if (( $# == 0 )); then COMPREPLY+=($(compgen -f -- \"$cur\")); return; fi",
           "  COMPREPLY+=($(compgen -d -- \"$cur\"))",
           "  for glob; do COMPREPLY+=($(compgen -f -X \"!$glob\" -- \"$cur\")); done",
           "}",
           "",
           "_pwnbox() {",
           "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}",
           "  local cmd=run first=1 i w",
           "  COMPREPLY=()",
           f"  case ${{COMP_WORDS[1]}} in",
           f"    {'|'.join(names)}) cmd=${{COMP_WORDS[1]}}; first=2 ;;",
           "  esac",
           "  if (( COMP_CWORD == 1 )); then",
           "    if [[ $cur == -* ]]; then",
           f"      COMPREPLY=($(compgen -W '{sh_words(unique(top + helps['run'].flags()))}' -- \"$cur\"))",
           "    else",
           f"      COMPREPLY=($(compgen -W '{sh_words(names)}' -- \"$cur\"))",
           "    fi",
           "    return 0",
           "  fi",
           "  local opts= values= kind= words_for=",
           "  case $cmd in"]
    for c in names:
        if c not in helps:
            continue
        h = helps[c]
        out.append(f"    {c})")
        out.append(f"      opts='{sh_words(h.flags())}'")
        out.append(f"      values='{sh_words(sorted(h.value_options()))}'")
        out.append(f"      kind={POSITIONAL.get(c, 'file')}")
        lists = word_lists(h)
        if lists:
            out.append("      case $prev in")
            by_words = {}
            for n, words in lists.items():
                by_words.setdefault(tuple(words), []).append(n)
            for words, spell in by_words.items():
                out.append(f"        {'|'.join(spell)}) words_for='{sh_words(words)}' ;;")
            out.append("      esac")
        out.append("      ;;")
    out += ["  esac",
            "  # The command to run starts after \"--\" or at the first word that is not an option",
            "  # or an option's value: from there on, a program name, then its files.",
            "  local start=0",
            "  for (( i = first; i < COMP_CWORD; i++ )); do",
            "    w=${COMP_WORDS[i]}",
            "    if [[ $w == -- ]]; then start=$((i + 1)); break; fi",
            "    [[ $w == -* ]] && continue",
            "    [[ \" $values \" == *\" ${COMP_WORDS[i-1]} \"* && $i -gt $first ]] && continue",
            "    if [[ $kind == program ]]; then start=$i; break; fi",
            "  done",
            "  if (( start > 0 )); then",
            "    if (( COMP_CWORD == start )); then",
            "      COMPREPLY=($(compgen -c -- \"$cur\"))",
            "    else",
            "      _pwnbox_files",
            "    fi",
            "    return 0",
            "  fi",
            "  if [[ -n $words_for ]]; then",
            "    COMPREPLY=($(compgen -W \"$words_for\" -- \"$cur\"))",
            "    return 0",
            "  fi",
            "  if [[ \" $values \" == *\" $prev \"* ]]; then",
            "    case $prev in"]
    for opt, glob in FILE_KINDS.items():
        out.append(f"      {opt}) _pwnbox_files '{glob}' ;;")
    out += ["      -p|--attach) COMPREPLY=($(compgen -W \"$(cd /proc && echo [0-9]*)\" -- \"$cur\")) ;;",
            "      -o|--output)",
            "        case $cmd in",
            "          record) _pwnbox_files '*.pwnr' ;;",
            "          *) _pwnbox_files ;;",
            "        esac ;;",
            "      -n|-s|--string-limit|--snapshots|--at|--until|--timeout|--mem|-e|--expr) ;;",
            "      *) _pwnbox_files ;;",
            "    esac",
            "    return 0",
            "  fi",
            "  if [[ $cur == -* ]]; then",
            "    COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))",
            "    [[ ${#COMPREPLY[@]} == 1 && ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null",
            "    return 0",
            "  fi",
            "  case $kind in",
            "    pwnr) _pwnbox_files '*.pwnr' ;;",
            "    policy) _pwnbox_files '*.toml' '*.json' ;;",
            f"    group) COMPREPLY=($(compgen -W '{sh_words(groups)}' -- \"$cur\")) ;;",
            f"    command) COMPREPLY=($(compgen -W '{sh_words(names)}' -- \"$cur\")) ;;",
            "    program) COMPREPLY=($(compgen -c -- \"$cur\")) ;;",
            "    *) _pwnbox_files ;;",
            "  esac",
            "  return 0",
            "}",
            "complete -F _pwnbox pwnbox"]
    return "\n".join(out) + "\n"


def zsh_quote(s):
    return s.replace("\\", "\\\\").replace("'", "'\\''").replace("[", "\\[").replace(
        "]", "\\]").replace(":", "\\:")


def zsh_action(cmd, name, lists):
    if name in lists:
        words = " ".join(w.replace(":", "\\:") for w in lists[name])  # errno:EPERM
        return f":value:({words})"
    long = name if name.startswith("--") else None
    for o in cmd.options:
        if name in o.names():
            long = o.long
    if long in FILE_KINDS:
        return f":file:_files -g \"{FILE_KINDS[long]}(-.)\""
    if long == "--attach" or name == "-p":
        return ":pid:_pids"
    if long in ("--output", "--log") or name == "-o":
        return ":file:_files"
    return ":value: "


def zsh_completion(commands, helps, groups, version):
    out = ["#compdef pwnbox",
           f"# zsh completion for pwnbox {version}. Generated by cli/gendoc.py from pwnbox's",
           "# --help texts; do not edit.",
           "",
           "_pwnbox_commands() {",
           "  local -a cmds",
           "  cmds=("]
    for c, summary in commands:
        out.append(f"    '{c}:{zsh_quote(summary)}'")
    out += ["  )", "  _describe -t commands 'pwnbox command' cmds", "}", ""]
    positional = {
        "pwnr": "'*:recording:_files -g \"*.pwnr(-.)\"'",
        "policy": "'*:policy:_files -g \"*.(toml|json)(-.)\"'",
        "file": "'*:file:_files'",
        "group": f"'*:group:({' '.join(groups)})'",
        "program": "'(-)1:command:_command_names -e' '*::arguments:_normal'",
        "command": "'1:command:_pwnbox_commands'",
    }
    for c, _ in commands:
        if c not in helps:
            continue
        h = helps[c]
        lists = word_lists(h)
        specs = []
        for o in h.options:
            action = zsh_action(h, o.long or o.short, lists) if o.arg else ""
            desc = zsh_quote(o.text or o.long or o.short)
            if len(o.names()) == 2:
                excl = " ".join(o.names())
                specs.append(f"'({excl})'{{{','.join(o.names())}}}'[{desc}]{action}'")
            else:
                specs.append(f"'{o.names()[0]}[{desc}]{action}'")
        for n in h.usage_options():
            if any(n.rstrip("=") in o.names() for o in h.options):
                continue
            spec = n + ("-" if n.endswith("=") else "")
            specs.append(f"'{spec}[see pwnbox-{c}(1)]'")
        specs.append(positional[POSITIONAL.get(c, "file")])
        out.append(f"_pwnbox_{c}() {{")
        out.append("  _arguments -s -S \\")
        out += [f"    {s} \\" for s in specs[:-1]] + [f"    {specs[-1]}", "}", ""]
    out += ["_pwnbox() {",
            "  local curcontext=$curcontext",
            "  if (( CURRENT == 2 )); then",
            "    if [[ $PREFIX == -* ]]; then",
            "      local -a top=('-h:show the help' '--help:show the help'",
            "                    '-V:print the version' '--version:print the version')",
            "      _describe -t options 'pwnbox option' top",
            "      _pwnbox_run  # `pwnbox --policy FILE -- CMD` is run",
            "    else",
            "      _pwnbox_commands",
            "    fi",
            "    return",
            "  fi",
            "  local cmd=$words[2]",
            "  if (( $+functions[_pwnbox_$cmd] )); then",
            "    shift words; (( CURRENT-- ))",
            "    curcontext=${curcontext%:*:*}:pwnbox-$cmd:",
            "    _pwnbox_$cmd",
            "  else",
            "    _pwnbox_run",
            "  fi",
            "}",
            "",
            "_pwnbox \"$@\""]
    return "\n".join(out) + "\n"


# ---- Main -------------------------------------------------------------------------------------


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: gendoc.py PWNBOX OUTDIR")
    pwnbox, outdir = sys.argv[1], sys.argv[2]
    version = run(pwnbox, "--version").split()[-1]
    title, secs = sections(run(pwnbox, "--help"))
    commands = entries(secs.get("commands", []))
    if not commands:
        sys.exit("gendoc: `pwnbox --help` has no \"commands:\" section")
    helps = {c: CommandHelp(c, run(pwnbox, c, "--help")) for c, _ in commands if c != "help"}
    helps["help"] = CommandHelp("help", "usage: pwnbox help [COMMAND]\n")
    groups = [l.split()[0] for l in run(pwnbox, "groups").splitlines() if l.startswith("@")]
    man = os.path.join(outdir, "man", "man1")
    if os.path.isdir(man):  # a command that went away takes its page with it
        for f in os.listdir(man):
            if f.startswith("pwnbox") and f.endswith(".1"):
                os.remove(os.path.join(man, f))
    write(os.path.join(man, "pwnbox.1"), main_page(title, secs, commands, version))
    for c, summary in commands:
        if c != "help":
            write(os.path.join(man, f"pwnbox-{c}.1"), command_page(helps[c], summary, version))
    write(os.path.join(outdir, "completions", "pwnbox"),
          bash_completion(commands, helps, groups, version))
    write(os.path.join(outdir, "completions", "_pwnbox"),
          zsh_completion(commands, helps, groups, version))


if __name__ == "__main__":
    main()
