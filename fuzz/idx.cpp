// libFuzzer harness for the IDX reader (plain and gzipped): every input gives an array that keeps its
// promises, or an io_error.
#include "reader_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return typegrad::fuzz::fuzz_one(data, size, [](std::span<const std::byte> bytes) { return typegrad::io::parse_idx(bytes, "fuzz input"); });
}
