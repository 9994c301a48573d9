// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "rnnkit",
    products: [
        .executable(name: "rnnkit", targets: ["RNNKitCLI"]),
        .library(name: "TensorFiles", targets: ["TensorFiles"]),
        .library(name: "Pickle", targets: ["Pickle"]),
        .library(name: "RNNLayouts", targets: ["RNNLayouts"]),
        .library(name: "RNNEngine", targets: ["RNNEngine"]),
        .library(name: "RNNConvert", targets: ["RNNConvert"]),
        .library(name: "RNNKit", targets: ["RNNKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // C libraries reached through pkg-config.
        .systemLibrary(
            name: "CHDF5",
            pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"])]
        ),
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // oneDNN's sgemm for the packed path's input projections (no pkg-config file in Debian).
        .systemLibrary(
            name: "CDNNL",
            providers: [.apt(["libdnnl-dev"])]
        ),

        // rnnkit's float32 recurrent kernels (portable C and AVX2+FMA, chosen at run time) and thread team.
        .target(name: "CRNNKernels"),

        // libhdf5 meets every HDF5 file first in a forked child (metadata check,
        // data reads), so a damaged file that crashes or hangs it ends the child.
        .target(name: "HDF5Probe", dependencies: ["CHDF5", "OutputSafety"]),
        // Output safety: temporary outputs removed on SIGINT/SIGTERM/SIGHUP, atomic no-replace renames, zlib's CRC-32.
        .target(name: "OutputSafety", linkerSettings: [.linkedLibrary("z")]),
        // Element kernels of the tensor writers, chosen at run time: float32 → float16 with F16C, the
        // Keras kernels' transposition with AVX2.
        .target(name: "CTensorKernels"),
        // The pickle subset PyTorch checkpoints use; never runs code.
        .target(name: "Pickle"),
        // Containers: Tensor, NPY, NPZ, HDF5, safetensors, PyTorch checkpoints.
        .target(
            name: "TensorFiles",
            dependencies: [
                "CHDF5", "HDF5Probe", "OutputSafety", "CTensorKernels", "Pickle",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        // The inspector's brain: name grammar, inference, diagnostics, shape flow.
        .target(name: "RNNLayouts", dependencies: ["TensorFiles"]),
        // Cells and the layer runner.
        .target(name: "RNNEngine", dependencies: ["TensorFiles", "RNNLayouts", "COpenBLAS", "CDNNL", "CRNNKernels"]),
        // The ONNX schema, generated once by scripts/generate_onnx_proto.sh (committed).
        .target(
            name: "ONNXProto",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        // Conversion between PyTorch names and other layouts (ONNX, Keras 3) and the model loader.
        .target(
            name: "RNNConvert",
            dependencies: [
                "TensorFiles", "RNNLayouts", "ONNXProto",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),  // the .keras archive
            ]
        ),
        // The library's one way in: RNNModel (open, run, write) over the modules above, and the
        // run, verify and bench orchestration the CLI drives.
        .target(name: "RNNKit", dependencies: ["Pickle", "TensorFiles", "RNNLayouts", "RNNEngine", "RNNConvert"]),
        // The command-line tool `rnnkit` (product name): one file per subcommand, over RNNKit.
        .executableTarget(
            name: "RNNKitCLI",
            dependencies: [
                "RNNKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(
            name: "TensorFilesTests",
            dependencies: ["TensorFiles", "Pickle", "CTensorKernels", "OutputSafety", .product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),
        .testTarget(name: "PickleTests", dependencies: ["Pickle"]),
        .testTarget(name: "RNNLayoutsTests", dependencies: ["RNNLayouts", "TensorFiles"]),
        .testTarget(name: "RNNEngineTests", dependencies: ["RNNEngine", "RNNLayouts", "TensorFiles", "CRNNKernels", "CDNNL"]),
        .testTarget(
            name: "RNNConvertTests",
            dependencies: [
                "RNNConvert", "RNNLayouts", "TensorFiles", "ONNXProto",
                "RNNEngine",  // variant fixtures run on every execution path
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),  // damaged .keras archives
            ]
        ),
        .testTarget(name: "RNNKitTests", dependencies: ["RNNKit", "TensorFiles"]),
        .testTarget(name: "RNNKitCLITests", dependencies: ["TensorFiles", "RNNLayouts"]),
    ],
    swiftLanguageModes: [.v5]
)
