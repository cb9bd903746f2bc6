// PostgreSQL sink; see postgres_sink.h.
#include "connectors/postgres/postgres_sink.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>

namespace rivulet::connectors {
namespace {

// Table and column names go into SQL as they are: only plain (optionally
// schema-qualified) identifiers are accepted.
bool IsIdentifier(const std::string& s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; });
}

std::string Join(const std::vector<std::string>& v, const std::string& sep, const std::string& prefix = "") {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + prefix + v[i];
  return out;
}

// One value in COPY's text format.
void AppendEscaped(std::string& out, const std::string& v) {
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
}

struct ResultGuard {
  PGresult* r;
  ~ResultGuard() { PQclear(r); }
};

}  // namespace

bool IsPostgresUri(const std::string& db) {
  return db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0;
}

Status PostgresSink::Error(const std::string& what) const {
  std::string server = conn_ ? std::string(PQhost(conn_) ? PQhost(conn_) : "?") + ":" +
                                   (PQport(conn_) ? PQport(conn_) : "?") + "/" + (PQdb(conn_) ? PQdb(conn_) : "?")
                             : "?";
  std::string msg = conn_ ? PQerrorMessage(conn_) : "out of memory";
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  return Status(Errc::kIoError, "postgresql " + server + ": " + what + ": " + msg);
}

Result<std::unique_ptr<PostgresSink>> PostgresSink::Open(PostgresSinkOptions options) {
  if (!IsIdentifier(options.table)) {
    return Status(Errc::kInvalidArgument, "postgresql sink: table '" + options.table + "' is not an identifier");
  }
  if (options.columns.empty()) return Status(Errc::kInvalidArgument, "postgresql sink: no columns");
  for (const auto& c : options.columns) {
    if (!IsIdentifier(c) || c.find('.') != std::string::npos) {
      return Status(Errc::kInvalidArgument, "postgresql sink: column '" + c + "' is not an identifier");
    }
  }
  for (const auto& k : options.key) {
    if (std::find(options.columns.begin(), options.columns.end(), k) == options.columns.end()) {
      return Status(Errc::kInvalidArgument, "postgresql sink: key column '" + k + "' is not one of the columns");
    }
  }
  std::unique_ptr<PostgresSink> s(new PostgresSink(std::move(options)));
  const auto& o = s->options_;
  s->conn_ = PQconnectdb(o.conninfo.c_str());
  if (!s->conn_ || PQstatus(s->conn_) != CONNECTION_OK) return s->Error("connect");
  RIVULET_RETURN_IF_ERROR(s->Exec("SET client_min_messages = warning"));
  if (!o.schema.empty()) RIVULET_RETURN_IF_ERROR(s->ExecSchema(o.schema));
  if (!o.key.empty()) {
    RIVULET_RETURN_IF_ERROR(s->Exec("CREATE TEMPORARY TABLE rivulet_staging (LIKE " + o.table +
                                    " INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"));
    RIVULET_RETURN_IF_ERROR(
        s->Exec("ALTER TABLE rivulet_staging ADD COLUMN rivulet_seq bigint GENERATED ALWAYS AS IDENTITY"));
    std::vector<std::string> rest;
    for (const auto& c : o.columns) {
      if (std::find(o.key.begin(), o.key.end(), c) == o.key.end()) rest.push_back(c + " = EXCLUDED." + c);
    }
    // DISTINCT ON keeps one row per key — the last added — since ON
    // CONFLICT cannot update one row twice in a statement.
    s->merge_sql_ = "INSERT INTO " + o.table + " (" + Join(o.columns, ", ") + ") SELECT DISTINCT ON (" +
                    Join(o.key, ", ") + ") " + Join(o.columns, ", ") + " FROM rivulet_staging ORDER BY " +
                    Join(o.key, ", ") + ", rivulet_seq DESC ON CONFLICT (" + Join(o.key, ", ") + ") DO " +
                    (rest.empty() ? "NOTHING" : "UPDATE SET " + Join(rest, ", "));
  }
  return s;
}

PostgresSink::~PostgresSink() {
  if (conn_) PQfinish(conn_);
}

Status PostgresSink::Exec(const std::string& sql) {
  ResultGuard r{PQexec(conn_, sql.c_str())};
  const auto st = PQresultStatus(r.r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Error(sql);
  return Status::Ok();
}

Status PostgresSink::ExecSchema(const std::string& sql) {
  // Concurrent CREATE TABLE IF NOT EXISTS can fail in PostgreSQL (the
  // catalog's unique index): the job's instances take turns.
  RIVULET_RETURN_IF_ERROR(Exec("SELECT pg_advisory_lock(hashtext('rivulet schema'))"));
  Status st = Exec(sql);
  RIVULET_RETURN_IF_ERROR(Exec("SELECT pg_advisory_unlock(hashtext('rivulet schema'))"));
  return st;
}

void PostgresSink::AddRow(const std::vector<std::string>& values) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) copy_data_ += '\t';
    AppendEscaped(copy_data_, values[i]);
  }
  copy_data_ += '\n';
  ++rows_;
}

Status PostgresSink::Copy(const std::string& target) {
  const std::string sql = "COPY " + target + " (" + Join(options_.columns, ", ") + ") FROM STDIN";
  {
    ResultGuard r{PQexec(conn_, sql.c_str())};
    if (PQresultStatus(r.r) != PGRES_COPY_IN) return Error(sql);
  }
  if (PQputCopyData(conn_, copy_data_.data(), static_cast<int>(copy_data_.size())) != 1 ||
      PQputCopyEnd(conn_, nullptr) != 1) {
    return Error(sql);
  }
  Status result = Status::Ok();
  while (PGresult* r = PQgetResult(conn_)) {  // drained to the end, whatever happened
    if (result.ok() && PQresultStatus(r) != PGRES_COMMAND_OK) result = Error(sql);
    PQclear(r);
  }
  return result;
}

Status PostgresSink::Flush() {
  if (rows_ == 0) return Status::Ok();
  Status st = Begin();
  if (st.ok()) st = WriteBuffered();
  if (st.ok()) st = Commit();
  if (!st.ok()) Rollback();
  copy_data_.clear();
  rows_ = 0;
  return st;
}

Status PostgresSink::Begin() { return Exec("BEGIN"); }

Status PostgresSink::WriteBuffered() {
  if (rows_ == 0) return Status::Ok();
  Status st = Copy(options_.key.empty() ? options_.table : "rivulet_staging");
  if (st.ok() && !options_.key.empty()) st = Exec(merge_sql_);
  copy_data_.clear();
  rows_ = 0;
  return st;
}

Status PostgresSink::Commit() { return Exec("COMMIT"); }

void PostgresSink::Rollback() {
  if (conn_ && PQtransactionStatus(conn_) != PQTRANS_IDLE) {
    ResultGuard r{PQexec(conn_, "ROLLBACK")};
  }
}

Result<int64_t> PostgresSink::QueryInt(const std::string& sql) {
  RIVULET_ASSIGN_OR_RETURN(auto rows, QueryRows(sql));
  if (rows.empty() || rows[0].empty()) return Status(Errc::kInvalidArgument, "postgresql: no value: " + sql);
  try {
    return static_cast<int64_t>(std::stoll(rows[0][0]));
  } catch (const std::exception&) {
    return Status(Errc::kInvalidArgument, "postgresql: not an integer: " + rows[0][0]);
  }
}

Result<std::vector<std::vector<std::string>>> PostgresSink::QueryRows(const std::string& sql) {
  ResultGuard r{PQexec(conn_, sql.c_str())};
  if (PQresultStatus(r.r) != PGRES_TUPLES_OK) return Error(sql);
  std::vector<std::vector<std::string>> rows(static_cast<size_t>(PQntuples(r.r)));
  for (int i = 0; i < PQntuples(r.r); ++i) {
    for (int c = 0; c < PQnfields(r.r); ++c) rows[static_cast<size_t>(i)].emplace_back(PQgetvalue(r.r, i, c));
  }
  return rows;
}

}  // namespace rivulet::connectors
