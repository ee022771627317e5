/* Audio branch of Pepino et al. (2020), Figure 1 right, on 36 z-normalised LLDs per
 * 10 ms frame:
 *   L_A1 conv1d D_audio -> conv1_filters (kernel conv1_kernel), BN, ReLU
 *   dropout (rate audio.dropout = 0.5) at the input of L_A2, training only
 *   L_A2 conv1d -> conv2_filters (kernel conv2_kernel), BN, ReLU
 *   L_A3 masked mean pool over frames
 *   L_A4 dense -> K logits
 * The paper states BN only for the text model; the same block is used here (BN can be
 * switched off with "audio": {"batch_norm": false}). */
#include <string.h>

#include "nn/model_internal.h"

int ef_audio_branch_register(ef_branch *br, ef_params *p, const ef_model_config *cfg, int with_head)
{
    const ef_audio_config *a = &cfg->audio;
    memset(br, 0, sizeof *br);
    strcpy(br->name, "audio");
    if (ef_branch_add_block(br, p, "audio.a1", "L_A1", BLK_CONV, a->input_dim, a->conv1_filters, a->conv1_kernel,
                            a->batch_norm, 0.0f) != 0 ||
        ef_branch_add_block(br, p, "audio.a2", "L_A2", BLK_CONV, a->conv1_filters, a->conv2_filters, a->conv2_kernel,
                            a->batch_norm, a->dropout) != 0)
        return -1;
    return with_head ? ef_branch_add_head(br, p, cfg->n_classes) : 0;
}
