#include "recorder/diff.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <unordered_map>

namespace pwnbox::recorder {

bool ShortestEditScript(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b,
                        size_t max_d, std::vector<Edit>* out) {
  out->clear();
  const int64_t n = static_cast<int64_t>(a.size()), m = static_cast<int64_t>(b.size());
  const int64_t limit = std::min<int64_t>(n + m, static_cast<int64_t>(max_d));
  // v[k + off]: furthest x on diagonal k. trace holds v[-d..d] after each d (offset d*d).
  const int64_t off = limit + 1;
  std::vector<int64_t> v(2 * limit + 3, 0);
  std::vector<int32_t> trace;  // n, m < 2^31: the caller caps events
  int64_t found = -1;
  for (int64_t d = 0; d <= limit && found < 0; ++d) {
    for (int64_t k = -d; k <= d; k += 2) {
      int64_t x = (k == -d || (k != d && v[k - 1 + off] < v[k + 1 + off])) ? v[k + 1 + off]
                                                                          : v[k - 1 + off] + 1;
      int64_t y = x - k;
      while (x < n && y < m && a[x] == b[y]) ++x, ++y;
      v[k + off] = x;
      if (x >= n && y >= m) found = d;
    }
    for (int64_t k = -d; k <= d; ++k) trace.push_back(static_cast<int32_t>(v[k + off]));
  }
  if (found < 0) return false;
  int64_t x = n, y = m;
  for (int64_t d = found; d > 0; --d) {
    const int32_t* prev = trace.data() + (d - 1) * (d - 1) + (d - 1);  // prev[k], |k| < d
    int64_t k = x - y;
    bool down = k == -d || (k != d && prev[k - 1] < prev[k + 1]);
    int64_t pk = down ? k + 1 : k - 1;
    int64_t px = prev[pk], py = px - pk;
    while (x > px + (down ? 0 : 1) && y > py + (down ? 1 : 0)) {
      --x, --y;
      out->push_back({EditKind::kSame, static_cast<size_t>(x), static_cast<size_t>(y)});
    }
    if (down) out->push_back({EditKind::kInsert, kNoIndex, static_cast<size_t>(py)});
    else out->push_back({EditKind::kRemove, static_cast<size_t>(px), kNoIndex});
    x = px, y = py;
  }
  while (x > 0 && y > 0) {
    --x, --y;
    out->push_back({EditKind::kSame, static_cast<size_t>(x), static_cast<size_t>(y)});
  }
  std::reverse(out->begin(), out->end());
  return true;
}

namespace {

// Interns strings as small integers so that the alignment compares integers.
class Interner {
 public:
  uint32_t Id(const std::string& s) {
    auto [it, fresh] = ids_.try_emplace(s, static_cast<uint32_t>(ids_.size()));
    return it->second;
  }

 private:
  std::unordered_map<std::string, uint32_t> ids_;
};

// Pairs the removed and inserted calls of one run of differences by name.
void PairRun(const std::vector<CallSummary>& a, const std::vector<CallSummary>& b,
             const std::vector<size_t>& removed, const std::vector<size_t>& inserted,
             size_t max_edits, std::vector<Edit>* out) {
  Interner names;
  std::vector<uint32_t> na, nb;
  for (size_t i : removed) na.push_back(names.Id(a[i].name));
  for (size_t j : inserted) nb.push_back(names.Id(b[j].name));
  std::vector<Edit> script;
  if (removed.empty() || inserted.empty() || !ShortestEditScript(na, nb, max_edits, &script)) {
    for (size_t i : removed) out->push_back({EditKind::kRemove, i, kNoIndex});
    for (size_t j : inserted) out->push_back({EditKind::kInsert, kNoIndex, j});
    return;
  }
  for (const Edit& e : script) {
    switch (e.kind) {
      case EditKind::kSame:
        out->push_back({EditKind::kChange, removed[e.a], inserted[e.b]});
        break;
      case EditKind::kRemove:
        out->push_back({EditKind::kRemove, removed[e.a], kNoIndex});
        break;
      default:
        out->push_back({EditKind::kInsert, kNoIndex, inserted[e.b]});
        break;
    }
  }
}

}  // namespace

TaskAlignment AlignCalls(const std::vector<CallSummary>& a, const std::vector<CallSummary>& b,
                         size_t max_edits) {
  TaskAlignment r;
  size_t pre = 0;
  while (pre < a.size() && pre < b.size() && a[pre].key == b[pre].key) ++pre;
  size_t suf = 0;
  while (suf < a.size() - pre && suf < b.size() - pre &&
         a[a.size() - 1 - suf].key == b[b.size() - 1 - suf].key)
    ++suf;
  Interner keys;
  std::vector<uint32_t> ka, kb;
  for (size_t i = pre; i < a.size() - suf; ++i) ka.push_back(keys.Id(a[i].key));
  for (size_t j = pre; j < b.size() - suf; ++j) kb.push_back(keys.Id(b[j].key));

  std::vector<Edit> middle;
  for (size_t i = 0; i < pre; ++i) r.edits.push_back({EditKind::kSame, i, i});
  if (!ShortestEditScript(ka, kb, max_edits, &middle)) {
    r.too_different = true;
    for (size_t i = pre; i < a.size() - suf; ++i) r.edits.push_back({EditKind::kRemove, i, kNoIndex});
    for (size_t j = pre; j < b.size() - suf; ++j) r.edits.push_back({EditKind::kInsert, kNoIndex, j});
  } else {
    std::vector<size_t> removed, inserted;
    auto flush = [&] {
      PairRun(a, b, removed, inserted, max_edits, &r.edits);
      removed.clear();
      inserted.clear();
    };
    for (const Edit& e : middle) {
      if (e.kind == EditKind::kSame) {
        flush();
        r.edits.push_back({EditKind::kSame, e.a + pre, e.b + pre});
      } else if (e.kind == EditKind::kRemove) {
        removed.push_back(e.a + pre);
      } else {
        inserted.push_back(e.b + pre);
      }
    }
    flush();
  }
  for (size_t s = 0; s < suf; ++s)
    r.edits.push_back({EditKind::kSame, a.size() - suf + s, b.size() - suf + s});
  for (const Edit& e : r.edits) {
    if (e.kind == EditKind::kRemove) ++r.removed;
    else if (e.kind == EditKind::kInsert) ++r.inserted;
    else if (e.kind == EditKind::kChange) ++r.changed;
  }
  return r;
}

std::vector<Hunk> MakeHunks(const TaskAlignment& alignment, size_t context) {
  std::vector<Hunk> hunks;
  const auto& e = alignment.edits;
  for (size_t i = 0; i < e.size(); ++i) {
    if (e[i].kind == EditKind::kSame) continue;
    size_t begin = i >= context ? i - context : 0;
    size_t last = i;
    while (last + 1 < e.size() && e[last + 1].kind != EditKind::kSame) ++last;
    size_t end = std::min(e.size(), last + 1 + context);
    if (!hunks.empty() && begin <= hunks.back().end) hunks.back().end = end;
    else hunks.push_back({begin, end});
    i = last;
  }
  return hunks;
}

std::string NormaliseAddresses(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    bool boundary = i == 0 || !(std::isalnum(static_cast<unsigned char>(text[i - 1])) ||
                                text[i - 1] == '_');
    if (boundary && text[i] == '0' && i + 1 < text.size() && text[i + 1] == 'x') {
      size_t j = i + 2;
      while (j < text.size() && std::isxdigit(static_cast<unsigned char>(text[j]))) ++j;
      if (j - (i + 2) >= 5) {
        out += "0x?";
        i = j;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

}  // namespace pwnbox::recorder
