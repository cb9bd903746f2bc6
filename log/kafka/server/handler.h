// What a request handler gets and how it answers. One handler per API in
// handlers/<api>.cc; each decodes its request body, does the work on the
// log or the group coordinator, and calls `respond` exactly once with the
// encoded response body (without the response header), possibly later and
// from another thread (long-poll Fetch, JoinGroup, SyncGroup).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "log/acls.h"
#include "log/kafka/protocol/api.h"
#include "log/log_manager.h"

namespace boost::asio {
class io_context;
class thread_pool;
}

namespace rivulet::log::kafka {

class SaslServer;  // log/kafka/auth/sasl.h

// What a listener tells its clients, and how it authenticates them.
struct BrokerInfo {
  int32_t node_id = 0;
  std::string host = "127.0.0.1";  // advertised to clients
  int32_t port = 9092;
  std::string cluster_id = "rivulet";
  // SASL listeners: the mechanisms enabled (sasl.enabled.mechanisms);
  // empty on the others.
  std::vector<std::string> sasl_mechanisms;
  // Random per broker process: the made-up salts of unknown users (sasl.h).
  std::string sasl_secret;
};

// What a connection knows of its client. On a SASL listener it starts
// unauthenticated: SaslHandshake picks a mechanism, SaslAuthenticate runs
// the exchange, and only then do other requests get answered.
struct Session {
  Session();
  ~Session();
  std::string principal = "User:ANONYMOUS";  // "User:<name>" once authenticated
  bool authenticated = true;
  std::unique_ptr<SaslServer> sasl;  // the exchange SaslHandshake began
  std::string mechanism;
  // SaslHandshake v0: the tokens that follow come as bare size-prefixed
  // frames, not in SaslAuthenticate requests (the legacy flow of
  // kafka-python 2.0).
  bool raw_tokens = false;
  // Set by SaslAuthenticate: answer after the failed-authentication delay,
  // then close the connection.
  bool failed = false;
  // Set by a handler whose user went over its quota (quota.h): the
  // connection reads nothing for this long after answering.
  int32_t throttle_ms = 0;
};

class ByteRateQuotas;  // quota.h

struct RequestContext {
  RequestHeader header;
  std::string_view body;     // valid until respond is called
  std::string client_host;     // address and port, for the log
  std::string client_ip;       // address, for ACLs' hosts
  Session* session = nullptr;  // the connection's, alive until respond
  const AuthorizerOptions* authorizer = nullptr;  // nullptr or !enabled: everything is allowed
  ByteRateQuotas* quotas = nullptr;               // nullptr: no quotas
  LogManager* log = nullptr;
  const BrokerInfo* broker = nullptr;
  boost::asio::io_context* io = nullptr;  // for timers (long polls)
  boost::asio::thread_pool* sasl_pool = nullptr;  // PLAIN's PBKDF2 (SaslStepAsync)
};

// A response body: bytes, with stored record bytes spliced in at the
// given offsets (Fetch sends segment bytes from their mapping, uncopied).
struct ResponseBody {
  std::string bytes;
  std::vector<Splice> splices;  // by offset in bytes
  ResponseBody() = default;
  ResponseBody(std::string b) : bytes(std::move(b)) {}  // NOLINT(google-explicit-constructor)
  ResponseBody(std::string b, std::vector<Splice> s) : bytes(std::move(b)), splices(std::move(s)) {}
  bool empty() const { return bytes.empty() && splices.empty(); }
  size_t size() const {
    size_t n = bytes.size();
    for (const auto& s : splices) n += s.data.size();
    return n;
  }
};

// An empty body closes the connection (a request we cannot answer).
using Respond = std::function<void(ResponseBody body)>;
using Handler = void (*)(RequestContext& ctx, Respond respond);

// The handler of an API key, or nullptr.
Handler FindHandler(ApiKey key);

// Handlers, one per API (handlers/*.cc).
void HandleApiVersions(RequestContext& ctx, Respond respond);
void HandleMetadata(RequestContext& ctx, Respond respond);
void HandleProduce(RequestContext& ctx, Respond respond);
void HandleFetch(RequestContext& ctx, Respond respond);
void HandleListOffsets(RequestContext& ctx, Respond respond);
void HandleFindCoordinator(RequestContext& ctx, Respond respond);
void HandleJoinGroup(RequestContext& ctx, Respond respond);
void HandleSyncGroup(RequestContext& ctx, Respond respond);
void HandleHeartbeat(RequestContext& ctx, Respond respond);
void HandleLeaveGroup(RequestContext& ctx, Respond respond);
void HandleOffsetCommit(RequestContext& ctx, Respond respond);
void HandleOffsetFetch(RequestContext& ctx, Respond respond);
void HandleListGroups(RequestContext& ctx, Respond respond);
void HandleDescribeGroups(RequestContext& ctx, Respond respond);
void HandleCreateTopics(RequestContext& ctx, Respond respond);
void HandleDeleteTopics(RequestContext& ctx, Respond respond);
void HandleInitProducerId(RequestContext& ctx, Respond respond);
void HandleAddPartitionsToTxn(RequestContext& ctx, Respond respond);
void HandleAddOffsetsToTxn(RequestContext& ctx, Respond respond);
void HandleEndTxn(RequestContext& ctx, Respond respond);
void HandleTxnOffsetCommit(RequestContext& ctx, Respond respond);
void HandleDescribeProducers(RequestContext& ctx, Respond respond);
void HandleDescribeTransactions(RequestContext& ctx, Respond respond);
void HandleListTransactions(RequestContext& ctx, Respond respond);
void HandleDescribeAcls(RequestContext& ctx, Respond respond);
void HandleCreateAcls(RequestContext& ctx, Respond respond);
void HandleDeleteAcls(RequestContext& ctx, Respond respond);
void HandleSaslHandshake(RequestContext& ctx, Respond respond);
void HandleSaslAuthenticate(RequestContext& ctx, Respond respond);
void HandleDescribeUserScramCredentials(RequestContext& ctx, Respond respond);
void HandleAlterUserScramCredentials(RequestContext& ctx, Respond respond);
void HandleDescribeConfigs(RequestContext& ctx, Respond respond);
void HandleAlterConfigs(RequestContext& ctx, Respond respond);
void HandleIncrementalAlterConfigs(RequestContext& ctx, Respond respond);
void HandleCreatePartitions(RequestContext& ctx, Respond respond);
void HandleDeleteRecords(RequestContext& ctx, Respond respond);
void HandleDescribeLogDirs(RequestContext& ctx, Respond respond);
void HandleDescribeCluster(RequestContext& ctx, Respond respond);
void HandleDeleteGroups(RequestContext& ctx, Respond respond);
void HandleOffsetDelete(RequestContext& ctx, Respond respond);

// Whether the session's principal may do `op` on the resource (ACLs,
// log/acls.h); always without an authorizer. A refusal is logged at debug.
bool Authorized(const RequestContext& ctx, AclOperation op, ResourceType type, const std::string& name);
// Create on the cluster or on the topic: may the principal create `topic`
// (CreateTopics, and auto-creation by Metadata and Produce)?
bool MayCreateTopic(const RequestContext& ctx, const std::string& topic);
// IdempotentWrite on the cluster, or an Allow of Write on some topic
// (KIP-679): may the principal be an idempotent producer?
bool MayWriteIdempotently(const RequestContext& ctx);

// Whose quota a request counts against: the principal, or for
// User:ANONYMOUS the client id (as Kafka's default quotas apply).
std::string QuotaUser(const RequestContext& ctx);

// One token of the session's SASL exchange, from SaslAuthenticate or a bare
// frame after SaslHandshake v0: the answer, or the failure (logged with the
// client's address and user; the session is marked failed).
Result<std::string> SaslStep(const std::string& client, Session& s, std::string_view token);
// SaslStep, on `pool` for PLAIN (a PBKDF2 per attempt must not hold an io
// thread; the token is wiped after it), inline for SCRAM or without a
// pool; calls `done` with the outcome, from either thread. `s` must
// outlive the call; the broker joins `pool` before it stops its io threads.
void SaslStepAsync(boost::asio::thread_pool* pool, const std::string& client, Session& s,
                   std::shared_ptr<std::string> token, std::function<void(Result<std::string>)> done);

// Wakes long-polling fetches after new records were appended (Produce).
void WakeFetches();

}  // namespace rivulet::log::kafka
