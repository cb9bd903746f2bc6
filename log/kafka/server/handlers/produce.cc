// Produce: validates each partition's batches (framing, magic 2, CRC) and
// appends them as they are, compressed or not; offsets are assigned by the
// log. acks=all is answered once the records are appended (durable under
// the topic's flush policy); acks=0 gets no response (see broker.cc).
// Idempotent batches are checked by the log (a retry is answered with its
// original offset); a transactional batch is refused unless its partition
// is in the producer's open transaction (KIP-890). With an authorizer:
// Write on each topic (TOPIC_AUTHORIZATION_FAILED) and on the
// transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED for all). The
// request's bytes count against the user's produce quota (quota.h).
#include "log/kafka/protocol/produce.h"
#include "log/kafka/server/handler.h"
#include "log/kafka/server/quota.h"
#include "log/partition.h"
#include "log/record_batch.h"
#include "log/topic_config.h"
#include "log/txn_coordinator.h"

namespace rivulet::log::kafka {
namespace {

// For a transactional data batch at the front of `records`: whether its
// producer's open transaction holds `tp` (anything else passes here; the
// append validates the rest).
Status VerifyTransactional(RequestContext& ctx, std::string_view records, const TopicPartition& tp) {
  auto h = ParseBatchHeader(std::span<const char>(records.data(), records.size()));
  if (!h.ok() || !h->is_transactional() || h->is_control()) return Status::Ok();
  return ctx.log->transactions().VerifyTransactionalWrite({h->producer_id, h->producer_epoch}, tp);
}

}  // namespace

void HandleProduce(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = ProduceRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  const bool acks_ok = req->acks == 0 || req->acks == 1 || req->acks == -1;
  ProduceResponse resp;
  std::string scratch;
  const bool txn_denied =
      req->transactional_id &&
      !Authorized(ctx, AclOperation::kWrite, ResourceType::kTransactionalId, *req->transactional_id);
  for (const auto& t : req->topics) {
    ProduceResponse::Topic rt;
    rt.name = t.name;
    const bool valid_name = ValidateTopicName(t.name).ok();
    const bool may_write = !txn_denied && Authorized(ctx, AclOperation::kWrite, ResourceType::kTopic, t.name);
    Result<int32_t> count = valid_name && may_write
                                ? ctx.log->PartitionCount(t.name, /*auto_create=*/MayCreateTopic(ctx, t.name))
                                : Result<int32_t>(Status(Errc::kInvalidArgument, "bad name"));
    for (const auto& p : t.partitions) {
      ProduceResponse::Partition rp;
      rp.index = p.index;
      auto fail = [&](ErrorCode e, std::string msg) {
        rp.error = e;
        rp.error_message = std::move(msg);
      };
      if (!acks_ok) {
        fail(ErrorCode::kInvalidRequiredAcks, "acks must be 0, 1 or -1");
      } else if (txn_denied) {
        fail(ErrorCode::kTransactionalIdAuthorizationFailed, "not authorized to write as this transactional id");
      } else if (!may_write) {
        fail(ErrorCode::kTopicAuthorizationFailed, "not authorized to write to topic " + t.name);
      } else if (!valid_name) {
        fail(ErrorCode::kInvalidTopicException, "invalid topic name");
      } else if (!count.ok() || p.index < 0 || p.index >= *count) {
        fail(ErrorCode::kUnknownTopicOrPartition, "unknown topic or partition");
      } else if (!p.records || p.records->size() <= kMagicPos) {
        fail(ErrorCode::kCorruptMessage, "no record batch");
      } else if ((*p.records)[kMagicPos] != kMagicV2) {
        fail(ErrorCode::kUnsupportedForMessageFormat, "only RecordBatch v2 (magic 2) is supported");
      } else if (Status v = VerifyTransactional(ctx, *p.records, {t.name, p.index}); !v.ok()) {
        // KIP-890: a transactional write must follow AddPartitionsToTxn.
        fail(ToKafkaError(v.code()), v.message());
      } else {
        scratch.assign(p.records->data(), p.records->size());
        auto info = ctx.log->Append({t.name, p.index}, std::span<char>(scratch.data(), scratch.size()),
                                    /*validate=*/true);
        if (info.ok()) {
          rp.base_offset = info->base_offset;
          rp.log_append_time_ms = info->log_append_time;
          auto part = ctx.log->GetPartition({t.name, p.index});
          if (part.ok()) rp.log_start_offset = (*part)->log_start_offset();
        } else {
          fail(ToKafkaError(info.status().code()), info.status().message());
        }
      }
      rt.partitions.push_back(std::move(rp));
    }
    resp.topics.push_back(std::move(rt));
  }
  WakeFetches();
  if (ctx.quotas && ctx.quotas->enabled()) {
    resp.throttle_time_ms = ctx.quotas->Record(ByteRateQuotas::Kind::kProduce, QuotaUser(ctx),
                                               static_cast<int64_t>(ctx.body.size()));
    ctx.session->throttle_ms = resp.throttle_time_ms;
  }
  // acks=0: the server drops this response (see broker.cc).
  respond(resp.Encode(version));
}

}  // namespace rivulet::log::kafka
