// `rivulet transactions`: the transactional ids of a data directory, as
// Kafka's kafka-transactions tool lists and describes them.
#include <cstdio>
#include <string>

#include "log/txn_coordinator.h"
#include "tools/command.h"

namespace rivulet::tools {
namespace {

struct TransactionsFlags {
  Target target;
  bool list = false, describe = false;
  std::string transactional_id;
};

std::string Partitions(const log::TxnDescription& d) {
  std::string out;
  for (const auto& tp : d.partitions) out += (out.empty() ? "" : ",") + tp.ToString();
  return out.empty() ? "-" : out;
}

Status RunTransactions(const TransactionsFlags& f) {
  RIVULET_RETURN_IF_ERROR(f.target.Check());
  if (f.target.remote()) {
    return Status(Errc::kNotSupported,
                  "transactions reads a data directory (--data-dir); over the wire use the "
                  "ListTransactions / DescribeTransactions APIs the broker serves");
  }
  if (f.list == f.describe) return Status(Errc::kInvalidArgument, "give one of --list and --describe");
  if (f.describe && f.transactional_id.empty()) {
    return Status(Errc::kInvalidArgument, "--describe needs --transactional-id");
  }
  RIVULET_ASSIGN_OR_RETURN(auto lm, f.target.Open());
  auto& tc = lm->transactions();
  if (f.list) {
    std::printf("%-32s %-12s %-8s %s\n", "TransactionalId", "ProducerId", "Epoch", "TransactionState");
    for (const auto& d : tc.List()) {
      std::printf("%-32s %-12lld %-8d %s\n", d.transactional_id.c_str(), static_cast<long long>(d.producer_id),
                  d.epoch, log::TxnStateName(d.state));
    }
    return Status::Ok();
  }
  RIVULET_ASSIGN_OR_RETURN(log::TxnDescription d, tc.Describe(f.transactional_id));
  const int64_t duration = d.start_ms >= 0 ? log::NowMs() - d.start_ms : -1;
  std::printf("TransactionalId: %s\nProducerId: %lld\nProducerEpoch: %d\nTransactionState: %s\n"
              "TransactionTimeoutMs: %d\nCurrentTransactionStartTimeMs: %lld\nTransactionDurationMs: %lld\n"
              "TopicPartitions: %s\n",
              d.transactional_id.c_str(), static_cast<long long>(d.producer_id), d.epoch, log::TxnStateName(d.state),
              d.timeout_ms, static_cast<long long>(d.start_ms), static_cast<long long>(duration),
              Partitions(d).c_str());
  return Status::Ok();
}

}  // namespace

void AddTransactionsCommand(CLI::App& app, Action* action) {
  auto f = std::make_shared<TransactionsFlags>();
  CLI::App* cmd = app.add_subcommand("transactions", "list or describe transactional ids (open and past transactions)");
  f->target.AddFlags(cmd);
  cmd->add_flag("--list", f->list, "every transactional id with its producer id, epoch and state");
  cmd->add_flag("--describe", f->describe, "one transactional id (--transactional-id) in detail");
  cmd->add_option("--transactional-id", f->transactional_id, "the transactional id to describe");
  cmd->callback([f, action] { *action = [f] { return RunTransactions(*f); }; });
}

}  // namespace rivulet::tools
