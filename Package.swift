// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "rnnkit",
    products: [
        .executable(name: "rnnkit", targets: ["rnnkit"]),
        .library(name: "TensorFiles", targets: ["TensorFiles"]),
        .library(name: "RNNLayouts", targets: ["RNNLayouts"]),
        .library(name: "RNNEngine", targets: ["RNNEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
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

        // rnnkit's float32 recurrent kernels (portable C and AVX2+FMA, chosen at run time) and thread team.
        .target(name: "CRNNKernels"),

        // Containers: Tensor, NPY, NPZ, HDF5, safetensors, PyTorch checkpoints.
        .target(
            name: "TensorFiles",
            dependencies: [
                "CHDF5",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        // The inspector's brain: name grammar, inference, diagnostics, shape flow.
        .target(name: "RNNLayouts", dependencies: ["TensorFiles"]),
        // Cells and the layer runner.
        .target(name: "RNNEngine", dependencies: ["TensorFiles", "RNNLayouts", "COpenBLAS", "CRNNKernels"]),
        // The command-line tool: one file per subcommand.
        .executableTarget(
            name: "rnnkit",
            dependencies: [
                "TensorFiles", "RNNLayouts", "RNNEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "TensorFilesTests", dependencies: ["TensorFiles"]),
        .testTarget(name: "RNNLayoutsTests", dependencies: ["RNNLayouts", "TensorFiles"]),
        .testTarget(name: "RNNEngineTests", dependencies: ["RNNEngine", "RNNLayouts", "TensorFiles", "CRNNKernels"]),
        .testTarget(name: "rnnkitTests", dependencies: ["TensorFiles"]),
    ],
    swiftLanguageModes: [.v5]
)
