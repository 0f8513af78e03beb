#pragma once
// For BOOST_CHECK_EXCEPTION: whether an exception's message says each of `parts`; logs the message
// when it does not. Shared by the tests of every error that must name what is at fault.
#include <boost/test/unit_test.hpp>

#include <exception>
#include <initializer_list>
#include <string>

namespace typegrad::testing {

inline bool message_has(const std::exception& e, std::initializer_list<std::string> parts) {
    const std::string text = e.what();
    for (const auto& part : parts)
        if (text.find(part) == std::string::npos) {
            BOOST_TEST_MESSAGE("message lacks \"" << part << "\": " << text);
            return false;
        }
    return true;
}

}  // namespace typegrad::testing
