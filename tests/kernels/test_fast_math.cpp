// The vectorisable float exp, tanh and sigmoid agree with the C library's, computed in double and
// rounded, to within 3 ulp, over the whole float range that matters.
#define BOOST_TEST_MODULE fast_math
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>

#include <typegrad/kernels/fast_math.hpp>

namespace k = typegrad::kernels;

namespace {

// Distance in units in the last place between two finite floats of the same sign.
std::int64_t ulps(float a, float b) {
    if (a == b) return 0;
    if (std::signbit(a) != std::signbit(b)) return std::numeric_limits<std::int64_t>::max();
    return std::abs(std::int64_t(std::bit_cast<std::int32_t>(a)) - std::int64_t(std::bit_cast<std::int32_t>(b)));
}

// Calls check(x) on every 61st float of magnitude up to `limit`, positive and negative (about 35
// million points for a limit of 100), where x lies in [lo, hi].
template <class Check>
void sweep(float lo, float hi, Check&& check) {
    const float limit = std::max(-lo, hi);
    for (std::uint32_t bits = 0; std::bit_cast<float>(bits) <= limit; bits += 61) {
        const float x = std::bit_cast<float>(bits);
        if (x <= hi) check(x);
        if (-x >= lo) check(-x);
    }
}

struct worst {
    std::int64_t ulps = 0;
    float at = 0;
    void add(std::int64_t u, float x) {
        if (u > ulps) ulps = u, at = x;
    }
};

}  // namespace

BOOST_AUTO_TEST_CASE(exp_is_within_2_ulp_and_underflows_to_zero) {
    worst w;
    sweep(-87.3f, 88.3f, [&](float x) { w.add(ulps(k::exp_float(x), float(std::exp(double(x)))), x); });
    BOOST_TEST_MESSAGE("exp_float: worst " << w.ulps << " ulp at " << w.at);
    BOOST_TEST(w.ulps <= 2);
    BOOST_TEST(k::exp_float(-100.0f) == 0.0f);
    BOOST_TEST(k::exp_float(0.0f) == 1.0f);
    BOOST_TEST(std::isfinite(k::exp_float(1000.0f)));
}

BOOST_AUTO_TEST_CASE(tanh_is_within_3_ulp_odd_and_saturates) {
    worst w;
    sweep(-100.0f, 100.0f, [&](float x) { w.add(ulps(k::tanh_float(x), float(std::tanh(double(x)))), x); });
    BOOST_TEST_MESSAGE("tanh_float: worst " << w.ulps << " ulp at " << w.at);
    BOOST_TEST(w.ulps <= 3);
    BOOST_TEST(k::tanh_float(1e-30f) == 1e-30f);  // full precision near 0
    BOOST_TEST(k::tanh_float(-0.3f) == -k::tanh_float(0.3f));
    BOOST_TEST(k::tanh_float(50.0f) == 1.0f);
    BOOST_TEST(k::tanh_float(-1e30f) == -1.0f);
}

BOOST_AUTO_TEST_CASE(sigmoid_is_within_3_ulp_and_never_overflows) {
    worst w;
    sweep(-80.0f, 100.0f, [&](float x) { w.add(ulps(k::sigmoid_float(x), float(1 / (1 + std::exp(-double(x))))), x); });
    BOOST_TEST_MESSAGE("sigmoid_float: worst " << w.ulps << " ulp at " << w.at);
    BOOST_TEST(w.ulps <= 3);
    BOOST_TEST(k::sigmoid_float(0.0f) == 0.5f);
    BOOST_TEST(k::sigmoid_float(1e30f) == 1.0f);
    BOOST_TEST(k::sigmoid_float(-1e30f) == 0.0f);
}
