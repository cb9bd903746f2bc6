// The broker's server.properties: listeners, their protocols and
// advertised addresses, and the TLS keys (log/kafka/server/broker.h).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <unistd.h>

#include "log/kafka/server/broker.h"

namespace rivulet::log::kafka {
namespace {

// Parses `text` as a server.properties file.
Status Apply(const std::string& text, BrokerOptions* o) {
  // One file per process and call: ctest runs the tests of this file as
  // processes side by side.
  static int calls = 0;
  const std::string path = ::testing::TempDir() + "server-properties-test-" + std::to_string(::getpid()) + "-" +
                           std::to_string(++calls) + ".properties";
  std::ofstream(path) << text;
  Status st = ApplyServerProperties(path, o);
  std::remove(path.c_str());
  return st;
}

TEST(ServerPropertiesTest, ListenersWithProtocolsAndAdvertisedAddresses) {
  BrokerOptions o;
  ASSERT_TRUE(Apply("advertised.listeners=EXTERNAL://broker.example.com:19093\n"
                    "listeners=INTERNAL://127.0.0.1:9092, EXTERNAL://[::1]:9093,SSL://:9094\n"
                    "listener.security.protocol.map=internal:plaintext,EXTERNAL:SSL\n",
                    &o)
                  .ok());
  ASSERT_EQ(o.listeners.size(), 3u);
  EXPECT_EQ(o.listeners[0].name, "INTERNAL");
  EXPECT_EQ(o.listeners[0].protocol, SecurityProtocol::kPlaintext);
  EXPECT_EQ(o.listeners[0].host, "127.0.0.1");
  EXPECT_EQ(o.listeners[0].port, 9092);
  EXPECT_TRUE(o.listeners[0].advertised_host.empty());
  EXPECT_EQ(o.listeners[1].protocol, SecurityProtocol::kSsl);
  EXPECT_EQ(o.listeners[1].host, "::1");
  EXPECT_EQ(o.listeners[1].advertised_host, "broker.example.com");
  EXPECT_EQ(o.listeners[1].advertised_port, 19093);
  EXPECT_EQ(o.listeners[2].name, "SSL");
  EXPECT_EQ(o.listeners[2].protocol, SecurityProtocol::kSsl);
  EXPECT_EQ(o.listeners[2].host, "0.0.0.0");
  EXPECT_EQ(o.listeners[2].port, 9094);
}

TEST(ServerPropertiesTest, ListenFlagReplacesTheListeners) {
  BrokerOptions o;
  ASSERT_TRUE(Apply("listeners=PLAINTEXT://127.0.0.1:9092,SSL://127.0.0.1:9093\n", &o).ok());
  ASSERT_EQ(o.listeners.size(), 2u);
  ASSERT_TRUE(ParseListen("127.0.0.1:7000", &o).ok());
  EXPECT_TRUE(o.listeners.empty());
  EXPECT_EQ(o.listen_port, 7000);
}

TEST(ServerPropertiesTest, AdvertisedAddressOfTheOneListenerWithoutListeners) {
  BrokerOptions o;
  ASSERT_TRUE(Apply("advertised.listeners=PLAINTEXT://nat.example:19092\n", &o).ok());
  EXPECT_TRUE(o.listeners.empty());
  EXPECT_EQ(o.advertised_host, "nat.example");
  EXPECT_EQ(o.advertised_port, 19092);
}

TEST(ServerPropertiesTest, TlsKeys) {
  BrokerOptions o;
  ASSERT_TRUE(Apply("ssl.keystore.type=PEM\nssl.keystore.location=/k.pem\nssl.key.password=secret\n"
                    "ssl.truststore.type=PEM\nssl.truststore.location=/ca.pem\nssl.client.auth=required\n"
                    "ssl.enabled.protocols=TLSv1.3\n",
                    &o)
                  .ok());
  EXPECT_EQ(o.tls.keystore_location, "/k.pem");
  EXPECT_EQ(o.tls.key_password, "secret");
  EXPECT_EQ(o.tls.truststore_location, "/ca.pem");
  EXPECT_EQ(o.tls.client_auth, TlsOptions::ClientAuth::kRequired);
  EXPECT_EQ(o.tls.protocols, (std::set<std::string>{"TLSv1.3"}));
}

TEST(ServerPropertiesTest, SaslListenersMechanismsAndTheAuthorizer) {
  BrokerOptions o;
  EXPECT_EQ(o.sasl.enabled_mechanisms, (std::vector<std::string>{"SCRAM-SHA-256", "SCRAM-SHA-512"}));
  EXPECT_FALSE(o.authorizer.enabled);
  ASSERT_TRUE(Apply("listeners=SASL_PLAINTEXT://127.0.0.1:9092,SECURE://127.0.0.1:9093\n"
                    "listener.security.protocol.map=SECURE:SASL_SSL\n"
                    "sasl.enabled.mechanisms=PLAIN, SCRAM-SHA-512\n"
                    "sasl.server.max.receive.size=8192\nconnection.failed.authentication.delay.ms=250\n"
                    "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer\n"
                    "super.users=User:admin;User:CN=ops,O=example\nallow.everyone.if.no.acl.found=true\n",
                    &o)
                  .ok());
  ASSERT_EQ(o.listeners.size(), 2u);
  EXPECT_EQ(o.listeners[0].protocol, SecurityProtocol::kSaslPlaintext);
  EXPECT_EQ(o.listeners[1].protocol, SecurityProtocol::kSaslSsl);
  EXPECT_EQ(o.sasl.enabled_mechanisms, (std::vector<std::string>{"PLAIN", "SCRAM-SHA-512"}));
  EXPECT_EQ(o.sasl.max_receive_bytes, 8192);
  EXPECT_EQ(o.sasl.failed_authentication_delay_ms, 250);
  EXPECT_TRUE(o.authorizer.enabled);
  EXPECT_EQ(o.authorizer.super_users, (std::set<std::string>{"User:admin", "User:CN=ops,O=example"}));
  EXPECT_TRUE(o.authorizer.allow_if_no_acl_found);
}

TEST(ServerPropertiesTest, RefusedWithTheReason) {
  struct Case {
    const char* text;
    const char* why;
  };
  for (const Case& c : {
           Case{"listeners=PLAINTEXT://127.0.0.1:9092,PLAINTEXT://127.0.0.1:9093\n", "PLAINTEXT twice"},
           Case{"listeners=INTERNAL://127.0.0.1:9092\n", "listener.security.protocol.map"},
           Case{"sasl.enabled.mechanisms=PLAIN,GSSAPI\n", "GSSAPI is not implemented"},
           Case{"sasl.enabled.mechanisms=\n", "names no mechanism"},
           Case{"connection.failed.authentication.delay.ms=-1\n", "out of range"},
           Case{"authorizer.class.name=com.example.MyAuthorizer\n", "unknown authorizer"},
           Case{"super.users=User:admin;alice\n", "'alice' is not TYPE:NAME"},
           Case{"allow.everyone.if.no.acl.found=yes\n", "true or false"},
           Case{"listeners=127.0.0.1:9092\n", "NAME://HOST:PORT"},
           Case{"listeners=PLAINTEXT://127.0.0.1:99999\n", "bad port"},
           Case{"listeners=PLAINTEXT://127.0.0.1:9092\nadvertised.listeners=SSL://h:1\n", "no listener named SSL"},
           Case{"advertised.listeners=SSL://h:1\n", "no listener named SSL"},
           Case{"ssl.keystore.type=JKS\n", "only PEM"},
           Case{"ssl.client.auth=always\n", "none, requested or required"},
           Case{"ssl.enabled.protocols=TLSv1.1,TLSv1.2\n", "TLSv1.1"},
           Case{"queued.max.request.bytes=10\n", "at least 1024"},
           Case{"max.connections=0\n", "out of range"},
       }) {
    BrokerOptions o;
    Status st = Apply(c.text, &o);
    EXPECT_FALSE(st.ok()) << c.text;
    EXPECT_NE(st.message().find(c.why), std::string::npos) << c.text << " -> " << st.message();
  }
}

}  // namespace
}  // namespace rivulet::log::kafka
