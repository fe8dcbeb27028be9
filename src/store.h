/* store.h — `coco get`: a store's reply checked (what the config grants
 * is printed by show_config(), show.h).  Kept apart from the
 * fetching so that it can be fuzzed (tests/fuzz/fuzz_store.c). */
#ifndef COCO_STORE_H
#define COCO_STORE_H

#include <stdio.h>

#include "config.h"

/* The largest config a store may serve. */
#define STORE_MAX_BYTES (1u << 20)
/* What curl appends to the body (--write-out), so that coco can tell an
 * HTTP status and a refused redirect apart itself, and room for it. */
#define STORE_REPLY_MARK "\ncoco-store-reply:"
#define STORE_WRITE_OUT STORE_REPLY_MARK "%{http_code} %{url_effective}"
#define STORE_TRAILER_MAX (16u << 10)
/* A status for store_reply(): curl wrote more than the reply may hold. */
#define STORE_TOO_LARGE (-2)

/* Check curl's reply for NAME from URL: STATUS is curl's exit status (or
 * STORE_TOO_LARGE), OUT/LEN all it wrote on stdout, the body followed by
 * the STORE_WRITE_OUT trailer.  Returns 0 with *BODY_LEN set (the body
 * is OUT's first *BODY_LEN bytes), or -1 with a one-line ERR that says
 * in words what went wrong: the host did not resolve, nothing listened,
 * HTTP 404 or another status, a timeout, a reply over 1 MiB, a redirect
 * refused because store redirects must stay on https ... */
int store_reply_body(const char *name, const char *url, int status,
                     const char *out, size_t len, size_t *body_len,
                     coco_err *err);

/* Parse BODY (LEN bytes, from SRC) as NAME's config and print what it
 * grants on GRANTS (show_config).  Returns 0, or -1 with the config's
 * one-line error. */
int store_review(const char *name, const char *src, const char *body,
                 size_t len, const char *home, const char *cwd, FILE *grants,
                 coco_err *err);

/* store_reply_body(), then store_review() on the body: all `coco get`
 * does with a URL store's reply between running curl and saving the
 * file.  Pure but for writing to GRANTS (the fuzz target). */
int store_reply(const char *name, const char *url, int status, const char *out,
                size_t len, const char *home, const char *cwd, FILE *grants,
                size_t *body_len, coco_err *err);

#endif
