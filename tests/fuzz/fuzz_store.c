/* fuzz_store.c — libFuzzer target for what `coco get` does with a URL
 * store's reply (untrusted: anybody on the way to an http store, or the
 * store itself): curl's exit status and output -> an error, or a parsed
 * config -> the "grants" screen (store_reply in src/cmd_store.c).
 *
 * Input: the first byte is curl's exit status (0xff: the reply did not
 * fit, STORE_TOO_LARGE); the rest is what curl wrote on stdout, the body
 * followed by the STORE_WRITE_OUT trailer.  Checked: every error is one
 * line without a control character and nothing was printed before it;
 * a grants screen holds no control byte but '\n' and nothing that
 * str_escape() would change but backslashes (no invalid UTF-8, no bidi
 * or zero-width characters); the body is never longer than the reply.
 *
 * Built with -DCOCO_LIBFUZZER by `make fuzz` (clang -fsanitize=fuzzer);
 * otherwise the main() below replays files and directories given on the
 * command line, so `make check` runs the seed corpus on every build. */
#include <dirent.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "store.h"
#include "sys.h"
#include "fuzz.h"

/* True when LINE (LEN bytes, no '\n') is what str_escape() leaves as it
 * is but for doubling backslashes: nothing in it forges or hides text. */
static bool line_clean(const char *line, size_t len)
{
    char *l = xstrndup(line, len);
    if (strlen(l) != len) { /* a NUL inside */
        free(l);
        return false;
    }
    char *e = str_escape(l);
    size_t j = 0;
    bool ok = true;
    for (size_t i = 0; ok && i < len; i++) {
        if (l[i] == '\\')
            ok = e[j] == '\\' && e[j + 1] == '\\', j += 2;
        else
            ok = e[j] == l[i], j++;
    }
    ok = ok && e[j] == '\0';
    free(e);
    free(l);
    return ok;
}

static bool no_controls(const char *s, size_t len, bool newline_ok)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && !(newline_ok && c == '\n')) || c == 0x7f)
            return false;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int status = data[0] == 0xff ? STORE_TOO_LARGE : data[0];
    size_t len = size - 1;
    /* As spawn_capture() leaves it: NUL-terminated. */
    char *out = xmalloc(len + 1);
    memcpy(out, data + 1, len);
    out[len] = '\0';
    char *text = NULL;
    size_t text_len = 0;
    FILE *grants = open_memstream(&text, &text_len);
    if (!grants)
        __builtin_trap();
    coco_err err = {0};
    size_t body_len = (size_t)-1;
    int r = store_reply("fuzz", "https://store.example/fuzz.json", status, out,
                        len, "/home/u", "/home/u/src", grants, &body_len, &err);
    fclose(grants);
    if (r < 0) {
        /* One line from `get`; nothing of a screen before it. */
        size_t ml = strlen(err.msg);
        if (!ml || !no_controls(err.msg, ml, false) || text_len != 0 ||
            !(str_has_prefix(err.msg, "get fuzz: https://store.example/fuzz.json: ") ||
              str_has_prefix(err.msg, "get: refusing a config the store serves: "
                                      "https://store.example/fuzz.json: ")))
            __builtin_trap();
    } else {
        if (body_len > len || body_len > STORE_MAX_BYTES || text_len == 0 ||
            !str_has_prefix(text, "fuzz grants:\n"))
            __builtin_trap();
        if (!no_controls(text, text_len, true))
            __builtin_trap();
        for (size_t i = 0; i < text_len;) {
            const char *nl = memchr(text + i, '\n', text_len - i);
            size_t ll = nl ? (size_t)(nl - text - i) : text_len - i;
            if (!line_clean(text + i, ll))
                __builtin_trap();
            i += ll + 1;
        }
    }
    free(text);
    free(out);
    return 0;
}

#ifndef COCO_LIBFUZZER
#include "replay.h"

int main(int argc, char **argv)
{
    return fuzz_replay_args(argc, argv) ? 1 : 0;
}
#endif
