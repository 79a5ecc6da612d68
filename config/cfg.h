/*
 * cfg.h - the configuration model: one XML file, validated, immutable.
 *
 * cfg_load() reads the file with libxml2, validates it against the
 * RelaxNG schema that ships in config/ackbeat.rng (compiled into the
 * binary), then checks what a schema cannot: references between names,
 * durations, schedules, addresses.  Every problem is reported, each as
 * "FILE:LINE: what is wrong", not only the first.
 *
 * The model is read-only after load and owned by the cfg handle: every
 * pointer reachable from it is borrowed and valid until cfg_free().  A
 * reload builds a second model and swaps it in only if it loaded
 * cleanly, so nothing may cache pointers into a model across a reload.
 *
 * Relative paths in the file (state database, sources, templates,
 * calendars, plugins) are resolved against the config file's folder.
 * Passwords never appear in the file: only password-file= or
 * password-env=, read on demand with cfg_secret_read().
 */
#ifndef AB_CFG_H
#define AB_CFG_H

#include <stddef.h>
#include <stdint.h>

#include "common/ab_buf.h"
#include "common/ab_err.h"
#include "schedules/sched.h"

typedef struct cfg cfg;

/* Where a secret comes from; at most one is set, both NULL = none. */
struct cfg_secret {
    const char *file; /* absolute path; the first line is the secret */
    const char *env;  /* environment variable name */
    const char *attr; /* the attribute that named it, e.g. "password-env" */
    int line;         /* where, for messages */
};

/* A resolved list of email addresses (groups and people expanded). */
struct cfg_addrs {
    const char *const *v;
    size_t n;
};

enum cfg_tls {
    CFG_TLS_AUTO = 0,      /* by URL scheme: smtps/imaps implicit, else opportunistic */
    CFG_TLS_REQUIRED,      /* STARTTLS must succeed */
    CFG_TLS_OPPORTUNISTIC, /* STARTTLS if offered */
    CFG_TLS_NONE,          /* never (loopback tests) */
};

/* <mail>: how ackbeat sends. */
struct cfg_mail {
    const char *from;      /* envelope and header From address */
    const char *from_name; /* display name, may be NULL */
    const char *transport; /* smtp://host:port, smtps://, sendmail:[path], maildir:PATH */
    enum cfg_tls tls;
    const char *username;  /* may be NULL: no AUTH */
    struct cfg_secret password;
    const char *ca_file;   /* PEM CA bundle for verification, may be NULL */
    int insecure;          /* skip certificate verification (never default) */
    const char *helo;      /* EHLO name, may be NULL */
    int64_t timeout;       /* seconds per SMTP transaction */
    int64_t max_age;       /* give up on a message after this long (seconds) */
    int64_t retry;         /* first retry delay; doubles up to 1h (default 60) */
    /* DKIM signing (mailer/mail_dkim.c): all three or none.  NULL: not signed. */
    const char *dkim_domain;   /* d=, the signing domain */
    const char *dkim_selector; /* s=, the key is at SELECTOR._domainkey.DOMAIN */
    const char *dkim_key;      /* absolute path of the PEM RSA private key */
    int dkim_line;             /* the <mail> line, for messages */
};

/* <inbox>: where replies arrive.  enabled == 0 when absent. */
struct cfg_inbox {
    int enabled;
    const char *url;       /* imap://host:port/FOLDER, imaps://..., maildir:PATH */
    const char *username;
    struct cfg_secret password;
    const char *ca_file;
    int insecure;
    enum cfg_tls tls;
    int64_t poll;          /* seconds between polls */
    int64_t timeout;
    const char *move_to;   /* folder to move processed mail to, may be NULL */
    const char *reply_address;   /* LOCAL@DOMAIN of heartbeats (Reply-To base) */
    const char *bounce_address;  /* LOCAL@DOMAIN for the envelope sender
                                  * (VERP base); NULL: reply_address */
    const char *const *ack_from; /* domains allowed to acknowledge for others */
    size_t nack_from;
    const char *authserv_id;     /* our MX's Authentication-Results id (RFC
                                  * 8601); NULL: From: cannot be checked */
};

/* <web>: the HTTP listener.  enabled == 0 when absent. */
struct cfg_web {
    int enabled;
    const char *listen;    /* "127.0.0.1:8025" */
    const char *base_url;  /* for links in emails, may be NULL */
    struct cfg_secret token;         /* bearer token for actions */
    const char *user;                /* basic auth user, may be NULL */
    struct cfg_secret password_hash; /* crypt(3) hash for basic auth */
    const char *const *allowed_hosts; /* more Host names pages answer */
    size_t nallowed_hosts;
    unsigned per_client;     /* connections per client address; 0 = no limit */
    int64_t request_timeout; /* seconds to receive a whole request */
};

/* An escalation level (<alerting><level after= notify=/>): who is told
 * too once an alert has been open for after.  Level numbers start at 1. */
struct cfg_level {
    int64_t after;            /* since the alert opened */
    struct cfg_addrs notify;  /* added to everyone told at the levels below */
    int line;
};

/* <alerting>: defaults for every check's alert policy. */
struct cfg_alerting {
    int64_t repeat;         /* re-notify every; 0 = never */
    int64_t escalate_after; /* escalate when not dismissed after; 0 = never */
    int flap_limit;         /* status flips per day before "flapping"; 0 = off */
    int quiet_bypass_p1;    /* priority 1 ignores quiet hours */
    struct cfg_addrs notify;      /* level 0 */
    struct cfg_addrs escalate_to; /* level 1 */
    const char *digest_at;  /* "HH:MM" local daily digest, NULL = off */
    /* Levels 1..nlevels in order of after; escalate-after/escalate-to
     * are the shorthand for one (and mirror levels[0] when given). */
    const struct cfg_level *levels;
    size_t nlevels;
    const char *fallback;   /* "channel:NAME" told when mail fails; NULL = none */
    int64_t fallback_after; /* how long mail must fail first (default 10 min) */
    /* The monthly report (report-to=, report-at=): mailed on the 1st at
     * report_at ("HH:MM", site's zone) to these people; n == 0: off. */
    struct cfg_addrs report_to;
    const char *report_at;
};

/*
 * A channel: a named endpoint in <recipients> beside people (webhook,
 * ntfy, slack, matrix, command), usable wherever a person or group is.
 * In a resolved list (struct cfg_addrs) it appears as CFG_CHANNEL_PREFIX
 * NAME, which is never an email address (no '@'); cfg_channel_of() tells
 * the two apart.
 */
#define CFG_CHANNEL_PREFIX "channel:"
struct cfg_channel {
    const char *name;
    const char *kind;        /* the element: "webhook", "ntfy", "slack", "matrix", "command" */
    const char *url;         /* webhook, ntfy, slack: where to POST; matrix: the homeserver */
    const char *room;        /* matrix: the room id or alias */
    struct cfg_secret secret; /* webhook: secret-env (the HMAC key); ntfy, matrix: token-env */
    const char *template_path; /* webhook: a Mustache body (absolute), may be NULL */
    const char *run;         /* command: "/path/prog arg ...", split on spaces, no shell */
    int64_t timeout;         /* seconds per attempt (timeout=, default 10) */
    int line;
};

/* A person; quiet hours are a schedule during which they are not mailed. */
struct cfg_person {
    const char *name;
    const char *email;
    const char *display;     /* may be NULL */
    const sched *quiet;      /* may be NULL */
    const char *timezone;    /* IANA zone of mail to them; NULL: the site's */
    int line;
};

enum cfg_source_kind { CFG_SRC_SQLITE, CFG_SRC_ODBC };

struct cfg_source {
    const char *name;
    enum cfg_source_kind kind;
    const char *path;        /* sqlite: absolute path of the file */
    const char *connection;  /* odbc: connection string ("Driver=...;" or "DSN=...") */
    const char *username;    /* odbc: UID added to the connection string */
    struct cfg_secret password;
    int64_t timeout;         /* per query, seconds */
    int line;
};

enum cfg_check_kind {
    CFG_FRESHNESS,
    CFG_COUNT,
    CFG_SQL,
    CFG_COMMAND,
    CFG_PLUGIN,
    CFG_HEARTBEAT,
    CFG_PING,
};
const char *cfg_check_kind_name(enum cfg_check_kind k); /* "freshness"... */

enum cfg_ts_format { CFG_TS_AUTO, CFG_TS_ISO, CFG_TS_UNIX, CFG_TS_NATIVE };
enum cfg_period { CFG_PERIOD_NONE, CFG_PERIOD_DAY, CFG_PERIOD_WEEK,
                  CFG_PERIOD_MONTH, CFG_PERIOD_QUARTER, CFG_PERIOD_YEAR };
enum cfg_direction { CFG_ABOVE, CFG_BELOW }; /* bad when value is above/below */

struct cfg_check {
    const char *name;        /* [A-Za-z0-9._-]+, unique */
    const char *label;       /* human title; defaults to name */
    const char *const *tags; /* tags= (silences and badges match them) */
    size_t ntags;
    enum cfg_check_kind kind;
    int line;
    const char *type;        /* "Information" or "Action" (seed 001) */
    const char *remedy;      /* Action: shell command run when it fails, may be NULL */
    const char *schedule_name; /* NULL: runs on every tick */
    const sched *schedule;   /* NULL: every tick */
    const char *timezone;    /* IANA zone for periods; the global one by default */
    int64_t cache;           /* reuse the last result this long; 0 = off */
    int64_t timeout;         /* seconds */

    /* alert policy, global defaults already applied */
    int confirm;             /* bad runs in a row before an alert opens */
    int recover;             /* good runs in a row before it resolves */
    int priority;            /* 0: by status (Offline 1, Failing 2, Degraded 3) */
    int64_t repeat;
    int64_t escalate_after;
    struct cfg_addrs notify;
    struct cfg_addrs escalate_to;
    const char *depends_on;  /* parent check name, may be NULL */

    /* freshness, count, sql */
    const struct cfg_source *source;
    const char *table, *column;  /* or query */
    const char *query;
    int64_t max_age, warn_age;   /* freshness; warn_age 0 = none */
    /* The 4-byte fields go in pairs: with 100,000 checks each hole
     * costs 400 kB. */
    enum cfg_ts_format ts_format;
    enum cfg_period period;      /* count */
    const char *naive_zone;      /* zone of timestamps without offset; "UTC" */
    int64_t period_grace;        /* count/sql grace=: before period start + this,
                                    the previous period is judged; 0 = off */
    int64_t window;              /* count: rolling window instead of period */
    int has_min, has_warn_below;
    double min, warn_below;      /* count */
    int has_warn, has_crit;
    double warn, crit;           /* sql */
    enum cfg_direction direction;

    /* heartbeat (seed 000): read for any kind, so outside the union */
    int quorum;                  /* confirmations needed; 0 = all */
    int missed_limit;            /* flag an address after this many misses */
    const char *description;

    /*
     * What only one kind has shares its storage: a check is of one kind,
     * and its kind's fields are read only under k->kind (with 100,000
     * checks this is 6.4 MB).  Set one group, never another kind's.
     */
    union {
        struct { /* command */
            const char *const *argv; /* NULL-terminated; argv[0] is the program */
            size_t argc;
            const char *shell;       /* command line for /bin/sh -c, when shell="yes" */
        };
        struct { /* plugin (seed 002's HeartbeatAssembly) */
            const char *plugin_file; /* absolute path of the shared object */
            const char *plugin_arg;  /* free text handed to the plugin, may be NULL */
        };
        struct { /* heartbeat (seed 000) */
            struct cfg_addrs to;     /* who is asked */
            int64_t grace;           /* from firing to the verdict */
            int64_t reminder;        /* remind this long before the deadline; 0 = off */
        };
        struct { /* ping (dead man's switch) */
            int64_t ping_period;     /* expected report interval */
            int64_t ping_grace;
            const char *ping_token;  /* unguessable token for /ping/TOKEN, may be NULL */
        };
    };
};

/* A named maintenance calendar and the checks it covers (NULL = all). */
struct cfg_maintenance {
    const char *calendar;        /* absolute path of the .ics */
    const sched_calendar *cal;
    const char *const *checks;
    size_t nchecks;
    int line;
};

/* <watchdog>: ackbeat's own liveness, seen from outside.  enabled == 0
 * when absent. */
struct cfg_watchdog {
    int enabled;
    const char *ping_url;    /* http(s) URL fetched on every tick, may be NULL */
    int64_t ping_timeout;    /* seconds per ping */
    struct cfg_addrs admin;  /* who gets the daily message; n == 0: none */
    const char *daily;       /* "HH:MM" local (global zone) time of it */
};

struct cfg_global {
    const char *name;        /* site name for messages */
    const char *timezone;    /* default IANA zone, "UTC" if unset */
    int64_t tick;            /* base interval of the loop, seconds */
    /* Where the state is: the absolute path of the SQLite file, or the
     * same string as state_url when <state url=> is set, so that every
     * store_open(state_path) opens the one that is configured. */
    const char *state_path;
    const char *state_url;   /* postgresql://... (may hold a password: print
                                it only through store_url_display); NULL = a file */
    struct cfg_secret state_password; /* password-env=/-file= for url= */
    const char *state_node;  /* <state node=>; NULL = HOSTNAME:PID */
    int64_t keep;            /* history kept (runs, pings, resolved alerts); 0 = for ever */
    int64_t keep_mail;       /* sent and failed mail kept; 0 = for ever */
    const char *templates_dir; /* user overrides, may be NULL */
    const char *log_level;   /* may be NULL */
    struct cfg_mail mail;
    struct cfg_inbox inbox;
    struct cfg_web web;
    struct cfg_alerting alerting;
    struct cfg_watchdog watchdog;
};

/*
 * Load and validate path.  On success *out is the model (free with
 * cfg_free).  On failure returns AB_ECONFIG (or AB_EIO / AB_ENOMEM) and
 * appends one line per problem to errors ("FILE:LINE: message\n").
 */
enum ab_err cfg_load(const char *path, cfg **out, ab_buf *errors) AB_MUST_CHECK;
void cfg_free(cfg *c);

const char *cfg_path(const cfg *c);
const struct cfg_global *cfg_global(const cfg *c);

size_t cfg_check_count(const cfg *c);
const struct cfg_check *cfg_check_at(const cfg *c, size_t i);
const struct cfg_check *cfg_check_find(const cfg *c, const char *name);

size_t cfg_source_count(const cfg *c);
const struct cfg_source *cfg_source_at(const cfg *c, size_t i);

size_t cfg_person_count(const cfg *c);
const struct cfg_person *cfg_person_at(const cfg *c, size_t i);
const struct cfg_person *cfg_person_by_email(const cfg *c, const char *email);

/* Channels, in config order. */
size_t cfg_channel_count(const cfg *c);
const struct cfg_channel *cfg_channel_at(const cfg *c, size_t i);
const struct cfg_channel *cfg_channel_find(const cfg *c, const char *name);
/* The channel a resolved list entry names ("channel:NAME"), or NULL for
 * an email address. */
const struct cfg_channel *cfg_channel_of(const cfg *c, const char *rcpt);

size_t cfg_maintenance_count(const cfg *c);
const struct cfg_maintenance *cfg_maintenance_at(const cfg *c, size_t i);

/* Is check covered by a maintenance event at t?  Fills why (may be NULL). */
int cfg_in_maintenance(const cfg *c, const struct cfg_check *chk, ab_time t,
                       char *why, size_t whylen);
/* When the maintenance covering check at t ends (exclusive; the latest
 * end if several calendars cover it), or AB_TIME_NONE if none does. */
ab_time cfg_maintenance_end(const cfg *c, const struct cfg_check *chk, ab_time t);

/* One-line summary for `ackbeat validate`: "3 checks, 2 sources, ...". */
void cfg_summary(const cfg *c, char *buf, size_t len);

/*
 * Read a secret: the first line of the file (without the newline) or the
 * environment variable.  *out is NULL when none is configured.  Caller
 * frees with ab_free.  Errors name the file or variable, never the value.
 */
enum ab_err cfg_secret_read(const struct cfg_secret *s, char **out,
                            ab_errmsg *em) AB_MUST_CHECK;

/*
 * For `validate`: can every secret the config names be read now, as
 * `run` will need to?  An unset variable, a missing or unreadable file is
 * one "FILE:LINE: ..." line in errs; a file that group or others may read
 * is one "FILE:LINE: warning: ..." line in warns.  Returns the number of
 * errors.  Reads no secret's value, except <mail dkim-key=>, which is
 * parsed to tell that it is an RSA private key.
 */
size_t cfg_secrets_probe(const cfg *c, ab_buf *errs, ab_buf *warns);

#endif
