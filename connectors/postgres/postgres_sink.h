// A PostgreSQL table writer over libpq. Rows are buffered (AddRow) and
// written by Flush in one transaction with COPY ... FROM STDIN: straight
// into the table, or — with key columns — into a temporary staging table
// and from there merged with INSERT ... ON CONFLICT (key) DO UPDATE, the
// last row of a key in the batch winning. So a batch is in the table whole
// or not at all, and replaying a batch after a restart leaves an upserted
// table as it was.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

struct pg_conn;

namespace rivulet::connectors {

struct PostgresSinkOptions {
  std::string conninfo;              // postgresql://user@host:port/db or "host=... port=..."
  std::string schema;                // run once per connection, e.g. CREATE TABLE IF NOT EXISTS ...
  std::string table;                 // [schema.]table
  std::vector<std::string> columns;  // the row's columns, in order
  std::vector<std::string> key;      // empty: plain inserts; else upsert by these columns
};

class PostgresSink {
 public:
  // Connects, runs the schema statement and (for upserts) creates the
  // session's staging table. Errors name the server and the statement.
  static Result<std::unique_ptr<PostgresSink>> Open(PostgresSinkOptions options);
  ~PostgresSink();
  PostgresSink(const PostgresSink&) = delete;
  PostgresSink& operator=(const PostgresSink&) = delete;

  // Buffers one row: values in column order, as text (PostgreSQL converts
  // them to the columns' types).
  void AddRow(const std::vector<std::string>& values);
  // Writes the buffered rows in one transaction; the buffer is emptied
  // either way.
  Status Flush();

  // The same in steps, for a caller that writes more in the transaction
  // (a job sink's progress): Begin, WriteBuffered (COPY, and the merge of
  // an upsert; the buffer is emptied either way), then Commit; after a
  // failure, Rollback. The staging table of upserts empties only at the
  // commit, so a second WriteBuffered in one transaction merges the first
  // one's rows again (the later rows still win): add every row first and
  // write once.
  Status Begin();
  Status WriteBuffered();
  Status Commit();
  // Ends the open transaction, if any, without writing it.
  void Rollback();

  // Runs a query returning one integer (e.g. SELECT COUNT(*) ...).
  Result<int64_t> QueryInt(const std::string& sql);
  // Runs a query; every row's columns as text (NULL as "").
  Result<std::vector<std::vector<std::string>>> QueryRows(const std::string& sql);
  Status Exec(const std::string& sql);
  // Runs a schema statement (CREATE TABLE IF NOT EXISTS ...) while no other
  // connection of a sink runs one (an advisory lock of the server).
  Status ExecSchema(const std::string& sql);

 private:
  explicit PostgresSink(PostgresSinkOptions options) : options_(std::move(options)) {}
  Status Error(const std::string& what) const;
  Status Copy(const std::string& target);

  PostgresSinkOptions options_;
  pg_conn* conn_ = nullptr;
  std::string copy_data_;  // COPY text format: tab-separated, escaped, one line per row
  size_t rows_ = 0;
  std::string merge_sql_;  // upserts: staging -> table
};

// Whether `db` names a PostgreSQL database (postgresql:// or postgres://).
bool IsPostgresUri(const std::string& db);

}  // namespace rivulet::connectors
