// broker-tls: what SASL_SSL (SCRAM-SHA-512 over TLS) costs a librdkafka
// producer and consumer against `rivulet broker`, beside PLAINTEXT on the
// same broker build in the same run.
//
// Each measurement starts a fresh broker serving two listeners, PLAINTEXT
// and SASL_SSL, on free loopback ports; the producer (acks=1, as
// broker-produce) sends the records through one of them, and a consumer
// reads them back through the same one. The two protocols alternate which
// goes first from one repeat to the next. `ratio` is SASL_SSL produce
// records/s over PLAINTEXT's (medians), `ratio_consume` the same for
// consume.
//
// The certificates are made here, in-process, with OpenSSL: a throwaway CA
// and a server certificate for 127.0.0.1 (subjectAltName IP:127.0.0.1),
// EC P-256 keys, in the benchmark's temporary directory; the client checks
// the server's name against it (ssl.endpoint.identification.algorithm=https).
//
// --set tls_protocol=TLSv1.2|TLSv1.3: the broker's ssl.enabled.protocols
// (default both: TLS 1.3 is negotiated). --set ssl_cipher_suites=LIST: the
// client's ssl.cipher.suites (TLS 1.2 cipher names; TLS 1.3 keeps
// OpenSSL's default suites).
#include <arpa/inet.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "bench/broker_clients.h"
#include "bench/harness.h"

namespace rivulet::bench {
namespace {

using Settings = std::vector<std::pair<std::string, std::string>>;

// ---- A throwaway PKI, made with OpenSSL's C API ----

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;
using Bio = std::unique_ptr<BIO, BioFree>;

// The last OpenSSL error of this thread (and the queue cleared).
Status OpenSslError(const std::string& what) {
  char buf[256] = "unknown error";
  if (const unsigned long e = ERR_get_error(); e != 0) ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return Status(Errc::kIoError, what + ": " + buf);
}

Result<Pkey> NewP256Key() {
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return OpenSslError("EC P-256 key generation");
  return key;
}

// A certificate of `key` for `cn`, valid from an hour ago for two days,
// signed by `issuer_key` (and named after `issuer`; null: self-signed).
// `extensions` are (NID, OpenSSL configuration value) pairs.
Result<Cert> NewCert(EVP_PKEY* key, const std::string& cn, long serial, X509* issuer, EVP_PKEY* issuer_key,
                     const std::vector<std::pair<int, std::string>>& extensions) {
  Cert x(X509_new());
  if (!x) return OpenSslError("X509_new");
  X509_set_version(x.get(), 2);  // v3
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 2 * 86400);
  if (X509_set_pubkey(x.get(), key) != 1) return OpenSslError("X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("rivulet-bench"), -1,
                             -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer ? issuer : x.get(), x.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str());
    if (!ext) return OpenSslError(std::string("extension ") + OBJ_nid2sn(nid) + "=" + value);
    const int added = X509_add_ext(x.get(), ext, -1);
    X509_EXTENSION_free(ext);
    if (added != 1) return OpenSslError("X509_add_ext");
  }
  if (X509_sign(x.get(), issuer_key ? issuer_key : key, EVP_sha256()) <= 0) return OpenSslError("X509_sign");
  return x;
}

// Writes the PEM of the keys and certificates given (in that order).
Status WritePem(const std::string& path, const std::vector<EVP_PKEY*>& keys, const std::vector<X509*>& certs) {
  Bio bio(BIO_new_file(path.c_str(), "w"));
  if (!bio) return OpenSslError("cannot create " + path);
  for (EVP_PKEY* k : keys) {
    if (PEM_write_bio_PrivateKey(bio.get(), k, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
      return OpenSslError("PEM_write_bio_PrivateKey " + path);
    }
  }
  for (X509* c : certs) {
    if (PEM_write_bio_X509(bio.get(), c) != 1) return OpenSslError("PEM_write_bio_X509 " + path);
  }
  if (BIO_flush(bio.get()) != 1) return OpenSslError("writing " + path);
  return Status::Ok();
}

struct Pki {
  std::string ca;        // the CA's certificate (the client's ssl.ca.location)
  std::string keystore;  // the server's key, certificate and the CA's (the broker's ssl.keystore.location)
};

Result<Pki> MakePki(const std::string& dir) {
  RIVULET_ASSIGN_OR_RETURN(Pkey ca_key, NewP256Key());
  RIVULET_ASSIGN_OR_RETURN(Cert ca, NewCert(ca_key.get(), "rivulet-bench-ca", 1, nullptr, nullptr,
                                            {{NID_basic_constraints, "critical,CA:TRUE"},
                                             {NID_key_usage, "critical,keyCertSign,cRLSign"},
                                             {NID_subject_key_identifier, "hash"}}));
  RIVULET_ASSIGN_OR_RETURN(Pkey server_key, NewP256Key());
  RIVULET_ASSIGN_OR_RETURN(Cert server, NewCert(server_key.get(), "127.0.0.1", 2, ca.get(), ca_key.get(),
                                                {{NID_basic_constraints, "critical,CA:FALSE"},
                                                 {NID_key_usage, "critical,digitalSignature"},
                                                 {NID_ext_key_usage, "serverAuth"},
                                                 {NID_subject_alt_name, "IP:127.0.0.1"},
                                                 {NID_subject_key_identifier, "hash"},
                                                 {NID_authority_key_identifier, "keyid:always"}}));
  Pki pki{dir + "/ca.pem", dir + "/server-keystore.pem"};
  RIVULET_RETURN_IF_ERROR(WritePem(pki.ca, {}, {ca.get()}));
  RIVULET_RETURN_IF_ERROR(WritePem(pki.keystore, {server_key.get()}, {server.get(), ca.get()}));
  return pki;
}

// What a TLS handshake with the SASL_SSL listener negotiates with
// OpenSSL's default client settings (those librdkafka starts from): the
// protocol version and the cipher suite, as OpenSSL names them
// (`cipher_list`: the client's ssl.cipher.suites, if set).
Result<std::pair<std::string, std::string>> ProbeTls(uint16_t port, const std::string& ca,
                                                     const std::string& cipher_list) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (!ctx) return OpenSslError("SSL_CTX_new");
  if (SSL_CTX_load_verify_locations(ctx.get(), ca.c_str(), nullptr) != 1) return OpenSslError("loading " + ca);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (!cipher_list.empty() && SSL_CTX_set_cipher_list(ctx.get(), cipher_list.c_str()) != 1) {
    return OpenSslError("ssl.cipher.suites " + cipher_list);
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoStatus("socket", "", errno);
  auto close_fd = std::unique_ptr<const int, void (*)(const int*)>(&fd, [](const int* f) { ::close(*f); });
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    return ErrnoStatus("connect", "127.0.0.1:" + std::to_string(port), errno);
  }
  if (!ssl || SSL_set1_host(ssl.get(), "127.0.0.1") != 1 || SSL_set_fd(ssl.get(), fd) != 1) {
    return OpenSslError("SSL_new");
  }
  if (SSL_connect(ssl.get()) != 1) return OpenSslError("TLS handshake with the SASL_SSL listener");
  std::pair<std::string, std::string> negotiated{SSL_get_version(ssl.get()),
                                                 SSL_CIPHER_get_name(SSL_get_current_cipher(ssl.get()))};
  // Close, then wait for the broker to close its side (it reads the
  // close_notify as the end of the connection), so that no handshake is
  // left half done when the broker stops.
  SSL_shutdown(ssl.get());
  char buf[256];
  while (SSL_read(ssl.get(), buf, sizeof(buf)) > 0) {
  }
  ERR_clear_error();
  return negotiated;
}

// ---- One measurement ----

struct Rates {
  double produce = 0;
  double consume = 0;
};

// A fresh broker with both listeners; o.records produced through one of
// them (`client`: SASL_SSL's client settings; null: PLAINTEXT), checked,
// then consumed back through the same one and checked.
Result<Rates> Measure(const BenchOptions& o, const std::vector<std::string>& keys, const std::string& value,
                      const SaslSslListener& listener, const Settings* client, uint64_t* bytes) {
  RIVULET_ASSIGN_OR_RETURN(auto broker, BrokerUnderTest::Start(o, &listener));
  const std::string bootstrap = client ? broker->sasl_ssl_bootstrap() : broker->bootstrap();
  const Settings none;
  const Settings& settings = client ? *client : none;
  Rates rates;
  {
    RIVULET_ASSIGN_OR_RETURN(auto producer, BenchProducer::Open(bootstrap, "5", o.records, settings));
    RIVULET_ASSIGN_OR_RETURN(double secs, ProduceAll(*producer, o, keys, value));
    rates.produce = static_cast<double>(o.records) / secs;
  }
  RIVULET_ASSIGN_OR_RETURN(int64_t end, broker->LogEnd());
  if (end != o.records) return Status(Errc::kCorruption, "broker holds " + std::to_string(end) + " records");
  RIVULET_ASSIGN_OR_RETURN(*bytes, broker->Bytes());
  RIVULET_ASSIGN_OR_RETURN(RdKafka consumer, OpenConsumer(bootstrap, RD_KAFKA_OFFSET_BEGINNING, settings));
  uint64_t checksum = 0;
  const auto start = Clock::now();
  RIVULET_RETURN_IF_ERROR(ConsumeN(consumer.get(), o.records, [&](std::string_view v) { checksum += v.size(); }));
  rates.consume = static_cast<double>(o.records) / Seconds(start, Clock::now());
  if (checksum != static_cast<uint64_t>(o.records) * value.size()) {
    return Status(Errc::kCorruption, "consumed values differ from those produced");
  }
  return rates;
}

}  // namespace

Status BrokerTlsBench(const BenchOptions& o, std::ostream& out) {
  const std::vector<std::string> keys = MakeKeys(o);
  const std::string value(static_cast<size_t>(o.value_bytes), 'v');
  SaslSslListener listener;
  if (auto it = o.settings.find("tls_protocol"); it != o.settings.end()) {
    if (it->second != "TLSv1.2" && it->second != "TLSv1.3") {
      return Status(Errc::kInvalidArgument, "--set tls_protocol=TLSv1.2 or TLSv1.3");
    }
    listener.tls_protocols = {it->second};
  }
  const std::string dir = MakeDir(o, "tls");
  auto remove_dir = std::unique_ptr<const std::string, void (*)(const std::string*)>(
      &dir, [](const std::string* d) { std::filesystem::remove_all(*d); });
  RIVULET_ASSIGN_OR_RETURN(Pki pki, MakePki(dir));
  listener.keystore = pki.keystore;
  listener.user = "bench";
  listener.password = "bench-secret";
  Settings client = {{"security.protocol", "SASL_SSL"},
                     {"sasl.mechanisms", "SCRAM-SHA-512"},
                     {"sasl.username", listener.user},
                     {"sasl.password", listener.password},
                     {"ssl.ca.location", pki.ca},
                     {"ssl.endpoint.identification.algorithm", "https"}};
  std::string cipher_list;
  if (auto it = o.settings.find("ssl_cipher_suites"); it != o.settings.end()) {
    cipher_list = it->second;
    client.push_back({"ssl.cipher.suites", cipher_list});
  }

  // What the listener negotiates, from a broker started for the purpose.
  std::pair<std::string, std::string> negotiated;
  {
    RIVULET_ASSIGN_OR_RETURN(auto broker, BrokerUnderTest::Start(o, &listener));
    RIVULET_ASSIGN_OR_RETURN(negotiated, ProbeTls(broker->sasl_ssl_port(), pki.ca, cipher_list));
  }

  Figures f;
  f.bench = "broker-tls";
  f.baseline = "PLAINTEXT listener of the same broker build, same run";
  std::vector<double> consume_tls, consume_plain;
  for (int r = 0; r < o.repeats; ++r) {
    // SASL_SSL first in even repeats, PLAINTEXT first in odd ones.
    for (int which = 0; which < 2; ++which) {
      const bool tls = (which == 0) == (r % 2 == 0);
      uint64_t bytes = 0;
      RIVULET_ASSIGN_OR_RETURN(Rates rates, Measure(o, keys, value, listener, tls ? &client : nullptr, &bytes));
      f.bytes = bytes;
      (tls ? f.rates : f.baseline_rates).push_back(rates.produce);
      (tls ? consume_tls : consume_plain).push_back(rates.consume);
    }
  }
  const double ct = Median(consume_tls), cp = Median(consume_plain);
  f.extra = {{"records_per_s_consume", ct},
             {"records_per_s_consume_plaintext", cp},
             {"ratio_consume", cp > 0 ? ct / cp : 0}};
  f.extra_json = {{"security_protocol", JsonString("SASL_SSL")},
                  {"sasl_mechanism", JsonString("SCRAM-SHA-512")},
                  {"tls_version", JsonString(negotiated.first)},
                  {"tls_cipher", JsonString(negotiated.second)},
                  {"runs_records_per_s_consume", JsonRuns(consume_tls)},
                  {"runs_records_per_s_consume_plaintext", JsonRuns(consume_plain)}};
  ReportFigures(out, o, f);
  return Status::Ok();
}

}  // namespace rivulet::bench
