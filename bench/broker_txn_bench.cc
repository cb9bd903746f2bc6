// broker-idempotent and broker-txn: what idempotence and transactions cost
// a librdkafka producer against `rivulet broker`, each against the plain
// producer on the same broker build in the same run.
//
//   broker-idempotent  enable.idempotence=true (acks=all, 5 in flight)
//                      against enable.idempotence=false, acks=1; a fresh
//                      broker for each run, the two alternating. A third
//                      producer, plain but limited to the idempotent one's
//                      5 requests in flight, tells the client's pipeline
//                      limit from the broker's checks (ratio_same_pipeline).
//   broker-txn         a transactional producer committing every 100 ms
//                      (--set commit_ms=N) against the plain producer;
//                      then the transactional topic read by a
//                      read_committed consumer against a read_uncommitted
//                      one (ratio_read_committed).
#include <librdkafka/rdkafka.h>

#include <ostream>

#include "bench/broker_clients.h"

namespace rivulet::bench {
namespace {

// Produces o.records records through `producer`, committing a transaction
// every `commit_ms` when `transactional`. Returns the seconds until all
// were acknowledged (committed).
Result<double> Produce(BenchProducer& producer, const BenchOptions& o, const std::vector<std::string>& keys,
                       const std::string& value, bool transactional, int64_t commit_ms) {
  rd_kafka_t* rk = producer.handle();
  auto check = [](rd_kafka_error_t* e, const char* what) -> Status {
    if (!e) return Status::Ok();
    Status st(Errc::kIoError, std::string(what) + ": " + rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
    return st;
  };
  if (transactional) RIVULET_RETURN_IF_ERROR(check(rd_kafka_init_transactions(rk, 30000), "init_transactions"));
  const auto start = Clock::now();
  auto txn_start = start;
  if (transactional) RIVULET_RETURN_IF_ERROR(check(rd_kafka_begin_transaction(rk), "begin_transaction"));
  for (int64_t i = 0; i < o.records; ++i) {
    RIVULET_RETURN_IF_ERROR(producer.Send(i, keys[static_cast<size_t>(i) & 1023], value));
    if (transactional && (i & 255) == 0 && Seconds(txn_start, Clock::now()) * 1000 >= static_cast<double>(commit_ms)) {
      RIVULET_RETURN_IF_ERROR(check(rd_kafka_commit_transaction(rk, 60000), "commit_transaction"));
      RIVULET_RETURN_IF_ERROR(check(rd_kafka_begin_transaction(rk), "begin_transaction"));
      txn_start = Clock::now();
    }
  }
  if (transactional) {
    RIVULET_RETURN_IF_ERROR(check(rd_kafka_commit_transaction(rk, 60000), "commit_transaction"));
  }
  RIVULET_RETURN_IF_ERROR(producer.Flush());
  return Seconds(start, Clock::now());
}

// One produce run on a fresh broker; returns records/s. Checks the count.
Result<double> ProduceRun(const BenchOptions& o, const std::vector<std::string>& keys, const std::string& value,
                          const std::vector<std::pair<std::string, std::string>>& settings, bool transactional,
                          int64_t commit_ms, uint64_t* bytes) {
  RIVULET_ASSIGN_OR_RETURN(auto broker, BrokerUnderTest::Start(o));
  RIVULET_ASSIGN_OR_RETURN(auto producer, BenchProducer::Open(broker->bootstrap(), "5", o.records, settings));
  RIVULET_ASSIGN_OR_RETURN(double secs, Produce(*producer, o, keys, value, transactional, commit_ms));
  RIVULET_ASSIGN_OR_RETURN(int64_t end, broker->LogEnd());
  if (end < o.records) return Status(Errc::kCorruption, "broker holds " + std::to_string(end) + " records");
  if (bytes) {
    RIVULET_ASSIGN_OR_RETURN(*bytes, broker->Bytes());
  }
  return static_cast<double>(o.records) / secs;
}

const std::vector<std::pair<std::string, std::string>> kPlain = {{"acks", "1"}, {"enable.idempotence", "false"}};

}  // namespace

Status BrokerIdempotentBench(const BenchOptions& o, std::ostream& out) {
  const std::vector<std::string> keys = MakeKeys(o);
  const std::string value(static_cast<size_t>(o.value_bytes), 'v');
  const std::vector<std::pair<std::string, std::string>> idempotent = {
      {"enable.idempotence", "true"}, {"acks", "all"}, {"max.in.flight.requests.per.connection", "5"}};
  std::vector<std::pair<std::string, std::string>> plain5 = kPlain;
  plain5.push_back({"max.in.flight.requests.per.connection", "5"});
  Figures f;
  f.bench = "broker-idempotent";
  f.baseline = "the same librdkafka producer without idempotence, acks=1, same broker build";
  std::vector<double> pipeline5;
  for (int r = 0; r < o.repeats; ++r) {
    // Rotate which goes first, so that none always meets a warm cache.
    for (int i = 0; i < 3; ++i) {
      const int which = (i + r) % 3;
      const auto& settings = which == 0 ? idempotent : which == 1 ? kPlain : plain5;
      RIVULET_ASSIGN_OR_RETURN(double rate, ProduceRun(o, keys, value, settings, false, 0,
                                                       which == 0 ? &f.bytes : nullptr));
      (which == 0 ? f.rates : which == 1 ? f.baseline_rates : pipeline5).push_back(rate);
    }
  }
  f.extra = {{"plain_5_in_flight_records_per_s", Median(pipeline5)},
             {"ratio_same_pipeline", Median(f.rates) / Median(pipeline5)}};
  ReportFigures(out, o, f);
  return Status::Ok();
}

Status BrokerTxnBench(const BenchOptions& o, std::ostream& out) {
  const std::vector<std::string> keys = MakeKeys(o);
  const std::string value(static_cast<size_t>(o.value_bytes), 'v');
  int64_t commit_ms = 100;
  if (auto it = o.settings.find("commit_ms"); it != o.settings.end()) commit_ms = std::stoll(it->second);
  const std::vector<std::pair<std::string, std::string>> txn = {
      {"transactional.id", "rivulet-bench-txn"}, {"enable.idempotence", "true"}, {"acks", "all"}};
  Figures f;
  f.bench = "broker-txn";
  f.baseline = "the same librdkafka producer, not transactional, acks=1, same broker build";
  std::vector<double> committed_rates, uncommitted_rates;
  for (int r = 0; r < o.repeats; ++r) {
    for (int which = 0; which < 2; ++which) {
      const bool transactional = (which == 0) == (r % 2 == 0);
      if (!transactional) {
        RIVULET_ASSIGN_OR_RETURN(double rate, ProduceRun(o, keys, value, kPlain, false, 0, nullptr));
        f.baseline_rates.push_back(rate);
        continue;
      }
      // The transactional run's broker stays up for the consume runs.
      RIVULET_ASSIGN_OR_RETURN(auto broker, BrokerUnderTest::Start(o));
      RIVULET_ASSIGN_OR_RETURN(auto producer, BenchProducer::Open(broker->bootstrap(), "5", o.records, txn));
      RIVULET_ASSIGN_OR_RETURN(double secs, Produce(*producer, o, keys, value, true, commit_ms));
      producer.reset();
      f.rates.push_back(static_cast<double>(o.records) / secs);
      RIVULET_ASSIGN_OR_RETURN(f.bytes, broker->Bytes());
      for (int level = 0; level < 2; ++level) {
        const bool committed = (level == 0) == (r % 2 == 0);
        RIVULET_ASSIGN_OR_RETURN(
            RdKafka consumer,
            OpenConsumer(broker->bootstrap(), RD_KAFKA_OFFSET_BEGINNING,
                         {{"isolation.level", committed ? "read_committed" : "read_uncommitted"}}));
        uint64_t checksum = 0;
        const auto start = Clock::now();
        RIVULET_RETURN_IF_ERROR(
            ConsumeN(consumer.get(), o.records, [&](std::string_view v) { checksum += v.size(); }));
        const double rate = static_cast<double>(o.records) / Seconds(start, Clock::now());
        if (checksum != static_cast<uint64_t>(o.records) * value.size()) {
          return Status(Errc::kCorruption, "consumed values differ from those produced");
        }
        (committed ? committed_rates : uncommitted_rates).push_back(rate);
      }
    }
  }
  const double rc = Median(committed_rates), ru = Median(uncommitted_rates);
  f.extra = {{"commit_ms", static_cast<double>(commit_ms)},
             {"read_committed_records_per_s", rc},
             {"read_uncommitted_records_per_s", ru},
             {"ratio_read_committed", rc / ru}};
  ReportFigures(out, o, f);
  return Status::Ok();
}

}  // namespace rivulet::bench
