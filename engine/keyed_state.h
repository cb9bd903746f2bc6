// Keyed state for user functions (operators/process.h): value, map and
// list states scoped to the current key, and event-time timers per key,
// all held by one KeyedStateBackend per operator instance.
//
// The operator sets the current key before it calls the user function; a
// state handle reads and writes that key's entry. Each declared state is a
// table key -> value; clearing a key's value (or emptying its map or list)
// removes the key from that table, so a key whose states are all empty
// holds no memory. Values are encoded by StateCodec (state_codec.h).
//
// Checkpoint format: one entry per key group (state.h), holding sections
//   1 (state):  name, count, (key, value) x count    one per declared state
//   2 (timers): count, (key, time, seq) x count
// each opened by its tag as a varint. seq orders the timers of one time
// (the order they were registered); a restore re-registers every timer in
// (time, seq) order. A restored instance takes the sections of the key
// groups it owns, so state follows its keys across a change of
// parallelism. Keys are grouped with kDefaultMaxParallelism, as the hash
// exchange routes them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/container/btree_map.h>
#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include "engine/state.h"
#include "engine/state_codec.h"
#include "engine/time.h"

namespace rivulet::engine {

template <typename K>
class KeyedStateBackend;

namespace detail {

inline constexpr uint64_t kStateSection = 1;
inline constexpr uint64_t kTimerSection = 2;

// One declared state: its values by key. Virtual only for checkpoints; a
// handle reaches its StateTable<K, V> directly.
template <typename K>
class StateTableBase {
 public:
  explicit StateTableBase(std::string name) : name_(std::move(name)) {}
  virtual ~StateTableBase() = default;
  const std::string& name() const { return name_; }
  virtual bool has_codec() const = 0;
  virtual size_t size() const = 0;
  virtual bool Contains(const K& key) const = 0;
  virtual void AddKeysTo(absl::flat_hash_set<K>* keys) const = 0;
  // Writes one state section into each key group that has keys.
  virtual void Snapshot(KeyGroupedWriter& out, int max_parallelism) const = 0;
  // Reads `count` (key, value) pairs from *in; false when malformed.
  virtual bool Restore(std::string_view* in, uint64_t count) = 0;

 private:
  std::string name_;
};

template <typename K, typename V>
class StateTable final : public StateTableBase<K> {
 public:
  using StateTableBase<K>::StateTableBase;
  static constexpr bool kCodec = HasStateCodec<K> && HasStateCodec<V>;

  bool has_codec() const override { return kCodec; }
  size_t size() const override { return values.size(); }
  bool Contains(const K& key) const override { return values.contains(key); }
  void AddKeysTo(absl::flat_hash_set<K>* keys) const override {
    for (const auto& e : values) keys->insert(e.first);
  }
  void Snapshot(KeyGroupedWriter& out, int max_parallelism) const override {
    if constexpr (kCodec) {
      std::map<int, std::vector<const std::pair<const K, V>*>> by_group;
      for (const auto& e : values) by_group[KeyGroupOf(std::hash<K>{}(e.first), max_parallelism)].push_back(&e);
      for (const auto& [group, entries] : by_group) {
        std::string& b = out.For(group);
        EncodeState(kStateSection, &b);
        EncodeState(this->name(), &b);
        EncodeState(static_cast<uint64_t>(entries.size()), &b);
        for (const auto* e : entries) {
          EncodeState(e->first, &b);
          EncodeState(e->second, &b);
        }
      }
    } else {
      (void)out;
      (void)max_parallelism;
      throw std::runtime_error("keyed state '" + this->name() +
                               "' cannot be checkpointed: its key or value type has no StateCodec");
    }
  }
  bool Restore(std::string_view* in, uint64_t count) override {
    if constexpr (kCodec) {
      for (uint64_t i = 0; i < count; ++i) {
        K k{};
        V v{};
        if (!StateCodec<K>::Decode(in, &k) || !StateCodec<V>::Decode(in, &v)) return false;
        values.insert_or_assign(std::move(k), std::move(v));
      }
      return true;
    } else {
      (void)in;
      (void)count;
      return false;
    }
  }

  absl::flat_hash_map<K, V> values;
};

}  // namespace detail

// The current key's value of type V, or none. Handles are cheap to copy;
// they stay valid as long as the backend that declared them.
template <typename K, typename V>
class ValueState {
 public:
  ValueState() = default;  // unbound; declare with KeyedStateBackend::Value

  // The current key's value, or nullptr when it has none (valid until the
  // state next changes).
  const V* Get() const {
    auto it = table().values.find(*key_);
    return it == table().values.end() ? nullptr : &it->second;
  }
  // The current key's value, or `fallback` when it has none.
  V GetOr(V fallback) const {
    const V* v = Get();
    return v ? *v : std::move(fallback);
  }
  bool Has() const { return Get() != nullptr; }
  void Update(V value) { table().values.insert_or_assign(*key_, std::move(value)); }
  // The current key's value to change in place, default-constructed when
  // it has none (valid until the state next changes).
  V& Mutable() { return table().values[*key_]; }
  // Removes the current key's value.
  void Clear() { table().values.erase(*key_); }

 private:
  friend class KeyedStateBackend<K>;
  ValueState(detail::StateTable<K, V>* table, const K* key) : table_(table), key_(key) {}
  detail::StateTable<K, V>& table() const {
    if (!table_) throw std::logic_error("ValueState used before it was declared (KeyedStateBackend::Value)");
    return *table_;
  }
  detail::StateTable<K, V>* table_ = nullptr;
  const K* key_ = nullptr;
};

// The current key's map UK -> V, iterated in key order. An empty map is
// no entry at all.
template <typename K, typename UK, typename V>
class MapState {
 public:
  using Map = std::map<UK, V>;
  MapState() = default;  // unbound; declare with KeyedStateBackend::Map

  // The value at `k`, or nullptr (valid until the state next changes).
  const V* Get(const UK& k) const {
    const Map* m = Find();
    if (!m) return nullptr;
    auto it = m->find(k);
    return it == m->end() ? nullptr : &it->second;
  }
  bool Contains(const UK& k) const { return Get(k) != nullptr; }
  void Put(UK k, V v) { table().values[*key_].insert_or_assign(std::move(k), std::move(v)); }
  // The value at `k` to change in place, default-constructed when absent
  // (valid until the state next changes).
  V& At(const UK& k) { return table().values[*key_][k]; }
  // Removes the entries at keys up to `k` (inclusive).
  void RemoveUpTo(const UK& k) {
    auto it = table().values.find(*key_);
    if (it == table().values.end()) return;
    it->second.erase(it->second.begin(), it->second.upper_bound(k));
    if (it->second.empty()) table().values.erase(it);
  }
  void Remove(const UK& k) {
    auto it = table().values.find(*key_);
    if (it == table().values.end()) return;
    it->second.erase(k);
    if (it->second.empty()) table().values.erase(it);
  }
  // Every entry of the current key, in key order (empty when none).
  const Map& Entries() const {
    static const Map kEmpty;
    const Map* m = Find();
    return m ? *m : kEmpty;
  }
  bool Empty() const { return Find() == nullptr; }
  size_t Size() const { return Entries().size(); }
  void Clear() { table().values.erase(*key_); }

 private:
  friend class KeyedStateBackend<K>;
  MapState(detail::StateTable<K, Map>* table, const K* key) : table_(table), key_(key) {}
  detail::StateTable<K, Map>& table() const {
    if (!table_) throw std::logic_error("MapState used before it was declared (KeyedStateBackend::Map)");
    return *table_;
  }
  const Map* Find() const {
    auto it = table().values.find(*key_);
    return it == table().values.end() ? nullptr : &it->second;
  }
  detail::StateTable<K, Map>* table_ = nullptr;
  const K* key_ = nullptr;
};

// The current key's list of V, in the order added. An empty list is no
// entry at all.
template <typename K, typename V>
class ListState {
 public:
  using List = std::vector<V>;
  ListState() = default;  // unbound; declare with KeyedStateBackend::List

  void Add(V v) { table().values[*key_].push_back(std::move(v)); }
  // By value: `vs` may be this very list (l.AddAll(l.Get())) or another
  // key's, which inserting the current key could move.
  void AddAll(List vs) {
    if (vs.empty()) return;
    List& l = table().values[*key_];
    l.insert(l.end(), std::make_move_iterator(vs.begin()), std::make_move_iterator(vs.end()));
  }
  // Replaces the list (an empty one clears it).
  void Update(List vs) {
    if (vs.empty()) {
      Clear();
    } else {
      table().values.insert_or_assign(*key_, std::move(vs));
    }
  }
  // The current key's list (empty when none; valid until the state next changes).
  const List& Get() const {
    static const List kEmpty;
    auto it = table().values.find(*key_);
    return it == table().values.end() ? kEmpty : it->second;
  }
  bool Empty() const { return Get().empty(); }
  void Clear() { table().values.erase(*key_); }

 private:
  friend class KeyedStateBackend<K>;
  ListState(detail::StateTable<K, List>* table, const K* key) : table_(table), key_(key) {}
  detail::StateTable<K, List>& table() const {
    if (!table_) throw std::logic_error("ListState used before it was declared (KeyedStateBackend::List)");
    return *table_;
  }
  detail::StateTable<K, List>* table_ = nullptr;
  const K* key_ = nullptr;
};

// The keyed states and timers of one operator instance. Used on the task's
// thread only. States are declared (by name, unique) before the first
// record and before Restore; handles point into the backend, which
// therefore neither copies nor moves.
template <typename K>
class KeyedStateBackend {
 public:
  KeyedStateBackend() = default;
  KeyedStateBackend(const KeyedStateBackend&) = delete;
  KeyedStateBackend& operator=(const KeyedStateBackend&) = delete;

  // Declare a state; throws std::invalid_argument on a name declared before.
  template <typename V>
  ValueState<K, V> Value(std::string name) {
    return ValueState<K, V>(Declare<V>(std::move(name)), &current_);
  }
  template <typename UK, typename V>
  MapState<K, UK, V> Map(std::string name) {
    return MapState<K, UK, V>(Declare<std::map<UK, V>>(std::move(name)), &current_);
  }
  template <typename V>
  ListState<K, V> List(std::string name) {
    return ListState<K, V>(Declare<std::vector<V>>(std::move(name)), &current_);
  }

  // The key the states and timers act on until the next call.
  void SetCurrentKey(const K& key) { current_ = key; }
  const K& current_key() const { return current_; }

  // Keys with a value in at least one state (timers aside).
  size_t KeyCount() const {
    absl::flat_hash_set<K> keys;
    for (const auto& t : tables_) t->AddKeysTo(&keys);
    return keys.size();
  }
  bool HasState(const K& key) const {
    for (const auto& t : tables_) {
      if (t->Contains(key)) return true;
    }
    return false;
  }

  // An event-time timer for the current key at `t`; registering (key, t)
  // again keeps one timer (and its place among the timers at `t`).
  void RegisterTimer(Timestamp t) { AddTimer(current_, t); }
  // Removes the current key's timer at `t`, if any; it then takes no
  // memory, so deleting the old timer and registering a new one per record
  // keeps one.
  void DeleteTimer(Timestamp t) {
    auto it = timers_.find(std::pair<K, Timestamp>(current_, t));
    if (it == timers_.end()) return;
    queue_.erase(std::pair<Timestamp, uint64_t>(t, it->second));
    timers_.erase(it);
  }
  size_t timer_count() const { return timers_.size(); }
  // Entries of the time-ordered queue: timer_count(), deleted timers hold none.
  size_t timer_queue_size() const { return queue_.size(); }
  // The time of the latest timer (nothing when there is none).
  std::optional<Timestamp> LatestTimer() const {
    if (queue_.empty()) return std::nullopt;
    return queue_.rbegin()->first.first;
  }
  // Removes and returns the earliest timer at or before `watermark` (in
  // time order; at one time, in the order registered), or nothing.
  std::optional<std::pair<Timestamp, K>> PopTimer(Timestamp watermark) {
    if (queue_.empty() || queue_.begin()->first.first > watermark) return std::nullopt;
    auto it = queue_.begin();
    const Timestamp t = it->first.first;
    K key = std::move(it->second);
    queue_.erase(it);
    timers_.erase(std::pair<K, Timestamp>(key, t));
    return std::pair<Timestamp, K>(t, std::move(key));
  }

  // Whether Snapshot can encode everything (every state's key and value
  // types have a StateCodec); else why not.
  bool CanCheckpoint() const { return NoCodec().empty(); }
  std::string NoCodec() const {
    if constexpr (!HasStateCodec<K>) {
      return "its key type has no StateCodec";
    } else {
      for (const auto& t : tables_) {
        if (!t->has_codec()) return "state '" + t->name() + "' has a value type without a StateCodec";
      }
      return {};
    }
  }

  // Writes every state and timer into the entries of their keys' groups.
  // Throws std::runtime_error when !CanCheckpoint().
  void Snapshot(SnapshotWriter& out) const {
    if (const std::string why = NoCodec(); !why.empty()) {
      throw std::runtime_error("keyed state cannot be checkpointed: " + why + " (see engine/state_codec.h)");
    }
    KeyGroupedWriter groups;
    for (const auto& t : tables_) t->Snapshot(groups, kDefaultMaxParallelism);
    if constexpr (HasStateCodec<K>) {
      std::map<int, std::vector<const typename TimerQueue::value_type*>> by_group;
      for (const auto& timer : queue_) {  // in (time, seq) order
        by_group[KeyGroupOf(std::hash<K>{}(timer.second), kDefaultMaxParallelism)].push_back(&timer);
      }
      for (const auto& [group, timers] : by_group) {
        std::string& b = groups.For(group);
        EncodeState(detail::kTimerSection, &b);
        EncodeState(static_cast<uint64_t>(timers.size()), &b);
        for (const auto* timer : timers) {
          EncodeState(timer->second, &b);
          EncodeState(timer->first.first, &b);
          EncodeState(timer->first.second, &b);
        }
      }
    }
    groups.WriteTo(out);
  }

  // Takes the states and timers of the key groups this instance owns;
  // entries of no group are left to the operator. Throws
  // std::runtime_error on a malformed entry or a state not declared here
  // (dropping it would lose it without a word), and on a max parallelism
  // other than kDefaultMaxParallelism (the one keys are routed and
  // snapshotted by). Timers are registered in (time, seq) order, so those
  // at one time fire in the order they were first registered.
  void Restore(const RestoreContext& ctx) {
    if (ctx.max_parallelism != kDefaultMaxParallelism) {
      throw std::runtime_error("keyed state: cannot restore at max parallelism " +
                               std::to_string(ctx.max_parallelism) + "; keys are grouped by " +
                               std::to_string(kDefaultMaxParallelism));
    }
    std::vector<RestoredTimer> timers;
    ctx.ForEach([&](uint32_t group, std::string_view in) { RestoreGroup(group, in, &timers); },
                [](std::string_view) {});
    // Stable: seqs of different old instances tie in the order read.
    std::stable_sort(timers.begin(), timers.end(), [](const RestoredTimer& a, const RestoredTimer& b) {
      return std::pair(a.t, a.seq) < std::pair(b.t, b.seq);
    });
    for (const auto& timer : timers) AddTimer(timer.key, timer.t);
  }

 private:
  template <typename V>
  detail::StateTable<K, V>* Declare(std::string name) {
    for (const auto& t : tables_) {
      if (t->name() == name) throw std::invalid_argument("keyed state '" + name + "' is declared twice");
    }
    auto table = std::make_unique<detail::StateTable<K, V>>(std::move(name));
    auto* p = table.get();
    tables_.push_back(std::move(table));
    return p;
  }

  // Ordered by (time, seq); seq grows with each registration.
  using TimerQueue = absl::btree_map<std::pair<Timestamp, uint64_t>, K>;
  struct RestoredTimer {
    K key;
    Timestamp t;
    uint64_t seq;
  };

  void AddTimer(const K& key, Timestamp t) {
    auto [it, added] = timers_.try_emplace(std::pair<K, Timestamp>(key, t), next_seq_);
    if (!added) return;
    queue_.emplace(std::pair<Timestamp, uint64_t>(t, next_seq_), key);
    ++next_seq_;
  }

  void RestoreGroup(uint32_t group, std::string_view in, std::vector<RestoredTimer>* timers) {
    auto bad = [&](const std::string& what) {
      return std::runtime_error("keyed state: the entry of key group " + std::to_string(group) + " " + what);
    };
    if constexpr (HasStateCodec<K>) {
      while (!in.empty()) {
        uint64_t tag = 0;
        uint64_t count = 0;
        if (!StateCodec<uint64_t>::Decode(&in, &tag)) throw bad("is malformed");
        if (tag == detail::kStateSection) {
          std::string name;
          if (!StateCodec<std::string>::Decode(&in, &name) || !StateCodec<uint64_t>::Decode(&in, &count)) {
            throw bad("is malformed");
          }
          detail::StateTableBase<K>* table = nullptr;
          for (const auto& t : tables_) {
            if (t->name() == name) table = t.get();
          }
          if (!table) throw bad("holds state '" + name + "', which this operator does not declare");
          if (!table->Restore(&in, count)) throw bad("has a malformed value of state '" + name + "'");
        } else if (tag == detail::kTimerSection) {
          if (!StateCodec<uint64_t>::Decode(&in, &count)) throw bad("is malformed");
          for (uint64_t i = 0; i < count; ++i) {
            K key{};
            Timestamp t = 0;
            uint64_t seq = 0;
            if (!StateCodec<K>::Decode(&in, &key) || !StateCodec<Timestamp>::Decode(&in, &t) ||
                !StateCodec<uint64_t>::Decode(&in, &seq)) {
              throw bad("has a malformed timer");
            }
            timers->push_back(RestoredTimer{std::move(key), t, seq});
          }
        } else {
          throw bad("has a section of unknown kind " + std::to_string(tag));
        }
      }
    } else {
      (void)in;
      throw bad("cannot be read: the key type has no StateCodec");
    }
  }

  K current_{};
  std::vector<std::unique_ptr<detail::StateTableBase<K>>> tables_;
  // Each live timer once in each: timers_ finds it by (key, time) for
  // dedup and deletion, queue_ orders it for firing.
  absl::flat_hash_map<std::pair<K, Timestamp>, uint64_t> timers_;  // -> its seq
  TimerQueue queue_;
  uint64_t next_seq_ = 0;
};

}  // namespace rivulet::engine
