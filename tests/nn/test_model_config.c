/* Model configuration: paper defaults (232-d early-fusion embedding), JSON overrides,
 * exact round trip through the JSON form, and errors naming the offending key. */
#include <stdlib.h>
#include <string.h>

#include "emofuse/nn_model.h"
#include "testutil.h"

int main(void)
{
    ef_model_config c = ef_model_config_default_params(EF_SYS_EF);
    ef_error err;
    CHECK(c.text.dense_units == 128 && c.text.conv2_filters + c.audio.conv2_filters == 232);
    CHECK(c.fusion_hidden == 128 && c.n_classes == 4 && c.audio.dropout == 0.5f && c.text.dropout == 0.0f);
    CHECK(ef_model_config_validate(&c, &err) == EF_OK);

    CHECK(ef_model_config_from_json(&c, "{\"audio\": {\"conv2_kernel\": 7, \"dropout\": 0.25}, \"system\": \"lf\"}",
                                    "t", &err) == EF_OK);
    CHECK(c.audio.conv2_kernel == 7 && c.audio.dropout == 0.25f && c.system == EF_SYS_LF);
    CHECK(c.audio.conv1_kernel == 5); /* untouched */

    char *j = ef_model_config_to_json(&c);
    ef_model_config d = ef_model_config_default_params(EF_SYS_TEXT);
    CHECK(ef_model_config_from_json(&d, j, "round trip", &err) == EF_OK);
    char *j2 = ef_model_config_to_json(&d);
    CHECK(strcmp(j, j2) == 0 && d.audio.dropout == c.audio.dropout && d.bn_momentum == c.bn_momentum &&
          d.bn_eps == c.bn_eps && d.system == c.system);
    free(j);
    free(j2);

    static const struct {
        const char *json, *needle;
    } bad[] = {
        {"{\"text\": {\"dense_unit\": 3}}", "text.dense_unit"},
        {"{\"text\": {\"dense_units\": 3.5}}", "text.dense_units"},
        {"{\"audio\": {\"batch_norm\": 1}}", "audio.batch_norm"},
        {"{\"audio\": {\"dropout\": 1.0}}", "audio.dropout"},
        {"{\"text\": {\"conv1_kernel\": 0}}", "text.conv1_kernel"},
        {"{\"system\": \"mid\"}", "system"},
        {"{\"fusion\": 3}", "fusion"},
        {"[1, 2]", "JSON object"},
        {"{\"n_classes\": 4,", "invalid JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ef_model_config e = ef_model_config_default_params(EF_SYS_EF);
        ef_code rc = ef_model_config_from_json(&e, bad[i].json, "cfg.json", &err);
        CHECK_MSG(rc != EF_OK && strstr(err.msg, bad[i].needle) && strstr(err.msg, "cfg.json"), "%s -> %s",
                  bad[i].json, rc == EF_OK ? "accepted" : err.msg);
    }
    CHECK(ef_model_config_load(&c, "/nonexistent/cfg.json", &err) == EF_ERR_IO);
    return ef_test_exit();
}
