import Foundation
import RNNLayouts
import TensorFiles

/// One forward call of a prepared network: moves the caller's tensors into
/// the processing order, runs every layer and direction, and moves the
/// results back into PyTorch's shapes.
struct NetworkRunner<S: EngineScalar> {
    let network: RNNNetwork
    let weights: [[DirectionWeights<S>]]
    let plan: SequencePlan
    /// float32: the packed recurrent matrices, `[layer][direction]`; nil runs the reference path.
    var packed: [[PackedRecurrence]]? = nil
    var options = ExecutionOptions.automatic

    /// Runs the network. Shapes were checked by `RNNNetwork.forward`.
    func run(input: Tensor, h0: Tensor?, c0: Tensor?) throws -> RNNOutput {
        let architecture = network.architecture
        let directions = architecture.directions
        let layers = architecture.numLayers
        let state = architecture.stateSize
        let hidden = architecture.hiddenSize
        let width = architecture.outputSize
        let stateCount = layers * directions

        // The input has the compute dtype (SequencePlan checked): its bytes are copied as they are.
        let inputBytes = try input.data()
        let h0Values = try h0.map { try S.values(of: $0) }
        let c0Values = try c0.map { try S.values(of: $0) }

        let buffers = network.bufferPool.take(network, plan: plan, as: S.self)
        defer { network.bufferPool.give(buffers, plan: plan) }
        // Layer 0 reads the input in processing order, (T·B, input_size).
        let layerInput0 = buffers.layerInput
        gather(inputBytes, width: architecture.inputSize, into: layerInput0.pointer)
        // Layers write (T·B, directions·state); two buffers alternate between layers.
        let outputs = buffers.outputs
        let workspaces = buffers.workspaces

        var hN = [S](repeating: 0, count: stateCount * plan.batch * state)
        var cN = [S](repeating: 0, count: architecture.mode == .lstm ? stateCount * plan.batch * hidden : 0)
        // A cell that is not PyTorch's runs on the reference path: the packed kernels compute PyTorch's cells only.
        let variantOptions = architecture.variant
        let variant = variantOptions.isPyTorch ? nil : VariantCell<S>(variantOptions, nonlinearity: network.nonlinearity)
        let fast = variant == nil ? packedPath(workspaces) : nil
        // Merged directions are computed side by side first, (T·B, 2·state).
        let merging = architecture.bidirectional && variantOptions.merge != .concat
        let both = AlignedBuffer<S>(zeros: merging ? plan.steps * plan.batch * 2 * state : 0)
        for layer in 0 ..< layers {
            let input = layer == 0 ? layerInput0.pointer : outputs[(layer - 1) % 2].pointer
            let output = outputs[layer % 2].pointer
            for direction in 0 ..< directions {
                let index = layer * directions + direction
                load(h0Values, index: index, width: state, into: workspaces[direction].h)
                if architecture.mode == .lstm { load(c0Values, index: index, width: hidden, into: workspaces[direction].c) }
            }
            if let fast {
                fast(layer, input, output)
            } else {
                for direction in 0 ..< directions {
                    DirectionRunner.run(
                        weights[layer][direction], reverse: direction == 1 || variantOptions.direction != .forward,
                        relu: network.nonlinearity == .relu, variant: variant, plan: plan, input: input,
                        output: merging ? both.pointer : output, outputWidth: merging ? 2 * state : width, column: direction * state,
                        workspace: workspaces[direction])
                }
                if merging {
                    VariantChecks.merge(variantOptions.merge, rows: plan.steps * plan.batch, state: state, from: both.pointer, into: output)
                }
                if variantOptions.direction == .backwards {
                    VariantChecks.reverseSteps(output, steps: plan.steps, batch: plan.batch, width: width)
                }
            }
            for direction in 0 ..< directions {
                let index = layer * directions + direction
                store(workspaces[direction].h, index: index, width: state, into: &hN)
                if architecture.mode == .lstm { store(workspaces[direction].c, index: index, width: hidden, into: &cN) }
            }
        }
        let last = outputs[(layers - 1) % 2]
        return RNNOutput(
            output: try Tensor(dtype: S.dtype, shape: plan.outputShape(width: width), data: scatter(last.pointer, width: width)),
            hN: S.tensor(shape: plan.stateShape(count: stateCount, width: state), values: hN),
            cN: architecture.mode == .lstm
                ? S.tensor(shape: plan.stateShape(count: stateCount, width: hidden), values: cN) : nil)
    }

    /// The packed float32 path, when this runner has packed weights and the
    /// options ask for it: a function running one layer.
    private func packedPath(_ workspaces: [DirectionWorkspace<S>])
        -> ((_ layer: Int, _ input: UnsafeMutablePointer<S>, _ output: UnsafeMutablePointer<S>) -> Void)? {
        guard let packed, let level = options.kernelLevel,
              let weights = weights as? [[DirectionWeights<Float>]],
              let workspaces = workspaces as? [DirectionWorkspace<Float>] else { return nil }
        let plan = plan, width = network.architecture.outputSize, threads = options.resolvedThreads, gemm = options.gemm
        return { layer, input, output in
            let runner = PackedLayerRunner(
                weights: weights[layer], packed: packed[layer], plan: plan,
                input: UnsafeRawPointer(input).assumingMemoryBound(to: Float.self),
                output: UnsafeMutableRawPointer(output).assumingMemoryBound(to: Float.self),
                outputWidth: width, workspaces: workspaces, level: level, gemm: gemm)
            runner.run(threads: threads)
        }
    }

    /// Copies the caller's (T, B, w) or (B, T, w) bytes into processing order (T·B, w).
    private func gather(_ bytes: Data, width: Int, into target: UnsafeMutablePointer<S>) {
        let rowBytes = width * MemoryLayout<S>.stride
        bytes.withUnsafeBytes { source in
            guard let base = source.baseAddress else { return }
            for t in 0 ..< plan.steps {
                for (row, sequence) in plan.order.enumerated() {
                    let offset = plan.externalOffset(step: t, sequence: sequence, width: width) * MemoryLayout<S>.stride
                    UnsafeMutableRawPointer(target + (t * plan.batch + row) * width).copyMemory(from: base + offset, byteCount: rowBytes)
                }
            }
        }
    }

    /// The (T·B, w) processing-order rows as the bytes of a tensor in the caller's layout and order
    /// (in `LargePages` when large: the output is written once, right away).
    private func scatter(_ source: UnsafeMutablePointer<S>, width: Int) -> Data {
        let stride = MemoryLayout<S>.stride
        let count = plan.steps * plan.batch * width * stride
        var bytes: Data
        if count >= LargePages.threshold, let mapped = LargePages.allocate(byteCount: count) {
            let mappedBytes = mapped.byteCount
            bytes = Data(bytesNoCopy: mapped.pointer, count: count,
                         deallocator: .custom { pointer, _ in LargePages.release(pointer, byteCount: mappedBytes) })
        } else {
            bytes = Data(count: count)
        }
        bytes.withUnsafeMutableBytes { target in
            guard let base = target.baseAddress else { return }
            for t in 0 ..< plan.steps {
                for (row, sequence) in plan.order.enumerated() {
                    (base + plan.externalOffset(step: t, sequence: sequence, width: width) * stride)
                        .copyMemory(from: source + (t * plan.batch + row) * width, byteCount: width * stride)
                }
            }
        }
        return bytes
    }

    /// Puts slice `index` of an initial state (layer·directions, B, w) into
    /// `buffer` in processing order; zeros when there is no initial state.
    private func load(_ values: [S]?, index: Int, width: Int, into buffer: AlignedBuffer<S>) {
        guard let values else {
            buffer.zero()
            return
        }
        for (row, sequence) in plan.order.enumerated() {
            for j in 0 ..< width {
                buffer.pointer[row * width + j] = values[(index * plan.batch + sequence) * width + j]
            }
        }
    }

    /// Puts the final states in `buffer` into slice `index` of `values`, in the caller's order.
    private func store(_ buffer: AlignedBuffer<S>, index: Int, width: Int, into values: inout [S]) {
        for (row, sequence) in plan.order.enumerated() {
            for j in 0 ..< width {
                values[(index * plan.batch + sequence) * width + j] = buffer.pointer[row * width + j]
            }
        }
    }
}
