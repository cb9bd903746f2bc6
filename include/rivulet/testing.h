// The test harness for users' jobs (rivulet::testing::Harness): see
// testing/harness.h and docs/guide/testing-a-job.md.
#pragma once
#include "testing/harness.h"
