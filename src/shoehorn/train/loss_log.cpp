#include "shoehorn/train/loss_log.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "shoehorn/io/error.hpp"

namespace shoehorn {

std::vector<NamedArray> loss_log_arrays(const LossLog& log) {
  NamedArray train{"log.train_loss", {static_cast<std::int64_t>(log.train_loss.size())},
                   log.train_loss};
  NamedArray evals{"log.eval", {static_cast<std::int64_t>(log.evals.size()), 3}, {}};
  for (const EvalPoint& e : log.evals) {
    evals.values.insert(evals.values.end(), {static_cast<float>(e.step), e.loss, e.bits_per_byte});
  }
  return {std::move(train), std::move(evals)};
}

LossLog loss_log_from(const TrainCheckpoint& checkpoint, const std::string& origin) {
  const NamedArray* train = checkpoint.find("log.train_loss");
  const NamedArray* evals = checkpoint.find("log.eval");
  if (train == nullptr || train->shape.size() != 1) fail(origin, "no 1-D array 'log.train_loss'");
  if (evals == nullptr || evals->shape.size() != 2 || evals->shape[1] != 3) {
    fail(origin, "no array 'log.eval' of shape Nx3");
  }
  LossLog log;
  log.train_loss = train->values;
  for (std::size_t i = 0; i + 2 < evals->values.size(); i += 3) {
    const float step = evals->values[i];
    if (!(step >= 0.0f && step <= 1e9f) || step != std::trunc(step)) {
      fail(origin, "log.eval row " + std::to_string(i / 3) + " holds no step number");
    }
    log.evals.push_back({static_cast<int>(step), evals->values[i + 1], evals->values[i + 2]});
  }
  return log;
}

void RgbImage::set(int x, int y, std::uint32_t color) {
  if (x < 0 || y < 0 || x >= width || y >= height) return;
  const std::size_t at = 3 * (static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x));
  rgb[at] = static_cast<std::uint8_t>(color >> 16);
  rgb[at + 1] = static_cast<std::uint8_t>(color >> 8);
  rgb[at + 2] = static_cast<std::uint8_t>(color);
}

std::uint32_t RgbImage::at(int x, int y) const {
  const std::size_t i = 3 * (static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x));
  return (static_cast<std::uint32_t>(rgb[i]) << 16) | (static_cast<std::uint32_t>(rgb[i + 1]) << 8) |
         rgb[i + 2];
}

namespace {

// Digits and a decimal point, 3 x 5 pixels, one row per 3 bits (top row first).
constexpr std::array<std::array<std::uint8_t, 5>, 11> kGlyphs = {{
    {7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1},
    {7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1}, {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7},
    {0, 0, 0, 0, 2},
}};
constexpr int kGlyphScale = 2;
constexpr int kGlyphAdvance = 4 * kGlyphScale;

void draw_text(RgbImage& image, int x, int y, const std::string& text, std::uint32_t color) {
  for (const char c : text) {
    const std::size_t glyph = c == '.' ? 10 : static_cast<std::size_t>(c - '0');
    for (int row = 0; row < 5; ++row) {
      for (int col = 0; col < 3; ++col) {
        if (((kGlyphs[glyph][static_cast<std::size_t>(row)] >> (2 - col)) & 1) == 0) continue;
        for (int dy = 0; dy < kGlyphScale; ++dy) {
          for (int dx = 0; dx < kGlyphScale; ++dx) {
            image.set(x + col * kGlyphScale + dx, y + row * kGlyphScale + dy, color);
          }
        }
      }
    }
    x += kGlyphAdvance;
  }
}

void draw_line(RgbImage& image, int x0, int y0, int x1, int y1, std::uint32_t color) {
  const int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0);
  const int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
  int error = dx + dy;
  while (true) {
    image.set(x0, y0, color);
    if (x0 == x1 && y0 == y1) return;
    const int e2 = 2 * error;
    if (e2 >= dy) {
      error += dy;
      x0 += sx;
    }
    if (e2 <= dx) {
      error += dx;
      y0 += sy;
    }
  }
}

// 1, 2 or 5 times a power of ten, about range / 6.
double tick_step(double range) {
  const double raw = range / 6.0;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0}) {
    if (m * power >= raw) return m * power;
  }
  return 10.0 * power;
}

std::string tick_label(double value, double step) {
  const int decimals = step >= 1.0 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", decimals, std::fabs(value) < step / 2 ? 0.0 : value);
  return text;
}

// Maps steps and losses to pixels inside the plot area.
struct Axes {
  int left, right, top, bottom;
  double steps, lo, hi;

  int x(double step) const { return left + static_cast<int>(std::lround((right - left) * step / steps)); }
  int y(double loss) const {
    return bottom - static_cast<int>(std::lround((bottom - top) * (loss - lo) / (hi - lo)));
  }
};

Axes fit_axes(const LossLog& log, int total_steps, int width, int height) {
  double lo = INFINITY, hi = -INFINITY;
  auto include = [&](float v) {
    if (!std::isfinite(v)) return;
    lo = std::min(lo, static_cast<double>(v));
    hi = std::max(hi, static_cast<double>(v));
  };
  for (const float v : log.train_loss) include(v);
  for (const EvalPoint& e : log.evals) include(e.loss);
  if (!(lo <= hi)) {  // nothing finite to draw
    lo = 0;
    hi = 1;
  }
  if (hi - lo < 1e-6) {
    lo -= 0.5;
    hi += 0.5;
  }
  const double pad = 0.05 * (hi - lo);
  return {70, width - 20, 20, height - 40, static_cast<double>(std::max(1, total_steps)), lo - pad,
          hi + pad};
}

void draw_grid(RgbImage& image, const Axes& a) {
  const double ystep = tick_step(a.hi - a.lo);
  for (double v = std::ceil(a.lo / ystep) * ystep; v <= a.hi; v += ystep) {
    const int y = a.y(v);
    draw_line(image, a.left, y, a.right, y, kGridColor);
    const std::string label = tick_label(v, ystep);
    draw_text(image, a.left - 6 - kGlyphAdvance * static_cast<int>(label.size()), y - 5, label,
              kAxisColor);
  }
  const double xstep = std::max(1.0, tick_step(a.steps));
  for (double s = 0; s <= a.steps; s += xstep) {
    const int x = a.x(s);
    draw_line(image, x, a.top, x, a.bottom, kGridColor);
    const std::string label = tick_label(s, xstep);
    draw_text(image, x - kGlyphAdvance * static_cast<int>(label.size()) / 2, a.bottom + 8, label,
              kAxisColor);
  }
  draw_line(image, a.left, a.top, a.left, a.bottom, kAxisColor);
  draw_line(image, a.left, a.bottom, a.right, a.bottom, kAxisColor);
}

}  // namespace

RgbImage plot_loss(const LossLog& log, int total_steps, int width, int height) {
  RgbImage image{width, height,
                 std::vector<std::uint8_t>(3 * static_cast<std::size_t>(width) * static_cast<std::size_t>(height), 0xFF)};
  const Axes a = fit_axes(log, total_steps, width, height);
  draw_grid(image, a);
  auto polyline = [&](auto point, std::size_t n, std::uint32_t color) {
    for (std::size_t i = 1; i < n; ++i) {
      const auto [s0, l0] = point(i - 1);
      const auto [s1, l1] = point(i);
      if (std::isfinite(l0) && std::isfinite(l1)) {
        draw_line(image, a.x(s0), a.y(l0), a.x(s1), a.y(l1), color);
      }
    }
  };
  polyline([&](std::size_t i) { return std::pair{static_cast<double>(i + 1), log.train_loss[i]}; },
           log.train_loss.size(), kTrainLossColor);
  auto eval_point = [&](std::size_t i) {
    return std::pair{static_cast<double>(log.evals[i].step), log.evals[i].loss};
  };
  polyline(eval_point, log.evals.size(), kEvalLossColor);
  for (std::size_t i = 0; i < log.evals.size(); ++i) {
    const auto [step, loss] = eval_point(i);
    if (!std::isfinite(loss)) continue;
    for (int d = -2; d <= 2; ++d) {
      draw_line(image, a.x(step) - 2, a.y(loss) + d, a.x(step) + 2, a.y(loss) + d, kEvalLossColor);
    }
  }
  return image;
}

}  // namespace shoehorn
