// Data directory ownership, topics, background work; see log_manager.h.
#include "log/log_manager.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "base/logging.h"
#include "log/acls.h"
#include "log/credentials.h"
#include "log/group_coordinator.h"
#include "log/partition.h"
#include "log/topic_config.h"
#include "log/txn_coordinator.h"
#include "proto/rivulet_metadata.pb.h"

namespace fs = std::filesystem;

namespace rivulet::log {

LogManager::LogManager(std::string dir, LogOptions options)
    : dir_(std::move(dir)), options_(std::move(options)) {}

LogManager::~LogManager() {
  Status st = Close();
  if (!st.ok()) GetLogger("log")->error("closing {}: {}", dir_, st.ToString());
}

Result<std::unique_ptr<LogManager>> LogManager::Open(const std::string& dir, LogOptions options) {
  std::error_code ec;
  fs::create_directories(dir + "/topics", ec);
  if (ec) return Status(Errc::kIoError, "cannot create data directory " + dir + ": " + ec.message());
  std::unique_ptr<LogManager> m(new LogManager(dir, std::move(options)));
  RIVULET_RETURN_IF_ERROR(m->Lock());
  RIVULET_RETURN_IF_ERROR(m->LoadTopics());
  RIVULET_ASSIGN_OR_RETURN(m->groups_, GroupCoordinator::Open(dir + "/groups", m->options_.groups));
  RIVULET_ASSIGN_OR_RETURN(m->txns_, TransactionCoordinator::Open(dir + "/transactions", m.get(),
                                                                  m->options_.transactions));
  RIVULET_ASSIGN_OR_RETURN(m->credentials_, CredentialStore::Open(dir + "/security"));
  RIVULET_ASSIGN_OR_RETURN(m->acls_, AclStore::Open(dir + "/security"));
  m->bg_ = std::thread([p = m.get()] { p->BackgroundLoop(); });
  return m;
}

Status LogManager::Lock() {
  const std::string path = dir_ + "/.lock";
  RIVULET_ASSIGN_OR_RETURN(File f, File::Open(path, O_RDWR | O_CREAT));
  if (::flock(f.fd(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return ErrnoStatus("flock", path, errno);
    std::string owner = "another process";
    std::string hint;
    if (auto pid = ReadFileToString(path); pid.ok() && !pid->empty()) {
      std::string p = *pid;
      while (!p.empty() && (p.back() == '\n' || p.back() == ' ')) p.pop_back();
      owner = "process " + p;
      // A broker's: its log is reached through it.
      // (/proc files have no size: read as a stream.)
      std::ifstream in("/proc/" + p + "/cmdline", std::ios::binary);
      std::string args((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      std::replace(args.begin(), args.end(), '\0', ' ');
      if (args.find(" broker ") != std::string::npos) {
        hint = "; it is a rivulet broker: reach its log with --bootstrap-server";
      }
    }
    return Status(Errc::kLocked, "data directory " + dir_ + " is in use by " + owner +
                                     " (lock file " + path + ")" + hint);
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  RIVULET_RETURN_IF_ERROR(f.Truncate(0));
  RIVULET_RETURN_IF_ERROR(f.WriteAt(0, std::span<const char>(pid.data(), pid.size())));
  lock_file_ = std::move(f);
  return Status::Ok();
}

std::string LogManager::TopicDir(const std::string& name) const { return dir_ + "/topics/" + name; }

Result<std::shared_ptr<LogManager::Topic>> LogManager::OpenTopic(
    const std::string& name, int32_t partitions,
    const std::map<std::string, std::string>& overrides) {
  auto t = std::make_shared<Topic>();
  RIVULET_ASSIGN_OR_RETURN(t->config, TopicConfig::FromMap(overrides, options_.default_topic_config));
  t->overrides = overrides;
  for (int32_t p = 0; p < partitions; ++p) {
    RIVULET_ASSIGN_OR_RETURN(
        std::unique_ptr<Partition> part,
        Partition::Open(TopicDir(name) + "/" + std::to_string(p), TopicPartition{name, p},
                        t->config, [this] { NotifyData(); }));
    t->partitions.push_back(std::move(part));
  }
  return t;
}

Status LogManager::LoadTopics() {
  std::error_code ec;
  const std::string root = dir_ + "/topics";
  std::vector<fs::path> entries;
  for (const auto& e : fs::directory_iterator(root, ec)) entries.push_back(e.path());
  if (ec) return Status(Errc::kIoError, "list " + root + ": " + ec.message());
  for (const auto& path : entries) {
    const std::string name = path.filename().string();
    if (name.starts_with(".deleting-")) {
      fs::remove_all(path, ec);  // a delete that was interrupted
      continue;
    }
    const std::string meta = path.string() + "/topic.meta";
    if (!fs::exists(meta)) {
      GetLogger("log")->warn("removing {}: topic creation did not complete", path.string());
      fs::remove_all(path, ec);
      continue;
    }
    RIVULET_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(meta));
    proto::TopicMetadata pb;
    if (!pb.ParseFromString(bytes) || pb.name() != name || pb.partitions() <= 0) {
      return Status(Errc::kCorruption, "cannot parse topic metadata " + meta);
    }
    std::map<std::string, std::string> overrides(pb.configs().begin(), pb.configs().end());
    RIVULET_ASSIGN_OR_RETURN(auto topic, OpenTopic(name, pb.partitions(), overrides));
    topic->created_ms = pb.created_ms();
    topics_[name] = std::move(topic);
  }
  return Status::Ok();
}

Status LogManager::CreateTopic(const std::string& name, int32_t partitions,
                               const std::map<std::string, std::string>& configs) {
  RIVULET_RETURN_IF_ERROR(ValidateTopicName(name));
  if (partitions <= 0 || partitions > 100000) {
    return Status(Errc::kInvalidArgument, "invalid partition count " + std::to_string(partitions) +
                                              " for topic '" + name + "': must be 1..100000");
  }
  RIVULET_RETURN_IF_ERROR(TopicConfig::FromMap(configs, options_.default_topic_config).status());
  std::lock_guard<std::mutex> create_lock(create_mu_);
  {
    std::shared_lock<std::shared_mutex> lock(topics_mu_);
    if (topics_.count(name)) {
      return Status(Errc::kAlreadyExists, "topic '" + name + "' already exists");
    }
  }
  // Partitions first, metadata last: a topic without topic.meta is an
  // interrupted creation and is removed on the next open.
  RIVULET_ASSIGN_OR_RETURN(auto topic, OpenTopic(name, partitions, configs));
  topic->created_ms = NowMs();
  RIVULET_RETURN_IF_ERROR(WriteTopicMeta(name, *topic));
  RIVULET_RETURN_IF_ERROR(SyncDir(dir_ + "/topics"));
  std::unique_lock<std::shared_mutex> lock(topics_mu_);
  topics_[name] = std::move(topic);
  GetLogger("log")->info("created topic {} with {} partitions", name, partitions);
  return Status::Ok();
}

Status LogManager::DeleteTopic(const std::string& name) {
  std::lock_guard<std::mutex> create_lock(create_mu_);
  std::shared_ptr<Topic> topic;
  {
    std::unique_lock<std::shared_mutex> lock(topics_mu_);
    auto it = topics_.find(name);
    if (it == topics_.end()) return Status(Errc::kNotFound, "unknown topic '" + name + "'");
    topic = it->second;
    topics_.erase(it);
  }
  // Rename first (atomic), then remove at leisure.
  const std::string doomed = dir_ + "/topics/.deleting-" + name + "-" + std::to_string(NowMs());
  for (auto& p : topic->partitions) (void)p->Close();
  if (::rename(TopicDir(name).c_str(), doomed.c_str()) != 0) {
    return ErrnoStatus("rename", TopicDir(name), errno);
  }
  RIVULET_RETURN_IF_ERROR(SyncDir(dir_ + "/topics"));
  std::error_code ec;
  fs::remove_all(doomed, ec);
  groups_->OnTopicDeleted(name);
  GetLogger("log")->info("deleted topic {}", name);
  return Status::Ok();
}

Status LogManager::WriteTopicMeta(const std::string& name, const Topic& t) const {
  proto::TopicMetadata pb;
  pb.set_name(name);
  pb.set_partitions(static_cast<int32_t>(t.partitions.size()));
  pb.set_created_ms(t.created_ms);
  for (const auto& [k, v] : t.overrides) (*pb.mutable_configs())[k] = v;
  return WriteFileAtomic(TopicDir(name) + "/topic.meta", pb.SerializeAsString());
}

Result<std::shared_ptr<LogManager::Topic>> LogManager::FindTopic(const std::string& name) const {
  std::shared_lock<std::shared_mutex> lock(topics_mu_);
  auto it = topics_.find(name);
  if (it == topics_.end()) return Status(Errc::kNotFound, "unknown topic '" + name + "'");
  return it->second;
}

Status LogManager::AddPartitions(const std::string& name, int32_t partitions) {
  std::lock_guard<std::mutex> create_lock(create_mu_);
  RIVULET_ASSIGN_OR_RETURN(std::shared_ptr<Topic> old, FindTopic(name));
  const auto have = static_cast<int32_t>(old->partitions.size());
  if (partitions <= have) {
    return Status(Errc::kInvalidArgument, "topic '" + name + "' has " + std::to_string(have) +
                                              " partitions: the count can only grow");
  }
  if (partitions > 100000) {
    return Status(Errc::kInvalidArgument, "invalid partition count " + std::to_string(partitions) +
                                              " for topic '" + name + "': must be 1..100000");
  }
  auto grown = std::make_shared<Topic>(*old);
  // New partitions first, metadata last: folders past the recorded count
  // are ignored on open (and empty), so a crash in between loses nothing.
  for (int32_t p = have; p < partitions; ++p) {
    RIVULET_ASSIGN_OR_RETURN(std::unique_ptr<Partition> part,
                             Partition::Open(TopicDir(name) + "/" + std::to_string(p), TopicPartition{name, p},
                                             grown->config, [this] { NotifyData(); }));
    grown->partitions.push_back(std::move(part));
  }
  RIVULET_RETURN_IF_ERROR(WriteTopicMeta(name, *grown));
  {
    std::unique_lock<std::shared_mutex> lock(topics_mu_);
    topics_[name] = std::move(grown);
  }
  partitions_version_.fetch_add(1, std::memory_order_acq_rel);
  NotifyData();
  GetLogger("log")->info("topic {} grew from {} to {} partitions", name, have, partitions);
  return Status::Ok();
}

Status LogManager::AlterTopicConfig(const std::string& name, const std::map<std::string, std::string>& overrides) {
  return UpdateTopicConfig(name, [&](const std::map<std::string, std::string>&) { return overrides; });
}

Status LogManager::UpdateTopicConfig(const std::string& name, const ConfigChange& change) {
  std::lock_guard<std::mutex> create_lock(create_mu_);
  RIVULET_ASSIGN_OR_RETURN(std::shared_ptr<Topic> old, FindTopic(name));
  RIVULET_ASSIGN_OR_RETURN(auto overrides, change(old->overrides));
  RIVULET_ASSIGN_OR_RETURN(TopicConfig config, TopicConfig::FromMap(overrides, options_.default_topic_config));
  auto altered = std::make_shared<Topic>(*old);
  altered->config = config;
  altered->overrides = overrides;
  RIVULET_RETURN_IF_ERROR(WriteTopicMeta(name, *altered));
  for (auto& p : altered->partitions) p->UpdateConfig(config);
  {
    std::unique_lock<std::shared_mutex> lock(topics_mu_);
    topics_[name] = std::move(altered);
  }
  GetLogger("log")->info("topic {} settings altered", name);
  return Status::Ok();
}

Result<std::map<std::string, std::string>> LogManager::TopicOverrides(const std::string& name) const {
  RIVULET_ASSIGN_OR_RETURN(std::shared_ptr<Topic> t, FindTopic(name));
  return t->overrides;
}

std::vector<std::string> LogManager::ListTopics() const {
  std::shared_lock<std::shared_mutex> lock(topics_mu_);
  std::vector<std::string> out;
  for (const auto& [name, t] : topics_) out.push_back(name);
  return out;
}

Result<TopicDescription> LogManager::DescribeTopic(const std::string& name) const {
  std::shared_ptr<Topic> t;
  {
    std::shared_lock<std::shared_mutex> lock(topics_mu_);
    auto it = topics_.find(name);
    if (it == topics_.end()) return Status(Errc::kNotFound, "unknown topic '" + name + "'");
    t = it->second;
  }
  TopicDescription d;
  d.name = name;
  d.configs = t->config.ToMap();
  for (size_t i = 0; i < t->partitions.size(); ++i) {
    const auto& p = t->partitions[i];
    d.partitions.push_back({static_cast<int32_t>(i), p->log_start_offset(), p->log_end_offset(),
                            p->size_bytes(), p->segment_count()});
  }
  return d;
}

Result<int32_t> LogManager::PartitionCount(const std::string& topic, bool auto_create) {
  {
    std::shared_lock<std::shared_mutex> lock(topics_mu_);
    auto it = topics_.find(topic);
    if (it != topics_.end()) return static_cast<int32_t>(it->second->partitions.size());
  }
  if (!auto_create || !options_.auto_create_topics) {
    return Status(Errc::kNotFound, "unknown topic '" + topic + "'");
  }
  Status st = CreateTopic(topic, options_.default_partitions);
  if (!st.ok() && st.code() != Errc::kAlreadyExists) return st;
  return PartitionCount(topic, false);
}

Result<std::shared_ptr<Partition>> LogManager::GetPartition(const TopicPartition& tp) const {
  std::shared_lock<std::shared_mutex> lock(topics_mu_);
  auto it = topics_.find(tp.topic);
  if (it == topics_.end()) return Status(Errc::kNotFound, "unknown topic '" + tp.topic + "'");
  if (tp.partition < 0 || tp.partition >= static_cast<int32_t>(it->second->partitions.size())) {
    return Status(Errc::kNotFound, "topic '" + tp.topic + "' has no partition " +
                                       std::to_string(tp.partition));
  }
  return it->second->partitions[static_cast<size_t>(tp.partition)];
}

Result<AppendInfo> LogManager::Append(const TopicPartition& tp, std::span<char> batches,
                                      bool validate, bool sync) {
  RIVULET_ASSIGN_OR_RETURN(auto p, GetPartition(tp));
  return p->Append(batches, validate, sync);
}

Result<ReadResult> LogManager::Read(const TopicPartition& tp, int64_t offset,
                                    size_t max_bytes) const {
  RIVULET_ASSIGN_OR_RETURN(auto p, GetPartition(tp));
  return p->Read(offset, max_bytes);
}

Status LogManager::RunRetention() {
  std::vector<std::shared_ptr<Partition>> parts;
  {
    std::shared_lock<std::shared_mutex> lock(topics_mu_);
    for (const auto& [name, t] : topics_) {
      for (const auto& p : t->partitions) parts.push_back(p);
    }
  }
  const int64_t now = NowMs();
  for (const auto& p : parts) RIVULET_RETURN_IF_ERROR(p->ApplyRetention(now).status());
  return Status::Ok();
}

Status LogManager::FlushAll() {
  std::shared_lock<std::shared_mutex> lock(topics_mu_);
  for (const auto& [name, t] : topics_) {
    for (const auto& p : t->partitions) RIVULET_RETURN_IF_ERROR(p->Flush());
  }
  return Status::Ok();
}

void LogManager::NotifyData() {
  {
    std::lock_guard<std::mutex> lock(data_mu_);
    data_version_.fetch_add(1, std::memory_order_acq_rel);
  }
  data_cv_.notify_all();
}

void LogManager::WaitForData(uint64_t seen, std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock<std::mutex> lock(data_mu_);
  data_cv_.wait_until(lock, deadline, [&] { return data_version() != seen; });
}

void LogManager::BackgroundLoop() {
  auto log = GetLogger("log");
  int64_t next_retention = NowMs() + options_.retention_check_interval_ms;
  std::unique_lock<std::mutex> lock(bg_mu_);
  while (!stop_) {
    bg_cv_.wait_for(lock, std::chrono::milliseconds(options_.flush_check_interval_ms));
    if (stop_) break;
    lock.unlock();
    const int64_t now = NowMs();
    std::vector<std::shared_ptr<Partition>> parts;
    {
      std::shared_lock<std::shared_mutex> tl(topics_mu_);
      for (const auto& [name, t] : topics_) {
        for (const auto& p : t->partitions) parts.push_back(p);
      }
    }
    for (const auto& p : parts) {
      Status st = p->MaybeFlush(now);
      if (!st.ok()) log->error("flush {}: {}", p->topic_partition().ToString(), st.ToString());
    }
    txns_->AbortExpired(now);
    if (now >= next_retention) {
      next_retention = now + options_.retention_check_interval_ms;
      for (const auto& p : parts) {
        auto r = p->ApplyRetention(now);
        if (!r.ok()) log->error("retention {}: {}", p->topic_partition().ToString(), r.status().ToString());
      }
    }
    lock.lock();
  }
}

Status LogManager::Close() {
  if (closed_) return Status::Ok();
  closed_ = true;
  {
    std::lock_guard<std::mutex> lock(bg_mu_);
    stop_ = true;
  }
  bg_cv_.notify_all();
  if (bg_.joinable()) bg_.join();
  if (groups_) groups_->Shutdown();
  txns_.reset();  // closes the transaction log
  Status result;
  {
    std::unique_lock<std::shared_mutex> lock(topics_mu_);
    for (auto& [name, t] : topics_) {
      for (auto& p : t->partitions) {
        Status st = p->Close();
        if (!st.ok() && result.ok()) result = st;
      }
    }
    topics_.clear();
  }
  NotifyData();
  lock_file_ = File();  // releases the flock
  return result;
}

}  // namespace rivulet::log
