/*
 * mail.c: the pool's outgoing mail (see gh_mail.h): one formatter, two
 * transports (an .eml file per message in mail_dir, or SMTP through
 * libcurl).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "gh_curl.h"
#include "gh_conf.h"
#include "gh_crypto.h"
#include "gh_json.h"
#include "gh_mail.h"

#define MAIL_MAX	(64 * 1024)	/* bytes of a formatted message */

static int
header_safe(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") == NULL && strlen(s) < 1000;
}

/* The bare address of "Name <addr>" or "addr" into buf. */
static int
bare_address(const char *from, char *buf, size_t size)
{
	const char	*lt = strrchr(from, '<'), *gt;
	size_t		 n;

	if (lt != NULL) {
		if ((gt = strchr(lt, '>')) == NULL)
			return 0;
		n = (size_t)(gt - lt - 1);
		from = lt + 1;
	} else
		n = strlen(from);
	if (n == 0 || n >= size || memchr(from, '@', n) == NULL)
		return 0;
	memcpy(buf, from, n);
	buf[n] = '\0';
	return 1;
}

enum gh_err
gh_mail_format(const char *from, const char *to, const char *subject,
    const char *text, char **out, size_t *len)
{
	char		 date[64], id[GH_RANDOM_ID_LEN], addr[256], *buf = NULL;
	const char	*domain, *p;
	size_t		 cap, n = 0, i;
	int		 ascii = 1, w;
	time_t		 now = time(NULL);
	struct tm	 tm;
	enum gh_err	 err;

	if (!header_safe(from) || !header_safe(to) || !header_safe(subject) ||
	    text == NULL || !bare_address(from, addr, sizeof(addr)) ||
	    strchr(to, '@') == NULL || strpbrk(to, "<>,;\"") != NULL)
		return GH_ERR_INVAL;
	for (p = subject; *p; p++)
		if ((unsigned char)*p >= 0x80)
			return GH_ERR_INVAL;	/* subjects are ours: ASCII */
	for (p = text; *p; p++)
		if ((unsigned char)*p >= 0x80)
			ascii = 0;
	if (!gh_utf8_valid(text, strlen(text)))
		return GH_ERR_INVAL;
	if ((err = gh_random_id(id)) != GH_OK)
		return err;
	domain = strchr(addr, '@') + 1;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	cap = 1024 + strlen(from) + strlen(to) + strlen(subject) + 2 * strlen(text);
	if (cap > MAIL_MAX)
		return GH_ERR_TOOLARGE;
	if ((buf = malloc(cap)) == NULL)
		return GH_ERR_NOMEM;
	w = snprintf(buf, cap, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n"
	    "Message-ID: <%s@%s>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: %s\r\n\r\n",
	    from, to, subject, date, id, domain, ascii ? "7bit" : "8bit");
	if (w < 0 || (size_t)w >= cap) {
		free(buf);
		return GH_ERR_INTERNAL;
	}
	n = (size_t)w;
	/* The text with CRLF line ends (a bare CR is dropped). */
	for (i = 0; text[i] != '\0'; i++) {
		if (text[i] == '\r')
			continue;
		if (text[i] == '\n')
			buf[n++] = '\r';
		buf[n++] = text[i];
	}
	if (n < 2 || buf[n - 1] != '\n') {
		buf[n++] = '\r';
		buf[n++] = '\n';
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return GH_OK;
}

static enum gh_err
send_file(const struct gh_conf *conf, const char *to, const char *subject,
    const char *msg, size_t len, const char **why)
{
	char		 path[4096], stamp[32], rnd[GH_RANDOM_ID_LEN];
	struct timespec	 ts;
	struct tm	 tm;
	enum gh_err	 err;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	if ((err = gh_random_id(rnd)) != GH_OK)
		return err;
	rnd[12] = '\0';
	if (snprintf(path, sizeof(path), "%s/%s.%09ldZ-%s.eml",
	    gh_conf_str(conf, GH_CONF_MAIL_DIR), stamp, (long)ts.tv_nsec, rnd) >=
	    (int)sizeof(path))
		return GH_ERR_CONFIG;
	if ((err = gh_file_publish(path, msg, len, 0)) != GH_OK) {
		if (why != NULL)
			*why = "cannot write to mail_dir";
		return err == GH_ERR_NOMEM ? err : GH_ERR_IO;
	}
	/* One line on the terminal of make run; the body (a code) stays out. */
	fprintf(stderr, "gatehouse mail: to %s: \"%s\": %s\n", to, subject, path);
	return GH_OK;
}

struct smtp_src {
	const char	*data;
	size_t		 len, off;
};

static size_t
smtp_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct smtp_src	*src = arg;
	size_t		 n = size * nitems;

	if (n > src->len - src->off)
		n = src->len - src->off;
	memcpy(buf, src->data + src->off, n);
	src->off += n;
	return n;
}

static enum gh_err
send_smtp(const struct gh_conf *conf, const char *to, const char *msg,
    size_t len, const char **why)
{
	static char		 errbuf[CURL_ERROR_SIZE];
	const char		*url = gh_conf_str(conf, GH_CONF_SMTP_URL);
	const char		*user = gh_conf_str(conf, GH_CONF_SMTP_USER);
	char			 from[256], rcpt[300];
	CURL			*c = NULL;
	struct curl_slist	*rcpts = NULL;
	struct smtp_src		 src = { msg, len, 0 };
	CURLcode		 rc;
	enum gh_err		 err = GH_ERR_IO;

	if (*url == '\0' || (strncmp(url, "smtp://", 7) != 0 &&
	    strncmp(url, "smtps://", 8) != 0)) {
		if (why != NULL)
			*why = "smtp_url must be smtp://host:port or smtps://host:port";
		return GH_ERR_CONFIG;
	}
	if (!bare_address(gh_conf_str(conf, GH_CONF_MAIL_FROM), from, sizeof(from)))
		return GH_ERR_CONFIG;
	snprintf(rcpt, sizeof(rcpt), "<%s>", to);
	errbuf[0] = '\0';
	if ((c = curl_easy_init()) == NULL ||
	    (rcpts = curl_slist_append(NULL, rcpt)) == NULL) {
		err = GH_ERR_NOMEM;
		goto out;
	}
	snprintf(rcpt, sizeof(rcpt), "<%s>", from);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, rcpt);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, smtp_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &src);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	/* smtp:// upgrades with STARTTLS and fails without it, unless told not. */
	if (strncmp(url, "smtp://", 7) == 0 && gh_conf_bool(conf, GH_CONF_SMTP_STARTTLS))
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (*gh_conf_str(conf, GH_CONF_SMTP_CA_FILE) != '\0')
		curl_easy_setopt(c, CURLOPT_CAINFO, gh_conf_str(conf, GH_CONF_SMTP_CA_FILE));
	else
		gh_curl_ca_setup(c);
	if (*user != '\0') {
		curl_easy_setopt(c, CURLOPT_USERNAME, user);
		curl_easy_setopt(c, CURLOPT_PASSWORD,
		    gh_conf_str(conf, GH_CONF_SMTP_PASSWORD));
	}
	if ((rc = curl_easy_perform(c)) != CURLE_OK) {
		if (why != NULL)
			*why = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
		goto out;
	}
	err = GH_OK;
out:
	curl_slist_free_all(rcpts);
	curl_easy_cleanup(c);
	return err;
}

enum gh_err
gh_mail_send(const struct gh_conf *conf, const char *to, const char *subject,
    const char *text, const char **why)
{
	char		*msg = NULL;
	size_t		 len;
	enum gh_err	 err;

	if (why != NULL)
		*why = NULL;
	if ((err = gh_mail_format(gh_conf_str(conf, GH_CONF_MAIL_FROM), to,
	    subject, text, &msg, &len)) != GH_OK) {
		if (why != NULL)
			*why = "bad address or message";
		return err;
	}
	if (strcmp(gh_conf_str(conf, GH_CONF_MAIL_MODE), "smtp") == 0)
		err = send_smtp(conf, to, msg, len, why);
	else
		err = send_file(conf, to, subject, msg, len, why);
	free(msg);
	return err;
}
