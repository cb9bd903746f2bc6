// The logins job's logic (jobs/logins.h) under the test harness: attempts
// fed out of event-time order over several source instances, alerts only
// once the watermark passed the third failure, and a restart at another
// parallelism in the middle of a user's run of failures.
#include "jobs/logins.h"

#include <gtest/gtest.h>

#include <vector>

#include "rivulet/testing.h"

namespace rivulet::jobs::logins {
namespace {

using rivulet::testing::Harness;
using rivulet::testing::Record;

TEST(LoginsTest, AlertsOnTheThirdFailureInARowOnceTheWatermarkPassesIt) {
  for (int p : {1, 3}) {
    Harness h({.parallelism = p});
    auto in = h.Input<Login>("logins");
    auto out = h.Output(FailedLoginAlerts(in.stream()), "alerts");
    ASSERT_TRUE(h.Start().ok());
    // Out of order on purpose: the function orders each user's attempts.
    in.Send(Login{300, 1, false}, 300);
    in.Send(Login{100, 1, false}, 100);
    in.Send(Login{200, 1, false}, 200);
    in.Send(Login{250, 2, false}, 250);
    in.Send(Login{100, 2, false}, 100);
    in.Send(Login{150, 2, true}, 150);  // a success between: no run of three
    in.Send(Login{100, 3, false}, 100);
    in.Send(Login{600, 3, false}, 600);
    in.Send(Login{1000, 4, false}, 1000);  // pending past the checkpoint
    in.Send(Login{1100, 4, false}, 1100);
    ASSERT_TRUE(h.AdvanceWatermark(299).ok());
    EXPECT_TRUE(out.Take().empty()) << "p=" << p;
    ASSERT_TRUE(h.AdvanceWatermark(300).ok());
    EXPECT_EQ(out.Take(), (std::vector<Record<Alert>>{{{1, 300}, 300}})) << "p=" << p;

    ASSERT_TRUE(h.Checkpoint().ok());
    in.Send(Login{1700, 3, false}, 1700);  // 1100 ms after 600: the count starts again
    in.Send(Login{1800, 3, false}, 1800);
    Status st = h.Restart(p == 1 ? 2 : 1);  // users' state and the attempts since survive
    ASSERT_TRUE(st.ok()) << st.ToString();
    in.Send(Login{1900, 3, false}, 1900);
    in.Send(Login{1200, 4, false}, 1200);  // the third of user 4, two of them from before the checkpoint
    ASSERT_TRUE(h.AdvanceWatermark(1899).ok());
    EXPECT_EQ(out.Take(), (std::vector<Record<Alert>>{{{4, 1200}, 1200}})) << "p=" << p;
    ASSERT_TRUE(h.Finish().ok());
    EXPECT_EQ(out.Take(), (std::vector<Record<Alert>>{{{3, 1900}, 1900}})) << "p=" << p;
  }
}

}  // namespace
}  // namespace rivulet::jobs::logins
