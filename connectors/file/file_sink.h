// FileSink: format(record) + "\n" per record into one file (ToFile in
// file_connector.h builds it into a job).
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <utility>

#include "connectors/file/part_files.h"
#include "connectors/sink_scope.h"
#include "engine/state_codec.h"

#include "operators/operator_base.h"

namespace rivulet::connectors {

// Without checkpoints: replaces the file and writes through stdio; the end
// of input flushes and fsyncs it (at-least-once across restarts).
// With checkpoints: exactly once, through PartFiles (part_files.h): the
// records between two barriers go to the in-progress file, which becomes
// the pending part of checkpoint N at barrier N and is committed into the
// output when N completes; a restored sink commits what its checkpoint
// recorded and drops the rest. One instance writes a file.
template <typename T, typename Format>
class FileSink final : public operators::SinkOperator<T> {
 public:
  FileSink(std::string path, Format format) : path_(std::move(path)), format_(std::move(format)) {}
  ~FileSink() override {
    if (file_) std::fclose(file_);
  }
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  void OnBatch(operators::Batch<T>& batch) override {
    if (parts_) {
      Start();
      for (const auto& e : batch) {
        text_ += format_(e.value);
        text_ += '\n';
      }
      if (text_.size() >= kWriteBytes) WriteOut();
      return;
    }
    Open();
    text_.clear();
    for (const auto& e : batch) {
      text_ += format_(e.value);
      text_ += '\n';
    }
    if (std::fwrite(text_.data(), 1, text_.size(), file_) != text_.size()) Fail("write");
  }
  void OnEnd() override {
    if (parts_) {  // the final checkpoint commits the rest
      Start();
      return;
    }
    Open();
    if (std::fflush(file_) != 0 || ::fsync(fileno(file_)) != 0) Fail("flush");
  }

  void EnableCheckpoints(const engine::CheckpointScope& scope) override {
    index_ = scope.index;
    parts_ = std::make_unique<PartFiles>(path_);
  }
  void Restore(const engine::RestoreContext& ctx) override {
    if (!parts_) return;
    auto mine = SinkScope::Restore<std::pair<int, FileSinkState>>(ctx, path_ + ": file sink");
    if (mine.empty()) return;  // a checkpoint without the sink's state: starts afresh
    if (mine.size() > 1) throw std::runtime_error(path_ + ": the checkpoint has two file sink instances writing it");
    Check(parts_->Recover(mine.front().second));
    started_ = true;
  }
  // Pre-commit: what came before the barrier is durable and pending.
  void Snapshot(int64_t id, engine::SnapshotWriter& out) override {
    if (!parts_) return;
    Start();
    WriteOut();
    Check(parts_->Seal(id));
    out.Add(engine::kNoGroup, engine::EncodeState(std::pair<int, FileSinkState>(index_, parts_->state())));
  }
  void CheckpointComplete(int64_t id) override {
    if (!parts_) return;
    Start();
    Check(parts_->Commit(id));
  }

 private:
  static constexpr size_t kWriteBytes = size_t{1} << 20;  // buffered before a write(2)

  // A checkpointed run that was not restored starts from an empty output.
  void Start() {
    if (started_) return;
    Check(parts_->Start());
    started_ = true;
  }
  void WriteOut() {
    if (text_.empty()) return;
    Check(parts_->Write(text_));
    text_.clear();
  }
  void Open() {
    if (file_) return;
    file_ = std::fopen(path_.c_str(), "w");
    if (!file_) Fail("open");
  }
  [[noreturn]] void Fail(const char* what) {
    throw std::runtime_error(path_ + ": " + what + ": " + std::strerror(errno));
  }
  static void Check(const Status& st) {
    if (!st.ok()) throw std::runtime_error(st.ToString());
  }
  std::string path_;
  Format format_;
  std::FILE* file_ = nullptr;        // without checkpoints
  std::unique_ptr<PartFiles> parts_;  // with checkpoints
  bool started_ = false;              // parts_ started afresh or recovered
  int index_ = 0;
  std::string text_;
};

}  // namespace rivulet::connectors
