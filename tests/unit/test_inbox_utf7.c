/*
 * test_inbox_utf7.c - IMAP mailbox names in modified UTF-7 (inbox/inbox_utf7.c,
 * RFC 3501 5.1.3): the RFC's own example, '&' alone and in runs, the
 * BASE64 padding of 1, 2 and 3 UTF-16 units, characters outside the BMP
 * as surrogate pairs, round trips, and invalid input on both sides
 * refused with a message that names the fault.
 */
#include "harness.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_mem.h"
#include "inbox/inbox_int.h"

/* enc(utf8) must be want, and dec(want) must give utf8 back. */
static int both_ways(const char *utf8, const char *want)
{
    char *a = NULL, *b = NULL;
    ab_errmsg em = {{0}};
    int ok = 1;
    if (inbox_utf7_encode(utf8, &a, &em) != AB_OK || strcmp(a, want) != 0) {
        printf("  encode \"%s\": got \"%s\" (%s), want \"%s\"\n", utf8, a ? a : "",
               em.text, want);
        ok = 0;
    }
    if (inbox_utf7_decode(want, &b, &em) != AB_OK || strcmp(b, utf8) != 0) {
        printf("  decode \"%s\": got \"%s\" (%s), want \"%s\"\n", want, b ? b : "",
               em.text, utf8);
        ok = 0;
    }
    ab_free(a);
    ab_free(b);
    return ok;
}

/* Decoding s must fail with AB_EINVAL and a message containing needle. */
static int dec_fails(const char *s, const char *needle)
{
    char *out = (char *)"untouched";
    ab_errmsg em = {{0}};
    enum ab_err e = inbox_utf7_decode(s, &out, &em);
    if (e != AB_EINVAL || out != NULL || !strstr(em.text, needle)) {
        printf("  decode \"%s\": %d \"%s\", wanted AB_EINVAL with \"%s\"\n", s, e,
               em.text, needle);
        if (e == AB_OK)
            ab_free(out);
        return 0;
    }
    return 1;
}

static int enc_fails(const char *s, const char *needle)
{
    char *out = (char *)"untouched";
    ab_errmsg em = {{0}};
    enum ab_err e = inbox_utf7_encode(s, &out, &em);
    if (e != AB_EINVAL || out != NULL || !strstr(em.text, needle)) {
        printf("  encode: %d \"%s\", wanted AB_EINVAL with \"%s\"\n", e, em.text, needle);
        if (e == AB_OK)
            ab_free(out);
        return 0;
    }
    return 1;
}

TEST(ascii_stands_for_itself)
{
    CHECK(both_ways("INBOX", "INBOX"));
    CHECK(both_ways("", ""));
    CHECK(both_ways("Done.2026 (old) ~x", "Done.2026 (old) ~x"));
    /* '-' and '+' and ',' outside a run are plain characters. */
    CHECK(both_ways("a-b+c,d/e", "a-b+c,d/e"));
}

TEST(ampersand_is_ampersand_dash)
{
    CHECK(both_ways("&", "&-"));
    CHECK(both_ways("R&D", "R&-D"));
    CHECK(both_ways("&&", "&-&-"));
    CHECK(both_ways("&-", "&--"));
    /* '&' right after an encoded run closes it first. */
    CHECK(both_ways("ä&", "&AOQ-&-"));
}

TEST(rfc3501_example_and_runs)
{
    /* RFC 3501 5.1.3: "~peter/mail/台北/日本語" */
    CHECK(both_ways("~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
                    "~peter/mail/&U,BTFw-/&ZeVnLIqe-"));
    /* one unit (2 padding bits), two (4), three (none) */
    CHECK(both_ways("Best\xc3\xa4tigt", "Best&AOQ-tigt"));
    CHECK(both_ways("\xc3\xa4\xc3\xb6", "&AOQA9g-"));
    CHECK(both_ways("\xc3\xa4\xc3\xb6\xc3\xbc", "&AOQA9gD8-"));
    CHECK(both_ways("Best\xc3\xa4tigt.\xe5\x9b\x9e\xe5\xa4\x8d", "Best&AOQ-tigt.&Vt5ZDQ-"));
    /* control characters are encoded too (RFC: 0x00-0x1f, 0x7f-0xff) */
    CHECK(both_ways("a\tb\x7f", "a&AAk-b&AH8-"));
    /* ',' is the 63rd digit, not '/' (U+FFFF = 0xff 0xff -> "///" in
     * plain BASE64) */
    CHECK(both_ways("\xef\xbf\xbf", "&,,8-"));
}

TEST(outside_the_bmp_is_a_surrogate_pair)
{
    /* U+1F600 = D83D DE00 */
    CHECK(both_ways("\xf0\x9f\x98\x80", "&2D3eAA-"));
    /* U+10FFFF = DBFF DFFF, the last code point */
    CHECK(both_ways("x\xf4\x8f\xbf\xbfy", "x&2,,f,w-y"));
    /* mixed with BMP characters in one run */
    CHECK(both_ways("\xc3\xa4\xf0\x9f\x98\x80\xc3\xa4", "&AOTYPd4AAOQ-"));
}

TEST(round_trips_of_every_kind_of_character)
{
    /* Every length of run from 1 to 12 units, so every padding case and
     * every position of a surrogate pair inside the BASE64 groups. */
    const char *pieces[] = {"\xc3\xa4", "\xe5\x9b\x9e", "\xf0\x9f\x98\x80", "&", "a", "\x01"};
    char name[256];
    for (size_t n = 1; n <= 12; n++) {
        for (size_t p = 0; p < sizeof pieces / sizeof *pieces; p++) {
            name[0] = '\0';
            for (size_t k = 0; k < n; k++)
                strncat(name, pieces[(p + k * (k + 1) / 2) % 6], sizeof name - strlen(name) - 1);
            char *a = NULL, *b = NULL;
            ab_errmsg em = {{0}};
            CHECK_OK(inbox_utf7_encode(name, &a, &em));
            for (const char *c = a; *c; c++)
                CHECK(*c >= 0x20 && *c <= 0x7e); /* 7-bit printable only */
            enum ab_err e = inbox_utf7_decode(a, &b, &em);
            if (e)
                printf("  %s: %s\n", a, em.text);
            CHECK_INT(e, AB_OK);
            CHECK_STR(b, name);
            ab_free(a);
            ab_free(b);
        }
    }
}

TEST(invalid_utf8_is_refused_when_encoding)
{
    CHECK(enc_fails("ab\xc3", "invalid UTF-8 at byte 2"));          /* truncated */
    CHECK(enc_fails("\xc0\xaf", "invalid UTF-8 at byte 0"));        /* overlong '/' */
    CHECK(enc_fails("x\xed\xa0\x80", "invalid UTF-8 at byte 1"));   /* surrogate D800 */
    CHECK(enc_fails("\xf4\x90\x80\x80", "invalid UTF-8"));          /* past U+10FFFF */
    CHECK(enc_fails("\xa4", "invalid UTF-8"));                      /* lone continuation */
    CHECK(enc_fails("\xff", "invalid UTF-8"));
    CHECK(enc_fails("Best\xe4tigt", "\"Best")); /* Latin-1, names the name */
}

TEST(invalid_modified_utf7_is_refused_when_decoding)
{
    CHECK(dec_fails("Best&AOQ", "not closed by '-'"));
    CHECK(dec_fails("&", "not closed by '-'"));
    CHECK(dec_fails("&AO/-", "byte 3 is not modified BASE64")); /* '/' not ',' */
    CHECK(dec_fails("&AOQ=-", "not modified BASE64"));          /* padding */
    CHECK(dec_fails("Best\xc3\xa4tigt", "byte 4 (0xc3)"));       /* raw 8-bit */
    CHECK(dec_fails("a\tb", "byte 1 (0x09)"));
    CHECK(dec_fails("&AOR-", "not a whole number"));  /* padding bits not zero */
    CHECK(dec_fails("&AOQA-", "not a whole number")); /* a sixth of a unit left */
    CHECK(dec_fails("&AE==-", "not modified BASE64"));
    CHECK(dec_fails("&AEE-", "printable ASCII")); /* "A" must be written as A */
    CHECK(dec_fails("&2D0-", "high surrogate without its low half"));
    CHECK(dec_fails("&2D0AQQ-", "high surrogate without its low half"));
    CHECK(dec_fails("&3gA-", "lone low surrogate"));
}

TEST(invalid_bytes_are_not_copied_into_the_message)
{
    char *out = NULL;
    ab_errmsg em = {{0}};
    CHECK_INT(inbox_utf7_encode("Nope\xe4", &out, &em), AB_EINVAL);
    CHECK_STR(em.text, "mailbox name \"Nope...\": invalid UTF-8 at byte 4 (0xe4)");
}

TEST(server_text_shows_names_in_utf8)
{
    char out[256];
    inbox_utf7_humanize("NO [TRYCREATE] Mailbox doesn't exist: Best&AOQ-tigt.&Vt5ZDQ- (0.001 secs)",
                        out, sizeof out);
    CHECK_STR(out, "NO [TRYCREATE] Mailbox doesn't exist: Best\xc3\xa4tigt.\xe5\x9b\x9e\xe5\xa4\x8d"
                   " (0.001 secs)");
    inbox_utf7_humanize("NO \"&ZeVnLIqe-\" is full", out, sizeof out);
    CHECK_STR(out, "NO \"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\" is full");
    /* prose with '&' stays as it is, so does a word that does not decode */
    inbox_utf7_humanize("BAD Q & A, R&D, &-, x&AEE- & more", out, sizeof out);
    CHECK_STR(out, "BAD Q & A, R&D, &-, x&AEE- & more");
    /* cut to the room there is, at a word: never inside a character */
    char small[8];
    inbox_utf7_humanize("NO Best&AOQ-tigt", small, sizeof small);
    CHECK_STR(small, "NO ");
    inbox_utf7_humanize("Best&AOQ-tigt", small, sizeof small);
    CHECK_STR(small, "");
    inbox_utf7_humanize("NO 1234", small, sizeof small); /* exactly fits */
    CHECK_STR(small, "NO 1234");
    inbox_utf7_humanize("NO 12345", small, 1);
    CHECK_STR(small, "");
}
