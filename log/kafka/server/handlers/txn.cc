// Idempotence and transactions over the wire: each API maps onto the log's
// transaction coordinator (log/txn_coordinator.h) and partitions; nothing
// transactional lives in the broker. With an authorizer every API of a
// transaction needs Write on its transactional id
// (TRANSACTIONAL_ID_AUTHORIZATION_FAILED), and on what it touches: Write
// on the topics it adds, Read on the group and topics whose offsets it
// commits. An idempotent producer needs IdempotentWrite on the cluster or
// Write on some topic (KIP-679).
#include <set>

#include "log/group_coordinator.h"
#include "log/kafka/protocol/txn.h"
#include "log/kafka/server/handler.h"
#include "log/partition.h"
#include "log/txn_coordinator.h"

namespace rivulet::log::kafka {
namespace {

ErrorCode TxnError(const Status& st) {
  if (st.ok()) return ErrorCode::kNone;
  // The coordinator's "unknown transactional id" and "unknown partition"
  // share kNotFound; a producer that never ran InitProducerId is the
  // mapping error Kafka answers.
  if (st.code() == Errc::kNotFound && st.message().starts_with("unknown transactional id")) {
    return ErrorCode::kInvalidProducerIdMapping;
  }
  return ToKafkaError(st.code());
}

ProducerIdAndEpoch Producer(int64_t id, int16_t epoch) { return ProducerIdAndEpoch{id, epoch}; }

}  // namespace

void HandleInitProducerId(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = InitProducerIdRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  InitProducerIdResponse resp;
  if (req->transactional_id ? !Authorized(ctx, AclOperation::kWrite, ResourceType::kTransactionalId,
                                          *req->transactional_id)
                            : !MayWriteIdempotently(ctx)) {
    resp.error = req->transactional_id ? ErrorCode::kTransactionalIdAuthorizationFailed
                                       : ErrorCode::kClusterAuthorizationFailed;
    return respond(resp.Encode(version));
  }
  auto r = ctx.log->transactions().InitProducerId(req->transactional_id, req->transaction_timeout_ms);
  if (r.ok()) {
    resp.producer_id = r->id;
    resp.producer_epoch = r->epoch;
  } else {
    resp.error = TxnError(r.status());
  }
  respond(resp.Encode(version));
}

void HandleAddPartitionsToTxn(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = AddPartitionsToTxnRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  std::vector<TopicPartition> tps;
  std::set<std::string> denied;
  for (const auto& t : req->topics) {
    if (!Authorized(ctx, AclOperation::kWrite, ResourceType::kTopic, t.name)) denied.insert(t.name);
    for (int32_t p : t.partitions) tps.push_back({t.name, p});
  }
  const bool txn_denied = !Authorized(ctx, AclOperation::kWrite, ResourceType::kTransactionalId,
                                      req->transactional_id);
  Status st = txn_denied || !denied.empty()
                  ? Status::Ok()
                  : ctx.log->transactions().AddPartitions(req->transactional_id,
                                                          Producer(req->producer_id, req->producer_epoch), tps);
  // One outcome for all: the coordinator adds all of them or none.
  ErrorCode e = txn_denied ? ErrorCode::kTransactionalIdAuthorizationFailed : TxnError(st);
  if (st.code() == Errc::kNotFound && !st.message().starts_with("unknown transactional id")) {
    e = ErrorCode::kUnknownTopicOrPartition;
  }
  AddPartitionsToTxnResponse resp;
  for (const auto& t : req->topics) {
    TopicPartitionErrors rt;
    rt.name = t.name;
    for (int32_t p : t.partitions) {
      // Kafka marks the partitions that were fine as aborted by the others' failure.
      ErrorCode pe = e;
      if (e == ErrorCode::kUnknownTopicOrPartition && ctx.log->GetPartition({t.name, p}).ok()) {
        pe = ErrorCode::kOperationNotAttempted;
      }
      if (!txn_denied && !denied.empty()) {
        pe = denied.count(t.name) ? ErrorCode::kTopicAuthorizationFailed : ErrorCode::kOperationNotAttempted;
      }
      rt.partitions.push_back({p, pe});
    }
    resp.topics.push_back(std::move(rt));
  }
  respond(resp.Encode(version));
}

void HandleAddOffsetsToTxn(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = AddOffsetsToTxnRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  AddOffsetsToTxnResponse resp;
  if (!Authorized(ctx, AclOperation::kWrite, ResourceType::kTransactionalId, req->transactional_id)) {
    resp.error = ErrorCode::kTransactionalIdAuthorizationFailed;
  } else if (!Authorized(ctx, AclOperation::kRead, ResourceType::kGroup, req->group_id)) {
    resp.error = ErrorCode::kGroupAuthorizationFailed;
  } else {
    resp.error = TxnError(ctx.log->transactions().AddOffsets(req->transactional_id,
                                                             Producer(req->producer_id, req->producer_epoch),
                                                             req->group_id));
  }
  respond(resp.Encode(version));
}

void HandleTxnOffsetCommit(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = TxnOffsetCommitRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  std::vector<std::pair<TopicPartition, CommittedOffset>> offsets;
  for (const auto& t : req->topics) {
    for (const auto& p : t.partitions) {
      offsets.push_back({{t.name, p.partition}, CommittedOffset{p.committed_offset, p.committed_metadata.value_or(""), 0}});
    }
  }
  std::set<std::string> denied;
  for (const auto& t : req->topics) {
    if (!Authorized(ctx, AclOperation::kRead, ResourceType::kTopic, t.name)) denied.insert(t.name);
  }
  ErrorCode e = ErrorCode::kNone;
  if (!Authorized(ctx, AclOperation::kWrite, ResourceType::kTransactionalId, req->transactional_id)) {
    e = ErrorCode::kTransactionalIdAuthorizationFailed;
  } else if (!Authorized(ctx, AclOperation::kRead, ResourceType::kGroup, req->group_id)) {
    e = ErrorCode::kGroupAuthorizationFailed;
  } else if (denied.empty()) {
    // v3+ carries the consumer's group metadata: checked as KIP-447 does.
    e = TxnError(ctx.log->transactions().TxnOffsetCommit(req->transactional_id,
                                                         Producer(req->producer_id, req->producer_epoch),
                                                         req->group_id, offsets, req->member_id,
                                                         req->generation_id));
  }
  TxnOffsetCommitResponse resp;
  for (const auto& t : req->topics) {
    TopicPartitionErrors rt;
    rt.name = t.name;
    const ErrorCode te = e != ErrorCode::kNone || denied.empty() ? e
                         : denied.count(t.name)                  ? ErrorCode::kTopicAuthorizationFailed
                                                                 : ErrorCode::kOperationNotAttempted;
    for (const auto& p : t.partitions) rt.partitions.push_back({p.partition, te});
    resp.topics.push_back(std::move(rt));
  }
  respond(resp.Encode(version));
}

void HandleEndTxn(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = EndTxnRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  EndTxnResponse resp;
  if (!Authorized(ctx, AclOperation::kWrite, ResourceType::kTransactionalId, req->transactional_id)) {
    resp.error = ErrorCode::kTransactionalIdAuthorizationFailed;
    return respond(resp.Encode(version));
  }
  resp.error = TxnError(ctx.log->transactions().EndTxn(
      req->transactional_id, Producer(req->producer_id, req->producer_epoch), req->committed));
  WakeFetches();  // markers move the last stable offset
  respond(resp.Encode(version));
}

void HandleDescribeProducers(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = DescribeProducersRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  DescribeProducersResponse resp;
  for (const auto& t : req->topics) {
    DescribeProducersResponse::Topic rt;
    rt.name = t.name;
    for (int32_t p : t.partitions) {
      DescribeProducersResponse::Partition rp;
      rp.partition = p;
      auto part = ctx.log->GetPartition({t.name, p});
      if (!Authorized(ctx, AclOperation::kRead, ResourceType::kTopic, t.name)) {
        rp.error = ErrorCode::kTopicAuthorizationFailed;
      } else if (!part.ok()) {
        rp.error = ErrorCode::kUnknownTopicOrPartition;
        rp.error_message = part.status().message();
      } else {
        for (const auto& d : (*part)->DescribeProducers()) {
          rp.active_producers.push_back({d.producer_id, d.epoch, d.last_sequence, d.last_timestamp,
                                         d.coordinator_epoch, d.current_txn_start_offset});
        }
      }
      rt.partitions.push_back(std::move(rp));
    }
    resp.topics.push_back(std::move(rt));
  }
  respond(resp.Encode(version));
}

void HandleDescribeTransactions(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = DescribeTransactionsRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  DescribeTransactionsResponse resp;
  for (const auto& id : req->transactional_ids) {
    DescribeTransactionsResponse::Transaction rt;
    rt.transactional_id = id;
    auto d = ctx.log->transactions().Describe(id);
    if (!Authorized(ctx, AclOperation::kDescribe, ResourceType::kTransactionalId, id)) {
      rt.error = ErrorCode::kTransactionalIdAuthorizationFailed;
    } else if (!d.ok()) {
      rt.error = ErrorCode::kTransactionalIdNotFound;
    } else {
      rt.state = TxnStateName(d->state);
      rt.transaction_timeout_ms = d->timeout_ms;
      rt.transaction_start_time_ms = d->start_ms;
      rt.producer_id = d->producer_id;
      rt.producer_epoch = d->epoch;
      for (const auto& tp : d->partitions) {
        auto it = std::find_if(rt.topics.begin(), rt.topics.end(), [&](const auto& t) { return t.name == tp.topic; });
        if (it == rt.topics.end()) it = rt.topics.insert(rt.topics.end(), TopicPartitions{tp.topic, {}});
        it->partitions.push_back(tp.partition);
      }
    }
    resp.transactions.push_back(std::move(rt));
  }
  respond(resp.Encode(version));
}

void HandleListTransactions(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = ListTransactionsRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  ListTransactionsResponse resp;
  static const char* kStates[] = {"Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit",
                                  "CompleteAbort"};
  for (const auto& f : req->state_filters) {
    if (std::find(std::begin(kStates), std::end(kStates), f) == std::end(kStates)) {
      resp.unknown_state_filters.push_back(f);
    }
  }
  for (const auto& d : ctx.log->transactions().List()) {
    const std::string state = TxnStateName(d.state);
    const auto& sf = req->state_filters;
    const auto& pf = req->producer_id_filters;
    if (!sf.empty() && std::find(sf.begin(), sf.end(), state) == sf.end()) continue;
    if (!pf.empty() && std::find(pf.begin(), pf.end(), d.producer_id) == pf.end()) continue;
    if (!Authorized(ctx, AclOperation::kDescribe, ResourceType::kTransactionalId, d.transactional_id)) continue;
    resp.transactions.push_back({d.transactional_id, d.producer_id, state});
  }
  respond(resp.Encode(version));
}

}  // namespace rivulet::log::kafka
