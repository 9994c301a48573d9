// The portable kernels: plain C over the packed layout, libm's expf and
// tanhf. Used on CPUs without AVX2 and as the second path the tests compare.
#include "StepLayout.h"
#include <math.h>

void rk_sigmoid_portable(const float *x, float *y, long n) {
    for (long i = 0; i < n; i++) y[i] = 1.0f / (1.0f + expf(-x[i]));
}

void rk_tanh_portable(const float *x, float *y, long n) {
    for (long i = 0; i < n; i++) y[i] = tanhf(x[i]);
}

static inline float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

/// acc[j] = Σ_k h[k] · panel[k][j], j < width.
static void dot(const float *panel, long width, long k, const float *h, float *acc) {
    for (long j = 0; j < width; j++) acc[j] = 0;
    for (long p = 0; p < k; p++) {
        const float a = h[p];
        const float *column = panel + p * width;
        for (long j = 0; j < width; j++) acc[j] += a * column[j];
    }
}

void rk_step_portable(const rk_step *s, long block_begin, long block_end) {
    const long gates = rk_gates_of(s->kind), block = rk_units_of(s->kind), width = rk_width_of(s->kind);
    const long n = s->units;
    float acc[32];
    for (long b = block_begin; b < block_end; b++) {
        const float *panel = s->packed + b * s->k * width;
        for (long r = 0; r < s->rows; r++) {
            const float *h = s->h + r * s->ldh;
            const float *x = s->x ? s->x + r * s->ldx : 0;
            float *out = s->out + r * s->ldout;
            dot(panel, width, s->k, h, acc);
            for (long u = 0; u < block && b * block + u < n; u++) {
                const long j = b * block + u;
                switch (s->kind) {
                case RK_STEP_LSTM: {
                    float *c = s->c + r * s->ldc;
                    const float i = sigmoid(acc[u] + x[j] + s->bias[j]);
                    const float f = sigmoid(acc[block + u] + x[n + j] + s->bias[n + j]);
                    const float g = tanhf(acc[2 * block + u] + x[2 * n + j] + s->bias[2 * n + j]);
                    const float o = sigmoid(acc[3 * block + u] + x[3 * n + j] + s->bias[3 * n + j]);
                    c[j] = f * c[j] + i * g;
                    out[j] = o * tanhf(c[j]);
                    break;
                }
                case RK_STEP_GRU: {
                    const float *hb = s->hbias;
                    const float rr = sigmoid((x[j] + s->bias[j]) + (acc[u] + hb[j]));
                    const float z = sigmoid((x[n + j] + s->bias[n + j]) + (acc[block + u] + hb[n + j]));
                    const float cand = tanhf((x[2 * n + j] + s->bias[2 * n + j]) + rr * (acc[2 * block + u] + hb[2 * n + j]));
                    out[j] = (1.0f - z) * cand + z * h[j];
                    break;
                }
                case RK_STEP_RNN_TANH:
                    out[j] = tanhf(acc[u] + x[j] + s->bias[j]);
                    break;
                case RK_STEP_RNN_RELU: {
                    const float v = acc[u] + x[j] + s->bias[j];
                    out[j] = v < 0 ? 0.0f : v;
                    break;
                }
                default:
                    out[j] = acc[u];
                }
            }
        }
    }
    (void)gates;
}
