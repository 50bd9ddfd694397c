// llama2.c's generate loop over a baked model, one position per step(): in constant
// evaluation (a chain of constexpr values, see SHOEHORN_CTIME_STEP) or at run time (a loop
// over one object in static storage). No heap, no I/O.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "shoehorn/ctime/forward.hpp"
#include "shoehorn/ctime/text.hpp"
#include "shoehorn/ctime/tokenizer.hpp"
#include "shoehorn/sample/choose.hpp"
#include "shoehorn/sample/rng.hpp"

namespace shoehorn::ctime {

// Completes a prompt as `shoehorn run` does (-n steps positions, prompt included; the prompt
// is forced, then tokens are sampled until BOS or the last position). text() is what `run`
// prints before its final newline.
template <class M, int Positions, int MaxPromptBytes = 256>
class Generation {
 public:
  static_assert(Positions >= 1 && Positions <= M::seq_len, "positions outside 1..seq_len");
  static constexpr std::size_t kTextCapacity =
      static_cast<std::size_t>(Positions) * static_cast<std::size_t>(M::max_piece_bytes);

  // steps: positions to run, 1..Positions. A prompt longer than MaxPromptBytes is a compile
  // error in constant evaluation; at run time, check fits() first.
  constexpr Generation(std::string_view prompt, SamplerSettings settings, int steps = Positions)
      : prompt_(encode<M, MaxPromptBytes>(prompt, /*bos=*/true, /*eos=*/false)),
        settings_(settings),
        rng_(settings.seed),
        steps_(steps < 1 || steps > Positions ? Positions : steps),
        token_(prompt_.ids[0]),
        done_(prompt_.size == 0) {}  // no tokens: the prompt did not fit

  static constexpr bool fits(std::string_view prompt) {
    return prompt.size() <= static_cast<std::size_t>(MaxPromptBytes);
  }

  // One position: the forward pass, then the next token (the prompt's, or a sampled one), and
  // its text.
  constexpr void step() {
    if (done_) return;
    const bool in_prompt = pos_ + 1 < prompt_.size;
    forward(state_, token_, pos_, /*want_logits=*/!in_prompt);
    const int next = in_prompt ? prompt_.ids[pos_ + 1]
                               : choose::token(state_.logits, M::vocab_size, settings_, rng_,
                                               candidates_);
    ++pos_;
    if (!in_prompt) ++sampled_;
    if (next == M::bos_id) {  // the model starts a new sequence: this one is done
      done_ = true;
      return;
    }
    append(decode<M>(token_, next));
    token_ = next;
    if (pos_ >= steps_) done_ = true;
  }

  constexpr void run() {
    while (!done_) step();
  }

  constexpr bool done() const { return done_; }
  constexpr std::string_view text() const { return {text_, text_size_}; }
  constexpr Text<kTextCapacity> text_copy() const {
    Text<kTextCapacity> out;
    for (std::size_t i = 0; i < text_size_; ++i) out.bytes[i] = text_[i];
    out.size = text_size_;
    return out;
  }
  constexpr int positions() const { return pos_; }
  constexpr int prompt_tokens() const { return prompt_.size; }
  constexpr int sampled_tokens() const { return sampled_; }

 private:
  constexpr void append(std::string_view piece) {
    for (const char c : piece) text_[text_size_++] = c;
  }

  State<M, Positions> state_;
  TokenIds<MaxPromptBytes> prompt_;
  SamplerSettings settings_;
  Xorshift64Star rng_;
  ProbIndex candidates_[M::vocab_size]{};
  int steps_;
  int token_;
  int pos_ = 0;
  int sampled_ = 0;
  bool done_ = false;
  char text_[kTextCapacity]{};
  std::size_t text_size_ = 0;
};

// g after one more step: the link of a chain of constants.
template <class G>
constexpr G stepped(G g) {
  g.step();
  return g;
}

}  // namespace shoehorn::ctime

// Defines the constant `next` as `previous` one position further. Each link is a constant
// evaluation of its own, so the compiler's limits (-fconstexpr-ops-limit, -fconstexpr-steps)
// apply to one forward pass, not to the whole story. The empty function after it matters to
// GCC: it collects the garbage of constant evaluation (a tree node per float operation) only
// after a function definition, so a chain of links keeps its memory flat where one long
// evaluation grows by ~30 MB per token.
#define SHOEHORN_CTIME_STEP(previous, next)                                  \
  inline constexpr auto next = ::shoehorn::ctime::stepped(previous);        \
  inline void next##_lets_the_compiler_collect_garbage() {}
