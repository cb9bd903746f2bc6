// Enrich: look each record up by key in a table and join it with the row
// found. The table is loaded when the job starts (shared, read-only), or
// kept current from a second stream (stream-table join, enrich_stream.h
// later). join(record, row or nullptr) returns the output record, or
// nullopt to drop it (inner join); records without a row are counted.
#pragma once

#include <memory>
#include <optional>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "operators/operator_base.h"

namespace rivulet::operators {

template <typename In, typename Out, typename Table, typename KeyFn, typename JoinFn>
class LookupEnrichOperator final : public UnaryOperator<In, Out> {
 public:
  LookupEnrichOperator(void* out, std::shared_ptr<const Table> table, KeyFn key, JoinFn join)
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
  uint64_t misses() const { return misses_; }

 private:
  std::optional<Out> Join(const In& v) {
    auto it = table_->find(key_(v));
    const typename Table::mapped_type* row = it == table_->end() ? nullptr : &it->second;
    misses_ += row == nullptr;
    return join_(v, row);
  }

  std::shared_ptr<const Table> table_;
  KeyFn key_;
  JoinFn join_;
  uint64_t misses_ = 0;
};

}  // namespace rivulet::operators
