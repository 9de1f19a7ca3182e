// 4-ary implicit min-heap: shallower than a binary heap (log4 n levels), but on the hold
// model at 1e5+ pending every pop walks to a random leaf and misses the cache at each of
// the lower levels. RadixQueue (below) keeps its buckets sequential in memory instead.
#include "meshtwin/engine/event_queue.hpp"

namespace meshtwin::engine {

void QuaternaryHeapQueue::push(const QueueEntry& e) {
  std::size_t i = heap_.size();
  heap_.push_back(e);
  while (i > 0) {
    const std::size_t parent = (i - 1) / 4;
    if (!(e < heap_[parent])) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = e;
}

void QuaternaryHeapQueue::pop() {
  const QueueEntry last = heap_.back();
  heap_.pop_back();
  const std::size_t n = heap_.size();
  if (n == 0) return;
  std::size_t i = 0;
  for (;;) {
    const std::size_t first = 4 * i + 1;
    if (first >= n) break;
    std::size_t best = first;
    const std::size_t end = first + 4 < n ? first + 4 : n;
    for (std::size_t c = first + 1; c < end; ++c) {
      if (heap_[c] < heap_[best]) best = c;
    }
    if (!(heap_[best] < last)) break;
    heap_[i] = heap_[best];
    i = best;
  }
  heap_[i] = last;
}

void RadixQueue::findLeast() {
  // Bucket 0 is empty: the least entry is the first one (in push order) with the least
  // key in the lowest non-empty bucket, since every key there is below those of the
  // buckets above it.
  const int b = std::countr_zero(non_empty_) + 1;
  const auto& bucket = buckets_[static_cast<std::size_t>(b)];
  std::size_t best = 0;
  for (std::size_t j = 1; j < bucket.size(); ++j) {
    if (bucket[j].key < bucket[best].key) best = j;
  }
  least_bucket_ = b;
  least_index_ = best;
}

void RadixQueue::refill() {
  // Bucket 0 is drained: the least key becomes the base and its bucket moves down; every
  // entry there lands in a lower bucket (the least ones in bucket 0), in push order.
  if (least_bucket_ == 0) findLeast();
  const auto b = static_cast<std::size_t>(least_bucket_);
  std::vector<Item> moving;
  moving.swap(buckets_[b]);
  non_empty_ &= ~bucketBit(least_bucket_);
  base_ = moving[least_index_].key;
  least_bucket_ = 0;
  buckets_[0].clear();
  head_ = 0;
  for (const Item& it : moving) place(it);
  moving.clear();
  buckets_[b].swap(moving);  // keep the capacity for the next time this bucket fills
}

void RadixQueue::rebase(std::uint64_t key) {
  // A push below the base: re-bucket everything relative to the new, lower base. Equal
  // keys share a bucket, so walking the buckets in order keeps them in push order.
  std::vector<Item> all;
  all.reserve(size_);
  for (std::size_t j = head_; j < buckets_[0].size(); ++j) all.push_back(buckets_[0][j]);
  for (auto& bucket : buckets_) {
    if (&bucket != &buckets_[0]) all.insert(all.end(), bucket.begin(), bucket.end());
    bucket.clear();
  }
  head_ = 0;
  non_empty_ = 0;
  least_bucket_ = 0;
  base_ = key;
  for (const Item& it : all) place(it);
}

void RadixQueue::clear() {
  for (auto& bucket : buckets_) bucket.clear();
  head_ = 0;
  base_ = keyOf(0);
  non_empty_ = 0;
  size_ = 0;
  least_bucket_ = 0;
}

}  // namespace meshtwin::engine
