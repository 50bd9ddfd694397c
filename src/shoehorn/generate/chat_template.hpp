// Chat templates: the conversation formats of instruction-tuned models, as llama.cpp of
// February 2025 recognizes and renders them (src/llama-chat.cpp: llm_chat_detect_template,
// llm_chat_apply_template), without a Jinja interpreter: the family is guessed from marker
// strings in the template text (a GGUF's tokenizer.chat_template), and each family renders in
// code.
//
// Rendering gives pieces, each a special marker (<|im_start|>) or plain text, rather than one
// string: markers become single control tokens by exact lookup in the vocabulary, and text goes
// through the ordinary encoder, so a user typing "<|im_end|>" gets the characters, never the
// control token (llama.cpp tokenizes its rendered string with parse_special, which cannot tell
// them apart). A marker the vocabulary lacks as a control or user-defined token is encoded as
// text, joined with the text around it: what llama.cpp's parse_special pass does with a string
// it finds no token for.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shoehorn/tokenizer/tokenizer.hpp"

namespace shoehorn {

enum class ChatFamily {
  chatml,            // <|im_start|>role\n...<|im_end|>\n (SmolLM2, Qwen)
  llama2,            // [INST] ... [/INST]; a system message is the first turn's first line
  llama2_sys,        // as llama2, the system message in <<SYS>>\n...\n<</SYS>>\n\n
  llama2_sys_bos,    // as llama2_sys, each later turn opening with <s>
  llama2_sys_strip,  // as llama2_sys, every message stripped of surrounding whitespace
  llama3,            // <|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|>
  zephyr,            // <|role|>\n...</s>\n (TinyLlama-Chat, zephyr-7b)
  phi3,              // <|role|>\n...<|end|>\n
};

// The families by the names llama.cpp gives them ("chatml", "llama2", "llama2-sys",
// "llama2-sys-bos", "llama2-sys-strip", "llama3", "zephyr", "phi3").
std::span<const ChatFamily> chat_families();
std::string_view chat_family_name(ChatFamily family);
std::optional<ChatFamily> chat_family_named(std::string_view name);
// "chatml, llama2, ...": for help texts and errors.
std::string chat_family_names();

// The family of a template's text (or of a family's name), or nothing when it is none of these.
std::optional<ChatFamily> detect_chat_family(std::string_view template_text);

// The marker that ends a turn: where generation stops.
std::string_view end_of_turn_marker(ChatFamily family);

struct ChatMessage {
  std::string role;  // "system", "user", "assistant"
  std::string content;
};

struct ChatPiece {
  bool special = false;  // a marker to look up as one token
  std::string text;

  bool operator==(const ChatPiece&) const = default;
};

// The conversation in the family's format; with add_assistant_prefix, the opening of the
// assistant's reply after it (the Llama 2 families have none). Each message's content is a
// piece of its own, so the rendering of a conversation ending in an assistant message is the
// rendering of the conversation before it with add_assistant_prefix, then that content piece,
// then the rest: the generator counts the reply's piece as the tokens it sampled.
std::vector<ChatPiece> render_chat(ChatFamily family, std::span<const ChatMessage> messages,
                                   bool add_assistant_prefix);

// The pieces as one string: what llama.cpp's llm_chat_apply_template returns.
std::string chat_text(std::span<const ChatPiece> pieces);

// Token ids of pieces: markers that are one control or user-defined token become its id; runs
// of text (and markers the vocabulary lacks) are joined and each run encoded on its own, as
// llama.cpp encodes the text between special tokens. bos: a BOS first.
std::vector<int> encode_chat(const Tokenizer& tokenizer, std::span<const ChatPiece> pieces,
                             bool bos);

}  // namespace shoehorn
