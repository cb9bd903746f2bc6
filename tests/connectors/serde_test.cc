// The serdes shared by the connectors: round trips, and bad input through
// each one rejected with a reason; Protobuf records through the log
// source, bad ones failing the job with that reason, skipped, or sent to
// a dead-letter topic whose header carries it, and counted in the job's
// metrics either way.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "connectors/log/log_connector.h"
#include "connectors/serde/serde.h"
#include "engine/metrics.h"
#include "rivulet_events.pb.h"
#include "log/consumer.h"
#include "log/producer.h"
#include "tests/test_util.h"

namespace rivulet::connectors {
namespace {

struct Point {
  int64_t x;
  std::string label;
  bool operator==(const Point&) const = default;
};
void from_json(const nlohmann::json& j, Point& p) {
  j.at("x").get_to(p.x);
  j.at("label").get_to(p.label);
}
void to_json(nlohmann::json& j, const Point& p) { j = {{"x", p.x}, {"label", p.label}}; }

template <typename Serde>
std::string ErrorOf(const Serde& s, std::string_view bytes) {
  auto r = s.Decode(bytes);
  EXPECT_FALSE(r.ok()) << "decoded: " << bytes;
  return r.ok() ? "" : r.status().message();
}

TEST(SerdeTest, BytesAndUtf8) {
  const std::string binary("\x00\xff\x80 a", 5);
  EXPECT_EQ(*BytesSerde().Decode(binary), binary);
  EXPECT_EQ(BytesSerde().Encode(binary), binary);
  EXPECT_EQ(*Utf8Serde().Decode("héllo ✓ 𝄞"), "héllo ✓ 𝄞");
  EXPECT_EQ(ErrorOf(Utf8Serde(), binary), "not valid UTF-8");
  for (const char* bad : {"\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\x80", "\xe2\x82"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << bad;
  }
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
}

TEST(SerdeTest, Json) {
  JsonSerde<Point> s;
  const Point p{-3, "a \"quoted\" label"};
  EXPECT_EQ(*s.Decode(s.Encode(p)), p);
  EXPECT_EQ(ErrorOf(s, "{\"x\": 1,"), "not valid JSON");
  EXPECT_NE(ErrorOf(s, "{\"x\": 1}").find("label"), std::string::npos);      // the missing field is named
  EXPECT_NE(ErrorOf(s, "{\"x\": \"one\", \"label\": \"l\"}").find("number"), std::string::npos);
  EXPECT_EQ((*JsonSerde<>().Decode("[1, 2]")).size(), 2u);
}

}  // namespace

template <>
struct CsvRow<Point> {
  static Result<Point> FromFields(const std::vector<std::string>& f) {
    if (f.size() != 2) return Status(Errc::kInvalidArgument, "expected 2 fields, got " + std::to_string(f.size()));
    RIVULET_ASSIGN_OR_RETURN(int64_t x, CsvField<int64_t>(f, 0));
    return Point{x, f[1]};
  }
  static std::vector<std::string> ToFields(const Point& p) { return {std::to_string(p.x), p.label}; }
};

namespace {

TEST(SerdeTest, Csv) {
  CsvSerde<Point> s;
  const Point p{7, "with, comma and \"quotes\""};
  EXPECT_EQ(s.Encode(p), "7,\"with, comma and \"\"quotes\"\"\"");
  EXPECT_EQ(*s.Decode(s.Encode(p)), p);
  EXPECT_EQ(*s.Decode("8,plain\r\n"), (Point{8, "plain"}));
  EXPECT_EQ(ErrorOf(s, "x,label"), "field 1: 'x' is not a number");
  EXPECT_EQ(ErrorOf(s, "1,\"open"), "unterminated quote in CSV");
  EXPECT_EQ(ErrorOf(s, "1,2,3"), "expected 2 fields, got 3");
  EXPECT_EQ(*CsvSerde<>().Decode("\"a,b\",\"say \"\"hi\"\"\",\r"), (std::vector<std::string>{"a,b", "say \"hi\"", ""}));
  EXPECT_EQ(*CsvSerde<>().Decode(""), (std::vector<std::string>{""}));
  EXPECT_EQ(ErrorOf(CsvSerde<Point>(), "1"), "expected 2 fields, got 1");
}

TEST(SerdeTest, ProtobufAndFixed) {
  ProtobufSerde<events::Transaction> s;
  events::Transaction t;
  t.set_card(42);
  t.set_amount(12.5);
  auto back = s.Decode(s.Encode(t));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->card(), 42u);
  EXPECT_EQ(back->amount(), 12.5);
  // A length-delimited field longer than the bytes; a field of wire type 7.
  EXPECT_EQ(ErrorOf(s, std::string("\x0a\x05\x61\x62", 4)), "not a valid rivulet.events.Transaction");
  EXPECT_EQ(ErrorOf(s, "\x0f"), "not a valid rivulet.events.Transaction");

  struct Pod {
    int64_t a;
    uint32_t b;
  };
  FixedSerde<Pod> f;
  auto pod = f.Decode(f.Encode(Pod{-1, 9}));
  ASSERT_TRUE(pod.ok());
  EXPECT_EQ(pod->a, -1);
  EXPECT_EQ(pod->b, 9u);
  EXPECT_EQ(ErrorOf(f, "short"), "expected 16 bytes, got 5");
}

// Protobuf transactions in a topic with two bad records among them: a
// truncated message and a null value.
class SerdeThroughLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto lm = log::LogManager::Open(dir_ / "data", {});
    ASSERT_TRUE(lm.ok());
    lm_ = std::move(lm).value();
    ASSERT_TRUE(lm_->CreateTopic("tx", 1).ok());
    log::Producer p(lm_.get());
    ProtobufSerde<events::Transaction> s;
    for (uint32_t card = 1; card <= 6; ++card) {
      events::Transaction t;
      t.set_card(card);
      t.set_amount(card * 1.5);
      std::string v = s.Encode(t);
      if (card == 3) v = std::string("\x0a\x05\x61\x62", 4);
      std::optional<std::string_view> value = std::string_view(v);
      if (card == 5) value = std::nullopt;
      ASSERT_TRUE(p.Send("tx", std::nullopt, value).ok());
    }
    ASSERT_TRUE(p.Flush().ok());
  }

  // Cards read, with the job's status and bad-record count.
  std::vector<uint32_t> Read(LogSourceOptions::OnBadRecord policy, Status* st, uint64_t* bad) {
    LogSourceOptions o;
    o.topic = "tx";
    o.on_bad_record = policy;
    o.dead_letter_topic = "tx-dlq";
    operators::JobBuilder job;
    auto out = std::make_shared<operators::Collected<events::Transaction>>();
    FromLog<events::Transaction>(job, "tx", lm_.get(), o, Decoder(ProtobufSerde<events::Transaction>()))
        .CollectInto("out", out);
    engine::JobMetrics metrics;
    operators::JobRunOptions r;
    r.parallelism = 1;
    r.runtime.metrics = &metrics;
    *st = job.Run(r);
    *bad = metrics.operators.empty() ? 0 : metrics.operators[0]->bad_records.load();
    std::vector<uint32_t> cards;
    for (const auto& t : out->values()) cards.push_back(t.card());
    return cards;
  }

  testing::TempDir dir_;
  std::unique_ptr<log::LogManager> lm_;
};

TEST_F(SerdeThroughLogTest, FailSkipAndDeadLetterWithTheReason) {
  Status st;
  uint64_t bad = 0;
  Read(LogSourceOptions::OnBadRecord::kFail, &st, &bad);
  EXPECT_EQ(st.code(), Errc::kJobFailed);
  EXPECT_NE(st.message().find("tx/0@2 could not be decoded: not a valid rivulet.events.Transaction"),
            std::string::npos)
      << st.message();
  EXPECT_EQ(bad, 1u);

  auto cards = Read(LogSourceOptions::OnBadRecord::kSkip, &st, &bad);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(cards, (std::vector<uint32_t>{1, 2, 4, 6}));
  EXPECT_EQ(bad, 2u);

  cards = Read(LogSourceOptions::OnBadRecord::kDeadLetter, &st, &bad);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(cards, (std::vector<uint32_t>{1, 2, 4, 6}));
  EXPECT_EQ(bad, 2u);
  log::ConsumerConfig cc;
  cc.group_id = "check";
  cc.auto_offset_reset = log::OffsetReset::kEarliest;
  log::Consumer c(lm_.get(), cc);
  ASSERT_TRUE(c.Assign({{"tx-dlq", 0}}).ok());
  auto polled = c.Poll(std::chrono::milliseconds(1000));
  ASSERT_TRUE(polled.ok());
  ASSERT_EQ(polled->size(), 2u);
  std::vector<std::string> errors;
  for (const auto& r : *polled) {
    auto headers = r.headers();
    ASSERT_TRUE(headers.ok());
    ASSERT_EQ((*headers)[0].key, "rivulet.error");
    errors.push_back(headers->at(0).value.value_or(""));
  }
  EXPECT_EQ(errors, (std::vector<std::string>{"could not be decoded: not a valid rivulet.events.Transaction",
                                              "could not be decoded: null value"}));
  EXPECT_FALSE((*polled)[1].value.has_value());  // the null value kept as it was
}

// FixedSerde decodes in place, into the source's batch: a record of the
// wrong size or a null value must leave no slot behind, and its neighbours
// must arrive whole.
TEST(FixedSerdeThroughLogTest, BadRecordsLeaveNoSlotAndNeighboursArriveWhole) {
  struct Reading {
    int64_t sensor;
    double value;
  };
  testing::TempDir dir;
  auto lm = std::move(log::LogManager::Open(dir.path() + "/data", {})).value();
  ASSERT_TRUE(lm->CreateTopic("r", 1).ok());
  const FixedSerde<Reading> serde;
  {
    log::Producer p(lm.get());
    for (int64_t i = 0; i < 3000; ++i) {
      std::string v = serde.Encode(Reading{i, i * 0.5});
      if (i % 1000 == 7) v.pop_back();  // 15 bytes
      if (i % 1000 == 9) v += "x";      // 17 bytes
      std::optional<std::string_view> value = std::string_view(v);
      if (i % 1000 == 8) value.reset();  // null
      ASSERT_TRUE(p.Send("r", std::nullopt, value, nullptr, -1, 1000 + i).ok());
    }
    ASSERT_TRUE(p.Flush().ok());
  }
  auto run = [&](LogSourceOptions::OnBadRecord policy, Status* st, uint64_t* bad) {
    LogSourceOptions o;
    o.topic = "r";
    o.on_bad_record = policy;
    operators::JobBuilder job;
    auto out = std::make_shared<operators::Collected<Reading>>();
    FromLog<Reading>(job, "r", lm.get(), o, Decoder(serde)).CollectInto("out", out);
    engine::JobMetrics metrics;
    operators::JobRunOptions r;
    r.parallelism = 1;
    r.runtime.metrics = &metrics;
    *st = job.Run(r);
    *bad = metrics.operators.empty() ? 0 : metrics.operators[0]->bad_records.load();
    return out->events;  // the job has ended: no other thread touches it
  };
  Status st;
  uint64_t bad = 0;
  auto events = run(LogSourceOptions::OnBadRecord::kSkip, &st, &bad);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(bad, 9u);
  ASSERT_EQ(events.size(), 3000u - 9u);
  size_t k = 0;
  for (int64_t i = 0; i < 3000; ++i) {
    if (i % 1000 == 7 || i % 1000 == 8 || i % 1000 == 9) continue;
    ASSERT_EQ(events[k].value.sensor, i);
    ASSERT_EQ(events[k].value.value, i * 0.5);
    ASSERT_EQ(events[k].ts, 1000 + i);  // the record's timestamp
    ++k;
  }
  run(LogSourceOptions::OnBadRecord::kFail, &st, &bad);
  EXPECT_EQ(st.code(), Errc::kJobFailed);
  EXPECT_NE(st.message().find("r/0@7 could not be decoded: expected 16 bytes, got 15"), std::string::npos)
      << st.message();
}

}  // namespace
}  // namespace rivulet::connectors
