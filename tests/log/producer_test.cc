// The embedded producer: offsets and metadata in callbacks, Kafka's key
// partitioning, sticky partitions for null keys, linger, flush, futures,
// headers and timestamps, compression, bad input, and concurrent senders.
#include "log/producer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <set>
#include <mutex>
#include <thread>

#include "log/compression.h"
#include "log/log_manager.h"
#include "log/murmur2.h"
#include "tests/test_util.h"

namespace rivulet::log {
namespace {

using testing::TempDir;

struct Fixture {
  TempDir dir;
  std::unique_ptr<LogManager> lm;
  explicit Fixture(LogOptions o = {}) { lm = std::move(LogManager::Open(dir.path(), o)).value(); }
};

TEST(ProducerTest, CallbacksCarryOffsetsAndKeysPickPartitionsLikeKafka) {
  Fixture f;
  ASSERT_TRUE(f.lm->CreateTopic("t", 4).ok());
  Producer p(f.lm.get());
  std::mutex mu;
  std::map<int32_t, std::vector<int64_t>> offsets;
  std::map<std::string, int32_t> where;
  for (int i = 0; i < 400; ++i) {
    const std::string key = "key-" + std::to_string(i % 40);
    ASSERT_TRUE(p.Send("t", key, "v", [&, key](const RecordMetadata& md, const Status& st) {
                   ASSERT_TRUE(st.ok());
                   std::lock_guard<std::mutex> lock(mu);
                   offsets[md.tp.partition].push_back(md.offset);
                   auto [it, fresh] = where.emplace(key, md.tp.partition);
                   EXPECT_EQ(it->second, md.tp.partition);
                 }).ok());
  }
  ASSERT_TRUE(p.Flush().ok());
  size_t total = 0;
  for (auto& [part, offs] : offsets) {
    for (size_t i = 0; i < offs.size(); ++i) EXPECT_EQ(offs[i], static_cast<int64_t>(i));
    total += offs.size();
  }
  EXPECT_EQ(total, 400u);
  for (const auto& [key, part] : where) EXPECT_EQ(part, PartitionForKey(key, 4)) << key;
}

TEST(ProducerTest, NullKeysStickThenSpread) {
  Fixture f;
  ASSERT_TRUE(f.lm->CreateTopic("t", 4).ok());
  ProducerConfig cfg;
  cfg.batch_size = 1024;
  Producer p(f.lm.get(), cfg);
  std::mutex mu;
  std::vector<int32_t> parts;
  for (int i = 0; i < 2000; ++i) {
    ASSERT_TRUE(p.Send("t", std::nullopt, std::string(50, 'x'), [&](const RecordMetadata& md, const Status&) {
                   std::lock_guard<std::mutex> lock(mu);
                   parts.push_back(md.tp.partition);
                 }).ok());
  }
  ASSERT_TRUE(p.Flush().ok());
  ASSERT_EQ(parts.size(), 2000u);
  std::set<int32_t> used(parts.begin(), parts.end());
  EXPECT_GT(used.size(), 1u) << "sticky partitioning never moved on";
  // Runs: consecutive records mostly share a partition.
  int switches = 0;
  for (size_t i = 1; i < parts.size(); ++i) switches += parts[i] != parts[i - 1];
  EXPECT_LT(switches, 200);
}

TEST(ProducerTest, LingerDeliversWithoutFlush) {
  Fixture f;
  ASSERT_TRUE(f.lm->CreateTopic("t", 1).ok());
  ProducerConfig cfg;
  cfg.linger_ms = 20;
  Producer p(f.lm.get(), cfg);
  std::promise<int64_t> done;
  ASSERT_TRUE(p.Send("t", std::nullopt, "once", [&](const RecordMetadata& md, const Status&) {
                 done.set_value(md.offset);
               }).ok());
  auto fut = done.get_future();
  ASSERT_EQ(fut.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(fut.get(), 0);
}

TEST(ProducerTest, FutureHeadersAndTimestamps) {
  Fixture f;
  ASSERT_TRUE(f.lm->CreateTopic("t", 1).ok());
  Producer p(f.lm.get());
  std::vector<Header> hs = {{"trace", std::string("abc")}};
  ASSERT_TRUE(p.Send("t", std::string_view("k"), std::string_view("v"), nullptr, 0, 12345, hs).ok());
  auto fut = p.SendWithFuture("t", std::nullopt, "second");
  ASSERT_TRUE(p.Flush().ok());
  auto md = fut.get();
  ASSERT_TRUE(md.ok());
  EXPECT_EQ(md->offset, 1);
  auto r = f.lm->Read({"t", 0}, 0, 1 << 20);
  ASSERT_TRUE(r.ok());
  auto h = ValidateBatch(std::span<const char>(r->bytes.data(), r->bytes.size()));
  ASSERT_TRUE(h.ok());
  auto reader = RecordReader::ForBatch(*h, std::span<const char>(r->bytes.data(), r->bytes.size()));
  RecordView rec;
  ASSERT_TRUE(reader.Next(&rec));
  EXPECT_EQ(rec.timestamp, 12345);
  auto headers = DecodeHeaders(rec);
  ASSERT_TRUE(headers.ok());
  ASSERT_EQ(headers->size(), 1u);
  EXPECT_EQ((*headers)[0].value, "abc");
}

// compression.type: every batch stored with the codec, its records (and
// their headers and timestamps) read back by the consumer's decoder.
TEST(ProducerTest, CompressionCompressesEveryBatch) {
  for (Compression codec : {Compression::kGzip, Compression::kSnappy, Compression::kLz4, Compression::kZstd}) {
    SCOPED_TRACE(std::string(CompressionName(codec)));
    Fixture f;
    ASSERT_TRUE(f.lm->CreateTopic("t", 1).ok());
    ProducerConfig cfg;
    cfg.compression = codec;
    cfg.batch_size = 4096;  // several batches
    Producer p(f.lm.get(), cfg);
    std::vector<Header> hs = {{"h", std::string("v")}, {"n", std::nullopt}};
    for (int i = 0; i < 300; ++i) {
      ASSERT_TRUE(p.Send("t", std::nullopt, "value " + std::to_string(i) + std::string(40, 'x'), nullptr, 0,
                         1000 + i, hs)
                      .ok());
    }
    ASSERT_TRUE(p.Flush().ok());
    auto r = f.lm->Read({"t", 0}, 0, 1 << 20);
    ASSERT_TRUE(r.ok());
    std::span<const char> rest(r->bytes.data(), r->bytes.size());
    int batches = 0, i = 0;
    while (!rest.empty()) {
      auto h = ValidateBatch(rest);
      ASSERT_TRUE(h.ok()) << h.status().ToString();
      EXPECT_EQ(h->compression(), codec);
      auto inflated = DecompressRecords(codec, std::string_view(rest.data() + kBatchHeaderSize,
                                                                 h->total_size() - kBatchHeaderSize));
      ASSERT_TRUE(inflated.ok()) << inflated.status().ToString();
      RecordReader reader(*h, *inflated);
      RecordView rec;
      while (reader.Next(&rec)) {
        EXPECT_EQ(rec.value, "value " + std::to_string(i) + std::string(40, 'x'));
        EXPECT_EQ(rec.timestamp, 1000 + i);
        auto decoded = DecodeHeaders(rec);
        ASSERT_TRUE(decoded.ok());
        ASSERT_EQ(decoded->size(), 2u);
        EXPECT_EQ((*decoded)[0].value, "v");
        EXPECT_FALSE((*decoded)[1].value.has_value());
        ++i;
      }
      ++batches;
      rest = rest.subspan(h->total_size());
    }
    EXPECT_EQ(i, 300);
    EXPECT_GT(batches, 1);
  }
}

TEST(ProducerTest, BadInputFailsAtOnce) {
  LogOptions o;
  o.auto_create_topics = false;
  Fixture f(o);
  ASSERT_TRUE(f.lm->CreateTopic("t", 2).ok());
  Producer p(f.lm.get());
  EXPECT_EQ(p.Send("t", std::nullopt, "v", nullptr, 2).code(), Errc::kInvalidArgument);
  EXPECT_EQ(p.Send("missing", std::nullopt, "v").code(), Errc::kNotFound);
  p.Close();
  EXPECT_EQ(p.Send("t", std::nullopt, "v").code(), Errc::kClosed);
}

TEST(ProducerTest, AutoCreateUsesDefaultPartitions) {
  LogOptions o;
  o.default_partitions = 3;
  Fixture f(o);
  Producer p(f.lm.get());
  ASSERT_TRUE(p.Send("fresh", std::nullopt, "v").ok());
  ASSERT_TRUE(p.Flush().ok());
  EXPECT_EQ(*f.lm->PartitionCount("fresh"), 3);
}

TEST(ProducerTest, ConcurrentSendersLoseNothingAndKeepOrder) {
  Fixture f;
  ASSERT_TRUE(f.lm->CreateTopic("t", 1).ok());
  Producer p(f.lm.get());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        ASSERT_TRUE(p.Send("t", std::nullopt, std::to_string(t) + ":" + std::to_string(i)).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(p.Flush().ok());
  auto recs = testing::ReadAll(*f.lm, {"t", 0});
  ASSERT_TRUE(recs.ok());
  ASSERT_EQ(recs->size(), 40000u);
  std::map<int, int> last;
  for (const auto& r : *recs) {
    const int t = std::stoi(r.value.substr(0, 1));
    const int i = std::stoi(r.value.substr(2));
    auto it = last.find(t);
    if (it != last.end()) {
      ASSERT_EQ(i, it->second + 1);
    }
    last[t] = i;
  }
}

}  // namespace
}  // namespace rivulet::log
