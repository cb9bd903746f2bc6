// The log manager owns a data directory: its lock, its topics and their
// partitions, the group coordinator, and the background work (flush.ms,
// retention). It is the entry point of the embedded log.
//
// Layout of DIR:
//   .lock                          pid of the owning process (flock held)
//   topics/<topic>/topic.meta      TopicMetadata (protobuf)
//   topics/<topic>/<partition>/    segments: <base>.log, .index, .timeindex
//   groups/<group>.meta            GroupMetadata: generation, committed offsets
//   transactions/                  the transaction log (segments of TransactionState records)
//   security/credentials.meta      the broker's users: SCRAM credentials (credentials.h)
//   security/acls.meta             the authorizer's access control lists (acls.h)
//
// Threading: all methods are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "base/file.h"
#include "base/status.h"
#include "log/options.h"
#include "log/types.h"

namespace rivulet::log {

// Internal to the log (and the broker, which includes their headers):
// GetPartition, groups() and transactions() hand them out.
class Partition;               // partition.h
class GroupCoordinator;        // group_coordinator.h
class TransactionCoordinator;  // txn_coordinator.h
class CredentialStore;         // credentials.h
class AclStore;                // acls.h

struct LogOptions {
  TopicConfig default_topic_config;  // log.* settings of server.properties
  int32_t default_partitions = 1;    // num.partitions, for auto-created topics
  bool auto_create_topics = true;    // auto.create.topics.enable
  int64_t flush_check_interval_ms = 100;
  int64_t retention_check_interval_ms = 300000;  // log.retention.check.interval.ms
  GroupOptions groups;
  TxnOptions transactions;
};

struct PartitionDescription {
  int32_t partition = 0;
  int64_t log_start_offset = 0;
  int64_t log_end_offset = 0;
  uint64_t size_bytes = 0;
  size_t segments = 0;
};

struct TopicDescription {
  std::string name;
  std::vector<PartitionDescription> partitions;
  std::map<std::string, std::string> configs;  // effective settings
};

class LogManager {
 public:
  // Opens or creates `dir`, taking its lock (kLocked naming the owner's pid
  // when another process holds it), and recovers every partition.
  static Result<std::unique_ptr<LogManager>> Open(const std::string& dir, LogOptions options = {});
  ~LogManager();
  LogManager(const LogManager&) = delete;
  LogManager& operator=(const LogManager&) = delete;

  const std::string& dir() const { return dir_; }
  const LogOptions& options() const { return options_; }

  // Creates a topic; configs override the defaults. kAlreadyExists,
  // kInvalidArgument (name, partition count, config).
  Status CreateTopic(const std::string& name, int32_t partitions,
                     const std::map<std::string, std::string>& configs = {});
  Status DeleteTopic(const std::string& name);
  // Grows a topic to `partitions` (CreatePartitions). Keys hash over the
  // new count from then on. kInvalidArgument unless it grows.
  Status AddPartitions(const std::string& name, int32_t partitions);
  // Replaces the topic's overrides of the defaults (AlterConfigs; an empty
  // map returns it to the defaults), validated first, applied to every
  // partition at once and kept in topic.meta.
  Status AlterTopicConfig(const std::string& name, const std::map<std::string, std::string>& overrides);
  // The same with the new overrides computed from the current ones by
  // `change`, under the lock that serializes topic changes: concurrent
  // changes of different keys all apply. `change`'s error is returned.
  using ConfigChange =
      std::function<Result<std::map<std::string, std::string>>(std::map<std::string, std::string> current)>;
  Status UpdateTopicConfig(const std::string& name, const ConfigChange& change);
  // The overrides alone: the settings that differ from the defaults.
  Result<std::map<std::string, std::string>> TopicOverrides(const std::string& name) const;
  std::vector<std::string> ListTopics() const;
  Result<TopicDescription> DescribeTopic(const std::string& name) const;
  // Number of partitions; kNotFound for an unknown topic unless
  // `auto_create` and options().auto_create_topics, then it is created.
  Result<int32_t> PartitionCount(const std::string& topic, bool auto_create = false);
  // The partition, or kNotFound naming the topic / partition (internal:
  // include log/partition.h to use it).
  Result<std::shared_ptr<Partition>> GetPartition(const TopicPartition& tp) const;

  // Convenience wrappers over GetPartition(tp)->Append / Read.
  Result<AppendInfo> Append(const TopicPartition& tp, std::span<char> batches, bool validate,
                            bool sync = false);
  Result<ReadResult> Read(const TopicPartition& tp, int64_t offset, size_t max_bytes) const;

  // Runs retention on every partition now (also runs periodically).
  Status RunRetention();
  // fsyncs every partition.
  Status FlushAll();

  // The coordinators (internal: include log/group_coordinator.h,
  // log/txn_coordinator.h to use them).
  GroupCoordinator& groups() { return *groups_; }
  TransactionCoordinator& transactions() { return *txns_; }
  // The broker's users (include log/credentials.h to use it).
  CredentialStore& credentials() { return *credentials_; }
  // The access control lists (include log/acls.h to use them).
  AclStore& acls() { return *acls_; }

  // Data-arrival notification for long polls: version() increases on every
  // append; WaitForData blocks until it differs from `seen` or the deadline.
  uint64_t data_version() const { return data_version_.load(std::memory_order_acquire); }
  void WaitForData(uint64_t seen, std::chrono::steady_clock::time_point deadline) const;
  // Wakes all waiters (e.g. on shutdown).
  void NotifyData();
  // Increases whenever a topic gains partitions: clients that keep
  // partition counts (Producer) look again when it has moved.
  uint64_t partitions_version() const { return partitions_version_.load(std::memory_order_acquire); }

  // Flushes and closes everything and releases the lock. Idempotent.
  Status Close();

 private:
  // Never changed once in topics_: AddPartitions and AlterTopicConfig put
  // a new one in its place, so a holder of the old one reads it unlocked.
  struct Topic {
    TopicConfig config;
    std::map<std::string, std::string> overrides;
    std::vector<std::shared_ptr<Partition>> partitions;
    int64_t created_ms = 0;
  };

  LogManager(std::string dir, LogOptions options);
  Status Lock();
  Status LoadTopics();
  Result<std::shared_ptr<Topic>> OpenTopic(const std::string& name, int32_t partitions,
                                           const std::map<std::string, std::string>& overrides);
  std::string TopicDir(const std::string& name) const;
  Status WriteTopicMeta(const std::string& name, const Topic& t) const;
  Result<std::shared_ptr<Topic>> FindTopic(const std::string& name) const;
  void BackgroundLoop();

  const std::string dir_;
  const LogOptions options_;
  File lock_file_;

  mutable std::shared_mutex topics_mu_;
  std::map<std::string, std::shared_ptr<Topic>> topics_;  // guarded by topics_mu_
  std::mutex create_mu_;  // serializes create / delete / alter

  std::unique_ptr<GroupCoordinator> groups_;
  std::unique_ptr<TransactionCoordinator> txns_;
  std::unique_ptr<CredentialStore> credentials_;
  std::unique_ptr<AclStore> acls_;

  std::atomic<uint64_t> data_version_{0};
  std::atomic<uint64_t> partitions_version_{0};
  mutable std::mutex data_mu_;
  mutable std::condition_variable data_cv_;

  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  bool stop_ = false;  // guarded by bg_mu_
  std::thread bg_;
  bool closed_ = false;
};

}  // namespace rivulet::log
