/* Contour smoothing: centred moving average over `window` frames, in place, with the edge
 * frames repeated beyond either end (this is what openSMILE's first output row shows:
 * (2 x[0] + x[1]) / 3). The raw values of the last `window` rows are kept in a small ring
 * so the matrix can be overwritten row by row. Columns flagged skip_zero follow
 * openSMILE's noZeroSma: a raw 0 gives 0, and zero neighbours are left out of the mean. */
#include <stdlib.h>
#include <string.h>

#include "audio/lld_internal.h"

ef_code ef_lld_smooth(float *x, int64_t T, int stride, int n_cols, const bool *skip_zero, int window,
                      ef_error *err)
{
    if (window <= 1 || T == 0) return EF_OK;
    EF_ASSERT(window % 2 == 1 && n_cols <= stride);
    const int h = window / 2;
    float *ring = malloc(sizeof(float) * (size_t)window * (size_t)n_cols); /* (window, n_cols) raw rows */
    if (!ring) return ef_fail(err, EF_ERR_NOMEM, "smoothing: out of memory");
    for (int64_t t = 0; t < T; t++) {
        float *row = x + t * stride;
        memcpy(ring + (size_t)(t % window) * n_cols, row, sizeof(float) * (size_t)n_cols);
        for (int c = 0; c < n_cols; c++) {
            const float centre = ring[(size_t)(t % window) * n_cols + c];
            if (skip_zero && skip_zero[c] && centre == 0.0f) {
                row[c] = 0.0f;
                continue;
            }
            double sum = 0.0;
            int count = 0;
            for (int64_t j = t - h; j <= t + h; j++) {
                const int64_t jj = j < 0 ? 0 : (j >= T ? T - 1 : j);
                /* rows <= t are only in the ring now; later rows are still raw in x */
                const float v = jj <= t ? ring[(size_t)(jj % window) * n_cols + c] : x[jj * stride + c];
                if (skip_zero && skip_zero[c] && v == 0.0f) continue;
                sum += v;
                count++;
            }
            row[c] = (float)(sum / count);
        }
    }
    free(ring);
    return EF_OK;
}
