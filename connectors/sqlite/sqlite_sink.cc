// SQLite sink; see sqlite_sink.h.
#include "connectors/sqlite/sqlite_sink.h"

#include <sqlite3.h>

#include <charconv>
#include <chrono>
#include <thread>

namespace rivulet::connectors {

Status SqliteSink::Error(const std::string& what) const {
  return Status(Errc::kIoError, "sqlite " + path_ + ": " + what + ": " +
                                    (db_ ? sqlite3_errmsg(db_) : "cannot open"));
}

Result<std::unique_ptr<SqliteSink>> SqliteSink::Open(const std::string& path,
                                                     const std::string& schema,
                                                     const std::string& insert_sql) {
  std::unique_ptr<SqliteSink> s(new SqliteSink());
  s->path_ = path;
  if (sqlite3_open(path.c_str(), &s->db_) != SQLITE_OK) return s->Error("open");
  sqlite3_busy_timeout(s->db_, 30000);  // several instances of a job may write at once
  // Switching a new file to WAL takes an exclusive lock that the busy
  // timeout does not wait for: instances opening one new file at once
  // retry it.
  for (int attempt = 0;; ++attempt) {
    const int rc = sqlite3_exec(s->db_, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) break;
    if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || attempt == 3000) return s->Error("PRAGMA journal_mode=WAL");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  RIVULET_RETURN_IF_ERROR(s->Exec("PRAGMA synchronous=NORMAL"));
  RIVULET_RETURN_IF_ERROR(s->Exec(schema));
  if (sqlite3_prepare_v2(s->db_, insert_sql.c_str(), -1, &s->insert_, nullptr) != SQLITE_OK) {
    return s->Error("prepare");
  }
  return s;
}

SqliteSink::~SqliteSink() {
  if (insert_) sqlite3_finalize(insert_);
  if (db_) sqlite3_close(db_);
}

Status SqliteSink::Exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "error";
    sqlite3_free(err);
    return Status(Errc::kIoError, "sqlite " + path_ + ": " + sql + ": " + msg);
  }
  return Status::Ok();
}

Status SqliteSink::Begin() { return Exec("BEGIN IMMEDIATE"); }  // the write lock now: waits (busy timeout), never deadlocks
Status SqliteSink::Commit() { return Exec("COMMIT"); }

Status SqliteSink::Insert(const std::vector<std::string>& values) {
  sqlite3_reset(insert_);
  sqlite3_clear_bindings(insert_);
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string& v = values[i];
    int64_t n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    const int idx = static_cast<int>(i + 1);
    if (!v.empty() && ec == std::errc() && p == v.data() + v.size()) {
      sqlite3_bind_int64(insert_, idx, n);
    } else {
      sqlite3_bind_text(insert_, idx, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    }
  }
  if (sqlite3_step(insert_) != SQLITE_DONE) return Error("insert");
  return Status::Ok();
}

Result<int64_t> SqliteSink::QueryInt(const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) return Error("prepare");
  int64_t out = 0;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) out = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error("query");
  return out;
}

Result<std::vector<std::vector<std::string>>> SqliteSink::QueryRows(const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) return Error("prepare");
  std::vector<std::vector<std::string>> rows;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int c = 0; c < sqlite3_column_count(st); ++c) {
      const unsigned char* t = sqlite3_column_text(st, c);
      row.emplace_back(t ? reinterpret_cast<const char*>(t) : "");
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return Error("query");
  return rows;
}

}  // namespace rivulet::connectors
