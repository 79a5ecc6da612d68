/*
 * web_page_nodes.c - the nodes on the state (issue 16) for the status
 * page's "Nodes" section and GET /api/nodes: each node seen lately, when
 * (in words and the site's zone), what it holds (the leader's lease,
 * check runs claimed); and whether this node reaches the state at all.
 *
 * Read from the state when the page is rendered (at most once a second,
 * web_cache.c), not kept in the live model: it is a handful of rows, and
 * "seen 12 seconds ago" is only true when just read.  While the state is
 * unreachable there are no rows to read; the page says so instead, since
 * everything else on it is then as of the outage's start.
 */
#include "web/web_int.h"

#include <stdio.h>

/* One node as the page and the API show it. */
static json_t *node_json(web *w, const struct store_node *x, ab_time now)
{
    char seen[AB_HUMAN_LEN * 2], holds[128];
    json_t *o = json_object();
    json_object_set_new(o, "name", web_jstr(x->name));
    web_set_time(o, "last_seen", x->last_seen, now);
    json_object_set_new(
        o, "seen", json_string(eng_node_seen_words(w->c, x, now, seen, sizeof seen)));
    web_set_time(o, "started", x->started, now);
    if (x->pid)
        json_object_set_new(o, "pid", json_integer(x->pid));
    if (x->version)
        json_object_set_new(o, "version", web_jstr(x->version));
    json_object_set_new(o, "holds",
                        json_string(eng_node_holds_words(x, holds, sizeof holds)));
    json_object_set_new(o, "leader", json_boolean(x->leader));
    json_object_set_new(o, "claims_in_flight", json_integer(x->in_flight));
    return o;
}

json_t *web_nodes_json(web *w, ab_time now)
{
    json_t *o = json_object();
    char why[256];
    if (!eng_state_reachable(w->e, now, why, sizeof why)) {
        json_t *s = json_object();
        json_object_set_new(s, "reachable", json_false());
        web_set_time(s, "down_since", eng_state_down_since(w->e), now);
        json_object_set_new(s, "why", web_jstr(why));
        json_object_set_new(o, "state", s);
        return o;
    }
    struct eng_nodes_view v;
    ab_errmsg em = {{0}};
    json_t *list = json_array();
    size_t older = 0;
    if (eng_view_nodes(w->e, now, &v, &em) == AB_OK) {
        for (size_t i = 0; i < v.n; i++) {
            if (eng_node_current(w->c, &v.v[i], now))
                json_array_append_new(list, node_json(w, &v.v[i], now));
            else
                older++;
        }
    } else {
        json_object_set_new(o, "error", web_jstr(em.text));
    }
    json_object_set_new(o, "shared", json_boolean(v.shared));
    eng_view_nodes_free(&v);
    json_t *s = json_object();
    json_object_set_new(s, "reachable", json_true());
    json_object_set_new(o, "state", s);
    json_object_set_new(o, "nodes", list);
    json_object_set_new(o, "older", json_integer((json_int_t)older));
    return o;
}

void web_nodes_data(web *w, json_t *d, ab_time now)
{
    json_object_set_new(d, "nodes", web_nodes_json(w, now));
}

enum ab_err web_api_nodes(web *w, struct web_response *rs, ab_time now)
{
    enum ab_err e = web_reply_json(rs, 200, web_nodes_json(w, now));
    rs->no_store = 1;
    return e;
}
