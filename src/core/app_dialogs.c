// SPDX-License-Identifier: GPL-2.0-or-later
/* Dialogs over the screen: pagers, questions, forms with their line editor, the client config. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "app.h"
#include "app_int.h"
#include "clientconf.h"
#include "format.h"
#include "i18n.h"
#include "key.h"
#include "names.h"
#include "prefix.h"
#include "text.h"

const struct app_key_doc app_dialog_keys[] = {
	{ "Up Down", N_("scroll, or choose in a list") },
	{ "PgUp PgDn", N_("scroll a page") },
	{ "Home End", N_("to the top or the bottom") },
	{ "Enter", N_("take the chosen line; submit a form") },
	{ "a", N_("apply the previewed change") },
	{ "y n", N_("answer the question") },
	{ "Esc q", N_("close; Esc cancels a question or a form") },
	{ "Tab S-Tab", N_("next or previous field of a form") },
	{ "Left Right", N_("move in a field; step through a choice") },
	{ "Space", N_("next choice of a choice field") },
	{ "Backspace Del", N_("delete before or at the cursor") },
	{ "Ctrl-U", N_("delete to the start of the field") },
	{ "s", N_("save a new peer's client config to a file") },
	{ "t", N_("its config as text only, or with the QR code") },
};

const size_t app_n_dialog_keys = sizeof(app_dialog_keys) / sizeof(app_dialog_keys[0]);

enum app_modal app_modal_top(const struct app *app)
{
	return app->n_modals ? app->modals[app->n_modals - 1] : MODAL_NONE;
}

/* The top dialog goes; a client config goes from memory with it. */
static void modal_pop(struct app *app)
{
	if (!app->n_modals)
		return;
	if (app->modals[--app->n_modals] == MODAL_CLIENT)
		app_client_clear(&app->client);
}

void app_modal_close_all(struct app *app)
{
	while (app->n_modals)
		modal_pop(app);
}

static void modal_push(struct app *app, enum app_modal m)
{
	/* Dialogs stack two or three deep; a deeper one takes the top's place. */
	if (app->n_modals == APP_MODAL_DEPTH)
		modal_pop(app);
	app->modals[app->n_modals++] = m;
}

void app_pager_open(struct app *app, const char *title, bool select, bool wrap)
{
	app_modal_close_all(app);
	app_pager_clear(&app->pager);
	snprintf(app->pager.title, sizeof(app->pager.title), "%s", title);
	app->pager.select = select;
	app->pager.wrap = wrap;
	modal_push(app, MODAL_PAGER);
}

/*
 * A line with its tabs as spaces to the next stop of APP_TAB_STOP columns: the ruleset is
 * indented with tabs, which a canvas cannot draw. A diff's stops count after its +, - or
 * space, so that both sides line up as in the listing. NULL on ENOMEM.
 */
#define APP_TAB_STOP 4

static char *expand_tabs(const char *s, size_t len, bool diff)
{
	size_t tabs = 0, o = 0, col = 0;
	char *out;

	for (size_t i = 0; i < len; ++i)
		tabs += s[i] == '\t';
	out = malloc(len + tabs * APP_TAB_STOP + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; ++i) {
		if (s[i] != '\t') {
			out[o++] = s[i];
			/* Columns of characters, not bytes: tabs lead, so this is rarely wrong. */
			if (((unsigned char)s[i] & 0xc0) != 0x80 && !(diff && i == 0))
				col++;
			continue;
		}
		do {
			out[o++] = ' ';
		} while (++col % APP_TAB_STOP);
	}
	out[o] = '\0';
	return out;
}

int app_pager_add(struct app *app, uint8_t kind, int action, int arg, const char *text)
{
	struct app_pager *p = &app->pager;

	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);
		struct app_line *l;

		if (p->n == p->cap) {
			size_t cap = p->cap ? p->cap * 2 : 32;
			struct app_line *lines = realloc(p->lines, cap * sizeof(*lines));

			if (!lines)
				return -ENOMEM;
			p->lines = lines;
			p->cap = cap;
		}
		l = &p->lines[p->n];
		l->text = expand_tabs(text, len, kind == APP_LINE_DIFF);
		if (!l->text)
			return -ENOMEM;
		l->kind = kind;
		l->action = action;
		l->arg = arg;
		p->n++;
		text += len + (nl ? 1 : 0);
	}
	return 0;
}

void app_confirm_open(struct app *app, const char *title, const char *question, const char *yes,
		      const char *no, int yes_step, int no_step)
{
	struct app_confirm *c = &app->confirm;

	snprintf(c->title, sizeof(c->title), "%s", title ? title : "");
	snprintf(c->question, sizeof(c->question), "%s", question);
	snprintf(c->yes, sizeof(c->yes), "%s", yes);
	snprintf(c->no, sizeof(c->no), "%s", no);
	c->yes_step = yes_step;
	c->no_step = no_step;
	modal_push(app, MODAL_CONFIRM);
}

void app_form_open(struct app *app, const char *title, int id,
		   bool (*validate)(const struct app_form *form, char *err, size_t len, size_t *field))
{
	struct app_form *f = &app->form;

	memset(f, 0, sizeof(*f));
	snprintf(f->title, sizeof(f->title), "%s", title);
	f->id = id;
	f->validate = validate;
	modal_push(app, MODAL_FORM);
}

/* The length of s cut to at most max bytes, on a character boundary. */
static size_t utf8_cut(const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len <= max)
		return len;
	len = max;
	while (len && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	return len;
}

int app_form_add(struct app *app, const char *label, size_t max, const char *initial)
{
	struct app_form *f = &app->form;
	struct app_field *fl;
	size_t len;

	if (f->n == APP_FORM_FIELDS)
		return -1;
	fl = &f->fields[f->n];
	memset(fl, 0, sizeof(*fl));
	snprintf(fl->label, sizeof(fl->label), "%s", label);
	fl->max = max && max < APP_FIELD_MAX ? max : APP_FIELD_MAX - 1;
	len = utf8_cut(initial ? initial : "", fl->max);
	memcpy(fl->buf, initial ? initial : "", len);
	fl->buf[len] = '\0';
	fl->cursor = len;
	return (int)f->n++;
}

int app_form_add_choice(struct app *app, const char *label, const char *const *choices, size_t n, size_t initial)
{
	int i;
	struct app_field *fl;

	if (!n || (i = app_form_add(app, label, 0, NULL)) < 0)
		return -1;
	fl = &app->form.fields[i];
	fl->choices = choices;
	fl->n_choices = n;
	fl->choice = initial < n ? initial : 0;
	snprintf(fl->buf, sizeof(fl->buf), "%s", choices[fl->choice]);
	fl->cursor = 0;
	return i;
}

int app_show_diff(struct app *app, const char *title, const char *notes, const char *diff, const char *warning)
{
	app_pager_open(app, title, false, false);
	app->pager.apply = true;
	app->pager.apply_step = APP_STEP_APPLY;
	snprintf(app->pager.warning, sizeof(app->pager.warning), "%s", warning ? warning : "");
	/* Said before 'a' too, but seen first here, above what causes it. */
	if ((warning && app_pager_add(app, APP_LINE_WARN, 0, 0, warning) < 0) ||
	    (notes && app_pager_add(app, APP_LINE_NOTE, 0, 0, notes) < 0) ||
	    app_pager_add(app, APP_LINE_DIFF, 0, 0, diff) < 0)
		return -ENOMEM;
	return 0;
}

int app_show_reconcile(struct app *app, const char *title, int dir, const char *preview)
{
	app_pager_open(app, title, false, false);
	app->pager.apply = true;
	app->pager.apply_step = APP_STEP_RECONCILE;
	app->pager.apply_arg = dir;
	/* A diff of the file, or "- remove" and "+ add" lines: coloured alike. */
	return app_pager_add(app, APP_LINE_DIFF, 0, 0, preview && preview[0] ? preview : _("nothing to change"));
}

int app_show_client(struct app *app, const char *title, const char *name, const char *text)
{
	struct app_client *cl = &app->client;
	int ret;

	app_modal_close_all(app);
	app_client_clear(cl);
	cl->text = strdup(text);
	if (!cl->text)
		return -ENOMEM;
	snprintf(cl->title, sizeof(cl->title), "%s", title);
	snprintf(cl->name, sizeof(cl->name), "%s", name ? name : "");
	ret = qr_render(&cl->art[0], text, QR_UTF8_HALF);
	if (!ret)
		ret = qr_render(&cl->art[1], text, QR_ASCII);
	if (ret < 0) {
		if (ret == -ENOMEM) {
			app_client_clear(cl);
			return ret;
		}
		/* The text alone, then: the dialog says why there is no code. */
		for (size_t s = 0; s < 2; ++s)
			qr_art_free(&cl->art[s]);
		cl->qr_error = ret;
	}
	modal_push(app, MODAL_CLIENT);
	return 0;
}

void app_form_close(struct app *app)
{
	if (app_modal_top(app) == MODAL_FORM)
		modal_pop(app);
}

void app_form_fail(struct app *app, const char *err, size_t field)
{
	struct app_form *f = &app->form;

	if (app_modal_top(app) != MODAL_FORM)
		return;
	snprintf(f->error, sizeof(f->error), "%s", err);
	if (field < f->n)
		f->focus = field;
}

int app_show_check(struct app *app, const char *title, const struct check_result *r)
{
	char line[sizeof(r->v[0].text) + sizeof(r->v[0].fix) + 64];

	app_pager_open(app, title, true, true);
	if (!check_causes(r) && app_pager_add(app, APP_LINE_TEXT, 0, 0, _("nothing found that keeps them apart")) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < r->n; ++i) {
		const struct check_finding *f = &r->v[i];
		const char *how = f->kind == CHECK_FIX_FORWARD_IPV4 ? _("Enter switches IPv4 forwarding on") :
				  f->kind == CHECK_FIX_FORWARD_IPV6 ? _("Enter switches IPv6 forwarding on") :
				  f->kind == CHECK_FIX_FIREWALL ? _("Enter previews the firewall change") : NULL;

		if (how)
			snprintf(line, sizeof(line), "%s [%s]", f->text, how);
		else if (f->fix[0])
			snprintf(line, sizeof(line), _("%s; fix: %s"), f->text, f->fix);
		else
			snprintf(line, sizeof(line), "%s", f->text);
		if (app_pager_add(app, APP_LINE_TEXT, how ? APP_STEP_FIX : APP_STEP_NONE, (int)f->kind, line) < 0)
			return -ENOMEM;
	}
	return 0;
}


static void pager_move(struct app_pager *p, int64_t by, bool absolute)
{
	int64_t max, pos;

	if (!p->n)
		return;
	if (p->select) {
		pos = absolute ? by : (int64_t)p->cursor + by;
		max = (int64_t)p->n - 1;
	} else {
		/* The view draws past no end: the last page ends with the last line. */
		pos = absolute ? by : (int64_t)p->top + by;
		max = p->page > 0 && p->n > (size_t)p->page ? (int64_t)(p->n - (size_t)p->page) :
		      p->page > 0 ? 0 : (int64_t)p->n - 1;
	}
	if (pos > max)
		pos = max;
	if (pos < 0)
		pos = 0;
	if (p->select)
		p->cursor = (size_t)pos;
	else
		p->top = (size_t)pos;
}

static int pager_key(struct app *app, int key)
{
	struct app_pager *p = &app->pager;
	int64_t page = p->page > 1 ? p->page - 1 : 1;

	switch (key) {
	case AK_UP:
	case 'k':
		pager_move(p, -1, false);
		break;
	case AK_DOWN:
	case 'j':
		pager_move(p, 1, false);
		break;
	case AK_PGUP:
		pager_move(p, -page, false);
		break;
	case AK_PGDN:
		pager_move(p, page, false);
		break;
	case AK_HOME:
	case 'g':
		pager_move(p, 0, true);
		break;
	case AK_END:
	case 'G':
		pager_move(p, INT64_MAX / 2, true);
		break;
	case AK_ENTER:
		if (p->select && p->cursor < p->n && p->lines[p->cursor].action)
			return APP_REDRAW | app_step(app, p->lines[p->cursor].action, p->lines[p->cursor].arg);
		return 0;
	case 'a':
		if (!p->apply)
			return 0;
		if (p->warning[0]) {
			char q[APP_LONG_TEXT_MAX];

			snprintf(q, sizeof(q), _("%s Apply anyway?"), p->warning);
			app_confirm_open(app, _("Warning"), q, _("apply"), _("cancel"), APP_STEP_APPLY, APP_STEP_NONE);
			return APP_REDRAW;
		}
		return app_step(app, p->apply_step ? p->apply_step : APP_STEP_APPLY, p->apply_arg);
	case AK_ESC:
	case 'q':
		modal_pop(app);
		break;
	default:
		return 0;
	}
	return APP_REDRAW;
}

static int confirm_key(struct app *app, int key)
{
	const struct app_confirm *c = &app->confirm;
	int yes = c->yes_step, no = c->no_step;

	switch (key) {
	case 'y':
	case 'Y':
		modal_pop(app);
		return APP_REDRAW | app_step(app, yes, 0);
	case 'n':
	case 'N':
		modal_pop(app);
		return APP_REDRAW | app_step(app, no, 0);
	case AK_ESC:
		modal_pop(app);
		return APP_REDRAW;
	default:
		return 0;
	}
}

/* The byte offset of the character before or after off in s. */
static size_t utf8_prev(const char *s, size_t off)
{
	if (!off)
		return 0;
	off--;
	while (off && ((unsigned char)s[off] & 0xc0) == 0x80)
		off--;
	return off;
}

static size_t utf8_next(const char *s, size_t off)
{
	if (!s[off])
		return off;
	off++;
	while (s[off] && ((unsigned char)s[off] & 0xc0) == 0x80)
		off++;
	return off;
}

static void field_delete(struct app_field *fl, size_t from, size_t to)
{
	memmove(fl->buf + from, fl->buf + to, strlen(fl->buf + to) + 1);
	fl->cursor = from;
}

static int field_key(struct app_field *fl, int key)
{
	size_t len = strlen(fl->buf);
	char enc[4];
	size_t n;

	if (fl->choices) {
		if (key == ' ' || key == AK_RIGHT)
			fl->choice = (fl->choice + 1) % fl->n_choices;
		else if (key == AK_LEFT)
			fl->choice = (fl->choice + fl->n_choices - 1) % fl->n_choices;
		else
			return 0;
		snprintf(fl->buf, sizeof(fl->buf), "%s", fl->choices[fl->choice]);
		return APP_REDRAW;
	}
	switch (key) {
	case AK_LEFT:
		fl->cursor = utf8_prev(fl->buf, fl->cursor);
		return APP_REDRAW;
	case AK_RIGHT:
		fl->cursor = utf8_next(fl->buf, fl->cursor);
		return APP_REDRAW;
	case AK_HOME:
		fl->cursor = 0;
		return APP_REDRAW;
	case AK_END:
		fl->cursor = len;
		return APP_REDRAW;
	case AK_BACKSPACE:
		field_delete(fl, utf8_prev(fl->buf, fl->cursor), fl->cursor);
		return APP_REDRAW;
	case AK_DELETE:
		field_delete(fl, fl->cursor, utf8_next(fl->buf, fl->cursor));
		return APP_REDRAW;
	case AK_KILL_LINE:
		field_delete(fl, 0, fl->cursor);
		return APP_REDRAW;
	default:
		break;
	}
	n = app_utf8_encode(key, enc);
	if (!n || len + n > fl->max)
		return 0;
	memmove(fl->buf + fl->cursor + n, fl->buf + fl->cursor, len - fl->cursor + 1);
	memcpy(fl->buf + fl->cursor, enc, n);
	fl->cursor += n;
	return APP_REDRAW;
}

static int form_key(struct app *app, int key)
{
	struct app_form *f = &app->form;
	size_t bad = f->focus;
	int flags;

	if (!f->n) {
		if (key == AK_ESC)
			modal_pop(app);
		return APP_REDRAW;
	}
	switch (key) {
	case AK_TAB:
	case AK_DOWN:
		f->focus = (f->focus + 1) % f->n;
		return APP_REDRAW;
	case AK_BTAB:
	case AK_UP:
		f->focus = (f->focus + f->n - 1) % f->n;
		return APP_REDRAW;
	case AK_ESC:
		modal_pop(app);
		return APP_REDRAW;
	case AK_ENTER:
		f->error[0] = '\0';
		if (f->validate && !f->validate(f, f->error, sizeof(f->error), &bad)) {
			if (!f->error[0])
				app_say(app, _("the form is not complete"));
			if (bad < f->n)
				f->focus = bad;
			return APP_REDRAW;
		}
		/* The form stays: the loop closes it, or puts what it found wrong under it. */
		app->req.form = f->id;
		app->req.what = APP_REQ_FORM;
		return APP_REDRAW | APP_REQUEST;
	default:
		flags = field_key(&f->fields[f->focus], key);
		/* What validation said is about the text before the change. */
		if (flags)
			f->error[0] = '\0';
		return flags;
	}
}

static bool validate_save(const struct app_form *f, char *err, size_t len, size_t *field)
{
	if (f->n && !f->fields[0].buf[0])
		return app_form_error(err, len, field, 0, _("a file name is needed"));
	return true;
}

static int client_key(struct app *app, int key)
{
	struct app_client *cl = &app->client;
	char file[APP_FIELD_MAX];

	switch (key) {
	case AK_UP:
	case 'k':
		if (cl->top)
			cl->top--;
		break;
	case AK_DOWN:
	case 'j':
		if (cl->more)
			cl->top++;
		break;
	case AK_HOME:
	case 'g':
		cl->top = 0;
		break;
	case 't':
		cl->text_only = !cl->text_only;
		cl->top = 0;
		break;
	case 's':
		/* A name a shell takes as it is: the peer's, with what a path would split turned into '-'. */
		snprintf(file, sizeof(file), "%s.conf", cl->name[0] ? cl->name : "client");
		for (char *c = file; *c; ++c)
			if (*c == '/' || *c == ' ')
				*c = '-';
		app_form_open(app, _("Save the client config"), APP_FORM_SAVE_CLIENT, validate_save);
		app_field_hint(app, app_form_add(app, _("File"), 0, file), _("a new file; mode 0600"));
		break;
	case AK_ESC:
	case 'q':
		if (!cl->saved[0] && cl->text && strstr(cl->text, "\nPrivateKey = "))
			app_say(app, _("client config closed: its private key is kept nowhere"));
		modal_pop(app);
		break;
	default:
		return 0;
	}
	return APP_REDRAW;
}

int app_help_key(struct app *app, int key)
{
	int64_t top = app->help_top, page = app->help_page > 1 ? app->help_page - 1 : 1;

	switch (key) {
	case AK_UP:
	case 'k':
		top--;
		break;
	case AK_DOWN:
	case 'j':
		top++;
		break;
	case AK_PGUP:
		top -= page;
		break;
	case AK_PGDN:
		top += page;
		break;
	case AK_HOME:
	case 'g':
		top = 0;
		break;
	case AK_END:
	case 'G':
		top = INT32_MAX;	/* the view stops at the last page */
		break;
	default:
		/* Any other key but quit goes back, as in htop. */
		app->view = VIEW_MAIN;
		return APP_REDRAW;
	}
	app->help_top = top < 0 ? 0 : (uint32_t)top;
	return APP_REDRAW;
}

void app_field_hint(struct app *app, int i, const char *hint)
{
	if (i >= 0)
		snprintf(app->form.fields[i].hint, sizeof(app->form.fields[i].hint), "%s", hint);
}

bool app_form_error(char *err, size_t len, size_t *field, size_t which, const char *msg)
{
	snprintf(err, len, "%s", msg);
	*field = which;
	return false;
}

int app_dialog_key(struct app *app, int key)
{
	switch (app_modal_top(app)) {
	case MODAL_PAGER:
		return pager_key(app, key);
	case MODAL_CONFIRM:
		return confirm_key(app, key);
	case MODAL_FORM:
		return form_key(app, key);
	case MODAL_CLIENT:
		return client_key(app, key);
	case MODAL_NONE:
	default:
		return 0;
	}
}
