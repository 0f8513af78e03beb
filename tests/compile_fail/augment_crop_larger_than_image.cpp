// Checks: a crop larger than the image that reaches it is rejected where the pipeline is composed.
// EXPECT-ERROR: typegrad: random_crop is larger than its input image
#include <typegrad/data/augmentation.hpp>

namespace tg = typegrad;

int main() {
#ifdef TYPEGRAD_EXPECT_FAIL
    const auto augment = tg::augment::compose(tg::shape<3, 64, 64>{}, tg::augment::centre_crop<60, 60>{}, tg::augment::random_crop<62, 62>{});
#else
    const auto augment = tg::augment::compose(tg::shape<3, 64, 64>{}, tg::augment::centre_crop<62, 62>{}, tg::augment::random_crop<60, 60>{});
#endif
    static_assert(decltype(augment)::output_shape{} == tg::shape<3, 60, 60>{});
}
