// Files as a job's source and sink: JSON lines and CSV, bad lines,
// following a growing file, and writing lines.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <set>
#include <thread>

#include "connectors/file/file_connector.h"
#include "tests/test_util.h"

namespace rivulet::connectors {
namespace {

using operators::Collected;
using operators::JobBuilder;
using operators::JobRunOptions;
using testing::TempDir;

struct Trade {
  std::string symbol;
  int64_t ts;
  double price;
  bool operator==(const Trade&) const = default;
  bool operator<(const Trade& o) const { return ts < o.ts; }
};

// Trades as JSON lines and as CSV rows, through the shared serdes.
void from_json(const nlohmann::json& j, Trade& t) {
  j.at("s").get_to(t.symbol);
  j.at("t").get_to(t.ts);
  j.at("p").get_to(t.price);
}

}  // namespace

template <>
struct CsvRow<Trade> {
  static Result<Trade> FromFields(const std::vector<std::string>& f) {
    if (f.size() != 3) return Status(Errc::kInvalidArgument, "expected 3 fields, got " + std::to_string(f.size()));
    RIVULET_ASSIGN_OR_RETURN(int64_t ts, CsvField<int64_t>(f, 1));
    RIVULET_ASSIGN_OR_RETURN(double price, CsvField<double>(f, 2));
    return Trade{f[0], ts, price};
  }
  static std::vector<std::string> ToFields(const Trade& t) {
    return {t.symbol, std::to_string(t.ts), std::to_string(t.price)};
  }
};

namespace {

const auto FromJson = Decoder(JsonSerde<Trade>());
const auto FromCsv = Decoder(CsvSerde<Trade>());

void Write(const std::string& path, const std::string& text, bool append = false) {
  std::ofstream f(path, append ? std::ios::app : std::ios::trunc);
  f << text;
}

std::vector<Trade> Read(FileSourceOptions o, bool csv, Status* st) {
  JobBuilder job;
  auto out = std::make_shared<Collected<Trade>>();
  if (csv) {
    FromFile<Trade>(job, "trades", o, FromCsv, [](const Trade& t) { return t.ts; }).CollectInto("out", out);
  } else {
    FromFile<Trade>(job, "trades", o, FromJson, [](const Trade& t) { return t.ts; }).CollectInto("out", out);
  }
  JobRunOptions r;
  r.parallelism = 2;
  *st = job.Run(r);
  auto v = out->values();  // two sink instances: order by time
  std::sort(v.begin(), v.end());
  return v;
}

TEST(FileConnectorTest, JsonLinesAndCsvWithBadLines) {
  TempDir dir;
  Write(dir / "t.jsonl", "{\"s\":\"ACME\",\"t\":1,\"p\":10.5}\n{\"s\":\"INIT\",\"t\":2,\"p\":3}\nnot json\n"
                         "{\"s\":\"ACME\",\"t\":3,\"p\":11}");  // no newline at the end
  FileSourceOptions o;
  o.path = dir / "t.jsonl";
  Status st;
  Read(o, false, &st);
  EXPECT_EQ(st.code(), Errc::kJobFailed);
  EXPECT_NE(st.message().find("t.jsonl:3: line could not be decoded: not valid JSON"), std::string::npos)
      << st.message();
  o.on_bad_record = FileSourceOptions::OnBadRecord::kSkip;
  auto v = Read(o, false, &st);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(v, (std::vector<Trade>{{"ACME", 1, 10.5}, {"INIT", 2, 3}, {"ACME", 3, 11}}));

  Write(dir / "t.csv", "ACME,1,10.5\n\"IN,IT\",2,3\r\nbad,line\n");
  o.path = dir / "t.csv";
  v = Read(o, true, &st);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(v, (std::vector<Trade>{{"ACME", 1, 10.5}, {"IN,IT", 2, 3}}));

  o.path = dir / "missing.csv";
  Read(o, true, &st);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("missing.csv: No such file"), std::string::npos) << st.message();

  o.on_bad_record = FileSourceOptions::OnBadRecord::kDeadLetter;  // a file has no dead-letter topic
  Read(o, true, &st);
  EXPECT_EQ(st.code(), Errc::kInvalidArgument);
  EXPECT_NE(st.message().find("dead letters need a log source"), std::string::npos) << st.message();
}

TEST(FileConnectorTest, FollowsAGrowingFileUntilStopped) {
  TempDir dir;
  const std::string path = dir / "grow.csv";
  Write(path, "A,1,1\n");
  JobBuilder job;
  auto out = std::make_shared<Collected<Trade>>();
  FileSourceOptions o;
  o.path = path;
  o.follow = true;
  FromFile<Trade>(job, "trades", o, FromCsv).CollectInto("out", out);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 2; i <= 50; ++i) {
      // Half a line first: the source must wait for its end.
      Write(path, "B," + std::to_string(i), true);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      Write(path, ",2\n", true);
    }
    for (int i = 0; i < 500 && out->values().size() < 50; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    stop.store(true);
  });
  JobRunOptions r;
  r.runtime.stop = &stop;
  Status st = job.Run(r);
  writer.join();
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto v = out->values();
  std::sort(v.begin(), v.end());
  ASSERT_EQ(v.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(v[static_cast<size_t>(i)].ts, i + 1);  // whole lines, each once
  for (int i = 1; i < 50; ++i) EXPECT_EQ(v[static_cast<size_t>(i)].price, 2);
}

TEST(FileConnectorTest, SinkWritesOneLinePerRecord) {
  TempDir dir;
  JobBuilder job;
  std::vector<int64_t> in(1000);
  for (int64_t i = 0; i < 1000; ++i) in[static_cast<size_t>(i)] = i;
  ToFile(job.FromCollection<int64_t>("n", in), "file", dir / "out.txt",
         [](const int64_t& x) { return "{\"n\":" + std::to_string(x) + "}"; });
  JobRunOptions r;
  r.parallelism = 2;
  ASSERT_TRUE(job.Run(r).ok());
  std::ifstream f(dir / "out.txt");
  std::set<int64_t> seen;
  for (std::string line; std::getline(f, line);) {
    auto j = nlohmann::json::parse(line);
    seen.insert(j["n"].get<int64_t>());
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(FileConnectorTest, SinkThatCannotWriteFailsTheJob) {
  TempDir dir;
  JobBuilder job;
  ToFile(job.FromCollection<int64_t>("n", {1, 2, 3}), "file", dir / "no-such-dir/out.txt",
         [](const int64_t& x) { return std::to_string(x); });
  Status st = job.Run({});
  EXPECT_EQ(st.code(), Errc::kJobFailed);
  EXPECT_NE(st.message().find("no-such-dir/out.txt: open: No such file or directory"), std::string::npos)
      << st.message();
}

}  // namespace
}  // namespace rivulet::connectors
