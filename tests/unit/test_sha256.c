/* test_sha256.c — SHA-256 (install/sha256.c) against the NIST FIPS 180-4
 * example vectors, written out here as hex, not computed by another
 * implementation: "", "abc", the 448-bit and 896-bit messages and one
 * million 'a'; every split of a short message into two and three
 * updates; sha256_fd() on a temp file, from its start whatever the
 * offset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "install.h"

static void digest_hex(const void *p, size_t n, char hex[65])
{
    struct sha256 s;
    uint8_t d[32];
    sha256_init(&s);
    sha256_update(&s, p, n);
    sha256_final(&s, d);
    sha256_hex(d, hex);
}

static void check(const char *msg, const char *want)
{
    char hex[65];
    digest_hex(msg, strlen(msg), hex);
    assert_string_equal(hex, want);
}

static void test_nist_vectors(void **state)
{
    (void)state;
    check("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    check("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
          "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
          "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_million_a(void **state)
{
    (void)state;
    /* In uneven pieces, so the buffered path runs too. */
    char a[997];
    memset(a, 'a', sizeof a);
    struct sha256 s;
    sha256_init(&s);
    size_t left = 1000000;
    while (left) {
        size_t n = left < sizeof a ? left : sizeof a;
        sha256_update(&s, a, n);
        left -= n;
    }
    uint8_t d[32];
    char hex[65];
    sha256_final(&s, d);
    sha256_hex(d, hex);
    assert_string_equal(hex,
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Lengths around the padding boundaries (55, 56, 63, 64, 65 bytes) and
 * every split point: one update or two or three give the same digest. */
static void test_split_updates(void **state)
{
    (void)state;
    char msg[130];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (char)('A' + i * 7 % 53);
    const size_t lens[] = {0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 130};
    for (size_t li = 0; li < sizeof lens / sizeof *lens; li++) {
        size_t len = lens[li];
        char whole[65];
        digest_hex(msg, len, whole);
        for (size_t i = 0; i <= len; i++) {
            for (size_t j = i; j <= len; j += (len > 70 ? 13 : 1)) {
                struct sha256 s;
                uint8_t d[32];
                char hex[65];
                sha256_init(&s);
                sha256_update(&s, msg, i);
                sha256_update(&s, msg + i, j - i);
                sha256_update(&s, msg + j, len - j);
                sha256_final(&s, d);
                sha256_hex(d, hex);
                if (strcmp(hex, whole) != 0)
                    fail_msg("len %zu split at %zu, %zu: %s != %s", len, i, j,
                             hex, whole);
            }
        }
    }
    /* The 448-bit vector, split at every offset. */
    const char *v = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    for (size_t i = 0; i <= strlen(v); i++) {
        struct sha256 s;
        uint8_t d[32];
        char hex[65];
        sha256_init(&s);
        sha256_update(&s, v, i);
        sha256_update(&s, v + i, strlen(v) - i);
        sha256_final(&s, d);
        sha256_hex(d, hex);
        assert_string_equal(hex,
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    }
}

static void test_fd(void **state)
{
    (void)state;
    char path[] = "/tmp/coco-sha256.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    uint8_t d[32];
    char hex[65];
    coco_err err = {0};
    /* Empty. */
    assert_int_equal(sha256_fd(fd, d, &err), 0);
    sha256_hex(d, hex);
    assert_string_equal(hex,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    /* One million 'a', more than one 64 KiB chunk; the descriptor's
     * offset is at the end after writing: hashed from the start anyway. */
    char a[4096];
    memset(a, 'a', sizeof a);
    size_t left = 1000000;
    while (left) {
        size_t n = left < sizeof a ? left : sizeof a;
        assert_int_equal(write(fd, a, n), (ssize_t)n);
        left -= n;
    }
    assert_int_equal(sha256_fd(fd, d, &err), 0);
    sha256_hex(d, hex);
    assert_string_equal(hex,
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    close(fd);
    /* A descriptor that cannot be read: an error, not a digest. */
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(sha256_fd(p[0], d, &err), -1);
    assert_true(err.msg[0] != '\0');
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nist_vectors),
        cmocka_unit_test(test_million_a),
        cmocka_unit_test(test_split_updates),
        cmocka_unit_test(test_fd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
