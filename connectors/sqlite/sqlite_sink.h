// A small SQLite sink: opens a database file, runs a schema statement, and
// inserts rows through one prepared statement inside explicit transactions
// (Begin / Insert* / Commit), so a crash leaves whole transactions only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace rivulet::connectors {

class SqliteSink {
 public:
  // Opens `path` (created if missing) with WAL journaling, runs `schema`
  // (e.g. CREATE TABLE IF NOT EXISTS ...) and prepares `insert_sql`, whose
  // parameters are bound as text in order.
  static Result<std::unique_ptr<SqliteSink>> Open(const std::string& path, const std::string& schema,
                                                  const std::string& insert_sql);
  ~SqliteSink();
  SqliteSink(const SqliteSink&) = delete;
  SqliteSink& operator=(const SqliteSink&) = delete;

  Status Begin();
  // Binds `values` (text; an int64 when the text is an integer) and inserts.
  Status Insert(const std::vector<std::string>& values);
  Status Commit();
  // Runs statements without results (e.g. CREATE TABLE ..., DELETE ...).
  Status Execute(const std::string& sql) { return Exec(sql); }
  // Runs a query returning one integer (e.g. SELECT COUNT(*) ...).
  Result<int64_t> QueryInt(const std::string& sql);
  // Runs a query; every row's columns as text.
  Result<std::vector<std::vector<std::string>>> QueryRows(const std::string& sql);

 private:
  SqliteSink() = default;
  Status Exec(const std::string& sql);
  Status Error(const std::string& what) const;

  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  std::string path_;
};

}  // namespace rivulet::connectors
