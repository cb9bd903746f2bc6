// FileSource: the lines of one file as records, read once or followed as
// the file grows (FromFile in file_connector.h builds it into a job).
#pragma once

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "base/logging.h"
#include "connectors/serde/serde.h"
#include "engine/operator.h"
#include "operators/operator_base.h"

namespace rivulet::connectors {

struct FileSourceOptions {
  std::string path;
  bool follow = false;  // keep reading what is appended, until the job stops
  using OnBadRecord = connectors::OnBadRecord;  // kFail or kSkip (no dead letters for files)
  OnBadRecord on_bad_record = OnBadRecord::kFail;
  int64_t max_out_of_orderness_ms = 0;
};

template <typename T, typename Decode, typename TsFn>
class FileSource final : public engine::SourceInstance {
 public:
  using Poll = engine::SourceInstance::Poll;
  FileSource(void* out, FileSourceOptions options, Decode decode, TsFn ts)
      : out_(static_cast<operators::Receiver<T>*>(out)), options_(std::move(options)), decode_(std::move(decode)),
        ts_(std::move(ts)) {}
  ~FileSource() override {
    if (file_) std::fclose(file_);
  }

  void End() override { out_->OnEnd(); }

  Poll PollRecords(size_t max_records) override {
    if (!file_) {
      file_ = std::fopen(options_.path.c_str(), "r");
      if (!file_) throw std::runtime_error(options_.path + ": " + std::strerror(errno));
    }
    batch_.clear();
    while (batch_.size() < max_records) {
      const int c = std::fgetc(file_);
      if (c == EOF) {
        std::clearerr(file_);  // following: what is appended is read next time
        break;
      }
      if (c != '\n') {
        partial_.push_back(static_cast<char>(c));
        continue;
      }
      ++line_;
      Line(partial_);
      partial_.clear();
    }
    if (!batch_.empty()) {
      out_->OnBatch(batch_);
      const engine::Timestamp wm = max_ts_ - options_.max_out_of_orderness_ms - 1;
      if (max_ts_ != engine::kMinTimestamp && wm > watermark_) {
        watermark_ = wm;
        out_->OnWatermark(wm);
      }
      return Poll::kMore;
    }
    if (!options_.follow) {
      if (!partial_.empty()) {  // a last line without a newline
        ++line_;
        Line(partial_);
        partial_.clear();
        if (!batch_.empty()) out_->OnBatch(batch_);
      }
      return Poll::kEnd;
    }
    return Poll::kIdle;
  }
  std::chrono::milliseconds retry_after() const override { return std::chrono::milliseconds(20); }

 private:
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
    max_ts_ = std::max(max_ts_, t);
    batch_.push_back(operators::Event<T>{t, std::move(v)});
  }

  operators::Receiver<T>* out_;
  FileSourceOptions options_;
  Decode decode_;
  TsFn ts_;
  std::FILE* file_ = nullptr;
  std::string partial_;
  int64_t line_ = 0;
  operators::Batch<T> batch_;
  engine::Timestamp max_ts_ = engine::kMinTimestamp;
  engine::Timestamp watermark_ = engine::kMinTimestamp;
};

}  // namespace rivulet::connectors
