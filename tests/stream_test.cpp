// PS2 mode: the memory plan, weight streaming (bit-identical to resident weights on every
// format and byte order, prompt chunks included), faults while streaming, slow media.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "shoehorn/cli/common.hpp"
#include "shoehorn/format/gguf.hpp"
#include "shoehorn/format/gguf_llama.hpp"
#include "shoehorn/format/load.hpp"
#include "shoehorn/format/pack.hpp"
#include "shoehorn/generate/generate.hpp"
#include "shoehorn/format/planned_model.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/io/throttled_source.hpp"
#include "shoehorn/memory/rss.hpp"
#include "shoehorn/model/tensor_rows.hpp"
#include "shoehorn/model/transformer.hpp"
#include "test_util.hpp"

namespace shoehorn::test {
namespace {

std::string model() { return shared_path("models/stories260K.bin"); }
std::string tok512() { return shared_path("models/tok512.bin"); }

// Runs `shoehorn ARGS... TEMP` and renames TEMP to path: CTest runs this file's tests as
// parallel processes, and none may read a file another is still writing.
std::string written_by(std::vector<std::string> args, const std::string& path) {
  const std::filesystem::path p(path);  // the same extension: it says the format
  const std::string temp = (p.parent_path() / (std::to_string(::getpid()) + "-" + p.filename().string())).string();
  args.push_back(temp);
  const CliResult r = run_cli(args);
  EXPECT_EQ(r.status, 0) << r.err;
  std::filesystem::rename(temp, path);
  return path;
}

// The model in every encoding the streamer reads: F32 and llama2.c Q8 groups, GGUF F32, Q8_0
// and Q4_0 (w2's rows are not whole blocks: F16), and a big-endian GGUF.
std::vector<std::string> encodings() {
  static const std::vector<std::string> paths = [] {
    const std::string dir = scratch_path("stream");
    std::vector<std::string> out = {model()};
    const std::vector<std::vector<std::string>> conversions = {
        {dir + "-v2.bin", "--llama2c-version", "2"},
        {dir + "-f32.gguf"},
        {dir + "-q8_0.gguf", "--quant", "q8_0"},
        {dir + "-q4_0.gguf", "--quant", "q4_0"},
        {dir + "-q4_0-be.gguf", "--quant", "q4_0", "--big-endian"},
    };
    for (const std::vector<std::string>& c : conversions) {
      std::vector<std::string> args = {"convert", model()};
      args.insert(args.end(), c.begin() + 1, c.end());
      out.push_back(written_by(args, c[0]));
    }
    return out;
  }();
  return paths;
}

const std::vector<int> kPrompt = {1, 403, 407, 261, 378, 128, 300, 17, 92, 5, 260};
constexpr int kPositions = 16;

// The logits the engine gives (position, logits) after each chunk of the prompt (chunks of
// its lanes) and then at every position, feeding back argmax.
using Logits = std::vector<std::pair<int, std::vector<float>>>;
Logits run_logits(Transformer& t) {
  Logits all;
  int pos = 0;
  std::span<float> logits;
  while (pos < static_cast<int>(kPrompt.size())) {
    const int n = std::min(t.max_batch(), static_cast<int>(kPrompt.size()) - pos);
    logits = t.forward_batch(
        std::span(kPrompt).subspan(static_cast<std::size_t>(pos), static_cast<std::size_t>(n)), pos,
        shoehorn::Logits::last);
    pos += n;
    all.emplace_back(pos - 1, std::vector<float>(logits.begin(), logits.end()));
  }
  for (; pos < kPositions; ++pos) {
    const int next = static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    logits = t.forward(next, pos);
    all.emplace_back(pos, std::vector<float>(logits.begin(), logits.end()));
  }
  return all;
}

std::uint64_t streamed_matrix_bytes(const MemoryPlan& plan) {
  std::uint64_t bytes = 0;
  for (const StreamStep& s : plan.steps) bytes += s.bytes;
  return bytes;
}

PlannedModelOptions options_for(std::uint64_t budget, int lanes) {
  PlannedModelOptions o;
  o.request.budget = budget;
  o.request.positions = kPositions;
  o.request.batch = lanes;
  o.request.process_bytes = 1;  // the tests plan the model's memory alone
  return o;
}

MemoryPlan plan_of(const std::string& path, std::uint64_t budget, int lanes = 1,
                   std::optional<KvCache> kv = std::nullopt) {
  const FileSource source(path);
  PlanRequest request = options_for(budget, lanes).request;
  request.kv_cache = kv;
  return plan_memory(read_model_file(source), request);
}

// Streamed logits must equal resident ones bit for bit: same kernels, same bytes.
void expect_streams_like_resident(const std::string& path, std::uint64_t budget, int lanes,
                                  ThreadPool* pool = nullptr) {
  SCOPED_TRACE(path + " budget " + std::to_string(budget) + " lanes " + std::to_string(lanes));
  const Model resident = load_model(path);
  Transformer reference(resident, kPositions);  // one token at a time
  const Logits expected = run_logits(reference);

  PlannedModel planned(path, options_for(budget, lanes));
  ASSERT_TRUE(planned.plan().streams());
  ASSERT_LE(planned.plan().total_bytes(), budget);
  ASSERT_EQ(planned.plan().batch, lanes);
  Transformer streamed(planned.model(), kPositions, pool, lanes, &planned.weights());
  const Logits got = run_logits(streamed);
  std::size_t j = 0;
  for (const auto& [pos, logits] : got) {
    while (j < expected.size() && expected[j].first != pos) ++j;
    ASSERT_LT(j, expected.size());
    ASSERT_EQ(std::memcmp(logits.data(), expected[j].second.data(), logits.size() * sizeof(float)), 0)
        << "logits differ at position " << pos;
  }
  // Each pass (a chunk of the prompt or a token) read every streamed matrix once.
  const std::uint64_t per_pass = streamed_matrix_bytes(planned.plan());
  EXPECT_GE(planned.bytes_read(), got.size() * per_pass);
  EXPECT_LE(planned.bytes_read(), (got.size() + 1) * per_pass + kPositions * 4096);
}

TEST(Stream, EveryEncodingStreamsBitIdenticalToResident) {
  for (const std::string& path : encodings()) {
    const MemoryPlan all = plan_of(path, 1ull << 40);
    // Half of the weights resident, the rest streamed in large pieces.
    expect_streams_like_resident(path, all.minimum_budget + all.resident_weight_bytes / 2, 4);
  }
  // Everything streamed in the smallest pieces (a row or two: thousands of reads a token).
  const std::string v2 = encodings()[1];  // int8 values and their scales: two reads a piece
  expect_streams_like_resident(v2, plan_of(v2, 1ull << 40).minimum_budget, 1);
}

// The threaded products run on streamed pieces too: a piece's rows are split among the threads.
TEST(Stream, ThreadedBatchesStreamBitIdenticalToResident) {
  ThreadPool pool(2);
  const std::string path = encodings()[3];  // Q8_0: the block kernels
  const MemoryPlan all = plan_of(path, 1ull << 40);
  expect_streams_like_resident(path, all.minimum_budget + all.resident_weight_bytes / 2, 4, &pool);
}

TEST(Stream, PromptChunksReadEachMatrixOncePerChunk) {
  const std::string path = encodings()[3];  // Q8_0
  const std::uint64_t budget = plan_of(path, 1ull << 40).minimum_budget + 64 * 1024;
  PlannedModel planned(path, options_for(budget, 4));
  ASSERT_EQ(planned.plan().batch, 4);
  Transformer t(planned.model(), kPositions, nullptr, 4, &planned.weights());
  t.forward_batch(std::span(kPrompt).first(4), 0, shoehorn::Logits::last);
  const std::uint64_t matrices = streamed_matrix_bytes(planned.plan());
  // One pass of the matrices (the prefetcher may have read ahead into the next).
  EXPECT_GE(planned.bytes_read(), matrices);
  EXPECT_LT(planned.bytes_read(), 2 * matrices);
}

TEST(Stream, PlanKeepsEverythingResidentWhenItFits) {
  const MemoryPlan plan = plan_of(model(), 0);
  EXPECT_FALSE(plan.streams());
  EXPECT_TRUE(plan.steps.empty());
  const Config c = load_model(model()).config();
  EXPECT_EQ(plan.kv_bytes, 2ull * c.n_layers * kPositions * c.kv_dim() * sizeof(float));
  const MemoryPlan roomy = plan_of(model(), plan.total_bytes());
  EXPECT_FALSE(roomy.streams());
  const MemoryPlan tight = plan_of(model(), plan.total_bytes() - 1);
  EXPECT_TRUE(tight.streams());
  EXPECT_LE(tight.total_bytes(), plan.total_bytes() - 1);
}

TEST(Stream, PlanRefusesABudgetBelowTheSmallest) {
  // The smallest budget of all holds the cache in int8.
  const std::uint64_t smallest = plan_of(model(), 1ull << 40, 1, KvCache::q8).minimum_budget;
  EXPECT_NO_THROW(plan_of(model(), smallest));
  try {
    plan_of(model(), smallest - 1);
    FAIL() << "a budget below the smallest was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the smallest is"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(std::to_string(smallest) + " bytes"), std::string::npos)
        << e.what();
  }
  // The CLI refuses before anything runs: no text on stdout, exit 1, the smallest named.
  const CliResult r = run_cli({"run", model(), "-z", tok512(), "-n", "24", "--mem-budget", "1M"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("the smallest is"), std::string::npos) << r.err;
  const CliResult p = run_cli({"plan", model(), "--mem-budget", "1K"});
  EXPECT_EQ(p.status, 1);
  EXPECT_NE(p.err.find("the smallest is"), std::string::npos) << p.err;
}

// The cache is F32 (llama2.c's bits) unless only F16 fits the budget, and Q8 when only it does;
// a cache the request fixes is kept, and a budget too small for it refused.
TEST(Stream, PlanTakesTheMostExactCacheThatFits) {
  const MemoryPlan roomy = plan_of(model(), 1ull << 40);
  EXPECT_EQ(roomy.kv_cache, KvCache::f32);
  EXPECT_EQ(roomy.kv_bytes, 2u * 5 * kPositions * 32 * 4);  // K and V, 5 layers, kv_dim 32
  const MemoryPlan tight = plan_of(model(), roomy.minimum_budget - 1);
  EXPECT_EQ(tight.kv_cache, KvCache::f16);
  EXPECT_EQ(tight.kv_bytes * 2, roomy.kv_bytes);
  EXPECT_EQ(tight.minimum_budget + roomy.kv_bytes / 2, roomy.minimum_budget);
  EXPECT_THROW(plan_of(model(), roomy.minimum_budget - 1, 1, KvCache::f32), Error);
  EXPECT_EQ(plan_of(model(), 1ull << 40, 1, KvCache::f16).kv_cache, KvCache::f16);
  // Int8 values and a float scale for each of 4 kv heads' vectors of 8 values: 12 bytes per 8.
  const MemoryPlan tighter = plan_of(model(), tight.minimum_budget - 1);
  EXPECT_EQ(tighter.kv_cache, KvCache::q8);
  EXPECT_EQ(tighter.kv_bytes, 2u * (5 * kPositions * 32 + 5 * kPositions * 4 * 4));
  EXPECT_EQ(tighter.minimum_budget + tight.kv_bytes - tighter.kv_bytes, tight.minimum_budget);
  EXPECT_THROW(plan_of(model(), tight.minimum_budget - 1, 1, KvCache::f16), Error);
  EXPECT_THROW(plan_of(model(), tighter.minimum_budget - 1), Error);

  const CliResult plan = run_cli({"plan", model(), "--kv-cache", "f16"});
  ASSERT_EQ(plan.status, 0) << plan.err;
  EXPECT_NE(plan.out.find("KV cache (F16)"), std::string::npos) << plan.out;
  EXPECT_EQ(plan.out.find("smallest with a"), std::string::npos) << plan.out;
  // Where the plan chose, it names the smaller caches' smallest budgets.
  const CliResult chosen = run_cli({"plan", model()});
  ASSERT_EQ(chosen.status, 0) << chosen.err;
  EXPECT_NE(chosen.out.find("KV cache (F32)"), std::string::npos) << chosen.out;
  EXPECT_NE(chosen.out.find("smallest with an F16 KV cache"), std::string::npos) << chosen.out;
  EXPECT_NE(chosen.out.find("smallest with a Q8 KV cache"), std::string::npos) << chosen.out;
  const CliResult bad = run_cli({"run", model(), "-z", tok512(), "--kv-cache", "q4"});
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("--kv-cache"), std::string::npos) << bad.err;
}

// A streamed run with an int8 cache gives the resident int8 run's bits.
TEST(Stream, Int8CacheStreamsBitIdenticalToResident) {
  const std::string path = encodings()[3];  // Q8_0
  const Model resident = load_model(path);
  Transformer reference(resident, kPositions, nullptr, 1, nullptr, shoehorn::Logits::last, KvCache::q8);
  const Logits expected = run_logits(reference);
  const MemoryPlan f16 = plan_of(path, 1ull << 40, 1, KvCache::f16);
  PlannedModel planned(path, options_for(f16.minimum_budget - 1, 1));
  ASSERT_EQ(planned.plan().kv_cache, KvCache::q8);
  ASSERT_TRUE(planned.plan().streams());
  Transformer streamed(planned.model(), kPositions, nullptr, 1, &planned.weights(), shoehorn::Logits::last,
                       planned.plan().kv_cache);
  const Logits got = run_logits(streamed);
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].first, expected[i].first);
    ASSERT_EQ(std::memcmp(got[i].second.data(), expected[i].second.data(),
                          got[i].second.size() * sizeof(float)), 0)
        << "logits differ at position " << got[i].first;
  }
}

// Puts the test process's peak RSS at `bytes` or more (each page written), so that an
// in-process run with a budget below it fails the budget check whatever the process held before.
void raise_peak_rss_to(std::size_t bytes) {
  std::vector<unsigned char> pages(bytes);
  std::memset(pages.data(), 1, pages.size());
  ASSERT_GE(peak_rss_bytes(), bytes);
}

constexpr std::size_t kAboveAnyBudget = 64u << 20;  // peak RSS the tests below make certain

// In-process the process is the test's. Streamed within 7500K the text is the same, and the run
// fails because the process (made to hold 64 MiB) went over; with a budget far above anything
// the process holds, the same run passes the check (tests/CMakeLists.txt runs the real binary
// within 7500K).
TEST(Stream, RunWithABudgetPrintsTheSameText) {
  const std::vector<std::string> args = {"run", model(), "-z", tok512(), "-t", "0.8", "-s", "7",
                                         "-n", "60", "-i", "Once upon a time, Tim"};
  const CliResult resident = run_cli(args);
  ASSERT_EQ(resident.status, 0) << resident.err;
  ASSERT_NO_FATAL_FAILURE(raise_peak_rss_to(kAboveAnyBudget));
  std::vector<std::string> budgeted = args;
  budgeted.insert(budgeted.end(), {"--mem-budget", "7500K", "--chunk", "5"});
  const CliResult streamed = run_cli(budgeted);
  EXPECT_EQ(streamed.out, resident.out);
  EXPECT_NE(streamed.err.find("streamed: "), std::string::npos) << streamed.err;
  EXPECT_NE(streamed.err.find("went over the memory budget 7.3 MiB"), std::string::npos) << streamed.err;
  EXPECT_EQ(streamed.status, 1) << streamed.err;

  std::vector<std::string> roomy = args;
  roomy.insert(roomy.end(), {"--mem-budget", "16G"});
  const CliResult within = run_cli(roomy);
  EXPECT_EQ(within.out, resident.out);
  EXPECT_EQ(within.err.find("went over"), std::string::npos) << within.err;
  EXPECT_EQ(within.status, 0) << within.err;
}

// Chat runs its prompt in batches too (sampling every position, as llama2.c does): the same
// text as one position at a time, with each streamed matrix read once per batch.
TEST(Stream, ChatPromptsStreamOncePerBatch) {
  auto chat = [&](const char* chunk) {
    return run_cli({"run", model(), "-z", tok512(), "-m", "chat", "-i",
                    "Tell me a story about a cat and a dog", "-y", "Be brief", "-n", "80", "-t",
                    "0.8", "-s", "3", "--mem-budget", "7500K", "--chunk", chunk});
  };
  auto mib_read = [](const std::string& err) {
    const std::size_t end = err.find(" MiB read in all");
    const std::size_t start = err.rfind(' ', end - 1) + 1;
    return end == std::string::npos ? -1.0 : std::stod(err.substr(start, end - start));
  };
  // In-process the peak is the test process's, made to be over the budget (see
  // RunWithABudgetPrintsTheSameText): both runs write their text, then fail the check.
  ASSERT_NO_FATAL_FAILURE(raise_peak_rss_to(kAboveAnyBudget));
  const CliResult one = chat("1"), batched = chat("32");
  for (const CliResult* r : {&one, &batched}) {
    EXPECT_NE(r->err.find("went over the memory budget 7.3 MiB"), std::string::npos) << r->err;
    ASSERT_EQ(r->status, 1) << r->err;
  }
  EXPECT_EQ(batched.out, one.out);
  EXPECT_GT(mib_read(batched.err), 0.0) << batched.err;
  EXPECT_LT(mib_read(batched.err), mib_read(one.err) / 2) << one.err << batched.err;
}

TEST(Stream, PeakRssOverTheBudgetIsAnError) {
  EXPECT_NO_THROW(cli::check_peak_rss("m.gguf", 1000, 1000));
  EXPECT_NO_THROW(cli::check_peak_rss("m.gguf", 0, 1ull << 40));  // no budget
  try {
    cli::check_peak_rss("m.gguf", 32ull << 20, (32ull << 20) + 4096);
    FAIL() << "a peak over the budget passed";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "m.gguf: peak RSS 32.0 MiB went over the memory budget 32.0 MiB by 4096 bytes");
  }
}

TEST(Stream, PlanPrintsTheTable) {
  const CliResult r = run_cli({"plan", model(), "--target", "ps2", "-n", "512"});
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* line : {"target ps2", "budget: 32.0 MiB for 512 positions (all resident)",
                           "KV cache (F32)", "smallest budget that runs it (KV cache F32)",
                           "smallest with an F16 KV cache"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  }
  const CliResult s = run_cli({"plan", model(), "--mem-budget", "7400K", "--read-speed", "1M", "-n", "24"});
  ASSERT_EQ(s.status, 0) << s.err;
  EXPECT_NE(s.out.find("(streaming)"), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("predicted at 1.00 MiB/s"), std::string::npos) << s.out;
}

// A copy of the model whose file the tests break while it streams. Its times are set in the past
// so that a write now changes them whatever the clock's granularity.
std::string breakable_copy(const std::string& name) {
  const std::string path = scratch_path("stream-fault-" + name);
  std::filesystem::copy_file(encodings()[3], path, std::filesystem::copy_options::overwrite_existing);
  const struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
  EXPECT_EQ(::utimensat(AT_FDCWD, path.c_str(), old, 0), 0);
  return path;
}

// Runs positions until the forward pass throws; returns its message ("" when none did).
std::string run_until_error(Transformer& t, int from) {
  try {
    for (int pos = from; pos < kPositions; ++pos) t.forward(5, pos);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Takes the plan's pieces in order, pass after pass, until the stream throws; its message. A
// stream that reads on demand gives each matrix whole, and reads none of its rows here.
std::string stream_pieces_until_error(StreamedWeights& weights, const MemoryPlan& plan) {
  try {
    for (int pass = 0; pass < 3; ++pass) {
      for (const StreamStep& s : plan.steps) {
        if (weights.on_demand() && !s.last) continue;
        weights.next(s.role, s.layer);
        weights.done();
      }
    }
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

void expect_fault_detected(const std::string& name, void (*damage)(const std::string&),
                           const std::string& expected) {
  const std::string path = breakable_copy(name);
  const std::uint64_t smallest = plan_of(path, 1ull << 40).minimum_budget;
  PlannedModel planned(path, options_for(smallest, 1));
  Transformer t(planned.model(), kPositions, nullptr, 1, &planned.weights());
  t.forward(1, 0);
  damage(path);
  const std::string message = run_until_error(t, 1);
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find(expected), std::string::npos) << message;

  // The streamed pieces alone (no embedding row read between them) detect it too.
  const std::string pieces_path = breakable_copy("pieces-" + name);
  PlannedModel pieces(pieces_path, options_for(smallest, 1));
  damage(pieces_path);
  const std::string pieces_message = stream_pieces_until_error(pieces.stream(), pieces.plan());
  EXPECT_NE(pieces_message.find(pieces_path), std::string::npos) << pieces_message;
  EXPECT_NE(pieces_message.find(expected), std::string::npos) << pieces_message;
}

TEST(Stream, TruncatedWhileStreamingIsAnError) {
  expect_fault_detected("truncated.gguf", [](const std::string& p) {
    std::filesystem::resize_file(p, std::filesystem::file_size(p) / 2);
  }, "truncated");
}

TEST(Stream, GrownWhileStreamingIsAnError) {
  expect_fault_detected("grown.gguf", [](const std::string& p) {
    std::ofstream(p, std::ios::app) << "more";
  }, "changed size");
}

TEST(Stream, WrittenWhileStreamingIsAnError) {
  expect_fault_detected("written.gguf", [](const std::string& p) {
    std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(std::filesystem::file_size(p) / 2));
    f << "other weights";
  }, "written to while it was being read");
}

// A source whose reads fail after the first `good` ones, as a scratched disc does.
class FailingSource final : public ByteSource {
 public:
  FailingSource(const ByteSource& inner, int good) : inner_(inner), good_(good) {}
  const std::string& name() const override { return inner_.name(); }
  std::uint64_t size() const override { return inner_.size(); }
  void read(std::uint64_t offset, std::span<std::byte> dst) const override {
    if (reads_.fetch_add(1) >= good_) fail_at(name(), "read", offset, "Input/output error");
    inner_.read(offset, dst);
  }

 private:
  const ByteSource& inner_;
  int good_;
  mutable std::atomic<int> reads_ = 0;  // the threads of a pool read at once
};

// A read error surfaces on the forward pass's thread, from a worker's read too, whether rows are
// read on demand (a row a read, or many) or prefetched from a drive.
TEST(Stream, ReadErrorIsAnErrorNotATokenOrACrash) {
  const std::string path = encodings()[4];
  const FileSource file(path);
  const ModelFile mf = read_model_file(file);
  const MemoryPlan plan = plan_memory(mf, options_for(plan_of(path, 1ull << 40).minimum_budget, 1).request);
  const Model model = load_planned(read_model_file(file), file, plan);
  ThreadPool pool(2);
  for (const bool drive : {false, true}) {
    for (const std::uint64_t read_bytes : {std::uint64_t{512} << 10, std::uint64_t{16}}) {
      for (const int good : {0, 1, static_cast<int>(plan.steps.size()) + 3}) {
        const FailingSource failing(file, good);
        const ThrottledSource throttled(failing, 1e9, 0.0);
        const ByteSource& source = drive ? static_cast<const ByteSource&>(throttled) : failing;
        StreamedWeights stream(model, source, plan, {.read_bytes = read_bytes});
        ASSERT_EQ(stream.on_demand(), !drive);
        Transformer t(model, kPositions, drive ? nullptr : &pool, 1, &stream);
        const std::string message = run_until_error(t, 0);
        EXPECT_NE(message.find("Input/output error"), std::string::npos) << good << ": " << message;
        EXPECT_NE(message.find(path), std::string::npos) << message;
      }
    }
  }
}

// Rows read on demand, a few at a time by whichever thread multiplies them (two threads with a
// buffer each, or with one buffer between them), give resident bits in every encoding (llama2.c
// Q8's values and scales, big-endian GGUF); so do pieces prefetched from an emulated drive, one
// read a piece.
TEST(Stream, RowsReadOnDemandGiveTheSameBits) {
  ThreadPool pool(2);
  for (const std::string& path : encodings()) {
    SCOPED_TRACE(path);
    const Model resident = load_model(path);
    Transformer reference(resident, kPositions);
    const Logits expected = run_logits(reference);
    const FileSource file(path);
    const MemoryPlan all = plan_of(path, 1ull << 40);
    const std::uint64_t budget = all.minimum_budget + all.resident_weight_bytes / 2;
    const MemoryPlan plan = plan_memory(read_model_file(file), options_for(budget, 1).request);
    const Model model = load_planned(read_model_file(file), file, plan);
    std::size_t matrices = 0;
    for (const StreamStep& s : plan.steps) matrices += s.last ? 1 : 0;
    const ThrottledSource drive(file, 1e9, 0.0);
    for (const int readers : {2, 1, 0}) {  // 0: the drive
      SCOPED_TRACE(readers);
      const ByteSource& source = readers == 0 ? static_cast<const ByteSource&>(drive) : file;
      StreamedWeights stream(model, source, plan, {.readers = readers, .read_bytes = 2048});
      Transformer t(model, kPositions, &pool, 1, &stream);
      const Logits got = run_logits(t);
      ASSERT_EQ(got.size(), expected.size());
      for (std::size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(std::memcmp(got[i].second.data(), expected[i].second.data(),
                              got[i].second.size() * sizeof(float)), 0)
            << "logits differ at position " << got[i].first;
      }
      const std::uint64_t passes = got.size();
      EXPECT_EQ(stream.on_demand(), readers > 0);
      if (readers > 0) {
        // Several reads a matrix (2 KiB each), each pass reading every streamed byte once.
        EXPECT_GT(stream.reads(), 2 * matrices * passes);
        EXPECT_EQ(stream.bytes_read() - passes * row_bytes(model.file.tensors[plan.embedding_tensor], 1) *
                                            (plan.resident[plan.embedding_tensor] ? 0 : 1),
                  passes * streamed_matrix_bytes(plan));
      } else {
        // One read a piece (and the prefetch thread a slot or two ahead).
        EXPECT_GE(stream.reads(), plan.steps.size() * passes);
        EXPECT_LE(stream.reads(), plan.steps.size() * passes + plan.slots);
      }
    }
  }
}

TEST(Stream, ThrottledReadsTakeAtLeastTheirTime) {
  const std::vector<std::byte> bytes(64 * 1024);
  const MemorySource memory("disc", bytes);
  const ThrottledSource slow(memory, 1 << 20, 0.01);  // 1 MiB/s, 10 ms per seek
  std::vector<std::byte> dst(16 * 1024);
  const auto start = std::chrono::steady_clock::now();
  slow.read(0, dst);      // seek + 1/64 s
  slow.read(16384, dst);  // continues: no seek
  slow.read(0, dst);      // seek again
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(seconds, 3.0 / 64 + 0.02);
}

}  // namespace
}  // namespace shoehorn::test

namespace shoehorn::test {
namespace {

std::string xbox360_pack() {
  static const std::string path =
      written_by({"pack", model(), "--target", "xbox360", "-z", tok512(), "-o"},
                 scratch_path("stream-xbox360.gguf"));
  return path;
}

TEST(Pack, LaysTensorsOutForTheTarget) {
  const FileSource source(xbox360_pack());
  const GgufFile gguf = read_gguf(source);
  EXPECT_EQ(gguf.byte_order, ByteOrder::big);
  const ModelFile file = llama_model_file(gguf);
  const FileSource original(model());
  const std::vector<TensorInfo> order = pack_order(read_model_file(original));
  ASSERT_EQ(file.tensors.size(), order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    EXPECT_EQ(file.tensors[i].name, order[i].name);
    EXPECT_EQ(file.tensors[i].offset % 128, 0u) << file.tensors[i].name;
  }
  // Embedding and norms first, then the matrices as the forward pass reads them.
  EXPECT_EQ(file.tensors[0].name, "token_embd.weight");
  EXPECT_EQ(file.tensors[11].name, "output_norm.weight");
  EXPECT_EQ(file.tensors[12].name, "blk.0.attn_q.weight");
  EXPECT_EQ(file.tensors[17].name, "blk.0.ffn_up.weight");
  EXPECT_EQ(file.tensors[18].name, "blk.0.ffn_down.weight");
  EXPECT_EQ(file.checksums, tensor_checksums(file, source));
  EXPECT_EQ(file.checksums.size(), file.tensors.size());
}

// The generation llama2.c's run writes on the host, from the big-endian pack, streamed.
TEST(Pack, Xbox360PackStreamsTheHostsReferenceText) {
  const std::string pack = xbox360_pack();
  PlannedModel planned(pack, options_for(plan_of(pack, 1ull << 40).minimum_budget + 256 * 1024, 8));
  ASSERT_TRUE(planned.plan().streams());
  std::optional<Vocab> vocab = gguf_vocab(read_gguf(FileSource(pack)));
  ASSERT_TRUE(vocab.has_value());
  const Tokenizer tokenizer(std::move(*vocab));
  Sampler sampler(512, {0.0f, 0.9f, 1});
  Transformer t(planned.model(), 120, nullptr, planned.plan().batch, &planned.weights());
  std::ostringstream out;
  generate(t, tokenizer, sampler, "Lily and Ben went to the", 120, out);
  EXPECT_EQ(out.str(), read_text(shared_path("testdata/llama2c-reference/greedy-lily.txt")));
}

TEST(Pack, DamagedTensorIsRefusedWhenLoaded) {
  const std::string damaged = scratch_path("stream-damaged.gguf");
  std::filesystem::copy_file(xbox360_pack(), damaged, std::filesystem::copy_options::overwrite_existing);
  const FileSource source(xbox360_pack());
  const TensorInfo wo = read_model_file(source).tensors[15];
  ASSERT_EQ(wo.name, "blk.0.attn_output.weight");
  {
    std::fstream f(damaged, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(wo.offset + 100));
    f.put('\x55');
  }
  const CliResult r = run_cli({"run", damaged, "-n", "8"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("tensor 'blk.0.attn_output.weight' at offset " + std::to_string(wo.offset)),
            std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the pack is damaged"), std::string::npos) << r.err;
  const CliResult budget = run_cli({"run", damaged, "-n", "8", "--mem-budget", "7500K"});
  EXPECT_EQ(budget.status, 1);
  EXPECT_NE(budget.err.find("the pack is damaged"), std::string::npos) << budget.err;
}

TEST(Pack, Int8GroupsAreRefused) {
  const CliResult r = run_cli({"pack", encodings()[1], "--target", "ps2", "-o", scratch_path("stream-v2-pack.gguf")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("int8 groups have no GGUF type"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace shoehorn::test
