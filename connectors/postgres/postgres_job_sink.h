// PostgreSQL as a job sink: each instance opens its own connection (on its
// first batch, so that a server that cannot be reached fails the job with
// libpq's message) and writes every batch in one transaction: COPY into
// the table, or an upsert by key (see postgres_sink.h). row(record) gives
// the columns' values in order, as text.
//
// With checkpoints it is exactly once: the rows of a checkpoint epoch are
// kept (and recorded in the checkpoint) until the checkpoint completes,
// then written in one transaction together with the epoch's checkpoint id
// in rivulet_sink_progress (one row per job, sink and instance). A
// restarted job writes the rows its checkpoint recorded unless that table
// says they were written already (connectors/epoch_buffer.h).
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "connectors/epoch_buffer.h"
#include "connectors/postgres/postgres_sink.h"
#include "operators/operator_base.h"
#include "operators/stream.h"

namespace rivulet::connectors {

template <typename T, typename Row>
class PostgresJobSink final : public EpochSink<T> {
 public:
  PostgresJobSink(PostgresSinkOptions options, Row row)
      : EpochSink<T>("postgresql sink"), options_(std::move(options)), row_(std::move(row)) {}

  void OnBatch(operators::Batch<T>& batch) override {
    OpenOnce();
    if (this->epochs_.enabled()) {
      for (const auto& e : batch) this->epochs_.Add(row_(e.value));
      return;
    }
    for (const auto& e : batch) db_->AddRow(row_(e.value));
    Check(db_->Flush());
  }

 private:
  // EpochDatabase: rows are buffered and written (COPY, merge) with the
  // progress row, so that the staging table of upserts merges them once.
  void Begin(const std::string& /*sink*/) override { Check(db_->Begin()); }
  int64_t Progress(const std::string& sink) override {
    // FOR UPDATE: a second run of the job on the same sink waits here.
    auto rows = db_->QueryRows("SELECT checkpoint FROM rivulet_sink_progress WHERE sink = " + SqlStringLiteral(sink) +
                               " FOR UPDATE");
    Check(rows.status());
    if (rows->empty()) return 0;
    try {
      return std::stoll((*rows)[0][0]);
    } catch (const std::exception&) {
      throw std::runtime_error("postgresql sink: rivulet_sink_progress of " + sink + ": not a checkpoint id: " +
                               (*rows)[0][0]);
    }
  }
  void Write(const std::vector<std::vector<std::string>>& rows) override {
    for (const auto& r : rows) db_->AddRow(r);
  }
  void SetProgress(const std::string& sink, int64_t checkpoint) override {
    Check(db_->WriteBuffered());
    Check(db_->Exec("INSERT INTO rivulet_sink_progress (sink, checkpoint) VALUES (" + SqlStringLiteral(sink) + ", " +
                    std::to_string(checkpoint) +
                    ") ON CONFLICT (sink) DO UPDATE SET checkpoint = EXCLUDED.checkpoint"));
  }
  void Commit() override { Check(db_->Commit()); }
  void Rollback() noexcept override { db_->Rollback(); }

  // Opens on the first batch, or at the end when none came, so that the
  // schema (the table) exists either way.
  void OpenOnce() override {
    if (db_) return;
    auto db = PostgresSink::Open(options_);
    if (!db.ok()) throw std::runtime_error(db.status().ToString());
    db_ = std::move(db).value();
    if (this->epochs_.enabled()) {
      Check(db_->ExecSchema(
          "CREATE TABLE IF NOT EXISTS rivulet_sink_progress (sink TEXT PRIMARY KEY, checkpoint BIGINT NOT NULL)"));
      this->epochs_.Recover(*this);
    }
  }
  static void Check(const Status& st) {
    if (!st.ok()) throw std::runtime_error(st.ToString());
  }
  PostgresSinkOptions options_;
  Row row_;
  std::unique_ptr<PostgresSink> db_;
};

// Writes `stream` to PostgreSQL: row(const T&) -> std::vector<std::string>.
template <typename T, typename Row>
void ToPostgres(operators::Stream<T> stream, std::string name, PostgresSinkOptions options, Row row) {
  stream.job()->template AddNode<void>(std::move(name), "postgresql sink", {stream.Forward()},
                                       [options, row](int, int, engine::Port) {
                                         return std::make_unique<PostgresJobSink<T, Row>>(options, row);
                                       });
}

}  // namespace rivulet::connectors
