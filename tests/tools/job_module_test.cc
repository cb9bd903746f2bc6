// The launcher and job modules (jobs/module.h): `rivulet run --job-lib`,
// `rivulet jobs --job-lib`, RIVULET_JOB_PATH, and every way a module can be
// refused — each one line on stderr and a non-zero exit. The modules are
// built by tests/CMakeLists.txt (tests/tools/modules/).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "base/version.h"
#include "tests/tools/rivulet_process.h"

namespace rivulet::testing {
namespace {

const std::string kGreeter = RIVULET_TEST_MODULE_GREETER;

// One line, ending in a newline, that contains `what`.
void ExpectOneLineError(const ProcessResult& r, const std::string& what) {
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(what), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(JobModuleTest, RunLoadsTheModulesJobAndPassesItsSettings) {
  auto r = Rivulet({"run", "--job-lib", kGreeter, "greet", "--set", "greeting=hi", "--set", "count=3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hi 0\nhi 1\nhi 2\n");
}

TEST(JobModuleTest, AModulesDataflowJobRunsOnTheLaunchersRuntime) {
  TempDir dir;
  auto r = Rivulet({"run", "--job-lib", kGreeter, "greet_windows", "--parallelism", "2", "--no-progress",
                    "--data-dir", dir / "data"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // 1000 numbers with their own value as event time: two windows of 500,
  // each with 250 even and 250 odd numbers.
  for (const char* line : {"window 0 key 0 count 250\n", "window 0 key 1 count 250\n", "window 500 key 0 count 250\n",
                           "window 500 key 1 count 250\n"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << " in\n" << r.out;
  }
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 4) << r.out;
}

TEST(JobModuleTest, TheModuleAndTheLauncherShareOneRegistry) {
  // A second librivulet in the process would hold a registry without the
  // launcher's built-in jobs and the module's own.
  auto r = Rivulet({"run", "--job-lib", kGreeter, "greet_registry"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "wordcount found, greet found, module of greet " + kGreeter + "\n");
}

TEST(JobModuleTest, JobsListsTheModulesJobsBesideTheBuiltInOnes) {
  auto r = Rivulet({"jobs", "--job-lib", kGreeter});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("greet        print a greeting"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(from " + kGreeter + ")"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--set greeting=hello  (string) what to print"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("wordcount"), std::string::npos) << r.out;
  // Without the module, its jobs are unknown.
  r = Rivulet({"jobs"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("greet"), std::string::npos);
}

TEST(JobModuleTest, RivuletJobPathDirectoriesAreSearched) {
  TempDir dir;
  const std::string mods = dir / "modules";
  std::filesystem::create_directories(mods);
  std::filesystem::copy_file(kGreeter, mods + "/libgreeter.so");
  auto r = Rivulet({"run", "greet", "--set", "count=1"}, "", {"RIVULET_JOB_PATH=/nonexistent:" + mods});
  // A directory in the path that does not exist is an error, named.
  ExpectOneLineError(r, "RIVULET_JOB_PATH: /nonexistent is not a directory");
  r = Rivulet({"run", "greet", "--set", "count=1"}, "", {"RIVULET_JOB_PATH=" + mods + ":"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello 0\n");
  r = Rivulet({"jobs"}, "", {"RIVULET_JOB_PATH=" + mods});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("(from " + mods + "/libgreeter.so)"), std::string::npos) << r.out;
  // The same module by the path and by --job-lib is loaded once.
  r = Rivulet({"run", "--job-lib", mods + "/libgreeter.so", "greet", "--set", "count=1"}, "",
              {"RIVULET_JOB_PATH=" + mods});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello 0\n");
}

TEST(JobModuleTest, AFileThatIsNotAJobModuleIsRefused) {
  TempDir dir;
  const std::string text = dir / "notes.so";
  std::ofstream(text) << "not an ELF file\n";
  ExpectOneLineError(Rivulet({"run", "--job-lib", text, "greet"}),
                     "job module " + text + ": not a loadable shared object");
  ExpectOneLineError(Rivulet({"run", "--job-lib", dir.path(), "greet"}), "job module " + dir.path() + ": not a file");
  ExpectOneLineError(Rivulet({"jobs", "--job-lib", dir / "missing.so"}),
                     "job module " + (dir / "missing.so") + ": no such file");
  ExpectOneLineError(Rivulet({"run", "--job-lib", RIVULET_TEST_MODULE_PLAIN, "greet"}),
                     std::string("job module ") + RIVULET_TEST_MODULE_PLAIN +
                         ": not a Rivulet job module (no rivulet_module_abi; build it with rivulet_add_job)");
}

TEST(JobModuleTest, AModuleOfAnotherRivuletVersionIsRefusedBeforeAnyOfItsJobsIsCalled) {
  auto r = Rivulet({"run", "--job-lib", RIVULET_TEST_MODULE_OLD_ABI, "greet"});
  ExpectOneLineError(r, "built against another Rivulet or C++ ABI (rivulet 0.1.0;");
  EXPECT_NE(r.err.find("rebuild the module against this Rivulet"), std::string::npos) << r.err;
  EXPECT_EQ(r.exit_code, 1) << "a trap in the module's entry point would have killed the launcher";
}

TEST(JobModuleTest, AModuleLinkedToAnotherLibrivuletIsRefusedBeforeItIsOpened) {
  // Opened, it would map that second librivulet (found by its RUNPATH).
  auto r = Rivulet({"run", "--job-lib", RIVULET_TEST_MODULE_OTHER_RIVULET, "greet"});
  ExpectOneLineError(r, "built against another Rivulet (it needs librivulet.so.0.1; this launcher is ");
  EXPECT_NE(r.err.find("rebuild the module against this Rivulet"), std::string::npos) << r.err;
}

TEST(JobModuleTest, ModuleCodeRegisteringIntoTheLauncherDirectlyIsRefused) {
  auto r = Rivulet({"jobs", "--job-lib", RIVULET_TEST_MODULE_DIRECT});
  ExpectOneLineError(r, std::string("job module ") + RIVULET_TEST_MODULE_DIRECT +
                            ": job 'direct' registers into the launcher directly");
}

TEST(JobModuleTest, AModuleWithoutEntryPointIsRefused) {
  ExpectOneLineError(Rivulet({"jobs", "--job-lib", RIVULET_TEST_MODULE_NO_ENTRY}),
                     "no entry point rivulet_module_jobs");
}

TEST(JobModuleTest, TwoModulesRegisteringOneJobNameAreRefused) {
  ExpectOneLineError(Rivulet({"run", "--job-lib", kGreeter, "--job-lib", RIVULET_TEST_MODULE_CLASH, "greet"}),
                     std::string(RIVULET_TEST_MODULE_CLASH) +
                         ": job 'greet' is already registered by " + kGreeter);
  ExpectOneLineError(Rivulet({"jobs", "--job-lib", RIVULET_TEST_MODULE_BUILTIN_CLASH}),
                     std::string(RIVULET_TEST_MODULE_BUILTIN_CLASH) +
                         ": job 'wordcount' is already registered by the launcher (a built-in job)");
}

TEST(JobModuleTest, AJobNameNoModuleHasIsRefusedNamingTheKnownOnes) {
  auto r = Rivulet({"run", "--job-lib", kGreeter, "greeet"});
  ExpectOneLineError(r, "unknown job 'greeet' (known jobs: ");
  EXPECT_NE(r.err.find("greet, greet_registry, greet_windows"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--job-lib PATH or RIVULET_JOB_PATH"), std::string::npos) << r.err;
}

TEST(NewJobTest, WritesAProjectAndPrintsHowToBuildTestAndRunIt) {
  TempDir dir;
  const std::string proj = dir / "clicks";
  auto r = Rivulet({"new-job", "clicks", proj});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* f : {"CMakeLists.txt", "README.md", "clicks.h", "clicks.cc", "clicks_test.cc"}) {
    EXPECT_TRUE(std::filesystem::is_regular_file(proj + "/" + f)) << f;
  }
  std::ifstream cmake(proj + "/CMakeLists.txt");
  const std::string text((std::istreambuf_iterator<char>(cmake)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("find_package(Rivulet " + std::to_string(RIVULET_VERSION_MAJOR) + "." +
                      std::to_string(RIVULET_VERSION_MINOR) + " REQUIRED)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("rivulet_add_job(clicks SOURCES clicks.cc)"), std::string::npos) << text;
  EXPECT_EQ(text.find("@NAME@"), std::string::npos) << text;
  EXPECT_NE(r.out.find("ctest --test-dir " + proj + "/build\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("run --job-lib " + proj + "/build/libclicks.so clicks\n"), std::string::npos) << r.out;
  // From a build tree, the prefix is not known: the line says where to find it.
  EXPECT_NE(r.out.find("-DCMAKE_PREFIX_PATH=<the prefix Rivulet is installed in"), std::string::npos) << r.out;
}

TEST(NewJobTest, RefusesABadNameAndADirectoryThatIsNotEmpty) {
  TempDir dir;
  ExpectOneLineError(Rivulet({"new-job", "Clicks-2", dir / "a"}), "job name 'Clicks-2' must be a C++ identifier");
  ExpectOneLineError(Rivulet({"new-job", "2clicks", dir / "a"}), "job name '2clicks' must be a C++ identifier");
  ExpectOneLineError(Rivulet({"new-job", "class", dir / "a"}), "job name 'class' is a C++ keyword or a name");
  ExpectOneLineError(Rivulet({"new-job", "test", dir / "a"}), "job name 'test' is a C++ keyword or a name");
  ExpectOneLineError(Rivulet({"new-job", "wordcount", dir / "a"}), "job name 'wordcount' is a built-in job's");
  EXPECT_FALSE(std::filesystem::exists(dir / "a"));
  std::filesystem::create_directories(dir / "b");
  std::ofstream(dir / "b/keep.txt") << "mine\n";
  ExpectOneLineError(Rivulet({"new-job", "clicks", dir / "b"}), "exists and is not empty");
  EXPECT_FALSE(std::filesystem::exists(dir / "b/CMakeLists.txt"));
}

}  // namespace
}  // namespace rivulet::testing
