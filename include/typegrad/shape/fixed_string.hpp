#pragma once
// A string usable as a template argument, so that names (of inputs, layers) are part of a type and
// appear verbatim in compiler diagnostics.
#include <algorithm>
#include <cstddef>
#include <string_view>

namespace typegrad {

template <std::size_t N>
struct fixed_string {
    char chars[N]{};
    constexpr fixed_string(const char (&text)[N]) { std::copy_n(text, N, chars); }
    constexpr std::string_view view() const { return {chars, N - 1}; }
    constexpr bool empty() const { return N <= 1; }
};

template <std::size_t A, std::size_t B>
constexpr bool operator==(const fixed_string<A>& a, const fixed_string<B>& b) {
    return a.view() == b.view();
}

}  // namespace typegrad
