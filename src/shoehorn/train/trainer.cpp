#include "shoehorn/train/trainer.hpp"

#include <ATen/Parallel.h>
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numbers>
#include <ostream>
#include <thread>

#include "shoehorn/format/gguf_llama.hpp"
#include "shoehorn/format/llama2c.hpp"
#include "shoehorn/format/tokenizer_bin.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/io/sink.hpp"
#include "shoehorn/sample/rng.hpp"
#include "shoehorn/train/png_file.hpp"
#include "shoehorn/train/token_shard.hpp"
#include "shoehorn/train/torch_llama.hpp"

namespace shoehorn {

namespace {

namespace fs = std::filesystem;

struct ExportedPaths {
  std::string llama2c, gguf;  // llama2c "" when that format cannot hold the model
};

struct RunPaths {
  std::string train_tokens, valid_tokens, checkpoint, model, gguf, tokenizer, loss_png;

  explicit RunPaths(const std::string& dir) {
    const fs::path d(dir);
    train_tokens = (d / "train.tokens").string();
    valid_tokens = (d / "valid.tokens").string();
    checkpoint = (d / "checkpoint.bin").string();
    model = (d / "model.bin").string();
    gguf = (d / "model.gguf").string();
    tokenizer = (d / "tokenizer.bin").string();
    loss_png = (d / "loss.png").string();
  }
};

Tokenizer tokenizer_for(const TrainConfig& c, const std::vector<std::byte>& bytes) {
  Vocab vocab = read_tokenizer_bin(MemorySource(c.tokenizer, bytes));
  if (vocab.size() != c.model.vocab_size) {
    fail(c.tokenizer, "holds " + std::to_string(vocab.size()) + " tokens but the config's vocab_size is " +
                          std::to_string(c.model.vocab_size));
  }
  return Tokenizer(std::move(vocab));
}

// Tokenizes the corpus into shards on a fresh run; a resumed run reads back the same shards.
TokenizedCorpus prepare_data(const TrainConfig& c, const RunPaths& paths, bool resume,
                             const Tokenizer& tokenizer, std::ostream& progress) {
  if (resume) {
    return {read_token_shard(FileSource(paths.train_tokens)),
            read_token_shard(FileSource(paths.valid_tokens))};
  }
  TokenizedCorpus corpus =
      tokenize_corpora(c.train_text, tokenizer, {.valid_fraction = c.valid_fraction, .drop_repeats = c.drop_repeats});
  write_file(paths.train_tokens, write_token_shard(corpus.train));
  write_file(paths.valid_tokens, write_token_shard(corpus.valid));
  progress << "tokenized: " << corpus.train.ids.size() << " training tokens, "
           << corpus.valid.ids.size() << " held-out tokens (" << corpus.valid.text_bytes
           << " bytes of text); training documents left out: " << corpus.dropped_as_held_out
           << " copies of held-out ones, " << corpus.dropped_as_repeats << " repeats\n";
  return corpus;
}

void check_data(const TrainConfig& c, const RunPaths& paths, const TokenizedCorpus& data) {
  const std::uint64_t window = static_cast<std::uint64_t>(c.model.seq_len) + 1;
  for (const auto& [shard, path] : {std::pair{&data.train, paths.train_tokens},
                                    std::pair{&data.valid, paths.valid_tokens}}) {
    if (shard->vocab_size != c.model.vocab_size) {
      fail(path, "holds ids of a vocabulary of " + std::to_string(shard->vocab_size) +
                     ", the config's vocab_size is " + std::to_string(c.model.vocab_size));
    }
    if (shard->ids.size() < window) {
      fail(path, "holds " + std::to_string(shard->ids.size()) +
                     " tokens, fewer than one window of seq_len + 1 = " + std::to_string(window) +
                     " (more text, a larger valid_fraction or a smaller seq_len)");
    }
  }
}

// Windows of seq_len + 1 tokens at uniformly random starts, from a seeded xorshift64*.
class BatchSampler {
 public:
  BatchSampler(const TokenShard& shard, const TrainConfig& c, std::uint64_t state)
      : ids_(shard.ids), batch_(c.batch_size), length_(c.model.seq_len), rng_(state) {}

  // Inputs and targets, both [batch, seq_len].
  std::pair<at::Tensor, at::Tensor> next() {
    const std::uint64_t starts = ids_.size() - static_cast<std::size_t>(length_);
    std::vector<std::int64_t> windows;
    windows.reserve(static_cast<std::size_t>(batch_ * (length_ + 1)));
    for (int b = 0; b < batch_; ++b) {
      const std::uint64_t draw = (static_cast<std::uint64_t>(rng_.next_u32()) << 32) | rng_.next_u32();
      const auto first = ids_.begin() + static_cast<std::ptrdiff_t>(draw % starts);
      windows.insert(windows.end(), first, first + length_ + 1);
    }
    const at::Tensor all =
        at::from_blob(windows.data(), {batch_, length_ + 1}, at::kLong).clone();
    return {all.narrow(1, 0, length_), all.narrow(1, 1, length_)};
  }

  std::uint64_t state() const { return rng_.state(); }

 private:
  const std::vector<std::uint32_t>& ids_;
  std::int64_t batch_, length_;
  Xorshift64Star rng_;
};

// splitmix64: spreads any seed (0 included) into a non-zero xorshift state.
std::uint64_t sampler_state(std::uint64_t seed) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return z == 0 ? 1 : z;
}

// AdamW as torch.optim.AdamW computes it, with weight decay on matrices only.
class AdamW {
 public:
  explicit AdamW(const TorchLlama& model) {
    for (const at::Tensor& w : model.weights()) {
      m_.push_back(at::zeros_like(w).detach());
      v_.push_back(at::zeros_like(w).detach());
    }
  }

  void step(const TorchLlama& model, const TrainConfig& c, double lr, int t) {
    at::NoGradGuard no_grad;
    const double correction1 = 1.0 - std::pow(c.beta1, t);
    const double correction2 = 1.0 - std::pow(c.beta2, t);
    for (std::size_t i = 0; i < m_.size(); ++i) {
      at::Tensor w = model.weights()[i];
      const at::Tensor& g = w.grad();
      if (model.specs()[i].is_matrix()) w.mul_(1.0 - lr * c.weight_decay);
      m_[i].mul_(c.beta1).add_(g, 1.0 - c.beta1);
      v_[i].mul_(c.beta2).addcmul_(g, g, 1.0 - c.beta2);
      const at::Tensor denom = (v_[i].sqrt() / std::sqrt(correction2)).add_(1e-8);
      w.addcdiv_(m_[i], denom, -lr / correction1);
    }
  }

  std::vector<NamedArray> arrays(const TorchLlama& model) const {
    std::vector<NamedArray> out;
    for (std::size_t i = 0; i < m_.size(); ++i) {
      out.push_back(to_array("adam_m." + model.specs()[i].name, m_[i]));
      out.push_back(to_array("adam_v." + model.specs()[i].name, v_[i]));
    }
    return out;
  }

  void load(const TorchLlama& model, const TrainCheckpoint& checkpoint, const std::string& origin) {
    for (std::size_t i = 0; i < m_.size(); ++i) {
      for (const auto& [prefix, moment] : {std::pair{"adam_m.", &m_[i]}, std::pair{"adam_v.", &v_[i]}}) {
        WeightSpec spec = model.specs()[i];
        spec.name = prefix + spec.name;
        moment->copy_(to_tensor(find_weight(spec, checkpoint.arrays, origin)));
      }
    }
  }

 private:
  std::vector<at::Tensor> m_, v_;
};

at::Tensor loss_of(const TorchLlama& model, const at::Tensor& inputs, const at::Tensor& targets,
                   TorchLlama::Mode mode) {
  const at::Tensor logits = model.forward(inputs, mode);
  return at::cross_entropy_loss(logits.reshape({-1, logits.size(-1)}), targets.reshape({-1}));
}

// Scales the gradients down to a global norm of at most max_norm (0: no clipping), as
// torch.nn.utils.clip_grad_norm_ does.
void clip_gradients(const TorchLlama& model, double max_norm) {
  if (max_norm <= 0) return;
  at::NoGradGuard no_grad;
  double squares = 0;
  for (const at::Tensor& w : model.weights()) squares += w.grad().pow(2).sum().item<double>();
  const double norm = std::sqrt(squares);
  if (norm <= max_norm) return;
  for (const at::Tensor& w : model.weights()) w.mutable_grad().mul_(max_norm / (norm + 1e-6));
}

float train_step(const TorchLlama& model, AdamW& adam, BatchSampler& sampler,
                 const TrainConfig& c, int step) {
  const auto [inputs, targets] = sampler.next();
  // Dropout's draws depend on the seed and the step alone, so that a resumed run repeats them.
  if (c.dropout > 0) at::manual_seed(sampler_state(c.seed ^ static_cast<std::uint64_t>(step)));
  const at::Tensor loss = loss_of(model, inputs, targets, TorchLlama::Mode::train);
  loss.backward();
  clip_gradients(model, c.grad_clip);
  adam.step(model, c, learning_rate_at(c, step), step);
  for (const at::Tensor& w : model.weights()) w.mutable_grad().reset();
  return loss.item<float>();
}

// The mean loss over the first eval_batches x batch_size consecutive windows of the held-out
// split (all of it when shorter), and that loss in bits per byte of the text those tokens
// encode (an estimate at the split's average tokens per byte).
EvalPoint evaluate(const TorchLlama& model, const TokenShard& valid, const TrainConfig& c, int step) {
  at::NoGradGuard no_grad;
  const std::int64_t length = c.model.seq_len;
  const std::int64_t windows = std::min<std::int64_t>(
      static_cast<std::int64_t>(c.eval_batches) * c.batch_size,
      static_cast<std::int64_t>(valid.ids.size() - 1) / length);
  double total = 0;
  for (std::int64_t first = 0; first < windows; first += c.batch_size) {
    const std::int64_t count = std::min<std::int64_t>(c.batch_size, windows - first);
    std::vector<std::int64_t> ids(valid.ids.begin() + first * length,
                                  valid.ids.begin() + (first + count) * length + 1);
    const at::Tensor all = at::from_blob(ids.data(), {count * length + 1}, at::kLong).clone();
    const at::Tensor inputs = all.narrow(0, 0, count * length).view({count, length});
    const at::Tensor targets = all.narrow(0, 1, count * length).view({count, length});
    total += loss_of(model, inputs, targets, TorchLlama::Mode::evaluate).item<double>() * static_cast<double>(count);
  }
  const double loss = total / static_cast<double>(windows);
  const double tokens_per_byte =
      static_cast<double>(valid.ids.size()) / static_cast<double>(std::max<std::uint64_t>(1, valid.text_bytes));
  return {step, static_cast<float>(loss), static_cast<float>(loss / std::numbers::ln2 * tokens_per_byte)};
}

std::string describe(const EvalPoint& e) {
  char line[128];
  std::snprintf(line, sizeof line, "step %d: held-out loss %.4f, %.4f bits/byte", e.step,
                static_cast<double>(e.loss), static_cast<double>(e.bits_per_byte));
  return line;
}

std::string duration(double seconds) {
  const long s = std::lround(seconds);
  char text[32];
  if (s >= 3600) {
    std::snprintf(text, sizeof text, "%ldh%02ldm", s / 3600, s / 60 % 60);
  } else if (s >= 60) {
    std::snprintf(text, sizeof text, "%ldm%02lds", s / 60, s % 60);
  } else {
    std::snprintf(text, sizeof text, "%lds", s);
  }
  return text;
}

// One line redrawn in place: step, a bar, the last loss, tokens per second and the time left.
class ProgressBar {
 public:
  using Clock = std::chrono::steady_clock;

  ProgressBar(std::ostream& out, int first_step, int total_steps, std::int64_t tokens_per_step)
      : out_(out), first_(first_step), total_(total_steps), tokens_per_step_(tokens_per_step),
        start_(Clock::now()), last_draw_(start_) {}

  void update(int step, float loss) {
    const Clock::time_point now = Clock::now();
    if (step != total_ && now - last_draw_ < std::chrono::milliseconds(200)) return;
    last_draw_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const int done = step - first_;
    const double per_step = elapsed / std::max(1, done);
    constexpr int kWidth = 24;
    const int filled = static_cast<int>(static_cast<std::int64_t>(kWidth) * step / total_);
    char line[160];
    std::snprintf(line, sizeof line, "\rstep %d/%d [%s%s] loss %.3f | %.0f tok/s | ETA %s   ",
                  step, total_, std::string(static_cast<std::size_t>(filled), '#').c_str(),
                  std::string(static_cast<std::size_t>(kWidth - filled), '.').c_str(),
                  static_cast<double>(loss),
                  static_cast<double>(tokens_per_step_) * done / std::max(elapsed, 1e-9),
                  duration(per_step * (total_ - step)).c_str());
    out_ << line << std::flush;
    drawn_ = true;
  }

  // A line of its own, below the bar.
  void message(const std::string& text) {
    if (drawn_) out_ << '\n';
    drawn_ = false;
    out_ << text << '\n' << std::flush;
  }

 private:
  std::ostream& out_;
  int first_, total_;
  std::int64_t tokens_per_step_;
  Clock::time_point start_, last_draw_;
  bool drawn_ = false;
};

void save_checkpoint(const TrainConfig& c, const RunPaths& paths, const TorchLlama& model,
                     const AdamW& adam, const BatchSampler& sampler, const LossLog& log, int step) {
  TrainCheckpoint checkpoint{c.settings_text, static_cast<std::uint64_t>(step), sampler.state(),
                             model.arrays()};
  auto append = [&](std::vector<NamedArray> part) {
    std::move(part.begin(), part.end(), std::back_inserter(checkpoint.arrays));
  };
  append(adam.arrays(model));
  append(loss_log_arrays(log));
  // Written beside, then renamed: an interrupted write never replaces a good checkpoint.
  const std::string partial = paths.checkpoint + ".partial";
  write_file(partial, write_checkpoint(checkpoint));
  std::error_code ec;
  fs::rename(partial, paths.checkpoint, ec);
  if (ec) fail(paths.checkpoint, "cannot replace: " + ec.message());
}

struct Start {
  int step = 0;
  std::uint64_t sampler_state = 0;
};

// Restores weights, moments and the loss log from the checkpoint of an earlier run.
Start restore_checkpoint(const TrainConfig& c, const RunPaths& paths, TorchLlama& model,
                         AdamW& adam, LossLog& log) {
  const TrainCheckpoint checkpoint = read_checkpoint(FileSource(paths.checkpoint));
  if (const std::string key = first_changed_key(checkpoint.settings_text, c.settings_text); !key.empty()) {
    fail(paths.checkpoint, "key '" + key + "' is '" + setting(checkpoint.settings_text, key) +
                               "' in the checkpoint but '" + setting(c.settings_text, key) +
                               "' in the config: resume with the settings the run started with");
  }
  model.load(checkpoint.arrays, paths.checkpoint);
  adam.load(model, checkpoint, paths.checkpoint);
  log = loss_log_from(checkpoint, paths.checkpoint);
  if (log.train_loss.size() != checkpoint.step || checkpoint.step > static_cast<std::uint64_t>(c.steps)) {
    fail(paths.checkpoint, "step " + std::to_string(checkpoint.step) + " does not match its loss log");
  }
  return {static_cast<int>(checkpoint.step), checkpoint.rng_state};
}

// model.bin (llama2.c v0, little-endian) and tokenizer.bin beside it, so that
// `shoehorn run OUT/model.bin` finds both. A GGUF writer is one more call here.
// model.gguf (F32, the run's tokenizer inside: runs without -z) always; model.bin (llama2.c)
// where that format can hold the model.
ExportedPaths export_model(const TrainConfig& c, const RunPaths& paths, const TorchLlama& model,
                           const std::vector<std::byte>& tokenizer_bytes, ProgressBar& bar) {
  write_file(paths.tokenizer, tokenizer_bytes);
  const Model trained = trained_model(c, model.arrays(), paths.model);
  const Vocab vocab = read_tokenizer_bin(MemorySource(c.tokenizer, tokenizer_bytes));
  FileSink gguf(paths.gguf);
  write_llama_gguf(gguf, trained, &vocab, GgufWriteOptions{});
  gguf.close();
  if (const std::string why = llama2c_limitation(c); !why.empty()) {
    bar.message("model.bin not written: " + why + "; model.gguf holds the model");
    return {{}, paths.gguf};
  }
  write_file(paths.model, write_llama2c(trained, {Llama2cVersion::v0, ByteOrder::little, 64}));
  return {paths.model, paths.gguf};
}

// glibc returns every block over 32 MiB to the kernel when it is freed, so a step whose
// attention scores are that large pays for mapping and faulting them in again on every step
// (a third of the time at seq_len 256). Keeping freed memory in the heap avoids that.
void keep_freed_memory() {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

TrainOutcome run_training(const TrainConfig& c, const TrainOptions& o, std::ostream& progress) {
  const RunPaths paths(o.out_dir);
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (ec) fail(o.out_dir, "cannot create the output directory: " + ec.message());

  const std::vector<std::byte> tokenizer_bytes = read_all(FileSource(c.tokenizer), kMaxTokenizerFileBytes);
  const TokenizedCorpus data =
      prepare_data(c, paths, o.resume, tokenizer_for(c, tokenizer_bytes), progress);
  check_data(c, paths, data);

  keep_freed_memory();
  at::set_num_threads(c.threads > 0 ? c.threads
                                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  at::manual_seed(c.seed);
  TorchLlama model(c);
  AdamW adam(model);
  LossLog log;
  Start start{0, sampler_state(c.seed)};
  if (o.resume) start = restore_checkpoint(c, paths, model, adam, log);
  BatchSampler sampler(data.train, c, start.sampler_state);
  int done = start.step;

  ProgressBar bar(progress, done, c.steps,
                  static_cast<std::int64_t>(c.batch_size) * c.model.seq_len);
  bar.message(std::to_string(parameter_count(c)) + " parameters; " +
              (o.resume ? "resuming after step " + std::to_string(done) : std::string("training")) +
              " to step " + std::to_string(c.steps));
  if (!o.resume) {
    log.evals.push_back(evaluate(model, data.valid, c, 0));
    bar.message(describe(log.evals.back()));
  }
  const int last = o.stop_after > 0 ? std::min(o.stop_after, c.steps) : c.steps;
  for (int step = done + 1; step <= last; ++step) {
    log.train_loss.push_back(train_step(model, adam, sampler, c, step));
    bar.update(step, log.train_loss.back());
    if (step % c.eval_interval == 0 || step == c.steps) {
      log.evals.push_back(evaluate(model, data.valid, c, step));
      bar.message(describe(log.evals.back()));
      save_checkpoint(c, paths, model, adam, sampler, log, step);
    }
  }
  done = std::max(done, last);

  TrainOutcome outcome{done, log, {}, {}};
  if (done < c.steps) {
    save_checkpoint(c, paths, model, adam, sampler, log, done);
    bar.message("stopped after step " + std::to_string(done) + "; continue with --resume");
    return outcome;
  }
  const ExportedPaths exported = export_model(c, paths, model, tokenizer_bytes, bar);
  outcome.model_path = exported.llama2c;
  outcome.gguf_path = exported.gguf;
  write_png(paths.loss_png, plot_loss(log, c.steps));
  bar.message("wrote " + (exported.llama2c.empty() ? std::string() : exported.llama2c + ", ") +
              exported.gguf + ", " + paths.tokenizer + ", " + paths.loss_png + " and " +
              paths.checkpoint);
  return outcome;
}

}  // namespace

TrainOutcome train(const TrainConfig& config, const TrainOptions& options, std::ostream& progress) {
  try {
    return run_training(config, options, progress);
  } catch (const c10::Error& e) {
    const std::string what = e.what_without_backtrace();
    fail("shoehorn train", "LibTorch: " + what.substr(0, what.find('\n')));
  }
}

}  // namespace shoehorn
