// Checks: a streamed data set's targets are values of the value type or std::int32_t class labels.
// EXPECT-ERROR: typegrad: hdf5_dataset<T, Target>: Target is T \(values\) or std::int32_t \(class labels\)
#include <cstdint>

#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
#ifdef TYPEGRAD_EXPECT_FAIL
    (void)sizeof(tg::hdf5_dataset<float, double>);
#else
    (void)sizeof(tg::hdf5_dataset<float, std::int32_t>);
#endif
}
