// The broker's network layer: listener, connections, framing, dispatch.
#include "log/kafka/server/broker.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <utility>

#include <pthread.h>

#include "base/logging.h"
#include "log/group_coordinator.h"
#include "log/kafka/auth/sasl.h"
#include "log/kafka/protocol/produce.h"
#include "log/kafka/server/memory_pool.h"
#include "log/wire.h"

namespace rivulet::log::kafka {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class Broker::Impl {
 public:
  class Connection;
  // A bound listener: its acceptor, what Metadata advertises on it, and
  // its TLS context (SSL listeners).
  struct Listening {
    ListenerOptions options;
    tcp::acceptor acceptor;
    BrokerInfo info;
    std::unique_ptr<asio::ssl::context> tls;
    explicit Listening(asio::io_context& io) : acceptor(io) {}
  };

  Impl(Broker* broker, const BrokerOptions& options)
      : broker_(broker),
        options_(options),
        pool_(options.queued_max_request_bytes),
        quotas_(options.quotas),
        sasl_secret_(RandomBytes(32)) {}

  Status Listen(const ListenerOptions& listener);
  void Accept(Listening* on);
  void StartThreads();
  void Stop();
  void WaitStopped();
  // How long to hold back the answer to a failed authentication from `ip`
  // (counts the failure).
  std::chrono::milliseconds FailureDelay(const std::string& ip);

  Broker* broker_;
  const BrokerOptions& options_;
  asio::io_context io_;
  std::vector<std::unique_ptr<Listening>> listeners_;
  std::vector<std::thread> threads_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;

  std::mutex mu_;
  std::condition_variable cv_;
  RequestMemoryPool pool_;
  ByteRateQuotas quotas_;
  // PLAIN's password checks (SaslStepAsync); joined in WaitStopped before
  // the io threads stop, so that no check outlives the connections.
  asio::thread_pool sasl_pool_{2};
  std::set<std::shared_ptr<Connection>> connections_;  // guarded by mu_
  std::map<std::string, int> per_ip_;                  // open connections per client address, guarded by mu_
  std::chrono::steady_clock::time_point last_refusal_log_;  // guarded by mu_
  struct Failures {
    int count = 0;
    std::chrono::steady_clock::time_point last;
  };
  std::mutex failures_mu_;
  std::map<std::string, Failures> auth_failures_;  // by client address, guarded by failures_mu_
  std::chrono::steady_clock::time_point last_failure_sweep_;  // guarded by failures_mu_
  const std::string sasl_secret_;
  int in_flight_ = 0;                                  // guarded by mu_
  bool stopping_ = false;                              // guarded by mu_
  bool stopped_ = false;                               // guarded by mu_
};

// Requests up to this size are read into a buffer of their own without the
// pool (what most requests are; so that a flood of large ones, waiting for
// the pool, cannot stall them): at most this much per connection.
constexpr int32_t kSmallRequest = 64 << 10;
// A large request's buffer grows by this much at a time, as bytes arrive.
constexpr size_t kReadChunk = 64 << 10;

class Broker::Impl::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Impl* owner, tcp::socket socket, std::string ip, const Listening* listener)
      : owner_(owner), socket_(std::move(socket)), ip_(std::move(ip)), listener_(listener) {
    boost::system::error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    peer_ = ec ? std::string("?") : ep.address().to_string() + ":" + std::to_string(ep.port());
    socket_.set_option(tcp::no_delay(true), ec);
    if (listener_->tls) tls_ = std::make_unique<asio::ssl::stream<tcp::socket>>(std::move(socket_), *listener_->tls);
  }

  void Start() {
    if (!listener_->info.sasl_mechanisms.empty()) session_.authenticated = false;
    if (!tls_) return ReadSize();
    // A client that connects and never finishes the handshake loses its
    // connection after request.read.timeout.ms.
    const uint64_t gen = ++chunks_;
    read_timer_.expires_after(std::chrono::milliseconds(owner_->options_.request_read_timeout_ms));
    read_timer_.async_wait([self = shared_from_this(), gen](boost::system::error_code ec) {
      if (ec || gen != self->chunks_ || self->closed_) return;
      GetLogger("broker")->warn("closing connection from {} on listener {}: no TLS handshake within {} ms",
                                self->peer_, self->listener_->options.name,
                                self->owner_->options_.request_read_timeout_ms);
      self->Close();
    });
    tls_->async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](boost::system::error_code ec) {
      ++self->chunks_;
      self->read_timer_.cancel();
      if (ec) {
        GetLogger("broker")->warn("closing connection from {} on listener {}: TLS handshake failed: {}", self->peer_,
                                  self->listener_->options.name, ec.message());
        return self->Close();
      }
      // Mutual TLS names the client, unless SASL names it afterwards.
      if (self->session_.authenticated) self->session_.principal = PeerPrincipal(self->tls_->native_handle());
      self->ReadSize();
    });
  }

  tcp::socket::executor_type executor() { return Sock().get_executor(); }

  // Closes the socket unless a request is being handled (then the
  // connection closes after answering it).
  void CloseIfIdle() {
    asio::post(Sock().get_executor(), [self = shared_from_this()] {
      if (!self->busy_) self->Close();
    });
  }

 private:
  // The TCP socket, under TLS or not.
  tcp::socket& Sock() { return tls_ ? tls_->next_layer() : socket_; }
  template <typename Buffers, typename Handler>
  void AsyncRead(const Buffers& buffers, Handler&& handler) {
    if (tls_) return asio::async_read(*tls_, buffers, std::forward<Handler>(handler));
    asio::async_read(socket_, buffers, std::forward<Handler>(handler));
  }
  template <typename Buffers, typename Handler>
  void AsyncWrite(const Buffers& buffers, Handler&& handler) {
    if (tls_) return asio::async_write(*tls_, buffers, std::forward<Handler>(handler));
    asio::async_write(socket_, buffers, std::forward<Handler>(handler));
  }
  // "User:" and the subject of the client's certificate (mutual TLS), as
  // Kafka names such a principal; "User:ANONYMOUS" without one.
  static std::string PeerPrincipal(SSL* ssl) {
    X509* cert = SSL_get1_peer_certificate(ssl);
    if (!cert) return "User:ANONYMOUS";
    std::string subject;
    if (BIO* bio = BIO_new(BIO_s_mem())) {
      X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
      char* data = nullptr;
      const long n = BIO_get_mem_data(bio, &data);
      subject.assign(data, static_cast<size_t>(n));
      BIO_free(bio);
    }
    X509_free(cert);
    return "User:" + subject;
  }

  void ReadSize() {
    AsyncRead(asio::buffer(size_buf_, 4),
                     [self = shared_from_this()](boost::system::error_code ec, size_t) {
                       if (ec) return self->Close();
                       self->OnSize();
                     });
  }

  void OnSize() {
    const auto size = static_cast<int32_t>(GetBigEndian32(size_buf_));
    // Before authentication a client may send only small frames; a bare
    // SASL token (after SaslHandshake v0) has no request header.
    const bool raw = RawTokenNext();
    const int32_t min = raw ? 0 : 8;
    const int32_t max = session_.authenticated ? owner_->options_.max_request_bytes
                                               : owner_->options_.sasl.max_receive_bytes;
    if (size < min || size > max) {
      GetLogger("broker")->warn("closing connection from {}: {} size {} out of range [{}, {}]{}", peer_,
                                raw ? "SASL token" : "request", size, min, max,
                                session_.authenticated ? "" : " (sasl.server.max.receive.size before authentication)");
      return Close();
    }
    if (size == 0) {
      request_.clear();
      return Dispatch();
    }
    expected_ = static_cast<size_t>(size);
    if (size <= kSmallRequest) {
      request_.resize(expected_);
      AsyncRead(asio::buffer(request_.data(), request_.size()),
                       [self = shared_from_this()](boost::system::error_code ec, size_t) {
                         if (ec) return self->Close();
                         self->Dispatch();
                       });
      return;
    }
    RequestMemoryPool& pool = owner_->pool_;
    if (size > pool.capacity()) {
      GetLogger("broker")->warn("closing connection from {}: request size {} above queued.max.request.bytes {}", peer_,
                                size, pool.capacity());
      return Close();
    }
    auto self = shared_from_this();
    const bool now = pool.Reserve(size, [self] {
      asio::post(self->Sock().get_executor(), [self] { self->OnReserved(); });
    });
    if (now) OnReserved();
  }

  // The pool holds the request's size for it: read it, growing the buffer
  // (its capacity is reserved, its pages are touched as bytes arrive).
  void OnReserved() {
    reserved_ = static_cast<int64_t>(expected_);
    if (closed_) return ReleaseRequest();
    request_.clear();
    request_.reserve(expected_);
    ReadChunk();
  }
  // Each chunk must come within request.read.timeout.ms: a client that
  // stops sending in the middle of a large request gives its reservation
  // back to the pool by losing its connection.
  void ReadChunk() {
    const size_t have = request_.size();
    const size_t n = std::min(kReadChunk, expected_ - have);
    request_.resize(have + n);
    const uint64_t chunk = ++chunks_;
    read_timer_.expires_after(std::chrono::milliseconds(owner_->options_.request_read_timeout_ms));
    read_timer_.async_wait([self = shared_from_this(), chunk](boost::system::error_code ec) {
      if (ec || chunk != self->chunks_ || self->closed_) return;  // cancelled, or the chunk came
      GetLogger("broker")->warn("closing connection from {}: the next 64 KiB of its {}-byte request did not come "
                                "within {} ms", self->peer_, self->expected_,
                                self->owner_->options_.request_read_timeout_ms);
      self->Close();
    });
    AsyncRead(asio::buffer(request_.data() + have, n),
                     [self = shared_from_this()](boost::system::error_code ec, size_t) {
                       ++self->chunks_;  // the timer of this chunk no longer applies
                       self->read_timer_.cancel();
                       if (ec) return self->Close();
                       if (self->request_.size() < self->expected_) return self->ReadChunk();
                       self->Dispatch();
                     });
  }

  // Gives a large request's bytes back to the pool, and (unless a read may
  // still write into it: a closing TLS stream can) its buffer to the
  // allocator; a small buffer is kept for the next request.
  void ReleaseRequest(bool free_buffer = true) {
    if (reserved_ == 0) return;
    owner_->pool_.Release(reserved_);
    reserved_ = 0;
    if (free_buffer) std::string().swap(request_);
  }

  // Whether the next frame is a bare SASL token (SaslHandshake v0).
  bool RawTokenNext() const { return session_.raw_tokens && session_.sasl && !session_.authenticated; }

  // A bare token: the exchange's answer goes back as a bare frame; a
  // failure closes the connection (after the delay) without one, as Kafka.
  void RawToken() {
    auto token = std::make_shared<std::string>(request_);
    OPENSSL_cleanse(request_.data(), request_.size());  // it may hold a password
    ReleaseRequest();
    auto self = shared_from_this();
    {
      // In flight until answered: a stopping broker waits for it.
      std::lock_guard<std::mutex> lock(owner_->mu_);
      ++owner_->in_flight_;
    }
    SaslStepAsync(&owner_->sasl_pool_, peer_, session_, std::move(token), [self](Result<std::string> answer) {
      asio::post(self->Sock().get_executor(), [self, answer = std::move(answer)]() mutable {
        self->AfterRawToken(std::move(answer));
      });
    });
  }
  void AfterRawToken(Result<std::string> answer) {
    {
      std::lock_guard<std::mutex> lock(owner_->mu_);
      --owner_->in_flight_;
      owner_->cv_.notify_all();
    }
    if (closed_) return;
    if (!answer.ok()) {
      return AfterFailureDelay([self = shared_from_this()] { self->Close(); });
    }
    header_.assign(4, '\0');
    PutBigEndian32(header_.data(), static_cast<uint32_t>(answer->size()));
    header_ += *answer;
    AsyncWrite(asio::buffer(header_), [self = shared_from_this()](boost::system::error_code ec, size_t) {
      if (ec) return self->Close();
      self->ReadSize();
    });
  }

  // Runs `then` on the strand after the failed-authentication delay.
  void AfterFailureDelay(std::function<void()> then) {
    failure_timer_.expires_after(owner_->FailureDelay(ip_));
    failure_timer_.async_wait([then = std::move(then)](boost::system::error_code) { then(); });
  }

  void Dispatch() {
    if (RawTokenNext()) return RawToken();
    Reader r(request_);
    auto header = ParseRequestHeader(r);
    if (!header.ok()) {
      GetLogger("broker")->warn("closing connection from {}: {}", peer_, header.status().ToString());
      return Close();
    }
    const ApiVersionRange* api = FindApi(header->api_key);
    Handler handler = api ? FindHandler(api->key) : nullptr;
    if (handler == nullptr) {
      GetLogger("broker")->warn("closing connection from {}: unsupported API key {}", peer_,
                                header->api_key);
      return Close();
    }
    if ((header->api_version < api->min || header->api_version > api->max) &&
        api->key != ApiKey::kApiVersions) {
      GetLogger("broker")->warn("closing connection from {}: {} version {} not supported (supported {}-{})",
                                peer_, api->name, header->api_version, api->min, api->max);
      return Close();
    }
    if (!session_.authenticated && api->key != ApiKey::kApiVersions && api->key != ApiKey::kSaslHandshake &&
        api->key != ApiKey::kSaslAuthenticate) {
      GetLogger("broker")->warn("closing connection from {} on listener {}: {} before SASL authentication", peer_,
                                listener_->options.name, api->name);
      return AfterFailureDelay([self = shared_from_this()] { self->Close(); });
    }
    {
      std::lock_guard<std::mutex> lock(owner_->mu_);
      ++owner_->in_flight_;
    }
    busy_ = true;
    ctx_ = RequestContext{};
    ctx_.header = std::move(header).value();
    ctx_.body = std::string_view(request_).substr(request_.size() - r.remaining());
    ctx_.client_host = peer_;
    ctx_.session = &session_;
    ctx_.client_ip = ip_;
    ctx_.authorizer = &owner_->options_.authorizer;
    ctx_.quotas = &owner_->quotas_;
    ctx_.sasl_pool = &owner_->sasl_pool_;
    ctx_.log = owner_->broker_->log_.get();
    ctx_.broker = &listener_->info;  // Metadata advertises the listener the client came through
    ctx_.io = &owner_->io_;
    const int32_t correlation_id = ctx_.header.correlation_id;
    flexible_response_ = FlexibleResponseHeader(ctx_.header.api_key, ctx_.header.api_version);
    no_response_ = api->key == ApiKey::kProduce &&
                   ProduceRequest::PeekAcks(ctx_.body, ctx_.header.api_version) == 0;
    auto self = shared_from_this();
    try {
      handler(ctx_, [self, correlation_id](ResponseBody body) {
        asio::post(self->Sock().get_executor(), [self, correlation_id, body = std::move(body)]() mutable {
          self->Write(correlation_id, std::move(body));
        });
      });
    } catch (const std::exception& e) {
      // A handler bug must not take the broker down: drop this connection.
      GetLogger("broker")->error("handler for {} from {} failed: {}", ApiName(), peer_, e.what());
      Write(correlation_id, ResponseBody());
    }
  }

  const char* ApiName() const {
    const ApiVersionRange* api = FindApi(ctx_.header.api_key);
    return api ? api->name : "?";
  }

  void Write(int32_t correlation_id, ResponseBody body) {
    if (body.empty()) {
      Done();
      return Close();
    }
    if (session_.failed && !failure_delayed_) {
      failure_delayed_ = true;
      auto self = shared_from_this();
      return AfterFailureDelay([self, correlation_id, body = std::move(body)]() mutable {
        self->Write(correlation_id, std::move(body));
      });
    }
    if (no_response_) {
      // Produce with acks=0: Kafka sends no response at all.
      Done();
      return ReadNext();
    }
    // Response header v0 (correlation id), or v1 with an empty tagged-field
    // section for the flexible versions.
    const size_t header = flexible_response_ ? 9 : 8;
    header_.assign(header, '\0');
    PutBigEndian32(header_.data(), static_cast<uint32_t>(body.size() + header - 4));
    PutBigEndian32(header_.data() + 4, static_cast<uint32_t>(correlation_id));
    // One gather write: the header, then the body's own bytes with the
    // spliced segment bytes between them, straight from their mappings.
    response_ = std::move(body);
    buffers_.clear();
    buffers_.emplace_back(header_.data(), header_.size());
    size_t at = 0;
    for (const Splice& sp : response_.splices) {
      if (sp.at > at) buffers_.emplace_back(response_.bytes.data() + at, sp.at - at);
      buffers_.emplace_back(sp.data.data(), sp.data.size());
      at = sp.at;
    }
    if (response_.bytes.size() > at) buffers_.emplace_back(response_.bytes.data() + at, response_.bytes.size() - at);
    AsyncWrite(buffers_,
                      [self = shared_from_this()](boost::system::error_code ec, size_t) {
                        self->Done();
                        if (ec || self->session_.failed) return self->Close();
                        bool stopping;
                        {
                          std::lock_guard<std::mutex> lock(self->owner_->mu_);
                          stopping = self->owner_->stopping_;
                        }
                        if (stopping) return self->Close();
                        self->ReadNext();
                      });
  }

  // The next request, after the quota's throttle time if the last one
  // took its user over (the client is told; one that does not wait gains
  // nothing, KIP-219).
  void ReadNext() {
    const int32_t throttle = std::exchange(session_.throttle_ms, 0);
    if (throttle <= 0) return ReadSize();
    throttle_timer_.expires_after(std::chrono::milliseconds(throttle));
    throttle_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->closed_) return;
      self->ReadSize();
    });
  }

  void Done() {
    if (!busy_) return;
    busy_ = false;
    // A SaslAuthenticate request may hold a PLAIN password.
    if (ctx_.header.api_key == static_cast<int16_t>(ApiKey::kSaslAuthenticate)) {
      OPENSSL_cleanse(request_.data(), request_.size());
    }
    ReleaseRequest();  // the handler is done with the request's bytes
    std::lock_guard<std::mutex> lock(owner_->mu_);
    --owner_->in_flight_;
    owner_->cv_.notify_all();
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ec;
    Sock().shutdown(tcp::socket::shutdown_both, ec);
    Sock().close(ec);
    read_timer_.cancel();
    failure_timer_.cancel();
    throttle_timer_.cancel();
    // The buffer goes with the connection: a read may still be under way.
    // Busy: the handler still reads the request, and Done releases it.
    if (!busy_) ReleaseRequest(/*free_buffer=*/false);
    std::lock_guard<std::mutex> lock(owner_->mu_);
    owner_->connections_.erase(shared_from_this());
    if (auto it = owner_->per_ip_.find(ip_); it != owner_->per_ip_.end() && --it->second == 0) {
      owner_->per_ip_.erase(it);
    }
    owner_->cv_.notify_all();
  }

  Impl* owner_;
  tcp::socket socket_;
  const std::string ip_;  // the client's address (max.connections.per.ip)
  const Listening* listener_;
  std::unique_ptr<asio::ssl::stream<tcp::socket>> tls_;  // SSL listeners: owns the socket
  Session session_;        // who the client is (SASL, or its certificate)
  std::string peer_;
  char size_buf_[4];
  std::string request_;
  size_t expected_ = 0;   // the size of the request being read
  asio::steady_timer read_timer_{socket_.get_executor()};
  asio::steady_timer failure_timer_{socket_.get_executor()};
  asio::steady_timer throttle_timer_{socket_.get_executor()};
  bool failure_delayed_ = false;  // the failed authentication's answer waited its delay
  uint64_t chunks_ = 0;   // chunks of large requests begun and ended (the timer's generation)
  int64_t reserved_ = 0;  // what it holds of the pool (large requests)
  std::string header_;                    // of the response being written
  ResponseBody response_;                 // its body, alive until written
  std::vector<asio::const_buffer> buffers_;
  RequestContext ctx_;
  bool busy_ = false;
  bool closed_ = false;
  bool no_response_ = false;
  bool flexible_response_ = false;  // the request in flight answers with header v1
};

// The TLS context of SSL listeners (TlsOptions), or why it cannot be made.
Result<std::unique_ptr<asio::ssl::context>> MakeTlsContext(const TlsOptions& t) {
  if (t.keystore_location.empty()) {
    return Status(Errc::kInvalidArgument, "an SSL listener needs ssl.keystore.location (a PEM file with the private "
                                          "key and the certificate chain)");
  }
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1,
                   ec);
  if (!t.key_password.empty()) {
    ctx->set_password_callback([pw = t.key_password](size_t, asio::ssl::context::password_purpose) { return pw; });
  }
  auto fail = [](const std::string& what, const std::string& file, const boost::system::error_code& e) {
    return Status(Errc::kInvalidArgument, what + " " + file + ": " + e.message());
  };
  ctx->use_certificate_chain_file(t.keystore_location, ec);
  if (ec) return fail("cannot read the certificate chain of ssl.keystore.location", t.keystore_location, ec);
  ctx->use_private_key_file(t.keystore_location, asio::ssl::context::pem, ec);
  if (ec) return fail("cannot read the private key of ssl.keystore.location (ssl.key.password?)", t.keystore_location, ec);
  if (!t.truststore_location.empty()) {
    ctx->load_verify_file(t.truststore_location, ec);
    if (ec) return fail("cannot read ssl.truststore.location", t.truststore_location, ec);
  }
  // TLS 1.2 and 1.3 unless ssl.enabled.protocols names only one of them.
  const bool v12 = t.protocols.empty() || t.protocols.count("TLSv1.2");
  const bool v13 = t.protocols.empty() || t.protocols.count("TLSv1.3");
  SSL_CTX_set_min_proto_version(ctx->native_handle(), v12 ? TLS1_2_VERSION : TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(ctx->native_handle(), v13 ? TLS1_3_VERSION : TLS1_2_VERSION);
  // Clients that resume sessions (Java's) need a session id context once
  // peers are verified.
  static const unsigned char kSessionContext[] = "rivulet-broker";
  SSL_CTX_set_session_id_context(ctx->native_handle(), kSessionContext, sizeof(kSessionContext) - 1);
  if (t.client_auth != TlsOptions::ClientAuth::kNone && t.truststore_location.empty()) {
    return Status(Errc::kInvalidArgument, "ssl.client.auth=requested or required needs ssl.truststore.location");
  }
  switch (t.client_auth) {
    case TlsOptions::ClientAuth::kNone:
      ctx->set_verify_mode(asio::ssl::verify_none, ec);
      break;
    case TlsOptions::ClientAuth::kRequested:
      ctx->set_verify_mode(asio::ssl::verify_peer, ec);
      break;
    case TlsOptions::ClientAuth::kRequired:
      ctx->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert, ec);
      break;
  }
  return ctx;
}

Status Broker::Impl::Listen(const ListenerOptions& l) {
  auto on = std::make_unique<Listening>(io_);
  on->options = l;
  if (l.protocol == SecurityProtocol::kSsl || l.protocol == SecurityProtocol::kSaslSsl) {
    RIVULET_ASSIGN_OR_RETURN(on->tls, MakeTlsContext(options_.tls));
  }
  const std::string host = l.host.empty() ? "0.0.0.0" : l.host;
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) {
    // Not a literal address: resolve it.
    tcp::resolver resolver(io_);
    auto results = resolver.resolve(host, std::to_string(l.port), ec);
    if (ec || results.empty()) {
      return Status(Errc::kInvalidArgument, "cannot resolve listen host '" + host + "'");
    }
    address = results.begin()->endpoint().address();
  }
  tcp::endpoint ep(address, l.port);
  tcp::acceptor& acceptor = on->acceptor;
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status(Errc::kIoError, "cannot listen on " + host + ":" + std::to_string(l.port) + " (" + l.name +
                                      "): " + ec.message());
  }
  on->info = broker_->info_;
  if (l.protocol == SecurityProtocol::kSaslPlaintext || l.protocol == SecurityProtocol::kSaslSsl) {
    on->info.sasl_mechanisms = options_.sasl.enabled_mechanisms;
    on->info.sasl_secret = sasl_secret_;
  }
  on->info.port = l.advertised_port > 0 ? l.advertised_port : acceptor.local_endpoint().port();
  on->info.host = l.advertised_host.empty() ? host : l.advertised_host;
  if (on->info.host == "0.0.0.0" || on->info.host == "::") on->info.host = "127.0.0.1";
  listeners_.push_back(std::move(on));
  return Status::Ok();
}

void Broker::Impl::Accept(Listening* on) {
  on->acceptor.async_accept(asio::make_strand(io_), [this, on](boost::system::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      GetLogger("broker")->warn("accept: {}", ec.message());
    } else {
      boost::system::error_code ep_ec;
      const auto ep = socket.remote_endpoint(ep_ec);
      // An IPv4 client of a [::] listener arrives as ::ffff:a.b.c.d: named
      // by its IPv4 address, as Kafka names it (ACL hosts, per-IP limits).
      auto address = ep.address();
      if (!ep_ec && address.is_v6() && address.to_v6().is_v4_mapped()) {
        address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
      }
      std::string ip = ep_ec ? std::string("?") : address.to_string();
      auto conn = std::make_shared<Connection>(this, std::move(socket), ip, on);
      bool stopping;
      std::string refused;  // why the connection is refused
      {
        std::lock_guard<std::mutex> lock(mu_);
        stopping = stopping_;
        if (options_.max_connections > 0 && connections_.size() >= static_cast<size_t>(options_.max_connections)) {
          refused = "max.connections (" + std::to_string(options_.max_connections) + ") reached";
        } else if (options_.max_connections_per_ip > 0 && per_ip_[ip] >= options_.max_connections_per_ip) {
          refused = "max.connections.per.ip (" + std::to_string(options_.max_connections_per_ip) + ") reached for " + ip;
        }
        if (!refused.empty()) {
          // One line a second at most: a flood must not flood the log.
          const auto now = std::chrono::steady_clock::now();
          if (now - last_refusal_log_ < std::chrono::seconds(1)) refused.clear();
          else last_refusal_log_ = now;
          if (per_ip_[ip] == 0) per_ip_.erase(ip);
          stopping = true;  // not started: the socket closes with conn
        } else if (!stopping) {
          connections_.insert(conn);
          ++per_ip_[ip];
        }
      }
      if (!refused.empty()) GetLogger("broker")->warn("refusing a connection: {}", refused);
      // On the connection's strand, as everything it does afterwards.
      if (!stopping) asio::dispatch(conn->executor(), [conn] { conn->Start(); });
    }
    bool stopping;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping = stopping_;
    }
    if (!stopping) Accept(on);
  });
}

std::chrono::milliseconds Broker::Impl::FailureDelay(const std::string& ip) {
  const int64_t base = options_.sasl.failed_authentication_delay_ms;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(failures_mu_);
  if (auth_failures_.size() > 4096 && now - last_failure_sweep_ > std::chrono::seconds(10)) {
    // A flood from many addresses: forget the ones quiet for a minute (at
    // most every 10 s, under a lock of its own).
    last_failure_sweep_ = now;
    std::erase_if(auth_failures_, [&](const auto& kv) { return now - kv.second.last > std::chrono::minutes(1); });
  }
  Failures& f = auth_failures_[ip];
  if (now - f.last > std::chrono::minutes(1)) f.count = 0;
  f.last = now;
  const int doublings = std::min(f.count++, 10);
  return std::chrono::milliseconds(std::min<int64_t>(base << doublings, std::max<int64_t>(base, 5000)));
}

void Broker::Impl::StartThreads() {
  work_.emplace(asio::make_work_guard(io_));
  int n = options_.threads > 0 ? options_.threads : static_cast<int>(std::thread::hardware_concurrency());
  if (n < 1) n = 1;
  for (int i = 0; i < n; ++i) {
    threads_.emplace_back([this, i] {
      // Named for top, perf and gdb: "rivulet-io-N".
      const std::string name = "rivulet-io-" + std::to_string(i);
      pthread_setname_np(pthread_self(), name.c_str());
      for (;;) {
        try {
          io_.run();
          return;
        } catch (const std::exception& e) {
          GetLogger("broker")->error("io thread: {}", e.what());
        }
      }
    });
  }
}

void Broker::Impl::Stop() {
  std::vector<std::shared_ptr<Connection>> conns;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    conns.assign(connections_.begin(), connections_.end());
  }
  asio::post(io_, [this] {
    boost::system::error_code ec;
    for (auto& l : listeners_) l->acceptor.close(ec);
  });
  for (auto& c : conns) c->CloseIfIdle();
  cv_.notify_all();
}

void Broker::Impl::WaitStopped() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return stopping_; });
  // Let in-flight requests finish (long polls end by their max wait).
  cv_.wait_for(lock, std::chrono::seconds(10), [this] { return in_flight_ == 0; });
  lock.unlock();
  // Password checks still queued finish (and post their answers) while the
  // io threads run: none may touch a connection after they stop.
  sasl_pool_.join();
  work_.reset();
  io_.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  lock.lock();
  connections_.clear();
  stopped_ = true;
}

Broker::Broker(BrokerOptions options) : options_(std::move(options)) {}

Broker::~Broker() {
  Stop();
  if (impl_) {
    std::unique_lock<std::mutex> lock(impl_->mu_);
    if (!impl_->stopped_) {
      lock.unlock();
      impl_->WaitStopped();
    }
  }
}

Result<std::unique_ptr<Broker>> Broker::Start(BrokerOptions options) {
  if (options.data_dir.empty()) return Status(Errc::kInvalidArgument, "--data-dir is required");
  if (options.queued_max_request_bytes < options.max_request_bytes) {
    // As Kafka: the largest request must fit in the pool.
    return Status(Errc::kInvalidArgument, "queued.max.request.bytes (" +
                                              std::to_string(options.queued_max_request_bytes) +
                                              ") is below socket.request.max.bytes (" +
                                              std::to_string(options.max_request_bytes) + ")");
  }
  std::unique_ptr<Broker> b(new Broker(std::move(options)));
  b->impl_ = std::make_unique<Impl>(b.get(), b->options_);
  std::vector<ListenerOptions> listeners = b->options_.listeners;
  if (listeners.empty()) {
    ListenerOptions l;
    l.host = b->options_.listen_host;
    l.port = b->options_.listen_port;
    l.advertised_host = b->options_.advertised_host;
    l.advertised_port = b->options_.advertised_port;
    listeners.push_back(l);
  }
  // Every listener is bound before the data directory is touched: a broker
  // that cannot listen leaves no directory and no lock behind.
  for (const ListenerOptions& l : listeners) RIVULET_RETURN_IF_ERROR(b->impl_->Listen(l));
  RIVULET_ASSIGN_OR_RETURN(b->log_, LogManager::Open(b->options_.data_dir, b->options_.log));
  b->info_ = b->impl_->listeners_.front()->info;
  for (auto& l : b->impl_->listeners_) b->impl_->Accept(l.get());
  b->impl_->StartThreads();
  return b;
}

uint16_t Broker::port(size_t i) const {
  return static_cast<uint16_t>(impl_->listeners_.at(i)->acceptor.local_endpoint().port());
}

const char* SecurityProtocolName(SecurityProtocol p) {
  switch (p) {
    case SecurityProtocol::kPlaintext: return "PLAINTEXT";
    case SecurityProtocol::kSsl: return "SSL";
    case SecurityProtocol::kSaslPlaintext: return "SASL_PLAINTEXT";
    case SecurityProtocol::kSaslSsl: return "SASL_SSL";
  }
  return "?";
}

Status Broker::Run() {
  impl_->WaitStopped();
  return log_->Close();
}

void Broker::Stop() {
  if (!impl_) return;
  if (log_) log_->groups().Shutdown();  // answer members waiting in joins
  impl_->Stop();
}

Status ParseListen(const std::string& listen, BrokerOptions* options) {
  std::string s = listen;
  for (const char* scheme : {"PLAINTEXT://", "plaintext://"}) {
    if (s.rfind(scheme, 0) == 0) s = s.substr(std::strlen(scheme));
  }
  const auto colon = s.rfind(':');
  if (colon == std::string::npos) {
    return Status(Errc::kInvalidArgument, "--listen must be HOST:PORT, got '" + listen + "'");
  }
  std::string host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port = s.substr(colon + 1);
  char* end = nullptr;
  const long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || p < 0 || p > 65535) {
    return Status(Errc::kInvalidArgument, "bad port in '" + listen + "'");
  }
  options->listen_host = host.empty() ? "0.0.0.0" : host;
  options->listen_port = static_cast<uint16_t>(p);
  options->listeners.clear();
  return Status::Ok();
}

namespace {

// "NAME://HOST:PORT" -> (name, host, port).
Status ParseListenerEntry(const std::string& entry, std::string* name, std::string* host, uint16_t* port) {
  const auto sep = entry.find("://");
  if (sep == std::string::npos || sep == 0) return Status(Errc::kInvalidArgument, "expected NAME://HOST:PORT, got '" + entry + "'");
  *name = entry.substr(0, sep);
  for (char& c : *name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  BrokerOptions tmp;
  RIVULET_RETURN_IF_ERROR(ParseListen(entry.substr(sep + 3), &tmp));
  *host = tmp.listen_host;
  *port = tmp.listen_port;
  return Status::Ok();
}

std::vector<std::string> SplitList(const std::string& value) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at <= value.size()) {
    const size_t comma = value.find(',', at);
    std::string item = value.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    const auto b = item.find_first_not_of(" \t");
    const auto e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return out;
}

// listeners, advertised.listeners and listener.security.protocol.map, in
// whatever order the file gave them.
Status ResolveListeners(const std::string& listeners, const std::string& advertised, const std::string& map,
                        BrokerOptions* o) {
  std::map<std::string, std::string> protocol_of;  // listener name -> protocol name
  for (const std::string& item : SplitList(map)) {
    const auto colon = item.find(':');
    if (colon == std::string::npos) {
      return Status(Errc::kInvalidArgument, "listener.security.protocol.map: expected NAME:PROTOCOL, got '" + item + "'");
    }
    std::string name = item.substr(0, colon), proto = item.substr(colon + 1);
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (char& c : proto) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    protocol_of[name] = proto;
  }
  o->listeners.clear();
  for (const std::string& entry : SplitList(listeners)) {
    ListenerOptions l;
    RIVULET_RETURN_IF_ERROR(ParseListenerEntry(entry, &l.name, &l.host, &l.port));
    auto mapped = protocol_of.find(l.name);
    const std::string proto = mapped != protocol_of.end() ? mapped->second : l.name;
    if (proto == "PLAINTEXT") {
      l.protocol = SecurityProtocol::kPlaintext;
    } else if (proto == "SSL") {
      l.protocol = SecurityProtocol::kSsl;
    } else if (proto == "SASL_PLAINTEXT") {
      l.protocol = SecurityProtocol::kSaslPlaintext;
    } else if (proto == "SASL_SSL") {
      l.protocol = SecurityProtocol::kSaslSsl;
    } else {
      return Status(Errc::kInvalidArgument, "listeners: listener " + l.name +
                                                " has no security protocol (name it PLAINTEXT, SSL, SASL_PLAINTEXT or "
                                                "SASL_SSL, or map it in listener.security.protocol.map)");
    }
    for (const auto& other : o->listeners) {
      if (other.name == l.name) return Status(Errc::kInvalidArgument, "listeners: " + l.name + " twice");
    }
    o->listeners.push_back(l);
  }
  for (const std::string& entry : SplitList(advertised)) {
    std::string name, host;
    uint16_t port = 0;
    RIVULET_RETURN_IF_ERROR(ParseListenerEntry(entry, &name, &host, &port));
    bool found = false;
    for (auto& l : o->listeners) {
      if (l.name != name) continue;
      l.advertised_host = host;
      l.advertised_port = port;
      found = true;
    }
    if (!found) {
      // Without listeners= the one listener is --listen's, PLAINTEXT.
      if (!o->listeners.empty() || name != "PLAINTEXT") {
        return Status(Errc::kInvalidArgument, "advertised.listeners: no listener named " + name);
      }
      o->advertised_host = host;
      o->advertised_port = port;
    }
  }
  return Status::Ok();
}

}  // namespace

Status ApplyServerProperties(const std::string& path, BrokerOptions* o) {
  std::ifstream in(path);
  if (!in) return Status(Errc::kNotFound, "cannot read config file " + path);
  std::string line;
  int lineno = 0;
  std::string listeners, advertised, protocol_map;  // resolved together after the last line
  while (std::getline(in, line)) {
    ++lineno;
    auto trim = [](std::string s) {
      const auto b = s.find_first_not_of(" \t\r");
      const auto e = s.find_last_not_of(" \t\r");
      return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == '!') continue;
    const auto eq = line.find_first_of("=:");
    if (eq == std::string::npos) {
      return Status(Errc::kInvalidArgument, path + ":" + std::to_string(lineno) + ": expected key=value");
    }
    const std::string key = trim(line.substr(0, eq));
    const std::string value = trim(line.substr(eq + 1));
    auto bad = [&](const std::string& why) {
      return Status(Errc::kInvalidArgument, path + ":" + std::to_string(lineno) + ": " + key + ": " + why);
    };
    auto to_int = [&](int64_t* out) -> Status {
      char* end = nullptr;
      errno = 0;
      const long long v = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || errno != 0) return bad("not an integer: '" + value + "'");
      *out = v;
      return Status::Ok();
    };
    int64_t v = 0;
    Status st;
    TopicConfig& tc = o->log.default_topic_config;
    if (key == "log.dirs" || key == "log.dir") {
      o->data_dir = value.substr(0, value.find(','));
    } else if (key == "listeners") {
      listeners = value;
    } else if (key == "advertised.listeners") {
      advertised = value;
    } else if (key == "listener.security.protocol.map") {
      protocol_map = value;
    } else if (key == "ssl.keystore.location") {
      o->tls.keystore_location = value;
    } else if (key == "ssl.key.password") {
      o->tls.key_password = value;
    } else if (key == "ssl.truststore.location") {
      o->tls.truststore_location = value;
    } else if (key == "ssl.keystore.type" || key == "ssl.truststore.type") {
      if (value != "PEM") st = bad("only PEM files are read (KIP-651), not " + value);
    } else if (key == "ssl.client.auth") {
      if (value == "none") {
        o->tls.client_auth = TlsOptions::ClientAuth::kNone;
      } else if (value == "requested") {
        o->tls.client_auth = TlsOptions::ClientAuth::kRequested;
      } else if (value == "required") {
        o->tls.client_auth = TlsOptions::ClientAuth::kRequired;
      } else {
        st = bad("must be none, requested or required");
      }
    } else if (key == "ssl.enabled.protocols") {
      o->tls.protocols.clear();
      for (const std::string& proto : SplitList(value)) {
        if (proto != "TLSv1.2" && proto != "TLSv1.3") st = bad("only TLSv1.2 and TLSv1.3 are served, not " + proto);
        o->tls.protocols.insert(proto);
      }
      if (st.ok() && o->tls.protocols.empty()) st = bad("names no protocol");
    } else if (key == "authorizer.class.name") {
      // Kafka's two ACL authorizers; either turns on Rivulet's (acls.h).
      if (value == "kafka.security.authorizer.AclAuthorizer" ||
          value == "org.apache.kafka.metadata.authorizer.StandardAuthorizer" || value == "rivulet") {
        o->authorizer.enabled = true;
      } else if (value.empty()) {
        o->authorizer.enabled = false;
      } else {
        st = bad("unknown authorizer '" + value + "' (kafka.security.authorizer.AclAuthorizer or "
                 "org.apache.kafka.metadata.authorizer.StandardAuthorizer)");
      }
    } else if (key == "super.users") {
      o->authorizer.super_users.clear();
      // Kafka separates them with ';' (a principal may hold ',').
      size_t at = 0;
      while (at <= value.size()) {
        const size_t semi = value.find(';', at);
        std::string user = value.substr(at, semi == std::string::npos ? std::string::npos : semi - at);
        const auto b = user.find_first_not_of(" \t"), e = user.find_last_not_of(" \t");
        if (b != std::string::npos) {
          user = user.substr(b, e - b + 1);
          if (user.find(':') == std::string::npos) st = bad("'" + user + "' is not TYPE:NAME, as User:admin");
          o->authorizer.super_users.insert(user);
        }
        if (semi == std::string::npos) break;
        at = semi + 1;
      }
    } else if (key == "allow.everyone.if.no.acl.found") {
      if (value != "true" && value != "false") st = bad("must be true or false");
      o->authorizer.allow_if_no_acl_found = value == "true";
    } else if (key == "quota.producer.default" || key == "quota.consumer.default" ||
               key.starts_with("quota.producer.user.") || key.starts_with("quota.consumer.user.")) {
      st = to_int(&v);
      if (st.ok() && v < 0) st = bad("must be >= 0 (bytes per second; 0: no quota)");
      const bool produce = key.starts_with("quota.producer.");
      if (key.ends_with(".default")) {
        (produce ? o->quotas.producer_byte_rate : o->quotas.consumer_byte_rate) = v;
      } else {
        const std::string user = key.substr(std::string("quota.producer.user.").size());
        if (user.empty()) st = bad("names no user");
        (produce ? o->quotas.producer_user : o->quotas.consumer_user)[user] = v;
      }
    } else if (key == "quota.window.num") {
      st = to_int(&v);
      if (st.ok() && (v < 2 || v > 1000)) st = bad("out of range [2, 1000]");
      o->quotas.window_num = static_cast<int32_t>(v);
    } else if (key == "quota.window.size.seconds") {
      st = to_int(&v);
      if (st.ok() && (v < 1 || v > 3600)) st = bad("out of range [1, 3600]");
      o->quotas.window_size_seconds = static_cast<int32_t>(v);
    } else if (key == "sasl.enabled.mechanisms") {
      o->sasl.enabled_mechanisms.clear();
      const auto& implemented = SaslServer::Implemented();
      for (const std::string& m : SplitList(value)) {
        if (std::find(implemented.begin(), implemented.end(), m) == implemented.end()) {
          st = bad("mechanism " + m + " is not implemented (PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 are)");
        }
        o->sasl.enabled_mechanisms.push_back(m);
      }
      if (st.ok() && o->sasl.enabled_mechanisms.empty()) st = bad("names no mechanism");
    } else if (key == "sasl.server.max.receive.size") {
      st = to_int(&v);
      if (st.ok() && (v < 1024 || v > (1LL << 30))) st = bad("out of range [1024, 1 GiB]");
      o->sasl.max_receive_bytes = static_cast<int32_t>(v);
    } else if (key == "connection.failed.authentication.delay.ms") {
      st = to_int(&v);
      if (st.ok() && (v < 0 || v > 60'000)) st = bad("out of range [0, 60000]");
      o->sasl.failed_authentication_delay_ms = v;
    } else if (key == "num.partitions") {
      st = to_int(&v);
      if (st.ok() && v < 1) st = bad("must be >= 1");
      o->log.default_partitions = static_cast<int32_t>(v);
    } else if (key == "auto.create.topics.enable") {
      if (value != "true" && value != "false") st = bad("must be true or false");
      o->log.auto_create_topics = value == "true";
    } else if (key == "log.retention.ms") {
      st = tc.Set("retention.ms", value);
    } else if (key == "log.retention.minutes") {
      st = to_int(&v);
      if (st.ok()) st = tc.Set("retention.ms", std::to_string(v * 60000));
    } else if (key == "log.retention.hours") {
      st = to_int(&v);
      if (st.ok()) st = tc.Set("retention.ms", std::to_string(v * 3600000));
    } else if (key == "log.retention.bytes") {
      st = tc.Set("retention.bytes", value);
    } else if (key == "log.segment.bytes") {
      st = tc.Set("segment.bytes", value);
    } else if (key == "log.roll.ms") {
      st = tc.Set("segment.ms", value);
    } else if (key == "log.roll.hours") {
      st = to_int(&v);
      if (st.ok()) st = tc.Set("segment.ms", std::to_string(v * 3600000));
    } else if (key == "log.flush.interval.messages") {
      st = tc.Set("flush.messages", value);
    } else if (key == "log.flush.interval.ms") {
      st = tc.Set("flush.ms", value);
    } else if (key == "log.retention.check.interval.ms") {
      st = to_int(&v);
      if (st.ok() && v < 1) st = bad("must be >= 1");
      o->log.retention_check_interval_ms = v;
    } else if (key == "group.initial.rebalance.delay.ms") {
      st = to_int(&v);
      if (st.ok() && v < 0) st = bad("must be >= 0");
      o->log.groups.initial_rebalance_delay_ms = v;
    } else if (key == "group.min.session.timeout.ms") {
      st = to_int(&v);
      o->log.groups.min_session_timeout_ms = static_cast<int32_t>(v);
    } else if (key == "group.max.session.timeout.ms") {
      st = to_int(&v);
      o->log.groups.max_session_timeout_ms = static_cast<int32_t>(v);
    } else if (key == "message.max.bytes") {
      st = tc.Set("max.message.bytes", value);
    } else if (key == "socket.request.max.bytes") {
      st = to_int(&v);
      if (st.ok() && (v < 1024 || v > (1LL << 31) - 1)) st = bad("out of range");
      o->max_request_bytes = static_cast<int32_t>(v);
    } else if (key == "queued.max.request.bytes") {
      st = to_int(&v);
      if (st.ok() && v < 1024) st = bad("must be at least 1024 (unbounded is not offered)");
      o->queued_max_request_bytes = v;
    } else if (key == "request.read.timeout.ms") {
      st = to_int(&v);
      if (st.ok() && (v < 1 || v > 3'600'000)) st = bad("out of range");
      o->request_read_timeout_ms = v;
    } else if (key == "max.connections" || key == "max.connections.per.ip") {
      st = to_int(&v);
      if (st.ok() && (v < 1 || v > (1LL << 31) - 1)) st = bad("out of range");
      (key == "max.connections" ? o->max_connections : o->max_connections_per_ip) = static_cast<int32_t>(v);
    } else if (key == "num.network.threads" || key == "num.io.threads") {
      st = to_int(&v);
      if (st.ok() && v > 0) o->threads = std::max(o->threads, static_cast<int>(v));
    } else if (key == "broker.id" || key == "node.id" || key == "zookeeper.connect" ||
               key == "security.inter.broker.protocol" || key == "inter.broker.listener.name" ||
               key == "sasl.mechanism.inter.broker.protocol" ||
               key == "offsets.topic.replication.factor" || key == "transaction.state.log.replication.factor" ||
               key == "transaction.state.log.min.isr" || key == "num.recovery.threads.per.data.dir" ||
               key == "socket.send.buffer.bytes" || key == "socket.receive.buffer.bytes" ||
               key == "zookeeper.connection.timeout.ms" || key == "default.replication.factor") {
      // Accepted for compatibility with stock server.properties; single node.
    } else {
      st = bad("unsupported setting");
    }
    if (!st.ok()) {
      if (st.message().rfind(path, 0) == 0) return st;
      return bad(st.message());
    }
  }
  if (Status st = ResolveListeners(listeners, advertised, protocol_map, o); !st.ok()) {
    return Status(st.code(), path + ": " + st.message());
  }
  return Status::Ok();
}

}  // namespace rivulet::log::kafka
