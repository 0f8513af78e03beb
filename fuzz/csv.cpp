// libFuzzer harness for the CSV reader: every input, read in each of the reader's modes (the target
// by name, chosen features, no header, class labels; reader_checks.hpp), gives a table that keeps its
// promises, or an io_error naming the input.
#include <string_view>

#include "reader_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return typegrad::fuzz::fuzz_one(data, size, [](std::span<const std::byte> bytes) {
        return typegrad::fuzz::read_in_every_mode({reinterpret_cast<const char*>(bytes.data()), bytes.size()}, "fuzz input");
    });
}
