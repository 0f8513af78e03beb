#pragma once
// Static per-sample shapes. A tensor of shape<D0, ..., Dk> holds, per sample, D0*...*Dk values in
// row-major order; a batch of B samples is a contiguous [B, D0, ..., Dk] block (see tensor_view.hpp).
#include <array>
#include <cstddef>
#include <ostream>
#include <string>
#include <type_traits>

#include <typegrad/shape/diagnostics.hpp>

namespace typegrad {

template <std::size_t... Dims>
struct shape {
    static constexpr std::size_t rank = sizeof...(Dims);
    static constexpr std::size_t size = (std::size_t{1} * ... * Dims);
    static constexpr std::array<std::size_t, rank> dims{Dims...};

    static_assert(rank <= 4, "typegrad: a per-sample shape has rank 0 to 4 (the batch is not part of it)");
    static constexpr errors::require<((Dims > 0) && ...), errors::every_dimension_must_be_positive<shape>>
        check_positive{};

    template <std::size_t... Other>
    constexpr bool operator==(shape<Other...>) const { return std::is_same_v<shape, shape<Other...>>; }

    static std::string to_string() {
        std::string text = "(";
        std::size_t i = 0;
        ((text += (i++ ? ", " : "") + std::to_string(Dims)), ...);
        return text + ")";
    }

};

template <class S>
inline constexpr bool is_shape = false;
template <std::size_t... D>
inline constexpr bool is_shape<shape<D...>> = true;

using scalar_shape = shape<>;

}  // namespace typegrad
