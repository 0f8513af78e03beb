// Checks: a streamed data set is read into the network's value type, float or double.
// EXPECT-ERROR: typegrad: hdf5_dataset<T, Target>: T is the network's value type, float or double
#include <cstdint>

#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
#ifdef TYPEGRAD_EXPECT_FAIL
    (void)sizeof(tg::hdf5_dataset<std::int32_t>);
#else
    (void)sizeof(tg::hdf5_dataset<float>);
#endif
}
