#pragma once
// For BOOST_CHECK_EXCEPTION: whether an exception's message says each of `parts`; logs the message
// when it does not. Shared by the tests of every error that must name what is at fault.
#include <boost/test/unit_test.hpp>

#include <exception>
#include <initializer_list>
#include <string>
#include <vector>

namespace typegrad::testing {

template <class Parts>
bool message_has_all(const std::exception& e, const Parts& parts) {
    const std::string text = e.what();
    for (const auto& part : parts)
        if (text.find(part) == std::string::npos) {
            BOOST_TEST_MESSAGE("message lacks \"" << part << "\": " << text);
            return false;
        }
    return true;
}

inline bool message_has(const std::exception& e, std::initializer_list<std::string> parts) { return message_has_all(e, parts); }

// The predicate BOOST_CHECK_EXCEPTION takes: BOOST_CHECK_EXCEPTION(f(), io_error, message_says({"data.h5", "(3, 2)"})).
inline auto message_says(std::initializer_list<std::string> parts) {
    return [parts = std::vector<std::string>(parts)](const std::exception& e) { return message_has_all(e, parts); };
}

}  // namespace typegrad::testing
