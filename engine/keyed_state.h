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
//   2 (timers): count, (key, time) x count
// each opened by its tag as a varint. A restored instance takes the
// sections of the key groups it owns, so state follows its keys across a
// change of parallelism.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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
  void AddAll(const List& vs) {
    if (vs.empty()) return;
    List& l = table().values[*key_];
    l.insert(l.end(), vs.begin(), vs.end());
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
  explicit KeyedStateBackend(int max_parallelism = kDefaultMaxParallelism) : max_parallelism_(max_parallelism) {}
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
  // again keeps one timer.
  void RegisterTimer(Timestamp t) { AddTimer(current_, t); }
  // Removes the current key's timer at `t`, if any.
  void DeleteTimer(Timestamp t) { timers_.erase(std::pair<K, Timestamp>(current_, t)); }
  size_t timer_count() const { return timers_.size(); }
  // At least the time of the latest timer (nothing when there is none).
  std::optional<Timestamp> LatestTimer() const {
    if (queue_.empty()) return std::nullopt;
    return queue_.rbegin()->first;
  }
  // Removes and returns the earliest timer at or before `watermark` (in
  // time order; at one time, in the order registered), or nothing.
  std::optional<std::pair<Timestamp, K>> PopTimer(Timestamp watermark) {
    while (!queue_.empty() && queue_.begin()->first <= watermark) {
      auto it = queue_.begin();
      const Timestamp t = it->first;
      K key = std::move(it->second.front());
      it->second.pop_front();
      if (it->second.empty()) queue_.erase(it);
      // Not there: deleted, or a second registration after a delete.
      if (timers_.erase(std::pair<K, Timestamp>(key, t)) == 1) return std::pair<Timestamp, K>(t, std::move(key));
    }
    return std::nullopt;
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
    for (const auto& t : tables_) t->Snapshot(groups, max_parallelism_);
    if constexpr (HasStateCodec<K>) {
      std::map<int, std::vector<const std::pair<K, Timestamp>*>> by_group;
      for (const auto& timer : timers_) {
        by_group[KeyGroupOf(std::hash<K>{}(timer.first), max_parallelism_)].push_back(&timer);
      }
      for (const auto& [group, timers] : by_group) {
        std::string& b = groups.For(group);
        EncodeState(detail::kTimerSection, &b);
        EncodeState(static_cast<uint64_t>(timers.size()), &b);
        for (const auto* timer : timers) {
          EncodeState(timer->first, &b);
          EncodeState(timer->second, &b);
        }
      }
    }
    groups.WriteTo(out);
  }

  // Takes the states and timers of the key groups this instance owns;
  // entries of no group are left to the operator. Throws
  // std::runtime_error on a malformed entry or a state not declared here
  // (dropping it would lose it without a word).
  void Restore(const RestoreContext& ctx) {
    ctx.ForEach([&](uint32_t group, std::string_view in) { RestoreGroup(group, in); }, [](std::string_view) {});
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

  void AddTimer(const K& key, Timestamp t) {
    if (timers_.insert(std::pair<K, Timestamp>(key, t)).second) queue_[t].push_back(key);
  }

  void RestoreGroup(uint32_t group, std::string_view in) {
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
            if (!StateCodec<K>::Decode(&in, &key) || !StateCodec<Timestamp>::Decode(&in, &t)) {
              throw bad("has a malformed timer");
            }
            AddTimer(key, t);
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

  const int max_parallelism_;
  K current_{};
  std::vector<std::unique_ptr<detail::StateTableBase<K>>> tables_;
  absl::flat_hash_set<std::pair<K, Timestamp>> timers_;  // the live timers
  std::map<Timestamp, std::deque<K>> queue_;             // by time; may hold deleted ones
};

}  // namespace rivulet::engine
