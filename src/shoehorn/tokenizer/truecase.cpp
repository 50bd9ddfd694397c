#include "shoehorn/tokenizer/truecase.hpp"

#include <map>

namespace shoehorn {

namespace {

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

std::string lowercase(std::string_view word) {
  std::string out(word);
  for (char& c : out) c = lower(c);
  return out;
}

// A word: letters, with at most one apostrophe inside ("don't", "lily's"). Returns its end.
std::size_t word_end(std::string_view text, std::size_t begin) {
  std::size_t end = begin;
  while (end < text.size() && is_letter(text[end])) ++end;
  if (end + 1 < text.size() && text[end] == '\'' && is_letter(text[end + 1])) {
    ++end;
    while (end < text.size() && is_letter(text[end])) ++end;
  }
  return end;
}

// Does the word at `at` start a sentence? Start of text or line, after sentence-ending
// punctuation and a space, or just inside an opening quote (one that follows a space).
bool starts_sentence(std::string_view text, std::size_t at) {
  if (at > 0 && text[at - 1] == '"') {
    return at == 1 || text[at - 2] == ' ' || text[at - 2] == '\n' || text[at - 2] == '(';
  }
  std::size_t before = at;
  while (before > 0 && (text[before - 1] == ' ' || text[before - 1] == '\t')) --before;
  if (before == 0 || text[before - 1] == '\n') return true;
  const char end = text[before - 1];
  return before < at && (end == '.' || end == '!' || end == '?');
}

// Calls visit(begin, end) for each word of text, in order.
template <class Visit>
void for_each_word(std::string_view text, Visit visit) {
  for (std::size_t at = 0; at < text.size();) {
    const bool inside_word =
        at > 0 && (is_letter(text[at - 1]) ||
                   (text[at - 1] == '\'' && at > 1 && is_letter(text[at - 2])));
    if (!is_letter(text[at]) || inside_word) {
      ++at;
      continue;
    }
    const std::size_t end = word_end(text, at);
    visit(at, end);
    at = end;
  }
}

}  // namespace

CaseDictionary learn_case(std::string_view cased_text) {
  // Ordered maps: ties between forms resolve the same way on every platform.
  std::map<std::string, std::map<std::string, long>> forms;
  for_each_word(cased_text, [&](std::size_t begin, std::size_t end) {
    if (starts_sentence(cased_text, begin)) return;  // capitalized there whatever the word
    const std::string_view word = cased_text.substr(begin, end - begin);
    ++forms[lowercase(word)][std::string(word)];
  });
  CaseDictionary dictionary;
  for (const auto& [key, counts] : forms) {
    const std::string* best = &key;
    long best_count = counts.contains(key) ? counts.at(key) : 0;
    for (const auto& [form, count] : counts) {
      if (count > best_count) {
        best = &form;
        best_count = count;
      }
    }
    if (*best != key) dictionary.emplace(key, *best);
  }
  return dictionary;
}

std::string truecase(std::string_view text, const CaseDictionary& dictionary) {
  std::string out(text);
  for_each_word(text, [&](std::size_t begin, std::size_t end) {
    const auto found = dictionary.find(lowercase(text.substr(begin, end - begin)));
    if (found != dictionary.end()) out.replace(begin, end - begin, found->second);
    if (starts_sentence(text, begin)) out[begin] = upper(out[begin]);
  });
  return out;
}

}  // namespace shoehorn
