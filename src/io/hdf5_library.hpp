#pragma once
// The few things every use of the HDF5 C library in typegrad shares: owning handles, the process-wide
// lock, and the translation of HDF5's error stack into one io_error. Internal to the compiled library:
// not installed, and hdf5.h never reaches a public header.
//
// Why the C API and not HDF5's own C++ API (H5Cpp.h, also in libhdf5-dev): the C++ API is a second
// library to link (libhdf5_cpp, which pkg-config's `hdf5` does not list), its exceptions would have to
// be translated into io_error all the same, and it prints the error stack unless told not to; the part
// of HDF5 the readers need (open, hyperslabs, chunking, filters, attributes) is a dozen C calls, each
// wrapped here once.
#include <hdf5.h>

#include <mutex>
#include <string>
#include <utility>

#include <typegrad/io/io_error.hpp>

namespace typegrad::io::detail {

// Every typegrad call into HDF5 runs inside an hdf5_session:
// - it holds one process-wide lock, because Debian's HDF5 is the serial build, which is not
//   thread-safe: readers and writers used from different threads take turns (HDF5 used by other code
//   in the same process at the same moment is beyond its reach);
// - HDF5's automatic printing of its error stack is off: the first session turns it off for the
//   process and it stays off (restoring it after each call would let HDF5 print "infinite loop closing
//   library" at exit after a file with corrupt metadata was refused: the library cannot free
//   everything then, and says so only when printing is on);
// - the error stack is cleared at the end, so a failure's messages never reach a later one.
class hdf5_session {
public:
    hdf5_session();
    ~hdf5_session();
    hdf5_session(const hdf5_session&) = delete;
    hdf5_session& operator=(const hdf5_session&) = delete;

private:
    std::scoped_lock<std::mutex> lock_;
};

// The innermost message of HDF5's current error stack ("truncated file: eof = 800, ..."), where the
// failure was detected; empty if the stack is empty. Clears the stack.
std::string hdf5_innermost_message();

// Throws an io_error: `context` (which names the file, and the dataset if any), then HDF5's innermost
// message in parentheses if it has one.
[[noreturn]] void throw_hdf5_error(const std::string& context);

// An HDF5 identifier that closes itself. Close is one of H5Fclose, H5Dclose, H5Sclose, H5Tclose,
// H5Pclose, H5Aclose; a negative id is "none".
template <herr_t (*Close)(hid_t)>
class hdf5_handle {
public:
    hdf5_handle() = default;
    explicit hdf5_handle(hid_t id) : id_{id} {}
    hdf5_handle(hdf5_handle&& other) noexcept : id_{std::exchange(other.id_, H5I_INVALID_HID)} {}
    hdf5_handle& operator=(hdf5_handle&& other) noexcept {
        if (this != &other) {
            reset();
            id_ = std::exchange(other.id_, H5I_INVALID_HID);
        }
        return *this;
    }
    hdf5_handle(const hdf5_handle&) = delete;
    hdf5_handle& operator=(const hdf5_handle&) = delete;
    ~hdf5_handle() { reset(); }

    hid_t get() const { return id_; }
    bool valid() const { return id_ >= 0; }

    // Closes now; false if HDF5 reports a failure (the writer's last flush happens in H5Fclose).
    bool close() { return Close(std::exchange(id_, H5I_INVALID_HID)) >= 0; }
    void reset() {
        if (id_ >= 0) Close(std::exchange(id_, H5I_INVALID_HID));
    }

private:
    hid_t id_ = H5I_INVALID_HID;
};

using file_handle = hdf5_handle<H5Fclose>;
using dataset_handle = hdf5_handle<H5Dclose>;
using dataspace_handle = hdf5_handle<H5Sclose>;
using datatype_handle = hdf5_handle<H5Tclose>;
using property_list_handle = hdf5_handle<H5Pclose>;
using attribute_handle = hdf5_handle<H5Aclose>;

// Wraps a call returning an id: the handle, or an io_error with `context` if the id is negative.
template <class Handle>
Handle checked(hid_t id, const std::string& context) {
    if (id < 0) throw_hdf5_error(context);
    return Handle{id};
}

// Checks a call returning herr_t (or another signed status).
template <class Status>
void check(Status status, const std::string& context) {
    if (status < 0) throw_hdf5_error(context);
}

}  // namespace typegrad::io::detail
