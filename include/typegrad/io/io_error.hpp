#pragma once
// The one exception type of typegrad's file formats.
#include <stdexcept>

namespace typegrad::io {

// Thrown for any problem reading, validating or writing a file. what() is the full, human-readable
// message, starting with the path at fault; there is nothing else to inspect.
class io_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace typegrad::io
