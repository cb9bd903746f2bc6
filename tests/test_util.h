// Helpers shared by the tests: a temporary directory removed at the end,
// batch construction, and reading every record of a partition.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "log/log_manager.h"
#include "log/record_batch.h"

namespace rivulet::testing {

// A fresh directory under $TMPDIR (or /tmp), removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// One uncompressed batch of `values` (keys "k<i>" when with_keys), with
// timestamps ts0, ts0+1, ...
std::string MakeBatch(const std::vector<std::string>& values, int64_t ts0 = 1000,
                      bool with_keys = true);

struct SimpleRecord {
  int64_t offset;
  int64_t timestamp;
  std::string key;
  std::string value;
};

// Decodes all records in `bytes` (concatenated batches), checking CRCs.
Result<std::vector<SimpleRecord>> DecodeAll(const std::string& bytes);

// Reads every record of `tp` from `from` to the log end.
Result<std::vector<SimpleRecord>> ReadAll(const log::LogManager& lm, const log::TopicPartition& tp,
                                          int64_t from = 0);

// Runs `argv` to completion; returns the exit status and captures output.
// The child gets this process's environment changed by `env`: "NAME=VALUE"
// sets NAME (replacing an inherited value), a bare "NAME" removes it.
struct ProcessResult {
  int exit_code = -1;  // 128+signal when killed
  std::string out;
  std::string err;
};
ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& stdin_data = "",
                         const std::vector<std::string>& env = {});

// A private PostgreSQL server (tests/postgres_server.sh) for the life of
// the object: a fresh cluster on a free loopback port. uri() is empty when
// it could not start, and error() says why.
class PostgresServer {
 public:
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;
  const std::string& uri() const { return uri_; }
  const std::string& error() const { return error_; }

 private:
  TempDir dir_;
  std::string uri_;
  std::string error_;
};

}  // namespace rivulet::testing
