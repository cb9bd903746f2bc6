// Enrich: look each record up by key in a table and join it with the row
// found. The table is loaded when the job starts (shared, read-only:
// LookupEnrichOperator), or kept current from a second stream of rows
// (stream-table join: StreamTableJoinOperator, the latest row per key
// wins, as of when the record is processed). join(record, row or nullptr)
// returns the output record, or nullopt to drop it (inner join); records
// without a row are counted. The stream-table join checkpoints its table
// per key group (StateCodec of the key and the row).
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include <absl/container/flat_hash_map.h>

#include "engine/state_codec.h"
#include "operators/operator_base.h"

namespace rivulet::operators {

template <typename In, typename Out, typename Table, typename KeyFn, typename JoinFn>
class LookupEnrichOperator final : public UnaryOperator<In, Out> {
 public:
  LookupEnrichOperator(engine::Port out, std::shared_ptr<const Table> table, KeyFn key, JoinFn join)
      : UnaryOperator<In, Out>(out), table_(std::move(table)), key_(std::move(key)), join_(std::move(join)) {}

  void OnBatch(Batch<In>& batch) override {
    auto& buf = this->buffer_;
    if constexpr (std::is_default_constructible_v<Out>) {  // written in place, trimmed after
      buf.resize(batch.size());
      size_t n = 0;
      for (auto& e : batch) {
        std::optional<Out> o = Join(e.value);
        if (o) buf[n++] = Event<Out>{e.ts, std::move(*o)};
      }
      buf.resize(n);
    } else {
      for (auto& e : batch) {
        std::optional<Out> o = Join(e.value);
        if (o) buf.push_back(Event<Out>{e.ts, std::move(*o)});
      }
    }
    this->Emit();
  }
 private:
  std::optional<Out> Join(const In& v) {
    auto it = table_->find(key_(v));
    const typename Table::mapped_type* row = it == table_->end() ? nullptr : &it->second;
    return join_(v, row);
  }

  std::shared_ptr<const Table> table_;
  KeyFn key_;
  JoinFn join_;
};

// Two inputs, both partitioned by key: port 0 the records to enrich, port 1
// the table's rows (upserts). Never chained; the task gives it the
// combined watermark of both inputs and the end when both ended.
template <typename In, typename Row, typename Out, typename KeyFn, typename RowKeyFn, typename JoinFn>
class StreamTableJoinOperator final : public engine::OperatorInstance {
 public:
  using K = std::decay_t<std::invoke_result_t<KeyFn, const In&>>;

  StreamTableJoinOperator(engine::Port out, KeyFn key, RowKeyFn row_key, JoinFn join)
      : out_(out.template As<Out>()), key_(std::move(key)), row_key_(std::move(row_key)),
        join_(std::move(join)), records_(this), rows_(this) {}

  engine::Port input(int port) override {
    return port == 0 ? engine::Port::Of<In>(&records_) : engine::Port::Of<Row>(&rows_);
  }
  void Watermark(Timestamp w) override { out_->OnWatermark(w); }
  void End() override { out_->OnEnd(); }
  size_t table_size() const { return table_.size(); }

  void Snapshot(int64_t, engine::SnapshotWriter& out) override {
    if constexpr (kCheckpointable) {
      engine::KeyGroupedWriter groups;  // per key group: (key, row)...
      for (const auto& [k, row] : table_) {
        std::string& b = groups.For(engine::KeyGroupOf(std::hash<K>{}(k)));
        engine::EncodeState(k, &b);
        engine::EncodeState(row, &b);
      }
      groups.WriteTo(out);
    } else {
      NoCodec();
    }
  }
  void Restore(const engine::RestoreContext& ctx) override {
    if constexpr (kCheckpointable) {
      ctx.ForEach(
          [&](uint32_t group, std::string_view in) {
            while (!in.empty()) {
              K k{};
              Row row{};
              if (!engine::StateCodec<K>::Decode(&in, &k) || !engine::StateCodec<Row>::Decode(&in, &row)) {
                throw std::runtime_error("stream-table join state: an entry of key group " + std::to_string(group) +
                                         " is malformed");
              }
              table_.insert_or_assign(std::move(k), std::move(row));
            }
          },
          [](std::string_view) {});
    } else {
      (void)ctx;
      NoCodec();
    }
  }
  uint64_t misses() const { return misses_; }
  bool CanCheckpoint() const override { return kCheckpointable; }

 private:
  static constexpr bool kCheckpointable = engine::HasStateCodec<K> && engine::HasStateCodec<Row>;
  [[noreturn]] static void NoCodec() {
    throw std::runtime_error("stream-table join state cannot be checkpointed: its key or row type has no StateCodec");
  }

  struct Records final : Receiver<In> {
    explicit Records(StreamTableJoinOperator* op) : op(op) {}
    void OnBatch(Batch<In>& batch) override { op->Enrich(batch); }
    void OnWatermark(Timestamp) override {}
    void OnEnd() override {}
    StreamTableJoinOperator* op;
  };
  struct Rows final : Receiver<Row> {
    explicit Rows(StreamTableJoinOperator* op) : op(op) {}
    void OnBatch(Batch<Row>& batch) override {
      for (auto& e : batch) op->table_.insert_or_assign(op->row_key_(e.value), std::move(e.value));
    }
    void OnWatermark(Timestamp) override {}
    void OnEnd() override {}
    StreamTableJoinOperator* op;
  };

  void Enrich(Batch<In>& batch) {
    for (auto& e : batch) {
      auto it = table_.find(key_(e.value));
      const Row* row = it == table_.end() ? nullptr : &it->second;
      misses_ += row == nullptr;
      std::optional<Out> o = join_(e.value, row);
      if (o) buffer_.push_back(Event<Out>{e.ts, std::move(*o)});
    }
    if (buffer_.empty()) return;
    out_->OnBatch(buffer_);
    buffer_.clear();
  }

  Receiver<Out>* out_;
  KeyFn key_;
  RowKeyFn row_key_;
  JoinFn join_;
  Records records_;
  Rows rows_;
  absl::flat_hash_map<K, Row> table_;
  Batch<Out> buffer_;
  uint64_t misses_ = 0;
};

}  // namespace rivulet::operators
