/*
 * test_web_nodes.c - the nodes on the state (issue 16) on the status page
 * and at GET /api/nodes: each recent node with its last sighting in words
 * and what it holds, the old ones counted; and /healthz with the page's
 * "Offline for state" banner while the state database cannot be read,
 * back to 200 once it can.
 */
#include "harness.h"

#include <jansson.h>
#include <string.h>

#include "engine/eng_int.h"
#include "store/store.h"
#include "store/store_claims.h"
#include "test_web_util.h"
#include "web/web_int.h"

struct fx {
    const char *dir;
    cfg *c;
    web *w;
    struct web_response rs;
};

static int fx_open(struct fx *f, const char *name)
{
    memset(f, 0, sizeof *f);
    tw_now_value = TW_NOW;
    f->dir = tw_setup(name, 0);
    f->c = tw_config(f->dir);
    if (!f->c)
        return -1;
    struct web_opts o = tw_opts();
    ab_errmsg em = {{0}};
    if (web_new(f->c, &o, &f->w, &em) != AB_OK) {
        fprintf(stderr, "web_new: %s\n", em.text);
        return -1;
    }
    return 0;
}

static void fx_close(struct fx *f)
{
    web_response_free(&f->rs);
    web_free(f->w);
    cfg_free(f->c);
}

/* Two nodes of today (alpha the leader) and one of last week, as other
 * processes on the state would have written them. */
static int seed_nodes(const char *dir)
{
    store *st;
    if (store_open(t_state(tw_path(dir, "state.db")), &st, NULL) != AB_OK)
        return -1;
    int held = 0;
    int bad = store_node_seen(st, "alpha", TW_NOW - 3600, TW_NOW - 12, 101, "1.2.3",
                              "leader", NULL) != AB_OK ||
              store_node_seen(st, "beta", TW_NOW - 3600, TW_NOW - 75, 102, "1.2.3", "",
                              NULL) != AB_OK ||
              store_node_seen(st, "cron:7", TW_NOW - 7 * 3600 * 24, TW_NOW - 6 * 86400, 7,
                              "1.2.2", "", NULL) != AB_OK ||
              store_lease_take(st, "leader", "alpha", TW_NOW + 60, TW_NOW - 12, &held,
                               NULL) != AB_OK ||
              !held;
    store_close(st);
    return bad ? -1 : 0;
}

TEST(status_page_and_api_show_the_nodes)
{
    struct fx f;
    CHECK(fx_open(&f, "nodes") == 0);
    CHECK(seed_nodes(f.dir) == 0);
    CHECK_INT(GET(f.w, "/", &f.rs), 200);
    CHECK_CONTAINS(f.rs.body, "<h2>Nodes</h2>");
    CHECK_CONTAINS(f.rs.body, "<b>alpha</b>");
    CHECK_CONTAINS(f.rs.body, "12 seconds ago");
    CHECK_CONTAINS(f.rs.body, "<b>beta</b>");
    CHECK_CONTAINS(f.rs.body, "and 1 more not seen lately");
    CHECK(strstr(f.rs.body, "cron:7") == NULL);
    CHECK(strstr(f.rs.body, "Offline for state") == NULL);

    CHECK_INT(GET(f.w, "/api/nodes", &f.rs), 200);
    json_error_t je;
    json_t *j = json_loads(f.rs.body, 0, &je);
    CHECK(j != NULL);
    json_t *nodes = json_object_get(j, "nodes");
    CHECK_INT(json_array_size(nodes), 2);
    json_t *a = json_array_get(nodes, 0);
    CHECK_STR(json_string_value(json_object_get(a, "name")), "alpha");
    CHECK(json_is_true(json_object_get(a, "leader")));
    CHECK_STR(json_string_value(json_object_get(a, "holds")), "leader");
    CHECK_CONTAINS(json_string_value(json_object_get(a, "seen")), "12 seconds ago");
    json_t *b = json_array_get(nodes, 1);
    CHECK(json_is_false(json_object_get(b, "leader")));
    CHECK_STR(json_string_value(json_object_get(b, "holds")), "nothing");
    CHECK_INT(json_integer_value(json_object_get(j, "older")), 1);
    CHECK(json_is_true(json_object_get(json_object_get(j, "state"), "reachable")));
    json_decref(j);
    CHECK_INT(tw_do(f.w, (struct tw_req){.method = "POST", .path = "/api/nodes"}, &f.rs),
              405);
    fx_close(&f);
}

TEST(healthz_is_503_while_the_state_cannot_be_read)
{
    struct fx f;
    CHECK(fx_open(&f, "health") == 0);
    CHECK_INT(GET(f.w, "/healthz", &f.rs), 200);
    CHECK_STR(f.rs.body, "ok\n");
    /* The web's own connection fails every statement from now on. */
    store_fail_after(f.w->e->st, 0);
    tw_now_value = TW_NOW + 1;
    CHECK_INT(GET(f.w, "/healthz", &f.rs), 503);
    CHECK_CONTAINS(f.rs.body, "state database unreachable");
    CHECK(f.rs.no_store);
    CHECK_INT(GET(f.w, "/api/nodes", &f.rs), 200);
    CHECK_CONTAINS(f.rs.body, "\"reachable\": false");
    CHECK_INT(GET(f.w, "/", &f.rs), 200);
    CHECK_CONTAINS(f.rs.body, "Offline for state");
    CHECK_INT(eng_state_down_since(f.w->e), TW_NOW + 1);
    /* Within the same second the answer stands; the next second probes. */
    store_fail_after(f.w->e->st, -1);
    CHECK_INT(GET(f.w, "/healthz", &f.rs), 503);
    tw_now_value = TW_NOW + 2;
    CHECK_INT(GET(f.w, "/healthz", &f.rs), 200);
    CHECK_INT(eng_state_down_since(f.w->e), AB_TIME_NONE);
    fx_close(&f);
}
