#include "shoehorn/kernels/thread_pool.hpp"

#if SHOEHORN_THREADS
#include <chrono>

namespace shoehorn {

namespace {

// About ten microseconds of polling before a thread sleeps: longer than the gaps between the
// regions of one token, and short enough not to take much from other processes on a busy
// machine (or under an emulator, where each poll is far slower).
constexpr int kSpins = 1 << 10;

}  // namespace

// A sleeper counts itself and then reads the value; a changer writes the value and then reads the
// count (all sequentially consistent): one of them sees the other's write, so either the sleeper
// does not sleep or the changer notifies it, under the mutex it holds until it waits.
template <class T>
void ThreadPool::wait_for_change(const std::atomic<T>& value, T old) {
  for (int i = 0; i < kSpins; ++i) {
    if (value.load(std::memory_order_acquire) != old) return;
    cpu_relax();
  }
  std::unique_lock lock(sleep_mutex_);
  sleepers_.fetch_add(1);
  while (value.load() == old) changed_.wait_for(lock, std::chrono::milliseconds(1));
  sleepers_.fetch_sub(1);
}

void ThreadPool::wake_sleepers() {
  if (sleepers_.load() == 0) return;
  {
    const std::lock_guard lock(sleep_mutex_);
  }
  changed_.notify_all();
}

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  stopping_.store(true, std::memory_order_relaxed);
  generation_.fetch_add(1);
  wake_sleepers();
  for (std::thread& t : workers_) t.join();
}

// A claim succeeds only while the word still holds the region whose fields were read. Between
// regions the word is closed (its task index past any count) before the next region's fields
// are written, and opened after: a worker that read the last region's word and then some of the
// next region's fields cannot claim (the word changed), and one that reads the closed word
// claims nothing. The word, the fields and the claims are sequentially consistent, so a worker
// that sees a new field sees the closed word too. (With the word left open while the fields
// changed, a late worker once claimed a task index of the last region against the next one's
// count, ran a task twice, and the region never finished: under qemu-mipsel, whose 64-bit
// atomics are libatomic's locks.)
bool ThreadPool::run_next_task() {
  std::uint64_t claim = claim_.load();
  while (true) {
    const TaskFn fn = fn_.load();
    void* context = context_.load();
    const int tasks = tasks_.load();
    const std::uint64_t task = claim & 0xFFFFFFFFu;
    if (task >= static_cast<std::uint64_t>(tasks)) return false;
    if (claim_.compare_exchange_weak(claim, claim + 1)) {
      fn(context, static_cast<int>(task));
      // The last task wakes the calling thread if it went to sleep.
      if (done_.fetch_add(1) + 1 == tasks) wake_sleepers();
      return true;
    }
  }
}

void ThreadPool::dispatch(int tasks, TaskFn fn, void* context) {
  const std::uint32_t generation = generation_.load(std::memory_order_relaxed) + 1;
  const std::uint64_t word = static_cast<std::uint64_t>(generation) << 32;
  claim_.store(word | 0xFFFFFFFFu);  // closed
  fn_.store(fn);
  context_.store(context);
  tasks_.store(tasks);
  done_.store(0);
  claim_.store(word);  // open: task 0 is next
  generation_.store(generation);
  wake_sleepers();
  while (run_next_task()) {
  }
  for (int done = done_.load(std::memory_order_acquire); done != tasks;
       done = done_.load(std::memory_order_acquire)) {
    wait_for_change(done_, done);
  }
}

void ThreadPool::worker_loop() {
  std::uint32_t seen = 0;
  while (true) {
    wait_for_change(generation_, seen);
    seen = generation_.load(std::memory_order_acquire);
    if (stopping_.load(std::memory_order_relaxed)) return;
    while (run_next_task()) {
    }
  }
}

}  // namespace shoehorn
#endif  // SHOEHORN_THREADS
