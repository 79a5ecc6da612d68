/*
 * inbox_maildir.c - the Maildir reader (maildir:PATH), for mail delivered
 * locally (Postfix virtual/LMTP, procmail, fetchmail).
 *
 * What is to be read: every file in new/, and every file in cur/ whose
 * info part (":2,FLAGS") has no S (seen) flag.  After the store has
 * committed a message, the file moves to cur/NAME:2,<flags>S with the
 * flags kept in ASCII order, which is the Maildir convention every
 * client understands.  Maildir has no UIDs: the store key of a message is
 * a 63-bit FNV-1a hash of its unique name (the part before ':'), which
 * survives the rename, so a crash between commit and rename re-reads the
 * file, finds it recorded, and only renames it.
 *
 * move_to is a Maildir++ folder (the layout Courier and Dovecot use):
 * folder "Done" is the directory PATH/.Done, nested names use '.' as the
 * separator ("Done.2026" is PATH/.Done.2026), and a name that is not
 * ASCII is written in modified UTF-7 as those servers do ("Bestätigt" is
 * PATH/.Best&AOQ-tigt).  The folder (cur/, new/, tmp/ and the
 * "maildirfolder" marker) is created when missing, and the message is
 * renamed straight into its cur/ with the S flag: one rename, after the
 * store committed, so the crash argument above holds unchanged.  Only the
 * inbox itself is read, never its folders, so a moved message is not
 * read again.
 */
#include "inbox/inbox_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/ab_fs.h"
#include "common/ab_mem.h"
#include "config/cfg.h"

struct mdir {
    char *path;
    char **names; /* "new/X" or "cur/X:2,F" */
    size_t n, cap;
    char *folder;      /* move_to's directory, once made; NULL before */
    char *folder_name; /* the move_to it was made for */
};

static uint64_t name_hash(const char *name)
{
    const char *base = strchr(name, '/');
    base = base ? base + 1 : name;
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = base; *p && *p != ':'; p++) {
        h ^= (unsigned char)*p;
        h *= 1099511628211ULL;
    }
    return h & 0x7fffffffffffffffULL;
}

static void md_close(void *h)
{
    struct mdir *md = h;
    if (!md)
        return;
    for (size_t i = 0; i < md->n; i++)
        ab_free(md->names[i]);
    ab_free(md->names);
    ab_free(md->path);
    ab_free(md->folder);
    ab_free(md->folder_name);
    ab_free(md);
}

static enum ab_err md_open(const struct cfg_inbox *ib, const char *password,
                           void **h, ab_errmsg *em)
{
    (void)password;
    *h = NULL;
    const char *p = ib->url + strlen("maildir:");
    if (strncmp(p, "//", 2) == 0)
        p += 2;
    char sub[4096];
    for (int i = 0; i < 2; i++) {
        struct stat sb;
        snprintf(sub, sizeof sub, "%s/%s", p, i ? "cur" : "new");
        if (stat(sub, &sb) != 0 || !S_ISDIR(sb.st_mode))
            return ab_fail(em, AB_EIO, "%s: not a Maildir (no %s/)", p, i ? "cur" : "new");
    }
    struct mdir *md = ab_calloc(1, sizeof *md);
    if (!md || !(md->path = ab_strdup(p))) {
        ab_free(md);
        return ab_fail(em, AB_ENOMEM, "out of memory");
    }
    *h = md;
    return AB_OK;
}

static enum ab_err md_select(void *h, uint32_t *uidvalidity, ab_errmsg *em)
{
    (void)h;
    (void)em;
    *uidvalidity = 0;
    return AB_OK;
}

static int cmp_name(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    /* by unique name (its leading timestamp), not by folder */
    return strcmp(strchr(x, '/') + 1, strchr(y, '/') + 1);
}

static enum ab_err md_list(void *h, uint64_t after, uint64_t **ids, size_t *n,
                           ab_errmsg *em)
{
    struct mdir *md = h;
    (void)after;
    for (size_t i = 0; i < md->n; i++)
        ab_free(md->names[i]);
    md->n = 0;
    for (int k = 0; k < 2; k++) {
        const char *sub = k ? "cur" : "new";
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", md->path, sub);
        DIR *d = opendir(dir);
        if (!d)
            return ab_fail(em, AB_EIO, "%s: %s", dir, strerror(errno));
        struct dirent *de;
        while ((de = readdir(d))) {
            if (de->d_name[0] == '.')
                continue;
            const char *info = strstr(de->d_name, ":2,");
            if (k && info && strchr(info + 3, 'S'))
                continue;
            if (md->n == md->cap) {
                size_t nc = md->cap ? md->cap * 2 : 64;
                char **nv = ab_realloc(md->names, nc * sizeof *nv);
                if (!nv) {
                    closedir(d);
                    return ab_fail(em, AB_ENOMEM, "out of memory");
                }
                md->names = nv;
                md->cap = nc;
            }
            size_t l = strlen(sub) + 1 + strlen(de->d_name) + 1;
            char *nm = ab_malloc(l);
            if (!nm) {
                closedir(d);
                return ab_fail(em, AB_ENOMEM, "out of memory");
            }
            snprintf(nm, l, "%s/%s", sub, de->d_name);
            md->names[md->n++] = nm;
        }
        closedir(d);
    }
    if (md->n)
        qsort(md->names, md->n, sizeof *md->names, cmp_name);
    *n = md->n;
    *ids = ab_calloc(md->n ? md->n : 1, sizeof **ids);
    if (!*ids)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    for (size_t i = 0; i < md->n; i++)
        (*ids)[i] = i + 1;
    return AB_OK;
}

static enum ab_err md_fetch(void *h, const uint64_t *ids, size_t n,
                            inbox_fetch_fn fn, void *ud, ab_errmsg *em)
{
    struct mdir *md = h;
    enum ab_err e = AB_OK;
    char *buf = NULL;
    for (size_t i = 0; i < n && !e; i++) {
        if (ids[i] < 1 || ids[i] > md->n)
            continue;
        const char *name = md->names[ids[i] - 1];
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", md->path, name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOENT)
                continue; /* another reader took it */
            return ab_fail(em, AB_EIO, "%s: %s", path, strerror(errno));
        }
        struct stat sb;
        if (fstat(fd, &sb) != 0) {
            close(fd);
            return ab_fail(em, AB_EIO, "%s: %s", path, strerror(errno));
        }
        size_t full = (size_t)sb.st_size;
        size_t want = full < INBOX_MAX_MESSAGE ? full : INBOX_MAX_MESSAGE;
        buf = ab_malloc(want + 1);
        if (!buf) {
            close(fd);
            return ab_fail(em, AB_ENOMEM, "out of memory");
        }
        size_t got = 0;
        while (got < want) {
            ssize_t r = read(fd, buf + got, want - got);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        close(fd);
        struct inbox_fetched f = {
            .uid = name_hash(name),
            .data = buf,
            .len = got,
            .full_len = full,
            .received = (ab_time)sb.st_mtime,
        };
        e = fn(ud, &f, em);
        ab_free(buf);
        buf = NULL;
    }
    return e;
}

/*
 * The Maildir++ folder for move_to: PATH/.NAME with NAME in modified
 * UTF-7, made if missing.  Names that would leave PATH or that Maildir++
 * cannot hold are refused: '/' (a path), an empty level ("Done..x",
 * ".Done", "Done."), and "INBOX", which is PATH itself.  A leading
 * "INBOX." is dropped: Courier shows PATH/.Done as "INBOX.Done".
 */
static enum ab_err md_folder(struct mdir *md, const char *move_to, ab_errmsg *em)
{
    if (md->folder && strcmp(md->folder_name, move_to) == 0)
        return AB_OK;
    const char *name = move_to;
    if (strncasecmp(name, "INBOX.", 6) == 0)
        name += 6;
    size_t ml = strlen(name);
    if (ml == 0)
        return ab_fail(em, AB_ECONFIG, "move-to \"%s\": no folder name", move_to);
    if (strchr(name, '/') || name[0] == '.' || name[ml - 1] == '.' ||
        strstr(name, "..") || strcasecmp(name, "INBOX") == 0)
        return ab_fail(em, AB_ECONFIG, "move-to \"%s\": not a Maildir++ folder name "
                       "(levels are separated by '.', none may be empty; no '/')",
                       move_to);
    char *wire = NULL;
    enum ab_err e = inbox_utf7_encode(name, &wire, em);
    if (e)
        return e;
    char dir[4096], sub[4200];
    if ((size_t)snprintf(dir, sizeof dir, "%s/.%s", md->path, wire) >= sizeof dir) {
        ab_free(wire);
        return ab_fail(em, AB_EINVAL, "move-to \"%s\": path too long", move_to);
    }
    ab_free(wire);
    if ((e = ab_maildir_make(dir, em)))
        return e;
    /* Maildir++: the empty file that tells a delivery agent this is a
     * folder, not a user's main Maildir. */
    snprintf(sub, sizeof sub, "%s/maildirfolder", dir);
    int fd = open(sub, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return ab_fail(em, AB_EIO, "%s: %s", sub, strerror(errno));
    close(fd);
    ab_free(md->folder);
    ab_free(md->folder_name);
    md->folder = ab_strdup(dir);
    md->folder_name = ab_strdup(move_to);
    if (!md->folder || !md->folder_name) {
        ab_free(md->folder);
        md->folder = NULL;
        return ab_fail(em, AB_ENOMEM, "out of memory");
    }
    return AB_OK;
}

static enum ab_err md_done(void *h, const uint64_t *ids, size_t n,
                           const char *move_to, ab_errmsg *em)
{
    struct mdir *md = h;
    enum ab_err e = AB_OK;
    /* No folder, no rename: the messages stay unread where they are and
     * are recognised as recorded on the next poll. */
    if (move_to && *move_to && (e = md_folder(md, move_to, em)))
        return e;
    const char *dest = move_to && *move_to ? md->folder : md->path;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 1 || ids[i] > md->n)
            continue;
        const char *name = md->names[ids[i] - 1];
        const char *base = strchr(name, '/') + 1;
        const char *info = strstr(base, ":2,");
        size_t ul = info ? (size_t)(info - base) : strlen(base);
        /* the flags, plus S, in ASCII order */
        char flags[64] = "";
        size_t fl = 0;
        const char *old = info ? info + 3 : "";
        int added = 0;
        for (const char *p = old; *p && fl < sizeof flags - 2; p++) {
            if (!added && *p > 'S') {
                flags[fl++] = 'S';
                added = 1;
            }
            flags[fl++] = *p;
        }
        if (!added)
            flags[fl++] = 'S';
        flags[fl] = '\0';
        char from[4096], to[4096];
        snprintf(from, sizeof from, "%s/%s", md->path, name);
        snprintf(to, sizeof to, "%s/cur/%.*s:2,%s", dest, (int)ul, base, flags);
        if (rename(from, to) != 0 && errno != ENOENT && !e)
            e = ab_fail(em, AB_EIO, "%s: %s", from, strerror(errno));
    }
    return e;
}

const struct inbox_reader_ops inbox_reader_maildir = {
    .scheme = "maildir:",
    .has_uids = 0,
    .open = md_open,
    .select = md_select,
    .list = md_list,
    .fetch = md_fetch,
    .done = md_done,
    .close = md_close,
};
