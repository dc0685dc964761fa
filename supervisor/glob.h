// pwnbox::supervisor::Glob: the path globs of policy `paths` rules, matched per component.
//
// Grammar (patterns and paths are absolute; both are split on "/"):
//   pattern   := ("/" component)* ["/"]
//   component := "**"            any number of whole components, including none
//              | item+
//   item      := "*"             any run of characters within one component (dot files too)
//              | "?"             one character
//              | "[" ["!"|"^"] ("]")? (char | char "-" char)* "]"   one character of a class
//              | "\" char        that character literally
//              | char            itself
// "**" only crosses components when it is a whole component; "a**b" is "a*b" (as gitignore).
// "/root/**" matches "/root" and everything under it; "/**" matches every path.
// Patterns are normalised lexically first (NormalizeLexically): "//" collapsed, "." removed,
// ".." folded, a trailing "/" dropped, so "/etc//./shadow/" is the pattern "/etc/shadow".
// An unterminated "[" is a literal "[".
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pwnbox::supervisor {

// Lexical normalisation of an absolute path: collapses "//", removes "." components, folds
// ".." against the previous component ("/.." is "/"), drops a trailing "/". Only correct
// where no symlink is involved (patterns written by the user); the paths of a target are
// canonicalised by ResolveTargetPath (path_resolver.h), which follows symlinks as the kernel
// does. A relative input is treated as if it started with "/".
std::string NormalizeLexically(std::string_view path);

// A compiled pattern: normalised and split once, matched many times without allocating.
class Glob {
 public:
  // Preconditions: `pattern` is absolute (starts with "/"); a relative pattern never matches.
  explicit Glob(std::string_view pattern);

  // True when `path` (absolute; empty and "." components are ignored, ".." is taken
  // literally: pass canonical paths) matches the whole pattern.
  bool Matches(std::string_view path) const;

  // The normalised pattern, e.g. "/root/**".
  const std::string& pattern() const { return normalised_; }

 private:
  struct Span {
    size_t pos;
    size_t len;
  };
  std::string normalised_;
  std::vector<Span> components_;  // into normalised_ (offsets: Glob stays copyable)
  bool valid_ = false;
};

// One-shot form of Glob(pattern).Matches(path).
bool GlobMatch(std::string_view pattern, std::string_view path);

}  // namespace pwnbox::supervisor
