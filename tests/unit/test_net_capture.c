/* test_net_capture.c — transparent capture's two netlink changes
 * (net/netlink.c), in a user + network namespace of the test's own:
 * with the local default route, a connection to any address lands on
 * the namespace's wildcard listener, which sees the address dialled;
 * without it, the same connect fails (no route).  And the audit log's
 * lines (net/audit.c): one JSON object each, the fields the issue
 * names, nothing of a query string or a header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net.h"

/* In a child: a fresh user+net namespace, lo up.  Returns what
 * connect() to 203.0.113.9:PORT gave: 0 and the listener saw that
 * address, or the errno. */
static int probe(bool with_route)
{
    struct net_addr a;
    coco_err err = {0};
    if (with_route) {
        if (net_local_default_route(AF_INET, &err) < 0) {
            fprintf(stderr, "%s\n", err.msg);
            return 100;
        }
        assert_int_equal(net_addr_parse("198.18.0.1", &a), 1);
        if (net_lo_add_addr(&a, 32, &err) < 0) {
            fprintf(stderr, "%s\n", err.msg);
            return 101;
        }
    }
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in any = {.sin_family = AF_INET, .sin_port = htons(4443)};
    if (bind(l, (struct sockaddr *)&any, sizeof any) < 0 || listen(l, 4) < 0)
        return 102;
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(4443)};
    inet_pton(AF_INET, "203.0.113.9", &dst.sin_addr);
    if (connect(c, (struct sockaddr *)&dst, sizeof dst) < 0)
        return errno;
    int s = accept(l, NULL, NULL);
    struct sockaddr_in got;
    socklen_t gl = sizeof got;
    if (s < 0 || getsockname(s, (struct sockaddr *)&got, &gl) < 0)
        return 103;
    return got.sin_addr.s_addr == dst.sin_addr.s_addr ? 0 : 104;
}

static int in_netns(bool with_route)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int flags = CLONE_NEWNET | (geteuid() ? CLONE_NEWUSER : 0);
        if (unshare(flags) < 0)
            _exit(105);
        /* lo up, as the native sandbox's init does. */
        coco_err lo_err = {0};
    if (net_lo_up(&lo_err) < 0) {
        fprintf(stderr, "%s\n", lo_err.msg);
        _exit(89);
    }
        _exit(probe(with_route));
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void test_capture(void **state)
{
    (void)state;
    assert_int_equal(in_netns(true), 0);
    /* The wall it depends on: without the route, no way out at all. */
    int e = in_netns(false);
    assert_true(e == ENETUNREACH || e == EHOSTUNREACH);
}

static void test_audit_lines(void **state)
{
    (void)state;
    char path[] = "/tmp/coco-test-audit-XXXXXX";
    int tmp = mkstemp(path);
    assert_true(tmp >= 0);
    close(tmp);
    coco_err err = {0};
    int fd = egress_audit_open(path, &err);
    assert_true(fd >= 0);
    struct egress_audit_ctx ctx = {.fd = fd, .run_id = "r1", .tool = "npm",
                                   .backend = "native"};
    struct net_addr res[2], *d = &res[0];
    assert_int_equal(net_addr_parse("203.0.113.5", &res[0]), 1);
    assert_int_equal(net_addr_parse("2001:db8::5", &res[1]), 1);
    struct egress_event deny = {.how = "connect", .requested = "EVIL.example",
                                .requested_len = 12, .host = "evil.example",
                                .port = 443, .reason = "not-allowlisted"};
    struct egress_event allow = {.how = "http", .requested = "a.org\xff",
                                 .requested_len = 6, .host = "a.org", .port = 80,
                                 .allowed = true, .resolved = res,
                                 .n_resolved = 2, .dialed = d};
    struct egress_event closing = {.closing = true, .how = "http",
                                   .host = "a.org", .port = 80, .bytes_up = 10,
                                   .bytes_down = 20, .duration_ms = 5};
    egress_audit(&ctx, &deny);
    egress_audit(&ctx, &allow);
    egress_audit(&ctx, &closing);
    close(fd);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[2048];
    json_t *o[3];
    for (int i = 0; i < 3; i++) {
        assert_non_null(fgets(line, sizeof line, f));
        json_error_t je;
        o[i] = json_loads(line, 0, &je);
        if (!o[i])
            fail_msg("line %d is not JSON: %s", i, line);
    }
    assert_null(fgets(line, sizeof line, f));
    fclose(f);
    unlink(path);
    assert_string_equal(json_string_value(json_object_get(o[0], "verdict")), "deny");
    assert_string_equal(json_string_value(json_object_get(o[0], "reason")),
                        "not-allowlisted");
    assert_string_equal(json_string_value(json_object_get(o[0], "requested")),
                        "EVIL.example");
    assert_string_equal(json_string_value(json_object_get(o[0], "run")), "r1");
    assert_int_equal(json_integer_value(json_object_get(o[0], "port")), 443);
    assert_string_equal(json_string_value(json_object_get(o[1], "verdict")), "allow");
    /* Bytes that are not UTF-8 are logged by their length only. */
    assert_null(json_object_get(o[1], "requested"));
    assert_int_equal(json_integer_value(json_object_get(o[1], "requested_bytes")), 6);
    assert_string_equal(json_string_value(json_object_get(o[1], "dialed")),
                        "203.0.113.5");
    assert_int_equal(json_array_size(json_object_get(o[1], "resolved")), 2);
    assert_string_equal(json_string_value(json_object_get(o[2], "event")), "close");
    assert_int_equal(json_integer_value(json_object_get(o[2], "bytes_down")), 20);
    for (int i = 0; i < 3; i++)
        json_decref(o[i]);
    /* Never through a symlink. */
    char dir[] = "/tmp/coco-test-audit-dir-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char link[128], target[128];
    snprintf(link, sizeof link, "%s/log", dir);
    snprintf(target, sizeof target, "%s/target", dir);
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(egress_audit_open(link, &err), -1);
    assert_int_equal(access(target, F_OK), -1);
    unlink(link);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capture),
        cmocka_unit_test(test_audit_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
