// Chat templates: detection from real templates' texts, renderings as llama.cpp's
// llm_chat_apply_template gives them (tests/test-chat-template.cpp of February 2025), token ids
// of markers and text, the turn loop over a scripted sampler, and `run -m chat` on GGUF models.
#include <gtest/gtest.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "shoehorn/format/gguf.hpp"
#include "shoehorn/format/gguf_llama.hpp"
#include "shoehorn/generate/chat_template.hpp"
#include "shoehorn/generate/generate.hpp"
#include "shoehorn/io/source.hpp"
#include "shoehorn/model/random_model.hpp"
#include "test_util.hpp"

namespace shoehorn::test {
namespace {

// Templates as the models' tokenizer.chat_template holds them.
// teknium/OpenHermes-2.5-Mistral-7B (llama.cpp's test).
constexpr const char* kOpenHermes =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] "
    "+ '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' "
    "}}{% endif %}";
// HuggingFaceTB/SmolLM2-135M-Instruct (the newlines inside its literals are real ones).
constexpr const char* kSmolLM2 =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ "
    "'<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
    "Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] "
    "+ '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' "
    "}}{% endif %}";
// mistralai/Mistral-7B-Instruct-v0.2, old (llama.cpp's test): Llama 2 without <<SYS>>.
constexpr const char* kMistralOld =
    "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != "
    "(loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate "
    "user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] "
    "' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ "
    "message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles "
    "are supported!') }}{% endif %}{% endfor %}";
// TheBloke/FusionNet_34Bx2_MoE-AWQ (llama.cpp's test): <<SYS>>, BOS inside the history.
constexpr const char* kFusionNet =
    "{%- for idx in range(0, messages|length) -%}\n{%- if messages[idx]['role'] == 'user' -%}\n{%- "
    "if idx > 1 -%}\n{{- bos_token + '[INST] ' + messages[idx]['content'] + ' [/INST]' -}}\n{%- "
    "else -%}\n{{- messages[idx]['content'] + ' [/INST]' -}}\n{%- endif -%}\n{% elif "
    "messages[idx]['role'] == 'system' %}\n{{- '[INST] <<SYS>>\\n' + messages[idx]['content'] + "
    "'\\n<</SYS>>\\n\\n' -}}\n{%- elif messages[idx]['role'] == 'assistant' -%}\n{{- ' '  + "
    "messages[idx]['content'] + ' ' + eos_token -}}\n{% endif %}\n{% endfor %}";
// meta-llama/Llama-2-7b-chat-hf: <<SYS>>, messages stripped.
constexpr const char* kLlama2Chat =
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set "
    "system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set "
    "system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] "
    "== 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate "
    "user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != "
    "false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + "
    "message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if "
    "message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif "
    "message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% "
    "endfor %}";
// Llama 3 (llama.cpp's test).
constexpr const char* kLlama3 =
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
    "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim "
    "+ '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ "
    "content }}{% endfor %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}";
// TinyLlama/TinyLlama-1.1B-Chat-v1.0 (and HuggingFaceH4/zephyr-7b-beta).
constexpr const char* kTinyLlama =
    "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + "
    "message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + "
    "message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ "
    "'<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and "
    "add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";
// Phi-3-mini (llama.cpp's test; also the one in ggml-vocab-phi-3.gguf).
constexpr const char* kPhi3Mini =
    "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') %}{{'<|user|>' + "
    "'\n' + message['content'] + '<|end|>' + '\n' + '<|assistant|>' + '\n'}}{% elif "
    "(message['role'] == 'assistant') %}{{message['content'] + '<|end|>' + '\n'}}{% endif %}{% "
    "endfor %}";
// Phi-3-small (llama.cpp's test).
constexpr const char* kPhi3Small =
    "{{ bos_token }}{% for message in messages %}{{'<|' + message['role'] + '|>' + '\n' + "
    "message['content'] + '<|end|>\n' }}{% endfor %}{% if add_generation_prompt %}{{ "
    "'<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}";
// GLMEdge (llama.cpp's test): <|user|> and <|assistant|> with no end of turn.
constexpr const char* kGlmEdge =
    "{% for item in messages %}{% if item['role'] == 'system' %}<|system|>\n{{ item['content'] }}{% "
    "elif item['role'] == 'user' %}<|user|>\n{{ item['content'] }}{% elif item['role'] == "
    "'assistant' %}<|assistant|>\n{{ item['content'] }}{% endif %}{% endfor %}<|assistant|>";
// phi-4 (llama.cpp's test).
constexpr const char* kPhi4 =
    "{% for message in messages %}{% if (message['role'] == 'system') %}{{'<|im_start|>system<|im_sep|>' "
    "+ message['content'] + '<|im_end|>'}}{% elif (message['role'] == 'user') %}{{'<|im_start|>user<|im_sep|>' "
    "+ message['content'] + '<|im_end|>'}}{% elif (message['role'] == 'assistant') "
    "%}{{'<|im_start|>assistant<|im_sep|>' + message['content'] + '<|im_end|>'}}{% endif %}{% endfor "
    "%}{% if add_generation_prompt %}{{ '<|im_start|>assistant<|im_sep|>' }}{% endif %}";

// llama.cpp's test conversation.
const std::vector<ChatMessage>& conversation() {
  static const std::vector<ChatMessage> messages = {
      {"system", "You are a helpful assistant"},
      {"user", "Hello"},
      {"assistant", "Hi there"},
      {"user", "Who are you"},
      {"assistant", "   I am an assistant   "},
      {"user", "Another question"},
  };
  return messages;
}

std::string rendered(ChatFamily family) {
  return chat_text(render_chat(family, conversation(), true));
}

std::optional<Vocab> vocab_of(const std::string& path) {
  return gguf_vocab(read_gguf(FileSource(path)));
}
std::string phi3_vocab_path() { return shared_path("testdata/vocab/ggml-vocab-phi-3.gguf"); }
std::string llama_vocab_path() { return shared_path("testdata/gguf/ggml-vocab-llama-spm.gguf"); }

const Tokenizer& phi3() {
  static const Tokenizer tokenizer(*vocab_of(phi3_vocab_path()));
  return tokenizer;
}
const Tokenizer& llama_spm() {
  static const Tokenizer tokenizer(*vocab_of(llama_vocab_path()));
  return tokenizer;
}

TEST(ChatTemplate, DetectsEachFamilyFromRealTemplates) {
  EXPECT_EQ(detect_chat_family(kOpenHermes), ChatFamily::chatml);
  EXPECT_EQ(detect_chat_family(kSmolLM2), ChatFamily::chatml);
  EXPECT_EQ(detect_chat_family(kMistralOld), ChatFamily::llama2);
  EXPECT_EQ(detect_chat_family(kFusionNet), ChatFamily::llama2_sys_bos);
  EXPECT_EQ(detect_chat_family(kLlama2Chat), ChatFamily::llama2_sys_strip);
  EXPECT_EQ(detect_chat_family(kLlama3), ChatFamily::llama3);
  EXPECT_EQ(detect_chat_family(kTinyLlama), ChatFamily::zephyr);  // llama.cpp: GLMEdge
  EXPECT_EQ(detect_chat_family(kPhi3Mini), ChatFamily::phi3);
  EXPECT_EQ(detect_chat_family(kPhi3Small), ChatFamily::phi3);
  // A name is a template too, as in llama.cpp.
  for (const ChatFamily f : chat_families()) {
    EXPECT_EQ(detect_chat_family(chat_family_name(f)), f) << chat_family_name(f);
    EXPECT_EQ(chat_family_named(chat_family_name(f)), f);
  }
  EXPECT_EQ(chat_family_names(),
            "chatml, llama2, llama2-sys, llama2-sys-bos, llama2-sys-strip, llama3, zephyr, phi3");
}

TEST(ChatTemplate, OtherFamiliesAreUnknown) {
  EXPECT_EQ(detect_chat_family(kGlmEdge), std::nullopt);
  EXPECT_EQ(detect_chat_family(kPhi4), std::nullopt);
  EXPECT_EQ(detect_chat_family("[SYSTEM_PROMPT] [INST]"), std::nullopt);  // Mistral v7
  EXPECT_EQ(detect_chat_family("{{ '<start_of_turn>' + role }}"), std::nullopt);  // Gemma
  EXPECT_EQ(detect_chat_family(""), std::nullopt);
  EXPECT_EQ(chat_family_named("gemma"), std::nullopt);
}

TEST(ChatTemplate, RendersAsLlamaCpp) {
  // llama.cpp's expected_output for the templates above.
  EXPECT_EQ(rendered(ChatFamily::chatml),
            "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHello<|im_end|>"
            "\n<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n"
            "<|im_start|>assistant\n   I am an assistant   <|im_end|>\n<|im_start|>user\nAnother "
            "question<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(rendered(ChatFamily::llama2),
            "[INST] You are a helpful assistant\nHello [/INST]Hi there</s>[INST] Who are you [/INST]"
            "   I am an assistant   </s>[INST] Another question [/INST]");
  EXPECT_EQ(rendered(ChatFamily::llama2_sys_bos),
            "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s><s>[INST]"
            " Who are you [/INST]   I am an assistant   </s><s>[INST] Another question [/INST]");
  EXPECT_EQ(rendered(ChatFamily::llama2_sys_strip),
            "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s>[INST] "
            "Who are you [/INST]I am an assistant</s>[INST] Another question [/INST]");
  EXPECT_EQ(rendered(ChatFamily::llama3),
            "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant"
            "<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWho are "
            "you<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nI am an assistant<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nAnother question<|eot_id|><|start_header_id|>"
            "assistant<|end_header_id|>\n\n");
  EXPECT_EQ(rendered(ChatFamily::phi3),
            "<|system|>\nYou are a helpful assistant<|end|>\n<|user|>\nHello<|end|>\n<|assistant|>\nHi "
            "there<|end|>\n<|user|>\nWho are you<|end|>\n<|assistant|>\n   I am an assistant   <|end|>\n"
            "<|user|>\nAnother question<|end|>\n<|assistant|>\n");
  // llama.cpp has no expected output for these two: llama2-sys is llama2-sys-bos without the
  // <s>; zephyr is what TinyLlama's template gives under Hugging Face's Jinja settings
  // (trim_blocks: the newline after each {{ ... eos_token }} stays) with eos_token </s>.
  EXPECT_EQ(rendered(ChatFamily::llama2_sys),
            "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s>[INST]"
            " Who are you [/INST]   I am an assistant   </s>[INST] Another question [/INST]");
  EXPECT_EQ(rendered(ChatFamily::zephyr),
            "<|system|>\nYou are a helpful assistant</s>\n<|user|>\nHello</s>\n<|assistant|>\nHi "
            "there</s>\n<|user|>\nWho are you</s>\n<|assistant|>\n   I am an assistant   </s>\n"
            "<|user|>\nAnother question</s>\n<|assistant|>\n");
  // Without the assistant's opening.
  EXPECT_EQ(chat_text(render_chat(ChatFamily::phi3, std::span(conversation()).first(2), false)),
            "<|system|>\nYou are a helpful assistant<|end|>\n<|user|>\nHello<|end|>\n");
}

// What the turn loop relies on: a conversation ending in a reply renders as the conversation
// before it with the assistant's opening, the reply's content as one piece, then the rest.
TEST(ChatTemplate, AReplyIsOnePieceAfterThePromptsRendering) {
  const std::span<const ChatMessage> before = std::span(conversation()).first(4);
  const std::vector<ChatMessage> after(conversation().begin(), conversation().begin() + 5);
  for (const ChatFamily f : chat_families()) {
    const std::vector<ChatPiece> prompt = render_chat(f, before, true);
    const std::vector<ChatPiece> full = render_chat(f, after, false);
    ASSERT_GT(full.size(), prompt.size()) << chat_family_name(f);
    EXPECT_TRUE(std::equal(prompt.begin(), prompt.end(), full.begin())) << chat_family_name(f);
    EXPECT_FALSE(full[prompt.size()].special);
    const bool trims = f == ChatFamily::llama3 || f == ChatFamily::llama2_sys_strip;
    EXPECT_EQ(full[prompt.size()].text, trims ? "I am an assistant" : "   I am an assistant   ")
        << chat_family_name(f);
  }
}

TEST(ChatTemplate, Phi3MarkersAreControlTokensAndUserTextStaysText) {
  const std::vector<ChatMessage> messages = {{"system", "Be brief"}, {"user", "Hi <|end|> there"}};
  const std::vector<int> ids =
      encode_chat(phi3(), render_chat(ChatFamily::phi3, messages, true), true);
  // <s> <|system|> "\nBe brief" <|end|> "\n" <|user|> "\nHi <|end|> there" <|end|> "\n"
  // <|assistant|> "\n"; each text run with SentencePiece's leading space (29871 before 13).
  EXPECT_EQ(join_ids(ids),
            "1 32006 29871 13 3629 11473 32007 29871 13 32010 29871 13 18567 529 29989 355 29989 "
            "29958 727 32007 29871 13 32001 29871 13");
  // The marker the user typed is the characters "<|end|>", as the plain encoder gives them.
  EXPECT_EQ(join_ids(phi3().encode(" <|end|>", false, false)), "29871 529 29989 355 29989 29958");
}

TEST(ChatTemplate, MarkersOutsideTheVocabularyAreText) {
  const Tokenizer& t = llama_spm();
  // "[INST]" and "<<SYS>>" are no tokens of Llama 2's vocabulary; </s> and <s> are.
  const std::vector<ChatMessage> messages = {
      {"system", "S"}, {"user", "Hi"}, {"assistant", "Yo"}, {"user", "Bye"}};
  const std::vector<int> ids =
      encode_chat(t, render_chat(ChatFamily::llama2_sys_bos, messages, true), true);
  std::vector<int> expected = {1};
  for (int id : t.encode("[INST] <<SYS>>\nS\n<</SYS>>\n\nHi [/INST]Yo", false, false)) {
    expected.push_back(id);
  }
  expected.push_back(2);
  expected.push_back(1);
  for (int id : t.encode("[INST] Bye [/INST]", false, false)) expected.push_back(id);
  EXPECT_EQ(ids, expected);
  EXPECT_EQ(join_ids(t.encode("[INST]", false, false)), "518 25580 29962");
  // ChatML markers the vocabulary lacks join the text around them, as llama.cpp's string does.
  const std::vector<ChatPiece> chatml = render_chat(ChatFamily::chatml, messages, true);
  EXPECT_EQ(encode_chat(t, chatml, false), t.encode(chat_text(chatml), false, false));
}

// A tiny random model with the Phi-3 vocabulary, and a sampler that plays a script.
struct ScriptedChat {
  Model model = random_model(Config{16, 32, 1, 2, 2, 32064, 96}, true, 5);
  std::deque<int> script;
  int calls = 0;

  struct Result {
    std::string out;
    std::vector<int> context;
    GenerationStats stats;
  };
  Result run(const TemplateChat& chat, const std::string& in, int steps = 96) {
    Transformer transformer(model, steps, nullptr, 8);
    const NextToken next = [this](std::span<float>) {
      ++calls;
      const int token = script.front();
      script.pop_front();
      return token;
    };
    std::istringstream input(in);
    std::ostringstream out;
    Result r;
    r.stats = template_chat(transformer, phi3(), next, chat, {"Hi", "Be brief"}, steps, input, out,
                            &r.context);
    r.out = out.str();
    return r;
  }
};

std::vector<int> concat(std::initializer_list<std::vector<int>> parts) {
  std::vector<int> all;
  for (const auto& p : parts) all.insert(all.end(), p.begin(), p.end());
  return all;
}

TEST(TemplateChat, StopsAtTheEndOfTurnAndContinuesTheContext) {
  ScriptedChat chat;
  const std::vector<int> hello = phi3().encode("Hello", false, false);  // " Hello"
  const std::vector<int> sure = phi3().encode("Sure", false, false);
  // Turn 1 ends at <|end|>, turn 2 at the vocabulary's EOS (<|endoftext|>).
  chat.script.insert(chat.script.end(), hello.begin(), hello.end());
  chat.script.push_back(32007);
  chat.script.insert(chat.script.end(), sure.begin(), sure.end());
  chat.script.push_back(32000);
  const ScriptedChat::Result r = chat.run({ChatFamily::phi3, true, {}}, "Again\n");
  EXPECT_EQ(r.out, "Assistant:  Hello\nUser: Assistant:  Sure\nUser: \n");
  EXPECT_TRUE(chat.script.empty());
  const std::vector<ChatMessage> first = {{"system", "Be brief"}, {"user", "Hi"}};
  const std::vector<int> turn1 =
      encode_chat(phi3(), render_chat(ChatFamily::phi3, first, true), true);
  // The second turn opens with the template's own end of the reply; the sampled <|end|> and
  // <|endoftext|> are never run.
  const std::vector<int> turn2 = {32007, 29871, 13, 32010, 29871, 13, 14769, 475, 32007, 29871,
                                  13, 32001, 29871, 13};
  EXPECT_EQ(join_ids(phi3().encode("\nAgain", false, false)), "29871 13 14769 475");
  EXPECT_EQ(r.context, concat({turn1, hello, turn2, sure}));
  EXPECT_EQ(r.stats.positions, static_cast<int>(r.context.size()));
  EXPECT_EQ(r.stats.prompt_tokens, static_cast<int>(turn1.size() + turn2.size()));
  EXPECT_EQ(chat.calls, static_cast<int>(hello.size() + sure.size()) + 2);
}

TEST(TemplateChat, StopTokensAndTheEndOfThePositions) {
  ScriptedChat chat;
  // An extra stop token (an eot id from the file) ends the turn too.
  chat.script = {15043, 450, 29991};
  ScriptedChat::Result r = chat.run({ChatFamily::phi3, true, {29991}}, "");
  EXPECT_EQ(r.out, "Assistant:  Hello The\nUser: \n");
  EXPECT_TRUE(chat.script.empty());
  // Out of positions: the last sampled token is printed, as llama2.c prints its last step's.
  const int prompt = static_cast<int>(r.stats.prompt_tokens);
  chat.script = {15043, 450, 15043, 450};
  r = chat.run({ChatFamily::phi3, false, {}}, "more\n", prompt + 1);  // no BOS: one less
  EXPECT_EQ(r.stats.prompt_tokens, prompt - 1);
  EXPECT_EQ(r.stats.positions, prompt + 1);
  EXPECT_EQ(r.out, "Assistant:  Hello The Hello\n\n");
  EXPECT_EQ(chat.script.size(), 1u);
}

// `shoehorn init` models with the Phi-3 vocabulary and a template from a file.
std::string phi3_model(const std::string& name, const std::string& template_text) {
  const std::string path = scratch_path(name + ".gguf");
  std::vector<std::string> args = {"init", "--shape", "stories260K", "--vocab", "32064",
                                   "--seq-len", "128", "-z", phi3_vocab_path(), "-o", path};
  if (!template_text.empty()) {
    const std::string text_file = scratch_path(name + ".jinja");
    std::ofstream(text_file, std::ios::binary) << template_text;
    args.insert(args.end(), {"--chat-template-text", text_file});
  }
  const CliResult r = run_cli(args);
  EXPECT_EQ(r.status, 0) << r.err;
  return path;
}

// The prompt tokens `run -m chat -y "Be brief" -i Hi` reports on stderr.
int prompt_tokens(const CliResult& r) {
  const std::size_t at = r.err.find(" positions, ");
  return at == std::string::npos ? -1 : std::stoi(r.err.substr(at + 12));
}

CliResult chat_run(const std::string& model, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"run", model, "-m", "chat", "-y", "Be brief", "-i", "Hi",
                                   "-t", "0", "-n", "120"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_cli(args);
}

int template_prompt_size(ChatFamily f) {
  const std::vector<ChatMessage> m = {{"system", "Be brief"}, {"user", "Hi"}};
  return static_cast<int>(encode_chat(phi3(), render_chat(f, m, true), true).size());
}

TEST(CliChat, TheModelsTemplateChoosesTheFamily) {
  const std::string path = phi3_model("chat-phi3", kPhi3Mini);
  const CliResult inspect = run_cli({"inspect", path});
  EXPECT_NE(inspect.out.find("tokenizer.chat_template (string): {{ bos_token }}"),
            std::string::npos);
  const CliResult r = chat_run(path);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("Assistant: ")) << r.out;
  EXPECT_EQ(prompt_tokens(r), 19) << r.err;
  EXPECT_EQ(template_prompt_size(ChatFamily::phi3), 19);
}

TEST(CliChat, AnUnknownTemplateIsAnErrorThatShowsIt) {
  const std::string path =
      phi3_model("chat-unknown",
                 "{% for m in messages %}\n{{ '### ' + m['role'] + ':\n' + m['content'] }}{% endfor %}");
  const CliResult r = chat_run(path);
  EXPECT_EQ(r.status, 1);
  const std::string prefix = "shoehorn: error: ";
  ASSERT_TRUE(r.err.starts_with(prefix)) << r.err;
  const std::string message = r.err.substr(prefix.size(), r.err.size() - prefix.size() - 1);
  expect_located(message, path);
  EXPECT_NE(message.find("metadata 'tokenizer.chat_template' at offset "), std::string::npos);
  // The first 48 bytes, a newline escaped.
  EXPECT_NE(message.find("unknown chat template \"{% for m in messages %}\\x0A{{ '### ' + "
                         "m['role'] + ...\"; name its family with --chat-template (chatml, "),
            std::string::npos)
      << message;
  // --chat-template overrides the file's template.
  const CliResult named = chat_run(path, {"--chat-template", "chatml"});
  ASSERT_EQ(named.status, 0) << named.err;
  EXPECT_EQ(prompt_tokens(named), template_prompt_size(ChatFamily::chatml));
}

TEST(CliChat, WithoutATemplateLlama2cChatsUnlessAFamilyIsNamed) {
  const std::string path = phi3_model("chat-none", "");
  // llama2.c's chat: "[INST] <<SYS>>\nBe brief\n<</SYS>>\n\nHi [/INST]" after BOS.
  const CliResult plain = chat_run(path);
  ASSERT_EQ(plain.status, 0) << plain.err;
  const int llama2c = static_cast<int>(
      phi3().encode("[INST] <<SYS>>\nBe brief\n<</SYS>>\n\nHi [/INST]", true, false).size());
  EXPECT_EQ(prompt_tokens(plain), llama2c);
  for (const ChatFamily f : {ChatFamily::chatml, ChatFamily::llama3, ChatFamily::zephyr}) {
    const CliResult r = chat_run(path, {"--chat-template", std::string(chat_family_name(f))});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(prompt_tokens(r), template_prompt_size(f)) << chat_family_name(f);
  }
  EXPECT_NE(template_prompt_size(ChatFamily::chatml), llama2c);
  // Usage errors: a family shoehorn lacks, or a template in generate mode.
  EXPECT_EQ(chat_run(path, {"--chat-template", "gemma"}).status, 2);
  EXPECT_EQ(run_cli({"run", path, "--chat-template", "phi3", "-n", "4"}).status, 2);
  // A llama2.c checkpoint has nowhere to keep a template.
  const std::string text_file = scratch_path("chat-none.jinja");
  std::ofstream(text_file, std::ios::binary) << kPhi3Mini;
  EXPECT_EQ(run_cli({"init", "--shape", "stories260K", "-o", scratch_path("chat.bin"),
                     "--chat-template-text", text_file})
                .status,
            2);
}

}  // namespace
}  // namespace shoehorn::test
