// log-append and log-read: the embedded log against plain write() / read()
// of the same bytes in 1 MiB chunks, in the same directory, in the same run.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <ostream>

#include "base/file.h"
#include "bench/harness.h"
#include "log/consumer.h"
#include "log/log_manager.h"
#include "log/producer.h"
#include "log/segment.h"

namespace fs = std::filesystem;

namespace rivulet::bench {
namespace {

// Writes back dirty pages of the filesystem holding `dir` (untimed), so that
// each timed phase starts without write-back debt left by the previous one.
void SettleDisk(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::syncfs(fd);
    ::close(fd);
  }
}

// Fills a topic with o.records records; returns the seconds it took.
Result<double> AppendRecords(log::LogManager& lm, const BenchOptions& o) {
  log::ProducerConfig pc;
  pc.batch_size = 1 << 20;
  pc.linger_ms = 5;
  pc.buffer_memory = 64 << 20;
  log::Producer producer(&lm, pc);
  const std::vector<std::string> keys = MakeKeys(o);
  const std::string value(static_cast<size_t>(o.value_bytes), 'v');
  const auto start = Clock::now();
  for (int64_t i = 0; i < o.records; ++i) {
    RIVULET_RETURN_IF_ERROR(producer.Send("bench", std::string_view(keys[static_cast<size_t>(i) & 1023]),
                                          std::string_view(value), nullptr, 0));
  }
  RIVULET_RETURN_IF_ERROR(producer.Flush());
  const auto end = Clock::now();
  producer.Close();
  return Seconds(start, end);
}

Result<uint64_t> TopicBytes(log::LogManager& lm) {
  RIVULET_ASSIGN_OR_RETURN(auto d, lm.DescribeTopic("bench"));
  return d.partitions[0].size_bytes;
}

// write() of `bytes` in 1 MiB chunks to a new file in `dir`.
Result<double> BaselineWrite(const std::string& dir, uint64_t bytes) {
  const std::string path = dir + "/baseline.bin";
  std::string chunk(1 << 20, 'b');
  RIVULET_ASSIGN_OR_RETURN(File f, File::Open(path, O_WRONLY | O_CREAT | O_TRUNC));
  const auto start = Clock::now();
  for (uint64_t done = 0; done < bytes; done += chunk.size()) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk.size(), bytes - done));
    RIVULET_RETURN_IF_ERROR(f.Append(std::span<const char>(chunk.data(), n)));
  }
  const auto end = Clock::now();
  RIVULET_RETURN_IF_ERROR(f.Close());
  return Seconds(start, end);
}

// read() of a file in 1 MiB chunks.
Result<double> BaselineRead(const std::string& path, uint64_t* total) {
  std::string chunk(1 << 20, '\0');
  RIVULET_ASSIGN_OR_RETURN(File f, File::Open(path, O_RDONLY));
  const auto start = Clock::now();
  uint64_t sum = 0;
  for (;;) {
    ssize_t n = ::read(f.fd(), chunk.data(), chunk.size());
    if (n < 0) return ErrnoStatus("read", path, errno);
    if (n == 0) break;
    sum += static_cast<uint64_t>(n);
  }
  const auto end = Clock::now();
  *total = sum;
  return Seconds(start, end);
}

void Report(std::ostream& out, const BenchOptions& o, const std::string& name,
            const std::vector<double>& secs, const std::vector<double>& base_secs, uint64_t bytes) {
  Figures f;
  f.bench = name;
  f.bytes = bytes;
  f.baseline = name == "log-append" ? "write() in 1 MiB chunks" : "read() in 1 MiB chunks";
  for (double s : secs) f.rates.push_back(static_cast<double>(o.records) / s);
  for (double s : base_secs) f.baseline_rates.push_back(static_cast<double>(o.records) / s);
  ReportFigures(out, o, f);
}

log::LogOptions BenchLogOptions() {
  log::LogOptions lo;
  lo.default_topic_config.segment_bytes = 1LL << 30;
  return lo;
}

}  // namespace

Status LogAppendBench(const BenchOptions& o, std::ostream& out) {
  std::vector<double> secs, base_secs;
  uint64_t bytes = 0;
  for (int r = 0; r < o.repeats; ++r) {
    const std::string dir = MakeDir(o, "append");
    {
      RIVULET_ASSIGN_OR_RETURN(auto lm, log::LogManager::Open(dir + "/data", BenchLogOptions()));
      RIVULET_RETURN_IF_ERROR(lm->CreateTopic("bench", 1));
      SettleDisk(dir);
      RIVULET_ASSIGN_OR_RETURN(double s, AppendRecords(*lm, o));
      secs.push_back(s);
      RIVULET_ASSIGN_OR_RETURN(bytes, TopicBytes(*lm));
    }
    SettleDisk(dir);
    RIVULET_ASSIGN_OR_RETURN(double b, BaselineWrite(dir, bytes));
    base_secs.push_back(b);
    fs::remove_all(dir);
  }
  Report(out, o, "log-append", secs, base_secs, bytes);
  return Status::Ok();
}

Status LogReadBench(const BenchOptions& o, std::ostream& out) {
  const std::string dir = MakeDir(o, "read");
  RIVULET_ASSIGN_OR_RETURN(auto lm, log::LogManager::Open(dir + "/data", BenchLogOptions()));
  RIVULET_RETURN_IF_ERROR(lm->CreateTopic("bench", 1));
  RIVULET_RETURN_IF_ERROR(AppendRecords(*lm, o).status());
  RIVULET_ASSIGN_OR_RETURN(uint64_t bytes, TopicBytes(*lm));
  RIVULET_RETURN_IF_ERROR(lm->FlushAll());
  std::vector<double> secs, base_secs;
  for (int r = 0; r < o.repeats; ++r) {
    log::ConsumerConfig cc;
    cc.enable_auto_commit = false;
    cc.auto_offset_reset = log::OffsetReset::kEarliest;
    cc.max_poll_records = 10000;
    cc.max_partition_fetch_bytes = 1 << 20;
    log::Consumer consumer(lm.get(), cc);
    RIVULET_RETURN_IF_ERROR(consumer.Assign({{"bench", 0}}));
    int64_t seen = 0;
    uint64_t checksum = 0;
    const auto start = Clock::now();
    while (seen < o.records) {
      RIVULET_ASSIGN_OR_RETURN(auto recs, consumer.Poll(std::chrono::milliseconds(1000)));
      if (recs.empty()) return Status(Errc::kTimeout, "log-read stalled at " + std::to_string(seen));
      for (const auto& rec : recs) checksum += rec.value->size() + static_cast<uint64_t>(rec.offset);
      seen += static_cast<int64_t>(recs.size());
    }
    const auto end = Clock::now();
    if (checksum == 0) return Status(Errc::kCorruption, "read nothing");
    secs.push_back(Seconds(start, end));
    // Baseline: read() the same segment bytes.
    uint64_t total = 0;
    RIVULET_ASSIGN_OR_RETURN(double b, BaselineRead(dir + "/data/topics/bench/0/" + log::Segment::FileName(0), &total));
    if (total != bytes) return Status(Errc::kCorruption, "baseline read a different size");
    base_secs.push_back(b);
  }
  RIVULET_RETURN_IF_ERROR(lm->Close());
  fs::remove_all(dir);
  Report(out, o, "log-read", secs, base_secs, bytes);
  return Status::Ok();
}

}  // namespace rivulet::bench
