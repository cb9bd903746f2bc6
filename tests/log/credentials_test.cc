// The SCRAM credential store (log/credentials.h): durable across reopen and
// LogManager, atomic replace, validation, and a corrupt file refused.
#include "log/credentials.h"

#include <gtest/gtest.h>

#include <fstream>

#include "base/file.h"
#include "log/log_manager.h"
#include "tests/test_util.h"

namespace rivulet::log {
namespace {

ScramCredential Credential(ScramMechanism m, char fill, int32_t iterations = kMinScramIterations) {
  const size_t n = m == ScramMechanism::kSha256 ? 32 : 64;
  ScramCredential c;
  c.mechanism = m;
  c.salt = std::string(16, fill);
  c.stored_key = std::string(n, fill);
  c.server_key = std::string(n, static_cast<char>(fill + 1));
  c.iterations = iterations;
  return c;
}

TEST(CredentialStoreTest, KeepsCredentialsAcrossReopen) {
  testing::TempDir dir;
  {
    auto store = CredentialStore::Open(dir.path());
    ASSERT_TRUE(store.ok());
    EXPECT_TRUE((*store)->empty());
    ASSERT_TRUE((*store)->Upsert("alice", Credential(ScramMechanism::kSha512, 'a')).ok());
    ASSERT_TRUE((*store)->Upsert("alice", Credential(ScramMechanism::kSha256, 'b')).ok());
    ASSERT_TRUE((*store)->Upsert("bob", Credential(ScramMechanism::kSha256, 'c', 16384)).ok());
    // Replacing a credential keeps one per mechanism.
    ASSERT_TRUE((*store)->Upsert("bob", Credential(ScramMechanism::kSha256, 'd', 5000)).ok());
  }
  auto store = CredentialStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto list = (*store)->List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list["alice"].size(), 2u);
  ASSERT_EQ(list["bob"].size(), 1u);
  EXPECT_EQ(list["bob"][0].iterations, 5000);
  EXPECT_EQ(list["bob"][0].stored_key, std::string(32, 'd'));
  auto alice = (*store)->Find("alice", ScramMechanism::kSha512);
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->salt, std::string(16, 'a'));
  EXPECT_EQ(alice->server_key, std::string(64, 'b'));
  EXPECT_FALSE((*store)->Find("bob", ScramMechanism::kSha512).has_value());
  EXPECT_FALSE((*store)->Find("carol", ScramMechanism::kSha256).has_value());

  ASSERT_TRUE((*store)->Remove("alice", ScramMechanism::kSha512).ok());
  EXPECT_EQ((*store)->Remove("alice", ScramMechanism::kSha512).code(), Errc::kNotFound);
  ASSERT_TRUE((*store)->Remove("bob", ScramMechanism::kSha256).ok());
  auto again = CredentialStore::Open(dir.path());
  ASSERT_TRUE(again.ok());
  list = (*again)->List();
  ASSERT_EQ(list.size(), 1u);  // bob went with his last credential
  EXPECT_EQ(list["alice"].size(), 1u);
  EXPECT_EQ(list["alice"][0].mechanism, ScramMechanism::kSha256);
}

TEST(CredentialStoreTest, RefusesBadNamesIterationsAndKeys) {
  testing::TempDir dir;
  auto store = CredentialStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  auto& s = **store;
  EXPECT_EQ(s.Upsert("", Credential(ScramMechanism::kSha256, 'a')).code(), Errc::kInvalidArgument);
  EXPECT_EQ(s.Upsert(std::string(256, 'u'), Credential(ScramMechanism::kSha256, 'a')).code(), Errc::kInvalidArgument);
  EXPECT_EQ(s.Upsert("a\nb", Credential(ScramMechanism::kSha256, 'a')).code(), Errc::kInvalidArgument);
  EXPECT_EQ(s.Upsert("a", Credential(ScramMechanism::kSha256, 'a', 4095)).code(), Errc::kInvalidArgument);
  EXPECT_EQ(s.Upsert("a", Credential(ScramMechanism::kSha256, 'a', 16385)).code(), Errc::kInvalidArgument);
  ScramCredential short_key = Credential(ScramMechanism::kSha512, 'a');
  short_key.stored_key.resize(32);
  EXPECT_EQ(s.Upsert("a", short_key).code(), Errc::kInvalidArgument);
  ScramCredential no_salt = Credential(ScramMechanism::kSha256, 'a');
  no_salt.salt.clear();
  EXPECT_EQ(s.Upsert("a", no_salt).code(), Errc::kInvalidArgument);
  EXPECT_TRUE(s.empty());
  EXPECT_TRUE(s.Upsert(std::string(255, 'u'), Credential(ScramMechanism::kSha256, 'a')).ok());
}

TEST(CredentialStoreTest, ACorruptFileIsRefusedNotEmptied) {
  testing::TempDir dir;
  {
    std::ofstream out(dir / "credentials.meta");
    out << "this is not a protobuf \xff\xff\xff\xff";
  }
  auto store = CredentialStore::Open(dir.path());
  EXPECT_EQ(store.status().code(), Errc::kCorruption);
  EXPECT_NE(store.status().message().find("credentials.meta"), std::string::npos);
}

TEST(CredentialStoreTest, LivesInTheDataDirectoryOfTheLog) {
  testing::TempDir dir;
  {
    auto lm = LogManager::Open(dir.path());
    ASSERT_TRUE(lm.ok());
    ASSERT_TRUE((*lm)->credentials().Upsert("alice", Credential(ScramMechanism::kSha512, 'a')).ok());
  }
  EXPECT_TRUE(ReadFileToString(dir / "security/credentials.meta").ok());
  auto lm = LogManager::Open(dir.path());
  ASSERT_TRUE(lm.ok());
  EXPECT_TRUE((*lm)->credentials().Find("alice", ScramMechanism::kSha512).has_value());
}

}  // namespace
}  // namespace rivulet::log
