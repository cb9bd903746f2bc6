// Transactions and idempotent producers: InitProducerId (22, v0-4),
// AddPartitionsToTxn (24, v0-3), AddOffsetsToTxn (25, v0-3), EndTxn (26,
// v0-3), TxnOffsetCommit (28, v0-3), and the admin APIs DescribeProducers
// (61, v0), DescribeTransactions (65, v0), ListTransactions (66, v0).
// Codecs only: requests decoded, responses encoded, each for the version
// given, flexible ones (compact encodings, tagged fields) included.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "log/kafka/protocol/api.h"
#include "log/kafka/protocol/errors.h"

namespace rivulet::log::kafka {

// The versions each codec here implements are those SupportedApis() lists.

// Every Decode below returns kNotSupported for a version outside its range
// and kCorruption for malformed bytes; Encode trusts its version.

// A topic and some of its partitions.
struct TopicPartitions {
  std::string name;
  std::vector<int32_t> partitions;
};

// A topic's per-partition results.
struct TopicPartitionErrors {
  struct Partition {
    int32_t partition = 0;
    ErrorCode error = ErrorCode::kNone;
  };
  std::string name;
  std::vector<Partition> partitions;
};

struct InitProducerIdRequest {
  std::optional<std::string> transactional_id;  // nullopt: idempotence only
  int32_t transaction_timeout_ms = 0;
  // v3+: the producer's current id and epoch, when it re-initialises
  // after an error; -1 when new (and before v3).
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  static Result<InitProducerIdRequest> Decode(std::string_view body, int16_t version);
};

struct InitProducerIdResponse {
  int32_t throttle_time_ms = 0;
  ErrorCode error = ErrorCode::kNone;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  std::string Encode(int16_t version) const;
};

struct AddPartitionsToTxnRequest {
  std::string transactional_id;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  std::vector<TopicPartitions> topics;
  static Result<AddPartitionsToTxnRequest> Decode(std::string_view body, int16_t version);
};

struct AddPartitionsToTxnResponse {
  int32_t throttle_time_ms = 0;
  std::vector<TopicPartitionErrors> topics;
  std::string Encode(int16_t version) const;
};

struct AddOffsetsToTxnRequest {
  std::string transactional_id;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  std::string group_id;
  static Result<AddOffsetsToTxnRequest> Decode(std::string_view body, int16_t version);
};

struct AddOffsetsToTxnResponse {
  int32_t throttle_time_ms = 0;
  ErrorCode error = ErrorCode::kNone;
  std::string Encode(int16_t version) const;
};

struct EndTxnRequest {
  std::string transactional_id;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  bool committed = false;  // false: abort
  static Result<EndTxnRequest> Decode(std::string_view body, int16_t version);
};

struct EndTxnResponse {
  int32_t throttle_time_ms = 0;
  ErrorCode error = ErrorCode::kNone;
  std::string Encode(int16_t version) const;
};

struct TxnOffsetCommitRequest {
  struct Partition {
    int32_t partition = 0;
    int64_t committed_offset = 0;
    int32_t committed_leader_epoch = -1;  // v2+
    std::optional<std::string> committed_metadata;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  std::string transactional_id;
  std::string group_id;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  // v3+: the consumer's group membership, checked by the coordinator.
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::vector<Topic> topics;
  static Result<TxnOffsetCommitRequest> Decode(std::string_view body, int16_t version);
};

struct TxnOffsetCommitResponse {
  int32_t throttle_time_ms = 0;
  std::vector<TopicPartitionErrors> topics;
  std::string Encode(int16_t version) const;
};

struct DescribeProducersRequest {
  std::vector<TopicPartitions> topics;
  static Result<DescribeProducersRequest> Decode(std::string_view body, int16_t version);
};

struct DescribeProducersResponse {
  struct Producer {
    int64_t producer_id = -1;
    int32_t producer_epoch = -1;  // int32 on this API's wire
    int32_t last_sequence = -1;
    int64_t last_timestamp = -1;
    int32_t coordinator_epoch = -1;
    int64_t current_txn_start_offset = -1;  // -1: no open transaction
  };
  struct Partition {
    int32_t partition = 0;
    ErrorCode error = ErrorCode::kNone;
    std::optional<std::string> error_message;
    std::vector<Producer> active_producers;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;
  std::string Encode(int16_t version) const;
};

struct DescribeTransactionsRequest {
  std::vector<std::string> transactional_ids;
  static Result<DescribeTransactionsRequest> Decode(std::string_view body, int16_t version);
  std::string Encode(int16_t version) const;  // client side (rivulet transactions)
};

struct DescribeTransactionsResponse {
  struct Transaction {
    ErrorCode error = ErrorCode::kNone;
    std::string transactional_id;
    std::string state;  // Kafka's names: "Ongoing", "PrepareCommit", "CompleteAbort", ...
    int32_t transaction_timeout_ms = 0;
    int64_t transaction_start_time_ms = -1;
    int64_t producer_id = -1;
    int16_t producer_epoch = -1;
    std::vector<TopicPartitions> topics;  // partitions in the transaction
  };
  int32_t throttle_time_ms = 0;
  std::vector<Transaction> transactions;
  std::string Encode(int16_t version) const;
  static Result<DescribeTransactionsResponse> Decode(std::string_view body, int16_t version);  // client side
};

struct ListTransactionsRequest {
  std::vector<std::string> state_filters;  // empty: every state
  std::vector<int64_t> producer_id_filters;  // empty: every producer
  static Result<ListTransactionsRequest> Decode(std::string_view body, int16_t version);
  std::string Encode(int16_t version) const;  // client side
};

struct ListTransactionsResponse {
  struct Transaction {
    std::string transactional_id;
    int64_t producer_id = -1;
    std::string state;
  };
  int32_t throttle_time_ms = 0;
  ErrorCode error = ErrorCode::kNone;
  std::vector<std::string> unknown_state_filters;  // filters naming no known state
  std::vector<Transaction> transactions;
  std::string Encode(int16_t version) const;
  static Result<ListTransactionsResponse> Decode(std::string_view body, int16_t version);  // client side
};

}  // namespace rivulet::log::kafka
