// Any text as a training config: either a located Error, or a config whose canonical settings
// text parses back to itself.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "shoehorn/io/error.hpp"
#include "shoehorn/train/train_config.hpp"
#include "shoehorn/train/trained_model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const shoehorn::TrainConfig config = shoehorn::parse_train_config(text, "fuzz.conf");
    const shoehorn::TrainConfig again = shoehorn::parse_train_config(config.settings_text, "fuzz.conf");
    if (again.settings_text != config.settings_text) __builtin_trap();
    (void)shoehorn::weight_layout(config);
    (void)shoehorn::parameter_count(config);
    for (const int step : {1, config.warmup_steps, config.steps / 2, config.steps}) {
      const double lr = shoehorn::learning_rate_at(config, step < 1 ? 1 : step);
      if (!(lr >= 0 && lr <= config.learning_rate * (1 + 1e-12))) __builtin_trap();
    }
  } catch (const shoehorn::Error&) {
  }
  return 0;
}
