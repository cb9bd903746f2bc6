// LogSink writes a job's records to a topic of the embedded log through a
// Producer per instance: encode(record) gives the key (or nullopt) and the
// value; the record's timestamp is kept. The end of input flushes; a
// failed append fails the job. At-least-once (checkpoints come later).
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "log/producer.h"
#include "operators/operator_base.h"

namespace rivulet::connectors {

template <typename T, typename Encode>
class LogSink final : public operators::SinkOperator<T> {
 public:
  LogSink(log::LogManager* log, std::string topic, Encode encode, log::ProducerConfig config = {})
      : producer_(log, config), topic_(std::move(topic)), encode_(std::move(encode)) {}

  void OnBatch(operators::Batch<T>& batch) override {
    for (const auto& e : batch) {
      std::pair<std::optional<std::string>, std::string> kv = encode_(e.value);
      std::optional<std::string_view> key;
      if (kv.first) key = *kv.first;
      Status st = producer_.Send(topic_, key, std::string_view(kv.second), nullptr, -1, e.ts);
      if (!st.ok()) throw std::runtime_error("writing to topic " + topic_ + ": " + st.ToString());
    }
  }
  void OnEnd() override {
    Status st = producer_.Flush();
    if (!st.ok()) throw std::runtime_error("flushing topic " + topic_ + ": " + st.ToString());
  }

 private:
  log::Producer producer_;
  std::string topic_;
  Encode encode_;
};

}  // namespace rivulet::connectors
