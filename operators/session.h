// Keyed session windows: a record at t opens the session [t, t + gap);
// sessions of a key that overlap merge (their accumulators too). A session
// fires when the watermark reaches its end - 1. Within the allowed
// lateness a fired session that receives a record (or merges) is emitted
// again, updated; later records are counted and handed to the handler.
// Checkpointed: each key's sessions per key group, and the watermark; the
// timers are rebuilt from the sessions.
#pragma once

#include <atomic>
#include <map>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <absl/container/flat_hash_map.h>
#include <utility>

#include "operators/window.h"

namespace rivulet::operators {

template <typename T, typename KeyFn, typename Agg>
class SessionWindowOperator final : public KeyedWindowOperator<T, KeyFn, Agg> {
  using Base = KeyedWindowOperator<T, KeyFn, Agg>;

 public:
  using typename Base::Acc;
  using typename Base::K;
  using typename Base::Out;

  SessionWindowOperator(engine::Port out, KeyFn key, Agg agg, WindowSpec spec, LateRecords<T> late)
      : Base(out, std::move(key), std::move(agg), spec, std::move(late)), gap_(spec.gap_ms) {}

  void OnBatch(Batch<T>& batch) override {
    for (auto& e : batch) Add(e);
    this->Emit();
  }

  void Snapshot(int64_t, engine::SnapshotWriter& out) override {
    if constexpr (Base::kCheckpointable) {
      out.Add(engine::kNoGroup, engine::EncodeState(watermark_));
      engine::KeyGroupedWriter groups;  // per key group: (key, sessions)...
      for (const auto& [k, sessions] : by_key_) {
        std::string& b = groups.For(Base::GroupOf(k));
        engine::EncodeState(k, &b);
        engine::EncodeState(static_cast<uint64_t>(sessions.size()), &b);
        for (const auto& [start, s] : sessions) {
          engine::EncodeState(start, &b);
          engine::EncodeState(s.end, &b);
          engine::EncodeState(s.fired, &b);
          engine::EncodeState(s.acc, &b);
        }
      }
      groups.WriteTo(out);
    } else {
      Base::NoCodec();
    }
  }
  void Restore(const engine::RestoreContext& ctx) override {
    if constexpr (Base::kCheckpointable) {
      ctx.ForEach(
          [&](uint32_t group, std::string_view in) {
            auto bad = [&] {
              return std::runtime_error("session state: an entry of key group " + std::to_string(group) +
                                        " is malformed");
            };
            while (!in.empty()) {
              K k{};
              uint64_t n = 0;
              if (!engine::StateCodec<K>::Decode(&in, &k) || !engine::StateCodec<uint64_t>::Decode(&in, &n)) throw bad();
              Sessions& sessions = by_key_[k];
              for (uint64_t i = 0; i < n; ++i) {
                Timestamp start = 0;
                Session s{};
                if (!engine::StateCodec<Timestamp>::Decode(&in, &start) ||
                    !engine::StateCodec<Timestamp>::Decode(&in, &s.end) ||
                    !engine::StateCodec<bool>::Decode(&in, &s.fired) || !engine::StateCodec<Acc>::Decode(&in, &s.acc)) {
                  throw bad();
                }
                // The timer it had: firing (end - 1), or clean-up after the lateness.
                timers_.emplace(s.fired ? s.end - 1 + lateness_ : s.end - 1, Timer{k, start, s.end});
                sessions.insert_or_assign(start, std::move(s));
              }
            }
          },
          [&](std::string_view bytes) {
            auto w = engine::DecodeState<Timestamp>(bytes);
            if (!w.ok()) throw std::runtime_error("session state: " + w.status().ToString());
            watermark_ = std::max(watermark_, *w);
          });
    } else {
      (void)ctx;
      Base::NoCodec();
    }
  }

 private:
  using Base::agg_;
  using Base::key_;
  using Base::lateness_;

  struct Session {
    Timestamp end;  // exclusive: last record + gap
    Acc acc;
    bool fired = false;
  };
  using Sessions = std::map<Timestamp, Session>;  // by start

  bool IsLate(Timestamp end) const {
    return watermark_ != engine::kMinTimestamp && end - 1 + lateness_ <= watermark_;
  }

  void Add(Event<T>& e) {
    K k = key_(e.value);
    Sessions& sessions = by_key_[k];
    Timestamp start = e.ts;
    Timestamp end = e.ts + gap_;
    // Sessions overlapping [start, end): the one starting before it, and
    // those starting inside it.
    auto it = sessions.upper_bound(start);
    if (it != sessions.begin() && std::prev(it)->second.end > start) --it;
    if (it != sessions.end() && it->first <= start && it->second.end >= end) {
      // Inside one session without moving its bounds: added in place; its
      // timer stands. Still here after firing means within the lateness.
      Session& s = it->second;
      agg_.Add(s.acc, e.value);
      if (s.fired) Output(k, it->first, s);
      return;
    }
    Acc acc = agg_.Create();
    auto first = it;
    for (; it != sessions.end() && it->first < end; ++it) {
      start = std::min(start, it->first);
      end = std::max(end, it->second.end);
      agg_.Merge(acc, it->second.acc);
    }
    agg_.Add(acc, e.value);  // after the merged sessions' records
    if (first == it && IsLate(end)) {  // a new session that would fire late
      this->Late(e.value, e.ts);
      if (sessions.empty()) by_key_.erase(k);
      return;
    }
    sessions.erase(first, it);
    Session& s = sessions[start];
    s.end = end;
    s.acc = std::move(acc);
    if (end - 1 <= watermark_) {
      // Merged into a session that fired already (within lateness): again.
      s.fired = true;
      Output(k, start, s);
      timers_.emplace(end - 1 + lateness_, Timer{k, start, end});
    } else {
      s.fired = false;
      timers_.emplace(end - 1, Timer{k, start, end});
    }
  }

  void Advance(Timestamp w) override {
    if (w <= watermark_) return;
    watermark_ = w;
    while (!timers_.empty() && timers_.begin()->first <= w) {
      Timer t = timers_.begin()->second;
      timers_.erase(timers_.begin());
      auto kit = by_key_.find(t.key);
      if (kit == by_key_.end()) continue;
      auto sit = kit->second.find(t.start);
      // Stale timer: the session merged into another or moved its end.
      if (sit == kit->second.end() || sit->second.end != t.end) continue;
      Session& s = sit->second;
      if (!s.fired) {
        s.fired = true;
        Output(t.key, t.start, s);
        if (lateness_ > 0 && w != engine::kMaxTimestamp) {
          timers_.emplace(s.end - 1 + lateness_, t);
          continue;
        }
      }
      kit->second.erase(sit);
      if (kit->second.empty()) by_key_.erase(kit);
    }
    this->Emit();
  }

  void Output(const K& k, Timestamp start, const Session& s) { Base::Output(k, start, s.end, s.acc); }

  struct Timer {
    K key;
    Timestamp start;
    Timestamp end;
  };

  const int64_t gap_;
  absl::flat_hash_map<K, Sessions> by_key_;
  std::multimap<Timestamp, Timer> timers_;  // fire (end - 1) or clean-up (end - 1 + lateness) times
  Timestamp watermark_ = engine::kMinTimestamp;
};

}  // namespace rivulet::operators
