// The kafka connector's client layer: producer, consumer and admin over
// librdkafka, against any Kafka-protocol cluster (Apache Kafka, Redpanda,
// or `rivulet broker`). The tools use it for --bootstrap-server; jobs will
// use it to read and write real clusters. Errors come back as Status with
// librdkafka's message.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace rivulet::connectors::kafka {

// librdkafka settings (key=value as in librdkafka's CONFIGURATION.md).
using Config = std::map<std::string, std::string>;

// A record header: a key and a value that may be null, in the record's order.
struct Header {
  std::string key;
  std::optional<std::string> value;
  bool operator==(const Header&) const = default;
};

struct Message {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp = -1;  // ms since the epoch; -1 when the broker gave none
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<Header> headers;
};

struct PartitionInfo {
  int32_t partition = 0;
  int64_t low = 0;   // earliest offset
  int64_t high = 0;  // log end offset
};

struct GroupMemberInfo {
  std::string member_id;
  std::string client_id;
  std::string client_host;
  std::string assignment;  // ConsumerProtocol Assignment bytes
};

struct GroupInfo {
  std::string group;
  std::string state;
  std::string protocol_type;
  std::string protocol;
  std::vector<GroupMemberInfo> members;
};

class Producer {
 public:
  static Result<std::unique_ptr<Producer>> Open(const std::string& bootstrap, Config config = {});
  ~Producer();
  // Queues a record (partition -1: librdkafka's murmur2_random partitioner,
  // which matches Kafka's Java client for keyed records).
  Status Send(const std::string& topic, const std::optional<std::string>& key, const std::string& value,
              int32_t partition = -1);
  // The same with a CreateTime `timestamp` (ms since the epoch; < 0: now)
  // and `headers`.
  Status Send(const std::string& topic, const std::optional<std::string>& key, const std::string& value,
              int32_t partition, int64_t timestamp, const std::vector<Header>& headers);
  // Waits until everything queued is delivered; returns the first delivery
  // error seen since the last Flush.
  Status Flush(std::chrono::milliseconds timeout);
  // Looks `topic` up now, so that the first Send to it does not wait for
  // librdkafka's metadata refresh (about a second in 2.0, which a commit
  // right after the Send would wait for too).
  Status LoadMetadata(const std::string& topic, std::chrono::milliseconds timeout);

  // Transactions (a producer opened with `transactional.id` set; each call
  // waits at most `timeout`, retrying what librdkafka calls retriable).
  // InitTransactions registers the id and fences any earlier producer of
  // it: the broker aborts that producer's open transaction.
  Status InitTransactions(std::chrono::milliseconds timeout);
  Status BeginTransaction();
  // Commits `offset` (with `metadata`) for `group` on topic/partition in
  // the open transaction: visible together with its records or not at all.
  // The group needs no members (generation -1, as a simple consumer's).
  Status SendOffsetsToTransaction(const std::string& group, const std::string& topic, int32_t partition,
                                  int64_t offset, const std::string& metadata, std::chrono::milliseconds timeout);
  // Flushes and commits. A failure that leaves the transaction abortable
  // (e.g. a refused delivery) aborts it and returns kInvalidTxnState; a
  // fenced producer gets kProducerFenced and can only be destroyed.
  Status CommitTransaction(std::chrono::milliseconds timeout);
  Status AbortTransaction(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Consumer {
 public:
  // With a non-empty `group`, Subscribe() joins it and offsets are committed
  // automatically (enable.auto.commit); `reset` is "earliest" or "latest".
  static Result<std::unique_ptr<Consumer>> Open(const std::string& bootstrap, const std::string& group,
                                                const std::string& reset, Config config = {});
  ~Consumer();
  Status Subscribe(const std::vector<std::string>& topics);
  // Assigns partitions starting at `offset` (-2 beginning, -1 end, or an offset).
  Status Assign(const std::string& topic, const std::vector<int32_t>& partitions, int64_t offset);
  // Assigns `topic`'s partitions each at its own offset (partition -> offset).
  Status Assign(const std::string& topic, const std::map<int32_t, int64_t>& offsets);
  // The number of partitions of `topic` (kNotFound when it does not exist).
  Result<int32_t> PartitionCount(const std::string& topic, std::chrono::milliseconds timeout);
  // The earliest and the end offset of a partition (the end is the last
  // stable offset for a read_committed consumer).
  Result<std::pair<int64_t, int64_t>> Watermarks(const std::string& topic, int32_t partition,
                                                 std::chrono::milliseconds timeout);
  // The partitions the consumer has now (its group's assignment, or Assign).
  std::vector<int32_t> AssignedPartitions();
  struct PartitionProgress {
    int32_t partition = 0;
    int64_t position = -1;  // the offset after the last message Poll returned; -1 before the first
    int64_t end = -1;       // the end offset as last fetched (high watermark); -1 before the first fetch
  };
  // Each partition of `topic` assigned now, with the consumer's position
  // and the partition's end. Asks the cluster nothing (librdkafka's cached
  // values), but copies the assignment: meant for a few times a second.
  std::vector<PartitionProgress> Progress(const std::string& topic);
  // The next message, nullopt after `timeout` with none; errors other than
  // end-of-partition come back as non-ok.
  Result<std::optional<Message>> Poll(std::chrono::milliseconds timeout);
  // Marks `m` processed: its next offset is committed by auto-commit and on
  // Close (at-least-once: only what the caller has handled).
  Status StoreOffset(const Message& m);
  // The same for several partitions of `topic` at once: partition -> the
  // next offset to read (the last handled + 1).
  Status StoreOffsets(const std::string& topic, const std::map<int32_t, int64_t>& next);
  // Commits `next` (partition -> next offset) to the group, with or without
  // waiting; an asynchronous commit that fails is logged (connectors logger).
  Status Commit(const std::string& topic, const std::map<int32_t, int64_t>& next, bool async);
  // The group's committed offsets of `topic`'s partitions (-1 when none).
  Result<std::map<int32_t, int64_t>> Committed(const std::string& topic, int32_t partitions,
                                               std::chrono::milliseconds timeout);
  void Close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Admin {
 public:
  static Result<std::unique_ptr<Admin>> Open(const std::string& bootstrap, Config config = {});
  ~Admin();
  Status CreateTopic(const std::string& name, int32_t partitions, const std::map<std::string, std::string>& configs);
  Status DeleteTopic(const std::string& name);
  Result<std::vector<std::string>> ListTopics();
  // Partitions with watermarks; kNotFound for an unknown topic.
  Result<std::vector<PartitionInfo>> DescribeTopic(const std::string& name);
  Result<std::vector<GroupInfo>> ListGroups();
  Result<GroupInfo> DescribeGroup(const std::string& group);
  // All committed offsets of `group`: (topic, partition) -> offset.
  Result<std::map<std::pair<std::string, int32_t>, int64_t>> CommittedOffsets(const std::string& group);
  // Commits `offsets` for a group without active members (kafka-consumer-groups
  // --reset-offsets); the broker refuses it while the group has members.
  Status AlterGroupOffsets(const std::string& group, const std::map<std::pair<std::string, int32_t>, int64_t>& offsets);
  // Deletes a group without active members, with its offsets.
  Status DeleteGroup(const std::string& group);
  // Grows `topic` to `total` partitions.
  Status CreatePartitions(const std::string& topic, int32_t total);
  // The topic's settings that differ from the defaults (its overrides).
  Result<std::map<std::string, std::string>> TopicOverrides(const std::string& topic);
  // Replaces the topic's overrides with `overrides` (AlterConfigs).
  Status SetTopicOverrides(const std::string& topic, const std::map<std::string, std::string>& overrides);
  // The first offset of each partition with a timestamp >= `timestamp_ms`
  // (-1 when none: the log end applies).
  Result<std::map<int32_t, int64_t>> OffsetsForTime(const std::string& topic, const std::vector<int32_t>& partitions,
                                                    int64_t timestamp_ms);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rivulet::connectors::kafka
