// Base classes for typed operator instances: a unary operator receives a
// stream of In and sends a stream of Out to the next receiver (chained
// operator or writer); a sink only receives. Watermarks and the end of
// input pass through unless the operator overrides them (windows do).
#pragma once

#include "engine/batch.h"
#include "engine/operator.h"

namespace rivulet::operators {

using engine::Batch;
using engine::Event;
using engine::Receiver;
using engine::Timestamp;

template <typename In, typename Out>
class UnaryOperator : public engine::OperatorInstance, public Receiver<In> {
 public:
  explicit UnaryOperator(engine::Port out) : out_(out.template As<Out>()) {}
  engine::Port input(int) override { return engine::Port::Of<In>(this); }
  void Watermark(Timestamp w) override { this->OnWatermark(w); }
  void End() override { this->OnEnd(); }
  void OnWatermark(Timestamp w) override { out_->OnWatermark(w); }
  void OnEnd() override { out_->OnEnd(); }

 protected:
  // Sends buffer_ if it holds records, then clears it.
  void Emit() {
    if (buffer_.empty()) return;
    out_->OnBatch(buffer_);
    buffer_.clear();
  }

  Receiver<Out>* out_;
  Batch<Out> buffer_;  // reused between batches
};

template <typename In>
class SinkOperator : public engine::OperatorInstance, public Receiver<In> {
 public:
  engine::Port input(int) override { return engine::Port::Of<In>(this); }
  void Watermark(Timestamp w) override { this->OnWatermark(w); }
  void End() override { this->OnEnd(); }
  void OnWatermark(Timestamp) override {}
};

}  // namespace rivulet::operators
