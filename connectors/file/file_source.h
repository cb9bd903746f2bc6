// FileSource: the lines of one file as records, read once or followed as
// the file grows (FromFile in file_connector.h builds it into a job).
// The file is one split of the options' watermark strategy
// (operators/watermarks.h): watermark = largest timestamp - bound - 1; a
// followed file without new lines for the idle timeout marks the
// instance idle, so it does not hold back the job's watermark.
#pragma once

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <utility>

#include "base/logging.h"
#include "connectors/serde/serde.h"
#include "engine/operator.h"
#include "engine/state_codec.h"
#include "operators/operator_base.h"
#include "operators/watermarks.h"

namespace rivulet::connectors {

struct FileSourceOptions {
  std::string path;
  bool follow = false;  // keep reading what is appended, until the job stops
  using OnBadRecord = connectors::OnBadRecord;  // kFail or kSkip (no dead letters for files)
  OnBadRecord on_bad_record = OnBadRecord::kFail;
  operators::WatermarkStrategy watermarks;  // bound on out-of-orderness, idle timeout
};

// The state a FileSource records at a barrier: where the next unread line
// starts, and what it needs to go on as if it had not stopped.
struct FileSourcePosition {
  std::string path;          // for messages
  uint64_t inode = 0;        // of the file read (0: not opened yet, not checked)
  int64_t offset = 0;        // byte offset of the next unread line
  int64_t line = 0;          // lines before it (for PATH:LINE in messages)
  int64_t max_ts = engine::kMinTimestamp;
};
RIVULET_STATE_FIELDS(FileSourcePosition, path, inode, offset, line, max_ts)

// The file is one split: its state entry is tagged with this split id, and
// the instance that reads it (the only one) takes it on restore.
inline constexpr uint32_t kFileSplit = 0;

// Reads whole lines: a line is emitted when its newline is read (or, not
// following, at the end of the file), so a position is always the start
// of a line; a partial last line of a followed file is read again after a
// restore. With checkpoints the position is part of each one; a restore
// seeks to it, failing (naming the file) when the file is shorter than
// the position or is another file (inode) than the one checkpointed.
template <typename T, typename Decode, typename TsFn>
class FileSource final : public engine::SourceInstance {
 public:
  using Poll = engine::SourceInstance::Poll;
  FileSource(engine::Port out, FileSourceOptions options, Decode decode, TsFn ts)
      : out_(out.template As<T>()), options_(std::move(options)), decode_(std::move(decode)),
        ts_(std::move(ts)), watermarks_(options_.watermarks), split_(&watermarks_.Add(kFileSplit)) {}
  ~FileSource() override {
    if (file_) std::fclose(file_);
  }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  void End() override { out_->OnEnd(); }

  void Restore(const engine::RestoreContext& ctx) override {
    for (const auto& e : *ctx.entries) {
      if (e.group == engine::kNoGroup || static_cast<int>(e.group % static_cast<uint32_t>(ctx.parallelism)) != ctx.index) {
        continue;
      }
      auto v = engine::DecodeState<FileSourcePosition>(e.bytes);
      if (!v.ok()) throw std::runtime_error(options_.path + ": file source state: " + v.status().ToString());
      Open();
      struct stat st;
      if (::fstat(fileno(file_), &st) != 0) Fail("stat");
      if (v->inode != 0 && st.st_ino != v->inode) {
        throw std::runtime_error(options_.path + ": another file than the checkpoint read (inode " +
                                 std::to_string(st.st_ino) + ", the checkpoint's " + std::to_string(v->inode) +
                                 "): it was replaced; start the job afresh to read it from the beginning");
      }
      if (st.st_size < v->offset) {
        throw std::runtime_error(options_.path + ": " + std::to_string(st.st_size) + " bytes, shorter than the " +
                                 std::to_string(v->offset) + " the checkpoint had read (line " +
                                 std::to_string(v->line) +
                                 "): it was truncated or replaced; start the job afresh to read it from the beginning");
      }
      if (::fseeko(file_, static_cast<off_t>(v->offset), SEEK_SET) != 0) Fail("seek");
      read_ = line_start_ = v->offset;
      line_ = v->line;
      watermarks_.Add(kFileSplit, v->max_ts);
    }
  }

  // At a barrier (between two polls): the start of the next unread line.
  void Snapshot(int64_t, engine::SnapshotWriter& out) override {
    FileSourcePosition p{options_.path, inode_, line_start_, line_, split_->max_ts()};
    out.Add(kFileSplit, engine::EncodeState(p));
  }

  Poll PollRecords(size_t max_records) override {
    if (!file_) Open();
    batch_.clear();
    at_eof_ = false;
    while (batch_.size() < max_records) {
      const int c = std::fgetc(file_);
      if (c == EOF) {
        if (std::ferror(file_)) Fail("read");
        std::clearerr(file_);  // following: what is appended is read next time
        at_eof_ = true;
        break;
      }
      ++read_;
      if (c != '\n') {
        partial_.push_back(static_cast<char>(c));
        continue;
      }
      ++line_;
      line_start_ = read_;
      Line(partial_);
      partial_.clear();
    }
    if (!batch_.empty()) {
      out_->OnBatch(batch_);
      EmitWatermark();
      return Poll::kMore;
    }
    EmitWatermark();  // after a restore, the restored one
    if (!options_.follow) {
      if (!partial_.empty()) {  // a last line without a newline
        ++line_;
        line_start_ = read_;
        Line(partial_);
        partial_.clear();
        if (!batch_.empty()) out_->OnBatch(batch_);
        EmitWatermark();
      }
      return Poll::kEnd;
    }
    CheckNotShrunk();
    return Poll::kIdle;
  }
  std::chrono::milliseconds retry_after() const override { return std::chrono::milliseconds(20); }
  // Following, no new line for the idle timeout.
  bool idle() const override { return watermarks_.idle(); }

 private:
  void Open() {
    if (file_) return;
    file_ = std::fopen(options_.path.c_str(), "r");
    if (!file_) throw std::runtime_error(options_.path + ": " + std::strerror(errno));
    struct stat st;
    if (::fstat(fileno(file_), &st) != 0) Fail("stat");
    inode_ = static_cast<uint64_t>(st.st_ino);
  }
  // A followed file cut below what was read is another file now.
  void CheckNotShrunk() {
    struct stat st;
    if (::fstat(fileno(file_), &st) != 0) Fail("stat");
    if (st.st_size < read_) {
      throw std::runtime_error(options_.path + ": shrank to " + std::to_string(st.st_size) + " bytes below the " +
                               std::to_string(read_) + " read: truncated while followed");
    }
  }
  // Not at the end of the file: lines wait, the file does not age toward
  // idleness.
  void EmitWatermark() {
    if (auto wm = watermarks_.Advance(/*caught_up=*/at_eof_)) out_->OnWatermark(*wm);
  }
  [[noreturn]] void Fail(const char* what) {
    throw std::runtime_error(options_.path + ": " + what + ": " + std::strerror(errno));
  }
  void Line(const std::string& text) {
    if (text.empty() || text == "\r") return;
    auto decoded = decode_(std::string_view(text));
    if (!DecodedOk(decoded)) {
      this->CountBadRecord();
      HandleBadRecord(options_.on_bad_record, options_.path + ":" + std::to_string(line_) + ": line",
                      DecodeError(decoded));
      return;
    }
    T v = TakeDecoded(decoded);
    engine::Timestamp t;
    if constexpr (std::is_same_v<TsFn, std::nullptr_t>) {
      t = engine::WallClockMs();
    } else {
      t = ts_(v);
    }
    split_->Record(t);
    batch_.push_back(operators::Event<T>{t, std::move(v)});
  }

  operators::Receiver<T>* out_;
  FileSourceOptions options_;
  Decode decode_;
  TsFn ts_;
  std::FILE* file_ = nullptr;
  uint64_t inode_ = 0;
  std::string partial_;     // the line being read (no newline yet)
  int64_t read_ = 0;        // bytes of the file read
  int64_t line_start_ = 0;  // offset of the first byte of partial_: the next unread line
  int64_t line_ = 0;        // lines read before line_start_
  bool at_eof_ = false;     // the last poll reached the end of the file
  operators::Batch<T> batch_;
  operators::SplitWatermarks watermarks_;
  operators::SplitWatermarks::Split* split_;  // the file's, in watermarks_
};

}  // namespace rivulet::connectors
