#include "supervisor/glob.h"

namespace pwnbox::supervisor {
namespace {

// Matches one pattern item at c[i] against character ch; sets *next to the index after it.
bool MatchItem(std::string_view c, size_t i, char ch, size_t* next) {
  if (c[i] == '?') {
    *next = i + 1;
    return true;
  }
  if (c[i] == '\\' && i + 1 < c.size()) {
    *next = i + 2;
    return c[i + 1] == ch;
  }
  if (c[i] == '[') {
    size_t k = i + 1;
    bool negate = false;
    if (k < c.size() && (c[k] == '!' || c[k] == '^')) {
      negate = true;
      ++k;
    }
    size_t close = k;
    if (close < c.size() && c[close] == ']') ++close;  // "[]...]": the first ']' is literal
    while (close < c.size() && c[close] != ']') ++close;
    if (close < c.size()) {
      bool hit = false;
      for (size_t m = k; m < close; ++m) {
        if (m + 2 < close && c[m + 1] == '-') {
          unsigned char lo = c[m], hi = c[m + 2], x = ch;
          if (lo <= x && x <= hi) hit = true;
          m += 2;
        } else if (c[m] == ch) {
          hit = true;
        }
      }
      *next = close + 1;
      return hit != negate;
    }
    // Unterminated: a literal '['.
  }
  *next = i + 1;
  return c[i] == ch;
}

// Wildcard match of one component: '*' never sees a '/', since s holds none.
bool MatchComponent(std::string_view c, std::string_view s) {
  size_t i = 0, j = 0;
  size_t star = std::string_view::npos, mark = 0;
  while (j < s.size()) {
    if (i < c.size() && c[i] == '*') {
      while (i < c.size() && c[i] == '*') ++i;
      star = i;
      mark = j;
      continue;
    }
    size_t next;
    if (i < c.size() && MatchItem(c, i, s[j], &next)) {
      i = next;
      ++j;
      continue;
    }
    if (star == std::string_view::npos) return false;
    i = star;
    j = ++mark;
  }
  while (i < c.size() && c[i] == '*') ++i;
  return i == c.size();
}

// Skips separators and "." components; returns the start of the next component or size.
size_t SkipSeparators(std::string_view path, size_t p) {
  while (p < path.size()) {
    if (path[p] == '/') {
      ++p;
    } else if (path[p] == '.' && (p + 1 == path.size() || path[p + 1] == '/')) {
      ++p;
    } else {
      break;
    }
  }
  return p;
}

size_t ComponentEnd(std::string_view path, size_t p) {
  size_t e = path.find('/', p);
  return e == std::string_view::npos ? path.size() : e;
}

}  // namespace

std::string NormalizeLexically(std::string_view path) {
  std::string out;
  out.reserve(path.size() + 1);
  size_t p = 0;
  while (p < path.size()) {
    while (p < path.size() && path[p] == '/') ++p;
    if (p == path.size()) break;
    size_t e = ComponentEnd(path, p);
    std::string_view name = path.substr(p, e - p);
    p = e;
    if (name == ".") continue;
    if (name == "..") {
      size_t slash = out.rfind('/');
      out.resize(slash == std::string::npos ? 0 : slash);
      continue;
    }
    out += '/';
    out += name;
  }
  if (out.empty()) out.push_back('/');
  return out;
}

Glob::Glob(std::string_view pattern) : valid_(!pattern.empty() && pattern[0] == '/') {
  normalised_ = NormalizeLexically(pattern);
  size_t p = 1;
  while (p < normalised_.size()) {
    size_t e = ComponentEnd(normalised_, p);
    components_.push_back(Span{p, e - p});
    p = e + 1;
  }
}

bool Glob::Matches(std::string_view path) const {
  if (!valid_ || path.empty() || path[0] != '/') return false;
  const std::string_view pat(normalised_);
  auto comp = [&](size_t k) { return pat.substr(components_[k].pos, components_[k].len); };
  const size_t n = components_.size();
  size_t pi = 0;
  size_t p = 0;
  size_t star_pi = std::string_view::npos, star_p = 0;
  // The classic greedy wildcard algorithm, over components: "**" is the star.
  while (true) {
    p = SkipSeparators(path, p);
    if (p == path.size()) break;
    if (pi < n && comp(pi) == "**") {
      star_pi = pi++;
      star_p = p;
      continue;
    }
    size_t e = ComponentEnd(path, p);
    if (pi < n && MatchComponent(comp(pi), path.substr(p, e - p))) {
      ++pi;
      p = e;
      continue;
    }
    if (star_pi == std::string_view::npos) return false;
    pi = star_pi + 1;
    star_p = ComponentEnd(path, SkipSeparators(path, star_p));
    p = star_p;
  }
  while (pi < n && comp(pi) == "**") ++pi;
  return pi == n;
}

bool GlobMatch(std::string_view pattern, std::string_view path) {
  return Glob(pattern).Matches(path);
}

}  // namespace pwnbox::supervisor
