// A story the compiler writes with a byte n-gram model: the model (built at build time by
// `shoehorn ngram build` in a 32K ROM budget) is baked into constexpr arrays, and the n-gram
// reference runtime itself runs inside constant evaluation. static_assert holds the text to
// what `shoehorn ngram run` printed at build time; the executable holds only the text.
#include <cstdio>
#include <string_view>

#include "ngram_story_prompt.inc"     // kNgramPrompt
#include "ngram_story_reference.hpp"  // kNgramStoryReference: shoehorn ngram run's output
#include "tinystories_ngram.hpp"      // shoehorn bake, at build time

namespace {

using Model = shoehorn::baked::tinystories_ngram;
constexpr std::size_t kCapacity = kNgramPrompt.size() + SHOEHORN_NGRAM_STORY_BYTES;

// One constant evaluation: the prompt, then SHOEHORN_NGRAM_STORY_BYTES sampled bytes.
constexpr auto kStory = shoehorn::ctime::ngram_generate<Model, kCapacity>(
    SHOEHORN_NGRAM_STORY_SEED, kNgramPrompt, SHOEHORN_NGRAM_STORY_BYTES);

static_assert(kStory.view() == kNgramStoryReference,
              "compile-time n-gram story differs from shoehorn ngram run");

}  // namespace

// Exactly the bytes `shoehorn ngram run` prints (no newline of its own).
int main() {
  std::fwrite(kStory.bytes.data(), 1, kStory.size, stdout);
  return 0;
}
