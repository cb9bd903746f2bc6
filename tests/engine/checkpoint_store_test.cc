// The checkpoint store (engine/checkpoint_store.h): round trips, listing
// and retention, and every way a checkpoint's bytes go bad — a torn or
// corrupt newest checkpoint is skipped for the one before, and left alone.
#include "engine/checkpoint_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>

#include "base/file.h"
#include "base/crc32c.h"
#include "log/varint.h"
#include "proto/rivulet_checkpoint.pb.h"
#include "tests/test_util.h"

namespace rivulet::engine {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

constexpr uint64_t kFingerprint = 0x1234abcd5678ef90ULL;

std::string Bytes(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i * 7);
  return s;
}

// Two chains at parallelism 2 and 1: a source (node 0, split entries), a
// keyed operator chained to it (node 1, key groups, an empty and a big
// entry), a stateless one (node 2, no entries) and a sink (node 3).
std::vector<TaskSnapshot> SampleTasks(int seed = 0) {
  std::vector<TaskSnapshot> tasks;
  for (int i = 0; i < 2; ++i) {
    TaskSnapshot t{0, i, {}};
    t.operators.push_back(OperatorSnapshot{0, i, {{static_cast<uint32_t>(i), "offset-" + std::to_string(seed + i)}}});
    OperatorSnapshot keyed{1, i, {}};
    for (int g : {KeyGroupsOf(i, 2).first, KeyGroupsOf(i, 2).last}) {
      keyed.entries.push_back(StateEntry{static_cast<uint32_t>(g), "counts-" + std::to_string(g + seed)});
    }
    keyed.entries.push_back(StateEntry{kNoGroup, ""});
    if (i == 1) keyed.entries.push_back(StateEntry{7, Bytes(3 << 20, static_cast<char>(seed))});  // > the write buffer
    t.operators.push_back(std::move(keyed));
    t.operators.push_back(OperatorSnapshot{2, i, {}});
    tasks.push_back(std::move(t));
  }
  tasks.push_back(TaskSnapshot{1, 0, {OperatorSnapshot{3, 0, {{kNoGroup, "sink-txn-" + std::to_string(seed)}}}}});
  return tasks;
}

CheckpointInfo Info(int64_t id, uint64_t fingerprint = kFingerprint) {
  CheckpointInfo info;
  info.id = id;
  info.graph_fingerprint = fingerprint;
  info.time_ms = 1'700'000'000'000 + id * 1000;
  info.duration_ms = 40 + id;
  info.alignment_ms = 3;
  info.final = false;
  info.parallelism = {{0, 2}, {1, 2}, {2, 2}, {3, 1}};
  return info;
}

// The entries of `node` across the instances of `tasks`, in instance order.
std::vector<StateEntry> EntriesOf(const std::vector<TaskSnapshot>& tasks, int node) {
  std::vector<std::pair<int, const OperatorSnapshot*>> ops;
  for (const auto& t : tasks) {
    for (const auto& op : t.operators) {
      if (op.node == node) ops.emplace_back(op.instance, &op);
    }
  }
  std::sort(ops.begin(), ops.end());
  std::vector<StateEntry> out;
  for (const auto& [i, op] : ops) out.insert(out.end(), op->entries.begin(), op->entries.end());
  return out;
}

void ExpectSameEntries(const std::vector<StateEntry>& got, const std::vector<StateEntry>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].group, want[i].group) << i;
    EXPECT_TRUE(got[i].bytes == want[i].bytes) << i << ": " << got[i].bytes.size() << " bytes, want "
                                               << want[i].bytes.size();
  }
}

std::unique_ptr<CheckpointStore> OpenStore(const TempDir& dir, int retain = 3) {
  auto store = CheckpointStore::Open(dir.path(), "job", retain);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return std::move(store).value();
}

// Writes checkpoint `id` of SampleTasks(id); returns its info.
CheckpointInfo WriteSample(CheckpointStore& store, int64_t id, uint64_t fingerprint = kFingerprint) {
  CheckpointInfo info = Info(id, fingerprint);
  Status st = store.Write(info, SampleTasks(static_cast<int>(id)));
  EXPECT_TRUE(st.ok()) << st.ToString();
  return info;
}

std::vector<int64_t> ListedIds(const CheckpointStore& store) {
  auto list = store.List();
  EXPECT_TRUE(list.ok()) << list.status().ToString();
  std::vector<int64_t> ids;
  if (list.ok()) {
    for (const auto& c : *list) ids.push_back(c.id);
  }
  return ids;
}

std::vector<std::string> DirNames(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string ReadAll(const std::string& path) {
  auto r = ReadFileToString(path);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : "";
}

void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

// Overwrites bytes [at, at+4) of `b` with big-endian `v`.
void SetU32(std::string& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.at(at + i) = static_cast<char>(v >> (24 - 8 * i));
}

// Replaces a task file with `bytes`, giving them a valid CRC trailer and
// updating the manifest to match: only the structure inside is wrong.
void ReplaceTaskFileConsistently(const std::string& chk, const std::string& name, std::string body) {
  char crc[4];
  log::PutBigEndian32(crc, Crc32c(body.data(), body.size()));
  body.append(crc, 4);
  WriteAll(chk + "/" + name, body);
  std::string manifest = ReadAll(chk + "/_manifest");
  proto::CheckpointManifest m;
  ASSERT_TRUE(m.ParseFromArray(manifest.data(), static_cast<int>(manifest.size() - 4)));
  for (auto& f : *m.mutable_files()) {
    if (f.name() == name) {
      f.set_size(body.size());
      f.set_crc32c(Crc32c(body.data(), body.size() - 4));
    }
  }
  manifest = m.SerializeAsString();
  log::PutBigEndian32(crc, Crc32c(manifest.data(), manifest.size()));
  manifest.append(crc, 4);
  WriteAll(chk + "/_manifest", manifest);
}

TEST(CheckpointStoreTest, WriteAndLoadRoundTrip) {
  TempDir dir;
  auto store = OpenStore(dir);
  EXPECT_EQ(store->dir(), dir.path() + "/checkpoints/job");
  const auto tasks = SampleTasks(5);
  CheckpointInfo info = Info(1);
  info.final = true;
  ASSERT_TRUE(store->Write(info, tasks).ok());
  EXPECT_EQ(info.job, "job");
  EXPECT_EQ(info.path, store->dir() + "/chk-00000000000000000001");
  EXPECT_EQ(DirNames(info.path),
            (std::vector<std::string>{"_manifest", "task-0-0.state", "task-0-1.state", "task-1-0.state"}));
  int64_t on_disk = 0;
  for (const auto& name : {"task-0-0.state", "task-0-1.state", "task-1-0.state"}) {
    on_disk += static_cast<int64_t>(fs::file_size(info.path + "/" + name));
  }
  EXPECT_EQ(info.bytes, on_disk);
  EXPECT_GT(info.bytes, 3 << 20);

  auto check = [&](const LoadedCheckpoint& c) {
    EXPECT_EQ(c.info.id, 1);
    EXPECT_EQ(c.info.job, "job");
    EXPECT_EQ(c.info.graph_fingerprint, kFingerprint);
    EXPECT_EQ(c.info.time_ms, info.time_ms);
    EXPECT_EQ(c.info.duration_ms, info.duration_ms);
    EXPECT_EQ(c.info.alignment_ms, 3);
    EXPECT_TRUE(c.info.final);
    EXPECT_EQ(c.info.bytes, info.bytes);
    EXPECT_EQ(c.info.parallelism, info.parallelism);
    EXPECT_EQ(c.info.path, info.path);
    ASSERT_EQ(c.state.size(), 4u);
    for (int node = 0; node < 4; ++node) {
      SCOPED_TRACE(node);
      ASSERT_EQ(c.state.count(node), 1u);
      ExpectSameEntries(c.state.at(node), EntriesOf(tasks, node));
    }
    EXPECT_TRUE(c.state.at(2).empty());
  };
  auto latest = store->LoadLatest(kFingerprint);
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  ASSERT_TRUE(latest->has_value());
  check(**latest);
  auto loaded = CheckpointStore::Load(info.path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  check(*loaded);

  // Reopening the store (a restart) finds it too.
  store = OpenStore(dir);
  EXPECT_EQ(ListedIds(*store), std::vector<int64_t>{1});
}

TEST(CheckpointStoreTest, NoTasksAndNoCheckpoints) {
  TempDir dir;
  auto store = OpenStore(dir);
  auto none = store->LoadLatest(kFingerprint);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->has_value());
  EXPECT_TRUE(ListedIds(*store).empty());
  CheckpointInfo info = Info(1);
  ASSERT_TRUE(store->Write(info, {}).ok());
  EXPECT_EQ(info.bytes, 0);
  auto loaded = store->LoadLatest(kFingerprint);
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_TRUE((*loaded)->state.empty());
}

TEST(CheckpointStoreTest, ListIsNewestFirstAndRetainKeepsTheNewest) {
  TempDir dir;
  auto store = OpenStore(dir, /*retain=*/3);
  for (int64_t id = 1; id <= 5; ++id) WriteSample(*store, id);
  EXPECT_EQ(ListedIds(*store), (std::vector<int64_t>{5, 4, 3}));
  EXPECT_EQ(DirNames(store->dir()), (std::vector<std::string>{"chk-00000000000000000003", "chk-00000000000000000004",
                                                              "chk-00000000000000000005"}));
  auto list = store->List();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ((*list)[0].time_ms, Info(5).time_ms);
  EXPECT_EQ((*list)[0].path, store->dir() + "/chk-00000000000000000005");
  auto latest = store->LoadLatest(kFingerprint);
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->info.id, 5);
  ExpectSameEntries((*latest)->state.at(0), EntriesOf(SampleTasks(5), 0));

  auto one = OpenStore(dir, /*retain=*/1);
  WriteSample(*one, 6);
  EXPECT_EQ(ListedIds(*one), std::vector<int64_t>{6});
}

TEST(CheckpointStoreTest, NextIdIsOnePastTheNewestDirectory) {
  TempDir dir;
  auto store = OpenStore(dir);
  EXPECT_EQ(*store->NextId(), 1);
  WriteSample(*store, 1);
  WriteSample(*store, 2);
  EXPECT_EQ(*store->NextId(), 3);
  // An incomplete directory counts: its id is not given out again.
  fs::create_directory(store->dir() + "/chk-00000000000000000007");
  EXPECT_EQ(*store->NextId(), 8);
  // Other names do not.
  fs::create_directory(store->dir() + "/chk-9x");
  fs::create_directory(store->dir() + "/other");
  WriteAll(store->dir() + "/chk-00000000000000000050", "a file, not a checkpoint");
  EXPECT_EQ(*store->NextId(), 8);
}

TEST(CheckpointStoreTest, NextIdIsAnErrorWhenTheDirectoryCannotBeListed) {
  TempDir dir;
  auto store = OpenStore(dir);
  WriteSample(*store, 4);
  // The directory replaced by a file: listing it fails (as root too, unlike
  // a mode that denies reading).
  fs::remove_all(store->dir());
  WriteAll(store->dir(), "not a directory");
  auto next = store->NextId();
  ASSERT_FALSE(next.ok()) << *next;
  EXPECT_NE(next.status().message().find(store->dir()), std::string::npos) << next.status().message();
}

// A disk that fills while a checkpoint is written (simulated with a file
// size limit: writes past it fail with EFBIG, as ENOSPC would): the write
// fails with kNoSpace naming the file, the attempt's directory is removed,
// the checkpoint before is still the newest, and once there is room the
// next checkpoint is written whole.
TEST(CheckpointStoreTest, AWriteThatRunsOutOfSpaceFailsAndKeepsTheCheckpointBefore) {
  TempDir dir;
  auto store = OpenStore(dir);
  WriteSample(*store, 1);
  rlimit before{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &before), 0);
  auto old_handler = ::signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of dying
  rlimit small = before;
  small.rlim_cur = 1 << 20;  // below the sample's 3 MiB entry
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  CheckpointInfo info = Info(2);
  Status st = store->Write(info, SampleTasks(2));
  setrlimit(RLIMIT_FSIZE, &before);
  ::signal(SIGXFSZ, old_handler);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Errc::kNoSpace) << st.ToString();
  EXPECT_NE(st.message().find(store->dir()), std::string::npos) << st.message();
  EXPECT_EQ(ListedIds(*store), std::vector<int64_t>{1});
  auto latest = store->LoadLatest(kFingerprint);
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->info.id, 1);
  // The attempt's files are gone (freeing what they took); a failed
  // checkpoint completed nowhere, so its id may be taken again.
  EXPECT_FALSE(fs::exists(store->dir() + "/chk-00000000000000000002"));
  EXPECT_EQ(*store->NextId(), 2);
  WriteSample(*store, 2);
  EXPECT_EQ(ListedIds(*store), (std::vector<int64_t>{2, 1}));
  auto after = store->LoadLatest(kFingerprint);
  ASSERT_TRUE(after.ok() && after->has_value());
  ExpectSameEntries((*after)->state.at(1), EntriesOf(SampleTasks(2), 1));
}

TEST(CheckpointStoreTest, IncompleteCheckpointIsInvisibleAndRemovedByTheNextWrite) {
  TempDir dir;
  auto store = OpenStore(dir);
  WriteSample(*store, 1);
  CheckpointInfo info = Info(2);
  ASSERT_TRUE(store->Write(info, SampleTasks(2)).ok());
  // Make 2 look like a write cut short before its manifest.
  fs::remove(info.path + "/_manifest");
  EXPECT_EQ(ListedIds(*store), std::vector<int64_t>{1});
  auto latest = store->LoadLatest(kFingerprint);
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->info.id, 1);
  auto direct = CheckpointStore::Load(info.path);
  ASSERT_FALSE(direct.ok());
  EXPECT_EQ(direct.status().code(), Errc::kNotFound);
  EXPECT_NE(direct.status().message().find(info.path), std::string::npos) << direct.status().message();
  ASSERT_TRUE(fs::exists(info.path));  // reading deletes nothing

  EXPECT_EQ(*store->NextId(), 3);
  WriteSample(*store, 3);
  EXPECT_FALSE(fs::exists(info.path));
  EXPECT_EQ(ListedIds(*store), (std::vector<int64_t>{3, 1}));
}

TEST(CheckpointStoreTest, WriteReplacesAnIncompleteAttemptAtTheSameIdAndRefusesACompleteOne) {
  TempDir dir;
  auto store = OpenStore(dir);
  const std::string path = store->dir() + "/chk-00000000000000000001";
  fs::create_directory(path);
  WriteAll(path + "/task-9-9.state", "left over");
  WriteSample(*store, 1);
  EXPECT_FALSE(fs::exists(path + "/task-9-9.state"));
  EXPECT_EQ(ListedIds(*store), std::vector<int64_t>{1});

  CheckpointInfo again = Info(1);
  Status st = store->Write(again, SampleTasks());
  EXPECT_EQ(st.code(), Errc::kAlreadyExists) << st.ToString();
  auto loaded = CheckpointStore::Load(path);
  ASSERT_TRUE(loaded.ok());
  ExpectSameEntries(loaded->state.at(0), EntriesOf(SampleTasks(1), 0));  // the first write's
}

TEST(CheckpointStoreTest, BadArgumentsAreRefused) {
  TempDir dir;
  for (const std::string job : {"", ".", "..", "a/b"}) {
    auto s = CheckpointStore::Open(dir.path(), job);
    EXPECT_EQ(s.status().code(), Errc::kInvalidArgument) << "job '" << job << "'";
  }
  EXPECT_EQ(CheckpointStore::Open(dir.path(), "job", 0).status().code(), Errc::kInvalidArgument);
  auto store = OpenStore(dir);
  CheckpointInfo zero = Info(0);
  EXPECT_EQ(store->Write(zero, {}).code(), Errc::kInvalidArgument);
  CheckpointInfo other = Info(1);
  other.job = "another-job";
  EXPECT_EQ(store->Write(other, {}).code(), Errc::kInvalidArgument);
  auto twice = SampleTasks();
  twice.push_back(twice.back());
  CheckpointInfo info = Info(1);
  EXPECT_EQ(store->Write(info, twice).code(), Errc::kInvalidArgument);
  twice.back().chain = 5;  // another task, the same operator instance
  EXPECT_EQ(store->Write(info, twice).code(), Errc::kInvalidArgument);
  EXPECT_TRUE(ListedIds(*store).empty());
}

// Damage done to the newest checkpoint's task-0-1.state (the one with the
// big entry) and what Load must say about it.
struct Damage {
  std::string name;
  std::function<void(const std::string& file)> apply;
  std::string message;  // part of Load's error
};

std::vector<Damage> Damages() {
  std::vector<Damage> out;
  for (uint64_t keep : {0, 3, 19, 23, 24, 1000, (3 << 20) - 1}) {
    out.push_back({"truncated to " + std::to_string(keep), [keep](const std::string& f) { fs::resize_file(f, keep); },
                   "truncated"});
  }
  out.push_back({"last byte cut", [](const std::string& f) { fs::resize_file(f, fs::file_size(f) - 1); },
                 "truncated"});
  auto flip = [](uint64_t at_from_start, bool from_end) {
    return [=](const std::string& f) {
      std::string b = ReadAll(f);
      b[from_end ? b.size() - 1 - at_from_start : at_from_start] ^= 0x40;
      WriteAll(f, b);
    };
  };
  out.push_back({"byte flipped in an entry", flip(1 << 20, false), "bad CRC-32C"});
  out.push_back({"byte flipped in the CRC", flip(0, true), "bad CRC-32C"});
  out.push_back({"byte flipped in the magic", flip(0, false), "bad magic"});
  out.push_back({"byte flipped in the version", flip(6, false), "unknown format version"});
  out.push_back({"byte flipped in the operator count", flip(17, false), "bad CRC-32C"});
  out.push_back({"bytes appended", [](const std::string& f) { WriteAll(f, ReadAll(f) + "xyz"); }, "trailing bytes"});
  out.push_back({"deleted", [](const std::string& f) { fs::remove(f); }, "missing"});
  return out;
}

TEST(CheckpointStoreTest, TornOrCorruptNewestFallsBackToThePreviousAndIsKept) {
  for (const auto& damage : Damages()) {
    SCOPED_TRACE(damage.name);
    TempDir dir;
    auto store = OpenStore(dir);
    WriteSample(*store, 1);
    const CheckpointInfo newest = WriteSample(*store, 2);
    const std::string file = newest.path + "/task-0-1.state";
    damage.apply(file);

    auto latest = store->LoadLatest(kFingerprint);
    ASSERT_TRUE(latest.ok()) << latest.status().ToString();
    ASSERT_TRUE(latest->has_value());
    EXPECT_EQ((*latest)->info.id, 1);
    ExpectSameEntries((*latest)->state.at(1), EntriesOf(SampleTasks(1), 1));

    auto direct = CheckpointStore::Load(newest.path);
    ASSERT_FALSE(direct.ok());
    EXPECT_EQ(direct.status().code(), Errc::kCorruption);
    EXPECT_NE(direct.status().message().find(file), std::string::npos) << direct.status().message();
    EXPECT_NE(direct.status().message().find(damage.message), std::string::npos) << direct.status().message();
    // Still listed (its manifest is fine) and still on disk, as damaged.
    EXPECT_EQ(ListedIds(*store), (std::vector<int64_t>{2, 1}));
    EXPECT_EQ(fs::exists(file), damage.name != "deleted");
  }
}

TEST(CheckpointStoreTest, AllCheckpointsCorruptLoadsNothing) {
  TempDir dir;
  auto store = OpenStore(dir);
  const auto a = WriteSample(*store, 1);
  const auto b = WriteSample(*store, 2);
  fs::remove(a.path + "/task-1-0.state");
  fs::resize_file(b.path + "/task-0-0.state", 10);
  auto latest = store->LoadLatest(kFingerprint);
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_FALSE(latest->has_value());
  EXPECT_TRUE(fs::exists(a.path) && fs::exists(b.path));
}

TEST(CheckpointStoreTest, BadStructureUnderAGoodChecksumNamesWhatIsWrong) {
  struct Case {
    std::string name;
    std::function<std::string(std::string body)> edit;  // of the file without its CRC
    std::string message;
  };
  const std::vector<Case> cases = {
      {"trailing bytes", [](std::string b) { return b + "extra"; }, "5 trailing bytes"},
      {"too many operators",
       [](std::string b) {
         SetU32(b, 16, 4);
         return b;
       },
       "operator section 3 of 4 runs past the end"},
      {"an entry longer than the file",
       [](std::string b) {
         // The first entry of node 0: header 20, section 12, group 4, length.
         SetU32(b, 36, 1000);
         return b;
       },
       "runs past the end"},
      {"an entry count the file cannot hold",
       [](std::string b) {
         SetU32(b, 28, 0xffffffffu);
         return b;
       },
       "more than the file holds"},
      {"another task's file",
       [](std::string b) {
         SetU32(b, 12, 1);
         return b;
       },
       "holds task 0/1"},
      {"header only", [](std::string b) { return b.substr(0, 20); }, "operator section 0 of 3 runs past the end"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    auto store = OpenStore(dir);
    const CheckpointInfo info = WriteSample(*store, 1);
    const std::string file = info.path + "/task-0-0.state";
    const std::string bytes = ReadAll(file);
    ReplaceTaskFileConsistently(info.path, "task-0-0.state", c.edit(bytes.substr(0, bytes.size() - 4)));
    auto loaded = CheckpointStore::Load(info.path);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.status().code(), Errc::kCorruption);
    EXPECT_NE(loaded.status().message().find(file), std::string::npos) << loaded.status().message();
    EXPECT_NE(loaded.status().message().find(c.message), std::string::npos) << loaded.status().message();
    auto latest = store->LoadLatest(kFingerprint);
    ASSERT_TRUE(latest.ok()) << latest.status().ToString();
    EXPECT_FALSE(latest->has_value());
  }
}

TEST(CheckpointStoreTest, FileOfAnotherCheckpointIsCaughtByTheManifestCrc) {
  TempDir dir;
  auto store = OpenStore(dir);
  const auto a = WriteSample(*store, 1);
  const auto b = WriteSample(*store, 2);
  // Same structure, same size (the sample differs only in digits), other content.
  fs::copy_file(a.path + "/task-1-0.state", b.path + "/task-1-0.state", fs::copy_options::overwrite_existing);
  auto loaded = CheckpointStore::Load(b.path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("differs from the manifest's"), std::string::npos)
      << loaded.status().message();
  auto latest = store->LoadLatest(kFingerprint);
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->info.id, 1);
}

TEST(CheckpointStoreTest, CorruptManifestIsSkipped) {
  const std::vector<std::pair<std::string, std::function<void(const std::string&)>>> damages = {
      {"truncated", [](const std::string& f) { fs::resize_file(f, fs::file_size(f) / 2); }},
      {"empty", [](const std::string& f) { fs::resize_file(f, 0); }},
      {"byte flipped",
       [](const std::string& f) {
         std::string b = ReadAll(f);
         b[b.size() / 2] ^= 1;
         WriteAll(f, b);
       }},
      {"garbage", [](const std::string& f) { WriteAll(f, "not a manifest at all"); }},
  };
  for (const auto& [name, damage] : damages) {
    SCOPED_TRACE(name);
    TempDir dir;
    auto store = OpenStore(dir);
    WriteSample(*store, 1);
    const auto newest = WriteSample(*store, 2);
    damage(newest.path + "/_manifest");
    EXPECT_EQ(ListedIds(*store), std::vector<int64_t>{1});
    auto latest = store->LoadLatest(kFingerprint);
    ASSERT_TRUE(latest.ok() && latest->has_value());
    EXPECT_EQ((*latest)->info.id, 1);
    auto direct = CheckpointStore::Load(newest.path);
    ASSERT_FALSE(direct.ok());
    EXPECT_EQ(direct.status().code(), Errc::kCorruption);
    EXPECT_NE(direct.status().message().find(newest.path + "/_manifest"), std::string::npos);
    EXPECT_TRUE(fs::exists(newest.path + "/_manifest"));
    EXPECT_EQ(*store->NextId(), 3);
  }
}

TEST(CheckpointStoreTest, ManifestOfAnotherIdIsSkipped) {
  TempDir dir;
  auto store = OpenStore(dir);
  const auto a = WriteSample(*store, 1);
  // A copy of checkpoint 1 under the name of 9 is not checkpoint 9.
  const std::string copy = store->dir() + "/chk-00000000000000000009";
  fs::copy(a.path, copy);
  EXPECT_EQ(ListedIds(*store), std::vector<int64_t>{1});
  auto latest = store->LoadLatest(kFingerprint);
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->info.id, 1);
}

TEST(CheckpointStoreTest, CheckpointOfAnotherGraphIsAnErrorNamingIt) {
  TempDir dir;
  auto store = OpenStore(dir);
  WriteSample(*store, 1, /*fingerprint=*/0xaaaa);
  const auto newest = WriteSample(*store, 2, /*fingerprint=*/0xbbbb);
  // Even with an older checkpoint of this graph, the newest is not skipped.
  auto latest = store->LoadLatest(0xaaaa);
  ASSERT_FALSE(latest.ok());
  EXPECT_EQ(latest.status().code(), Errc::kInvalidArgument);
  const std::string msg = latest.status().message();
  EXPECT_NE(msg.find("checkpoint " + newest.path + " is of another job graph"), std::string::npos) << msg;
  EXPECT_NE(msg.find("000000000000bbbb"), std::string::npos) << msg;
  EXPECT_NE(msg.find("000000000000aaaa"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--fresh"), std::string::npos) << msg;
  EXPECT_NE(msg.find("remove " + store->dir()), std::string::npos) << msg;
  auto right = store->LoadLatest(0xbbbb);
  ASSERT_TRUE(right.ok() && right->has_value());
  EXPECT_EQ((*right)->info.id, 2);
}

}  // namespace
}  // namespace rivulet::engine
