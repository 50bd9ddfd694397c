#include "shoehorn/tokenizer/pretokenize.hpp"

#include <map>

namespace shoehorn {

namespace {

// llama.cpp's regex_exprs per LLAMA_VOCAB_PRE_TYPE, as its source spells them.
const std::string_view kGpt2 =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
const std::string_view kLlama3 =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
    "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const std::string_view kQwen2 =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
    "\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const std::string_view kPoro = " ?[^(\\s|.,!?…。，、।۔،)]+";

const PretokenizerInfo kDefault{{"[\\p{P}\\$\\+<=>\\^~\\|]+", kGpt2, "\\p{N}+", "[0-9][0-9][0-9]"}};
const PretokenizerInfo kLlama3Type{{kLlama3}, true, true};
const PretokenizerInfo kLlama3Same{{kLlama3}};  // dbrx, smaug-bpe, chatglm-bpe
const PretokenizerInfo kDeepseekLlm{{
    "[\r\n]",
    "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+",
    "\\s?[!-/:-~！-／：-～‘-‟　-。]+",
    "\\s+$",
    "[一-龥ࠀ-一가-퟿]+",
    "\\p{N}+",
}};
const PretokenizerInfo kDeepseek3{{
    "\\p{N}{1,3}",
    "[一-龥぀-ゟ゠-ヿ]+",
    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
}};
const PretokenizerInfo kDeepseekCoder{{"[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[一-龥ࠀ-一가-퟿]+", "\\p{N}"}};
const PretokenizerInfo kFalcon{{"[\\p{P}\\$\\+<=>\\^~\\|`]+", kGpt2, "[0-9][0-9][0-9]"}};
const PretokenizerInfo kStarcoder{{"\\p{N}", kGpt2}};
const PretokenizerInfo kGpt2Type{{kGpt2}};
const PretokenizerInfo kQwen2Type{{kQwen2}};
const PretokenizerInfo kPoroType{{kPoro}};
const PretokenizerInfo kViking{{kPoro, "\\p{N}"}};
const PretokenizerInfo kTekken{
    {"[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
    true, true};
const PretokenizerInfo kChameleon{
    {"<sentinel:[0-9]+>", "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z", "([\\t\\n]|    |  )", "\\p{N}",
     "[\\p{P}!-/:-@\\[-`{-~]", kGpt2},
    false, true};

// llama.cpp's tokenizer.ggml.pre names.
const std::map<std::string_view, const PretokenizerInfo*>& names() {
  static const std::map<std::string_view, const PretokenizerInfo*> table = {
      {"", &kDefault}, {"default", &kDefault},
      {"llama3", &kLlama3Type}, {"llama-v3", &kLlama3Type}, {"llama-bpe", &kLlama3Type},
      {"falcon3", &kLlama3Type},
      {"deepseek-llm", &kDeepseekLlm}, {"deepseek-coder", &kDeepseekCoder},
      {"deepseek-v3", &kDeepseek3},
      {"falcon", &kFalcon},
      {"mpt", &kGpt2Type}, {"olmo", &kGpt2Type}, {"jais", &kGpt2Type},
      {"gpt-2", &kGpt2Type}, {"phi-2", &kGpt2Type}, {"jina-es", &kGpt2Type},
      {"jina-de", &kGpt2Type}, {"gigachat", &kGpt2Type}, {"jina-v1-en", &kGpt2Type},
      {"jina-v2-es", &kGpt2Type}, {"jina-v2-de", &kGpt2Type}, {"jina-v2-code", &kGpt2Type},
      {"roberta-bpe", &kGpt2Type},
      {"starcoder", &kStarcoder}, {"refact", &kStarcoder}, {"command-r", &kStarcoder},
      {"smollm", &kStarcoder}, {"codeshell", &kStarcoder}, {"exaone", &kStarcoder},
      {"minerva-7b", &kStarcoder},
      {"qwen2", &kQwen2Type}, {"deepseek-r1-qwen", &kQwen2Type}, {"stablelm2", &kQwen2Type},
      {"megrez", &kQwen2Type},
      {"dbrx", &kLlama3Same}, {"smaug-bpe", &kLlama3Same}, {"chatglm-bpe", &kLlama3Same},
      {"poro-chat", &kPoroType}, {"bloom", &kPoroType}, {"gpt3-finnish", &kPoroType},
      {"viking", &kViking},
      {"tekken", &kTekken},
      {"chameleon", &kChameleon},
  };
  return table;
}

}  // namespace

const PretokenizerInfo* find_pretokenizer(std::string_view name) {
  const auto it = names().find(name);
  return it == names().end() ? nullptr : it->second;
}

std::vector<std::string_view> pretokenizer_names() {
  std::vector<std::string_view> out;
  for (const auto& [name, info] : names()) out.push_back(name);
  return out;
}

Pretokenizer::Pretokenizer(const std::vector<std::string_view>& expressions) {
  for (const std::string_view e : expressions) expressions_.emplace_back(e);
}

std::vector<std::size_t> split_chunks(const Regex& expression, std::span<const char32_t> text,
                                      const std::vector<std::size_t>& chunks) {
  std::vector<std::size_t> out;
  out.reserve(chunks.size());
  std::size_t start = 0;
  for (const std::size_t length : chunks) {
    const std::span<const char32_t> chunk = text.subspan(start, length);
    std::size_t gap = 0;  // where the text no match took begins
    for (std::size_t pos = 0; pos < length;) {
      const std::optional<std::size_t> end = expression.match_at(chunk, pos);
      if (!end || *end == pos) {  // the listed expressions match nothing empty
        ++pos;
        continue;
      }
      if (pos > gap) out.push_back(pos - gap);
      out.push_back(*end - pos);
      pos = gap = *end;
    }
    if (gap < length) out.push_back(length - gap);
    start += length;
  }
  return out;
}

std::vector<std::size_t> Pretokenizer::split(std::span<const char32_t> text) const {
  std::vector<std::size_t> chunks;
  if (text.empty()) return chunks;
  chunks.push_back(text.size());
  for (const Regex& e : expressions_) chunks = split_chunks(e, text, chunks);
  return chunks;
}

}  // namespace shoehorn
