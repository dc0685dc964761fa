// ExploreReport's text tree and JSON document (explorer.h).
#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/decoder.h"
#include "explore/explorer.h"

namespace pwnbox::explore {
namespace {

std::string StatusText(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const std::string_view name = core::SignalName(WTERMSIG(status));
    return name.empty() ? "signal " + std::to_string(WTERMSIG(status)) : std::string(name);
  }
  return "?";
}

std::string Secs(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3fs", s);
  return buf;
}

// The points of run `parent` (0: the baseline, else a branch id) and their branches, each
// branch followed by the points inside it (--depth 2), drawn with `prefix` in front.
void AppendPoints(const ExploreReport& r, int parent, const std::string& prefix, std::string* t) {
  std::vector<const PointReport*> mine;
  for (const PointReport& p : r.points)
    if (p.parent == parent) mine.push_back(&p);
  for (size_t i = 0; i < mine.size(); ++i) {
    const PointReport& p = *mine[i];
    const bool last_point = i + 1 == mine.size();
    *t += prefix + (last_point ? "└─ " : "├─ ") + p.call + "  [pid " + std::to_string(p.pid) +
          ", " + (p.abi != "x86_64" ? p.abi + ", " : "") + p.selector + "]\n";
    const std::string indent = prefix + (last_point ? "   " : "│  ");
    if (!p.refused.empty()) *t += indent + "   not forked: " + p.refused + "\n";
    for (size_t j = 0; j < p.branches.size(); ++j) {
      const BranchReport& b = p.branches[j];
      const bool last = j + 1 == p.branches.size();
      *t += indent + (last ? "└─ " : "├─ ") + "#" + std::to_string(b.id) + " " + b.outcome +
            (b.rerun ? " (re-run)" : "") + ": " + std::string(VerdictName(b.verdict));
      if (b.verdict == Verdict::kNotRun) {
        *t += " (" + b.error + ")\n";
      } else if (b.verdict == Verdict::kPruned) {
        *t += " (" + b.pruned + (b.seconds > 0 ? ", " + Secs(b.seconds) : "") + ")\n";
      } else {
        *t += " (" +
              (b.verdict == Verdict::kHang ? std::string("killed at the timeout")
                                           : StatusText(b.wait_status)) +
              ", " + Secs(b.seconds);
        if (b.stdout_differs) *t += ", stdout differs";
        if (b.stderr_differs) *t += ", stderr differs";
        *t += ")";
        if (!b.note.empty()) *t += " [" + b.note + "]";
        if (!b.pruned.empty()) *t += " [pruned: " + b.pruned + "]";
        if (!b.repro.empty()) *t += "  repro: " + b.repro;
        *t += "\n";
      }
      AppendPoints(r, b.id, indent + (last ? "   " : "│  "), t);
    }
  }
}

}  // namespace

std::string ExploreReport::Text() const {
  std::string t = "baseline: " + StatusText(baseline_status) + " in " + Secs(baseline_seconds) +
                  (baseline_hung ? " (hung: killed at the timeout)" : "") + "\n";
  AppendPoints(*this, 0, "", &t);
  for (const std::string& s : unmatched) t += "selector " + s + ": matched no call\n";
  if (const int n = Pruned(); n > 0)
    t += std::to_string(n) + " branches pruned (their calls and state equal their parent's)\n";
  if (skipped_for_budget > 0)
    t += std::to_string(skipped_for_budget) + " branches not explored: --max-branches reached\n";
  return t;
}

std::string ExploreReport::Json() const {
  nlohmann::json j;
  j["baseline"] = {{"status", StatusText(baseline_status)},
                   {"exit", WIFEXITED(baseline_status) ? WEXITSTATUS(baseline_status) : -1},
                   {"signal", WIFSIGNALED(baseline_status) ? WTERMSIG(baseline_status) : 0},
                   {"seconds", baseline_seconds},
                   {"hung", baseline_hung}};
  j["points"] = nlohmann::json::array();
  for (const PointReport& p : points) {
    nlohmann::json jp = {
        {"parent", p.parent},   {"depth", p.depth}, {"selector", p.selector},    {"call", p.call},
        {"syscall", p.syscall}, {"pid", p.pid},     {"occurrence", p.occurrence}};
    jp["abi"] = p.abi;
    if (!p.path.empty()) jp["path"] = p.path;
    if (p.fd >= 0) jp["fd"] = p.fd;
    if (!p.refused.empty()) jp["refused"] = p.refused;
    jp["branches"] = nlohmann::json::array();
    for (const BranchReport& b : p.branches) {
      nlohmann::json jb = {{"id", b.id},
                           {"outcome", b.outcome},
                           {"classification", std::string(VerdictName(b.verdict))}};
      if (b.verdict == Verdict::kNotRun) {
        jb["error"] = b.error;
      } else if (b.verdict == Verdict::kPruned) {
        jb["seconds"] = b.seconds;
      } else {
        const int s = b.wait_status;
        jb["status"] = b.verdict == Verdict::kHang ? "timeout" : StatusText(s);
        jb["exit"] = WIFEXITED(s) ? WEXITSTATUS(s) : -1;
        jb["signal"] = WIFSIGNALED(s) ? WTERMSIG(s) : 0;
        jb["seconds"] = b.seconds;
        jb["stdout_differs"] = b.stdout_differs;
        jb["stderr_differs"] = b.stderr_differs;
      }
      if (b.rerun) jb["rerun"] = true;
      if (!b.note.empty()) jb["note"] = b.note;
      if (!b.pruned.empty()) jb["pruned"] = b.pruned;
      if (!b.repro.empty()) jb["repro"] = b.repro;
      jb["dir"] = b.dir;
      jp["branches"].push_back(jb);
    }
    j["points"].push_back(jp);
  }
  j["unmatched_selectors"] = unmatched;
  j["skipped_for_budget"] = skipped_for_budget;
  j["pruned"] = Pruned();
  j["findings"] = Findings();
  return j.dump() + "\n";
}

}  // namespace pwnbox::explore
