#pragma once
// typegrad: neural networks as C++ types. Include this header for the whole library.
#include <typegrad/shape/shape.hpp>
#include <typegrad/tensor/tensor_view.hpp>
#include <typegrad/expr/leaves.hpp>
#include <typegrad/nn/dense.hpp>
#include <typegrad/nn/functions.hpp>
#include <typegrad/nn/losses.hpp>
#include <typegrad/autodiff/graph.hpp>
#include <typegrad/autodiff/declared_inputs.hpp>
#include <typegrad/autodiff/summary.hpp>
#include <typegrad/autodiff/gradient_check.hpp>
#include <typegrad/train/dataset.hpp>
#include <typegrad/train/fit.hpp>
#include <typegrad/train/metrics.hpp>
#include <typegrad/train/minibatches.hpp>
#include <typegrad/train/optimizer.hpp>
#include <typegrad/train/sgd.hpp>
