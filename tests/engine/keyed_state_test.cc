// Keyed state of user functions (engine/keyed_state.h): value, map and
// list states scoped to the current key, keys dropped once all their
// states are empty, event-time timers (order, once per (key, t), delete),
// and snapshots restored at other parallelisms, each instance taking
// exactly the keys of its key groups.
#include "engine/keyed_state.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace rivulet::engine {
namespace {

using Backend = KeyedStateBackend<std::string>;

TEST(KeyedStateTest, ValueStateIsPerKeyAndClearDropsTheKey) {
  Backend b;
  auto count = b.Value<int64_t>("count");
  b.SetCurrentKey("a");
  EXPECT_EQ(count.Get(), nullptr);
  EXPECT_EQ(count.GetOr(7), 7);
  count.Update(1);
  b.SetCurrentKey("b");
  EXPECT_FALSE(count.Has());
  count.Update(10);
  b.SetCurrentKey("a");
  ASSERT_NE(count.Get(), nullptr);
  EXPECT_EQ(*count.Get(), 1);
  count.Update(count.GetOr(0) + 1);
  EXPECT_EQ(count.GetOr(0), 2);
  EXPECT_EQ(b.KeyCount(), 2u);
  count.Clear();
  EXPECT_FALSE(count.Has());
  EXPECT_FALSE(b.HasState("a"));
  EXPECT_TRUE(b.HasState("b"));
  EXPECT_EQ(b.KeyCount(), 1u);
}

TEST(KeyedStateTest, MapStateKeepsKeyOrderAndItsLastRemovalDropsTheKey) {
  Backend b;
  auto m = b.Map<int64_t, std::string>("by_time");
  b.SetCurrentKey("k");
  EXPECT_TRUE(m.Empty());
  m.Put(30, "c");
  m.Put(10, "a");
  m.Put(20, "b");
  m.Put(20, "B");
  EXPECT_EQ(m.Size(), 3u);
  ASSERT_NE(m.Get(20), nullptr);
  EXPECT_EQ(*m.Get(20), "B");
  EXPECT_FALSE(m.Contains(40));
  std::vector<int64_t> keys;
  for (const auto& [t, v] : m.Entries()) keys.push_back(t);
  EXPECT_EQ(keys, (std::vector<int64_t>{10, 20, 30}));
  b.SetCurrentKey("other");
  EXPECT_TRUE(m.Entries().empty());
  m.Remove(10);  // nothing there: no entry made
  EXPECT_FALSE(b.HasState("other"));
  b.SetCurrentKey("k");
  m.Remove(10);
  m.Remove(20);
  EXPECT_TRUE(b.HasState("k"));
  m.Remove(30);
  EXPECT_TRUE(m.Empty());
  EXPECT_FALSE(b.HasState("k"));
}

TEST(KeyedStateTest, ListStateAddsInOrderAndAnEmptyUpdateClears) {
  Backend b;
  auto l = b.List<int>("items");
  b.SetCurrentKey("k");
  EXPECT_TRUE(l.Empty());
  l.Add(1);
  l.AddAll({2, 3});
  l.AddAll({});
  EXPECT_EQ(l.Get(), (std::vector<int>{1, 2, 3}));
  l.Update({9});
  EXPECT_EQ(l.Get(), (std::vector<int>{9}));
  l.Update({});
  EXPECT_TRUE(l.Empty());
  EXPECT_EQ(b.KeyCount(), 0u);
}

TEST(KeyedStateTest, AKeyStaysWhileAnyOfItsStatesHoldsSomething) {
  Backend b;
  auto v = b.Value<int>("v");
  auto l = b.List<int>("l");
  b.SetCurrentKey("k");
  v.Update(1);
  l.Add(2);
  v.Clear();
  EXPECT_TRUE(b.HasState("k"));
  l.Clear();
  EXPECT_FALSE(b.HasState("k"));
  EXPECT_EQ(b.KeyCount(), 0u);
}

TEST(KeyedStateTest, MisuseThrows) {
  Backend b;
  (void)b.Value<int>("x");
  EXPECT_THROW((void)b.List<int>("x"), std::invalid_argument);
  ValueState<std::string, int> unbound;
  EXPECT_THROW((void)unbound.Get(), std::logic_error);
  MapState<std::string, int, int> unbound_map;
  EXPECT_THROW(unbound_map.Put(1, 2), std::logic_error);
  ListState<std::string, int> unbound_list;
  EXPECT_THROW(unbound_list.Add(1), std::logic_error);
}

TEST(KeyedStateTest, TimersFireInTimeOrderOncePerKeyAndTime) {
  Backend b;
  b.SetCurrentKey("a");
  b.RegisterTimer(30);
  b.RegisterTimer(10);
  b.RegisterTimer(10);  // the same timer
  b.SetCurrentKey("b");
  b.RegisterTimer(10);
  b.RegisterTimer(20);
  b.DeleteTimer(20);
  b.RegisterTimer(25);
  b.DeleteTimer(25);
  b.RegisterTimer(25);  // deleted, then registered again: once
  EXPECT_EQ(b.timer_count(), 4u);
  EXPECT_FALSE(b.PopTimer(9).has_value());
  std::vector<std::pair<Timestamp, std::string>> fired;
  while (auto t = b.PopTimer(25)) fired.push_back(*t);
  EXPECT_EQ(fired, (std::vector<std::pair<Timestamp, std::string>>{{10, "a"}, {10, "b"}, {25, "b"}}));
  EXPECT_EQ(b.timer_count(), 1u);
  auto last = b.PopTimer(kMaxTimestamp);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(*last, (std::pair<Timestamp, std::string>{30, "a"}));
  EXPECT_FALSE(b.PopTimer(kMaxTimestamp).has_value());
}

// The documented pattern: delete the key's old timer, register a new one
// per record. A deleted timer takes no memory, in the queue either.
TEST(KeyedStateTest, DeletingAndRegisteringPerRecordKeepsOneTimer) {
  Backend b;
  b.SetCurrentKey("k");
  for (Timestamp i = 0; i < 100000; ++i) {
    if (i > 0) b.DeleteTimer(i - 1 + 1000);
    b.RegisterTimer(i + 1000);
    ASSERT_EQ(b.timer_count(), 1u) << "record " << i;
    ASSERT_EQ(b.timer_queue_size(), 1u) << "record " << i;
  }
  EXPECT_EQ(b.LatestTimer(), 99999 + 1000);
  EXPECT_FALSE(b.PopTimer(99999 + 999).has_value());
  auto t = b.PopTimer(kMaxTimestamp);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(*t, (std::pair<Timestamp, std::string>{100999, "k"}));
  EXPECT_EQ(b.timer_queue_size(), 0u);
  EXPECT_FALSE(b.LatestTimer().has_value());
}

TEST(KeyedStateTest, ListAddAllOfItsOwnListOrAnotherKeysAppendsACopy) {
  Backend b;
  auto l = b.List<int>("l");
  b.SetCurrentKey("a");
  l.AddAll({1, 2, 3});
  l.AddAll(l.Get());  // its own elements
  EXPECT_EQ(l.Get(), (std::vector<int>{1, 2, 3, 1, 2, 3}));
  const std::vector<int>& a = l.Get();
  for (int i = 0; i < 100; ++i) {  // new keys, each from a list the insert may move
    b.SetCurrentKey("k" + std::to_string(i));
    l.AddAll(i == 0 ? a : std::vector<int>{i});
  }
  b.SetCurrentKey("k0");
  EXPECT_EQ(l.Get(), (std::vector<int>{1, 2, 3, 1, 2, 3}));
}

// Keys registered at one time in an order of their own (neither key nor
// hash order), some deleted and registered again (they go last).
void RegisterShuffled(Backend& b) {
  for (int i = 0; i < 300; ++i) {
    const std::string k = "key" + std::to_string((i * 7919) % 300);
    b.SetCurrentKey(k);
    b.RegisterTimer(100);
    if (i % 3 == 0) b.RegisterTimer(50);
  }
  for (int i = 0; i < 300; ++i) {
    const std::string k = "key" + std::to_string((i * 7919) % 300);
    if (i % 10 == 0) {
      b.SetCurrentKey(k);
      b.DeleteTimer(100);
    }
  }
  for (int i = 299; i >= 0; --i) {
    const std::string k = "key" + std::to_string((i * 7919) % 300);
    if (i % 10 == 0) {
      b.SetCurrentKey(k);
      b.RegisterTimer(100);
    }
  }
}

TEST(KeyedStateTest, TimersAtOneTimeFireInTheOrderRegisteredAfterARestore) {
  Backend before;
  RegisterShuffled(before);
  SnapshotWriter w;
  before.Snapshot(w);
  std::vector<StateEntry> checkpoint = w.entries();
  std::vector<std::pair<Timestamp, std::string>> expected;
  while (auto t = before.PopTimer(kMaxTimestamp)) expected.push_back(*t);
  ASSERT_EQ(expected.size(), 400u);
  for (int parallelism : {1, 2, 3}) {
    for (int index = 0; index < parallelism; ++index) {
      Backend after;
      RestoreContext ctx;
      ctx.entries = &checkpoint;
      ctx.old_parallelism = 1;
      ctx.index = index;
      ctx.parallelism = parallelism;
      after.Restore(ctx);
      std::vector<std::pair<Timestamp, std::string>> got;
      while (auto t = after.PopTimer(kMaxTimestamp)) got.push_back(*t);
      // This instance's keys, in the order they fired before.
      std::vector<std::pair<Timestamp, std::string>> mine;
      for (const auto& e : expected) {
        if (InstanceOfKeyGroup(KeyGroupOf(std::hash<std::string>{}(e.second)), parallelism) == index) {
          mine.push_back(e);
        }
      }
      EXPECT_EQ(got, mine) << "instance " << index << " of " << parallelism;
    }
  }
}

TEST(KeyedStateTest, RestoreRefusesAnotherMaxParallelism) {
  Backend b;
  b.SetCurrentKey("k");
  b.RegisterTimer(1);
  SnapshotWriter w;
  b.Snapshot(w);
  std::vector<StateEntry> entries = w.entries();
  RestoreContext ctx;
  ctx.entries = &entries;
  ctx.old_parallelism = 1;
  ctx.max_parallelism = kDefaultMaxParallelism / 2;
  Backend again;
  EXPECT_THROW(again.Restore(ctx), std::runtime_error);
}

// The state each key should hold, written into `b` for the keys it owns.
struct Expected {
  std::map<std::string, int64_t> counts;
  std::map<std::string, std::map<int64_t, std::string>> maps;
  std::map<std::string, std::vector<int>> lists;
  std::map<std::string, std::vector<Timestamp>> timers;
};

Expected MakeExpected() {
  Expected e;
  for (int i = 0; i < 500; ++i) {
    const std::string k = "key" + std::to_string(i);
    if (i % 2 == 0) e.counts[k] = i * 3;
    if (i % 3 == 0) e.maps[k] = {{i, "x" + std::to_string(i)}, {i + 1000, "y"}};
    if (i % 5 != 4) e.lists[k] = std::vector<int>(static_cast<size_t>(i % 4) + 1, i);
    if (i % 7 == 0) e.timers[k] = {i * 10, i * 10 + 5};
  }
  return e;
}

int OwnerOf(const std::string& k, int parallelism) {
  return InstanceOfKeyGroup(KeyGroupOf(std::hash<std::string>{}(k)), parallelism);
}

struct Instance {
  Backend backend;
  ValueState<std::string, int64_t> count = backend.Value<int64_t>("count");
  MapState<std::string, int64_t, std::string> map = backend.Map<int64_t, std::string>("map");
  ListState<std::string, int> list = backend.List<int>("list");
};

TEST(KeyedStateTest, ASnapshotAtParallelism2RestoresAt1_3_4WithEachKeyAtItsOwner) {
  const Expected e = MakeExpected();
  // Two instances, each holding the keys the hash exchange sends it.
  std::vector<StateEntry> checkpoint;
  for (int index = 0; index < 2; ++index) {
    Instance in;
    for (const auto& [k, c] : e.counts) {
      if (OwnerOf(k, 2) != index) continue;
      in.backend.SetCurrentKey(k);
      in.count.Update(c);
    }
    for (const auto& [k, m] : e.maps) {
      if (OwnerOf(k, 2) != index) continue;
      in.backend.SetCurrentKey(k);
      for (const auto& [uk, v] : m) in.map.Put(uk, v);
    }
    for (const auto& [k, l] : e.lists) {
      if (OwnerOf(k, 2) != index) continue;
      in.backend.SetCurrentKey(k);
      in.list.AddAll(l);
    }
    for (const auto& [k, ts] : e.timers) {
      if (OwnerOf(k, 2) != index) continue;
      in.backend.SetCurrentKey(k);
      for (Timestamp t : ts) in.backend.RegisterTimer(t);
    }
    // A key whose states were all cleared leaves nothing in the checkpoint.
    in.backend.SetCurrentKey("gone");
    in.count.Update(1);
    in.count.Clear();
    SnapshotWriter w;
    in.backend.Snapshot(w);
    const KeyGroupRange mine = KeyGroupsOf(index, 2);
    for (auto& entry : w.entries()) {
      EXPECT_TRUE(mine.Contains(static_cast<int>(entry.group))) << "group " << entry.group;
      checkpoint.push_back(std::move(entry));
    }
  }
  for (int parallelism : {1, 3, 4}) {
    Expected got;
    for (int index = 0; index < parallelism; ++index) {
      Instance in;
      RestoreContext ctx;
      ctx.entries = &checkpoint;
      ctx.old_parallelism = 2;
      ctx.index = index;
      ctx.parallelism = parallelism;
      in.backend.Restore(ctx);
      EXPECT_FALSE(in.backend.HasState("gone"));
      auto check_owner = [&](const std::string& k) {
        EXPECT_EQ(OwnerOf(k, parallelism), index) << k << " restored at the wrong instance";
      };
      for (int i = 0; i < 500; ++i) {
        const std::string k = "key" + std::to_string(i);
        in.backend.SetCurrentKey(k);
        if (const int64_t* c = in.count.Get()) {
          check_owner(k);
          got.counts[k] = *c;
        }
        if (!in.map.Empty()) {
          check_owner(k);
          got.maps[k] = in.map.Entries();
        }
        if (!in.list.Empty()) {
          check_owner(k);
          got.lists[k] = in.list.Get();
        }
      }
      while (auto t = in.backend.PopTimer(kMaxTimestamp)) {
        check_owner(t->second);
        got.timers[t->second].push_back(t->first);
      }
    }
    EXPECT_EQ(got.counts, e.counts) << "parallelism " << parallelism;
    EXPECT_EQ(got.maps, e.maps) << "parallelism " << parallelism;
    EXPECT_EQ(got.lists, e.lists) << "parallelism " << parallelism;
    EXPECT_EQ(got.timers, e.timers) << "parallelism " << parallelism;
  }
}

RestoreContext WholeRange(const std::vector<StateEntry>* entries) {
  RestoreContext ctx;
  ctx.entries = entries;
  ctx.old_parallelism = 1;
  return ctx;
}

TEST(KeyedStateTest, RestoreRefusesMalformedEntriesAndUndeclaredStates) {
  Backend b;
  auto v = b.Value<int64_t>("v");
  b.SetCurrentKey("k");
  v.Update(5);
  SnapshotWriter w;
  b.Snapshot(w);
  ASSERT_EQ(w.entries().size(), 1u);
  const StateEntry good = w.entries()[0];

  {  // a state the restoring operator does not declare
    Backend other;
    (void)other.Value<int64_t>("w");
    std::vector<StateEntry> entries{good};
    EXPECT_THROW(other.Restore(WholeRange(&entries)), std::runtime_error);
  }
  for (size_t cut = 1; cut < good.bytes.size(); ++cut) {  // every truncation
    Backend again;
    (void)again.Value<int64_t>("v");
    std::vector<StateEntry> entries{StateEntry{good.group, good.bytes.substr(0, cut)}};
    EXPECT_THROW(again.Restore(WholeRange(&entries)), std::runtime_error) << "cut at " << cut;
  }
  {  // an unknown section kind
    Backend again;
    (void)again.Value<int64_t>("v");
    std::vector<StateEntry> entries{StateEntry{good.group, std::string("\x07", 1)}};
    EXPECT_THROW(again.Restore(WholeRange(&entries)), std::runtime_error);
  }
  {  // and the good one restores
    Backend again;
    auto v2 = again.Value<int64_t>("v");
    std::vector<StateEntry> entries{good};
    again.Restore(WholeRange(&entries));
    again.SetCurrentKey("k");
    EXPECT_EQ(v2.GetOr(0), 5);
  }
}

struct NoCodec {
  int n = 0;
};

TEST(KeyedStateTest, AStateWithoutACodecCannotBeCheckpointed) {
  Backend b;
  (void)b.Value<int64_t>("fine");
  EXPECT_TRUE(b.CanCheckpoint());
  auto opaque = b.Value<NoCodec>("opaque");
  EXPECT_FALSE(b.CanCheckpoint());
  EXPECT_NE(b.NoCodec().find("'opaque'"), std::string::npos) << b.NoCodec();
  b.SetCurrentKey("k");
  opaque.Update(NoCodec{1});
  EXPECT_EQ(opaque.Get()->n, 1);  // usable without checkpoints
  SnapshotWriter w;
  EXPECT_THROW(b.Snapshot(w), std::runtime_error);
}

}  // namespace
}  // namespace rivulet::engine
