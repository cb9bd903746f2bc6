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
// unless that table says they were written already (connectors/epoch_buffer.h).
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "connectors/epoch_buffer.h"
#include "connectors/sqlite/sqlite_sink.h"
#include "operators/operator_base.h"
#include "operators/stream.h"

namespace rivulet::connectors {

struct SqliteSinkOptions {
  std::string path;
  std::string schema;      // run once per connection, e.g. CREATE TABLE IF NOT EXISTS ...
  std::string statement;   // INSERT ... VALUES (?, ...) [ON CONFLICT (...) DO UPDATE SET ...]
};

template <typename T, typename Row>
class SqliteJobSink final : public EpochSink<T> {
 public:
  SqliteJobSink(SqliteSinkOptions options, Row row)
      : EpochSink<T>("sqlite sink"), options_(std::move(options)), row_(std::move(row)) {}

  void OnBatch(operators::Batch<T>& batch) override {
    OpenOnce();
    if (this->epochs_.enabled()) {
      for (const auto& e : batch) this->epochs_.Add(row_(e.value));
      return;
    }
    Check(db_->Begin());
    for (const auto& e : batch) Check(db_->Insert(row_(e.value)));
    Check(db_->Commit());
  }

 private:
  // EpochDatabase: one BEGIN IMMEDIATE ... COMMIT transaction.
  void Begin(const std::string& /*sink*/) override { Check(db_->Begin()); }
  int64_t Progress(const std::string& sink) override {
    auto done = db_->QueryInt("SELECT COALESCE(MAX(checkpoint), 0) FROM rivulet_sink_progress WHERE sink = " +
                              SqlStringLiteral(sink));
    Check(done.status());
    return *done;
  }
  void Write(const std::vector<std::vector<std::string>>& rows) override {
    for (const auto& r : rows) Check(db_->Insert(r));
  }
  void SetProgress(const std::string& sink, int64_t checkpoint) override {
    Check(db_->Execute("INSERT INTO rivulet_sink_progress VALUES (" + SqlStringLiteral(sink) + ", " +
                       std::to_string(checkpoint) +
                       ") ON CONFLICT (sink) DO UPDATE SET checkpoint = excluded.checkpoint"));
  }
  void Commit() override { Check(db_->Commit()); }
  void Rollback() noexcept override { (void)db_->Execute("ROLLBACK"); }

  // Opens on the first batch, or at the end when none came, so that the
  // schema (the table) exists either way.
  void OpenOnce() override {
    if (db_) return;
    auto db = SqliteSink::Open(options_.path, options_.schema, options_.statement);
    if (!db.ok()) throw std::runtime_error(db.status().ToString());
    db_ = std::move(db).value();
    if (this->epochs_.enabled()) {
      Check(db_->Execute("CREATE TABLE IF NOT EXISTS rivulet_sink_progress (sink TEXT PRIMARY KEY, checkpoint "
                         "INTEGER NOT NULL)"));
      this->epochs_.Recover(*this);
    }
  }
  static void Check(const Status& st) {
    if (!st.ok()) throw std::runtime_error(st.ToString());
  }
  SqliteSinkOptions options_;
  Row row_;
  std::unique_ptr<SqliteSink> db_;
};

// Writes `stream` to SQLite: row(const T&) -> std::vector<std::string>.
template <typename T, typename Row>
void ToSqlite(operators::Stream<T> stream, std::string name, SqliteSinkOptions options, Row row) {
  stream.job()->template AddNode<void>(std::move(name), "sqlite sink", {stream.Forward()},
                                       [options, row](int, int, engine::Port) {
                                         return std::make_unique<SqliteJobSink<T, Row>>(options, row);
                                       });
}

}  // namespace rivulet::connectors
