// Truecasing: a lowercased corpus gets back the case its words have in cased text of its kind.
#include <gtest/gtest.h>

#include "shoehorn/tokenizer/truecase.hpp"
#include "test_util.hpp"

namespace shoehorn::test {
namespace {

TEST(Truecase, LearnsEachWordsUsualCaseAwayFromSentenceStarts) {
  const CaseDictionary d = learn_case(
      "Tom and Lily saw a dog. The dog saw Tom. Then Lily said, \"I like it.\" the end\n"
      "Apple pie is good. Tom and I ate an apple. Mom's hat is red. I saw Mom's hat.");
  EXPECT_EQ(d.at("tom"), "Tom");
  EXPECT_EQ(d.at("lily"), "Lily");
  EXPECT_EQ(d.at("i"), "I");
  EXPECT_EQ(d.at("mom's"), "Mom's");
  EXPECT_FALSE(d.contains("the"));    // "The" only starts sentences
  EXPECT_FALSE(d.contains("apple"));  // "Apple" only at a sentence start, "apple" inside one
  EXPECT_FALSE(d.contains("then"));
}

TEST(Truecase, CapitalizesSentenceStartsAndKnownWords) {
  const CaseDictionary d{{"tom", "Tom"}, {"i", "I"}};
  EXPECT_EQ(truecase("one day tom ran. he fell! was i sad? yes.\nthe end", d),
            "One day Tom ran. He fell! Was I sad? Yes.\nThe end");
  EXPECT_EQ(truecase("tom said, \"i can.\" mom said \"no.\"", d),
            "Tom said, \"I can.\" mom said \"No.\"");
  // Not words: digits, UTF-8, apostrophes at the edges; "3.5" does not end a sentence.
  EXPECT_EQ(truecase("caf\xc3\xa9 3.5 'tom' x.y", d), "Caf\xc3\xa9 3.5 'Tom' x.y");
  EXPECT_EQ(truecase("", d), "");
}

// Recasing the lowercased last tenth of train-2M.txt with case learned from the first nine
// tenths: the count of letters that come out in the wrong case is recorded.
TEST(Truecase, RecoversTheCaseOfHeldOutTrainingText) {
  const std::string text = read_text(shared_path("data/tinystories/train-2M.txt"));
  const std::size_t split = text.size() * 9 / 10;
  const CaseDictionary d = learn_case(std::string_view(text).substr(0, split));
  const std::string held_out = text.substr(split);
  std::string lowered = held_out;
  for (char& c : lowered) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  const std::string recased = truecase(lowered, d);
  ASSERT_EQ(recased.size(), held_out.size());
  int capitals = 0, missed = 0, extra = 0;
  for (std::size_t i = 0; i < held_out.size(); ++i) {
    const bool was_upper = held_out[i] >= 'A' && held_out[i] <= 'Z';
    capitals += was_upper;
    missed += was_upper && recased[i] != held_out[i];
    extra += !was_upper && recased[i] != held_out[i];
  }
  EXPECT_EQ(d.size(), 358u);
  EXPECT_EQ(capitals, 7013);
  EXPECT_EQ(missed, 201);  // 97.1% of the capitals come back
  EXPECT_EQ(extra, 19);
}

}  // namespace
}  // namespace shoehorn::test
