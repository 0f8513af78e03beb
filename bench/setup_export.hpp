#pragma once
// The workloads' setups and typegrad's reference steps as files, for implementations outside this
// program (bench/peers/pytorch_workloads.py): `bench/workloads --export-setup DIR [W1 ...]`.
#include <filesystem>
#include <vector>

#include "workload.hpp"

namespace bench {

// Writes DIR/<workload>.safetensors for each workload (DIR is created if missing):
//   inputs          F32 [samples, sample_shape...]  the batch every step gets (not W5)
//   targets         F32 [samples, 1]                W1's regression targets
//   labels          F32 [samples]                   W2, W3: classes 0..9 (exact as floats)
//   initial/<name>  F32 <PyTorch shape>              the starting weights, in typegrad's parameter order
//   step<k>/loss    F64 []                           typegrad's loss in step k (1, 2) on 1 thread
//   step<k>/<name>  F32                              its gradient of parameter <name> in step k (W4: "output")
// as first_two_steps records them (W5: step 2 holds the loss only). The metadata says the workload,
// the batch, the sample shape, the parameter names in order and the agreement tolerance; for W5,
// whose data the reader takes from the Fashion-MNIST files itself, the directory, the number of
// epochs, and the CRC-32 (zlib's) of the training and test images as little-endian float32 (pixels /
// 255.0f, file order) and of their labels as little-endian int32, so that it can check that it reads
// the same data as typegrad.
void export_setups(const std::filesystem::path& directory, const std::vector<workload>& workloads);

}  // namespace bench
