// A job module for the launcher's tests whose job is named like a job of
// another module (RIVULET_CLASH_NAME: greet) or a built-in job (wordcount).
#include "rivulet/rivulet.h"

namespace {

rivulet::Status Run(rivulet::jobs::JobContext&) { return rivulet::Status::Ok(); }

RIVULET_REGISTER_JOB(clash, {RIVULET_CLASH_NAME, "a job whose name is taken", {}, Run});

}  // namespace
