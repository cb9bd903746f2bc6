// Operator state as checkpoints see it.
//
// At a checkpoint barrier every operator instance writes its state as
// entries, each tagged with a group:
//   - keyed state: the key group of its keys (key -> hash -> key group, see
//     KeyGroupOf). Instance i of p owns the contiguous key groups
//     KeyGroupsOf(i, p); the hash exchange sends a key's records to the
//     instance owning its group, so a checkpoint taken at one parallelism
//     restores at any other up to the max parallelism (default 128).
//   - split state (a source's partitions, files): the split's id; a
//     restored instance takes the entries of the splits it now reads.
//   - operator state that belongs to no key or split: group kNoGroup.
// On restore an instance is given the entries of every instance of its
// operator in the checkpoint and keeps those it owns. An entry's bytes are
// the operator's own encoding (state_codec.h), opaque to the runtime.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace rivulet::engine {

// Key groups per keyed operator: its largest possible parallelism.
inline constexpr int kDefaultMaxParallelism = 128;
inline constexpr uint32_t kNoGroup = 0xffffffffu;

// The key group of a key whose std::hash is `key_hash` (mixed first:
// libstdc++'s hash of an integer is the integer itself).
inline int KeyGroupOf(uint64_t key_hash, int max_parallelism = kDefaultMaxParallelism) {
  uint64_t h = key_hash;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return static_cast<int>(h % static_cast<uint64_t>(max_parallelism));
}

// The instance of `parallelism` that owns `key_group` (as Flink assigns them).
inline int InstanceOfKeyGroup(int key_group, int parallelism, int max_parallelism = kDefaultMaxParallelism) {
  return static_cast<int>(static_cast<int64_t>(key_group) * parallelism / max_parallelism);
}

// The key groups [first, last] instance `index` of `parallelism` owns.
struct KeyGroupRange {
  int first = 0;
  int last = -1;
  bool Contains(int key_group) const { return key_group >= first && key_group <= last; }
};
inline KeyGroupRange KeyGroupsOf(int index, int parallelism, int max_parallelism = kDefaultMaxParallelism) {
  // The smallest group g with g * parallelism / max == index, up to the next instance's.
  auto start = [&](int i) {
    return static_cast<int>((static_cast<int64_t>(i) * max_parallelism + parallelism - 1) / parallelism);
  };
  return KeyGroupRange{start(index), start(index + 1) - 1};
}

struct StateEntry {
  uint32_t group = kNoGroup;
  std::string bytes;
};

// What an operator instance writes at a barrier. The bytes are copied out
// of the operator's live state here (on the task's thread); writing them
// to disk happens elsewhere, so the task goes on at once.
class SnapshotWriter {
 public:
  void Add(uint32_t group, std::string bytes) { entries_.push_back(StateEntry{group, std::move(bytes)}); }
  std::vector<StateEntry>& entries() { return entries_; }

 private:
  std::vector<StateEntry> entries_;
};

// Keyed state being snapshotted: one buffer per key group, each written
// as one entry.
class KeyGroupedWriter {
 public:
  // The bytes of `key_group`'s entry, to append to.
  std::string& For(int key_group) { return groups_[static_cast<uint32_t>(key_group)]; }
  void WriteTo(SnapshotWriter& out) {
    for (auto& [g, b] : groups_) out.Add(g, std::move(b));
    groups_.clear();
  }

 private:
  std::map<uint32_t, std::string> groups_;
};

// What a restored instance is given: the entries of all instances of its
// operator in the checkpoint, with the parallelism they were taken at.
struct RestoreContext {
  const std::vector<StateEntry>* entries = nullptr;
  int old_parallelism = 0;
  int index = 0;        // this instance
  int parallelism = 1;  // now
  int max_parallelism = kDefaultMaxParallelism;
  KeyGroupRange key_groups() const { return KeyGroupsOf(index, parallelism, max_parallelism); }

  // Calls keyed(group, bytes) for each keyed entry of a key group this
  // instance owns, and other(bytes) for each entry of no group.
  template <typename Keyed, typename Other>
  void ForEach(Keyed keyed, Other other) const {
    const KeyGroupRange mine = key_groups();
    for (const auto& e : *entries) {
      if (e.group == kNoGroup) {
        other(std::string_view(e.bytes));
      } else if (mine.Contains(static_cast<int>(e.group))) {
        keyed(e.group, std::string_view(e.bytes));
      }
    }
  }
};

}  // namespace rivulet::engine
