// libFuzzer harness for the CSV reader: every input gives a table that keeps its promises, or an
// io_error.
#include <string_view>

#include "reader_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return typegrad::fuzz::fuzz_one(data, size, [](std::span<const std::byte> bytes) {
        return typegrad::io::parse_csv({reinterpret_cast<const char*>(bytes.data()), bytes.size()}, "fuzz input", typegrad::fuzz::csv_target);
    });
}
