#ifndef RNNKIT_CRNNKERNELS_H
#define RNNKIT_CRNNKERNELS_H
// rnnkit's float32 kernels for the recurrent loop: fast sigmoid/tanh, the
// fused per-step kernel (recurrent product over prepacked weights plus the
// gate arithmetic), a persistent thread team with barrier-free work splits, and the
// denormal switch. The step kernel exists three times: portable C (any
// x86-64), AVX2+FMA and AVX-512 (F, VL, BW, DQ), chosen at run time
// (rk_best_level); no file is built for a specific CPU.
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Instruction-set levels, ordered.
enum {
    RK_LEVEL_PORTABLE = 0,  ///< plain C, any x86-64 (SSE2)
    RK_LEVEL_AVX2 = 1,      ///< AVX2 + FMA (Haswell, Zen and later)
    RK_LEVEL_AVX512 = 2     ///< AVX-512 F, VL, BW, DQ with the OS saving its state (Skylake-X, Zen 4 and later)
};

/// The best level this CPU supports.
int rk_best_level(void);

/// y[i] = 1 / (1 + e^(-x[i])), i < n (y may equal x). (AVX-512 runs the AVX2 form.)
void rk_sigmoid(int level, const float *x, float *y, long n);
/// y[i] = tanh(x[i]), i < n (y may equal x).
void rk_tanh(int level, const float *x, float *y, long n);

/// What the fused step computes after the recurrent product `acc = W h`.
enum {
    RK_STEP_LSTM = 0,      ///< gates i, f, g, o: c' = f c + i g, out = o tanh(c')
    RK_STEP_GRU = 1,       ///< gates r, z, n: out = (1 - z) n + z h
    RK_STEP_RNN_TANH = 2,  ///< out = tanh(x + b + acc)
    RK_STEP_RNN_RELU = 3,  ///< out = relu(x + b + acc)
    RK_STEP_LINEAR = 4     ///< out = acc (the LSTM projection W_hr)
};

/// Gate blocks a kind's weight matrix stacks (4, 3, 1, 1, 1).
int rk_step_gates(int kind);
/// Units (rows of each gate block) one packed block covers: 8 for LSTM and
/// GRU, 32 for the one-block kinds.
int rk_step_block_units(int kind);
/// Floats the packed form of a (gates·units × k) matrix needs.
long rk_packed_count(int kind, long units, long k);
/// Packs row-major `w` (gates·units × k, PyTorch's gate order) for `kind`:
/// block b, column k holds the block's units of every gate side by side,
/// zero-padded past `units`.
void rk_pack(int kind, const float *w, long units, long k, float *packed);

/// One time step of one direction for `rows` sequences, over the packed
/// blocks [block_begin, block_end) (threads split the blocks).
typedef struct {
    int kind;
    long rows;          ///< sequences in this call
    long units;         ///< hidden (or projection) units the output has
    long k;             ///< width of h, the recurrent product's inner size
    const float *packed;
    const float *h;     ///< previous h, rows × k, row stride ldh
    long ldh;
    const float *x;     ///< input projection W_ih x (no bias), rows × gates·units, stride ldx; unused for LINEAR
    long ldx;
    const float *bias;  ///< LSTM/RNN: b_ih + b_hh; GRU: b_ih (gates·units); never NULL except LINEAR
    const float *hbias; ///< GRU: b_hh (3·units)
    float *c;           ///< LSTM cell state rows × units, stride ldc, updated in place
    long ldc;
    float *out;         ///< h' (or o tanh(c') before a projection), rows × units, stride ldout; never aliases h
    long ldout;
} rk_step;

/// Number of packed blocks of a step.
long rk_step_blocks(const rk_step *step);
/// Runs blocks [block_begin, block_end) of `step`.
void rk_step_run(int level, const rk_step *step, long block_begin, long block_end);

/// Cores this process may run on (its CPU affinity: `taskset`, cpusets), 0 if unknown.
int rk_usable_cores(void);

/// A task run by every member of a team: `member` in 0..<count.
typedef void (*rk_task)(void *context, int member, int count);
/// Runs `task` on `count` threads (the caller is member 0, the others are
/// persistent workers started on first use) and returns when all are done.
/// Every member runs with denormals flushed to zero.
void rk_team_run(int count, rk_task task, void *context);

/// Members a split divides work between (larger teams share the parts).
enum { RK_SPLIT_PARTS = 4 };

/// Work items shared by a team without a barrier, one phase after another
/// (a chunk's GEMM, then each step's blocks, …): each member first takes
/// chunks of its own part of a phase (so that its weights stay in its own
/// cache), then helps with the others' parts, so that a member the OS does
/// not schedule for a while never holds the others up. One split serves a
/// whole layer: items are numbered across phases (a phase of `total` items
/// starting at `base` owns [base, base + total)), and the counters only
/// grow, so a phase needs no initialisation and a member still waiting on
/// the previous phase cannot be confused by the next. Every member must
/// pass the same phases in the same order. Counters sit on separate cache lines.
typedef struct rk_split rk_split;

/// A split for `parts` members (1…RK_SPLIT_PARTS), its counters at zero; NULL if out of memory.
rk_split *rk_split_create(int parts);
/// Frees a split made by rk_split_create.
void rk_split_free(rk_split *split);
/// Claims up to `chunk` items of the phase [base, base + total) for
/// `member`: its own part first, then the others'. Returns 0 when nothing
/// is left, else 1 with [*begin, *end) (counted from the phase's start).
/// A member may claim only after every earlier phase is finished (rk_split_wait).
int rk_split_claim(rk_split *split, long base, long total, int member, long chunk, long *begin, long *end);
/// Records `count` finished items (their results become visible to rk_split_wait).
void rk_split_finish(rk_split *split, long count);
/// Waits until `until` items (every phase up to [.., until)) are finished
/// (spins briefly, then yields).
void rk_split_wait(rk_split *split, long until);

/// Sets flush-to-zero and denormals-are-zero in this thread; returns the
/// previous control word for rk_restore_denormals.
unsigned rk_flush_denormals(void);
/// Restores a control word saved by rk_flush_denormals.
void rk_restore_denormals(unsigned saved);

#ifdef __cplusplus
}
#endif
#endif
