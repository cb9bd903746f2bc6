// Files as a job's source and sink: JSON lines and CSV, bad lines,
// following a growing file, writing lines, and both in checkpoints: the
// source's position (whole lines only) and the sink's in-progress and
// pending part files, restored at the same and other parallelisms.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>
#include <sstream>
#include <thread>

#include "connectors/file/file_connector.h"
#include "tests/test_util.h"
#include "tests/job_test_util.h"

namespace rivulet::connectors {
namespace {

using testing::RestoreInstance;
using testing::SnapshotEntries;

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

// What a source instance driven by hand emitted: records and watermarks.
class Probe final : public operators::SinkOperator<Trade> {
 public:
  void OnBatch(operators::Batch<Trade>& batch) override { records += batch.size(); }
  void OnWatermark(engine::Timestamp w) override { watermark = w; }
  void OnEnd() override {}
  size_t records = 0;
  engine::Timestamp watermark = engine::kMinTimestamp;
};

// A followed file is one split of the watermark strategy: with idleness,
// no new line for the timeout (on a manual clock) marks the instance idle
// and a new line makes it active again; without, it never is.
TEST(FileConnectorTest, FollowedFileWithoutNewLinesIsIdleAfterTheTimeout) {
  TempDir dir;
  const std::string path = dir / "quiet.csv";
  Write(path, "A,100,1\nA,90,1\n");
  using Source = FileSource<Trade, std::decay_t<decltype(FromCsv)>, int64_t (*)(const Trade&)>;
  auto ts = +[](const Trade& t) { return t.ts; };
  for (const int64_t idle_ms : {int64_t{50}, int64_t{-1}}) {
    operators::ManualSourceClock clock;
    Probe probe;
    FileSourceOptions o;
    o.path = path;
    o.follow = true;
    o.watermarks = operators::WatermarkStrategy::BoundedOutOfOrderness(5).WithIdleness(idle_ms).WithClock(&clock);
    Source source(probe.input(0), o, FromCsv, ts);
    EXPECT_EQ(source.PollRecords(100), engine::SourceInstance::Poll::kMore);
    EXPECT_EQ(probe.records, 2u);
    EXPECT_EQ(probe.watermark, 100 - 5 - 1);
    EXPECT_EQ(source.PollRecords(100), engine::SourceInstance::Poll::kIdle);
    clock.Advance(std::chrono::milliseconds(49));
    EXPECT_FALSE(source.idle());
    clock.Advance(std::chrono::milliseconds(1));
    EXPECT_EQ(source.idle(), idle_ms >= 0) << idle_ms;
    Write(path, "A,200,1\n", true);
    EXPECT_EQ(source.PollRecords(100), engine::SourceInstance::Poll::kMore);
    EXPECT_FALSE(source.idle());
    EXPECT_EQ(probe.watermark, 200 - 5 - 1);
    Write(path, "A,10,1\nA,20,1\n", true);  // behind: the watermark stays
    EXPECT_EQ(source.PollRecords(100), engine::SourceInstance::Poll::kMore);
    EXPECT_EQ(probe.watermark, 200 - 5 - 1);
    Write(path, "A,100,1\nA,90,1\n");  // back as it was for the next round
  }
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


// ---- Checkpoints -------------------------------------------------------

std::string ReadText(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The numbers of a file of one number per line, in file order; a line
// that is not a number fails the test.
std::vector<int64_t> Numbers(const std::string& path) {
  std::vector<int64_t> v;
  std::ifstream f(path);
  for (std::string line; std::getline(f, line);) {
    size_t used = 0;
    v.push_back(std::stoll(line, &used));
    EXPECT_EQ(used, line.size()) << "a torn line: '" << line << "'";
  }
  return v;
}

std::vector<int64_t> Iota(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), int64_t{0});
  return v;
}

// The in-progress and pending files the sink of `path` left beside it.
std::vector<std::string> PartFilesOf(const std::string& path) {
  const std::filesystem::path p(path);
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(p.parent_path())) {
    const std::string name = e.path().filename().string();
    if (name.rfind("." + p.filename().string() + ".", 0) == 0) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

const auto ParseNumber = [](std::string_view s) -> std::optional<int64_t> {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
};

JobRunOptions CheckpointEvery(int parallelism, int64_t interval_ms,
                              std::shared_ptr<const engine::LoadedCheckpoint> restore = {}) {
  JobRunOptions o;
  o.parallelism = parallelism;
  o.runtime.channel_capacity = 4;
  o.runtime.batch_size = 64;
  o.runtime.checkpoints.interval_ms = interval_ms;
  o.runtime.checkpoints.job = "files";
  o.runtime.checkpoints.restore = std::move(restore);
  return o;
}

// The file source's position in checkpoint `c`.
FileSourcePosition PositionIn(const engine::LoadedCheckpoint& c, int node) {
  auto it = c.state.find(node);
  EXPECT_NE(it, c.state.end());
  if (it == c.state.end() || it->second.size() != 1) {
    ADD_FAILURE() << "the file source has no single entry in the checkpoint";
    return {};
  }
  EXPECT_EQ(it->second[0].group, kFileSplit);
  auto p = engine::DecodeState<FileSourcePosition>(it->second[0].bytes);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? *p : FileSourcePosition{};
}

// file of numbers -> slow map (so that checkpoints fall inside the run) ->
// committed collect.
struct LinesJob {
  JobBuilder job;
  std::shared_ptr<Collected<int64_t>> out = std::make_shared<Collected<int64_t>>();
  int source = -1;
  LinesJob(const std::string& path, bool follow) {
    FileSourceOptions o;
    o.path = path;
    o.follow = follow;
    auto lines = FromFile<int64_t>(job, "lines", o, ParseNumber, [](const int64_t& x) { return x / 10; });
    source = lines.node();
    lines
        .Map("slow",
             [](const int64_t& x) {
               if (x % 16 == 0) std::this_thread::sleep_for(std::chrono::microseconds(500));
               return x;
             })
        .CollectCommitted("out", out);
  }
  std::vector<int64_t> Sorted() {
    auto v = out->values();
    std::sort(v.begin(), v.end());
    return v;
  }
};

class FileSourceCheckpointTest : public ::testing::TestWithParam<std::pair<int, int>> {};

// A bounded file source cancelled (as if killed) after a few checkpoints
// and restored, maybe at another parallelism of the job: every line once
// in the committed output, and each checkpoint's position the start of a
// line.
TEST_P(FileSourceCheckpointTest, CancelledAndRestoredReadsEveryLineOnce) {
  const auto [before, after] = GetParam();
  constexpr int64_t kLines = 20'000;
  TempDir dir;
  const std::string path = dir / "numbers.txt";
  std::string text;
  for (int64_t i = 0; i < kLines; ++i) text += std::to_string(i) + "\n";
  Write(path, text);

  LinesJob p(path, false);
  auto job = p.job.Start(CheckpointEvery(before, 10));
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  ASSERT_TRUE((*job)->AwaitCheckpoint(3, std::chrono::seconds(20)).ok());
  (*job)->Cancel();
  EXPECT_EQ((*job)->Wait().code(), Errc::kClosed);
  auto last = (*job)->last_checkpoint();
  ASSERT_NE(last, nullptr);
  ASSERT_FALSE(last->info.final) << "the job ended before the cancel: the test tests nothing";
  const FileSourcePosition pos = PositionIn(*last, p.source);
  ASSERT_GT(pos.offset, 0);
  ASSERT_LT(pos.offset, static_cast<int64_t>(text.size()));
  EXPECT_EQ(text[static_cast<size_t>(pos.offset - 1)], '\n') << "a position inside a line";
  EXPECT_EQ(std::count(text.begin(), text.begin() + pos.offset, '\n'), pos.line);
  EXPECT_EQ(pos.max_ts, (pos.line - 1) / 10);
  EXPECT_LT(p.out->values().size(), static_cast<size_t>(kLines));

  auto again = p.job.Start(CheckpointEvery(after, 10, last));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  Status st = (*again)->Wait();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(p.Sorted(), Iota(kLines));
}

INSTANTIATE_TEST_SUITE_P(Parallelism, FileSourceCheckpointTest,
                         ::testing::Values(std::pair{1, 1}, std::pair{2, 2}, std::pair{1, 3}, std::pair{3, 1}));

// Waits until `pred` holds (or about 20 s ran out).
template <typename Pred>
bool WaitFor(Pred pred) {
  for (int i = 0; i < 2000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

// A followed file whose last line is half written when checkpoints are
// taken: the position is the start of that line, and after a restore the
// line, completed, is read once and whole.
TEST(FileConnectorTest, FollowedFileWithAPartialLineAtTheCheckpoint) {
  TempDir dir;
  const std::string path = dir / "grow.txt";
  std::string whole;
  for (int64_t i = 0; i < 100; ++i) whole += std::to_string(i) + "\n";
  Write(path, whole + "12");  // "1234\n", half written

  LinesJob p(path, true);
  auto job = p.job.Start(CheckpointEvery(2, 10));
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  ASSERT_TRUE(WaitFor([&] { return p.out->values().size() == 100; }));
  const int64_t seen = (*job)->metrics().checkpoints.completed.load();
  ASSERT_TRUE((*job)->AwaitCheckpoint(seen + 2, std::chrono::seconds(20)).ok());  // taken with "12" read
  (*job)->Cancel();
  (void)(*job)->Wait();
  auto last = (*job)->last_checkpoint();
  ASSERT_NE(last, nullptr);
  const FileSourcePosition pos = PositionIn(*last, p.source);
  EXPECT_EQ(pos.offset, static_cast<int64_t>(whole.size()));
  EXPECT_EQ(pos.line, 100);
  EXPECT_EQ(pos.path, path);

  Write(path, "34\n200\n201\n", true);
  std::atomic<bool> stop{false};
  JobRunOptions o = CheckpointEvery(1, 10, last);
  o.runtime.stop = &stop;
  auto again = p.job.Start(o);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  const bool all = WaitFor([&] { return p.out->values().size() >= 103; });
  stop.store(true);
  Status st = (*again)->Wait();
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_TRUE(all) << p.out->values().size() << " records";
  std::vector<int64_t> want = Iota(100);
  want.insert(want.end(), {200, 201, 1234});
  EXPECT_EQ(p.Sorted(), want);
}

// A restored source refuses a file that is shorter than its position, or
// another file than the one it read, naming it.
TEST(FileConnectorTest, RestoredSourceRefusesAShorterOrReplacedFile) {
  TempDir dir;
  const std::string path = dir / "numbers.txt";
  std::string text;
  for (int64_t i = 0; i < 1000; ++i) text += std::to_string(i) + "\n";
  Write(path, text);
  LinesJob p(path, false);
  auto job = p.job.Start(CheckpointEvery(1, 10));
  ASSERT_TRUE(job.ok());
  ASSERT_TRUE((*job)->Wait().ok());
  auto last = (*job)->last_checkpoint();
  ASSERT_NE(last, nullptr);
  ASSERT_TRUE(last->info.final);
  EXPECT_EQ(PositionIn(*last, p.source).offset, static_cast<int64_t>(text.size()));

  auto restart = [&]() -> Status {
    auto again = p.job.Start(CheckpointEvery(1, 10, last));
    if (!again.ok()) return again.status();
    return (*again)->Wait();
  };
  ASSERT_TRUE(restart().ok()) << "the same file restores";

  ASSERT_EQ(::truncate(path.c_str(), 100), 0);
  Status st = restart();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find(path + ": 100 bytes, shorter than the " + std::to_string(text.size()) +
                              " the checkpoint had read (line 1000)"),
            std::string::npos)
      << st.ToString();

  // As long as before, but another file (a rotated log, a new export).
  Write(dir / "new.txt", text);
  std::filesystem::rename(dir / "new.txt", path);
  st = restart();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find(path + ": another file than the checkpoint read"), std::string::npos) << st.ToString();
}

class FileSinkCheckpointTest : public ::testing::TestWithParam<std::pair<int, int>> {};

// generator (rate-limited) -> file sink, cancelled after checkpoints and
// restored: the output holds every record once, whole lines, and no part
// file is left.
TEST_P(FileSinkCheckpointTest, CancelledAndRestoredWritesEveryRecordOnce) {
  const auto [before, after] = GetParam();
  constexpr int64_t kCount = 30'000;
  TempDir dir;
  const std::string path = dir / "out.txt";
  auto build = [&](JobBuilder& job) {
    auto gen = job.FromGenerator("numbers", [](uint64_t n) { return static_cast<int64_t>(n); }, kCount, 100'000);
    ToFile(gen, "file", path, [](const int64_t& x) { return std::to_string(x); });
  };
  JobBuilder first;
  build(first);
  auto job = first.Start(CheckpointEvery(before, 10));
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  ASSERT_TRUE((*job)->AwaitCheckpoint(3, std::chrono::seconds(20)).ok());
  (*job)->Cancel();
  (void)(*job)->Wait();
  auto last = (*job)->last_checkpoint();
  ASSERT_NE(last, nullptr);
  ASSERT_FALSE(last->info.final) << "the job ended before the cancel: the test tests nothing";
  const auto committed = Numbers(path);
  EXPECT_LT(committed.size(), static_cast<size_t>(kCount));
  EXPECT_EQ(std::set<int64_t>(committed.begin(), committed.end()).size(), committed.size());

  JobBuilder second;
  build(second);
  auto again = second.Start(CheckpointEvery(after, 10, last));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  Status st = (*again)->Wait();
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto v = Numbers(path);
  std::sort(v.begin(), v.end());
  EXPECT_EQ(v, Iota(kCount));
  EXPECT_EQ(PartFilesOf(path), std::vector<std::string>{});
}

INSTANTIATE_TEST_SUITE_P(Parallelism, FileSinkCheckpointTest,
                         ::testing::Values(std::pair{1, 1}, std::pair{2, 2}, std::pair{2, 1}, std::pair{1, 3}));

// The sink's two phases driven by hand, as the runtime calls them, with
// the crashes a job cannot be made to hit on purpose.
using NumberSink = FileSink<int64_t, std::string (*)(const int64_t&)>;

std::string Format(const int64_t& x) { return std::to_string(x); }

std::unique_ptr<NumberSink> CheckpointedSink(const std::string& path) {
  auto s = std::make_unique<NumberSink>(path, &Format);
  s->EnableCheckpoints(engine::CheckpointScope{"files", "file", 0, 1});
  return s;
}

void Feed(NumberSink& s, int64_t from, int64_t to) {
  operators::Batch<int64_t> b;
  for (int64_t i = from; i < to; ++i) b.push_back({0, i});
  s.OnBatch(b);
}

std::vector<int64_t> Range(int64_t from, int64_t to) {
  std::vector<int64_t> v;
  for (int64_t i = from; i < to; ++i) v.push_back(i);
  return v;
}

TEST(FileConnectorTest, SinkCommitsPendingPartsOnRestoreOnceAndCutsTornBytes) {
  TempDir dir;
  const std::string path = dir / "out.txt";
  Write(path, "an older run's output\n");
  std::vector<engine::StateEntry> chk1, chk2;
  {
    auto s = CheckpointedSink(path);
    Feed(*s, 0, 10);
    chk1 = SnapshotEntries(*s, 1);
    s->CheckpointComplete(1);
    EXPECT_EQ(Numbers(path), Range(0, 10)) << "checkpoint 1 committed";
    Feed(*s, 10, 20);
    chk2 = SnapshotEntries(*s, 2);
    EXPECT_EQ(Numbers(path), Range(0, 10)) << "checkpoint 2 is pending, not visible";
    Feed(*s, 20, 30);  // after barrier 2: in progress (buffered)
    // Killed here: checkpoint 2 is on disk, its completion never came.
  }
  EXPECT_EQ(PartFilesOf(path), (std::vector<std::string>{".out.txt.pending-00000000000000000002"}));
  Write(dir / ".out.txt.inprogress", "20\n21\n2");  // what a larger buffer would have written
  // Torn: bytes past what checkpoint 2 recorded, in its pending part and in
  // the output (as a commit of a later checkpoint, cut short, leaves).
  Write(dir / ".out.txt.pending-00000000000000000002", "999", true);
  Write(path, "88", true);
  {
    auto s = CheckpointedSink(path);
    RestoreInstance(*s, chk2);
    EXPECT_EQ(Numbers(path), Range(0, 20)) << "the pending part of checkpoint 2 committed, the torn bytes cut";
    EXPECT_EQ(PartFilesOf(path), std::vector<std::string>{}) << "in-progress and pending files dropped";
  }
  {
    // Restored from checkpoint 2 again (the restored run died at once):
    // its part is committed already and is not written twice.
    auto s = CheckpointedSink(path);
    RestoreInstance(*s, chk2);
    EXPECT_EQ(Numbers(path), Range(0, 20));
    Feed(*s, 20, 30);
    auto chk3 = SnapshotEntries(*s, 3);
    s->CheckpointComplete(3);
    EXPECT_EQ(Numbers(path), Range(0, 30));
  }
  {
    // An older checkpoint restored: what later ones committed is cut, as
    // the restored job writes it again.
    auto s = CheckpointedSink(path);
    RestoreInstance(*s, chk1);
    EXPECT_EQ(Numbers(path), Range(0, 10));
  }
  {
    // A run that is not restored starts from an empty output.
    auto s = CheckpointedSink(path);
    Feed(*s, 100, 103);
    (void)SnapshotEntries(*s, 7);
    s->CheckpointComplete(7);
    EXPECT_EQ(Numbers(path), Range(100, 103));
  }
}

TEST(FileConnectorTest, RestoredSinkRefusesAShortOutputOrAMissingPart) {
  TempDir dir;
  const std::string path = dir / "out.txt";
  std::vector<engine::StateEntry> chk2;
  {
    auto s = CheckpointedSink(path);
    Feed(*s, 0, 10);
    (void)SnapshotEntries(*s, 1);
    s->CheckpointComplete(1);
    Feed(*s, 10, 20);
    chk2 = SnapshotEntries(*s, 2);
  }
  const std::string output = ReadText(path);
  ASSERT_EQ(::truncate(path.c_str(), 5), 0);
  {
    auto s = CheckpointedSink(path);
    try {
      RestoreInstance(*s, chk2);
      ADD_FAILURE() << "restored over a truncated output";
    } catch (const std::exception& e) {
      EXPECT_NE(std::string(e.what()).find(path + ": 5 bytes, shorter than the " + std::to_string(output.size()) +
                                           " bytes the checkpoint saw committed"),
                std::string::npos)
          << e.what();
    }
  }
  Write(path, output);
  std::filesystem::remove(dir / ".out.txt.pending-00000000000000000002");
  {
    auto s = CheckpointedSink(path);
    try {
      RestoreInstance(*s, chk2);
      ADD_FAILURE() << "restored without the pending part";
    } catch (const std::exception& e) {
      EXPECT_NE(std::string(e.what()).find(".out.txt.pending-00000000000000000002: missing"), std::string::npos)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace rivulet::connectors
