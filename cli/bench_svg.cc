#include "cli/bench_svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace pwnbox::cli {
namespace {

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// Cuts `s` to at most `max` characters (UTF-8 aware), ending it with "…" when cut.
std::string Shorten(const std::string& s, size_t max) {
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (++chars == max) return i + 1 < s.size() ? s.substr(0, i) + "…" : s;
  }
  return s;
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

struct Unit {
  const char* name;
  double scale;  // seconds → unit
};

Unit UnitFor(double seconds) {
  if (seconds >= 1) return {"s", 1};
  if (seconds >= 1e-3) return {"ms", 1e3};
  return {"µs", 1e6};
}

// A "nice" tick step (1, 2 or 5 × 10^k) giving about `target` ticks up to `max`.
double TickStep(double max, int target) {
  double raw = max / target;
  double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= raw) return m * p;
  return 10 * p;
}

std::string TickLabel(double v, double step) {
  char buf[32];
  int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace

std::string FormatDuration(double seconds) {
  if (seconds <= 0) return "0";
  Unit u = UnitFor(seconds);
  double v = seconds * u.scale;
  char buf[32];
  if (v >= 100)
    std::snprintf(buf, sizeof buf, "%.0f %s", v, u.name);
  else if (v >= 10)
    std::snprintf(buf, sizeof buf, "%.1f %s", v, u.name);
  else
    std::snprintf(buf, sizeof buf, "%.2f %s", v, u.name);
  return buf;
}

std::string RenderBenchSvg(const std::string& title, const std::string& subtitle,
                           const std::vector<PlotRow>& rows) {
  constexpr double kWidth = 900, kLeft = 120, kRight = 170, kTop = 74, kRowH = 46, kBottom = 56;
  const double plot_w = kWidth - kLeft - kRight;
  const double height = kTop + kRowH * std::max<size_t>(rows.size(), 1) + kBottom;

  double max_s = 0;
  for (const auto& r : rows)
    for (double w : r.walls) max_s = std::max(max_s, w);
  if (max_s <= 0) max_s = 1e-3;
  Unit unit = UnitFor(max_s);
  double max_u = max_s * unit.scale;
  double step = TickStep(max_u, 6);
  double axis_max = std::ceil(max_u / step - 1e-9) * step;
  if (axis_max < max_u * 1.02) axis_max += step;
  auto x = [&](double seconds) { return kLeft + seconds * unit.scale / axis_max * plot_w; };

  std::string s;
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + Num(kWidth) + "\" height=\"" +
       Num(height) + "\" viewBox=\"0 0 " + Num(kWidth) + " " + Num(height) +
       "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"13\">\n";
  s += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  s += "<text x=\"" + Num(kWidth / 2) + "\" y=\"26\" text-anchor=\"middle\" font-size=\"16\" "
       "font-weight=\"bold\">" + Escape(Shorten(title, 80)) + "</text>\n";
  s += "<text x=\"" + Num(kWidth / 2) + "\" y=\"46\" text-anchor=\"middle\" fill=\"#555555\">" +
       Escape(subtitle) + "</text>\n";

  // Grid lines and tick labels.
  const double axis_y = kTop + kRowH * std::max<size_t>(rows.size(), 1);
  for (double t = 0; t <= axis_max + step / 2; t += step) {
    double px = kLeft + t / axis_max * plot_w;
    s += "<line x1=\"" + Num(px) + "\" y1=\"" + Num(kTop - 6) + "\" x2=\"" + Num(px) +
         "\" y2=\"" + Num(axis_y) + "\" stroke=\"#e4e4e4\"/>\n";
    s += "<line x1=\"" + Num(px) + "\" y1=\"" + Num(axis_y) + "\" x2=\"" + Num(px) + "\" y2=\"" +
         Num(axis_y + 5) + "\" stroke=\"#333333\"/>\n";
    s += "<text x=\"" + Num(px) + "\" y=\"" + Num(axis_y + 19) +
         "\" text-anchor=\"middle\" fill=\"#333333\">" + TickLabel(t, step) + "</text>\n";
  }
  s += "<line x1=\"" + Num(kLeft) + "\" y1=\"" + Num(axis_y) + "\" x2=\"" + Num(kLeft + plot_w) +
       "\" y2=\"" + Num(axis_y) + "\" stroke=\"#333333\"/>\n";
  s += "<text x=\"" + Num(kLeft + plot_w / 2) + "\" y=\"" + Num(axis_y + 42) +
       "\" text-anchor=\"middle\">wall time (" + std::string(unit.name) + ")</text>\n";

  static const char* kColors[] = {"#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3",
                                  "#937860"};
  for (size_t i = 0; i < rows.size(); ++i) {
    const PlotRow& r = rows[i];
    const char* color = kColors[i % (sizeof kColors / sizeof kColors[0])];
    double cy = kTop + kRowH * i + kRowH / 2;
    s += "<text x=\"" + Num(kLeft - 12) + "\" y=\"" + Num(cy + 4.5) +
         "\" text-anchor=\"end\" font-weight=\"bold\">" + Escape(r.name) + "</text>\n";
    if (r.walls.empty()) {
      s += "<text x=\"" + Num(kLeft + 8) + "\" y=\"" + Num(cy + 4.5) +
           "\" fill=\"#a00000\" font-style=\"italic\">" + Escape(r.note) + "</text>\n";
      continue;
    }
    double x0 = x(r.min), x1 = std::max(x(r.max), x0 + 1);
    s += "<rect class=\"range\" x=\"" + Num(x0) + "\" y=\"" + Num(cy - 12) + "\" width=\"" +
         Num(x1 - x0) + "\" height=\"24\" fill=\"" + color +
         "\" fill-opacity=\"0.18\" stroke=\"" + color + "\"/>\n";
    s += "<line class=\"median\" x1=\"" + Num(x(r.median)) + "\" y1=\"" + Num(cy - 15) +
         "\" x2=\"" + Num(x(r.median)) + "\" y2=\"" + Num(cy + 15) + "\" stroke=\"" + color +
         "\" stroke-width=\"3\"/>\n";
    for (size_t j = 0; j < r.walls.size(); ++j) {
      // A small deterministic vertical jitter keeps equal times from hiding each other.
      double jitter = (static_cast<double>(j % 5) - 2) * 2.5;
      s += "<circle class=\"run\" cx=\"" + Num(x(r.walls[j])) + "\" cy=\"" + Num(cy + jitter) +
           "\" r=\"3.2\" fill=\"" + color + "\" fill-opacity=\"0.85\"/>\n";
    }
    std::string label = FormatDuration(r.median);
    if (!r.note.empty()) label += "  " + r.note;
    s += "<text x=\"" + Num(x1 + 8) + "\" y=\"" + Num(cy + 4.5) + "\" fill=\"#222222\">" +
         Escape(label) + "</text>\n";
  }
  s += "</svg>\n";
  return s;
}

}  // namespace pwnbox::cli
