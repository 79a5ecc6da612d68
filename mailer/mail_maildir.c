/*
 * mail_maildir.c - the maildir:PATH transport: each message becomes one file in
 * a Maildir (the format of qmail's maildir(5), as Dovecot and mutt read
 * it).  For the demo and for air-gapped sites where a person or another
 * tool picks the mail up.
 *
 * Delivery follows the Maildir rules so that a reader never sees half a
 * message: write tmp/NAME, fsync it, then link it into new/NAME (atomic,
 * and refuses to overwrite) and fsync new/ so the name survives a power
 * cut, then remove tmp/NAME.
 *
 * NAME comes from the message's Message-ID (ab<64-bit hash>.HOST), so
 * that the retry after a crash between the delivery and the outbox's
 * "sent" finds the file (in new/, or in cur/ where a reader moved it,
 * NAME:2,FLAGS) and does not deliver a second copy.  Without a
 * Message-ID it is TIME.M<usec>P<pid>Q<n>R<random>.HOST, unique per host
 * without relying on the clock alone.  Our tmp/ leftovers of a crash
 * (ab*, older than a minute, so not a write in progress) are removed when
 * the transport opens.
 *
 * A Maildir has no recipients: the one file is the delivery for all of
 * them.  It starts with "Return-Path: <SENDER>", the envelope sender, as
 * written by a delivery agent (RFC 5321 4.4).  Files use LF line ends, like every other Maildir writer.  Every
 * failure here (a full disk, a permission) is temporary: fixing it lets
 * the queued mail out.
 */
#include "mailer/mail_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/ab_fs.h"
#include "common/ab_mem.h"

struct maildir {
    char *path;
    ab_time now;
    char host[128];
    unsigned long seq;
    int ready; /* the folders exist (checked once per batch) */
};

static enum ab_err md_open(const struct cfg_mail *mc, const char *url,
                           ab_time now, void **state, ab_errmsg *em)
{
    (void)mc;
    const char *path = url + strlen("maildir:");
    if (!*path)
        return ab_fail(em, AB_ECONFIG, "mail transport maildir: needs a path (maildir:PATH)");
    if (strlen(path) > 3000)
        return ab_fail(em, AB_ECONFIG, "mail transport maildir: path too long");
    struct maildir *m = ab_calloc(1, sizeof *m);
    if (!m || !(m->path = ab_strdup(path))) {
        ab_free(m);
        return ab_fail(em, AB_ENOMEM, "out of memory");
    }
    m->now = now;
    /* The spec: replace '/' with \057 and ':' with \072 in the host name,
     * since both have meaning in a Maildir file name. */
    char h[64] = "localhost";
    if (gethostname(h, sizeof h) != 0)
        snprintf(h, sizeof h, "localhost");
    h[sizeof h - 1] = 0;
    size_t o = 0;
    for (const char *p = h; *p && o + 5 < sizeof m->host; p++) {
        if (*p == '/')
            o += (size_t)snprintf(m->host + o, sizeof m->host - o, "\\057");
        else if (*p == ':')
            o += (size_t)snprintf(m->host + o, sizeof m->host - o, "\\072");
        else
            m->host[o++] = *p;
    }
    m->host[o] = 0;
    *state = m;
    return AB_OK;
}

static void md_close(void *state)
{
    struct maildir *m = state;
    if (!m)
        return;
    ab_free(m->path);
    ab_free(m);
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int r = fsync(fd);
    close(fd);
    return r;
}

/* FNV-1a, 64 bits: a file name per Message-ID. */
static uint64_t hash64(const char *s)
{
    uint64_t h = 14695981039346656037ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

/* Is NAME in new/, or NAME or NAME:2,... in cur/? */
static int delivered(const struct maildir *m, const char *name)
{
    char p[4096];
    struct stat sb;
    snprintf(p, sizeof p, "%s/new/%s", m->path, name);
    if (stat(p, &sb) == 0)
        return 1;
    snprintf(p, sizeof p, "%s/cur", m->path);
    DIR *d = opendir(p);
    size_t n = strlen(name);
    int found = 0;
    struct dirent *de;
    while (d && !found && (de = readdir(d)))
        found = !strncmp(de->d_name, name, n) && (de->d_name[n] == '\0' || de->d_name[n] == ':');
    if (d)
        closedir(d);
    return found;
}

/* Remove our tmp/ files left by a crash: named ab*, not touched for a
 * minute (a delivery in progress takes milliseconds). */
static void clean_tmp(const struct maildir *m)
{
    char dir[4096], p[4400];
    snprintf(dir, sizeof dir, "%s/tmp", m->path);
    DIR *d = opendir(dir);
    struct dirent *de;
    time_t now = time(NULL);
    while (d && (de = readdir(d))) {
        struct stat sb;
        if (strncmp(de->d_name, "ab", 2) != 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (lstat(p, &sb) == 0 && S_ISREG(sb.st_mode) && now - sb.st_mtime > 60)
            unlink(p);
    }
    if (d)
        closedir(d);
}

/* Deliver the one file of message_id into new/, unless it is there. */
static enum ab_err deliver_once(struct maildir *m, const char *message_id,
                                const char *data, size_t len, ab_errmsg *em)
{
    char name[512], tmp[4096], dst[4096], dir[4096];
    snprintf(name, sizeof name, "ab%016llx.%s", (unsigned long long)hash64(message_id),
             m->host);
    snprintf(tmp, sizeof tmp, "%s/tmp/%s", m->path, name);
    if (delivered(m, name)) {
        /* The crash came after the delivery: not twice.  A crash between
         * the link into new/ and the unlink left tmp/NAME, this very
         * message's own file: it goes now, not a minute later. */
        unlink(tmp);
        return AB_OK;
    }
    snprintf(dst, sizeof dst, "%s/new/%s", m->path, name);
    /* O_TRUNC: a leftover of a crash under the same name is rewritten. */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return ab_fail(em, AB_EIO, "maildir: cannot create %s: %s", tmp, strerror(errno));
    int w = write_all(fd, data, len) < 0 || fsync(fd) < 0;
    int err = errno;
    if (close(fd) < 0 && !w) {
        w = 1;
        err = errno;
    }
    if (w) {
        unlink(tmp);
        return ab_fail(em, AB_EIO, "maildir: writing %s: %s", tmp, strerror(err));
    }
    int r = link(tmp, dst);
    if (r < 0 && errno == EEXIST)
        r = 0; /* delivered meanwhile: the same message */
    if (r < 0 && (errno == EPERM || errno == ENOTSUP || errno == EXDEV))
        r = rename(tmp, dst);
    err = errno;
    unlink(tmp);
    if (r < 0)
        return ab_fail(em, AB_EIO, "maildir: cannot move %s into new/: %s", name,
                       strerror(err));
    snprintf(dir, sizeof dir, "%s/new", m->path);
    if (fsync_dir(dir) < 0)
        return ab_fail(em, AB_EIO, "maildir: fsync %s: %s", dir, strerror(errno));
    return AB_OK;
}

/* Deliver one file into new/. */
static enum ab_err deliver(struct maildir *m, const char *message_id, const char *data,
                           size_t len, ab_errmsg *em)
{
    char name[512], tmp[4096], dst[4096], dir[4096];
    if (!m->ready) {
        enum ab_err e = ab_maildir_make(m->path, em);
        if (e)
            return e;
        clean_tmp(m);
        m->ready = 1;
    }
    if (message_id && *message_id)
        return deliver_once(m, message_id, data, len, em);
    for (int tries = 0; tries < 5; tries++) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t rnd = 0;
        if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd)
            rnd = (uint64_t)ts.tv_nsec ^ ((uint64_t)m->seq << 32);
        snprintf(name, sizeof name, "%lld.M%ldP%ldQ%luR%016llx.%s",
                 (long long)m->now, (long)(ts.tv_nsec / 1000), (long)getpid(),
                 ++m->seq, (unsigned long long)rnd, m->host);
        snprintf(tmp, sizeof tmp, "%s/tmp/%s", m->path, name);
        snprintf(dst, sizeof dst, "%s/new/%s", m->path, name);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
            if (errno == EEXIST)
                continue;
            return ab_fail(em, AB_EIO, "maildir: cannot create %s: %s", tmp, strerror(errno));
        }
        if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
            int err = errno;
            close(fd);
            unlink(tmp);
            return ab_fail(em, AB_EIO, "maildir: writing %s: %s", tmp, strerror(err));
        }
        if (close(fd) < 0) {
            int err = errno;
            unlink(tmp);
            return ab_fail(em, AB_EIO, "maildir: writing %s: %s", tmp, strerror(err));
        }
        /* link() refuses to replace an existing file; a file system
         * without hard links gets rename(), with a name that is unique
         * anyway. */
        int r = link(tmp, dst);
        if (r < 0 && errno == EEXIST) {
            unlink(tmp);
            continue;
        }
        if (r < 0 && (errno == EPERM || errno == ENOTSUP || errno == EXDEV))
            r = rename(tmp, dst);
        else if (r == 0)
            unlink(tmp);
        if (r < 0) {
            int err = errno;
            unlink(tmp);
            return ab_fail(em, AB_EIO, "maildir: cannot move %s into new/: %s", name,
                           strerror(err));
        }
        snprintf(dir, sizeof dir, "%s/new", m->path);
        if (fsync_dir(dir) < 0)
            return ab_fail(em, AB_EIO, "maildir: fsync %s: %s", dir, strerror(errno));
        return AB_OK;
    }
    return ab_fail(em, AB_EIO, "maildir %s: could not find a unique file name", m->path);
}

static enum ab_err md_send(void *state, const struct mail_envelope *env,
                           struct mail_rcpt_result *res, ab_errmsg *em)
{
    struct maildir *m = state;
    ab_errmsg local = {{0}};
    ab_errmsg *msg = em ? em : &local;
    ab_buf lf;
    ab_buf_init(&lf, 0);
    enum ab_err e;
    /* This transport is the final delivery, so it does what a local
     * delivery agent does (RFC 5321 4.4): the envelope sender goes first,
     * as Return-Path.  What a test or a person reads here is then what a
     * mailbox would hold, VERP address and all.  The stored message never
     * has one of its own (mail_msg_build refuses it as an extra header). */
    if (ab_buf_printf(&lf, "Return-Path: <%s>\n", env->sender ? env->sender : "") != AB_OK ||
        mail_crlf_to_lf(&lf, env->data, env->len) != AB_OK)
        e = ab_fail(msg, AB_ENOMEM, "out of memory");
    else
        e = deliver(m, env->message_id, lf.data ? lf.data : "", lf.len, msg);
    ab_buf_free(&lf);
    if (e) {
        mail_results_set(res, env->nrcpts, AB_ETEMPFAIL, "%s", msg->text);
        return AB_ETEMPFAIL;
    }
    mail_results_set(res, env->nrcpts, AB_OK, "%s", "");
    return AB_OK;
}

const struct mail_transport_ops mail_maildir_ops = {
    .prefix = "maildir:",
    .open = md_open,
    .send = md_send,
    .close = md_close,
};
