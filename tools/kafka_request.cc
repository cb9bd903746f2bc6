// Blocking request/response exchanges, under TLS and SASL when asked; see
// kafka_request.h.
#include "tools/kafka_request.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "log/kafka/auth/sasl.h"
#include "log/kafka/protocol/api.h"
#include "log/kafka/protocol/sasl.h"
#include "log/wire.h"

namespace rivulet::tools {

namespace k = log::kafka;
using Clock = std::chrono::steady_clock;

namespace {

std::string OpenSslError() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return "TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return buf;
}

std::string Get(const ClientProperties& props, const std::string& key, const std::string& fallback = "") {
  auto it = props.find(key);
  return it == props.end() ? fallback : it->second;
}

}  // namespace

struct KafkaConnection::Impl {
  int fd = -1;
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  Clock::time_point deadline;
  std::string peer;
  int32_t correlation = 0;

  ~Impl() {
    if (ssl) {
      SSL_shutdown(ssl);
      SSL_free(ssl);
    }
    if (ctx) SSL_CTX_free(ctx);
    if (fd >= 0) ::close(fd);
  }

  Status Connect(const std::string& bootstrap) {
    peer = bootstrap;
    const size_t colon = bootstrap.rfind(':');
    if (colon == std::string::npos) return Status(Errc::kInvalidArgument, "bootstrap '" + bootstrap + "' is not HOST:PORT");
    const std::string host = bootstrap.substr(0, colon), port = bootstrap.substr(colon + 1);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
      return Status(Errc::kIoError, "resolve " + bootstrap + ": " + ::gai_strerror(rc));
    }
    // Non-blocking throughout: every wait (connect, TLS, reads, writes)
    // is a poll bounded by the deadline.
    int err = 0;
    for (addrinfo* a = res; a; a = a->ai_next) {
      fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
      if (fd < 0) {
        err = errno;
        continue;
      }
      if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
      err = errno;
      if (err == EINPROGRESS) {
        Status waited = Wait(/*write=*/true);
        socklen_t len = sizeof(err);
        if (waited.ok() && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) break;
        if (!waited.ok()) err = ETIMEDOUT;
      }
      ::close(fd);
      fd = -1;
    }
    ::freeaddrinfo(res);
    if (fd < 0) return Status(Errc::kIoError, "connect " + bootstrap + ": " + std::strerror(err));
    return Status::Ok();
  }

  // Waits until the socket is readable (or writable), within the deadline.
  Status Wait(bool write) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return Status(Errc::kTimeout, "no response from the broker at " + peer + " in time");
    pollfd p{fd, static_cast<short>(write ? POLLOUT : POLLIN), 0};
    const int rc = ::poll(&p, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) return Wait(write);  // the rest of the time
    if (rc == 0) return Status(Errc::kTimeout, "no response from the broker at " + peer + " in time");
    return Status::Ok();  // ready, or an error the next call reports
  }

  Status StartTls(const std::string& host, const ClientProperties& props) {
    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) return Status(Errc::kIoError, OpenSslError());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    const std::string ca = Get(props, "ssl.ca.location");
    if (!ca.empty()) {
      if (SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr) != 1) {
        return Status(Errc::kInvalidArgument, "ssl.ca.location " + ca + ": " + OpenSslError());
      }
    } else {
      SSL_CTX_set_default_verify_paths(ctx);
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    const std::string key_password = Get(props, "ssl.key.password");
    if (!key_password.empty()) {
      SSL_CTX_set_default_passwd_cb_userdata(ctx, const_cast<char*>(props.at("ssl.key.password").c_str()));
    }
    const std::string cert = Get(props, "ssl.certificate.location");
    if (!cert.empty() && SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1) {
      return Status(Errc::kInvalidArgument, "ssl.certificate.location " + cert + ": " + OpenSslError());
    }
    const std::string key = Get(props, "ssl.key.location");
    if (!key.empty() && SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
      return Status(Errc::kInvalidArgument, "ssl.key.location " + key + ": " + OpenSslError());
    }
    ssl = SSL_new(ctx);
    if (!ssl) return Status(Errc::kIoError, OpenSslError());
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, host.c_str());
    if (Get(props, "ssl.endpoint.identification.algorithm", "https") == "https") {
      // The broker's certificate must name the host dialled.
      SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      if (SSL_set1_host(ssl, host.c_str()) != 1) return Status(Errc::kIoError, OpenSslError());
    }
    for (;;) {
      const int rc = SSL_connect(ssl);
      if (rc == 1) return Status::Ok();
      const int e = SSL_get_error(ssl, rc);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        RIVULET_RETURN_IF_ERROR(Wait(e == SSL_ERROR_WANT_WRITE));
        continue;
      }
      const long verify = SSL_get_verify_result(ssl);
      std::string why = verify != X509_V_OK ? X509_verify_cert_error_string(verify) : OpenSslError();
      return Status(Errc::kIoError, "TLS handshake with " + peer + " failed: " + why);
    }
  }

  Status Write(std::string_view data) {
    while (!data.empty()) {
      ssize_t n;
      if (ssl) {
        n = SSL_write(ssl, data.data(), static_cast<int>(data.size()));
        if (n <= 0) {
          const int e = SSL_get_error(ssl, static_cast<int>(n));
          if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            RIVULET_RETURN_IF_ERROR(Wait(e == SSL_ERROR_WANT_WRITE));
            continue;
          }
          return Status(Errc::kIoError, "send to " + peer + ": " + OpenSslError());
        }
      } else {
        n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          RIVULET_RETURN_IF_ERROR(Wait(/*write=*/true));
          continue;
        }
        if (n <= 0) return Status(Errc::kIoError, "send to " + peer + ": " + std::strerror(errno));
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  }

  Status Read(char* out, size_t n) {
    while (n > 0) {
      if (!ssl || SSL_pending(ssl) == 0) RIVULET_RETURN_IF_ERROR(Wait(false));
      ssize_t r;
      if (ssl) {
        r = SSL_read(ssl, out, static_cast<int>(n));
        if (r <= 0) {
          const int e = SSL_get_error(ssl, static_cast<int>(r));
          if (e == SSL_ERROR_WANT_WRITE) {
            RIVULET_RETURN_IF_ERROR(Wait(/*write=*/true));
            continue;
          }
          if (e == SSL_ERROR_WANT_READ) continue;
          return Status(Errc::kIoError, "the broker at " + peer + " closed the connection");
        }
      } else {
        r = ::recv(fd, out, n, MSG_DONTWAIT);
        if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
        if (r <= 0) {
          return Status(Errc::kIoError, "the broker at " + peer + " closed the connection (request not supported, "
                                        "or the listener wants TLS or SASL: --command-config)");
        }
      }
      out += r;
      n -= static_cast<size_t>(r);
    }
    return Status::Ok();
  }

  Result<std::string> Request(int16_t key, int16_t version, std::string_view body) {
    const bool flexible = k::FlexibleVersion(key, version);
    const int32_t id = ++correlation;
    log::Writer w;
    const size_t size_at = w.Placeholder32();
    w.Int16(key);
    w.Int16(version);
    w.Int32(id);
    w.NullableString(std::string("rivulet-tools"));
    if (flexible) w.EmptyTaggedFields();
    w.Raw(body);
    w.PatchInt32(size_at, static_cast<int32_t>(w.size() - 4));
    RIVULET_RETURN_IF_ERROR(Write(w.buffer()));
    char size[4];
    RIVULET_RETURN_IF_ERROR(Read(size, 4));
    const auto n = static_cast<int32_t>(log::GetBigEndian32(size));
    if (n < 4 || n > (64 << 20)) return Status(Errc::kCorruption, "response size " + std::to_string(n));
    std::string response(static_cast<size_t>(n), '\0');
    RIVULET_RETURN_IF_ERROR(Read(response.data(), response.size()));
    log::Reader r(response);
    if (r.Int32() != id) return Status(Errc::kCorruption, "response to another request");
    if (k::FlexibleResponseHeader(key, version)) r.SkipTaggedFields();
    if (!r.ok()) return Status(Errc::kCorruption, std::string("response header: ") + r.error());
    return std::string(r.Rest());
  }

  // SaslHandshake v1, then SaslAuthenticate v1 until the exchange completes.
  Status Authenticate(const ClientProperties& props) {
    const std::string mechanism = Get(props, "sasl.mechanism", Get(props, "sasl.mechanisms", "PLAIN"));
    const std::string user = Get(props, "sasl.username");
    if (user.empty()) return Status(Errc::kInvalidArgument, "SASL needs sasl.username and sasl.password");
    RIVULET_ASSIGN_OR_RETURN(auto client, k::SaslClient::Create(mechanism, user, Get(props, "sasl.password")));
    k::SaslHandshakeRequest hs{mechanism};
    RIVULET_ASSIGN_OR_RETURN(std::string body, Request(static_cast<int16_t>(k::ApiKey::kSaslHandshake), 1, hs.Encode(1)));
    RIVULET_ASSIGN_OR_RETURN(auto hs_resp, k::SaslHandshakeResponse::Decode(body, 1));
    if (hs_resp.error != k::ErrorCode::kNone) {
      std::string offered;
      for (const auto& m : hs_resp.mechanisms) offered += (offered.empty() ? "" : ", ") + m;
      return Status(Errc::kAuthenticationFailed, "the broker at " + peer + " does not take SASL mechanism " +
                                                     mechanism + (offered.empty() ? "" : " (it offers " + offered + ")"));
    }
    RIVULET_ASSIGN_OR_RETURN(std::string token, client->Step(""));
    for (int round = 0; round < 8; ++round) {
      k::SaslAuthenticateRequest req{token};
      RIVULET_ASSIGN_OR_RETURN(body, Request(static_cast<int16_t>(k::ApiKey::kSaslAuthenticate), 1, req.Encode(1)));
      RIVULET_ASSIGN_OR_RETURN(auto resp, k::SaslAuthenticateResponse::Decode(body, 1));
      if (resp.error != k::ErrorCode::kNone) {
        return Status(Errc::kAuthenticationFailed, "the broker at " + peer + " refused user '" + user + "' (" +
                                                       mechanism + "): " + resp.error_message.value_or("no reason"));
      }
      RIVULET_ASSIGN_OR_RETURN(token, client->Step(resp.auth_bytes));
      if (client->complete()) return Status::Ok();
    }
    return Status(Errc::kAuthenticationFailed, "SASL exchange with " + peer + " did not end");
  }
};

KafkaConnection::KafkaConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KafkaConnection::~KafkaConnection() = default;

Result<std::unique_ptr<KafkaConnection>> KafkaConnection::Open(const std::string& bootstrap,
                                                               const ClientProperties& props, int timeout_ms) {
  auto impl = std::make_unique<Impl>();
  impl->deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string protocol = Get(props, "security.protocol", "PLAINTEXT");
  for (char& c : protocol) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (protocol != "PLAINTEXT" && protocol != "SSL" && protocol != "SASL_PLAINTEXT" && protocol != "SASL_SSL") {
    return Status(Errc::kInvalidArgument, "security.protocol '" + protocol +
                                              "' is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL");
  }
  RIVULET_RETURN_IF_ERROR(impl->Connect(bootstrap));
  if (protocol == "SSL" || protocol == "SASL_SSL") {
    RIVULET_RETURN_IF_ERROR(impl->StartTls(bootstrap.substr(0, bootstrap.rfind(':')), props));
  }
  if (protocol.rfind("SASL_", 0) == 0) RIVULET_RETURN_IF_ERROR(impl->Authenticate(props));
  return std::unique_ptr<KafkaConnection>(new KafkaConnection(std::move(impl)));
}

Result<std::string> KafkaConnection::Request(int16_t key, int16_t version, std::string_view body) {
  return impl_->Request(key, version, body);
}

Result<std::string> KafkaRequest(const std::string& bootstrap, int16_t key, int16_t version, std::string_view body,
                                 int timeout_ms, const ClientProperties& props) {
  RIVULET_ASSIGN_OR_RETURN(auto conn, KafkaConnection::Open(bootstrap, props, timeout_ms));
  return conn->Request(key, version, body);
}

}  // namespace rivulet::tools
