// Child process for the crash and disk-full tests.
//
//   crash_child append DIR   appends records whose value is "seq-<offset>"
//                            in batches of random size, flushes, and after
//                            each flush prints the last flushed offset on
//                            stdout, forever (until killed).
//   crash_child txn DIR K    writes transactions K, K+1, ... to topic "txn"
//                            (2 partitions) with transactional id
//                            "crash-txn": transaction k holds n records
//                            "t<k>-<i>-of-<n>"; every third one aborts.
//                            Prints "c <k>" / "a <k>" once it committed /
//                            aborted, forever (until killed).
//   crash_child fill DIR N   sets RLIMIT_FSIZE to N bytes, appends until a
//                            write fails, prints "acked <last offset>" and
//                            "error <status>", exits 3 (0 if it never failed).
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include "log/log_manager.h"
#include "log/partition.h"
#include "log/producer.h"
#include "log/record_batch.h"

using namespace rivulet;

namespace {

std::unique_ptr<log::LogManager> OpenOrDie(const std::string& dir, int64_t segment_bytes) {
  log::LogOptions opts;
  opts.default_topic_config.segment_bytes = segment_bytes;
  auto lm = log::LogManager::Open(dir, opts);
  if (!lm.ok()) {
    std::fprintf(stderr, "open: %s\n", lm.status().ToString().c_str());
    std::exit(2);
  }
  if (!(*lm)->PartitionCount("crash").ok()) {
    Status st = (*lm)->CreateTopic("crash", 1);
    if (!st.ok()) {
      std::fprintf(stderr, "create: %s\n", st.ToString().c_str());
      std::exit(2);
    }
  }
  return std::move(lm).value();
}

int Append(const std::string& dir) {
  auto lm = OpenOrDie(dir, 64 * 1024);  // small segments: kills also hit rolls
  auto part = lm->GetPartition({"crash", 0});
  int64_t next = (*part)->log_end_offset();
  log::ProducerConfig pc;
  pc.linger_ms = 1;
  pc.batch_size = 4096;
  log::Producer producer(lm.get(), pc);
  std::mt19937 rng(static_cast<unsigned>(::getpid()));
  for (;;) {
    const int n = 1 + static_cast<int>(rng() % 200);
    for (int i = 0; i < n; ++i) {
      std::string value = "seq-" + std::to_string(next++);
      Status st = producer.Send("crash", std::nullopt, value, nullptr, 0);
      if (!st.ok()) {
        std::fprintf(stderr, "send: %s\n", st.ToString().c_str());
        return 2;
      }
    }
    Status st = producer.Flush();
    if (!st.ok()) {
      std::fprintf(stderr, "flush: %s\n", st.ToString().c_str());
      return 2;
    }
    std::printf("%lld\n", static_cast<long long>(next - 1));
    std::fflush(stdout);
  }
}

int Transactions(const std::string& dir, long first) {
  auto lm = OpenOrDie(dir, 64 * 1024);
  if (!lm->PartitionCount("txn").ok() && !lm->CreateTopic("txn", 2).ok()) return 2;
  log::ProducerConfig pc;
  pc.linger_ms = 1;
  pc.transactional_id = "crash-txn";
  log::Producer producer(lm.get(), pc);
  auto fail = [](const char* what, const Status& st) {
    std::fprintf(stderr, "%s: %s\n", what, st.ToString().c_str());
    return 2;
  };
  if (Status st = producer.InitTransactions(); !st.ok()) return fail("init", st);
  std::mt19937 rng(static_cast<unsigned>(::getpid()));
  for (long k = first;; ++k) {
    if (Status st = producer.BeginTransaction(); !st.ok()) return fail("begin", st);
    const int n = 1 + static_cast<int>(rng() % 20);
    for (int i = 0; i < n; ++i) {
      const std::string v = "t" + std::to_string(k) + "-" + std::to_string(i) + "-of-" + std::to_string(n);
      if (Status st = producer.Send("txn", v, v); !st.ok()) return fail("send", st);
    }
    const bool abort = k % 3 == 2;
    Status st = abort ? producer.AbortTransaction() : producer.CommitTransaction();
    if (!st.ok()) return fail("end", st);
    std::printf("%c %ld\n", abort ? 'a' : 'c', k);
    std::fflush(stdout);
  }
}

int Fill(const std::string& dir, long limit) {
  auto lm = OpenOrDie(dir, 1 << 30);
  ::signal(SIGXFSZ, SIG_IGN);  // get EFBIG instead of dying
  struct rlimit rl;
  rl.rlim_cur = rl.rlim_max = static_cast<rlim_t>(limit);
  if (::setrlimit(RLIMIT_FSIZE, &rl) != 0) {
    std::perror("setrlimit");
    return 2;
  }
  auto part = lm->GetPartition({"crash", 0});
  int64_t last_acked = (*part)->log_end_offset() - 1;
  const std::string payload(300, 'x');
  for (int64_t i = 0; i < 1000000; ++i) {
    log::RecordBatchBuilder b;
    for (int r = 0; r < 10; ++r) {
      b.Append(1000, std::nullopt, "seq-" + std::to_string(last_acked + 1 + r) + "-" + payload);
    }
    std::string batch = b.Finish();
    auto info = lm->Append({"crash", 0}, std::span<char>(batch.data(), batch.size()), false);
    if (!info.ok()) {
      std::printf("acked %lld\nerror %s\n", static_cast<long long>(last_acked),
                  info.status().ToString().c_str());
      std::fflush(stdout);
      return 3;
    }
    last_acked = info->last_offset;
  }
  std::printf("acked %lld\n", static_cast<long long>(last_acked));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "append") == 0) return Append(argv[2]);
  if (argc >= 4 && std::strcmp(argv[1], "txn") == 0) return Transactions(argv[2], std::atol(argv[3]));
  if (argc >= 4 && std::strcmp(argv[1], "fill") == 0) return Fill(argv[2], std::atol(argv[3]));
  std::fprintf(stderr, "usage: crash_child append DIR | txn DIR K | fill DIR BYTES\n");
  return 2;
}
