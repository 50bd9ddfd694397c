// llama2.c's two loops over the engine: generate (complete a prompt) and chat (Llama 2 chat
// template, turn by turn), and template_chat (a model's own chat template, turn by turn). Text
// goes to an ostream, flushed after every token.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory_resource>
#include <optional>
#include <string>
#include <string_view>

#include "shoehorn/generate/chat_template.hpp"
#include "shoehorn/model/transformer.hpp"
#include "shoehorn/sample/sampler.hpp"
#include "shoehorn/tokenizer/tokenizer.hpp"

namespace shoehorn {

struct GenerationStats {
  int prompt_tokens = 0;
  int positions = 0;         // positions run
  int first_call_positions = 1;  // positions the first forward call ran (a prompt batch: more)
  double decode_seconds = 0; // from the end of the first forward call to the end, as llama2.c
  double total_seconds = 0;

  // llama2.c's "achieved tok/s": positions after the first call over the time they took.
  double tokens_per_second() const;
};

// Receives each token generate shows (the prompt's, then each sampled one) and the text it adds,
// as llama2.c prints it; returns false to stop there.
using TokenSink = std::function<bool(int token, std::string_view text)>;

// Runs positions 0..steps-1 (steps <= transformer.max_positions()): the prompt (after BOS) is
// forced, its positions in batches, then tokens are sampled until BOS, the last step, or the
// sink says stop.
// The prompt's encoding takes its memory from scratch (an arena: then generate allocates
// nothing for a SentencePiece vocabulary).
GenerationStats generate(Transformer& transformer, const Tokenizer& tokenizer, Sampler& sampler,
                         std::string_view prompt, int steps, const TokenSink& sink,
                         std::pmr::memory_resource* scratch = std::pmr::new_delete_resource());
// The same, printed to out as llama2.c prints it (flushed after every token, a newline at the
// end).
GenerationStats generate(Transformer& transformer, const Tokenizer& tokenizer, Sampler& sampler,
                         std::string_view prompt, int steps, std::ostream& out);

struct ChatPrompts {
  std::optional<std::string> user;    // first user turn; asked on `in` when absent
  std::optional<std::string> system;  // asked on `in` when absent
};

// llama2.c's chat loop. Ends after steps positions, or when `in` runs out of lines.
GenerationStats chat(Transformer& transformer, const Tokenizer& tokenizer, Sampler& sampler,
                     const ChatPrompts& prompts, int steps, std::istream& in, std::ostream& out);

// A chat in a model's own template (chat_template.hpp), turn by turn: each user line (the first
// from prompts.user when given) is added to the conversation, the part of its rendering not yet
// in the context is encoded and run, and the reply is sampled until an end of turn: the
// family's marker token, the vocabulary's EOS, or one of stop_tokens. That token is neither
// printed nor run; the next turn's rendering starts with the template's own end of turn, so
// one context holds the whole conversation. A non-empty system prompt (prompts.system, else
// asked on `in` as llama2.c asks) is the first message. Ends after steps positions or when
// `in` runs out of lines.
struct TemplateChat {
  ChatFamily family = ChatFamily::chatml;
  bool add_bos = true;           // a BOS at position 0 (the GGUF's tokenizer.ggml.add_bos_token)
  std::vector<int> stop_tokens;  // besides the marker and EOS (e.g. tokenizer.ggml.eot_token_id)
};

// Picks the next token from logits (a Sampler in use; scripted in tests).
using NextToken = std::function<int(std::span<float> logits)>;

// context, when given, receives every token run, in position order.
GenerationStats template_chat(Transformer& transformer, const Tokenizer& tokenizer,
                              const NextToken& next_token, const TemplateChat& chat,
                              const ChatPrompts& prompts, int steps, std::istream& in,
                              std::ostream& out, std::vector<int>* context = nullptr);

}  // namespace shoehorn
