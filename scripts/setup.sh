# Shared by scripts/test, scripts/demo and scripts/bench (sourced, not run): installs the Debian
# packages a fresh Debian 12 machine lacks, and configures a Meson build directory.

# Packages the library, its tests and the demo need.
TYPEGRAD_PACKAGES=(g++ clang libclang-rt-14-dev meson ninja-build pkg-config python3 libboost-dev libboost-test-dev
                   libopenblas-dev liblapacke-dev zlib1g-dev libhdf5-dev nlohmann-json3-dev libcli11-dev libbenchmark-dev gnuplot-nox
                   dataset-fashion-mnist libopenmpi-dev openmpi-bin)

# PyTorch in Python, kept apart so that scripts/demo does not pull it in: the test suite's round trip of
# model files (tests/io/torch_roundtrip.py) and the benchmarks' pytorch peer (bench/peers/pytorch_workloads.py)
# use it, and each is skipped without it; the install suite runs examples/digits.cpp on scikit-learn's
# digits table (python3-sklearn); the galaxy job's test writes its defective files with h5py
# (python3-h5py), as scientists write theirs.
TYPEGRAD_TEST_PACKAGES=(python3-torch python3-numpy python3-sklearn python3-h5py)

# The peers that scripts/bench measures typegrad against (not needed by the tests or the demo).
TYPEGRAD_BENCH_PACKAGES=(libtorch-dev libdlib-dev)

ensure_packages() {
    local missing=() package
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing: ${missing[*]}"
    local sudo=()
    [ "$(id -u)" -ne 0 ] && sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# configure <build dir> <c++ compiler> [meson options...]: sets up the directory once.
configure() {
    local dir=$1 compiler=$2
    shift 2
    if [ ! -f "$dir/build.ninja" ]; then
        CXX=$compiler meson setup "$dir" "$@"
    fi
}

# build_release <program>: builds one program of build/release (configured once), printing the build's
# log and failing when it does not build.
build_release() {
    local program=$1
    configure build/release g++ --buildtype=release
    if ! meson compile -C build/release "$program" > "build/release/$program-build.log" 2>&1; then
        cat "build/release/$program-build.log"
        echo "error: building $program failed (log above)" >&2
        exit 1
    fi
}
