// `rivulet transactions`: the transactional ids of a data directory or of
// a running broker (ListTransactions / DescribeTransactions over the
// wire), as Kafka's kafka-transactions tool lists and describes them.
#include <cstdio>
#include <string>
#include <vector>

#include "log/kafka/protocol/txn.h"
#include "log/txn_coordinator.h"
#include "tools/command.h"
#include "tools/kafka_request.h"

namespace rivulet::tools {
namespace {

struct TransactionsFlags {
  Target target;
  bool list = false, describe = false;
  std::string transactional_id;
};

// What both sources give, printed the same way.
struct Row {
  std::string id, state, partitions = "-";
  int64_t producer_id = -1, start_ms = -1;
  int32_t epoch = -1, timeout_ms = 0;
};

void PrintList(const std::vector<Row>& rows) {
  std::printf("%-32s %-12s %s\n", "TransactionalId", "ProducerId", "TransactionState");
  for (const auto& r : rows) {
    std::printf("%-32s %-12lld %s\n", r.id.c_str(), static_cast<long long>(r.producer_id), r.state.c_str());
  }
}

void PrintDescription(const Row& d) {
  const int64_t duration = d.start_ms >= 0 ? log::NowMs() - d.start_ms : -1;
  std::printf("TransactionalId: %s\nProducerId: %lld\nProducerEpoch: %d\nTransactionState: %s\n"
              "TransactionTimeoutMs: %d\nCurrentTransactionStartTimeMs: %lld\nTransactionDurationMs: %lld\n"
              "TopicPartitions: %s\n",
              d.id.c_str(), static_cast<long long>(d.producer_id), d.epoch, d.state.c_str(), d.timeout_ms,
              static_cast<long long>(d.start_ms), static_cast<long long>(duration), d.partitions.c_str());
}

void AddPartition(Row& r, const std::string& name) {
  r.partitions = (r.partitions == "-" ? "" : r.partitions + ",") + name;
}

Row FromLog(const log::TxnDescription& d) {
  Row r{d.transactional_id, log::TxnStateName(d.state), "-", d.producer_id, d.start_ms, d.epoch, d.timeout_ms};
  for (const auto& tp : d.partitions) AddPartition(r, tp.ToString());
  return r;
}

Status RunRemote(const TransactionsFlags& f) {
  namespace k = log::kafka;
  if (f.list) {
    RIVULET_ASSIGN_OR_RETURN(std::string body,
                             KafkaRequest(f.target.bootstrap, static_cast<int16_t>(k::ApiKey::kListTransactions), 0,
                                          k::ListTransactionsRequest{}.Encode(0), 10000, f.target.client));
    RIVULET_ASSIGN_OR_RETURN(auto resp, k::ListTransactionsResponse::Decode(body, 0));
    if (resp.error != k::ErrorCode::kNone) {
      return Status(Errc::kIoError, "ListTransactions failed with Kafka error " + std::to_string(k::Code(resp.error)));
    }
    std::vector<Row> rows;
    for (const auto& t : resp.transactions) rows.push_back(Row{t.transactional_id, t.state, "-", t.producer_id});
    PrintList(rows);
    return Status::Ok();
  }
  k::DescribeTransactionsRequest req;
  req.transactional_ids = {f.transactional_id};
  RIVULET_ASSIGN_OR_RETURN(std::string body,
                           KafkaRequest(f.target.bootstrap, static_cast<int16_t>(k::ApiKey::kDescribeTransactions), 0,
                                        req.Encode(0), 10000, f.target.client));
  RIVULET_ASSIGN_OR_RETURN(auto resp, k::DescribeTransactionsResponse::Decode(body, 0));
  if (resp.transactions.size() != 1) return Status(Errc::kCorruption, "DescribeTransactions: no answer for the id");
  const auto& t = resp.transactions[0];
  if (t.error == k::ErrorCode::kTransactionalIdNotFound) {
    return Status(Errc::kNotFound, "unknown transactional id '" + f.transactional_id + "'");
  }
  if (t.error != k::ErrorCode::kNone) {
    return Status(Errc::kIoError, "DescribeTransactions failed with Kafka error " + std::to_string(k::Code(t.error)));
  }
  Row r{t.transactional_id, t.state, "-", t.producer_id, t.transaction_start_time_ms, t.producer_epoch,
        t.transaction_timeout_ms};
  for (const auto& tp : t.topics) {
    for (int32_t p : tp.partitions) AddPartition(r, tp.name + "-" + std::to_string(p));
  }
  PrintDescription(r);
  return Status::Ok();
}

Status RunTransactions(TransactionsFlags& f) {
  if (f.list == f.describe) return Status(Errc::kInvalidArgument, "give one of --list and --describe");
  if (f.describe && f.transactional_id.empty()) {
    return Status(Errc::kInvalidArgument, "--describe needs --transactional-id");
  }
  RIVULET_RETURN_IF_ERROR(f.target.Resolve());
  if (f.target.remote()) return RunRemote(f);
  RIVULET_ASSIGN_OR_RETURN(auto lm, f.target.Open());
  auto& tc = lm->transactions();
  if (f.list) {
    std::vector<Row> rows;
    for (const auto& d : tc.List()) rows.push_back(FromLog(d));
    PrintList(rows);
    return Status::Ok();
  }
  RIVULET_ASSIGN_OR_RETURN(log::TxnDescription d, tc.Describe(f.transactional_id));
  PrintDescription(FromLog(d));
  return Status::Ok();
}

}  // namespace

void AddTransactionsCommand(CLI::App& app, Action* action) {
  auto f = std::make_shared<TransactionsFlags>();
  CLI::App* cmd = app.add_subcommand("transactions", "list or describe transactional ids (open and past transactions)");
  f->target.AddFlags(cmd);
  cmd->add_flag("--list", f->list, "every transactional id with its producer id and state");
  cmd->add_flag("--describe", f->describe, "one transactional id (--transactional-id) in detail");
  cmd->add_option("--transactional-id", f->transactional_id, "the transactional id to describe");
  cmd->callback([f, action] { *action = [f] { return NameBroker(RunTransactions(*f), f->target); }; });
}

}  // namespace rivulet::tools
