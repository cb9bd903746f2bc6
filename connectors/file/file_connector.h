// Files as a job's source and sink, one record per line (JSON lines, CSV
// or any text format: the job gives the decoder — Decoder(serde) of
// connectors/serde/serde.h, or its own — and the formatter).
//
// FromFile reads a file once (bounded) or follows it as it grows, like
// `tail -f`, until the job is stopped; one instance reads (a file is one
// partition). decode(line) -> Result<T> or std::optional<T>; a line it
// rejects fails the job naming path:line and the reason, or is skipped
// with a log line, as configured. ToFile writes format(record) + "\n" per
// record from one instance, flushed and fsynced at the end of input.
#pragma once

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unistd.h>
#include <utility>
#include <vector>

#include "base/logging.h"
#include "connectors/serde/serde.h"
#include "engine/operator.h"
#include "operators/operator_base.h"
#include "operators/stream.h"

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

template <typename T, typename Format>
class FileSink final : public operators::SinkOperator<T> {
 public:
  FileSink(std::string path, Format format) : path_(std::move(path)), format_(std::move(format)) {}
  ~FileSink() override {
    if (file_) std::fclose(file_);
  }
  void OnBatch(operators::Batch<T>& batch) override {
    Open();
    text_.clear();
    for (const auto& e : batch) {
      text_ += format_(e.value);
      text_ += '\n';
    }
    if (std::fwrite(text_.data(), 1, text_.size(), file_) != text_.size()) Fail("write");
  }
  void OnEnd() override {
    Open();
    if (std::fflush(file_) != 0 || ::fsync(fileno(file_)) != 0) Fail("flush");
  }

 private:
  void Open() {
    if (file_) return;
    file_ = std::fopen(path_.c_str(), "w");
    if (!file_) Fail("open");
  }
  [[noreturn]] void Fail(const char* what) {
    throw std::runtime_error(path_ + ": " + what + ": " + std::strerror(errno));
  }
  std::string path_;
  Format format_;
  std::FILE* file_ = nullptr;
  std::string text_;
};

// Lines of a file as a stream of T (one instance).
template <typename T, typename Decode, typename TsFn = std::nullptr_t>
operators::Stream<T> FromFile(operators::JobBuilder& job, std::string name, FileSourceOptions options, Decode decode,
                              TsFn ts = nullptr) {
  if (options.on_bad_record == OnBadRecord::kDeadLetter) {
    job.Fail(Status(Errc::kInvalidArgument, "'" + name + "': dead letters need a log source; a file source fails or skips"));
  }
  const int id = job.template AddNode<T>(std::move(name), "file source", {},
                                         [options, decode, ts](int, int, void* out) {
                                           return std::make_unique<FileSource<T, Decode, TsFn>>(out, options, decode,
                                                                                                ts);
                                         },
                                         /*source=*/true);
  job.graph().node(id).parallelism = 1;
  return operators::Stream<T>(&job, id);
}

// Writes `stream` to `path` (replaced), one format(record) per line.
template <typename T, typename Format>
void ToFile(operators::Stream<T> stream, std::string name, std::string path, Format format) {
  const int id = stream.job()->template AddNode<void>(std::move(name), "file sink", {stream.Forward()},
                                                      [path, format](int, int, void*) {
                                                        return std::make_unique<FileSink<T, Format>>(path, format);
                                                      });
  stream.job()->graph().node(id).parallelism = 1;
}

}  // namespace rivulet::connectors
