// PostgreSQL as a job sink: each instance opens its own connection (on its
// first batch, so that a server that cannot be reached fails the job with
// libpq's message) and writes every batch in one transaction: COPY into
// the table, or an upsert by key (see postgres_sink.h). row(record) gives
// the columns' values in order, as text.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "connectors/postgres/postgres_sink.h"
#include "operators/operator_base.h"
#include "operators/stream.h"

namespace rivulet::connectors {

template <typename T, typename Row>
class PostgresJobSink final : public operators::SinkOperator<T> {
 public:
  PostgresJobSink(PostgresSinkOptions options, Row row) : options_(std::move(options)), row_(std::move(row)) {}

  void OnBatch(operators::Batch<T>& batch) override {
    OpenOnce();
    for (const auto& e : batch) db_->AddRow(row_(e.value));
    Status st = db_->Flush();
    if (!st.ok()) throw std::runtime_error(st.ToString());
  }
  void OnEnd() override { OpenOnce(); }

 private:
  // Opens on the first batch, or at the end when none came, so that the
  // schema (the table) exists either way.
  void OpenOnce() {
    if (db_) return;
    auto db = PostgresSink::Open(options_);
    if (!db.ok()) throw std::runtime_error(db.status().ToString());
    db_ = std::move(db).value();
  }
  PostgresSinkOptions options_;
  Row row_;
  std::unique_ptr<PostgresSink> db_;
};

// Writes `stream` to PostgreSQL: row(const T&) -> std::vector<std::string>.
template <typename T, typename Row>
void ToPostgres(operators::Stream<T> stream, std::string name, PostgresSinkOptions options, Row row) {
  stream.job()->template AddNode<void>(std::move(name), "postgresql sink", {stream.Forward()},
                                       [options, row](int, int, void*) {
                                         return std::make_unique<PostgresJobSink<T, Row>>(options, row);
                                       });
}

}  // namespace rivulet::connectors
