#include "shoehorn/train/train_config.hpp"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <numbers>
#include <optional>

#include "shoehorn/io/error.hpp"
#include "shoehorn/io/source.hpp"

namespace shoehorn {

namespace {

constexpr std::uint64_t kMaxConfigBytes = 1 << 20;
constexpr int kMaxBatchTokens = 1 << 20;                 // batch_size x seq_len
constexpr double kMaxTrainingBytes = 64.0 * (1ull << 30);  // a config beyond this is a mistake

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r";
  const std::size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

bool is_key(std::string_view key) {
  if (key.empty()) return false;
  for (const char c : key) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// Whole numbers in full (500000, not 5e+05), others in their shortest exact form.
std::string format_number(double value) {
  if (std::isfinite(value) && value == std::trunc(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<long long>(value));
  }
  char buffer[64];
  const auto r = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, r.ptr);
}

// The lines of a config file, read once. Each getter consumes one key, checks it on its own and
// records its canonical value; the keys nobody asked for are the unknown ones. A missing
// required key reads as its lowest value until reject_missing_keys() reports it, so that a typo
// is reported as the unknown key it is rather than as the key it leaves missing.
class Settings {
 public:
  Settings(std::string_view text, std::string file) : file_(std::move(file)) {
    int line_number = 0;
    for (std::size_t start = 0; start <= text.size();) {
      const std::size_t newline = std::min(text.find('\n', start), text.size());
      std::string_view line = text.substr(start, newline - start);
      start = newline + 1;
      ++line_number;
      line = trim(line.substr(0, line.find('#')));
      if (line.empty()) continue;
      const std::size_t equals = line.find('=');
      const std::string_view key = trim(line.substr(0, std::min(equals, line.size())));
      if (equals == std::string_view::npos || !is_key(key)) {
        fail(file_, "line " + std::to_string(line_number) +
                        ": expected 'key = value' (lowercase key, '#' starts a comment)");
      }
      const std::string_view value = trim(line.substr(equals + 1));
      if (const Entry* first = find(key)) {
        fail(file_, "line " + std::to_string(line_number) + ": key '" + std::string(key) +
                        "' repeated (first at line " + std::to_string(first->line) + ")");
      }
      if (value.empty()) fail_line(line_number, key, "no value");
      entries_.push_back({std::string(key), std::string(value), line_number, false});
    }
  }

  const std::string& file() const { return file_; }

  int integer(std::string_view key, int min, int max, std::optional<int> fallback = {}) {
    const auto value = parse<std::int64_t>(key, fallback.value_or(min), fallback.has_value(), "an integer");
    if (value < min || value > max) {
      fail_key(key, "value " + std::to_string(value) + " is outside " + std::to_string(min) +
                        ".." + std::to_string(max));
    }
    record(key, std::to_string(value));
    return static_cast<int>(value);
  }

  std::uint64_t unsigned64(std::string_view key, std::uint64_t fallback) {
    const auto value = parse<std::uint64_t>(key, fallback, true, "a non-negative integer");
    record(key, std::to_string(value));
    return value;
  }

  // A finite number in [min, max].
  double number(std::string_view key, double min, double max, std::optional<double> fallback = {}) {
    const double value = parse<double>(key, fallback.value_or(min), fallback.has_value(), "a number");
    if (!std::isfinite(value) || value < min || value > max) {
      fail_key(key, "value " + format_number(value) + " is outside " + format_number(min) + ".." +
                        format_number(max));
    }
    record(key, format_number(value));
    return value;
  }

  bool boolean(std::string_view key, bool fallback) {
    const std::string value = word(key, fallback ? "true" : "false");
    if (value != "true" && value != "false") fail_key(key, "'" + value + "' is not true or false");
    record(key, value);
    return value == "true";
  }

  std::string choice(std::string_view key, const std::vector<std::string>& allowed,
                     const std::string& fallback) {
    const std::string value = word(key, fallback);
    for (const std::string& a : allowed) {
      if (value == a) {
        record(key, value);
        return value;
      }
    }
    std::string list;
    for (const std::string& a : allowed) list += (list.empty() ? "" : " or ") + a;
    fail_key(key, "'" + value + "' is not " + list);
  }

  // Comma-separated paths, resolved against the config file's directory. Required.
  std::vector<std::string> paths(std::string_view key) {
    const std::optional<std::string> value = raw(key);
    std::vector<std::string> out;
    if (!value) {
      missing_.emplace_back(key);
      return {""};
    }
    std::string canonical;
    for (std::size_t start = 0; start <= value->size();) {
      const std::size_t comma = std::min(value->find(',', start), value->size());
      const std::string_view item = trim(std::string_view(*value).substr(start, comma - start));
      start = comma + 1;
      if (item.empty()) fail_key(key, "an empty path in the list");
      out.push_back(resolve(item));
      canonical += (canonical.empty() ? "" : ", ") + std::string(item);
    }
    record(key, canonical);
    return out;
  }

  std::string path(std::string_view key) {
    const std::vector<std::string> all = paths(key);
    if (all.size() != 1) fail_key(key, "one path, not a list");
    return all.front();
  }

  // "FILE: line N: key 'K': WHAT", or without the line for a key the file does not set.
  [[noreturn]] void fail_key(std::string_view key, const std::string& what) const {
    if (const Entry* e = find(key)) fail_line(e->line, key, what);
    fail(file_, "key '" + std::string(key) + "' (default): " + what);
  }

  void reject_unknown_keys() const {
    for (const Entry& e : entries_) {
      if (!e.used) fail_line(e.line, e.key, "unknown key (see docs/TRAINING.md)");
    }
  }

  void reject_missing_keys() const {
    if (!missing_.empty()) fail(file_, "missing key '" + missing_.front() + "'");
  }

  const std::string& canonical() const { return canonical_; }

 private:
  struct Entry {
    std::string key;
    std::string value;
    int line = 0;
    bool used = false;
  };

  const Entry* find(std::string_view key) const {
    for (const Entry& e : entries_) {
      if (e.key == key) return &e;
    }
    return nullptr;
  }

  [[noreturn]] void fail_line(int line, std::string_view key, const std::string& what) const {
    fail(file_, "line " + std::to_string(line) + ": key '" + std::string(key) + "': " + what);
  }

  // The value of key, marked used, or nothing when the file does not set it.
  std::optional<std::string> raw(std::string_view key) {
    for (Entry& e : entries_) {
      if (e.key == key) {
        e.used = true;
        return e.value;
      }
    }
    return std::nullopt;
  }

  std::string word(std::string_view key, const std::string& fallback) {
    if (std::optional<std::string> value = raw(key)) return *value;
    return fallback;
  }

  // The value of key; when absent, fallback (noted as missing unless has_default).
  template <class T>
  T parse(std::string_view key, T fallback, bool has_default, const char* kind) {
    const std::optional<std::string> text = raw(key);
    if (!text) {
      if (!has_default) missing_.emplace_back(key);
      return fallback;
    }
    T value{};
    const char* end = text->data() + text->size();
    const auto r = std::from_chars(text->data(), end, value);
    if (r.ec != std::errc() || r.ptr != end) fail_key(key, "'" + *text + "' is not " + kind);
    return value;
  }

  void record(std::string_view key, const std::string& value) {
    canonical_ += std::string(key) + " = " + value + "\n";
  }

  std::string resolve(std::string_view item) const {
    const std::filesystem::path p(item);
    if (p.is_absolute()) return p.string();
    return (std::filesystem::path(file_).parent_path() / p).string();
  }

  std::string file_;
  std::vector<Entry> entries_;
  std::vector<std::string> missing_;
  std::string canonical_;
};

void read_model(Settings& s, TrainConfig& c) {
  Config& m = c.model;
  m.dim = s.integer("dim", 1, kMaxDim);
  m.n_layers = s.integer("n_layers", 1, kMaxLayers);
  m.n_heads = s.integer("n_heads", 1, kMaxHeads);
  m.n_kv_heads = s.integer("n_kv_heads", 1, kMaxHeads, m.n_heads);
  m.hidden_dim = s.integer("hidden_dim", 1, kMaxHiddenDim);
  m.vocab_size = s.integer("vocab_size", 1, kMaxVocab);
  m.seq_len = s.integer("seq_len", 1, kMaxSeqLen);
  m.rope_theta = static_cast<float>(s.number("rope_theta", 1e-3, 1e12, 10000.0));
  m.norm_eps = static_cast<float>(s.number("norm_eps", 1e-12, 1.0, 1e-5));
  c.share_adjacent_layers = s.boolean("share_adjacent_layers", false);
  c.shared_classifier = s.boolean("shared_classifier", true);
  c.dropout = s.number("dropout", 0.0, 0.9, 0.0);
}

void read_data(Settings& s, TrainConfig& c) {
  c.tokenizer = s.path("tokenizer");
  c.train_text = s.paths("train_text");
  c.valid_fraction = s.number("valid_fraction", 0.001, 0.5, 0.05);
  c.drop_repeats = s.boolean("drop_repeats", false);
}

void read_optimization(Settings& s, TrainConfig& c) {
  c.batch_size = s.integer("batch_size", 1, 1 << 16);
  c.steps = s.integer("steps", 1, 1 << 30);
  c.learning_rate = s.number("learning_rate", 1e-9, 10.0);
  c.min_learning_rate = s.number("min_learning_rate", 0.0, 10.0, 0.0);
  c.warmup_steps = s.integer("warmup_steps", 0, 1 << 30, 0);
  c.schedule = s.choice("schedule", {"cosine", "wsd"}, "cosine") == "wsd" ? LrSchedule::wsd
                                                                          : LrSchedule::cosine;
  c.decay_fraction = s.number("decay_fraction", 0.0, 1.0, 0.2);
  c.weight_decay = s.number("weight_decay", 0.0, 10.0, 0.1);
  c.beta1 = s.number("beta1", 0.0, 0.999999, 0.9);
  c.beta2 = s.number("beta2", 0.0, 0.999999, 0.95);
  c.grad_clip = s.number("grad_clip", 0.0, 1e9, 1.0);
  c.eval_interval = s.integer("eval_interval", 1, 1 << 30, 100);
  c.eval_batches = s.integer("eval_batches", 1, 1 << 20, 8);
  c.seed = s.unsigned64("seed", 1);
  c.threads = s.integer("threads", 0, 1024, 1);
}

// The checks that involve more than one key.
void check_together(const Settings& s, const TrainConfig& c) {
  const Config& m = c.model;
  if (const std::optional<ConfigProblem> problem = check_config(m)) {
    s.fail_key(problem->field, problem->what);
  }
  if (c.warmup_steps > c.steps) {
    s.fail_key("warmup_steps", "warmup_steps " + std::to_string(c.warmup_steps) +
                                   " is more than steps " + std::to_string(c.steps));
  }
  if (c.min_learning_rate > c.learning_rate) {
    s.fail_key("min_learning_rate", "min_learning_rate " + format_number(c.min_learning_rate) +
                                        " is more than learning_rate " +
                                        format_number(c.learning_rate));
  }
  // Refuse configs that would need absurd memory before anything is allocated.
  if (static_cast<std::int64_t>(c.batch_size) * m.seq_len > kMaxBatchTokens) {
    s.fail_key("batch_size", "batch_size x seq_len = " +
                                 std::to_string(static_cast<std::int64_t>(c.batch_size) * m.seq_len) +
                                 " tokens, more than " + std::to_string(kMaxBatchTokens));
  }
  // Weights, gradients and two AdamW moments, plus the activations autograd keeps per token.
  const double tokens = static_cast<double>(c.batch_size) * m.seq_len;
  const double per_token = 3.0 * m.vocab_size +
                           m.n_layers * (12.0 * m.dim + 4.0 * m.hidden_dim + 3.0 * m.n_heads * m.seq_len);
  const double bytes = 4.0 * (4.0 * static_cast<double>(parameter_count(c)) + tokens * per_token);
  if (bytes > kMaxTrainingBytes) {
    s.fail_key("dim", "this model and batch would need about " +
                          std::to_string(static_cast<long long>(bytes / (1 << 30))) +
                          " GiB to train (limit 64 GiB)");
  }
}

}  // namespace

TrainConfig parse_train_config(std::string_view text, const std::string& file) {
  Settings settings(text, file);
  TrainConfig config;
  read_model(settings, config);
  read_data(settings, config);
  read_optimization(settings, config);
  settings.reject_unknown_keys();
  settings.reject_missing_keys();
  check_together(settings, config);
  config.settings_text = settings.canonical();
  return config;
}

TrainConfig read_train_config(const std::string& path) {
  const std::vector<std::byte> bytes = read_all(FileSource(path), kMaxConfigBytes);
  std::string text;
  text.reserve(bytes.size());
  for (const std::byte b : bytes) text += static_cast<char>(b);
  return parse_train_config(text, path);
}

double learning_rate_at(const TrainConfig& c, int step) {
  const double peak = c.learning_rate, floor = c.min_learning_rate;
  if (step <= c.warmup_steps) return peak * step / c.warmup_steps;
  if (c.schedule == LrSchedule::cosine) {
    const double progress =
        static_cast<double>(step - c.warmup_steps) / std::max(1, c.steps - c.warmup_steps);
    return floor + 0.5 * (1.0 + std::cos(std::numbers::pi * progress)) * (peak - floor);
  }
  const int decay_steps = static_cast<int>(std::lround(c.decay_fraction * c.steps));
  const int decay_start = std::max(c.warmup_steps, c.steps - decay_steps);
  if (step <= decay_start) return peak;
  return peak - (peak - floor) * (step - decay_start) / std::max(1, c.steps - decay_start);
}

std::string setting(const std::string& settings_text, std::string_view key) {
  const std::string prefix = std::string(key) + " = ";
  for (std::size_t start = 0; start < settings_text.size();) {
    const std::size_t newline = std::min(settings_text.find('\n', start), settings_text.size());
    const std::string_view line = std::string_view(settings_text).substr(start, newline - start);
    if (line.starts_with(prefix)) return std::string(line.substr(prefix.size()));
    start = newline + 1;
  }
  return {};
}

std::string first_changed_key(const std::string& before, const std::string& after) {
  for (const std::string& text : {before, after}) {
    for (std::size_t start = 0; start < text.size();) {
      const std::size_t newline = std::min(text.find('\n', start), text.size());
      const std::string_view line = std::string_view(text).substr(start, newline - start);
      start = newline + 1;
      const std::string key(line.substr(0, line.find(" = ")));
      if (key != "threads" && setting(before, key) != setting(after, key)) return key;
    }
  }
  return {};
}

int weight_blocks(const TrainConfig& c) {
  return c.share_adjacent_layers ? (c.model.n_layers + 1) / 2 : c.model.n_layers;
}

std::int64_t parameter_count(const TrainConfig& c) {
  const Config& m = c.model;
  const std::int64_t dim = m.dim, kv_dim = m.kv_dim(), hidden = m.hidden_dim;
  const std::int64_t block = 2 * dim + 2 * dim * dim + 2 * dim * kv_dim + 3 * dim * hidden;
  const std::int64_t embedding = static_cast<std::int64_t>(m.vocab_size) * dim;
  return embedding * (c.shared_classifier ? 1 : 2) + weight_blocks(c) * block + dim;
}

}  // namespace shoehorn
