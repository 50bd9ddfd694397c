// A story the compiler writes. The baked stories260K runs greedily inside constant evaluation,
// one position per constant (story_chain.inc); static_assert holds the result to what
// `shoehorn run -t 0` printed at build time; the executable holds only the text.
#include <cstdio>
#include <string_view>

#include "stories260K.hpp"      // shoehorn bake, at build time
#include "story_reference.hpp"  // kStoryReference: shoehorn run's output, at build time

namespace {

using Story = shoehorn::ctime::Generation<shoehorn::baked::stories260K, SHOEHORN_STORY_STEPS>;

}  // namespace

// story_0 (the prompt, encoded at compile time) ... story_end: kStorySteps forward passes.
#include "story_chain.inc"

inline constexpr auto kStory = story_end.text_copy();

static_assert(story_end.done());
static_assert(story_end.sampled_tokens() >= SHOEHORN_STORY_MIN_TOKENS, "too few tokens generated");
static_assert(kStory.view() == kStoryReference, "compile-time story differs from shoehorn run");

int main() {
  std::fwrite(kStory.bytes.data(), 1, kStory.size, stdout);
  std::fputc('\n', stdout);
  return 0;
}
