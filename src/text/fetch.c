/* Resumable, verified model downloads over HTTP(S) with libcurl (contract: fetch.h,
 * docs/models-fetch.md). Flow per file:
 *   1. HEAD {url} without following CDN redirects (the hub puts X-Linked-Etag / X-Linked-Size
 *      of LFS files on its 302; relative redirects such as renamed repos are followed);
 *   2. an existing verified dest file is kept; otherwise GET into "<dest>.part", appending
 *      with "Range: bytes=<part size>-" when a part exists, retrying transient failures
 *      (network errors, 5xx, 429) with doubling back-off, each retry resuming the part;
 *   3. check the size, hash the complete part (SHA-256 or git-blob SHA-1), fsync, rename. */
#include "emofuse/fetch.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "emofuse/atomic_file.h"
#include "emofuse/progress.h"

const char *const ef_fetch_bert_files[3] = {"config.json", "vocab.txt", "model.safetensors"};

void ef_fetch_default_params(ef_fetch_opts *o)
{
    memset(o, 0, sizeof *o);
    o->retries = 5;
    o->retry_delay_s = 1.0;
    o->connect_timeout_s = 30;
    o->stall_timeout_s = 60;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static void logf_(const ef_fetch_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(const ef_fetch_opts *o, const char *fmt, ...)
{
    if (!o->log) return;
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    o->log(o->ctx, msg);
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !ef_interrupted()) {
    }
}

/* ---- hashing ------------------------------------------------------------------------ */

static void to_hex(const unsigned char *d, unsigned n, char *out)
{
    for (unsigned i = 0; i < n; i++) snprintf(out + 2 * i, 3, "%02x", d[i]);
}

ef_code ef_fetch_file_digest(const char *path, const char *algo, char *out, ef_error *err)
{
    int git = strcmp(algo, "sha1-git") == 0;
    if (!git && strcmp(algo, "sha256") != 0) return ef_fail(err, EF_ERR_ARG, "%s: unknown digest '%s'", path, algo);
    FILE *fp = fopen(path, "rb");
    if (!fp) return ef_fail(err, EF_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(fp), &st) != 0) {
        fclose(fp);
        return ef_fail(err, EF_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *buf = malloc(1 << 20);
    ef_code rc = EF_OK;
    if (!ctx || !buf || !EVP_DigestInit_ex(ctx, git ? EVP_sha1() : EVP_sha256(), NULL)) {
        rc = ef_fail(err, EF_ERR_NOMEM, "%s: cannot set up %s", path, algo);
        goto done;
    }
    if (git) {
        /* git's blob id: SHA-1 over "blob <size>\0" followed by the content */
        char hdr[64];
        int n = snprintf(hdr, sizeof hdr, "blob %lld", (long long)st.st_size);
        EVP_DigestUpdate(ctx, hdr, (size_t)n + 1);
    }
    size_t n;
    while ((n = fread(buf, 1, 1 << 20, fp)) > 0) EVP_DigestUpdate(ctx, buf, n);
    if (ferror(fp)) {
        rc = ef_fail(err, EF_ERR_IO, "%s: read failed", path);
        goto done;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    to_hex(md, mdlen, out);
done:
    EVP_MD_CTX_free(ctx);
    free(buf);
    fclose(fp);
    return rc;
}

/* Normalise an ETag or manifest value: strip W/, quotes, spaces; lower-case. Returns the
 * algorithm it denotes ("sha256", "sha1-git") or NULL when it is no usable hash. */
static const char *hash_kind(const char *in, char *out65)
{
    if (!in) return NULL;
    while (isspace((unsigned char)*in)) in++;
    if (strncmp(in, "W/", 2) == 0) in += 2;
    if (*in == '"') in++;
    size_t n = 0;
    while (n < 64 && isxdigit((unsigned char)in[n])) {
        out65[n] = (char)tolower((unsigned char)in[n]);
        n++;
    }
    out65[n] = '\0';
    char next = in[n];
    if (next != '\0' && next != '"' && !isspace((unsigned char)next)) return NULL;
    return n == 64 ? "sha256" : n == 40 ? "sha1-git" : NULL;
}

/* ---- HTTP --------------------------------------------------------------------------- */

typedef struct {
    long status;
    char linked_etag[128], etag[128], location[2048];
    int64_t linked_size, content_length;
    int64_t range_start, range_total; /* from Content-Range of a 206 */
} resp_headers;

static void headers_reset(resp_headers *h)
{
    memset(h, 0, sizeof *h);
    h->linked_size = h->content_length = h->range_start = h->range_total = -1;
}

static void copy_value(char *dst, size_t cap, const char *v, size_t n)
{
    while (n && isspace((unsigned char)*v)) v++, n--;
    while (n && isspace((unsigned char)v[n - 1])) n--;
    if (n >= cap) n = cap - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static size_t on_header(char *data, size_t size, size_t nitems, void *ud)
{
    resp_headers *h = ud;
    size_t n = size * nitems;
    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        /* a new response (e.g. after a redirect): forget the previous one's headers */
        headers_reset(h);
        const char *sp = memchr(data, ' ', n);
        if (sp) h->status = strtol(sp + 1, NULL, 10);
        return n;
    }
    const char *colon = memchr(data, ':', n);
    if (!colon) return n;
    size_t klen = (size_t)(colon - data);
    const char *v = colon + 1;
    size_t vlen = n - klen - 1;
    char tmp[64];
    if (klen == 13 && strncasecmp(data, "X-Linked-Etag", 13) == 0)
        copy_value(h->linked_etag, sizeof h->linked_etag, v, vlen);
    else if (klen == 4 && strncasecmp(data, "ETag", 4) == 0)
        copy_value(h->etag, sizeof h->etag, v, vlen);
    else if (klen == 8 && strncasecmp(data, "Location", 8) == 0)
        copy_value(h->location, sizeof h->location, v, vlen);
    else if (klen == 13 && strncasecmp(data, "X-Linked-Size", 13) == 0) {
        copy_value(tmp, sizeof tmp, v, vlen);
        h->linked_size = strtoll(tmp, NULL, 10);
    } else if (klen == 14 && strncasecmp(data, "Content-Length", 14) == 0) {
        copy_value(tmp, sizeof tmp, v, vlen);
        h->content_length = strtoll(tmp, NULL, 10);
    } else if (klen == 13 && strncasecmp(data, "Content-Range", 13) == 0) {
        copy_value(tmp, sizeof tmp, v, vlen);
        long long a, b, t;
        if (sscanf(tmp, "bytes %lld-%lld/%lld", &a, &b, &t) == 3) {
            h->range_start = a;
            h->range_total = t;
        }
    }
    return n;
}

static struct curl_slist *auth_headers(void)
{
    const char *tok = getenv("HF_TOKEN");
    if (!tok || !*tok) return NULL;
    char line[1024];
    snprintf(line, sizeof line, "Authorization: Bearer %s", tok);
    return curl_slist_append(NULL, line);
}

static void common_setup(CURL *c, const char *url, const ef_fetch_opts *o, struct curl_slist *hdrs)
{
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "emofuse/" EMOFUSE_VERSION);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o->connect_timeout_s);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, o->stall_timeout_s);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    if (hdrs) curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
}

static int transient_status(long s) { return s == 429 || s >= 500; }

typedef struct {
    char url[2048];         /* after relative redirects */
    const char *algo;       /* of expected, or NULL */
    char expected[65];
    int64_t size;           /* -1 unknown */
} file_meta;

/* Resolve "/path" against the scheme://host of base; false when it does not fit. */
static int resolve_relative(const char *base, const char *loc, char *out, size_t cap)
{
    const char *p = strstr(base, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    size_t host_len = p ? (size_t)(p - base) : strlen(base);
    if (host_len + strlen(loc) + 1 > cap) return 0;
    memcpy(out, base, host_len);
    memcpy(out + host_len, loc, strlen(loc) + 1);
    return 1;
}

/* HEAD the URL, following only same-host (relative) redirects like huggingface_hub does.
 * Returns EF_OK, or an error; *transient says whether retrying may help. */
static ef_code head_meta(const char *url, const ef_fetch_opts *o, file_meta *m, int *transient, ef_error *err)
{
    *transient = 0;
    if (strlen(url) >= sizeof m->url) return ef_fail(err, EF_ERR_ARG, "%.64s...: URL too long", url);
    memcpy(m->url, url, strlen(url) + 1);
    m->algo = NULL;
    m->size = -1;
    CURL *c = curl_easy_init();
    if (!c) return ef_fail(err, EF_ERR_NOMEM, "%s: cannot create a curl handle", url);
    struct curl_slist *hdrs = auth_headers();
    resp_headers h;
    ef_code rc = EF_OK;
    for (int hop = 0;; hop++) {
        headers_reset(&h);
        curl_easy_reset(c);
        common_setup(c, m->url, o, hdrs);
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
        CURLcode cc = curl_easy_perform(c);
        if (cc != CURLE_OK) {
            *transient = 1;
            rc = ef_fail(err, EF_ERR_NETWORK, "%s: %s", m->url, curl_easy_strerror(cc));
            break;
        }
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 300 && status < 400 && h.location[0] == '/' && hop < 5) {
            char next[sizeof m->url];
            if (!resolve_relative(m->url, h.location, next, sizeof next)) {
                rc = ef_fail(err, EF_ERR_NETWORK, "%s: redirect target too long", m->url);
                break;
            }
            memcpy(m->url, next, sizeof next);
            continue;
        }
        if (status >= 400) {
            *transient = transient_status(status);
            rc = ef_fail(err, EF_ERR_NETWORK, "%s: HTTP %ld%s", m->url, status,
                         status == 404 ? " (not found)" : status == 401 || status == 403 ? " (access denied: set HF_TOKEN?)" : "");
            break;
        }
        /* 2xx, or a redirect to a CDN whose headers describe the file (LFS). */
        char hex[65];
        const char *k = hash_kind(h.linked_etag[0] ? h.linked_etag : h.etag, hex);
        if (k) {
            m->algo = k;
            memcpy(m->expected, hex, sizeof hex);
        }
        m->size = h.linked_size >= 0 ? h.linked_size : (status < 300 ? h.content_length : -1);
        break;
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    return rc;
}

typedef struct {
    FILE *fp;
    const char *part;
    int64_t offset;         /* bytes in the part before this transfer */
    int64_t written;        /* bytes written in this transfer */
    int restarted;          /* the server ignored our Range: the part was truncated */
    int bad_range;          /* the server answered a different range */
    int started;
    resp_headers h;
    CURL *c;
    const ef_fetch_opts *o;
    const char *name;
    int64_t total_hint;
    double last_progress;
} get_state;

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    get_state *s = ud;
    size_t n = size * nmemb;
    if (!s->started) {
        s->started = 1;
        long status = 0;
        curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &status);
        if (s->offset > 0 && status == 200) {
            /* Range ignored: the whole file comes again, start the part over. */
            if (ftruncate(fileno(s->fp), 0) != 0 || fseek(s->fp, 0, SEEK_SET) != 0) return 0;
            s->offset = 0;
            s->restarted = 1;
        } else if (s->offset > 0 && status == 206 && s->h.range_start != s->offset) {
            s->bad_range = 1;
            return 0;
        }
    }
    if (fwrite(data, 1, n, s->fp) != n) return 0;
    s->written += (int64_t)n;
    return n;
}

static int on_xfer(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void)ultotal;
    (void)ulnow;
    get_state *s = ud;
    if (ef_interrupted()) return 1; /* abort: the part stays for a later resume */
    double now = ef_now();
    if (s->o->progress && now - s->last_progress >= 0.1) {
        s->last_progress = now;
        int64_t total = dltotal > 0 ? s->offset + (int64_t)dltotal : s->total_hint;
        s->o->progress(s->o->ctx, s->name, s->offset + (int64_t)dlnow, total);
    }
    return 0;
}

static int64_t file_size_or(const char *path, int64_t dflt)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : dflt;
}

/* One GET attempt appending to the part. *transient: retrying may help. */
static ef_code get_once(const char *url, const char *part, const char *name, const ef_fetch_opts *o,
                        int64_t total_hint, ef_fetch_result *r, int *transient, ef_error *err)
{
    *transient = 0;
    get_state s;
    memset(&s, 0, sizeof s);
    s.fp = fopen(part, "ab");
    if (!s.fp) return ef_fail(err, EF_ERR_IO, "%s: cannot open: %s", part, strerror(errno));
    s.part = part;
    s.offset = file_size_or(part, 0);
    s.o = o;
    s.name = name;
    s.total_hint = total_hint;
    headers_reset(&s.h);
    if (s.offset > 0 && total_hint >= 0 && s.offset > total_hint) {
        /* longer than the file can be: start over */
        if (ftruncate(fileno(s.fp), 0) != 0) {
            fclose(s.fp);
            return ef_fail(err, EF_ERR_IO, "%s: cannot truncate: %s", part, strerror(errno));
        }
        s.offset = 0;
    }
    if (s.offset > 0 && s.offset == total_hint) {
        fclose(s.fp); /* complete already (interrupted before the rename) */
        return EF_OK;
    }
    CURL *c = curl_easy_init();
    struct curl_slist *hdrs = auth_headers();
    if (!c) {
        fclose(s.fp);
        return ef_fail(err, EF_ERR_NOMEM, "%s: cannot create a curl handle", url);
    }
    s.c = c;
    common_setup(c, url, o, hdrs);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &s.h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_xfer);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &s);
    if (s.offset > 0) {
        char range[64];
        snprintf(range, sizeof range, "%lld-", (long long)s.offset);
        curl_easy_setopt(c, CURLOPT_RANGE, range);
        r->resumed = 1;
        logf_(o, "%s: resuming at byte %lld", name, (long long)s.offset);
    }
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    int werr = fflush(s.fp) != 0 || ferror(s.fp);
    if (fclose(s.fp) != 0) werr = 1;
    r->downloaded += s.written;
    if (s.restarted) r->resumed = 0;
    ef_code rc = EF_OK;
    if (werr) {
        rc = ef_fail(err, EF_ERR_IO, "%s: write failed: %s", part, strerror(errno));
    } else if (cc == CURLE_ABORTED_BY_CALLBACK && ef_interrupted()) {
        rc = ef_fail(err, EF_ERR_INTERRUPTED, "%s: interrupted (the partial file is kept; run again to resume)", part);
    } else if (s.bad_range) {
        /* Our part and the server disagree: drop it, a retry starts from byte 0. */
        unlink(part);
        *transient = 1;
        rc = ef_fail(err, EF_ERR_NETWORK, "%s: server answered range %lld, asked %lld", url,
                     (long long)s.h.range_start, (long long)s.offset);
    } else if (cc == CURLE_HTTP_RETURNED_ERROR && status == 416 && s.offset > 0) {
        /* Nothing after our part: it may be complete; the size/hash checks decide. */
        rc = EF_OK;
    } else if (cc == CURLE_HTTP_RETURNED_ERROR) {
        *transient = transient_status(status);
        rc = ef_fail(err, EF_ERR_NETWORK, "%s: HTTP %ld%s", url, status, status == 404 ? " (not found)" : "");
    } else if (cc != CURLE_OK) {
        *transient = 1;
        rc = ef_fail(err, EF_ERR_NETWORK, "%s: %s after %lld bytes", url, curl_easy_strerror(cc),
                     (long long)(s.offset + s.written));
    }
    if (o->progress && rc == EF_OK) {
        int64_t have = file_size_or(part, 0);
        o->progress(o->ctx, name, have, have);
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    return rc;
}

static ef_code fsync_path(const char *path, int dir, ef_error *err)
{
    int fd = open(path, dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0) return dir ? EF_OK : ef_fail(err, EF_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    int bad = fsync(fd) != 0 && !dir;
    close(fd);
    return bad ? ef_fail(err, EF_ERR_IO, "%s: fsync failed: %s", path, strerror(errno)) : EF_OK;
}

static void parent_dir(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, cap, ".");
    else if (slash == path)
        snprintf(out, cap, "/");
    else
        snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

ef_code ef_fetch_url(const char *url, const char *dest, const char *expected_hex, const ef_fetch_opts *opts,
                     ef_fetch_result *result, ef_error *err)
{
    pthread_once(&curl_once, curl_init_once);
    ef_fetch_opts dflt;
    if (!opts) {
        ef_fetch_default_params(&dflt);
        opts = &dflt;
    }
    ef_fetch_result rbuf;
    ef_fetch_result *r = result ? result : &rbuf;
    memset(r, 0, sizeof *r);
    const char *name = strrchr(dest, '/') ? strrchr(dest, '/') + 1 : dest;
    char expected_norm[65] = "";
    const char *expected_algo = NULL;
    if (expected_hex && !(expected_algo = hash_kind(expected_hex, expected_norm)))
        return ef_fail(err, EF_ERR_ARG, "%s: expected hash '%.80s' is neither a 64-hex SHA-256 nor a 40-hex git blob id",
                       dest, expected_hex);

    /* Metadata (with retries: it is the first contact with the server). */
    file_meta m;
    double delay = opts->retry_delay_s;
    ef_code rc;
    for (int attempt = 0;; attempt++) {
        int transient = 0;
        rc = head_meta(url, opts, &m, &transient, err);
        if (rc == EF_OK || !transient || attempt >= opts->retries || ef_interrupted()) break;
        logf_(opts, "retry %d/%d in %.1f s: %s", attempt + 1, opts->retries, delay, err ? err->msg : "");
        sleep_s(delay);
        delay = delay * 2 > 60 ? 60 : delay * 2;
    }
    if (rc) return rc;
    if (expected_algo) {
        m.algo = expected_algo;
        memcpy(m.expected, expected_norm, sizeof expected_norm);
    }

    /* Already there? */
    char actual[65] = "";
    if (!opts->force && access(dest, F_OK) == 0) {
        int64_t have = file_size_or(dest, -1);
        if (m.algo) {
            rc = ef_fetch_file_digest(dest, m.algo, actual, err);
            if (rc) return rc;
            if (strcmp(actual, m.expected) == 0) {
                r->skipped = r->verified = 1;
                r->bytes = have;
                snprintf(r->algo, sizeof r->algo, "%s", m.algo);
                snprintf(r->digest, sizeof r->digest, "%s", actual);
                return EF_OK;
            }
            logf_(opts, "%s: present but its %s differs from the server's: downloading again", name, m.algo);
        } else if (m.size >= 0 && have == m.size) {
            r->skipped = 1;
            r->bytes = have;
            logf_(opts, "%s: present with the right size (the server gives no hash to verify)", name);
            return EF_OK;
        }
    }

    size_t plen = strlen(dest) + 6;
    char *part = malloc(plen);
    if (!part) return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", dest);
    snprintf(part, plen, "%s.part", dest);

    delay = opts->retry_delay_s;
    int fresh_retry_used = 0;
    for (int attempt = 0;; attempt++) {
        int transient = 0;
        rc = get_once(m.url, part, name, opts, m.size, r, &transient, err);
        if (rc == EF_OK) {
            int64_t got = file_size_or(part, -1);
            if (m.size >= 0 && got != m.size) {
                transient = 1;
                rc = ef_fail(err, EF_ERR_NETWORK, "%s: received %lld bytes, expected %lld", m.url, (long long)got,
                             (long long)m.size);
                if (got > m.size) unlink(part);
            } else if (m.algo) {
                rc = ef_fetch_file_digest(part, m.algo, actual, err);
                if (rc == EF_OK && strcmp(actual, m.expected) != 0) {
                    int was_resumed = r->resumed;
                    unlink(part);
                    rc = ef_fail(err, EF_ERR_FORMAT, "%s: %s mismatch: expected %s, got %s (corrupted download deleted)",
                                 m.url, m.algo, m.expected, actual);
                    /* A resumed part may predate a change on the server: one fresh try. */
                    if (was_resumed && !fresh_retry_used) {
                        fresh_retry_used = 1;
                        r->resumed = 0;
                        logf_(opts, "%s: hash mismatch after resuming: downloading from scratch", name);
                        attempt--;
                        continue;
                    }
                    break;
                }
            }
            if (rc == EF_OK) break;
        }
        if (!transient || attempt >= opts->retries || ef_interrupted()) break;
        logf_(opts, "retry %d/%d in %.1f s: %s", attempt + 1, opts->retries, delay, err ? err->msg : "");
        sleep_s(delay);
        delay = delay * 2 > 60 ? 60 : delay * 2;
    }
    if (rc == EF_OK) rc = fsync_path(part, 0, err);
    if (rc == EF_OK && rename(part, dest) != 0)
        rc = ef_fail(err, EF_ERR_IO, "%s: cannot rename into place: %s", dest, strerror(errno));
    if (rc == EF_OK) {
        char dir[4096];
        parent_dir(dest, dir, sizeof dir);
        fsync_path(dir, 1, NULL);
        r->bytes = file_size_or(dest, 0);
        r->verified = m.algo != NULL;
        snprintf(r->algo, sizeof r->algo, "%s", m.algo ? m.algo : "");
        snprintf(r->digest, sizeof r->digest, "%s", m.algo ? actual : "");
    }
    free(part);
    return rc;
}

/* Expected hash of `file` from a sha256sum-format manifest ("<hex>  <name>" or
 * "<hex> *<name>"); 1 found, 0 absent, -1 unreadable. */
static int manifest_lookup(const char *manifest, const char *file, char *hex_out, ef_error *err)
{
    FILE *fp = fopen(manifest, "r");
    if (!fp) {
        ef_fail(err, EF_ERR_IO, "%s: cannot open: %s", manifest, strerror(errno));
        return -1;
    }
    char line[1024];
    int found = 0;
    while (!found && fgets(line, sizeof line, fp)) {
        char hex[129], name[800];
        if (sscanf(line, "%128s %799s", hex, name) != 2) continue;
        const char *nm = name[0] == '*' ? name + 1 : name;
        if (strcmp(nm, file) == 0) {
            snprintf(hex_out, 129, "%s", hex);
            found = 1;
        }
    }
    fclose(fp);
    return found;
}

ef_code ef_fetch_repo_files(const char *repo, const char *const *files, int n_files, const char *dir,
                            const ef_fetch_opts *opts, ef_fetch_result *results, ef_error *err)
{
    ef_fetch_opts dflt;
    if (!opts) {
        ef_fetch_default_params(&dflt);
        opts = &dflt;
    }
    const char *endpoint = opts->endpoint;
    if (!endpoint || !*endpoint) endpoint = getenv("EMOFUSE_HF_ENDPOINT");
    if (!endpoint || !*endpoint) endpoint = EF_FETCH_DEFAULT_ENDPOINT;
    size_t elen = strlen(endpoint);
    while (elen > 0 && endpoint[elen - 1] == '/') elen--;
    if (!repo || !*repo || strstr(repo, "..") || repo[0] == '/')
        return ef_fail(err, EF_ERR_ARG, "'%s': not a repository id like 'bert-base-uncased' or 'org/name'", repo ? repo : "");
    ef_code rc = ef_mkdir_p(dir, err);
    if (rc) return rc;
    for (int i = 0; i < n_files; i++) {
        char url[4096], dest[4096], hex[129];
        /* A truncated destination would be another file: refuse instead. */
        if (snprintf(url, sizeof url, "%.*s/%s/resolve/main/%s", (int)elen, endpoint, repo, files[i]) >=
                (int)sizeof url ||
            snprintf(dest, sizeof dest, "%s/%s", dir, files[i]) >= (int)sizeof dest)
            return ef_fail(err, EF_ERR_ARG, "%.64s.../%s: URL or destination path too long", dir, files[i]);
        const char *expected = NULL;
        if (opts->manifest_path) {
            int f = manifest_lookup(opts->manifest_path, files[i], hex, err);
            if (f < 0) return err ? err->code : EF_ERR_IO;
            if (f) expected = hex;
        }
        rc = ef_fetch_url(url, dest, expected, opts, results ? &results[i] : NULL, err);
        if (rc) return rc;
    }
    return EF_OK;
}
