// SQLite as a job sink: each instance opens its own connection (on its
// first batch, so that a failure fails the job with the database's
// message) and writes every batch in one transaction through one prepared
// statement — an INSERT, or an upsert by key with ON CONFLICT ... DO
// UPDATE. row(record) gives the statement's parameters in order (as text;
// integers are bound as integers).
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

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
class SqliteJobSink final : public operators::SinkOperator<T> {
 public:
  SqliteJobSink(SqliteSinkOptions options, Row row) : options_(std::move(options)), row_(std::move(row)) {}

  void OnBatch(operators::Batch<T>& batch) override {
    OpenOnce();
    Check(db_->Begin());
    for (const auto& e : batch) Check(db_->Insert(row_(e.value)));
    Check(db_->Commit());
  }
  void OnEnd() override { OpenOnce(); }

 private:
  // Opens on the first batch, or at the end when none came, so that the
  // schema (the table) exists either way.
  void OpenOnce() {
    if (db_) return;
    auto db = SqliteSink::Open(options_.path, options_.schema, options_.statement);
    if (!db.ok()) throw std::runtime_error(db.status().ToString());
    db_ = std::move(db).value();
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
                                       [options, row](int, int, void*) {
                                         return std::make_unique<SqliteJobSink<T, Row>>(options, row);
                                       });
}

}  // namespace rivulet::connectors
