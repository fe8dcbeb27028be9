/* audit.c — one JSON line per egress decision, and one closing line per
 * allowed connection: see net.h.
 *
 * Never header values, credentials or query strings: only the host the
 * tool asked for, its canonical form, the port, the addresses, the
 * verdict and the byte counts.  Lines are written with one write() to a
 * descriptor opened O_APPEND, so concurrent runs never interleave
 * within a line (the file is local, and a line is far below PIPE_BUF's
 * size in practice: hosts are bounded). */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Rotate at this size: the log keeps one previous generation. */
#define AUDIT_MAX_BYTES (8u << 20)

int egress_audit_open(const char *path, coco_err *err)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
        (uint64_t)st.st_size >= AUDIT_MAX_BYTES) {
        _cleanup_free_ char *old = xasprintf("%s.1", path);
        if (rename(path, old) < 0 && errno != ENOENT)
            return err_set(err, errno, "rotate %s", path);
    }
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
                  0600);
    if (fd < 0)
        return err_set(err, errno, "open the egress audit log %s", path);
    return fd;
}

static void put_str(json_t *o, const char *k, const char *v)
{
    if (v)
        json_object_set_new(o, k, json_stringn(v, strlen(v)));
}

void egress_audit(const struct egress_audit_ctx *ctx,
                  const struct egress_event *ev)
{
    if (!ctx || ctx->fd < 0)
        return;
    json_t *o = json_object();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char when[96];
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    put_str(o, "time", when);
    put_str(o, "run", ctx->run_id);
    put_str(o, "tool", ctx->tool);
    put_str(o, "backend", ctx->backend);
    put_str(o, "event", ev->closing ? "close" : "decision");
    put_str(o, "how", ev->how);
    /* What the tool wrote may be any bytes: jansson refuses invalid
     * UTF-8, so such a host is logged by its length only. */
    if (ev->requested) {
        json_t *s = json_stringn(ev->requested, ev->requested_len);
        if (s)
            json_object_set_new(o, "requested", s);
        else
            json_object_set_new(o, "requested_bytes",
                                json_integer((json_int_t)ev->requested_len));
    }
    put_str(o, "host", ev->host);
    if (ev->port)
        json_object_set_new(o, "port", json_integer(ev->port));
    if (!ev->closing)
        put_str(o, "verdict", ev->allowed ? "allow" : "deny");
    put_str(o, "reason", ev->reason);
    if (ev->n_resolved) {
        json_t *a = json_array();
        for (size_t i = 0; i < ev->n_resolved; i++) {
            char t[64];
            net_addr_format(&ev->resolved[i], t, sizeof t);
            json_array_append_new(a, json_string(t));
        }
        json_object_set_new(o, "resolved", a);
    }
    if (ev->dialed) {
        char t[64];
        net_addr_format(ev->dialed, t, sizeof t);
        put_str(o, "dialed", t);
    }
    if (ev->closing) {
        json_object_set_new(o, "bytes_up", json_integer((json_int_t)ev->bytes_up));
        json_object_set_new(o, "bytes_down",
                            json_integer((json_int_t)ev->bytes_down));
        json_object_set_new(o, "ms", json_integer((json_int_t)ev->duration_ms));
    }
    char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!line)
        return;
    size_t n = strlen(line);
    char *buf = xmalloc(n + 2);
    memcpy(buf, line, n);
    buf[n] = '\n';
    free(line);
    ssize_t w;
    do
        w = write(ctx->fd, buf, n + 1);
    while (w < 0 && errno == EINTR);
    free(buf);
}
