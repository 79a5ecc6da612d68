/*
 * mime_dump.c - read one message (RFC 5322 + MIME) with GMime, the way a
 * mail client would, and print what it says, decoded: for integration
 * tests that compare what arrived over IMAP with what was rendered.
 *
 *   mime_dump FILE                 a summary: the main headers decoded
 *                                  (RFC 2047), each leaf part's type,
 *                                  charset and transfer encoding, and the
 *                                  longest line of the raw message
 *   mime_dump FILE --header NAME   NAME's value, decoded, unfolded
 *   mime_dump FILE --part N        leaf part N (1-based), decoded, with
 *                                  CRLF turned into LF
 *   mime_dump FILE --addr NAME     the addr-specs of an address header
 *                                  (From, To, Reply-To), one per line
 *
 * FILE "-" is stdin.  Exit status 1 if the message or the part is not
 * there.
 */
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct walk {
    int want, seen;
    GMimeObject *found;
    int summary;
};

static void leaf(GMimeObject *parent, GMimeObject *part, gpointer ud)
{
    (void)parent;
    struct walk *w = ud;
    if (GMIME_IS_MULTIPART(part) || GMIME_IS_MESSAGE_PART(part))
        return;
    w->seen++;
    if (w->seen == w->want)
        w->found = part;
    if (w->summary && GMIME_IS_PART(part)) {
        GMimeContentType *ct = g_mime_object_get_content_type(part);
        const char *cs = g_mime_content_type_get_parameter(ct, "charset");
        const char *enc = g_mime_content_encoding_to_string(
            g_mime_part_get_content_encoding(GMIME_PART(part)));
        printf("part %d: %s/%s charset=%s encoding=%s\n", w->seen,
               g_mime_content_type_get_media_type(ct), g_mime_content_type_get_media_subtype(ct),
               cs ? cs : "-",
               enc ? enc : "7bit");
    }
}

static void print_crlf_to_lf(const char *s)
{
    for (; *s; s++)
        if (!(s[0] == '\r' && s[1] == '\n'))
            putchar(*s);
}

static char *header_decoded(GMimeObject *o, const char *name)
{
    GMimeHeaderList *hl = g_mime_object_get_header_list(o);
    GMimeHeader *h = g_mime_header_list_get_header(hl, name);
    if (!h)
        return NULL;
    char *v = g_mime_utils_header_decode_text(NULL, g_mime_header_get_raw_value(h));
    char *u = g_mime_utils_header_unfold(v);
    g_free(v);
    return g_strstrip(u);
}

static size_t longest_line(const char *s, size_t n)
{
    size_t best = 0, cur = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') {
            if (cur > 0 && s[i - 1] == '\r')
                cur--;
            if (cur > best)
                best = cur;
            cur = 0;
        } else {
            cur++;
        }
    }
    return cur > best ? cur : best;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: mime_dump FILE [--header NAME | --part N | --addr NAME]\n");
        return 2;
    }
    g_mime_init();
    GByteArray *raw = g_byte_array_new();
    FILE *f = strcmp(argv[1], "-") == 0 ? stdin : fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    unsigned char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        g_byte_array_append(raw, buf, (guint)n);
    if (f != stdin)
        fclose(f);
    GMimeStream *st = g_mime_stream_mem_new_with_byte_array(raw);
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(st), FALSE);
    GMimeParser *p = g_mime_parser_new_with_stream(st);
    GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
    if (!m) {
        fprintf(stderr, "mime_dump: not a message\n");
        return 1;
    }
    GMimeObject *o = GMIME_OBJECT(m);
    int rc = 0;
    if (argc == 4 && strcmp(argv[2], "--header") == 0) {
        char *v = header_decoded(o, argv[3]);
        if (v)
            printf("%s\n", v);
        else
            rc = 1;
        g_free(v);
    } else if (argc == 4 && strcmp(argv[2], "--addr") == 0) {
        const char *hv = g_mime_object_get_header(o, argv[3]);
        InternetAddressList *l = hv ? internet_address_list_parse(NULL, hv) : NULL;
        for (int i = 0; l && i < internet_address_list_length(l); i++) {
            InternetAddress *ia = internet_address_list_get_address(l, i);
            if (INTERNET_ADDRESS_IS_MAILBOX(ia))
                printf("%s\n", internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)));
        }
        rc = l ? 0 : 1;
        if (l)
            g_object_unref(l);
    } else if (argc == 4 && strcmp(argv[2], "--part") == 0) {
        struct walk w = {.want = (int)strtol(argv[3], NULL, 10)};
        GMimeObject *body = g_mime_message_get_mime_part(m);
        if (GMIME_IS_MULTIPART(body))
            g_mime_multipart_foreach(GMIME_MULTIPART(body), leaf, &w);
        else
            leaf(NULL, body, &w);
        if (w.found && GMIME_IS_TEXT_PART(w.found)) {
            char *t = g_mime_text_part_get_text(GMIME_TEXT_PART(w.found));
            print_crlf_to_lf(t);
            g_free(t);
        } else {
            rc = 1;
        }
    } else if (argc == 2) {
        static const char *const names[] = {"Date", "From", "To", "Reply-To", "Subject",
                                            "Message-ID", "In-Reply-To", "References",
                                            "Auto-Submitted", "MIME-Version", "Content-Type"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            char *v = header_decoded(o, names[i]);
            if (v)
                printf("%s: %s\n", names[i], v);
            g_free(v);
        }
        struct walk w = {.summary = 1};
        GMimeObject *body = g_mime_message_get_mime_part(m);
        if (GMIME_IS_MULTIPART(body))
            g_mime_multipart_foreach(GMIME_MULTIPART(body), leaf, &w);
        else
            leaf(NULL, body, &w);
        printf("longest-line: %zu\n", longest_line((const char *)raw->data, raw->len));
    } else {
        fprintf(stderr, "mime_dump: bad arguments\n");
        rc = 2;
    }
    g_object_unref(m);
    g_object_unref(p);
    g_object_unref(st);
    g_byte_array_free(raw, TRUE);
    return rc;
}
