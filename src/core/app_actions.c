// SPDX-License-Identifier: GPL-2.0-or-later
/* What keys do: the bindings, their actions, and the steps dialogs lead to. */
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

static const double intervals[] = { 0.2, 0.5, 1, 2, 3, 5, 10, 30, 60 };

void app_say(struct app *app, const char *text)
{
	snprintf(app->message, sizeof(app->message), "%s", text);
}

/* A request for the loop: the dialogs that led to it are done. */
int app_request(struct app *app, enum app_request what)
{
	app->req.what = what;
	app_modal_close_all(app);
	return APP_REDRAW | APP_REQUEST;
}

static bool refuse_read_only(struct app *app)
{
	if (app->read_only)
		app_say(app, _("read-only: no changes"));
	return app->read_only;
}

static int key_quit(struct app *app, int key)
{
	char q[APP_LONG_TEXT_MAX], left[32];

	/* Leaving is safe, as the guard rolls back, but the operator may not know that. */
	if (app_countdown_text(app, left, sizeof(left))) {
		snprintf(q, sizeof(q), _("A firewall change waits for confirmation and is rolled back in %d s unless "
					 "kept (c). Quit anyway?"), (int)(app->countdown - app->mono_now + 0.999));
		app_confirm_open(app, _("Quit"), q, _("quit"), _("stay"), APP_STEP_QUIT, APP_STEP_NONE);
		return APP_REDRAW;
	}
	return APP_QUIT;
}

static int key_help(struct app *app, int key)
{
	app->view = app->view == VIEW_HELP ? VIEW_MAIN : VIEW_HELP;
	app->help_top = 0;
	return APP_REDRAW;
}

static int key_policy(struct app *app, int key)
{
	app->view = app->view == VIEW_POLICY ? VIEW_MAIN : VIEW_POLICY;
	app->help_top = 0;
	return APP_REDRAW;
}

static int key_timeline(struct app *app, int key)
{
	app->view = app->view == VIEW_TIMELINE ? VIEW_MAIN : VIEW_TIMELINE;
	app->help_top = 0;
	return APP_REDRAW;
}

/* The timeline scrolls as help does; / filters it, Esc clears the filter first, then goes back. */
static int timeline_key(struct app *app, int key)
{
	switch (key) {
	case '/':
		app->filter_editing = true;
		app->help_top = 0;
		return APP_REDRAW;
	case AK_ESC:
		if (app->filter[0]) {
			app->filter[0] = '\0';
			app->help_top = 0;
			return app_rows_refresh(app) < 0 ? APP_QUIT : APP_REDRAW;
		}
		app->view = VIEW_MAIN;
		return APP_REDRAW;
	default:
		return app_help_key(app, key);
	}
}

static int key_move(struct app *app, int key)
{
	int64_t row = app_selected_row(app), page = app->page_rows > 1 ? app->page_rows - 1 : 1;

	if (row < 0)
		row = 0;
	switch (key) {
	case AK_UP:
	case 'k':
		row--;
		break;
	case AK_DOWN:
	case 'j':
		row++;
		break;
	case AK_PGUP:
		row -= page;
		break;
	case AK_PGDN:
		row += page;
		break;
	case AK_HOME:
	case 'g':
		row = 0;
		break;
	case AK_END:
	case 'G':
		row = (int64_t)app->n_rows - 1;
		break;
	default:
		break;
	}
	app_select_row(app, row);
	return APP_REDRAW;
}

static int key_detail(struct app *app, int key)
{
	if (app->view == VIEW_DETAIL) {
		app->view = VIEW_MAIN;
		return APP_REDRAW;
	}
	if (app_selected_row(app) < 0) {
		snprintf(app->message, sizeof(app->message), "%s", _("no peer selected"));
		return APP_REDRAW;
	}
	app->view = VIEW_DETAIL;
	return APP_REDRAW;
}

static int key_back(struct app *app, int key)
{
	if (app->view != VIEW_MAIN) {
		app->view = VIEW_MAIN;
		return APP_REDRAW;
	}
	if (app->filter[0]) {
		app->filter[0] = '\0';
		return app_rows_refresh(app) < 0 ? APP_QUIT : APP_REDRAW;
	}
	return 0;
}

static int key_filter(struct app *app, int key)
{
	app->view = VIEW_MAIN;
	app->filter_editing = true;
	return APP_REDRAW;
}

static int key_sort(struct app *app, int key)
{
	const struct dev_state *d = app_dev_state(app);

	do {
		if (key == '<')
			app->sort = (app->sort + N_APP_COLUMNS - 1) % N_APP_COLUMNS;
		else
			app->sort = (app->sort + 1) % N_APP_COLUMNS;
		/* No column, no sorting by it. */
	} while (!app_column_available(d, app->sort));
	snprintf(app->message, sizeof(app->message), _("sorted by %s"), app_column_title(app->sort));
	return app_rows_refresh(app) < 0 ? APP_QUIT : APP_REDRAW;
}

static int key_reverse(struct app *app, int key)
{
	app->sort_reverse = !app->sort_reverse;
	return app_rows_refresh(app) < 0 ? APP_QUIT : APP_REDRAW;
}

static int key_interface(struct app *app, int key)
{
	if (app->n_devs < 2) {
		snprintf(app->message, sizeof(app->message), "%s", _("there is only one interface"));
		return APP_REDRAW;
	}
	app->cur = (app->cur + 1) % app->n_devs;
	app_drift_take(app);
	return app_rows_refresh(app) < 0 ? APP_QUIT : APP_REDRAW;
}

static int key_pause(struct app *app, int key)
{
	app->paused = !app->paused;
	snprintf(app->message, sizeof(app->message), "%s", app->paused ? _("paused") : _("running"));
	return APP_REDRAW | (app->paused ? 0 : APP_RESAMPLE);
}

static int key_interval(struct app *app, int key)
{
	size_t n = sizeof(intervals) / sizeof(intervals[0]), i;

	if (key == '+') {
		for (i = 0; i < n && intervals[i] <= app->interval + 1e-9; ++i)
			;
		if (i < n)
			app->interval = intervals[i];
	} else {
		for (i = n; i > 0 && intervals[i - 1] >= app->interval - 1e-9; --i)
			;
		if (i > 0)
			app->interval = intervals[i - 1];
	}
	snprintf(app->message, sizeof(app->message), _("refresh every %.1f s"), app->interval);
	return APP_REDRAW | APP_RESAMPLE;
}

static int key_firewall(struct app *app, int key)
{
	if (app->countdown > 0) {
		app_say(app, _("a firewall change waits for confirmation: c keeps it, u undoes it"));
		return APP_REDRAW;
	}
	app->req.value = 0;
	return app_request(app, APP_REQ_FIREWALL_PREVIEW);
}

/* c and u go to the guard even without a countdown here: a change applied elsewhere waits too. */
static int key_firewall_guard(struct app *app, int key)
{
	return app_request(app, key == 'c' ? APP_REQ_FIREWALL_CONFIRM : APP_REQ_FIREWALL_ROLLBACK);
}

static int key_forward(struct app *app, int key)
{
	char line[APP_TEXT_MAX];

	app_pager_open(app, _("Forwarding in this network namespace"), true, true);
	for (int v6 = 0; v6 < 2; ++v6) {
		int v = v6 ? app->fwd.ipv6 : app->fwd.ipv4;

		if (v < 0)
			snprintf(line, sizeof(line), _("%s forwarding: unknown"), v6 ? "IPv6" : "IPv4");
		else
			snprintf(line, sizeof(line), v ? _("%s forwarding: on; Enter turns it off") :
						       _("%s forwarding: off; Enter turns it on"), v6 ? "IPv6" : "IPv4");
		if (app_pager_add(app, APP_LINE_TEXT, v < 0 ? APP_STEP_NONE : APP_STEP_FORWARD, v6, line) < 0)
			return APP_QUIT;
	}
	return APP_REDRAW;
}

/* The name of a peer for a list: its name, or the start of its public key. */
const char *app_pick_name(char *buf, size_t len, const char *name, const uint8_t key[WG_KEY_LEN])
{
	char b64[WG_KEY_B64_LEN];

	if (name && name[0])
		return name;
	key_to_base64(b64, key);
	snprintf(buf, len, "%.8s...", b64);
	return buf;
}

static int key_check(struct app *app, int key)
{
	const struct wg_device *dev = app_device(app);
	const struct dev_state *d = app_dev_state(app);
	int64_t sel = app_selected_row(app);
	char title[APP_TEXT_MAX], buf[64];
	const struct app_row *row;
	size_t n = 0;

	if (sel < 0 || !dev || app->rows[sel].peer < 0) {
		app_say(app, _("select a peer first: the check starts from it"));
		return APP_REDRAW;
	}
	row = &app->rows[sel];
	memcpy(app->req.peer_a, d->tracks[row->track].key, WG_KEY_LEN);
	free(app->pick_keys);
	app->n_pick_keys = 0;
	app->pick_keys = dev->n_peers ? malloc(dev->n_peers * sizeof(*app->pick_keys)) : NULL;
	if (dev->n_peers && !app->pick_keys)
		return APP_QUIT;
	snprintf(title, sizeof(title), _("Check %s with"),
		 app_pick_name(buf, sizeof(buf), dev->peers[row->peer].name, app->req.peer_a));
	app_pager_open(app, title, true, false);
	if (app_pager_add(app, APP_LINE_TEXT, APP_STEP_CHECK_WITH, -1, _("every other peer")) < 0)
		return APP_QUIT;
	/* In the table's order, which the operator sees. */
	for (uint32_t i = 0; i < app->n_rows; ++i) {
		const struct app_row *r = &app->rows[i];
		const struct wg_peer *p;

		if (r->peer < 0 || i == (uint32_t)sel)
			continue;
		p = &dev->peers[r->peer];
		memcpy(app->pick_keys[n], p->public_key, WG_KEY_LEN);
		if (app_pager_add(app, APP_LINE_TEXT, APP_STEP_CHECK_WITH, (int)n,
				  app_pick_name(buf, sizeof(buf), p->name, p->public_key)) < 0)
			return APP_QUIT;
		n++;
	}
	app->n_pick_keys = n;
	return APP_REDRAW;
}

/* The selected peer while it is live; else NULL, with why in the status line. */
static const struct wg_peer *selected_peer(struct app *app)
{
	const struct wg_device *dev = app_device(app);
	int64_t sel = app_selected_row(app);

	if (sel < 0 || !dev || app->rows[sel].peer < 0) {
		app_say(app, _("select a live peer first"));
		return NULL;
	}
	return &dev->peers[app->rows[sel].peer];
}

static bool list_ok(const char *text)
{
	struct wg_allowedip *v = NULL;
	size_t n = 0;

	if (prefix_parse_list(&v, &n, text) < 0)
		return false;
	free(v);
	return true;
}

/* What is plainly wrong in the add form; what needs the interface and the file the loop's dry run finds. */
static bool validate_add(const struct app_form *f, char *err, size_t len, size_t *field)
{
	const struct app_field *v = f->fields;
	uint8_t key[WG_KEY_LEN];
	const char *ka = v[APP_ADD_KEEPALIVE].buf;

	enum text_name_error bad;

	if (f->n < APP_ADD_N_FIELDS)
		return true;
	if ((bad = text_name_check(v[APP_ADD_NAME].buf)) != TEXT_NAME_OK)
		return app_form_error(err, len, field, APP_ADD_NAME, text_name_error_text(bad));
	if (v[APP_ADD_KEY].choice == 1 && !v[APP_ADD_PUBLIC_KEY].buf[0])
		return app_form_error(err, len, field, APP_ADD_PUBLIC_KEY,
				  _("paste the device's public key, or choose to generate one here"));
	if (v[APP_ADD_KEY].choice == 1 && !key_from_base64(key, v[APP_ADD_PUBLIC_KEY].buf))
		return app_form_error(err, len, field, APP_ADD_PUBLIC_KEY,
				  _("not a WireGuard public key (base64 of 32 bytes)"));
	if (v[APP_ADD_ADDRESS].buf[0] && !list_ok(v[APP_ADD_ADDRESS].buf))
		return app_form_error(err, len, field, APP_ADD_ADDRESS,
				  _("not a list of addresses or prefixes; empty takes the next free"));
	if (ka[0] && (strspn(ka, "0123456789") != strlen(ka) || strtol(ka, NULL, 10) > 65535))
		return app_form_error(err, len, field, APP_ADD_KEEPALIVE, _("the keepalive is seconds from 0 to 65535"));
	if (!v[APP_ADD_ENDPOINT].buf[0])
		return app_form_error(err, len, field, APP_ADD_ENDPOINT,
				  _("the client config needs the hub's public endpoint, HOST:PORT"));
	if (clientconf_check_endpoint(v[APP_ADD_ENDPOINT].buf) < 0)
		return app_form_error(err, len, field, APP_ADD_ENDPOINT, _("not an endpoint (HOST:PORT)"));
	if (strspn(v[APP_ADD_GROUPS].buf, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-, ") !=
	    strlen(v[APP_ADD_GROUPS].buf))
		return app_form_error(err, len, field, APP_ADD_GROUPS,
				      _("group names are letters, digits, '_', '.' and '-', separated by commas"));
	return true;
}

static const char *add_key_choices[2], *add_psk_choices[2];

void app_peer_add_form(struct app *app, const char *endpoint, const char *dns, const char *address_hint)
{
	const struct wg_device *dev = app_device(app);
	char title[APP_TEXT_MAX], hint[APP_FIELD_MAX];

	/* Translated when the form opens: the fields keep pointers to them. */
	add_key_choices[0] = _("generate here");
	add_key_choices[1] = _("paste a public key");
	add_psk_choices[0] = _("no");
	add_psk_choices[1] = _("yes");
	snprintf(title, sizeof(title), _("New peer on %s"), dev ? dev->name : "?");
	app_form_open(app, title, APP_FORM_ADD_PEER, validate_add);
	app_form_add(app, _("Name"), NAMES_MAX_LEN, NULL);
	app_form_add_choice(app, _("Key"), add_key_choices, 2, 0);
	app_field_hint(app, app_form_add(app, _("Public key"), WG_KEY_B64_LEN - 1, NULL),
		   _("only when pasting: the device's own key"));
	app_form_add_choice(app, _("Preshared key"), add_psk_choices, 2, 0);
	if (address_hint && address_hint[0])
		snprintf(hint, sizeof(hint), _("next free: %s"), address_hint);
	else
		snprintf(hint, sizeof(hint), "%s", _("empty: the next free in each subnet"));
	app_field_hint(app, app_form_add(app, _("Address"), 0, NULL), hint);
	app_field_hint(app, app_form_add(app, _("Keepalive"), 5, NULL), _("empty: none; else the hub pings every N s"));
	app_field_hint(app, app_form_add(app, _("Endpoint"), 0, endpoint), _("the hub's public HOST:PORT (needed)"));
	app_field_hint(app, app_form_add(app, _("DNS"), 0, dns), _("none"));
	app_field_hint(app, app_form_add(app, _("Groups"), 0, NULL), _("none; a,b: groups of the hub policy it joins"));
}

static int key_add(struct app *app, int key)
{
	if (!app_device(app)) {
		app_say(app, _("no WireGuard interface to add a peer to"));
		return APP_REDRAW;
	}
	return app_request(app, APP_REQ_PEER_ADD_FORM);
}

static int key_remove(struct app *app, int key)
{
	const struct wg_device *dev = app_device(app);
	const struct wg_peer *p;
	char q[APP_LONG_TEXT_MAX], b64[WG_KEY_B64_LEN], name[64], shortkey[32];

	if (!(p = selected_peer(app)))
		return APP_REDRAW;
	memcpy(app->target, p->public_key, WG_KEY_LEN);
	key_to_base64(b64, p->public_key);
	snprintf(shortkey, sizeof(shortkey), "%.16s...", b64);
	snprintf(q, sizeof(q), _("Remove peer %s (%s) from %s, live and from its config file?"),
		 app_pick_name(name, sizeof(name), p->name, p->public_key), shortkey, dev->name);
	app_confirm_open(app, _("Remove a peer"), q, _("remove"), _("keep it"), APP_STEP_REMOVE, APP_STEP_NONE);
	return APP_REDRAW;
}

static bool validate_edit(const struct app_form *f, char *err, size_t len, size_t *field)
{
	enum text_name_error bad;

	if (f->n < 2)
		return true;
	if ((bad = text_name_check(f->fields[APP_EDIT_NAME].buf)) != TEXT_NAME_OK)
		return app_form_error(err, len, field, APP_EDIT_NAME, text_name_error_text(bad));
	if (!f->fields[APP_EDIT_ALLOWED_IPS].buf[0])
		return app_form_error(err, len, field, APP_EDIT_ALLOWED_IPS, _("a peer needs at least one allowed IP"));
	if (!list_ok(f->fields[APP_EDIT_ALLOWED_IPS].buf))
		return app_form_error(err, len, field, APP_EDIT_ALLOWED_IPS, _("not a list of addresses or prefixes"));
	return true;
}

static int key_edit(struct app *app, int key)
{
	const struct wg_peer *p;
	char title[APP_TEXT_MAX], name[64], one[FORMAT_BUF];
	size_t off = 0;

	if (!(p = selected_peer(app)))
		return APP_REDRAW;
	memcpy(app->target, p->public_key, WG_KEY_LEN);
	snprintf(app->target_name, sizeof(app->target_name), "%s", p->name ? p->name : "");
	app->target_allowed[0] = '\0';
	for (uint32_t i = 0; i < p->n_allowedips && off < sizeof(app->target_allowed); ++i)
		off += (size_t)snprintf(app->target_allowed + off, sizeof(app->target_allowed) - off, "%s%s",
					i ? ", " : "", format_allowedip(one, sizeof(one), &p->allowedips[i]));
	snprintf(title, sizeof(title), _("Edit peer %s"), app_pick_name(name, sizeof(name), p->name, p->public_key));
	app_form_open(app, title, APP_FORM_EDIT_PEER, validate_edit);
	app_form_add(app, _("Name"), NAMES_MAX_LEN, app->target_name);
	app_field_hint(app, app_form_add(app, _("Allowed IPs"), 0, app->target_allowed),
		   _("comma-separated, as 10.0.0.5/32, fd00::5/128"));
	return APP_REDRAW;
}

const struct app_drift *app_drift(const struct app *app)
{
	const struct wg_device *dev = app_device(app);

	if (!dev || !app->drift.iface[0] || strcmp(app->drift.iface, dev->name))
		return NULL;
	return &app->drift;
}

static int key_drift(struct app *app, int key)
{
	const struct app_drift *dr = app_drift(app);
	char title[APP_TEXT_MAX], line[APP_TEXT_MAX], b64[WG_KEY_B64_LEN];
	size_t first_action;

	if (!dr) {
		app_say(app, _("drift is not known yet"));
		return APP_REDRAW;
	}
	if (dr->error[0]) {
		app_say(app, dr->error);
		return APP_REDRAW;
	}
	if (!dr->n) {
		app_say(app, _("the live interface and its config file agree"));
		return APP_REDRAW;
	}
	snprintf(title, sizeof(title), _("Drift: %s and its config file disagree"), dr->iface);
	app_pager_open(app, title, true, true);
	for (size_t i = 0; i < dr->n; ++i) {
		key_to_base64(b64, dr->v[i].key);
		snprintf(line, sizeof(line), dr->v[i].live ? _("live only:    %s %s") : _("in file only: %s %s"), b64,
			 dr->v[i].name);
		if (app_pager_add(app, APP_LINE_TEXT, 0, 0, line) < 0)
			return APP_QUIT;
	}
	first_action = app->pager.n + 1;
	if (app_pager_add(app, APP_LINE_TEXT, 0, 0, " ") < 0)
		return APP_QUIT;
	if (app->read_only) {
		if (app_pager_add(app, APP_LINE_NOTE, 0, 0, _("read-only: reconciling is off")) < 0)
			return APP_QUIT;
		return APP_REDRAW;
	}
	if (app_pager_add(app, APP_LINE_TEXT, APP_STEP_DRIFT, DRIFT_TO_FILE,
			  _("to file: make the config file follow the live interface (preview)")) < 0 ||
	    app_pager_add(app, APP_LINE_TEXT, APP_STEP_DRIFT, DRIFT_TO_LIVE,
			  _("to live: make the live interface follow the config file (preview)")) < 0)
		return APP_QUIT;
	app->pager.cursor = first_action;
	return APP_REDRAW;
}

const struct app_binding app_bindings[] = {
	{ { '?', AK_F1, 'h' }, "? F1", N_("help"), key_help },
	{ { 'q', AK_F10 }, "q F10", N_("quit"), key_quit },
	{ { AK_UP, 'k' }, "Up k", N_("select the peer above"), key_move },
	{ { AK_DOWN, 'j' }, "Down j", N_("select the peer below"), key_move },
	{ { AK_PGUP, AK_PGDN }, "PgUp PgDn", N_("move a page up or down"), key_move },
	{ { AK_HOME, 'g' }, "Home g", N_("select the first peer"), key_move },
	{ { AK_END, 'G' }, "End G", N_("select the last peer"), key_move },
	{ { AK_ENTER }, "Enter", N_("peer details, and back"), key_detail },
	{ { '/' }, "/", N_("filter by name, key or address"), key_filter },
	{ { AK_ESC }, "Esc", N_("back; clear the filter"), key_back },
	{ { 's', '>', '<' }, "s > <", N_("sort by the next or previous column"), key_sort },
	{ { 'r', 'I' }, "r I", N_("reverse the sort order"), key_reverse },
	{ { AK_TAB, 'i' }, "Tab i", N_("next interface"), key_interface },
	{ { ' ' }, "Space", N_("pause or resume"), key_pause },
	{ { '+', '-' }, "+ -", N_("refresh more or less often"), key_interval },
	{ { 'F' }, "F", N_("firewall: preview what wgstar would change, then apply"), key_firewall, true },
	{ { 'c' }, "c", N_("keep the firewall change the countdown would undo"), key_firewall_guard, true },
	{ { 'u' }, "u", N_("undo that firewall change now"), key_firewall_guard, true },
	{ { 'w' }, "w", N_("switch IPv4 or IPv6 forwarding"), key_forward, true },
	{ { 'x' }, "x", N_("check why the selected peer cannot reach others"), key_check },
	{ { 'n' }, "n", N_("new peer: a form, then its client config and QR code"), key_add, true },
	{ { 'e' }, "e", N_("edit the selected peer's name and allowed IPs"), key_edit, true },
	{ { 'D', AK_DELETE }, "D Del", N_("remove the selected peer, after asking"), key_remove, true },
	{ { 'd' }, "d", N_("drift: peers live only or in the config file only; reconcile"), key_drift },
	{ { 'P' }, "P", N_("the hub policy: rules, counters, refused"), key_policy },
	{ { 'L' }, "L", N_("timeline: what the recorder saw here; / filters it"), key_timeline },
};

const size_t app_n_bindings = sizeof(app_bindings) / sizeof(app_bindings[0]);

const struct app_binding *app_binding_of(int key)
{
	for (size_t i = 0; i < app_n_bindings; ++i)
		for (size_t k = 0; k < 3 && app_bindings[i].keys[k]; ++k)
			if (app_bindings[i].keys[k] == key)
				return &app_bindings[i];
	return NULL;
}

/* A typed code point as UTF-8 into enc; its length, or 0 when it is no printable character. */
size_t app_utf8_encode(int key, char enc[4])
{
	return key >= 0 && text_printable((uint32_t)key) ? text_utf8_put((uint32_t)key, enc) : 0;
}

static int filter_key(struct app *app, int key)
{
	size_t len = strlen(app->filter);

	switch (key) {
	case AK_ENTER:
		app->filter_editing = false;
		return APP_REDRAW;
	case AK_ESC:
		app->filter_editing = false;
		app->filter[0] = '\0';
		break;
	case AK_BACKSPACE:
		/* Remove a whole UTF-8 character. */
		while (len && ((unsigned char)app->filter[len - 1] & 0xc0) == 0x80)
			--len;
		if (len)
			--len;
		app->filter[len] = '\0';
		break;
	default: {
		char enc[4];
		size_t n = app_utf8_encode(key, enc);

		if (!n || len + n >= sizeof(app->filter))
			return 0;
		memcpy(app->filter + len, enc, n);
		app->filter[len + n] = '\0';
		break;
	}
	}
	app->rows_stale = true;
	return APP_REDRAW;
}

/* --- dialogs --- */


int app_step(struct app *app, int what, int arg)
{
	char q[APP_LONG_TEXT_MAX];
	const char *fam = app->fwd_ipv6 ? "IPv6" : "IPv4";

	switch (what) {
	case APP_STEP_APPLY:
		return app_request(app, APP_REQ_FIREWALL_APPLY);
	case APP_STEP_FORWARD: {
		int v = arg ? app->fwd.ipv6 : app->fwd.ipv4;

		if (v < 0)
			return 0;
		app->fwd_ipv6 = arg;
		app->fwd_value = !v;
		fam = arg ? "IPv6" : "IPv4";
		snprintf(q, sizeof(q), app->fwd_value ? _("Turn %s forwarding on in this network namespace?") :
							_("Turn %s forwarding off in this network namespace?"), fam);
		app_confirm_open(app, _("Forwarding"), q, app->fwd_value ? _("turn on") : _("turn off"), _("cancel"),
				 APP_STEP_FORWARD_ASK_PERSIST, APP_STEP_NONE);
		return APP_REDRAW;
	}
	case APP_STEP_FORWARD_ASK_PERSIST:
		snprintf(q, sizeof(q), app->fwd_value ? _("Also turn %s forwarding on at boot, in %s?") :
							_("Also turn %s forwarding off at boot, in %s?"),
			 fam, app->sysctl_file[0] ? app->sysctl_file : "/etc/sysctl.d");
		app_confirm_open(app, _("Forwarding"), q, _("now and at boot"), _("only now"),
				 APP_STEP_FORWARD_PERSIST, APP_STEP_FORWARD_NOW);
		return APP_REDRAW;
	case APP_STEP_FORWARD_NOW:
	case APP_STEP_FORWARD_PERSIST:
		app->req.ipv6 = app->fwd_ipv6;
		app->req.value = app->fwd_value;
		app->req.persist = what == APP_STEP_FORWARD_PERSIST;
		return app_request(app, APP_REQ_FORWARD);
	case APP_STEP_CHECK_WITH:
		if (arg >= 0 && (size_t)arg >= app->n_pick_keys)
			return 0;
		app->req.with_b = arg >= 0;
		if (arg >= 0)
			memcpy(app->req.peer_b, app->pick_keys[arg], WG_KEY_LEN);
		return app_request(app, APP_REQ_CHECK);
	case APP_STEP_FIX:
		if (refuse_read_only(app))
			return APP_REDRAW;
		if (arg == CHECK_FIX_FIREWALL) {
			if (app->countdown > 0) {
				app_say(app, _("a firewall change waits for confirmation: c keeps it, u undoes it"));
				return APP_REDRAW;
			}
			/* The finding's own fix: the star's accept, nothing else. */
			app->req.value = 1;
			return app_request(app, APP_REQ_FIREWALL_PREVIEW);
		}
		if (arg == CHECK_FIX_FORWARD_IPV4 || arg == CHECK_FIX_FORWARD_IPV6) {
			int v6 = arg == CHECK_FIX_FORWARD_IPV6;

			/* The check is a moment old: switch on only what is still off. */
			if ((v6 ? app->fwd.ipv6 : app->fwd.ipv4) != 0) {
				app_say(app, v6 ? _("IPv6 forwarding is not off now") : _("IPv4 forwarding is not off now"));
				return APP_REDRAW;
			}
			return app_step(app, APP_STEP_FORWARD, v6);
		}
		return 0;
	case APP_STEP_QUIT:
		return APP_QUIT;
	case APP_STEP_REMOVE:
		if (refuse_read_only(app))
			return APP_REDRAW;
		memcpy(app->req.peer_a, app->target, WG_KEY_LEN);
		return app_request(app, APP_REQ_PEER_REMOVE);
	case APP_STEP_DRIFT:
	case APP_STEP_RECONCILE:
		if (refuse_read_only(app))
			return APP_REDRAW;
		app->req.value = arg;
		return app_request(app, what == APP_STEP_DRIFT ? APP_REQ_DRIFT_PREVIEW : APP_REQ_DRIFT_APPLY);
	case APP_STEP_NONE:
	default:
		return 0;
	}
}


int app_key(struct app *app, int key)
{
	const struct app_binding *b;

	app->req.what = APP_REQ_NONE;
	if (app_modal_top(app) == MODAL_NONE && app->filter_editing)
		return filter_key(app, key);
	if (app_rows_settle(app) < 0)
		return APP_QUIT;
	if (app_modal_top(app) != MODAL_NONE) {
		app->message[0] = '\0';
		return app_dialog_key(app, key);
	}
	app->message[0] = '\0';
	if ((app->view == VIEW_HELP || app->view == VIEW_POLICY) && key != 'q' && key != AK_F10)
		return app_help_key(app, key);
	if (app->view == VIEW_TIMELINE && key != 'q' && key != AK_F10)
		return timeline_key(app, key);
	if (!(b = app_binding_of(key)))
		return 0;
	return b->changes && refuse_read_only(app) ? APP_REDRAW : b->action(app, key);
}
