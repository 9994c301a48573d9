import Foundation
import RNNLayouts
import TensorFiles

/// What `NetworkRunner.run` returns: the output tensor unless it went to a
/// receiver, its shape and the final states.
struct NetworkPassResult {
    /// nil when a receiver took the output.
    var output: Tensor?
    /// The output's shape and dtype, `h_n` and `c_n`.
    var sent: RNNSentOutput
}

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

    /// Whether the pass takes the packed path (`WorkingMemory.packs`: float32,
    /// PyTorch's cells, kernels the options allow) with packed weights.
    var packs: Bool {
        packed != nil && WorkingMemory.packs(network.architecture, computeType: network.computeType, options: options)
    }

    /// Runs `body` with OpenBLAS set up for this pass: `options`' threads for
    /// float64 and `.reference` kernels, else one (the packed path shares its
    /// work itself, so that the two never compete for the cores); untouched
    /// when the pass calls no OpenBLAS (the packed path with oneDNN's GEMM):
    /// setting its thread count restarts the workers `BLAS.stopIdleThreads`
    /// ended, which then spin on the team's cores for their first ~0.1 s.
    func withBLASThreads<T>(_ body: () throws -> T) rethrows -> T {
        if packs && options.gemm == .onednn { return try body() }
        let threads = S.self == Float.self && options.kernels != .reference ? 1 : options.resolvedThreads
        return try BLAS.withThreads(threads, body)
    }

    /// Runs the network; with a `receiver`, passes it the output as it is
    /// finished (`OutputReceiver`) and keeps none. Shapes were checked by
    /// `RNNNetwork.forward`.
    func run(input: Tensor, h0: Tensor?, c0: Tensor?, receiver: OutputReceiver? = nil) throws -> NetworkPassResult {
        let architecture = network.architecture
        let stateCount = architecture.numLayers * architecture.directions
        let width = architecture.outputSize

        // The input has the compute dtype (SequencePlan checked): its bytes are used as they are.
        let inputBytes = try input.data()
        let initial = (h: try h0.map { try S.values(of: $0) }, c: try c0.map { try S.values(of: $0) })

        let variant = architecture.variant.isPyTorch ? nil : VariantCell<S>(architecture.variant, nonlinearity: network.nonlinearity)
        let projectionSteps = WorkingMemory.projectionSteps(architecture, plan: plan, packs: packs)
        let buffers = network.bufferPool.take(network, plan: plan, projectionSteps: projectionSteps, as: S.self)
        defer { network.bufferPool.give(buffers, plan: plan) }

        // When the processing order is the caller's (no sequence moved, time
        // the outer dimension), layer 0 reads the input in place and the last
        // layer writes the output tensor's bytes: no copies, no buffers to touch.
        let inPlace = plan.readsInPlace
        let outputShape = plan.outputShape(width: width)
        try receiver?.begin(shape: outputShape, dtype: S.dtype)
        // A unidirectional last layer on the packed path, writing the output
        // tensor's rows in place, finishes them chunk by chunk; when they go to
        // a receiver, into a ring of chunks rather than a tensor of every step.
        let streams = inPlace && architecture.directions == 1
        let ring = OutputRing(architecture, plan: plan, packs: packs, sendsOutput: receiver != nil)
        let stepBytes = plan.batch * width * MemoryLayout<S>.stride
        let result = OutputBytes(byteCount: (ring?.steps ?? plan.steps) * stepBytes)
        let sending = receiver.map {
            OutputSending($0, base: result.pointer, steps: plan.steps, stepBytes: stepBytes, heldSteps: ring?.steps)
        }
        var hN = [S](repeating: 0, count: stateCount * plan.batch * architecture.stateSize)
        var cN = [S](repeating: 0, count: architecture.mode == .lstm ? stateCount * plan.batch * architecture.hiddenSize : 0)
        inputBytes.withUnsafeBytes { rawInput in
            // Layer 0 reads the input in processing order, (T·B, input_size).
            let layerInput0: UnsafePointer<S>
            if inPlace, let base = rawInput.baseAddress, Int(bitPattern: base) % MemoryLayout<S>.alignment == 0 {
                layerInput0 = base.assumingMemoryBound(to: S.self)
            } else {
                gather(rawInput, width: architecture.inputSize, into: buffers.layerInput.pointer)
                layerInput0 = UnsafePointer(buffers.layerInput.pointer)
            }
            // Layers write (T·B, directions·state); two buffers alternate between layers.
            let outputs = (0 ..< architecture.numLayers).map { layer in
                inPlace && layer == architecture.numLayers - 1
                    ? result.pointer.assumingMemoryBound(to: S.self) : buffers.output(layer % 2).pointer
            }
            let progress = streams ? sending.map { sending in { (steps: Range<Int>) in sending.finished(below: steps.upperBound) } } : nil
            let layers = LayerPasses(runner: self, variant: variant, workspaces: buffers.workspaces,
                                     packed: packs ? packedPath(buffers.workspaces, chunkSteps: projectionSteps,
                                                                lastLayerProgress: progress, ring: ring) : nil)
            for layer in 0 ..< architecture.numLayers {
                layers.run(layer, input: layer == 0 ? layerInput0 : UnsafePointer(outputs[layer - 1]), output: outputs[layer],
                           initial: initial, hN: &hN, cN: &cN)
            }
            if !inPlace { scatter(outputs[architecture.numLayers - 1], width: width, into: result.pointer) }
        }
        try sending?.finish()
        return NetworkPassResult(
            output: receiver == nil ? try Tensor(dtype: S.dtype, shape: outputShape, data: result.data()) : nil,
            sent: RNNSentOutput(
                outputShape: outputShape, outputDType: S.dtype,
                hN: S.tensor(shape: plan.stateShape(count: stateCount, width: architecture.stateSize), values: hN),
                cN: architecture.mode == .lstm
                    ? S.tensor(shape: plan.stateShape(count: stateCount, width: architecture.hiddenSize), values: cN) : nil))
    }

    /// One layer of the network on the packed path (`packed`) or the reference path.
    private struct LayerPasses {
        let runner: NetworkRunner
        let variant: VariantCell<S>?
        let workspaces: [DirectionWorkspace<S>]
        let packed: ((_ layer: Int, _ input: UnsafePointer<S>, _ output: UnsafeMutablePointer<S>) -> Void)?

        /// Runs `layer` from `input` (T·B, layer input) into `output` (T·B, directions·state), starting
        /// from its slice of `initial` (nil: zeros) and putting its final states into `hN`, `cN`.
        func run(_ layer: Int, input: UnsafePointer<S>, output: UnsafeMutablePointer<S>,
                 initial: (h: [S]?, c: [S]?), hN: inout [S], cN: inout [S]) {
            let network = runner.network, plan = runner.plan
            let architecture = network.architecture, variantOptions = architecture.variant
            let directions = architecture.directions, state = architecture.stateSize, hidden = architecture.hiddenSize
            let width = architecture.outputSize
            for direction in 0 ..< directions {
                let index = layer * directions + direction
                runner.load(initial.h, index: index, width: state, into: workspaces[direction].h)
                if architecture.mode == .lstm { runner.load(initial.c, index: index, width: hidden, into: workspaces[direction].c) }
            }
            if let packed {
                packed(layer, input, output)
            } else {
                // Merged directions are computed side by side first, (T·B, 2·state).
                let merging = architecture.bidirectional && variantOptions.merge != .concat
                let both = AlignedBuffer<S>(zeros: merging ? plan.steps * plan.batch * 2 * state : 0)
                for direction in 0 ..< directions {
                    DirectionRunner.run(
                        runner.weights[layer][direction], reverse: direction == 1 || variantOptions.direction != .forward,
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
                runner.store(workspaces[direction].h, index: index, width: state, into: &hN)
                if architecture.mode == .lstm { runner.store(workspaces[direction].c, index: index, width: hidden, into: &cN) }
            }
        }
    }

    /// The packed float32 path, when this runner has packed weights and the
    /// options ask for it: a function running one layer. The last layer
    /// reports each finished chunk of steps to `lastLayerProgress` (when
    /// unidirectional), and writes its output into `ring` when there is one.
    private func packedPath(_ workspaces: [DirectionWorkspace<S>], chunkSteps: Int,
                            lastLayerProgress: ((_ steps: Range<Int>) -> Void)?, ring: OutputRing?)
        -> ((_ layer: Int, _ input: UnsafePointer<S>, _ output: UnsafeMutablePointer<S>) -> Void)? {
        guard let packed, let level = options.kernelLevel,
              let weights = weights as? [[DirectionWeights<Float>]],
              let workspaces = workspaces as? [DirectionWorkspace<Float>] else { return nil }
        let plan = plan, width = network.architecture.outputSize, threads = options.resolvedThreads, gemm = options.gemm
        let lastLayer = network.architecture.numLayers - 1
        return { layer, input, output in
            let runner = PackedLayerRunner(
                weights: weights[layer], packed: packed[layer], plan: plan,
                input: UnsafeRawPointer(input).assumingMemoryBound(to: Float.self),
                output: UnsafeMutableRawPointer(output).assumingMemoryBound(to: Float.self),
                outputWidth: width, workspaces: workspaces, chunkSteps: chunkSteps, level: level, gemm: gemm)
            if layer == lastLayer {
                // A ring's slots are reused only once their chunk was sent.
                precondition(ring == nil || lastLayerProgress != nil, "an output ring without a receiver")
                runner.finishedSteps = lastLayerProgress
                runner.ring = ring
            }
            runner.run(threads: threads)
        }
    }

    /// Copies the caller's (T, B, w) or (B, T, w) bytes into processing order (T·B, w).
    private func gather(_ source: UnsafeRawBufferPointer, width: Int, into target: UnsafeMutablePointer<S>) {
        guard let base = source.baseAddress else { return }
        let rowBytes = width * MemoryLayout<S>.stride
        for t in 0 ..< plan.steps {
            for (row, sequence) in plan.order.enumerated() {
                let offset = plan.externalOffset(step: t, sequence: sequence, width: width) * MemoryLayout<S>.stride
                UnsafeMutableRawPointer(target + (t * plan.batch + row) * width).copyMemory(from: base + offset, byteCount: rowBytes)
            }
        }
    }

    /// Copies the (T·B, w) processing-order rows into `target`, a tensor in the caller's layout and order.
    private func scatter(_ source: UnsafePointer<S>, width: Int, into target: UnsafeMutableRawPointer) {
        let stride = MemoryLayout<S>.stride
        for t in 0 ..< plan.steps {
            for (row, sequence) in plan.order.enumerated() {
                (target + plan.externalOffset(step: t, sequence: sequence, width: width) * stride)
                    .copyMemory(from: source + (t * plan.batch + row) * width, byteCount: width * stride)
            }
        }
    }

    /// Puts slice `index` of an initial state (layer·directions, B, w) into
    /// `buffer` in processing order; zeros when there is no initial state.
    fileprivate func load(_ values: [S]?, index: Int, width: Int, into buffer: AlignedBuffer<S>) {
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
    fileprivate func store(_ buffer: AlignedBuffer<S>, index: Int, width: Int, into values: inout [S]) {
        for (row, sequence) in plan.order.enumerated() {
            for j in 0 ..< width {
                values[(index * plan.batch + sequence) * width + j] = buffer.pointer[row * width + j]
            }
        }
    }
}
