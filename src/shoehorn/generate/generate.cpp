#include "shoehorn/generate/generate.hpp"

#include <algorithm>
#include <chrono>
#include <istream>
#include <ostream>

#include "shoehorn/tokenizer/special_token.hpp"

namespace shoehorn {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Times a run as llama2.c does: tok/s counts from the end of the first forward pass.
struct RunClock {
  Clock::time_point start = Clock::now();
  Clock::time_point decode_start{};
  int first_call_positions = 0;

  void ran(int positions) {
    if (first_call_positions == 0) {
      decode_start = Clock::now();
      first_call_positions = positions;
    }
  }
  // Ends the output line and fills in the stats.
  void finish(GenerationStats& stats, int positions, std::ostream& out) const {
    out << '\n';
    out.flush();
    finish(stats, positions);
  }
  void finish(GenerationStats& stats, int positions) const {
    stats.positions = positions;
    stats.first_call_positions = first_call_positions;
    stats.total_seconds = seconds_since(start);
    if (positions > first_call_positions) stats.decode_seconds = seconds_since(decode_start);
  }
};

// The text token adds after prev: llama2.c's safe_printf filter for SentencePiece pieces; the
// bytes themselves for byte-level BPE (a token may be one byte of a UTF-8 character).
std::string_view shown_text(const Tokenizer& tokenizer, int prev, int token) {
  const std::string_view piece = tokenizer.decode(prev, token);
  return tokenizer.byte_level() ? piece : printable(piece);
}

void emit(std::ostream& out, const Tokenizer& tokenizer, int prev, int token) {
  const std::string_view text = shown_text(tokenizer, prev, token);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.flush();
}

// llama2.c's read_stdin: print the guide, read one line without its newline.
std::optional<std::string> ask(std::istream& in, std::ostream& out, std::string_view guide) {
  out << guide;
  out.flush();
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  return line;
}

}  // namespace

double GenerationStats::tokens_per_second() const {
  return positions > first_call_positions && decode_seconds > 0
             ? (positions - first_call_positions) / decode_seconds
             : 0.0;
}

GenerationStats generate(Transformer& transformer, const Tokenizer& tokenizer, Sampler& sampler,
                         std::string_view prompt, int steps, std::ostream& out) {
  const TokenSink print = [&out](int, std::string_view text) {
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    return true;
  };
  const GenerationStats stats = generate(transformer, tokenizer, sampler, prompt, steps, print);
  out << '\n';
  out.flush();
  return stats;
}

GenerationStats generate(Transformer& transformer, const Tokenizer& tokenizer, Sampler& sampler,
                         std::string_view prompt, int steps, const TokenSink& sink,
                         std::pmr::memory_resource* scratch) {
  // A BOS first where the vocabulary asks for one (llama2.c always; a byte-level BPE vocabulary
  // by add_bos_token), and always before an empty prompt: the loop needs a first token.
  const bool add_bos = tokenizer.adds_bos() || prompt.empty();
  const std::pmr::vector<int> prompt_tokens = tokenizer.encode(prompt, add_bos, /*eos=*/false, scratch);
  const int bos = tokenizer.vocab().bos_id();
  GenerationStats stats;
  stats.prompt_tokens = static_cast<int>(prompt_tokens.size());
  RunClock clock;

  // Positions whose next token is the prompt's run as batches (no logits needed), up to a BOS
  // in the prompt, where the loop below stops as llama2.c does.
  const int prompt_size = static_cast<int>(prompt_tokens.size());
  int forced = 0;
  while (forced + 1 < prompt_size && forced < steps && prompt_tokens[forced + 1] != bos) ++forced;
  if (forced > 0) transformer.prefill(std::span(prompt_tokens).first(forced), 0);
  const auto shown = [&](int prev, int token) {
    return sink(token, shown_text(tokenizer, prev, token));
  };
  bool going = add_bos || shown(-1, prompt_tokens[0]);  // a text token, not a BOS: shown
  for (int pos = 0; going && pos < forced; ++pos) {
    going = shown(prompt_tokens[pos], prompt_tokens[pos + 1]);
  }
  if (forced > 0) clock.ran(forced);

  int token = prompt_tokens[forced];
  int pos = forced;
  while (going && pos < steps) {
    const std::span<float> logits = transformer.forward(token, pos);
    const int next = pos + 1 < static_cast<int>(prompt_tokens.size())
                         ? prompt_tokens[static_cast<std::size_t>(pos) + 1]
                         : sampler.sample(logits);
    ++pos;
    if (next == bos) break;  // the model starts a new sequence: this one is done
    going = shown(token, next);
    token = next;
    clock.ran(pos);
  }
  clock.finish(stats, pos);
  return stats;
}

GenerationStats chat(Transformer& transformer, const Tokenizer& tokenizer, Sampler& sampler,
                     const ChatPrompts& prompts, int steps, std::istream& in, std::ostream& out) {
  const int eos = tokenizer.vocab().eos_id();
  GenerationStats stats;
  RunClock clock;

  std::string system_prompt;
  std::vector<int> prompt_tokens;
  std::size_t user_idx = 0;
  bool user_turn = true;
  int next = 0;
  int pos = 0;
  while (pos < steps) {
    if (user_turn) {
      if (pos == 0) {
        if (prompts.system) {
          system_prompt = *prompts.system;
        } else {
          auto line = ask(in, out, "Enter system prompt (optional): ");
          if (!line) break;
          system_prompt = *line;
        }
      }
      std::string user_prompt;
      if (pos == 0 && prompts.user) {
        user_prompt = *prompts.user;
      } else {
        auto line = ask(in, out, "User: ");
        if (!line) break;
        user_prompt = *line;
      }
      const std::string rendered =
          pos == 0 && !system_prompt.empty()
              ? "[INST] <<SYS>>\n" + system_prompt + "\n<</SYS>>\n\n" + user_prompt + " [/INST]"
              : "[INST] " + user_prompt + " [/INST]";
      prompt_tokens = tokenizer.encode(rendered, /*bos=*/true, /*eos=*/false);
      stats.prompt_tokens += static_cast<int>(prompt_tokens.size());
      user_idx = 0;
      user_turn = false;
      out << "Assistant: ";
    }
    // The prompt's positions run in batches when the transformer keeps every position's
    // logits; the rest one at a time.
    std::size_t batch =
        user_idx < prompt_tokens.size() && transformer.logits_kept() == Logits::all
            ? std::min({prompt_tokens.size() - user_idx, static_cast<std::size_t>(steps - pos),
                        static_cast<std::size_t>(transformer.max_batch())})
            : 1;
    // An end of sequence in the prompt ends the turn: the batch stops there too.
    for (std::size_t i = 0; i + 1 < batch; ++i) {
      if (prompt_tokens[user_idx + i] == eos) batch = i + 1;
    }
    const int token = user_idx < prompt_tokens.size() ? prompt_tokens[user_idx] : next;
    const std::span<const int> tokens =
        batch > 1 ? std::span(prompt_tokens).subspan(user_idx, batch) : std::span(&token, 1);
    const std::span<float> logits =
        transformer.forward_batch(tokens, pos, batch > 1 ? Logits::all : Logits::last);
    const std::size_t vocab = logits.size() / tokens.size();
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      if (user_idx < prompt_tokens.size()) ++user_idx;
      if (tokens[i] == eos) user_turn = true;
      // llama2.c samples at every position, prompt included: the RNG advances the same way.
      next = sampler.sample(logits.subspan(i * vocab, vocab));
      ++pos;
      if (user_idx >= prompt_tokens.size() && next != eos) emit(out, tokenizer, tokens[i], next);
      if (next == eos) out << '\n';
      clock.ran(pos);
    }
  }
  clock.finish(stats, pos, out);
  return stats;
}

namespace {

// The tokens that end an assistant's turn: the family's marker when it is one token, EOS, and
// the caller's.
std::vector<int> turn_enders(const Tokenizer& tokenizer, const TemplateChat& chat) {
  std::vector<int> stops = chat.stop_tokens;
  stops.push_back(tokenizer.vocab().eos_id());
  const int marker = special_token_id(tokenizer.vocab(), end_of_turn_marker(chat.family));
  if (marker >= 0) stops.push_back(marker);
  return stops;
}

}  // namespace

GenerationStats template_chat(Transformer& transformer, const Tokenizer& tokenizer,
                              const NextToken& next_token, const TemplateChat& chat,
                              const ChatPrompts& prompts, int steps, std::istream& in,
                              std::ostream& out, std::vector<int>* context) {
  const std::vector<int> stops = turn_enders(tokenizer, chat);
  auto ends_turn = [&](int token) { return std::ranges::find(stops, token) != stops.end(); };
  GenerationStats stats;
  RunClock clock;

  std::vector<ChatMessage> messages;
  std::string system = prompts.system.value_or("");
  if (!prompts.system) {
    const std::optional<std::string> line = ask(in, out, "Enter system prompt (optional): ");
    if (!line) {
      clock.finish(stats, 0, out);
      return stats;
    }
    system = *line;
  }
  if (!system.empty()) messages.push_back({"system", system});

  std::size_t pieces_in_context = 0;  // of the conversation's rendering
  int pos = 0;
  bool first_turn = true;
  while (pos < steps) {
    std::optional<std::string> user = first_turn && prompts.user
                                          ? prompts.user
                                          : ask(in, out, "User: ");
    first_turn = false;
    if (!user) break;
    messages.push_back({"user", *user});
    const std::vector<ChatPiece> pieces = render_chat(chat.family, messages, true);
    std::vector<int> tokens = encode_chat(
        tokenizer, std::span(pieces).subspan(pieces_in_context), chat.add_bos && pos == 0);
    pieces_in_context = pieces.size();
    out << "Assistant: ";
    // What does not fit the positions left is cut off: the run ends with this turn.
    tokens.resize(std::min(tokens.size(), static_cast<std::size_t>(steps - pos)));
    if (tokens.empty()) break;
    stats.prompt_tokens += static_cast<int>(tokens.size());
    std::span<float> logits = transformer.prefill(tokens, pos);
    pos += static_cast<int>(tokens.size());
    clock.ran(pos);
    if (context != nullptr) context->insert(context->end(), tokens.begin(), tokens.end());

    std::string reply;
    int token = tokens.back();
    while (true) {
      const int next = next_token(logits);
      if (ends_turn(next)) break;
      const std::string_view piece = tokenizer.decode(token, next);
      emit(out, tokenizer, token, next);
      reply += piece;
      token = next;
      if (pos >= steps) break;
      logits = transformer.forward(token, pos);
      ++pos;
      clock.ran(pos);
      if (context != nullptr) context->push_back(token);
    }
    out << '\n';
    // The reply's content piece stands for the tokens sampled; what follows it in the next
    // rendering (the end-of-turn marker on) is run with the next user turn.
    messages.push_back({"assistant", reply});
    ++pieces_in_context;
  }
  clock.finish(stats, pos, out);
  return stats;
}

}  // namespace shoehorn
