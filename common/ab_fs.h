/*
 * ab_fs.h - the few filesystem steps more than one module takes.
 *
 * A Maildir is written by the maildir: transport (mailer/) and by the
 * inbox's move-to (inbox/); both need the same folders, made the same way.
 */
#ifndef AB_FS_H
#define AB_FS_H

#include "common/ab_err.h"

/*
 * Make the Maildir at path: path itself and its missing parents (like
 * mkdir -p), then path/tmp, path/new and path/cur, mode 0700.  What
 * exists already is fine if it is a directory.  Errors: AB_EIO (a folder
 * could not be made), AB_ECONFIG (something in the way is not a folder).
 */
enum ab_err ab_maildir_make(const char *path, ab_errmsg *em) AB_MUST_CHECK;

#endif
