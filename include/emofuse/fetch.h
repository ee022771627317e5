/* Download pretrained model files from the Hugging Face hub (or a mirror with the same URL
 * layout) over HTTPS with libcurl: resumable ("<file>.part" + HTTP Range), retried,
 * hash-verified, and renamed into place only when complete and verified.
 *
 * URL of a file: {endpoint}/{repo}/resolve/main/{file}, endpoint from the environment
 * variable EMOFUSE_HF_ENDPOINT (default https://huggingface.co).
 *
 * What is verified (docs/models-fetch.md):
 *   - the expected hash comes, in this order, from a manifest given by the caller
 *     (sha256sum format "<64 hex>  <file>"), else from the hub's response headers to a
 *     HEAD request: X-Linked-Etag (LFS files: their sha256) or ETag;
 *   - a 64-hex value is a SHA-256 of the content; a 40-hex value is the git blob id
 *     (SHA-1 of "blob <size>\0" + content) that the hub uses as ETag of small non-LFS
 *     files (config.json, vocab.txt); any other ETag (e.g. a CDN's MD5) verifies nothing
 *     and the result says so (ef_fetch_result.verified = 0);
 *   - sizes: X-Linked-Size / Content-Length must match the bytes received. */
#ifndef EMOFUSE_FETCH_H
#define EMOFUSE_FETCH_H

#include <stdint.h>

#include "emofuse/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EF_FETCH_DEFAULT_ENDPOINT "https://huggingface.co"

/* Progress of one file: bytes present so far (including a resumed .part) and total
 * (-1 when unknown). Called at most ~10 times a second and once at the end. */
typedef void (*ef_fetch_progress_fn)(void *ctx, const char *file, int64_t done, int64_t total);
/* One-line notes for the user: "resuming x at 123 bytes", "retry 2/5 in 2 s: ...". */
typedef void (*ef_fetch_log_fn)(void *ctx, const char *msg);

typedef struct {
    const char *endpoint;       /* NULL = $EMOFUSE_HF_ENDPOINT or the default */
    const char *manifest_path;  /* optional sha256sum-format file of expected hashes */
    int retries;                /* extra attempts after a network error or HTTP 5xx/429; default 5 */
    double retry_delay_s;       /* first back-off, doubled per retry (max 60 s); default 1 */
    long connect_timeout_s;     /* default 30 */
    long stall_timeout_s;       /* abort an attempt after this long below 1 byte/s; default 60 */
    int force;                  /* download again even when a verified file is present */
    ef_fetch_progress_fn progress;
    ef_fetch_log_fn log;
    void *ctx;                  /* passed to progress and log */
} ef_fetch_opts;

/* Defaults as documented above (callbacks NULL). */
void ef_fetch_default_params(ef_fetch_opts *o);

typedef struct {
    int64_t bytes;              /* final size of the file */
    int64_t downloaded;         /* bytes transferred in this call (0 when already present) */
    int resumed;                /* a .part was continued with a Range request */
    int skipped;                /* already present and verified: nothing transferred */
    int verified;               /* 1 when the content matched an expected hash */
    char algo[12];              /* "sha256", "sha1-git" or "" */
    char digest[65];            /* expected = actual hex digest when verified */
} ef_fetch_result;

/* Download one URL to dest_path (via dest_path.part). expected_hex: a 64-hex SHA-256,
 * a 40-hex git blob id, or NULL to take it from the response headers. On an HTTP error
 * the message names the URL and the status ("<url>: HTTP 404"). result may be NULL. */
ef_code ef_fetch_url(const char *url, const char *dest_path, const char *expected_hex, const ef_fetch_opts *opts,
                     ef_fetch_result *result, ef_error *err);

/* Download {repo}/resolve/main/{file} for each of files[0..n_files) into dir (created if
 * missing). Stops at the first failure; results may be NULL or hold n_files entries. */
ef_code ef_fetch_repo_files(const char *repo, const char *const *files, int n_files, const char *dir,
                            const ef_fetch_opts *opts, ef_fetch_result *results, ef_error *err);

/* The files a BERT checkpoint needs: config.json, vocab.txt, model.safetensors. */
extern const char *const ef_fetch_bert_files[3];

/* Hex digest of a whole local file: algo "sha256" or "sha1-git". out holds 65 bytes. */
ef_code ef_fetch_file_digest(const char *path, const char *algo, char *out, ef_error *err);

#ifdef __cplusplus
}
#endif
#endif
