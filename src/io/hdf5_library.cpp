#include "hdf5_library.hpp"

namespace typegrad::io::detail {

namespace {

std::mutex& hdf5_lock() {
    static std::mutex lock;
    return lock;
}

}  // namespace

hdf5_session::hdf5_session() : lock_{hdf5_lock()} {
    // Per thread: a thread-safe HDF5 build (Debian's serial one is) keeps an error stack, and its
    // printing setting, per thread, so a reading thread must turn it off for itself.
    thread_local bool printing_off = false;
    if (!printing_off) {
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
        printing_off = true;
    }
}

hdf5_session::~hdf5_session() { H5Eclear2(H5E_DEFAULT); }

namespace {

// H5Ewalk2 upwards starts at the innermost entry: the one that detected the failure.
herr_t take_first(unsigned position, const H5E_error2_t* entry, void* out) {
    if (position == 0 && entry->desc != nullptr) *static_cast<std::string*>(out) = entry->desc;
    return 0;
}

}  // namespace

std::string hdf5_innermost_message() {
    std::string message;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, take_first, &message);
    H5Eclear2(H5E_DEFAULT);
    return message;
}

void throw_hdf5_error(const std::string& context) {
    const std::string message = hdf5_innermost_message();
    throw io_error(context + (message.empty() ? "" : " (HDF5: " + message + ")"));
}

}  // namespace typegrad::io::detail
