// FileSink: format(record) + "\n" per record into one file (ToFile in
// file_connector.h builds it into a job).
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <utility>

#include "operators/operator_base.h"

namespace rivulet::connectors {

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

}  // namespace rivulet::connectors
