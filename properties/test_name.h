// properties/test_name.h: the running GoogleTest test's full name
// ("Suite.Name"), which the watchdog (watchdog.h) prints.
#pragma once

#include <gtest/gtest.h>

#include <string>

namespace tophash::properties {

inline std::string test_name() {
  const auto* t = ::testing::UnitTest::GetInstance()->current_test_info();
  return t == nullptr ? std::string("a property") : std::string(t->test_suite_name()) + "." + t->name();
}

}  // namespace tophash::properties
