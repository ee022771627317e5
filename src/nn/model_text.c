/* Text branch of Pepino et al. (2020), Figure 1 left, on BERT (768-d) or GloVe (300-d)
 * token embeddings:
 *   L_T1 dense per token D_text -> dense_units, BN, ReLU
 *   L_T2 conv1d dense_units -> conv1_filters (kernel conv1_kernel), BN, ReLU
 *   L_T3 conv1d -> conv2_filters (kernel conv2_kernel), BN, ReLU  [dropout at its input]
 *   L_T4 masked mean pool over tokens
 *   L_T5 dense -> K logits (softmax in the loss), no BN
 * "We applied batch normalization in all layers" is read as: after the linear part of
 * every hidden layer (L_T1..L_T3), before the ReLU; not on the logits. */
#include <string.h>

#include "nn/model_internal.h"

int ef_text_branch_register(ef_branch *br, ef_params *p, const ef_model_config *cfg, int with_head)
{
    const ef_text_config *t = &cfg->text;
    memset(br, 0, sizeof *br);
    strcpy(br->name, "text");
    if (ef_branch_add_block(br, p, "text.t1", "L_T1", BLK_DENSE, t->input_dim, t->dense_units, 1, t->batch_norm,
                            0.0f) != 0 ||
        ef_branch_add_block(br, p, "text.t2", "L_T2", BLK_CONV, t->dense_units, t->conv1_filters, t->conv1_kernel,
                            t->batch_norm, 0.0f) != 0 ||
        ef_branch_add_block(br, p, "text.t3", "L_T3", BLK_CONV, t->conv1_filters, t->conv2_filters, t->conv2_kernel,
                            t->batch_norm, t->dropout) != 0)
        return -1;
    return with_head ? ef_branch_add_head(br, p, cfg->n_classes) : 0;
}
