// ACLs and the authorizer (log/acls.h): Kafka's rules one by one, filters,
// validation, durability across reopen, and a corrupt file refused.
#include "log/acls.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <ostream>

#include "tests/test_util.h"

namespace rivulet::log {

// Readable failures.
void PrintTo(const AclBinding& b, std::ostream* os) { *os << b.ToString(); }

namespace {

std::vector<AclBinding> Sorted(std::vector<AclBinding> v) {
  std::sort(v.begin(), v.end());
  return v;
}

using O = AclOperation;
using R = ResourceType;

AclBinding Acl(R type, std::string name, std::string principal, O op, AclPermission perm = AclPermission::kAllow,
               PatternType pattern = PatternType::kLiteral, std::string host = "*") {
  AclBinding b;
  b.resource_type = type;
  b.resource_name = std::move(name);
  b.pattern_type = pattern;
  b.principal = std::move(principal);
  b.host = std::move(host);
  b.operation = op;
  b.permission = perm;
  return b;
}

class AclTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = AclStore::Open(dir_.path());
    ASSERT_TRUE(s.ok());
    store_ = std::move(s).value();
    options_.enabled = true;
  }
  bool Can(const std::string& who, O op, R type, const std::string& name, const std::string& host = "10.0.0.1") {
    return store_->Authorize(options_, who, host, op, type, name);
  }
  testing::TempDir dir_;
  std::unique_ptr<AclStore> store_;
  AuthorizerOptions options_;
};

TEST_F(AclTest, DisabledAllowsEverythingAndSuperUsersBypassTheAcls) {
  ASSERT_TRUE(store_->Add({Acl(R::kTopic, "a", "User:alice", O::kAll, AclPermission::kDeny)}).ok());
  AuthorizerOptions off;
  EXPECT_TRUE(store_->Authorize(off, "User:alice", "h", O::kWrite, R::kTopic, "a"));
  EXPECT_FALSE(Can("User:alice", O::kWrite, R::kTopic, "a"));
  options_.super_users = {"User:alice"};
  EXPECT_TRUE(Can("User:alice", O::kWrite, R::kTopic, "a"));
}

TEST_F(AclTest, AllowedWhereAnAllowMatchesAndNoDenyDoes) {
  ASSERT_TRUE(store_->Add({Acl(R::kTopic, "a", "User:alice", O::kWrite)}).ok());
  EXPECT_TRUE(Can("User:alice", O::kWrite, R::kTopic, "a"));
  EXPECT_FALSE(Can("User:alice", O::kRead, R::kTopic, "a"));    // another operation
  EXPECT_FALSE(Can("User:bob", O::kWrite, R::kTopic, "a"));     // another principal
  EXPECT_FALSE(Can("User:alice", O::kWrite, R::kTopic, "ab"));  // literal is not a prefix
  EXPECT_FALSE(Can("User:alice", O::kWrite, R::kGroup, "a"));   // another resource type
  // Write implies Describe; nothing implies Write.
  EXPECT_TRUE(Can("User:alice", O::kDescribe, R::kTopic, "a"));
  ASSERT_TRUE(store_->Add({Acl(R::kTopic, "a", "User:alice", O::kAll, AclPermission::kDeny, PatternType::kLiteral,
                               "10.0.0.9")}).ok());
  EXPECT_TRUE(Can("User:alice", O::kWrite, R::kTopic, "a"));                 // the deny is for another host
  EXPECT_FALSE(Can("User:alice", O::kWrite, R::kTopic, "a", "10.0.0.9"));    // a Deny wins
  EXPECT_FALSE(Can("User:alice", O::kDescribe, R::kTopic, "a", "10.0.0.9"));
}

TEST_F(AclTest, WildcardsPrefixesAndImpliedOperations) {
  ASSERT_TRUE(store_->Add({Acl(R::kTopic, "logs-", "User:*", O::kRead, AclPermission::kAllow, PatternType::kPrefixed),
                           Acl(R::kGroup, "*", "User:carol", O::kRead),
                           Acl(R::kTopic, "cfg", "User:carol", O::kAlterConfigs),
                           Acl(R::kCluster, kClusterResourceName, "User:carol", O::kAlter)})
                  .ok());
  EXPECT_TRUE(Can("User:anyone", O::kRead, R::kTopic, "logs-eu"));
  EXPECT_TRUE(Can("User:anyone", O::kDescribe, R::kTopic, "logs-"));
  EXPECT_FALSE(Can("User:anyone", O::kRead, R::kTopic, "log"));
  EXPECT_FALSE(Can("User:anyone", O::kWrite, R::kTopic, "logs-eu"));
  EXPECT_TRUE(Can("User:carol", O::kRead, R::kGroup, "any-group"));
  EXPECT_TRUE(Can("User:carol", O::kDescribe, R::kGroup, "g"));
  EXPECT_FALSE(Can("User:carol", O::kDelete, R::kGroup, "g"));
  EXPECT_TRUE(Can("User:carol", O::kDescribeConfigs, R::kTopic, "cfg"));
  EXPECT_FALSE(Can("User:carol", O::kDescribe, R::kTopic, "cfg"));  // AlterConfigs does not imply Describe
  EXPECT_TRUE(Can("User:carol", O::kDescribe, R::kCluster, kClusterResourceName));
}

TEST_F(AclTest, AResourceWithoutAclsFollowsAllowEveryoneIfNoAclFound) {
  ASSERT_TRUE(store_->Add({Acl(R::kTopic, "a", "User:alice", O::kRead)}).ok());
  EXPECT_FALSE(Can("User:bob", O::kRead, R::kTopic, "free"));
  options_.allow_if_no_acl_found = true;
  EXPECT_TRUE(Can("User:bob", O::kRead, R::kTopic, "free"));
  // A resource with any ACL at all is not "no ACL found", even for others.
  EXPECT_FALSE(Can("User:bob", O::kRead, R::kTopic, "a"));
}

TEST_F(AclTest, FiltersSelectAndRemoveWhatTheyMatch) {
  const auto a = Acl(R::kTopic, "a", "User:alice", O::kRead);
  const auto b = Acl(R::kTopic, "a", "User:bob", O::kWrite);
  const auto p = Acl(R::kTopic, "a", "User:bob", O::kRead, AclPermission::kAllow, PatternType::kPrefixed);
  const auto g = Acl(R::kGroup, "g", "User:alice", O::kRead);
  const auto w = Acl(R::kTopic, "*", "User:carol", O::kDescribe);
  ASSERT_TRUE(store_->Add({a, b, p, g, w, a}).ok());
  EXPECT_EQ(store_->List().size(), 5u);  // a once
  AclFilter topic_a;
  topic_a.resource_type = R::kTopic;
  topic_a.resource_name = "a";
  EXPECT_EQ(store_->List(topic_a).size(), 3u);  // any pattern type named "a"
  topic_a.pattern_type = PatternType::kLiteral;
  EXPECT_EQ(store_->List(topic_a).size(), 2u);
  AclFilter match;
  match.resource_type = R::kTopic;
  match.resource_name = "abc";
  match.pattern_type = PatternType::kMatch;
  EXPECT_EQ(Sorted(store_->List(match)), Sorted({p, w}));  // the prefix "a" and the wildcard
  AclFilter bob;
  bob.principal = "User:bob";
  auto removed = store_->Remove(bob);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->size(), 2u);
  // Durable: a reopened store has what is left.
  auto again = AclStore::Open(dir_.path());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(Sorted((*again)->List()), Sorted({a, w, g}));
}

TEST_F(AclTest, RefusesBindingsThatCannotMeanAnything) {
  EXPECT_FALSE(store_->Add({Acl(R::kAny, "a", "User:x", O::kRead)}).ok());
  EXPECT_FALSE(store_->Add({Acl(R::kTopic, "", "User:x", O::kRead)}).ok());
  EXPECT_FALSE(store_->Add({Acl(R::kTopic, "a", "alice", O::kRead)}).ok());
  EXPECT_FALSE(store_->Add({Acl(R::kTopic, "a", "User:x", O::kAny)}).ok());
  EXPECT_FALSE(store_->Add({Acl(R::kTopic, "*", "User:x", O::kRead, AclPermission::kAllow, PatternType::kPrefixed)}).ok());
  EXPECT_FALSE(store_->Add({Acl(R::kTopic, "a", "User:x", O::kRead, AclPermission::kAny)}).ok());
  EXPECT_FALSE(store_->Add({Acl(R::kGroup, "g", "User:x", O::kWrite)}).ok());       // no Write on a group
  EXPECT_FALSE(store_->Add({Acl(R::kCluster, "other", "User:x", O::kAlter)}).ok());
  // One bad binding adds none of the others.
  EXPECT_FALSE(store_->Add({Acl(R::kTopic, "a", "User:x", O::kRead), Acl(R::kTopic, "a", "nobody", O::kRead)}).ok());
  EXPECT_TRUE(store_->List().empty());
}

TEST(AclNamesTest, ParseKafkasNamesInAnyCase) {
  EXPECT_EQ(ParseAclOperation("idempotent-write"), AclOperation::kIdempotentWrite);
  EXPECT_EQ(ParseAclOperation("DescribeConfigs"), AclOperation::kDescribeConfigs);
  EXPECT_EQ(ParseAclOperation("READ"), AclOperation::kRead);
  EXPECT_EQ(ParseAclOperation("reed"), std::nullopt);
  EXPECT_EQ(ParseResourceType("transactional-id"), ResourceType::kTransactionalId);
  EXPECT_EQ(ParsePatternType("prefixed"), PatternType::kPrefixed);
  EXPECT_EQ(ParseAclPermission("deny"), AclPermission::kDeny);
  EXPECT_EQ(Acl(R::kTopic, "a", "User:x", O::kRead).ToString(),
            "User:x has Allow permission for operations: Read from hosts: * on Topic:LITERAL:a");
}

TEST(AclStoreFileTest, ACorruptFileIsRefused) {
  testing::TempDir dir;
  {
    std::ofstream out(dir / "acls.meta");
    out << "\x0a\x05garbage-not-an-acl";
  }
  EXPECT_EQ(AclStore::Open(dir.path()).status().code(), Errc::kCorruption);
}

}  // namespace
}  // namespace rivulet::log
