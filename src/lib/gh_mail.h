/*
 * gh_mail.h: sending the user pool's e-mails (sign-up codes, reset codes).
 *
 * Two modes, chosen by the configuration key mail_mode:
 *   "file"  (development) each message is written whole as one RFC 5322
 *           file, mail_dir/<UTC time>-<random>.eml, atomically (a private
 *           temporary file published with link(2): a reader never sees half
 *           a message), and one line naming the recipient, the subject and
 *           the file (never the body: it holds a code) goes to stderr, which
 *           is the terminal of `make run`;
 *   "smtp"  through libcurl to smtp_url (smtp://host:port, with STARTTLS
 *           required unless smtp_starttls = no, or smtps://host:port), with
 *           smtp_user / smtp_password when set.
 *
 * The message is text/plain UTF-8.  Recipient and subject must be free of
 * CR/LF (GH_ERR_INVAL), so no header can be injected.
 *
 * Errors: GH_ERR_INVAL (bad address or header text), GH_ERR_IO (the file or
 * the SMTP exchange failed; *why, if not NULL, gets a static or thread-unsafe
 * reason fit for logs), GH_ERR_CONFIG (smtp mode without smtp_url),
 * GH_ERR_NOMEM.
 */
#ifndef GH_MAIL_H
#define GH_MAIL_H

#include <stddef.h>

#include "gh_err.h"

struct gh_conf;

/* Sends one message to the address to. */
enum gh_err	gh_mail_send(const struct gh_conf *conf, const char *to,
		    const char *subject, const char *text, const char **why);

/*
 * The message as sent: headers (From, To, Subject, Date, Message-ID,
 * MIME-Version, Content-Type, Content-Transfer-Encoding), a blank line and
 * the text with CRLF line ends; *out malloc'd, *len its length.  Exposed for
 * the tests.
 */
enum gh_err	gh_mail_format(const char *from, const char *to,
		    const char *subject, const char *text, char **out,
		    size_t *len);

#endif /* GH_MAIL_H */
