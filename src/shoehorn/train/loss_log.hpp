// The losses of a training run: kept in its checkpoint, drawn as a loss curve at the end.
#pragma once

#include <cstdint>
#include <vector>

#include "shoehorn/train/checkpoint.hpp"

namespace shoehorn {

struct EvalPoint {
  int step = 0;  // steps done when evaluated (0: the initial weights)
  float loss = 0;           // mean cross-entropy per token on the held-out split, in nats
  float bits_per_byte = 0;  // loss scaled by the held-out tokens per byte of text, in bits
};

struct LossLog {
  std::vector<float> train_loss;  // one per step: train_loss[i] is step i + 1's batch loss
  std::vector<EvalPoint> evals;
};

// As checkpoint arrays ("log.train_loss" [steps], "log.eval" [evals x 3]) and back.
std::vector<NamedArray> loss_log_arrays(const LossLog& log);
LossLog loss_log_from(const TrainCheckpoint& checkpoint, const std::string& origin);

struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> rgb;  // row-major, 3 bytes per pixel

  void set(int x, int y, std::uint32_t color);  // 0xRRGGBB; outside the image: ignored
  std::uint32_t at(int x, int y) const;
};

inline constexpr std::uint32_t kTrainLossColor = 0x7FA7D8;  // light blue, every step
inline constexpr std::uint32_t kEvalLossColor = 0xD62728;   // red, held-out evaluations
inline constexpr std::uint32_t kAxisColor = 0x000000;
inline constexpr std::uint32_t kGridColor = 0xE0E0E0;

// A line plot of loss against step: the training loss of every step and the held-out loss at
// each evaluation, over steps 0..total_steps, with labelled grid lines.
RgbImage plot_loss(const LossLog& log, int total_steps, int width = 800, int height = 480);

}  // namespace shoehorn
