// `rivulet users`: the broker's SASL/SCRAM users, on a data directory that
// no broker owns or through a running broker (DescribeUserScramCredentials
// and AlterUserScramCredentials, KIP-554), as Kafka's kafka-configs
// --entity-type users manages them. A password is read from stdin, never
// from the command line, and only its salted form leaves the tool.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <openssl/crypto.h>

#include "log/credentials.h"
#include "log/kafka/auth/sasl.h"
#include "log/kafka/protocol/errors.h"
#include "log/kafka/protocol/sasl.h"
#include "tools/command.h"
#include "tools/kafka_request.h"

namespace rivulet::tools {
namespace {

namespace k = log::kafka;
using log::ScramMechanism;

struct UsersFlags {
  Target target;
  bool list = false;
  std::string add, remove;
  std::vector<std::string> mechanisms;  // empty: both SCRAM mechanisms
  int32_t iterations = log::kDefaultScramIterations;
  bool password_stdin = false;
};

struct Row {
  std::string user;
  ScramMechanism mechanism;
  int32_t iterations;
};

void PrintList(const std::vector<Row>& rows) {
  std::printf("%-24s %-14s %s\n", "User", "Mechanism", "Iterations");
  for (const auto& r : rows) {
    std::printf("%-24s %-14s %d\n", r.user.c_str(), log::ScramMechanismName(r.mechanism), r.iterations);
  }
}

Result<std::vector<ScramMechanism>> Mechanisms(const UsersFlags& f) {
  if (f.mechanisms.empty()) return std::vector<ScramMechanism>{ScramMechanism::kSha256, ScramMechanism::kSha512};
  std::vector<ScramMechanism> out;
  for (const auto& name : f.mechanisms) {
    auto m = log::ParseScramMechanism(name);
    if (!m) return Status(Errc::kInvalidArgument, "--mechanism " + name + ": SCRAM-SHA-256 or SCRAM-SHA-512");
    out.push_back(*m);
  }
  return out;
}

Result<std::string> ReadPassword() {
  std::string password;
  if (!std::getline(std::cin, password) || password.empty()) {
    return Status(Errc::kInvalidArgument, "--password-stdin: no password on stdin");
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  return password;
}

Status Describe(KafkaConnection& conn, std::vector<Row>* rows, const std::optional<std::string>& user) {
  k::DescribeUserScramCredentialsRequest req;
  if (user) req.users = std::vector<std::string>{*user};
  RIVULET_ASSIGN_OR_RETURN(std::string body,
                           conn.Request(static_cast<int16_t>(k::ApiKey::kDescribeUserScramCredentials), 0, req.Encode(0)));
  RIVULET_ASSIGN_OR_RETURN(auto resp, k::DescribeUserScramCredentialsResponse::Decode(body, 0));
  if (resp.error != k::ErrorCode::kNone) {
    return Status(resp.error == k::ErrorCode::kClusterAuthorizationFailed ? Errc::kNotAuthorized : Errc::kIoError,
                  "DescribeUserScramCredentials: Kafka error " + std::to_string(k::Code(resp.error)) +
                                      (resp.error_message ? ": " + *resp.error_message : ""));
  }
  for (const auto& r : resp.results) {
    if (r.error == k::ErrorCode::kResourceNotFound) continue;
    if (r.error != k::ErrorCode::kNone) {
      return Status(Errc::kIoError, "user '" + r.user + "': " + r.error_message.value_or("Kafka error " +
                                                                                        std::to_string(k::Code(r.error))));
    }
    for (const auto& c : r.credentials) {
      if (c.mechanism == 1 || c.mechanism == 2) {
        rows->push_back(Row{r.user, static_cast<ScramMechanism>(c.mechanism), c.iterations});
      }
    }
  }
  return Status::Ok();
}

Status Alter(KafkaConnection& conn, const k::AlterUserScramCredentialsRequest& req) {
  RIVULET_ASSIGN_OR_RETURN(std::string body,
                           conn.Request(static_cast<int16_t>(k::ApiKey::kAlterUserScramCredentials), 0, req.Encode(0)));
  RIVULET_ASSIGN_OR_RETURN(auto resp, k::AlterUserScramCredentialsResponse::Decode(body, 0));
  for (const auto& r : resp.results) {
    if (r.error == k::ErrorCode::kNone) continue;
    const Errc code = r.error == k::ErrorCode::kResourceNotFound ? Errc::kNotFound
                      : r.error == k::ErrorCode::kClusterAuthorizationFailed ? Errc::kNotAuthorized
                                                                              : Errc::kInvalidArgument;
    return Status(code, "user '" + r.user + "': " + r.error_message.value_or("Kafka error " +
                                                                            std::to_string(k::Code(r.error))));
  }
  return Status::Ok();
}

Status RunRemote(const UsersFlags& f, const std::vector<ScramMechanism>& mechanisms) {
  RIVULET_ASSIGN_OR_RETURN(auto conn, KafkaConnection::Open(f.target.bootstrap, f.target.client));
  if (f.list) {
    std::vector<Row> rows;
    RIVULET_RETURN_IF_ERROR(Describe(*conn, &rows, std::nullopt));
    PrintList(rows);
    return Status::Ok();
  }
  k::AlterUserScramCredentialsRequest req;
  if (!f.add.empty()) {
    RIVULET_ASSIGN_OR_RETURN(std::string password, ReadPassword());
    for (const ScramMechanism m : mechanisms) {
      k::AlterUserScramCredentialsRequest::Upsertion u;
      u.name = f.add;
      u.mechanism = static_cast<int8_t>(m);
      u.iterations = f.iterations;
      u.salt = k::RandomBytes(32);
      u.salted_password = k::ScramSaltedPassword(m, password, u.salt, f.iterations);
      req.upsertions.push_back(std::move(u));
    }
    OPENSSL_cleanse(password.data(), password.size());
    // The salted passwords are wiped once sent (as good as the password for their salts).
    struct Wipe {
      k::AlterUserScramCredentialsRequest& r;
      ~Wipe() {
        for (auto& u : r.upsertions) OPENSSL_cleanse(u.salted_password.data(), u.salted_password.size());
      }
    } wipe{req};
    return Alter(*conn, req);
  } else {
    // Only the credentials the user has: asking to delete a missing one
    // would fail the whole request.
    std::vector<Row> rows;
    RIVULET_RETURN_IF_ERROR(Describe(*conn, &rows, f.remove));
    for (const Row& r : rows) {
      if (std::find(mechanisms.begin(), mechanisms.end(), r.mechanism) == mechanisms.end()) continue;
      req.deletions.push_back({f.remove, static_cast<int8_t>(r.mechanism)});
    }
    if (req.deletions.empty()) return Status(Errc::kNotFound, "user '" + f.remove + "' has no such credential");
  }
  return Alter(*conn, req);
}

Status RunUsers(UsersFlags& f) {
  if (static_cast<int>(f.list) + !f.add.empty() + !f.remove.empty() != 1) {
    return Status(Errc::kInvalidArgument, "give one of --list, --add NAME and --delete NAME");
  }
  if (!f.add.empty() && !f.password_stdin) {
    return Status(Errc::kInvalidArgument, "--add needs --password-stdin (a password is never taken on the command line)");
  }
  if (!f.add.empty()) RIVULET_RETURN_IF_ERROR(log::CredentialStore::ValidateUser(f.add));
  if (f.iterations < log::kMinScramIterations || f.iterations > log::kMaxScramIterations) {
    return Status(Errc::kInvalidArgument, "--iterations must be in [4096, 16384]");
  }
  RIVULET_ASSIGN_OR_RETURN(auto mechanisms, Mechanisms(f));
  RIVULET_RETURN_IF_ERROR(f.target.Resolve());
  if (f.target.remote()) return RunRemote(f, mechanisms);
  RIVULET_ASSIGN_OR_RETURN(auto lm, f.target.Open());
  log::CredentialStore& store = lm->credentials();
  if (f.list) {
    std::vector<Row> rows;
    for (const auto& [user, creds] : store.List()) {
      for (const auto& c : creds) rows.push_back(Row{user, c.mechanism, c.iterations});
    }
    PrintList(rows);
    return Status::Ok();
  }
  if (!f.add.empty()) {
    RIVULET_ASSIGN_OR_RETURN(std::string password, ReadPassword());
    for (const ScramMechanism m : mechanisms) {
      RIVULET_RETURN_IF_ERROR(store.Upsert(f.add, k::MakeScramCredential(m, password, f.iterations)));
    }
    OPENSSL_cleanse(password.data(), password.size());
    return Status::Ok();
  }
  bool removed = false;
  for (const ScramMechanism m : mechanisms) {
    if (!store.Find(f.remove, m)) continue;
    RIVULET_RETURN_IF_ERROR(store.Remove(f.remove, m));
    removed = true;
  }
  if (!removed) return Status(Errc::kNotFound, "user '" + f.remove + "' has no such credential");
  return Status::Ok();
}

}  // namespace

void AddUsersCommand(CLI::App& app, Action* action) {
  auto f = std::make_shared<UsersFlags>();
  CLI::App* cmd = app.add_subcommand("users", "the broker's SASL/SCRAM users: list, add, delete");
  f->target.AddFlags(cmd);
  cmd->add_flag("--list", f->list, "every user and its SCRAM mechanisms");
  cmd->add_option("--add", f->add, "add a user, or set its password (with --password-stdin)");
  cmd->add_option("--delete", f->remove, "delete a user's credentials");
  cmd->add_option("--mechanism", f->mechanisms, "SCRAM-SHA-256 or SCRAM-SHA-512, repeatable (default: both)");
  cmd->add_option("--iterations", f->iterations, "SCRAM iterations, 4096-16384")->capture_default_str();
  cmd->add_flag("--password-stdin", f->password_stdin, "read the password from the first line of stdin");
  cmd->callback([f, action] { *action = [f] { return NameBroker(RunUsers(*f), f->target); }; });
}

}  // namespace rivulet::tools
