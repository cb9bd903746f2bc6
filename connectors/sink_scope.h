// Who an instance of an exactly-once job sink is, once checkpoints are on:
// its name (JOB/SINK/INSTANCE: progress records, transactional ids), and
// which old instances' checkpoint entries it answers for after a restore,
// possibly at another parallelism. The EnableCheckpoints / Restore
// prologue of every such sink (EpochBuffer, LogSink, FileSink), written once.
#pragma once

#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "engine/operator.h"
#include "engine/state.h"
#include "engine/state_codec.h"

namespace rivulet::connectors {

class SinkScope {
 public:
  // From EnableCheckpoints (which the runtime calls before Restore).
  void Enable(const engine::CheckpointScope& scope) {
    prefix_ = scope.job + "/" + scope.operator_name + "/";
    index_ = scope.index;
    parallelism_ = scope.parallelism;
  }
  // Whether checkpoints are on.
  bool enabled() const { return !prefix_.empty(); }
  int index() const { return index_; }
  // JOB/SINK/ (empty until Enable).
  const std::string& prefix() const { return prefix_; }
  // JOB/SINK/INSTANCE.
  std::string Name(int instance) const { return prefix_ + std::to_string(instance); }
  // Whether this instance settles what instance `old` of the restored run
  // left: old % parallelism == index (itself, at the same parallelism).
  bool AnswersFor(int old) const { return old % parallelism_ == index_; }

  // The entries of a restored checkpoint this instance (ctx.index of
  // ctx.parallelism) answers for, each decoded as Entry: a tuple whose
  // first element is the instance that wrote it. Throws, naming `what`
  // ("log sink"), on one that does not decode.
  template <typename Entry>
  static std::vector<Entry> Restore(const engine::RestoreContext& ctx, const std::string& what) {
    std::vector<Entry> mine;
    for (const auto& e : *ctx.entries) {
      auto v = engine::DecodeState<Entry>(e.bytes);
      if (!v.ok()) throw std::runtime_error(what + " state: " + v.status().ToString());
      if (std::get<0>(*v) % ctx.parallelism == ctx.index) mine.push_back(std::move(*v));
    }
    return mine;
  }

 private:
  std::string prefix_;  // JOB/SINK/ once checkpoints are on
  int index_ = 0;
  int parallelism_ = 1;
};

}  // namespace rivulet::connectors
