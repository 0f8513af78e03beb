// libFuzzer harness for the safetensors reader: every input gives a file whose tensors keep their
// promises, or an io_error.
#include "reader_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return typegrad::fuzz::fuzz_one(data, size, [](std::span<const std::byte> bytes) { return typegrad::io::parse_safetensors(bytes, "fuzz input"); });
}
