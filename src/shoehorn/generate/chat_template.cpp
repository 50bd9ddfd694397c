#include "shoehorn/generate/chat_template.hpp"

#include <array>
#include <utility>

#include "shoehorn/tokenizer/special_token.hpp"

namespace shoehorn {

namespace {

constexpr std::array<std::pair<ChatFamily, std::string_view>, 8> kFamilies = {{
    {ChatFamily::chatml, "chatml"},
    {ChatFamily::llama2, "llama2"},
    {ChatFamily::llama2_sys, "llama2-sys"},
    {ChatFamily::llama2_sys_bos, "llama2-sys-bos"},
    {ChatFamily::llama2_sys_strip, "llama2-sys-strip"},
    {ChatFamily::llama3, "llama3"},
    {ChatFamily::zephyr, "zephyr"},
    {ChatFamily::phi3, "phi3"},
}};

constexpr std::array<ChatFamily, 8> kFamilyList = {
    ChatFamily::chatml, ChatFamily::llama2,  ChatFamily::llama2_sys, ChatFamily::llama2_sys_bos,
    ChatFamily::llama2_sys_strip, ChatFamily::llama3, ChatFamily::zephyr, ChatFamily::phi3};

// llama.cpp's trim: the C locale's whitespace off both ends.
std::string trim(std::string_view s) {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
  };
  std::size_t start = 0, end = s.size();
  while (start < end && space(s[start])) ++start;
  while (end > start && space(s[end - 1])) --end;
  return std::string(s.substr(start, end - start));
}

// The Llama 2 variants, told apart as llama.cpp tells them.
ChatFamily llama2_variant(std::string_view t) {
  if (t.find("content.strip()") != std::string_view::npos) return ChatFamily::llama2_sys_strip;
  if (t.find("bos_token + '[INST]") != std::string_view::npos) return ChatFamily::llama2_sys_bos;
  if (t.find("<<SYS>>") != std::string_view::npos) return ChatFamily::llama2_sys;
  return ChatFamily::llama2;
}

// Builds a rendering piece by piece.
struct Pieces {
  std::vector<ChatPiece> list;
  void special(std::string text) { list.push_back({true, std::move(text)}); }
  void text(std::string text) { list.push_back({false, std::move(text)}); }
};

void render_llama2(ChatFamily family, std::span<const ChatMessage> messages, Pieces& p) {
  const bool system_block = family != ChatFamily::llama2;
  const bool bos_inside = family == ChatFamily::llama2_sys_bos;
  const bool strip = family == ChatFamily::llama2_sys_strip;
  // The first [INST] follows the BOS the tokenizer adds; later turns open one themselves.
  bool inside_turn = true;
  p.text("[INST] ");
  for (const ChatMessage& m : messages) {
    const std::string content = strip ? trim(m.content) : m.content;
    if (!inside_turn) {
      inside_turn = true;
      if (bos_inside) p.special("<s>");
      p.text("[INST] ");
    }
    if (m.role == "system") {
      if (system_block) {
        p.text("<<SYS>>\n");
        p.text(content);
        p.text("\n<</SYS>>\n\n");
      } else {
        p.text(content);
        p.text("\n");
      }
    } else if (m.role == "user") {
      p.text(content);
      p.text(" [/INST]");
    } else {
      p.text(content);
      p.special("</s>");
      inside_turn = false;
    }
  }
}

}  // namespace

std::span<const ChatFamily> chat_families() { return kFamilyList; }

std::string_view chat_family_name(ChatFamily family) {
  for (const auto& [f, name] : kFamilies) {
    if (f == family) return name;
  }
  return "?";
}

std::optional<ChatFamily> chat_family_named(std::string_view name) {
  for (const auto& [f, n] : kFamilies) {
    if (n == name) return f;
  }
  return std::nullopt;
}

std::string chat_family_names() {
  std::string names;
  for (const auto& [f, name] : kFamilies) {
    if (!names.empty()) names += ", ";
    names += name;
  }
  return names;
}

// llama.cpp's llm_chat_detect_template, for these families, with one difference: llama.cpp
// tests "<|assistant|>" and "<|user|>" (GLMEdge, or Falcon 3 when "</s>" is written out) before
// Zephyr's "<|user|>" with "<|endoftext|>", so TinyLlama-Chat's template, which ends each turn
// with eos_token rather than a spelled-out marker, is taken for GLMEdge there (no end-of-turn
// marker at all: "<|user|>\nHi<|assistant|>"). Here a template whose user turn is
// '<|user|>\n' + message['content'] + eos_token (TinyLlama-Chat, zephyr-7b) is Zephyr,
// rendered with </s>, the eos_token of those models. The templates of families shoehorn does
// not render (Phi-4, Mistral's, GLMEdge, Falcon 3, Zephyr with <|endoftext|>...) are unknown.
std::optional<ChatFamily> detect_chat_family(std::string_view t) {
  if (std::optional<ChatFamily> named = chat_family_named(t)) return named;
  auto has = [t](std::string_view s) { return t.find(s) != std::string_view::npos; };
  if (has("<|im_start|>")) {
    if (has("<|im_sep|>")) return std::nullopt;  // Phi-4
    return ChatFamily::chatml;
  }
  if (t.starts_with("mistral") || has("[INST]")) {
    // Mistral's own v1, v3, v3-tekken and v7 formats.
    if (has("[SYSTEM_PROMPT]") || has("' [INST] ' + system_message") || has("[AVAILABLE_TOOLS]")) {
      return std::nullopt;
    }
    return llama2_variant(t);
  }
  if (has("<|assistant|>") && has("<|end|>")) return ChatFamily::phi3;
  // The user turn as TinyLlama-Chat's template writes it (the newline a Jinja escape, or not).
  if (has("<|assistant|>") && (has("'<|user|>\\n' + message['content'] + eos_token") ||
                               has("'<|user|>\n' + message['content'] + eos_token"))) {
    return ChatFamily::zephyr;
  }
  if (has("<|start_header_id|>") && has("<|end_header_id|>")) return ChatFamily::llama3;
  return std::nullopt;
}

std::string_view end_of_turn_marker(ChatFamily family) {
  switch (family) {
    case ChatFamily::chatml: return "<|im_end|>";
    case ChatFamily::llama3: return "<|eot_id|>";
    case ChatFamily::phi3: return "<|end|>";
    case ChatFamily::zephyr:
    case ChatFamily::llama2:
    case ChatFamily::llama2_sys:
    case ChatFamily::llama2_sys_bos:
    case ChatFamily::llama2_sys_strip: return "</s>";
  }
  return "</s>";
}

std::vector<ChatPiece> render_chat(ChatFamily family, std::span<const ChatMessage> messages,
                                   bool add_assistant_prefix) {
  Pieces p;
  switch (family) {
    case ChatFamily::chatml:
      for (const ChatMessage& m : messages) {
        p.special("<|im_start|>");
        p.text(m.role + "\n");
        p.text(m.content);
        p.special("<|im_end|>");
        p.text("\n");
      }
      if (add_assistant_prefix) {
        p.special("<|im_start|>");
        p.text("assistant\n");
      }
      break;
    case ChatFamily::llama2:
    case ChatFamily::llama2_sys:
    case ChatFamily::llama2_sys_bos:
    case ChatFamily::llama2_sys_strip:
      render_llama2(family, messages, p);  // " [/INST]" already opens the reply
      break;
    case ChatFamily::llama3:
      for (const ChatMessage& m : messages) {
        p.special("<|start_header_id|>");
        p.text(m.role);
        p.special("<|end_header_id|>");
        p.text("\n\n");
        p.text(trim(m.content));
        p.special("<|eot_id|>");
      }
      if (add_assistant_prefix) {
        p.special("<|start_header_id|>");
        p.text("assistant");
        p.special("<|end_header_id|>");
        p.text("\n\n");
      }
      break;
    case ChatFamily::zephyr:
    case ChatFamily::phi3:
      for (const ChatMessage& m : messages) {
        p.special("<|" + m.role + "|>");
        p.text("\n");
        p.text(m.content);
        p.special(std::string(end_of_turn_marker(family)));
        p.text("\n");
      }
      if (add_assistant_prefix) {
        p.special("<|assistant|>");
        p.text("\n");
      }
      break;
  }
  return std::move(p.list);
}

std::string chat_text(std::span<const ChatPiece> pieces) {
  std::string text;
  for (const ChatPiece& piece : pieces) text += piece.text;
  return text;
}

std::vector<int> encode_chat(const Tokenizer& tokenizer, std::span<const ChatPiece> pieces,
                             bool bos) {
  std::vector<int> ids;
  if (bos) ids.push_back(tokenizer.vocab().bos_id());
  std::string run;  // text since the last marker token
  auto flush = [&] {
    if (run.empty()) return;
    const std::vector<int> encoded = tokenizer.encode(run, /*bos=*/false, /*eos=*/false);
    ids.insert(ids.end(), encoded.begin(), encoded.end());
    run.clear();
  };
  for (const ChatPiece& piece : pieces) {
    const int id = piece.special ? special_token_id(tokenizer.vocab(), piece.text) : -1;
    if (id < 0) {
      run += piece.text;
      continue;
    }
    flush();
    ids.push_back(id);
  }
  flush();
  return ids;
}

}  // namespace shoehorn
