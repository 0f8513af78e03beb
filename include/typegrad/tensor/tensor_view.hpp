#pragma once
// The one place that defines typegrad's memory layout: a batch of B samples of shape<D0..Dk> is one
// contiguous row-major block [B, D0, ..., Dk]; sample b starts at b * shape::size. Parameters and
// unbatched values (losses, free parameters) are a single sample (B = 1).
#include <cstddef>
#include <span>

#include <typegrad/shape/shape.hpp>

namespace typegrad {

template <class T, class Shape>
class tensor_view {
public:
    using shape_type = Shape;
    tensor_view(T* data, std::size_t batch) : data_{data}, batch_{batch} {}

    std::size_t batch() const { return batch_; }
    std::size_t size() const { return batch_ * Shape::size; }
    T* data() const { return data_; }
    std::span<T> flat() const { return {data_, size()}; }
    std::span<T> sample(std::size_t b) const { return {data_ + b * Shape::size, Shape::size}; }

    // Element (b, i0, ..., ik) in the row-major [B, D0, ..., Dk] layout.
    template <class... Index>
    T& operator()(std::size_t b, Index... index) const {
        static_assert(sizeof...(Index) == Shape::rank, "typegrad: a tensor_view is indexed by the sample and one index per axis");
        std::size_t offset = b;
        std::size_t axis = 0;
        ((offset = offset * Shape::dims[axis++] + static_cast<std::size_t>(index)), ...);
        return data_[offset];
    }

private:
    T* data_;
    std::size_t batch_;
};

}  // namespace typegrad
