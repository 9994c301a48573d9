// swift-tools-version: 6.0
// Fuzz targets for rnnkit's readers, kept out of the main package so that its
// executables and tests never see the sanitizer flags. Build and run them with
// `scripts/fuzz.sh READER SECONDS` (docs/reliability.md).
import PackageDescription

let rnnkit = "rnnkit"

let package = Package(
    name: "rnnkit-fuzz",
    dependencies: [.package(name: rnnkit, path: "..")],
    targets: [
        // Feeding fuzz bytes to the readers: a scratch file, touching every tensor.
        .target(name: "FuzzDriver"),
        .target(name: "FuzzSupport", dependencies: ["FuzzDriver", .product(name: "TensorFiles", package: rnnkit)]),
        .executableTarget(name: "FuzzNPY", dependencies: ["FuzzSupport", .product(name: "TensorFiles", package: rnnkit)]),
        .executableTarget(name: "FuzzNPZ", dependencies: ["FuzzSupport", .product(name: "TensorFiles", package: rnnkit)]),
        .executableTarget(name: "FuzzSafetensors", dependencies: ["FuzzSupport", .product(name: "TensorFiles", package: rnnkit)]),
        .executableTarget(name: "FuzzHDF5", dependencies: ["FuzzSupport", .product(name: "TensorFiles", package: rnnkit)]),
        .executableTarget(name: "FuzzPyTorch", dependencies: ["FuzzSupport", .product(name: "TensorFiles", package: rnnkit)]),
        .executableTarget(name: "FuzzPickle", dependencies: ["FuzzSupport", .product(name: "Pickle", package: rnnkit)]),
        .executableTarget(name: "FuzzONNX", dependencies: ["FuzzSupport", .product(name: "RNNConvert", package: rnnkit)]),
        .executableTarget(name: "FuzzONNXConstants", dependencies: ["FuzzSupport", .product(name: "RNNConvert", package: rnnkit)]),
        .executableTarget(name: "FuzzExportedProgram", dependencies: ["FuzzSupport", .product(name: "TensorFiles", package: rnnkit)]),
        .executableTarget(name: "FuzzKerasConfig", dependencies: ["FuzzSupport", .product(name: "RNNConvert", package: rnnkit)]),
    ],
    swiftLanguageModes: [.v5]
)
