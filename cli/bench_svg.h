// The `pwnbox bench --plot` chart: a self-contained SVG with one row per mode, a dot per run and
// a min/median/max box on a common linear wall-time axis.
#pragma once

#include <string>
#include <vector>

namespace pwnbox::cli {

struct PlotRow {
  std::string name;
  std::vector<double> walls;  // seconds, one per timed run; empty when `note` says why
  double min = 0, median = 0, max = 0;
  std::string note;  // e.g. "failed: exit status 1" or "skipped: strace not installed"
};

// Renders the chart. `title` is shown on top (escaped here); `subtitle` under it.
std::string RenderBenchSvg(const std::string& title, const std::string& subtitle,
                           const std::vector<PlotRow>& rows);

// "1.23 ms", "456 µs", "2.50 s": three significant digits in a unit that suits `seconds`.
std::string FormatDuration(double seconds);

}  // namespace pwnbox::cli
