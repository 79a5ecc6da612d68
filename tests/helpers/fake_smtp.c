/*
 * fake_smtp.c - a scripted SMTP server (RFC 5321, AUTH per RFC 4954) for
 * the mailer's tests: the protocol edge cases a real server will not
 * produce on demand, with a transcript of everything said.
 *
 *   fake_smtp [--transcript FILE] [--save DIR] [--mode MODE]
 *             [--rcpt ADDR=REPLY]... [--mail-reply REPLY]
 *             [--data-reply REPLY] [--auth USER:PASS]
 *
 * Listens on 127.0.0.1 on a free port, prints the port on stdout, then
 * serves connections one after another until killed (or its parent
 * exits, or five minutes pass).  MODE:
 *   normal   a well-behaved server (default)
 *   hang     sends the banner, then never answers
 *   garbage  answers EHLO with bytes that are not an SMTP reply, closes
 *   close    accepts and closes at once
 *   banner554  "554 no service" banner
 * --rcpt gives the reply to RCPT TO:<ADDR> ("550 5.1.1 no such user");
 * --auth requires AUTH PLAIN or LOGIN with those credentials.  The
 * transcript has "--- connection N", "C: line", "S: line", and "D: N
 * bytes" per message; --save writes each message's data to DIR/N.eml.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_RULES 32

static const char *transcript_path, *save_dir, *mode = "normal";
static const char *mail_reply = "250 2.1.0 ok", *data_reply;
static const char *auth_user, *auth_pass;
static struct {
    char addr[256];
    const char *reply;
} rules[MAX_RULES];
static int nrules, msgno;
static FILE *tr;

static void note(const char *dir, const char *s, size_t n)
{
    if (!tr)
        return;
    while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    fprintf(tr, "%s: %.*s\n", dir, (int)n, s);
    fflush(tr);
}

static int say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int say(int fd, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 2, fmt, ap);
    va_end(ap);
    if (n < 0 || n > (int)sizeof buf - 3)
        n = (int)sizeof buf - 3;
    /* Multi-line replies are written with \n between lines. */
    char out[4096];
    size_t o = 0;
    for (int i = 0; i < n && o + 3 < sizeof out; i++) {
        if (buf[i] == '\n') {
            out[o++] = '\r';
            out[o++] = '\n';
        } else {
            out[o++] = buf[i];
        }
    }
    out[o++] = '\r';
    out[o++] = '\n';
    size_t start = 0;
    for (size_t i = 0; i < o; i++)
        if (out[i] == '\n') {
            note("S", out + start, i + 1 - start);
            start = i + 1;
        }
    return write(fd, out, o) == (ssize_t)o ? 0 : -1;
}

/* Buffered line reader. */
struct conn {
    int fd;
    char buf[65536];
    size_t len;
};

/* Read one line (with its CRLF) into line; returns its length, 0 on EOF. */
static size_t read_line(struct conn *c, char *line, size_t cap)
{
    for (;;) {
        char *nl = memchr(c->buf, '\n', c->len);
        if (nl) {
            size_t n = (size_t)(nl - c->buf + 1);
            size_t take = n < cap - 1 ? n : cap - 1;
            memcpy(line, c->buf, take);
            line[take] = 0;
            memmove(c->buf, c->buf + n, c->len - n);
            c->len -= n;
            return take;
        }
        if (c->len == sizeof c->buf)
            c->len = 0; /* an absurd line: drop it */
        ssize_t r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
        if (r <= 0)
            return 0;
        c->len += (size_t)r;
    }
}

static const char *rcpt_reply(const char *addr)
{
    for (int i = 0; i < nrules; i++)
        if (strcasecmp(rules[i].addr, addr) == 0)
            return rules[i].reply;
    return "250 2.1.5 ok";
}

static int check_plain(const char *b64)
{
    gsize n = 0;
    guchar *raw = g_base64_decode(b64, &n);
    int ok = 0;
    /* authzid \0 authcid \0 passwd */
    const char *p = (const char *)raw, *end = p + n;
    const char *z1 = memchr(p, 0, n);
    if (z1) {
        const char *user = z1 + 1;
        const char *z2 = memchr(user, 0, (size_t)(end - user));
        if (z2) {
            const char *pass = z2 + 1;
            ok = (size_t)(z2 - user) == strlen(auth_user) &&
                 memcmp(user, auth_user, strlen(auth_user)) == 0 &&
                 (size_t)(end - pass) == strlen(auth_pass) &&
                 memcmp(pass, auth_pass, strlen(auth_pass)) == 0;
        }
    }
    g_free(raw);
    return ok;
}

static int decoded_equals(const char *b64, const char *want)
{
    gsize n = 0;
    guchar *raw = g_base64_decode(b64, &n);
    int ok = n == strlen(want) && memcmp(raw, want, n) == 0;
    g_free(raw);
    return ok;
}

static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = 0;
}

static void serve(int fd)
{
    struct conn c = {.fd = fd};
    char line[4096];
    int authed = auth_user == NULL, naccepted = 0;

    if (strcmp(mode, "close") == 0)
        return;
    if (strcmp(mode, "banner554") == 0) {
        say(fd, "554 5.3.2 no service here");
        while (read_line(&c, line, sizeof line) > 0) {
            note("C", line, strlen(line));
            if (strncasecmp(line, "QUIT", 4) == 0) {
                say(fd, "221 bye");
                return;
            }
            say(fd, "503 5.5.1 no service");
        }
        return;
    }
    say(fd, "220 fake.test ESMTP fake_smtp");
    if (strcmp(mode, "hang") == 0) {
        /* Read and never answer, until the client gives up. */
        while (read_line(&c, line, sizeof line) > 0)
            note("C", line, strlen(line));
        return;
    }
    while (read_line(&c, line, sizeof line) > 0) {
        note("C", line, strlen(line));
        chomp(line);
        if (strncasecmp(line, "EHLO", 4) == 0) {
            if (strcmp(mode, "garbage") == 0) {
                const char junk[] = "\x01\x02garbage, not SMTP\r\n???\r\n";
                note("S", "(garbage)", 9);
                if (write(fd, junk, sizeof junk - 1) < 0)
                    return;
                return;
            }
            say(fd, "250-fake.test\n250-PIPELINING\n250-SIZE 10000000\n%s250 8BITMIME",
                auth_user ? "250-AUTH PLAIN LOGIN\n" : "");
        } else if (strncasecmp(line, "HELO", 4) == 0) {
            say(fd, "250 fake.test");
        } else if (strncasecmp(line, "AUTH PLAIN", 10) == 0 && auth_user) {
            const char *arg = line + 10;
            while (*arg == ' ')
                arg++;
            char resp[4096];
            if (!*arg) {
                say(fd, "334 ");
                if (read_line(&c, resp, sizeof resp) == 0)
                    return;
                note("C", resp, strlen(resp));
                chomp(resp);
                arg = resp;
            }
            if (check_plain(arg)) {
                authed = 1;
                say(fd, "235 2.7.0 Authentication successful");
            } else {
                say(fd, "535 5.7.8 Error: authentication failed");
            }
        } else if (strncasecmp(line, "AUTH LOGIN", 10) == 0 && auth_user) {
            char u[1024], p[1024];
            say(fd, "334 VXNlcm5hbWU6");
            if (read_line(&c, u, sizeof u) == 0)
                return;
            note("C", u, strlen(u));
            chomp(u);
            say(fd, "334 UGFzc3dvcmQ6");
            if (read_line(&c, p, sizeof p) == 0)
                return;
            note("C", p, strlen(p));
            chomp(p);
            if (decoded_equals(u, auth_user) && decoded_equals(p, auth_pass)) {
                authed = 1;
                say(fd, "235 2.7.0 Authentication successful");
            } else {
                say(fd, "535 5.7.8 Error: authentication failed");
            }
        } else if (strncasecmp(line, "MAIL FROM:", 10) == 0) {
            naccepted = 0;
            if (!authed)
                say(fd, "530 5.7.0 Authentication required");
            else
                say(fd, "%s", mail_reply);
        } else if (strncasecmp(line, "RCPT TO:", 8) == 0) {
            char addr[256] = "";
            const char *lt = strchr(line, '<'), *gt = lt ? strchr(lt, '>') : NULL;
            if (lt && gt && (size_t)(gt - lt - 1) < sizeof addr) {
                memcpy(addr, lt + 1, (size_t)(gt - lt - 1));
                addr[gt - lt - 1] = 0;
            }
            const char *r = rcpt_reply(addr);
            if (r[0] == '2')
                naccepted++;
            say(fd, "%s", r);
        } else if (strcasecmp(line, "DATA") == 0) {
            if (naccepted == 0) {
                say(fd, "554 5.5.1 Error: no valid recipients");
                continue;
            }
            say(fd, "354 End data with <CR><LF>.<CR><LF>");
            GString *data = g_string_new(NULL);
            size_t n;
            while ((n = read_line(&c, line, sizeof line)) > 0) {
                if (strcmp(line, ".\r\n") == 0)
                    break;
                /* RFC 5321 4.5.2: remove one leading dot. */
                g_string_append(data, line[0] == '.' ? line + 1 : line);
            }
            if (n == 0) {
                g_string_free(data, TRUE);
                return;
            }
            msgno++;
            if (tr) {
                fprintf(tr, "D: %zu bytes\n", data->len);
                fflush(tr);
            }
            if (save_dir) {
                char path[4096];
                snprintf(path, sizeof path, "%s/%d.eml", save_dir, msgno);
                FILE *f = fopen(path, "wb");
                if (f) {
                    fwrite(data->str, 1, data->len, f);
                    fclose(f);
                }
            }
            g_string_free(data, TRUE);
            if (data_reply)
                say(fd, "%s", data_reply);
            else
                say(fd, "250 2.0.0 Ok: queued as FAKE%d", msgno);
        } else if (strcasecmp(line, "RSET") == 0 || strcasecmp(line, "NOOP") == 0) {
            naccepted = 0;
            say(fd, "250 2.0.0 Ok");
        } else if (strcasecmp(line, "QUIT") == 0) {
            say(fd, "221 2.0.0 Bye");
            return;
        } else {
            say(fd, "502 5.5.2 Error: command not recognized");
        }
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: fake_smtp [--transcript F] [--save DIR] [--mode M] "
                    "[--rcpt ADDR=REPLY]... [--mail-reply R] [--data-reply R] "
                    "[--auth USER:PASS]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc)
            usage();
        const char *v = argv[++i];
        if (strcmp(a, "--transcript") == 0) {
            transcript_path = v;
        } else if (strcmp(a, "--save") == 0) {
            save_dir = v;
        } else if (strcmp(a, "--mode") == 0) {
            mode = v;
        } else if (strcmp(a, "--mail-reply") == 0) {
            mail_reply = v;
        } else if (strcmp(a, "--data-reply") == 0) {
            data_reply = v;
        } else if (strcmp(a, "--rcpt") == 0) {
            const char *eq = strchr(v, '=');
            if (!eq || nrules == MAX_RULES || (size_t)(eq - v) >= sizeof rules[0].addr)
                usage();
            memcpy(rules[nrules].addr, v, (size_t)(eq - v));
            rules[nrules].addr[eq - v] = 0;
            rules[nrules].reply = eq + 1;
            nrules++;
        } else if (strcmp(a, "--auth") == 0) {
            char *copy = strdup(v);
            char *colon = copy ? strchr(copy, ':') : NULL;
            if (!colon)
                usage();
            *colon = 0;
            auth_user = copy;
            auth_pass = colon + 1;
        } else {
            usage();
        }
    }
    signal(SIGPIPE, SIG_IGN);
    /* Never outlive the test that started it, even one that failed
     * before stopping it: die with the parent, and in any case after
     * five minutes. */
    pid_t parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        return 1;
    alarm(300);
    if (transcript_path && !(tr = fopen(transcript_path, "a"))) {
        perror(transcript_path);
        return 1;
    }
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(ls, 16) < 0) {
        perror("bind");
        return 1;
    }
    socklen_t sl = sizeof sa;
    getsockname(ls, (struct sockaddr *)&sa, &sl);
    printf("%d\n", ntohs(sa.sin_port));
    fflush(stdout);
    for (int n = 1;; n++) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            perror("accept");
            return 1;
        }
        if (tr) {
            fprintf(tr, "--- connection %d\n", n);
            fflush(tr);
        }
        serve(fd);
        close(fd);
    }
}
