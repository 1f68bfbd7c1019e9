// main() for every rtcbox GoogleTest binary.
//
// Besides running the tests, it checks that each test leaves as many
// live rtc_malloc allocations as it found: every object a test creates must
// be released by the time the test ends (STYLE.md: close() releases
// everything). A test that leaks is reported as "[  LEAKED  ]" and the binary
// exits with status 1.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "rtc_base/alloc.h"
#include "rtc_base/logging.h"

namespace {

class AllocationLeakListener : public testing::EmptyTestEventListener {
 public:
  void OnTestStart(const testing::TestInfo&) override {
    rtc_alloc_clear_failure();
    baseline_ = rtc_alloc_live_count();
  }

  void OnTestEnd(const testing::TestInfo& info) override {
    rtc_alloc_clear_failure();
    int64_t live = rtc_alloc_live_count();
    if (live != baseline_) {
      std::string name =
          std::string(info.test_suite_name()) + "." + info.name();
      std::printf("[  LEAKED  ] %s: %lld rtc_malloc allocation(s) not freed\n",
                  name.c_str(), static_cast<long long>(live - baseline_));
      leaked_.push_back(name);
    }
  }

  const std::vector<std::string>& leaked() const { return leaked_; }

 private:
  int64_t baseline_ = 0;
  std::vector<std::string> leaked_;
};

}  // namespace

int main(int argc, char** argv) {
  // Death tests re-execute the binary: safe with the threads tests start.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  testing::InitGoogleTest(&argc, argv);
  rtc_log_configure_from_env();
  auto* leaks = new AllocationLeakListener;  // owned by gtest
  testing::UnitTest::GetInstance()->listeners().Append(leaks);
  int result = RUN_ALL_TESTS();
  if (!leaks->leaked().empty()) {
    std::printf("[  LEAKED  ] %zu test(s) leaked allocations\n",
                leaks->leaked().size());
    return 1;
  }
  return result;
}
