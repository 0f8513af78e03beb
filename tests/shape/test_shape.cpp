// Static shapes and the tensor layout.
#define BOOST_TEST_MODULE shape
#include <boost/test/unit_test.hpp>

#include <vector>

#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

static_assert(tg::shape<>::rank == 0 && tg::shape<>::size == 1);
static_assert(tg::shape<1, 28, 28>::rank == 3 && tg::shape<1, 28, 28>::size == 784);
static_assert(tg::shape<3, 4>{} == tg::shape<3, 4>{});
static_assert(!(tg::shape<3, 4>{} == tg::shape<4, 3>{}));
static_assert(!(tg::shape<12>{} == tg::shape<3, 4>{}));

// Shapes, parameter counts and FLOPs of expressions are compile-time constants.
using mlp_type = decltype(tg::input<16> | tg::dense<64> | tg::tanh | tg::dense<64> | tg::tanh | tg::dense<1>);
static_assert(mlp_type::output_shape == tg::shape<1>{});
static_assert(mlp_type::parameter_count == (16 * 64 + 64) + (64 * 64 + 64) + (64 + 1));
static_assert(mlp_type::flops == (2 * 16 * 64 + 64) + 64 + (2 * 64 * 64 + 64) + 64 + (2 * 64 + 1));
static_assert(mlp_type::position == 5);  // the input is at 0
using matmul_type = decltype(tg::matmul(tg::input<3, 4>, tg::named_input<"b", 4, 2>));
static_assert(matmul_type::output_shape == tg::shape<3, 2>{});
using concat_type = decltype(tg::concat(tg::input<2, 5, 5>, tg::named_input<"b", 3, 5, 5>));
static_assert(concat_type::output_shape == tg::shape<5, 5, 5>{});
static_assert(decltype(tg::dense<8>.without_bias()(tg::input<4>))::parameter_count == 32);
static_assert(decltype(tg::mse_loss(tg::input<3>, tg::target<3>))::output_shape == tg::shape<>{});
static_assert(!decltype(tg::sum(tg::input<3>))::batched);

BOOST_AUTO_TEST_CASE(shape_to_string) {
    BOOST_TEST((tg::shape<1, 28, 28>::to_string() == "(1, 28, 28)"));
    BOOST_TEST(tg::shape<>::to_string() == "()");
}

// The one layout: [batch, d0, d1, ...] row-major.
BOOST_AUTO_TEST_CASE(tensor_view_is_row_major_with_the_batch_outermost) {
    std::vector<int> data(2 * 3 * 4);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = int(i);
    tg::tensor_view<int, tg::shape<3, 4>> view{data.data(), 2};
    BOOST_TEST(view.size() == 24u);
    BOOST_TEST(view(0, 0, 0) == 0);
    BOOST_TEST(view(0, 1, 2) == 6);
    BOOST_TEST(view(1, 2, 3) == 23);
    BOOST_TEST(view.sample(1)[0] == 12);
}
