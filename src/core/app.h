/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The console's state: snapshots and what they mean over time (rates, history, new and
 * vanished peers), and what the operator chose to see (interface, sort, filter, selection,
 * view). Keys change it through one table that also writes the help screen. No I/O.
 *
 * Dialogs stack over the screen: a pager (text, a coloured diff, or a list to choose from),
 * a yes/no question, a form of labelled fields. What needs I/O (a firewall preview, switching
 * forwarding, a check) a key only asks for, in app->req; the loop performs it and hands the
 * result back (app_show_diff, app_set_countdown, app_show_check).
 */
#ifndef WGSTAR_APP_H
#define WGSTAR_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "check.h"
#include "keyidx.h"
#include "keys.h"
#include "model.h"
#include "drift.h"
#include "qr.h"
#include "rates.h"

#define APP_HISTORY 120		/* rate samples kept per peer: two minutes at the default interval */
#define APP_MARK_TICKS 5	/* refreshes a new or vanished peer stays marked */
#define APP_ENDPOINTS 8		/* endpoint changes remembered per peer */
#define APP_FILTER_MAX 64
#define APP_TEXT_MAX 160
#define APP_LONG_TEXT_MAX 640	/* a question or a warning: a few lines in a dialog */
#define APP_MODAL_DEPTH 4
#define APP_FORM_FIELDS 9
#define APP_FIELD_MAX 256

/* What a key handler asks of the loop; handlers never draw. */
enum app_flags {
	APP_REDRAW = 1 << 0,
	APP_QUIT = 1 << 1,
	APP_RESAMPLE = 1 << 2,	/* the interface or interval changed: sample now */
	APP_REQUEST = 1 << 3,	/* app->req asks for I/O */
};

/* What a key asked of the loop that needs I/O; the loop performs it and clears it. */
enum app_request {
	APP_REQ_NONE = 0,
	APP_REQ_FIREWALL_PREVIEW,	/* propose, validate, then app_show_diff() */
	APP_REQ_FIREWALL_APPLY,		/* commit the previewed plan under a guard, app_set_countdown() */
	APP_REQ_FIREWALL_CONFIRM,	/* keep it: FIREWALL_CONFIRM to the guard */
	APP_REQ_FIREWALL_ROLLBACK,	/* take it back now: FIREWALL_ROLLBACK */
	APP_REQ_FORWARD,		/* switch forwarding: ipv6, value, persist */
	APP_REQ_CHECK,			/* check peer_a with peer_b (or all): app_show_check() */
	APP_REQ_FORM,			/* app->form was submitted and validated; it stays open */
	APP_REQ_PEER_ADD_FORM,		/* read the settings, dry-run for the address: app_peer_add_form() */
	APP_REQ_PEER_REMOVE,		/* remove peer_a, asked already */
	APP_REQ_DRIFT_PREVIEW,		/* value: an enum drift_direction; app_show_diff() */
	APP_REQ_DRIFT_APPLY,		/* reconcile in direction value, previewed */
};

/* The forms the console opens; the loop tells them apart by app->req.form. */
enum app_form_id {
	APP_FORM_NONE = 0,
	APP_FORM_ADD_PEER,
	APP_FORM_EDIT_PEER,		/* the peer app->target */
	APP_FORM_SAVE_CLIENT,		/* a file for the client config shown */
};

/* The fields of the add form, in order. */
enum app_add_field {
	APP_ADD_NAME,
	APP_ADD_KEY,			/* choice: generate here, paste a public key */
	APP_ADD_PUBLIC_KEY,
	APP_ADD_PSK,			/* choice: no, yes */
	APP_ADD_ADDRESS,
	APP_ADD_KEEPALIVE,
	APP_ADD_ENDPOINT,
	APP_ADD_DNS,
	APP_ADD_GROUPS,			/* groups of the hub policy the peer joins */
	APP_ADD_N_FIELDS,
};

enum app_edit_field {
	APP_EDIT_NAME,
	APP_EDIT_ALLOWED_IPS,
};

struct app_req {
	enum app_request what;
	bool ipv6;			/* APP_REQ_FORWARD: IPv6 rather than IPv4 */
	int value;			/* 0 or 1; FIREWALL_PREVIEW: 1 for the star's accept alone (a check's fix) */
	bool persist;			/* also under the sysctl.d file */
	uint8_t peer_a[WG_KEY_LEN];	/* APP_REQ_CHECK */
	bool with_b;			/* false: A with every other peer */
	uint8_t peer_b[WG_KEY_LEN];
	int form;			/* APP_REQ_FORM: app->form.id */
};

enum app_modal {
	MODAL_NONE = 0,
	MODAL_PAGER,
	MODAL_CONFIRM,
	MODAL_FORM,
	MODAL_CLIENT,			/* a new peer's client config with its QR code */
};

/* What a dialog does next: Enter on a pager line, y or n on a question. */
enum app_step {
	APP_STEP_NONE = 0,		/* close the dialog */
	APP_STEP_APPLY,			/* apply the previewed firewall change */
	APP_STEP_FORWARD,		/* arg 0: IPv4, 1: IPv6: ask to switch it */
	APP_STEP_FORWARD_ASK_PERSIST,	/* asked; now ask whether to persist it */
	APP_STEP_FORWARD_NOW,		/* switch it, not persisted */
	APP_STEP_FORWARD_PERSIST,	/* switch it and persist it */
	APP_STEP_CHECK_WITH,		/* arg: index into pick_keys, -1 for every other peer */
	APP_STEP_FIX,			/* arg: an enum check_fix */
	APP_STEP_QUIT,
	APP_STEP_REMOVE,		/* remove app->target, asked already */
	APP_STEP_DRIFT,			/* arg: an enum drift_direction: preview it */
	APP_STEP_RECONCILE,		/* arg: the direction previewed: apply it */
};

enum app_line_kind {
	APP_LINE_TEXT = 0,
	APP_LINE_NOTE,			/* a comment above the text */
	APP_LINE_WARN,
	APP_LINE_DIFF,			/* styled by its first character, as git diff colours it */
};

struct app_line {
	char *text;
	uint8_t kind;
	int action;			/* an app_step Enter takes on it; 0 for none */
	int arg;
};

/* Scrollable text; with select, a list whose lines Enter chooses. */
struct app_pager {
	char title[APP_TEXT_MAX];
	struct app_line *lines;
	size_t n, cap;
	size_t top;			/* first line shown */
	size_t cursor;			/* the chosen line, with select */
	bool select;
	bool wrap;			/* long lines go on in the next row, rather than cut */
	bool apply;			/* 'a' applies what it shows */
	int apply_step, apply_arg;	/* what 'a' does: APP_STEP_APPLY for the firewall */
	char warning[APP_LONG_TEXT_MAX];	/* asked about before 'a' applies; "" for none */
	int page;			/* lines the last render showed (for PgUp/PgDn) */
};

struct app_confirm {
	char title[APP_TEXT_MAX];
	char question[APP_LONG_TEXT_MAX];
	char yes[48], no[48];		/* what y and n do, as the dialog says it */
	int yes_step, no_step;		/* APP_STEP_NONE for no: n cancels as Esc does */
};

struct app_field {
	char label[48];
	char buf[APP_FIELD_MAX];	/* UTF-8; a choice field: its choice */
	size_t max;			/* bytes the text may take, below APP_FIELD_MAX */
	size_t cursor;			/* byte offset into buf */
	size_t scroll;			/* first byte shown: the view keeps the cursor in sight */
	char hint[APP_FIELD_MAX];	/* shown dimmed while the field is empty: what empty means */
	const char *const *choices;	/* a choice field: Space steps through them; NULL for text */
	size_t n_choices;
	size_t choice;
};

struct app_form {
	char title[APP_TEXT_MAX];
	struct app_field fields[APP_FORM_FIELDS];
	size_t n;
	size_t focus;
	size_t top;			/* first field shown, when they do not all fit */
	int id;				/* which form, for the loop */
	char error[APP_TEXT_MAX];	/* what validation said; shown under the fields */
	/* True when the form may be submitted; else one line into err, and the field at fault. */
	bool (*validate)(const struct app_form *form, char *err, size_t len, size_t *field);
};

/*
 * A new peer's client config, shown once: as a QR code for a phone and as text. It holds
 * the device's private key, which the router keeps nowhere: wiped when the dialog closes.
 */
struct app_client {
	char title[APP_TEXT_MAX];
	char name[64];			/* the peer's, for the file name offered */
	char *text;			/* the config; NULL when no dialog shows one */
	struct qr_art art[2];		/* QR_UTF8_HALF and QR_ASCII */
	int qr_error;			/* why there is no QR code (-EMSGSIZE: too long); 0 */
	size_t top;			/* first text line shown */
	bool text_only;			/* t: the text alone, for a small terminal or copying */
	bool more;			/* the last render left lines below (for scrolling) */
	char saved[APP_FIELD_MAX];	/* where it was saved; "" while not */
};

/* What the interface and its config file disagree on, as the loop last found it. */
struct app_drift {
	char iface[IFNAMSIZ];		/* "" while unknown */
	struct peer_drift *v;		/* live only first, then file only */
	size_t n;
	uint32_t n_live, n_file;
	char error[APP_TEXT_MAX];	/* why it is unknown; "" when known */
};

enum app_view {
	VIEW_MAIN = 0,
	VIEW_DETAIL,
	VIEW_HELP,
	VIEW_POLICY,			/* the hub policy of the interface, with its counters */
	VIEW_TIMELINE,			/* the recorder's events of the interface, newest first */
};

enum app_column {
	APP_COL_NAME = 0,
	APP_COL_ALLOWED_IPS,
	APP_COL_ENDPOINT,
	APP_COL_HANDSHAKE,
	APP_COL_STATE,
	APP_COL_RX_RATE,
	APP_COL_TX_RATE,
	APP_COL_RX,
	APP_COL_TX,
	APP_COL_FWD_RATE,		/* shown while wgstar's counting table exists */
	APP_COL_MONTH,			/* rx + tx this month: shown while the recorder's ledger is read */
	N_APP_COLUMNS,
};

struct endpoint_change {
	union wg_endpoint endpoint;
	int64_t when;			/* wall seconds it was first seen */
};

/* What the console remembers of one peer across snapshots, matched by public key. */
struct peer_track {
	uint8_t key[WG_KEY_LEN];
	bool present;			/* in the latest snapshot */
	uint32_t peer;			/* where in that snapshot's peers, while present */
	uint64_t seen_tick;		/* the latest snapshot that had it */
	uint64_t first_tick;		/* when it appeared; 0 when it was there from the start */
	uint64_t gone_tick;		/* when it vanished, while present is false */
	char *gone_name;		/* its name, kept for the "gone" row */
	struct rate rate;
	struct rate fwd;		/* forwarded through the hub: rx = from the peer, tx = to it */
	/*
	 * rx + tx bytes/s, APP_HISTORY of them, oldest first from hist_head. Most peers of a big
	 * hub are idle: the ring is allocated at the first sample that is not zero, and NULL
	 * stands for hist_len zeros (a track stays small: it is kept for every peer).
	 */
	float *hist;
	uint16_t hist_len;
	uint16_t hist_head;
	uint16_t n_endpoints;
	uint16_t cap_endpoints;
	struct endpoint_change *endpoints;	/* oldest first, at most APP_ENDPOINTS; NULL before one */
	bool live_only;			/* live but not in the interface's config file */
};

/* Traffic from one peer to another through the hub, as the counting table saw it. */
struct app_flow {
	uint8_t from[WG_KEY_LEN];
	uint8_t to[WG_KEY_LEN];
	uint64_t bytes;
	double rate;			/* bytes/s since the previous sample; 0 when unknown */
};

struct dev_state {
	char name[IFNAMSIZ];
	uint32_t ifindex;
	struct peer_track *tracks;
	uint32_t n_tracks;
	uint32_t cap_tracks;
	struct keyidx index;		/* tracks by key */
	double rx_rate, tx_rate;	/* sums over the peers */
	bool rates_known;
	bool counting;			/* wgstar's counting table exists */
	bool ledger;			/* the recorder's database is read: usage per peer is known */
	double fwd_rate;		/* forwarded bytes/s, from and to peers, summed */
	struct app_flow *flows;		/* sorted by (from, to) */
	uint32_t n_flows;
	bool selected_valid;
	uint8_t selected[WG_KEY_LEN];	/* the selection follows the peer, not the row */
	uint32_t selected_row;		/* where it was: the neighbour takes over when it goes */
	uint32_t scroll;		/* first table row shown */
	bool keys_changed;		/* the latest sample added or lost a peer: drift may have changed */
	uint32_t online;		/* peers with a recent handshake in the latest sample */
	bool any6;			/* one of them has an IPv6 allowed IP */
	uint64_t tracks_gen;		/* bumped when a track comes, vanishes, returns or is dropped */
	/*
	 * Each track's place in the last sort of every row by name: the tie-break of every other
	 * column, which a sort then takes instead of each row's name (see app_rows.c). Valid while
	 * rank_stamp is what the names depend on: the tracks and the device's name holds.
	 */
	uint32_t *name_rank;
	uint64_t rank_stamp[3];
	bool rank_valid;
	uint64_t rank_sorts;		/* sorts that took the ranks for the names */
	/* names_held of the snapshot of held_tick (app_rows.c): a snapshot's names do not change. */
	uint64_t held_tick;
	bool held, held_valid;
};

/* One table row: a present peer, or a vanished one still marked. */
struct app_row {
	int32_t peer;			/* index into the device's peers, -1 when gone */
	uint32_t track;			/* index into the dev_state's tracks */
};

/* A peer the star diagram shows (view_star.c). */
struct app_star_peer {
	struct app_row row;
	double rate;			/* rx + tx; -1 while unknown */
	int64_t handshake;
	const uint8_t *key;
	const char *name;		/* NULL when unnamed */
	int px, py;
};

/*
 * The star's busiest peers, found among every row, kept while the rows hold the same peers
 * (one sample, interface and filter): a key that only re-sorts, a move of the selection and
 * the clock's redraw each second then look at a few rows, not 100,000.
 * A sample is known by app->tick: only app_update may change the snapshot or the tracks.
 */
struct app_view_cache {
	bool star_valid;
	uint64_t star_tick;
	size_t star_cur;
	uint32_t star_rows;
	char star_filter[APP_FILTER_MAX];
	uint32_t star_k;		/* how many were asked for */
	struct app_star_peer *star;	/* the busiest, at most star_k */
	uint32_t n_star;
	uint32_t star_present;		/* rows of present peers */
};

struct app {
	struct wg_snapshot *snap;	/* owned; NULL before the first sample */
	struct wg_snapshot *prev;	/* owned; the last snapshot, only while app_update runs */
	/*
	 * With hand_back set, app_update leaves the snapshot it is done with in spent, for the
	 * caller to free elsewhere (the console's sampler thread does: at 100,000 peers that is
	 * 100,000 frees of allowed IPs, a third of taking in a sample).
	 */
	bool hand_back;
	struct wg_snapshot *spent;	/* owned until taken */
	struct app_view_cache view_cache;
	uint64_t tick;			/* snapshots taken in */
	struct dev_state *devs;
	size_t n_devs;
	size_t cur;			/* the interface shown: index into devs */

	struct app_row *rows;		/* filtered and sorted, for the current interface */
	uint32_t n_rows;
	uint32_t cap_rows;
	uint32_t *order;		/* the tracks of the last sort, in order: tried first */
	uint32_t n_order;
	enum app_column order_sort;	/* what that sort was by */
	bool order_reverse;
	int page_rows;			/* table rows the last render showed (for PgUp/PgDn) */

	enum app_column sort;
	bool sort_reverse;
	char filter[APP_FILTER_MAX];
	bool filter_editing;
	bool rows_stale;		/* the filter changed; the rows follow before they are used */
	/*
	 * What rows holds (in whatever order) was gathered from: the snapshot, interface, tracks,
	 * names and filter. A key that only sorts anew takes them as they are (app_rows.c).
	 */
	struct app_gathered {
		struct app_row *rows;	/* as gathered: in the tracks' order, as memory lies */
		uint32_t cap;
		bool valid;
		uint64_t tick;
		size_t cur;
		uint64_t stamp[3];
		uint32_t n_tracks, n;
		char filter[APP_FILTER_MAX];
		uint64_t reused;	/* refreshes that took them */
	} gathered;
	enum app_view view;
	bool paused;
	double interval;		/* seconds between samples */
	bool read_only;
	bool color;

	struct fwd_state fwd;
	char hostname[64];
	char clock[16];			/* wall clock to show, formatted by the caller */
	char error[APP_TEXT_MAX];	/* why the latest sample failed; "" when it did not */
	char message[APP_TEXT_MAX];	/* a passing note in the status line */
	uint32_t help_top;		/* first row of the help screen shown */
	int help_page;			/* rows the last render showed */

	enum app_modal modals[APP_MODAL_DEPTH];	/* dialogs, the last on top */
	size_t n_modals;
	struct app_pager pager;
	struct app_confirm confirm;
	struct app_form form;
	struct app_req req;
	int fwd_ipv6;			/* the forwarding switch being asked about */
	int fwd_value;
	uint8_t (*pick_keys)[WG_KEY_LEN];	/* peers a list offers, for APP_STEP_CHECK_WITH */
	size_t n_pick_keys;
	struct app_client client;
	struct app_drift drift;
	uint8_t target[WG_KEY_LEN];	/* the peer being removed or edited */
	char target_name[APP_FIELD_MAX];	/* its name and allowed IPs when the edit form opened */
	char target_allowed[APP_FIELD_MAX];

	double mono_now;		/* monotonic seconds, kept by the loop */
	double countdown;		/* when an unconfirmed firewall change is rolled back; 0: none */
	int fw_pending;			/* a change waits: 1 guarded, -1 UNGUARDED (its guard died), 0 none */
	double fw_left;			/* seconds until a guarded one is rolled back */
	char sysctl_file[256];		/* where the forwarding switch persists */
};

struct app_binding {
	int keys[3];			/* 0-terminated when shorter */
	const char *label;		/* as shown: "q F10" */
	const char *help;		/* N_() text */
	int (*action)(struct app *app, int key);
	bool changes;			/* changes the hub: off with --read-only, in help and status too */
};

/* The binding of key, or NULL. */
const struct app_binding *app_binding_of(int key);

extern const struct app_binding app_bindings[];
extern const size_t app_n_bindings;

void app_init(struct app *app, double interval);
void app_free(struct app *app);

/* Takes snap (owned from now on): tracks, rates, history, marks and rows follow. 0 or -ENOMEM. */
int app_update(struct app *app, struct wg_snapshot *snap);
/* A failed sample: the last good snapshot stays on screen, with msg in the header. */
void app_set_error(struct app *app, const char *msg);

/*
 * Handles one key; returns app_flags. Keys go to the top dialog while there is one, and to
 * the filter while it is being edited.
 */
int app_key(struct app *app, int key);

/* Keys that dialogs take, for the help screen: label and N_() text. */
struct app_key_doc {
	const char *label;
	const char *help;
};

extern const struct app_key_doc app_dialog_keys[];
extern const size_t app_n_dialog_keys;

/* --- dialogs --- */

enum app_modal app_modal_top(const struct app *app);
void app_modal_close_all(struct app *app);

/* A pager with no lines yet, over every other dialog (which close). */
void app_pager_open(struct app *app, const char *title, bool select, bool wrap);
/* One line more; text may hold several, split at '\n'; tabs become spaces. 0 or -ENOMEM. */
int app_pager_add(struct app *app, uint8_t kind, int action, int arg, const char *text);

/* A question over the top dialog: y takes yes_step, n no_step (or cancels), Esc cancels. */
void app_confirm_open(struct app *app, const char *title, const char *question, const char *yes,
		      const char *no, int yes_step, int no_step);

/* An empty form over the top dialog; fields follow with app_form_add and app_form_add_choice. */
void app_form_open(struct app *app, const char *title, int id,
		   bool (*validate)(const struct app_form *form, char *err, size_t len, size_t *field));
/* A text field of at most max bytes; returns its index, or -1 when the form is full. */
int app_form_add(struct app *app, const char *label, size_t max, const char *initial);
int app_form_add_choice(struct app *app, const char *label, const char *const *choices, size_t n, size_t initial);

/* The form on top is done with: it closes. */
void app_form_close(struct app *app);
/* The form on top stays open with err under it and the focus on field (when < its fields). */
void app_form_fail(struct app *app, const char *err, size_t field);

/* --- results of requests, from the loop --- */

/*
 * The add form, prefilled with the hub's endpoint and DNS (NULL: none known) and the address
 * a dry run would take as a hint for an empty Address (NULL: none).
 */
void app_peer_add_form(struct app *app, const char *endpoint, const char *dns, const char *address_hint);
/*
 * A new peer's client config, over every other dialog: a copy of text is kept (wiped when
 * the dialog closes) with its QR code in both styles. 0 or -ENOMEM; a config too long for a
 * QR code is shown as text only.
 */
int app_show_client(struct app *app, const char *title, const char *name, const char *text);
/* What the loop found drifting on iface (v copied), or why it could not tell (error). -ENOMEM. */
int app_set_drift(struct app *app, const char *iface, const struct peer_drift *v, size_t n, const char *error);
/* The reconcile preview for direction dir: 'a' applies it. 0 or -ENOMEM. */
int app_show_reconcile(struct app *app, const char *title, int dir, const char *preview);

/*
 * The firewall preview: notes (what changes, one a line) above the unified diff; 'a' applies,
 * asking first when warning is not empty. 0 or -ENOMEM.
 */
int app_show_diff(struct app *app, const char *title, const char *notes, const char *diff, const char *warning);
/* Findings of a check, one a line; Enter on one with a fix wgstar can make previews it. */
int app_show_check(struct app *app, const char *title, const struct check_result *r);
/* A change waits for confirmation until deadline (monotonic seconds); 0 when none does. */
void app_set_countdown(struct app *app, double deadline);
/* "confirm within 27 s: press c to keep, u to undo", or NULL when nothing waits. */
const char *app_countdown_text(const struct app *app, char *buf, size_t len);

/* The interface shown and its state; NULL when there is none. */
const struct wg_device *app_device(const struct app *app);
struct dev_state *app_dev_state(const struct app *app);
/* The row of the selected peer, or -1. */
int64_t app_selected_row(const struct app *app);
/* Rebuilds rows after a change of filter, sort or interface. */
int app_rows_refresh(struct app *app);
/* The first row that sorts before the one above it, by the sort's whole order; -1 when none. */
int64_t app_rows_misordered(const struct app *app);
/*
 * The rows brought in step with a filter typed since they were made: once for every key that
 * came in together (a pasted key is one pass over 100,000 peers, not 44). view_render and every
 * key but the filter's own do it first.
 */
int app_rows_settle(struct app *app);

/* The current interface's drift, or NULL when it is not known for it. */
const struct app_drift *app_drift(const struct app *app);

/* Helpers for views. */
const char *app_column_title(enum app_column col);	/* translated */
/* Whether the interface has figures for col: forwarded rates only while counted, ... */
bool app_column_available(const struct dev_state *d, enum app_column col);
/* The last n history samples of rx + tx, oldest first, into out; returns how many. */
uint32_t app_history(const struct peer_track *t, float *out, uint32_t n);
/* Name of a row's peer, or NULL when unnamed (views show a short key). */
const char *app_row_name(const struct app *app, const struct app_row *row);
bool app_track_is_new(const struct app *app, const struct peer_track *t);
/*
 * A filter (not empty) as rows and events are matched with it: lowered once as strncasecmp()
 * lowers, with which of a row's texts it can be in at all. A filter with a letter past f, a
 * dash or a space is never in an address, one with a dash or a dot never in a key: at 100,000
 * rows, formatting a key and three addresses per row for a filter typed as a name cost half a
 * second of an emulated CPU.
 */
struct app_filter {
	uint8_t lower[256];		/* tolower() of each byte */
	char text[APP_FILTER_MAX];	/* lowered */
	size_t len;
	bool in_key;			/* every character of it can be in a base64 key */
	bool in_address;		/* ... in an address, a prefix, or an endpoint without a scope */
};

void app_filter_init(struct app_filter *f, const char *text);
/* Whether an event passes f: its type, peer name, key (base64) or summary holds it, case aside. */
bool app_filter_event(const struct app_filter *f, const struct wg_history_event *e);
/* The flows with a rate, busiest first, into out (at most n); returns how many. */
uint32_t app_active_flows(const struct dev_state *d, const struct app_flow **out, uint32_t n);

#endif
