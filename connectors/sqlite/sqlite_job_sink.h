// SQLite as a job sink: each instance opens its own connection (on its
// first batch, so that a failure fails the job with the database's
// message) and writes every batch in one transaction through one prepared
// statement — an INSERT, or an upsert by key with ON CONFLICT ... DO
// UPDATE. row(record) gives the statement's parameters in order (as text;
// integers are bound as integers).
//
// With checkpoints it is exactly once: the rows of a checkpoint epoch are
// kept (and recorded in the checkpoint) until the checkpoint completes,
// then written in one database transaction together with the epoch's
// checkpoint id in rivulet_sink_progress (one row per job, sink and
// instance). A restarted job writes the rows its checkpoint recorded
// unless that table says they were written already.
#pragma once

#include <iterator>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "connectors/sqlite/sqlite_sink.h"
#include "engine/state_codec.h"
#include "operators/operator_base.h"
#include "operators/stream.h"

namespace rivulet::connectors {

struct SqliteSinkOptions {
  std::string path;
  std::string schema;      // run once per connection, e.g. CREATE TABLE IF NOT EXISTS ...
  std::string statement;   // INSERT ... VALUES (?, ...) [ON CONFLICT (...) DO UPDATE SET ...]
};

template <typename T, typename Row>
class SqliteJobSink final : public operators::SinkOperator<T> {
 public:
  SqliteJobSink(SqliteSinkOptions options, Row row) : options_(std::move(options)), row_(std::move(row)) {}

  void OnBatch(operators::Batch<T>& batch) override {
    OpenOnce();
    if (!key_prefix_.empty()) {
      for (const auto& e : batch) open_.push_back(row_(e.value));
      return;
    }
    Check(db_->Begin());
    for (const auto& e : batch) Check(db_->Insert(row_(e.value)));
    Check(db_->Commit());
  }
  void OnEnd() override { OpenOnce(); }

  void EnableCheckpoints(const engine::CheckpointScope& scope) override {
    key_prefix_ = scope.job + "/" + scope.operator_name + "/";
    index_ = scope.index;
    parallelism_ = scope.parallelism;
  }
  void Restore(const engine::RestoreContext& ctx) override {
    for (const auto& e : *ctx.entries) {
      auto v = engine::DecodeState<Epoch>(e.bytes);
      if (!v.ok()) throw std::runtime_error("sqlite sink state: " + v.status().ToString());
      if (std::get<0>(*v) % parallelism_ == index_) restored_.push_back(std::move(*v));
    }
  }
  // Pre-commit: the epoch's rows wait for their checkpoint, and are part of it.
  void Snapshot(int64_t id, engine::SnapshotWriter& out) override {
    if (key_prefix_.empty()) return;
    OpenOnce();  // restored rows are written before the next checkpoint forgets them
    if (!open_.empty()) {
      auto& p = pending_[id];
      p.insert(p.end(), std::make_move_iterator(open_.begin()), std::make_move_iterator(open_.end()));
      open_.clear();
    }
    for (const auto& [checkpoint, rows] : pending_) out.Add(engine::kNoGroup, engine::EncodeState(Epoch{index_, checkpoint, rows}));
  }
  void CheckpointComplete(int64_t id) override {
    if (key_prefix_.empty()) return;
    OpenOnce();
    if (pending_.empty() || pending_.begin()->first > id) return;
    Check(db_->Begin());
    int64_t last = 0;
    for (auto it = pending_.begin(); it != pending_.end() && it->first <= id; it = pending_.erase(it)) {
      for (const auto& r : it->second) Check(db_->Insert(r));
      last = it->first;
    }
    Check(SetProgress(index_, last));
    Check(db_->Commit());
  }

 private:
  // (instance, checkpoint id, rows): what one instance pre-committed.
  using Epoch = std::tuple<int, int64_t, std::vector<std::vector<std::string>>>;

  std::string Key(int instance) const {
    std::string k = key_prefix_ + std::to_string(instance);
    std::string quoted;
    for (char c : k) quoted += c == '\'' ? std::string("''") : std::string(1, c);
    return "'" + quoted + "'";
  }
  Status SetProgress(int instance, int64_t checkpoint) {
    return db_->Execute("INSERT INTO rivulet_sink_progress VALUES (" + Key(instance) + ", " +
                        std::to_string(checkpoint) +
                        ") ON CONFLICT (sink) DO UPDATE SET checkpoint = excluded.checkpoint");
  }
  // Writes what the restored checkpoint recorded and the database lacks:
  // per old instance, the epochs after the one its progress row names.
  void Recover() {
    std::map<int, std::map<int64_t, const std::vector<std::vector<std::string>>*>> by_instance;
    for (const auto& [instance, checkpoint, rows] : restored_) by_instance[instance][checkpoint] = &rows;
    for (const auto& [instance, epochs] : by_instance) {
      Check(db_->Begin());
      auto done = db_->QueryInt("SELECT COALESCE(MAX(checkpoint), 0) FROM rivulet_sink_progress WHERE sink = " +
                                Key(instance));
      Check(done.status());
      int64_t last = *done;
      for (const auto& [checkpoint, rows] : epochs) {
        if (checkpoint <= *done) continue;
        for (const auto& r : *rows) Check(db_->Insert(r));
        last = checkpoint;
      }
      Check(SetProgress(instance, last));
      Check(db_->Commit());
    }
    restored_.clear();
  }

  // Opens on the first batch, or at the end when none came, so that the
  // schema (the table) exists either way.
  void OpenOnce() {
    if (db_) return;
    auto db = SqliteSink::Open(options_.path, options_.schema, options_.statement);
    if (!db.ok()) throw std::runtime_error(db.status().ToString());
    db_ = std::move(db).value();
    if (!key_prefix_.empty()) {
      Check(db_->Execute("CREATE TABLE IF NOT EXISTS rivulet_sink_progress (sink TEXT PRIMARY KEY, checkpoint "
                         "INTEGER NOT NULL)"));
      Recover();
    }
  }
  static void Check(const Status& st) {
    if (!st.ok()) throw std::runtime_error(st.ToString());
  }
  SqliteSinkOptions options_;
  Row row_;
  std::unique_ptr<SqliteSink> db_;
  std::string key_prefix_;  // JOB/SINK/ once checkpoints are on
  int index_ = 0;
  int parallelism_ = 1;
  std::vector<Epoch> restored_;
  std::vector<std::vector<std::string>> open_;                      // rows since the last barrier
  std::map<int64_t, std::vector<std::vector<std::string>>> pending_;  // checkpoint -> its rows
};

// Writes `stream` to SQLite: row(const T&) -> std::vector<std::string>.
template <typename T, typename Row>
void ToSqlite(operators::Stream<T> stream, std::string name, SqliteSinkOptions options, Row row) {
  stream.job()->template AddNode<void>(std::move(name), "sqlite sink", {stream.Forward()},
                                       [options, row](int, int, void*) {
                                         return std::make_unique<SqliteJobSink<T, Row>>(options, row);
                                       });
}

}  // namespace rivulet::connectors
