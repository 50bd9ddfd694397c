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
const std::string_view kPoro = " ?[^(\\s|.,!?\u2026\u3002\uFF0C\u3001\u0964\u06D4\u060C)]+";

const PretokenizerInfo kDefault{{"[\\p{P}\\$\\+<=>\\^~\\|]+", kGpt2, "\\p{N}+", "[0-9][0-9][0-9]"}};
const PretokenizerInfo kLlama3Type{{kLlama3}, true, true};
const PretokenizerInfo kLlama3Same{{kLlama3}};  // dbrx, smaug-bpe, chatglm-bpe
const PretokenizerInfo kDeepseekLlm{{
    "[\r\n]",
    "\\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A\U00010400-\U0001044F\U000104B0-\U000104D3\U000104D8-\U000104FB\U00010C80-\U00010CB2\U00010CC0-\U00010CF2\U000118A0-\U000118DF\U0001E900-\U0001E943]+",
    "\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+",
    "\\s+$",
    "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+",
    "\\p{N}+",
}};
const PretokenizerInfo kDeepseek3{{
    "\\p{N}{1,3}",
    "[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+",
    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
}};
const PretokenizerInfo kDeepseekCoder{{"[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+", "\\p{N}"}};
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
