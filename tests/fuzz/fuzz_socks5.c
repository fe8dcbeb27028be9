/* fuzz_socks5.c — libFuzzer target for the SOCKS5 server side
 * (net/socks5.c), which reads what a hostile tool in the sandbox writes
 * to the egress proxy.
 *
 * Input: the first byte picks how the rest is cut into reads (chunk
 * sizes 1..16 from a little generator it seeds); the rest is the byte
 * stream from the client.  The stream is fed whole, then in those
 * chunks, then in chunks with a reply buffer of a size the first byte
 * picks.  Checked on every call: consumed <= given, a NEED_MORE takes
 * all it was given and replies nothing, reply_len <= cap and no byte
 * written past it, a reply is "05 00" (REPLY, after exactly the
 * greeting), or "05 FF", a 10-byte
 * "05 REP 00 01 ..." or the SOCKS4 rejection (ERROR).  On REQUEST: the
 * greeting in the stream was SOCKS5 and offered 00, a "05 00" came
 * first, the target is what the request bytes say (domain printable,
 * lower case, no '/', '@', '\\'; port not 0) and exactly the greeting
 * and request were consumed.  Whole and split feeding end with the same
 * verdict, consumed count, replies and target; a finished parser keeps
 * its verdict and takes nothing more.
 *
 * Built with -DCOCO_LIBFUZZER by `make fuzz`; otherwise main() replays
 * files and directories (tests/fuzz/corpus/socks5/). */
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "net/socks5.h"
#include "fuzz.h"

struct outcome {
    int verdict;
    size_t consumed;          /* in all */
    uint8_t replies[64];      /* every reply, one after the other */
    size_t n_replies;
    struct socks5_target target;
};

/* The next chunk size, 1..16; SEED 0 means "everything at once". */
static size_t next_chunk(uint32_t *seed, size_t left)
{
    if (*seed == 0)
        return left;
    *seed = *seed * 1103515245u + 12345u;
    size_t n = ((*seed >> 16) & 15) + 1;
    return n < left ? n : left;
}

static bool reply_shape_ok(int r, const uint8_t *p, size_t n)
{
    static const uint8_t reject4[8] = {0x00, 0x5b};
    if (n == 0)
        return r != SOCKS5_REPLY;
    if (r == SOCKS5_REPLY)
        return n == 2 && p[0] == 5 && p[1] == 0;
    if (r != SOCKS5_ERROR)
        return false;
    if (n == 8)
        return memcmp(p, reject4, 8) == 0;
    if (n == 2)
        return p[0] == 5 && p[1] == 0xff;
    if (n == 10)
        return p[0] == 5 && p[1] != 0 && p[2] == 0 && p[3] == 1 &&
               !memcmp(p + 4, "\0\0\0\0\0\0", 6);
    return false;
}

static void run(const uint8_t *in, size_t len, uint32_t seed, size_t cap,
                struct outcome *o)
{
    struct socks5 s;
    socks5_init(&s);
    memset(o, 0, sizeof *o);
    o->verdict = SOCKS5_NEED_MORE;
    size_t pos = 0;
    int replies = 0;
    while (pos < len) {
        size_t end = pos + next_chunk(&seed, len - pos);
        int r;
        do {
            uint8_t reply[SOCKS5_REPLY_MAX + 8];
            memset(reply, 0xa5, sizeof reply);
            size_t given = end - pos, consumed = (size_t)-1, rlen = (size_t)-1;
            r = socks5_feed(&s, in + pos, given, &consumed, reply, cap, &rlen);
            CHECK(consumed <= given);
            CHECK(rlen <= cap);
            for (size_t i = cap; i < sizeof reply; i++)
                CHECK(reply[i] == 0xa5);
            CHECK(reply_shape_ok(r, reply, rlen));
            if (r == SOCKS5_NEED_MORE)
                CHECK(consumed == given && rlen == 0);
            if (r == SOCKS5_REPLY)
                CHECK(++replies == 1 && consumed > 0);
            CHECK(o->n_replies + rlen <= sizeof o->replies);
            memcpy(o->replies + o->n_replies, reply, rlen);
            o->n_replies += rlen;
            pos += consumed;
            o->consumed += consumed;
            /* "05 00" answers exactly a whole SOCKS5 greeting. */
            if (r == SOCKS5_REPLY)
                CHECK(in[0] == 5 && pos == 2 + (size_t)in[1]);
            o->verdict = r;
        } while (r == SOCKS5_REPLY && pos < end);
        if (r == SOCKS5_REQUEST || r == SOCKS5_ERROR)
            break;
    }
    if (o->verdict == SOCKS5_REQUEST || o->verdict == SOCKS5_ERROR) {
        /* Finished: the verdict stays, nothing more is taken or said. */
        uint8_t reply[SOCKS5_REPLY_MAX];
        size_t consumed, rlen;
        int r = socks5_feed(&s, in, len, &consumed, reply, sizeof reply, &rlen);
        CHECK(r == o->verdict && consumed == 0 && rlen == 0);
    }
    if (o->verdict == SOCKS5_REQUEST)
        o->target = s.target;
}

/* A REQUEST outcome against the stream itself. */
static void check_request(const uint8_t *in, size_t len, const struct outcome *o)
{
    /* A SOCKS5 greeting that offered "no auth", answered 05 00. */
    CHECK(len >= 3 && in[0] == 5 && in[1] >= 1 && len >= 2 + (size_t)in[1]);
    CHECK(memchr(in + 2, 0, in[1]) != NULL);
    CHECK(o->n_replies == 2 && o->replies[0] == 5 && o->replies[1] == 0);
    const uint8_t *q = in + 2 + in[1];
    size_t qlen = len - 2 - in[1];
    CHECK(qlen >= 4 && q[0] == 5 && q[1] == 1 && q[2] == 0);
    const struct socks5_target *t = &o->target;
    size_t alen;
    const uint8_t *a = q + 4;
    switch (q[3]) {
    case 1:
        alen = 4;
        CHECK(t->kind == SOCKS5_IPV4 && t->addr.family == AF_INET);
        CHECK(qlen >= 10 && memcmp(t->addr.b, a, 4) == 0);
        CHECK(t->domain[0] == '\0');
        break;
    case 4:
        alen = 16;
        CHECK(t->kind == SOCKS5_IPV6 && t->addr.family == AF_INET6);
        CHECK(qlen >= 22 && memcmp(t->addr.b, a, 16) == 0);
        CHECK(t->domain[0] == '\0');
        break;
    case 3: {
        CHECK(t->kind == SOCKS5_DOMAIN && qlen >= 5);
        alen = 1 + (size_t)q[4];
        size_t n = strnlen(t->domain, sizeof t->domain);
        CHECK(n >= 1 && n == q[4] && n < sizeof t->domain && qlen >= 5 + n + 2);
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)t->domain[i];
            CHECK(c >= 0x21 && c <= 0x7e && c != '/' && c != '@' && c != '\\');
            CHECK(!(c >= 'A' && c <= 'Z'));
            unsigned char w = q[5 + i];
            CHECK(c == w || (w >= 'A' && w <= 'Z' && c == w + 32));
        }
        break;
    }
    default:
        CHECK(0);
        return;
    }
    const uint8_t *p = q + 4 + alen;
    CHECK(t->port != 0 && t->port == (uint16_t)(p[0] << 8 | p[1]));
    /* Greeting and request, nothing of the tunnel. */
    CHECK(o->consumed == 2 + (size_t)in[1] + 4 + alen + 2);
}

static bool same(const struct outcome *a, const struct outcome *b)
{
    if (a->verdict != b->verdict || a->consumed != b->consumed ||
        a->n_replies != b->n_replies ||
        memcmp(a->replies, b->replies, a->n_replies) != 0)
        return false;
    const struct socks5_target *x = &a->target, *y = &b->target;
    return x->kind == y->kind && strcmp(x->domain, y->domain) == 0 &&
           x->addr.family == y->addr.family &&
           memcmp(x->addr.b, y->addr.b, sizeof x->addr.b) == 0 &&
           x->port == y->port;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint32_t seed = (uint32_t)data[0] + 1;
    const uint8_t *in = data + 1;
    size_t len = size - 1;
    struct outcome whole, split, bytes;
    run(in, len, 0, SOCKS5_REPLY_MAX, &whole);
    run(in, len, seed, SOCKS5_REPLY_MAX, &split);
    CHECK(same(&whole, &split));
    if (whole.verdict == SOCKS5_NEED_MORE)
        CHECK(whole.consumed == len);
    if (whole.verdict == SOCKS5_REQUEST)
        check_request(in, len, &whole);
    /* The same chunks through a reply buffer of any size 0..22: shapes
     * and bounds hold; once every reply fits, so does the outcome. */
    run(in, len, seed, data[0] % (SOCKS5_REPLY_MAX + 1), &bytes);
    if (data[0] % (SOCKS5_REPLY_MAX + 1) >= 10)
        CHECK(same(&whole, &bytes));
    return 0;
}

#ifndef COCO_LIBFUZZER
#include "replay.h"

int main(int argc, char **argv)
{
    return fuzz_replay_args(argc, argv) ? 1 : 0;
}
#endif
