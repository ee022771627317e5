/* The run plan: every (system, variant, protocol, seed, fold) of the grid, grouped into
 * units (variant, protocol, seed, fold) whose runs share a worker so that fusion runs
 * find their branch models, with a key hashing everything that determines a result. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/hash.h"
#include "experiment/internal.h"

const ef_store *exp_text_store(const exp_plan *p, const exp_system *s)
{
    if (s->inputs & EXP_IN_BERT) return p->bert;
    if (s->inputs & EXP_IN_GLOVE) return p->glove;
    return NULL;
}

void exp_plan_free(exp_plan *p)
{
    for (int i = 0; i < p->n_protocols; i++) ef_folds_free(p->folds[i]);
    ef_store_close(p->audio);
    ef_store_close(p->bert);
    ef_store_close(p->glove);
    ef_manifest_free(p->manifest);
    free(p->runs);
    memset(p, 0, sizeof *p);
}

static int add_unique(const char **list, int n, const char *v)
{
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], v) == 0) return n;
    list[n] = v;
    return n + 1;
}

/* One block of the grid (main or figure2), as lists. */
typedef struct {
    const char *systems[EXP_MAX_LIST], *protocols[EXP_MAX_LIST], *variants[EXP_MAX_LIST];
    int ns, np, nv;
} block;

/* Hash of the ids and labels of one role of a fold, and their feature lengths, so a
 * changed fold, label or feature file changes every key that depends on it. */
static uint64_t hash_role(uint64_t h, const exp_plan *p, const ef_folds *f, int fold, ef_fold_role role, int inputs)
{
    const int64_t *rows = ef_folds_rows(f, fold, role);
    int ecol = ef_manifest_column(p->manifest, "emotion");
    for (int64_t i = 0; i < ef_folds_size(f, fold, role); i++) {
        const char *id = ef_manifest_id(p->manifest, rows[i]);
        h = ef_fnv1a64_str(h, id);
        h = ef_fnv1a64_str(h, ef_manifest_cell(p->manifest, rows[i], ecol));
        const ef_store *stores[3] = {inputs & EXP_IN_AUDIO ? p->audio : NULL, inputs & EXP_IN_BERT ? p->bert : NULL,
                                     inputs & EXP_IN_GLOVE ? p->glove : NULL};
        for (int s = 0; s < 3; s++) {
            const float *r;
            int64_t T = -1;
            if (stores[s] && ef_store_get(stores[s], id, &r, &T, NULL) == EF_OK) h = ef_fnv1a64(h, &T, sizeof T);
        }
    }
    return h;
}

static uint64_t run_key(const exp_plan *p, exp_run *r, ef_error *err, ef_code *rc)
{
    const ef_experiment *x = p->x;
    const ef_store *ts = exp_text_store(p, &r->sys);
    *rc = exp_model_config(x, &r->sys, r->variant, ts ? ef_store_dim(ts) : 0, p->audio ? ef_store_dim(p->audio) : 0,
                           &r->cfg, err);
    if (*rc) return 0;
    char *cj = ef_model_config_to_json(&r->cfg);
    char desc[1536];
    int cands[EXP_MAX_CANDIDATES], nc = exp_selection(x) == EXP_SELECT_OFF ? 0 : exp_candidates(x, cands, EXP_MAX_CANDIDATES);
    char sel[512] = "";
    for (int i = 0; i < nc; i++) snprintf(sel + strlen(sel), sizeof sel - strlen(sel), " %d", cands[i]);
    snprintf(desc, sizeof desc, "emofuse-run-1|%s|%s|%s|seed %d|fold %s|epochs %d|batch %d|select %s%s", r->sys.name,
             r->variant, r->protocol, r->seed, ef_folds_name(p->folds[r->protocol_index], r->fold),
             exp_epochs(x, r->sys.name), exp_int(x, "batch_size"), exp_str(x, "select_epochs"), sel);
    uint64_t h = ef_fnv1a64_str(EF_FNV1A64_INIT, desc);
    h = ef_fnv1a64_str(h, cj ? cj : "");
    free(cj);
    const ef_store *stores[3] = {r->sys.inputs & EXP_IN_AUDIO ? p->audio : NULL, r->sys.inputs & EXP_IN_BERT ? p->bert : NULL,
                                 r->sys.inputs & EXP_IN_GLOVE ? p->glove : NULL};
    for (int s = 0; s < 3; s++)
        if (stores[s]) {
            const char *c = ef_store_meta(stores[s], "emofuse.config");
            h = ef_fnv1a64_str(h, c ? c : "");
        }
    const ef_folds *f = p->folds[r->protocol_index];
    h = hash_role(h, p, f, r->fold, EF_ROLE_TRAIN, r->sys.inputs);
    h = hash_role(h, p, f, r->fold, EF_ROLE_TEST, r->sys.inputs);
    if (r->dep_text >= 0) h = ef_fnv1a64(h, &p->runs[r->dep_text].key, sizeof(uint64_t));
    if (r->dep_audio >= 0) h = ef_fnv1a64(h, &p->runs[r->dep_audio].key, sizeof(uint64_t));
    return h;
}

/* Append one run (and, for PT/WS, the branch runs it starts from) unless present. */
static int64_t find_run(const exp_plan *p, int64_t from, const char *system, const char *variant, int pi, int seed,
                        int fold)
{
    for (int64_t i = from; i < p->n_runs; i++) {
        const exp_run *r = &p->runs[i];
        if (r->protocol_index == pi && r->seed == seed && r->fold == fold && !strcmp(r->variant, variant) &&
            !strcmp(r->sys.name, system))
            return i;
    }
    return -1;
}

static ef_code add_run(exp_plan *p, int64_t unit_start, const char *system, const char *variant, int pi, int seed,
                       int fold, int unit, bool listed, int64_t *cap, int64_t *index, ef_error *err)
{
    int64_t have = find_run(p, unit_start, system, variant, pi, seed, fold);
    if (have >= 0) {
        p->runs[have].listed |= listed;
        *index = have;
        return EF_OK;
    }
    exp_system sys;
    ef_code rc = exp_system_parse(system, exp_str(p->x, "fusion_text"), &sys, err);
    if (rc) return rc;
    int64_t dt = -1, da = -1;
    if (sys.strat != EF_STRAT_CS) {
        /* Branch models first, so a unit's runs are in dependency order. */
        if ((rc = add_run(p, unit_start, sys.text_system, variant, pi, seed, fold, unit, false, cap, &dt, err))) return rc;
        if ((rc = add_run(p, unit_start, "audio", variant, pi, seed, fold, unit, false, cap, &da, err))) return rc;
    }
    if (p->n_runs == *cap) {
        *cap = *cap ? 2 * *cap : 256;
        exp_run *nr = realloc(p->runs, sizeof *nr * (size_t)*cap);
        if (!nr) return ef_fail(err, EF_ERR_NOMEM, "experiment: out of memory");
        p->runs = nr;
    }
    exp_run *r = &p->runs[p->n_runs];
    memset(r, 0, sizeof *r);
    r->sys = sys;
    r->variant = variant;
    r->protocol = p->protocols[pi];
    r->protocol_index = pi;
    r->seed = seed;
    r->fold = fold;
    r->unit = unit;
    r->dep_text = (int)dt;
    r->dep_audio = (int)da;
    r->listed = listed;
    /* Table 1's systems keep their plain names: the main protocol and the default size
     * add no suffix. */
    snprintf(r->name, sizeof r->name, "%s%s%s%s%s", system, strcmp(variant, "default") ? "-" : "",
             strcmp(variant, "default") ? variant : "", pi ? "-" : "", pi ? p->protocols[pi] : "");
    r->key = run_key(p, r, err, &rc);
    if (rc) return rc;
    snprintf(r->path, sizeof r->path, "%s/runs/%s/seed%d/%s-%016" PRIx64 ".csv", p->out, r->name, seed,
             ef_folds_name(p->folds[pi], fold), r->key);
    *index = p->n_runs++;
    return EF_OK;
}

ef_code exp_plan_build(exp_plan *p, const ef_experiment *x, const char *out_dir, ef_error *err)
{
    memset(p, 0, sizeof *p);
    p->x = x;
    snprintf(p->out, sizeof p->out, "%s", out_dir);
    block b[2];
    memset(b, 0, sizeof b);
    int nb = 1;
    b[0].ns = exp_list(x, "systems", NULL, b[0].systems, EXP_MAX_LIST);
    b[0].np = exp_list(x, "protocol", NULL, b[0].protocols, EXP_MAX_LIST);
    b[0].nv = exp_list(x, "variants", NULL, b[0].variants, EXP_MAX_LIST);
    if (exp_has_block(x, "figure2")) {
        b[1].ns = exp_list(x, "figure2", "systems", b[1].systems, EXP_MAX_LIST);
        b[1].np = exp_list(x, "figure2", "protocols", b[1].protocols, EXP_MAX_LIST);
        b[1].nv = exp_list(x, "figure2", "variants", b[1].variants, EXP_MAX_LIST);
        nb = 2;
    }
    /* Systems without their features are left out: glove without a GloVe file. */
    for (int k = 0; k < nb; k++) {
        int w = 0;
        for (int i = 0; i < b[k].ns; i++)
            if (strcmp(b[k].systems[i], "glove") != 0 || exp_str(x, "glove")[0]) b[k].systems[w++] = b[k].systems[i];
        b[k].ns = w;
        for (int i = 0; i < b[k].np; i++) p->n_protocols = add_unique(p->protocols, p->n_protocols, b[k].protocols[i]);
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.csv", out_dir);
    ef_code rc = ef_manifest_load(&p->manifest, path, err);
    bool need[3] = {false, false, false};
    for (int k = 0; k < nb && !rc; k++)
        for (int i = 0; i < b[k].ns && !rc; i++) {
            exp_system s;
            rc = exp_system_parse(b[k].systems[i], exp_str(x, "fusion_text"), &s, err);
            need[0] |= s.inputs & EXP_IN_AUDIO, need[1] |= (s.inputs & EXP_IN_BERT) != 0,
                need[2] |= (s.inputs & EXP_IN_GLOVE) != 0;
        }
    static const char *const store_names[3] = {"audio", "bert", "glove"};
    ef_store **stores[3] = {&p->audio, &p->bert, &p->glove};
    for (int s = 0; s < 3 && !rc; s++)
        if (need[s]) {
            snprintf(path, sizeof path, "%s/features/%s.safetensors", out_dir, store_names[s]);
            rc = ef_store_open(stores[s], path, err);
        }
    if (!rc && p->bert) {
        /* bert=random, or a folder written by `emofuse models random-bert`. */
        const char *model = exp_str(x, "bert");
        snprintf(path, sizeof path, "%s/config.json", model);
        json_object *cfg = strcmp(model, "random") ? json_object_from_file(path) : NULL;
        p->bert_random = !strcmp(model, "random") ||
                         json_object_get_boolean(json_object_object_get(cfg, "emofuse_random_encoder"));
        json_object_put(cfg);
    }
    for (int i = 0; i < p->n_protocols && !rc; i++) {
        ef_folds_params fp = ef_folds_default_params();
        fp.k = exp_int(x, "k");
        fp.seed = (uint64_t)exp_int(x, "fold_seed");
        if ((rc = ef_fold_protocol_parse(p->protocols[i], &fp, err))) break;
        snprintf(path, sizeof path, "%s/folds/%s.csv", out_dir, p->protocols[i]);
        rc = ef_folds_load(&p->folds[i], path, p->manifest, &fp, err);
    }
    /* Units in a fixed order: block, protocol, variant, seed, fold; runs inside a unit in
     * the order systems are listed (branches before the fusion runs that need them). */
    int64_t cap = 0;
    int seeds = exp_int(x, "seeds");
    for (int k = 0; k < nb && !rc; k++)
        for (int ip = 0; ip < b[k].np && !rc; ip++) {
            int pi = add_unique(p->protocols, p->n_protocols, b[k].protocols[ip]);
            for (pi = 0; strcmp(p->protocols[pi], b[k].protocols[ip]); pi++) {
            }
            for (int iv = 0; iv < b[k].nv && !rc; iv++)
                for (int seed = 1; seed <= seeds && !rc; seed++)
                    for (int fold = 0; fold < ef_folds_count(p->folds[pi]) && !rc; fold++) {
                        /* An identical unit from an earlier block is reused (figure2 shares
                         * Table 1's bert/audio runs under the main protocol). */
                        int64_t start = 0, found = -1;
                        for (int64_t i = 0; i < p->n_runs; i++)
                            if (p->runs[i].protocol_index == pi && p->runs[i].seed == seed && p->runs[i].fold == fold &&
                                !strcmp(p->runs[i].variant, b[k].variants[iv])) {
                                found = p->runs[i].unit;
                                start = i;
                                break;
                            }
                        int unit = found >= 0 ? (int)found : p->n_units++;
                        if (found < 0) start = p->n_runs;
                        for (int is = 0; is < b[k].ns && !rc; is++) {
                            int64_t idx;
                            rc = add_run(p, start, b[k].systems[is], b[k].variants[iv], pi, seed, fold, unit, true,
                                         &cap, &idx, err);
                        }
                    }
        }
    if (rc) {
        exp_plan_free(p);
        return rc;
    }
    return EF_OK;
}
