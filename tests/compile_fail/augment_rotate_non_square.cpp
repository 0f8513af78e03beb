// Checks: a quarter turn of an image that is not square is rejected where the pipeline is composed.
// EXPECT-ERROR: typegrad: rotate_90 turns square images only \(H == W\); crop to a square first
#include <typegrad/data/augmentation.hpp>

namespace tg = typegrad;

int main() {
#ifdef TYPEGRAD_EXPECT_FAIL
    const auto augment = tg::augment::compose(tg::shape<3, 64, 48>{}, tg::augment::flip_horizontal{}, tg::augment::rotate_90{});
#else
    const auto augment = tg::augment::compose(tg::shape<3, 64, 48>{}, tg::augment::centre_crop<48, 48>{}, tg::augment::rotate_90{});
#endif
    (void)augment;
}
