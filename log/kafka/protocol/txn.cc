// Transaction and idempotence API codecs. Each message is written once for
// both encodings through FieldReader / FieldWriter (flexible.h); the
// version decides which.
#include "log/kafka/protocol/txn.h"

#include "log/kafka/protocol/flexible.h"

namespace rivulet::log::kafka {

namespace {

// Topics as (name, [partition]) structs.
std::vector<TopicPartitions> ReadTopicPartitions(FieldReader& f) {
  Reader& r = f.reader();
  std::vector<TopicPartitions> topics;
  const int32_t nt = f.ArrayCount(f.MinLength() + f.MinCount() + f.MinStructEnd());
  for (int32_t i = 0; i < nt && r.ok(); ++i) {
    TopicPartitions t;
    t.name = f.String();
    const int32_t np = f.ArrayCount(4);
    for (int32_t j = 0; j < np && r.ok(); ++j) t.partitions.push_back(r.Int32());
    f.EndStruct();
    topics.push_back(std::move(t));
  }
  return topics;
}

void WriteTopicPartitions(FieldWriter& f, const std::vector<TopicPartitions>& topics) {
  f.ArrayCount(topics.size());
  for (const auto& t : topics) {
    f.String(t.name);
    f.ArrayCount(t.partitions.size());
    for (int32_t p : t.partitions) f.writer().Int32(p);
    f.EndStruct();
  }
}

void WriteTopicPartitionErrors(FieldWriter& f, const std::vector<TopicPartitionErrors>& topics) {
  f.ArrayCount(topics.size());
  for (const auto& t : topics) {
    f.String(t.name);
    f.ArrayCount(t.partitions.size());
    for (const auto& p : t.partitions) {
      f.writer().Int32(p.partition);
      f.writer().Int16(Code(p.error));
      f.EndStruct();
    }
    f.EndStruct();
  }
}

// Throttle time and an error code: AddOffsetsToTxn and EndTxn.
std::string EncodeThrottleAndError(ApiKey key, int16_t version, int32_t throttle_time_ms, ErrorCode error) {
  Writer w;
  FieldWriter f(w, Flexible(key, version));
  w.Int32(throttle_time_ms);
  w.Int16(Code(error));
  f.EndStruct();
  return w.Take();
}

}  // namespace

Result<InitProducerIdRequest> InitProducerIdRequest::Decode(std::string_view body, int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kInitProducerId, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kInitProducerId, version));
  InitProducerIdRequest req;
  req.transactional_id = f.NullableString();
  req.transaction_timeout_ms = r.Int32();
  if (version >= 3) {
    req.producer_id = r.Int64();
    req.producer_epoch = r.Int16();
  }
  f.EndStruct();
  if (!r.ok()) return BadRequest("InitProducerId", r);
  return req;
}

std::string InitProducerIdResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kInitProducerId, version));
  w.Int32(throttle_time_ms);
  w.Int16(Code(error));
  w.Int64(producer_id);
  w.Int16(producer_epoch);
  f.EndStruct();
  return w.Take();
}

Result<AddPartitionsToTxnRequest> AddPartitionsToTxnRequest::Decode(std::string_view body, int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kAddPartitionsToTxn, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kAddPartitionsToTxn, version));
  AddPartitionsToTxnRequest req;
  req.transactional_id = f.String();
  req.producer_id = r.Int64();
  req.producer_epoch = r.Int16();
  req.topics = ReadTopicPartitions(f);
  f.EndStruct();
  if (!r.ok()) return BadRequest("AddPartitionsToTxn", r);
  return req;
}

std::string AddPartitionsToTxnResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kAddPartitionsToTxn, version));
  w.Int32(throttle_time_ms);
  WriteTopicPartitionErrors(f, topics);
  f.EndStruct();
  return w.Take();
}

Result<AddOffsetsToTxnRequest> AddOffsetsToTxnRequest::Decode(std::string_view body, int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kAddOffsetsToTxn, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kAddOffsetsToTxn, version));
  AddOffsetsToTxnRequest req;
  req.transactional_id = f.String();
  req.producer_id = r.Int64();
  req.producer_epoch = r.Int16();
  req.group_id = f.String();
  f.EndStruct();
  if (!r.ok()) return BadRequest("AddOffsetsToTxn", r);
  return req;
}

std::string AddOffsetsToTxnResponse::Encode(int16_t version) const {
  return EncodeThrottleAndError(ApiKey::kAddOffsetsToTxn, version, throttle_time_ms, error);
}

Result<EndTxnRequest> EndTxnRequest::Decode(std::string_view body, int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kEndTxn, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kEndTxn, version));
  EndTxnRequest req;
  req.transactional_id = f.String();
  req.producer_id = r.Int64();
  req.producer_epoch = r.Int16();
  req.committed = r.Bool();
  f.EndStruct();
  if (!r.ok()) return BadRequest("EndTxn", r);
  return req;
}

std::string EndTxnResponse::Encode(int16_t version) const {
  return EncodeThrottleAndError(ApiKey::kEndTxn, version, throttle_time_ms, error);
}

Result<TxnOffsetCommitRequest> TxnOffsetCommitRequest::Decode(std::string_view body, int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kTxnOffsetCommit, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kTxnOffsetCommit, version));
  TxnOffsetCommitRequest req;
  req.transactional_id = f.String();
  req.group_id = f.String();
  req.producer_id = r.Int64();
  req.producer_epoch = r.Int16();
  if (version >= 3) {
    req.generation_id = r.Int32();
    req.member_id = f.String();
    req.group_instance_id = f.NullableString();
  }
  const int32_t nt = f.ArrayCount(f.MinLength() + f.MinCount() + f.MinStructEnd());
  for (int32_t i = 0; i < nt && r.ok(); ++i) {
    Topic t;
    t.name = f.String();
    const size_t partition_bytes = 4 + 8 + (version >= 2 ? 4 : 0) + f.MinLength() + f.MinStructEnd();
    const int32_t np = f.ArrayCount(partition_bytes);
    for (int32_t j = 0; j < np && r.ok(); ++j) {
      Partition p;
      p.partition = r.Int32();
      p.committed_offset = r.Int64();
      if (version >= 2) p.committed_leader_epoch = r.Int32();
      p.committed_metadata = f.NullableString();
      f.EndStruct();
      t.partitions.push_back(std::move(p));
    }
    f.EndStruct();
    req.topics.push_back(std::move(t));
  }
  f.EndStruct();
  if (!r.ok()) return BadRequest("TxnOffsetCommit", r);
  return req;
}

std::string TxnOffsetCommitResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kTxnOffsetCommit, version));
  w.Int32(throttle_time_ms);
  WriteTopicPartitionErrors(f, topics);
  f.EndStruct();
  return w.Take();
}

Result<DescribeProducersRequest> DescribeProducersRequest::Decode(std::string_view body, int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kDescribeProducers, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kDescribeProducers, version));
  DescribeProducersRequest req;
  req.topics = ReadTopicPartitions(f);
  f.EndStruct();
  if (!r.ok()) return BadRequest("DescribeProducers", r);
  return req;
}

std::string DescribeProducersResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kDescribeProducers, version));
  w.Int32(throttle_time_ms);
  f.ArrayCount(topics.size());
  for (const auto& t : topics) {
    f.String(t.name);
    f.ArrayCount(t.partitions.size());
    for (const auto& p : t.partitions) {
      w.Int32(p.partition);
      w.Int16(Code(p.error));
      f.NullableString(p.error_message);
      f.ArrayCount(p.active_producers.size());
      for (const auto& s : p.active_producers) {
        w.Int64(s.producer_id);
        w.Int32(s.producer_epoch);
        w.Int32(s.last_sequence);
        w.Int64(s.last_timestamp);
        w.Int32(s.coordinator_epoch);
        w.Int64(s.current_txn_start_offset);
        f.EndStruct();
      }
      f.EndStruct();
    }
    f.EndStruct();
  }
  f.EndStruct();
  return w.Take();
}

Result<DescribeTransactionsRequest> DescribeTransactionsRequest::Decode(std::string_view body, int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kDescribeTransactions, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kDescribeTransactions, version));
  DescribeTransactionsRequest req;
  const int32_t n = f.ArrayCount(f.MinLength());
  for (int32_t i = 0; i < n && r.ok(); ++i) req.transactional_ids.push_back(f.String());
  f.EndStruct();
  if (!r.ok()) return BadRequest("DescribeTransactions", r);
  return req;
}

std::string DescribeTransactionsResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kDescribeTransactions, version));
  w.Int32(throttle_time_ms);
  f.ArrayCount(transactions.size());
  for (const auto& t : transactions) {
    w.Int16(Code(t.error));
    f.String(t.transactional_id);
    f.String(t.state);
    w.Int32(t.transaction_timeout_ms);
    w.Int64(t.transaction_start_time_ms);
    w.Int64(t.producer_id);
    w.Int16(t.producer_epoch);
    WriteTopicPartitions(f, t.topics);
    f.EndStruct();
  }
  f.EndStruct();
  return w.Take();
}

Result<ListTransactionsRequest> ListTransactionsRequest::Decode(std::string_view body, int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kListTransactions, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kListTransactions, version));
  ListTransactionsRequest req;
  const int32_t ns = f.ArrayCount(f.MinLength());
  for (int32_t i = 0; i < ns && r.ok(); ++i) req.state_filters.push_back(f.String());
  const int32_t np = f.ArrayCount(8);
  for (int32_t i = 0; i < np && r.ok(); ++i) req.producer_id_filters.push_back(r.Int64());
  f.EndStruct();
  if (!r.ok()) return BadRequest("ListTransactions", r);
  return req;
}

std::string ListTransactionsResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kListTransactions, version));
  w.Int32(throttle_time_ms);
  w.Int16(Code(error));
  f.ArrayCount(unknown_state_filters.size());
  for (const auto& s : unknown_state_filters) f.String(s);
  f.ArrayCount(transactions.size());
  for (const auto& t : transactions) {
    f.String(t.transactional_id);
    w.Int64(t.producer_id);
    f.String(t.state);
    f.EndStruct();
  }
  f.EndStruct();
  return w.Take();
}

// ---- The client side of the admin APIs (rivulet transactions --bootstrap-server) ----

std::string DescribeTransactionsRequest::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kDescribeTransactions, version));
  f.ArrayCount(transactional_ids.size());
  for (const auto& id : transactional_ids) f.String(id);
  f.EndStruct();
  return w.Take();
}

Result<DescribeTransactionsResponse> DescribeTransactionsResponse::Decode(std::string_view body, int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kDescribeTransactions, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kDescribeTransactions, version));
  DescribeTransactionsResponse resp;
  resp.throttle_time_ms = r.Int32();
  const int32_t n = f.ArrayCount(2 + 2 * f.MinLength() + 22 + f.MinCount() + f.MinStructEnd());
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    Transaction t;
    t.error = static_cast<ErrorCode>(r.Int16());
    t.transactional_id = f.String();
    t.state = f.String();
    t.transaction_timeout_ms = r.Int32();
    t.transaction_start_time_ms = r.Int64();
    t.producer_id = r.Int64();
    t.producer_epoch = r.Int16();
    t.topics = ReadTopicPartitions(f);
    f.EndStruct();
    resp.transactions.push_back(std::move(t));
  }
  f.EndStruct();
  if (!r.ok()) return Status(Errc::kCorruption, std::string("DescribeTransactions response: ") + r.error());
  return resp;
}

std::string ListTransactionsRequest::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kListTransactions, version));
  f.ArrayCount(state_filters.size());
  for (const auto& s : state_filters) f.String(s);
  f.ArrayCount(producer_id_filters.size());
  for (int64_t p : producer_id_filters) w.Int64(p);
  f.EndStruct();
  return w.Take();
}

Result<ListTransactionsResponse> ListTransactionsResponse::Decode(std::string_view body, int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kListTransactions, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kListTransactions, version));
  ListTransactionsResponse resp;
  resp.throttle_time_ms = r.Int32();
  resp.error = static_cast<ErrorCode>(r.Int16());
  const int32_t nu = f.ArrayCount(f.MinLength());
  for (int32_t i = 0; i < nu && r.ok(); ++i) resp.unknown_state_filters.push_back(f.String());
  const int32_t n = f.ArrayCount(2 * f.MinLength() + 8 + f.MinStructEnd());
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    Transaction t;
    t.transactional_id = f.String();
    t.producer_id = r.Int64();
    t.state = f.String();
    f.EndStruct();
    resp.transactions.push_back(std::move(t));
  }
  f.EndStruct();
  if (!r.ok()) return Status(Errc::kCorruption, std::string("ListTransactions response: ") + r.error());
  return resp;
}

}  // namespace rivulet::log::kafka
