/* The systems an experiment can list, and their model sizes per variant. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "experiment/internal.h"

ef_code exp_system_parse(const char *name, const char *fusion_text, exp_system *out, ef_error *err)
{
    memset(out, 0, sizeof *out);
    if (strlen(name) >= sizeof out->name) return ef_fail(err, EF_ERR_ARG, "unknown system '%s'", name);
    snprintf(out->name, sizeof out->name, "%s", name);
    if (strcmp(name, "audio") == 0) {
        out->sys = EF_SYS_AUDIO;
        out->inputs = EXP_IN_AUDIO;
        return EF_OK;
    }
    if (strcmp(name, "bert") == 0 || strcmp(name, "glove") == 0) {
        out->sys = EF_SYS_TEXT;
        out->inputs = name[0] == 'b' ? EXP_IN_BERT : EXP_IN_GLOVE;
        return EF_OK;
    }
    /* ef-cs, lf-pt, ...: early/late fusion with a training strategy. */
    char kind[4] = "", strat[4] = "";
    if (strlen(name) == 5 && name[2] == '-') {
        memcpy(kind, name, 2);
        memcpy(strat, name + 3, 2);
    }
    if ((ef_system_parse(kind, &out->sys) != 0 || (out->sys != EF_SYS_EF && out->sys != EF_SYS_LF)) ||
        ef_strategy_parse(strat, &out->strat) != 0)
        return ef_fail(err, EF_ERR_ARG,
                       "unknown system '%s' (audio, bert, glove, or ef|lf-cs|pt|ws such as ef-cs, lf-pt)", name);
    if (strcmp(fusion_text, "bert") != 0 && strcmp(fusion_text, "glove") != 0)
        return ef_fail(err, EF_ERR_ARG, "fusion_text '%s' is not bert or glove", fusion_text);
    snprintf(out->text_system, sizeof out->text_system, "%s", fusion_text);
    out->inputs = EXP_IN_AUDIO | (fusion_text[0] == 'b' ? EXP_IN_BERT : EXP_IN_GLOVE);
    return EF_OK;
}

/* Widths scale; kernels, rates and the class count do not. */
static int scaled(int v, double f)
{
    int s = (int)lround(v * f);
    return s < 1 ? 1 : s;
}

ef_code exp_model_config(const ef_experiment *x, const exp_system *s, const char *variant, int text_dim,
                         int audio_dim, ef_model_config *cfg, ef_error *err)
{
    *cfg = ef_model_config_default_params(s->sys);
    ef_code rc = ef_model_config_from_json(cfg, exp_model_json(x), "experiment setting 'model'", err);
    if (rc) return rc;
    cfg->system = s->sys;
    double f = strcmp(variant, "small") == 0 ? 0.5 : strcmp(variant, "large") == 0 ? 2.0 : 1.0;
    if (f == 1.0 && strcmp(variant, "default") != 0)
        return ef_fail(err, EF_ERR_ARG, "unknown variant '%s' (small, default, large)", variant);
    cfg->text.dense_units = scaled(cfg->text.dense_units, f);
    cfg->text.conv1_filters = scaled(cfg->text.conv1_filters, f);
    cfg->text.conv2_filters = scaled(cfg->text.conv2_filters, f);
    cfg->audio.conv1_filters = scaled(cfg->audio.conv1_filters, f);
    cfg->audio.conv2_filters = scaled(cfg->audio.conv2_filters, f);
    cfg->fusion_hidden = scaled(cfg->fusion_hidden, f);
    if (text_dim > 0) cfg->text.input_dim = text_dim;
    if (audio_dim > 0) cfg->audio.input_dim = audio_dim;
    return ef_model_config_validate(cfg, err);
}
