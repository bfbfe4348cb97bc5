// SPDX-License-Identifier: GPL-2.0-or-later
/* A streaming parser, without I/O, of the reply to the cross-platform UAPI "get=1" request. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/types.h>
#include "hashmix.h"
#include "key.h"
#include "prefix.h"
#include "uapi.h"

/* The kernel's MAX_ERRNO: anything larger is not an errno. */
#define UAPI_ERRNO_MAX 4095

void uapi_parser_init(struct uapi_parser *p, struct wg_device *dev)
{
	memset(p, 0, sizeof(*p));
	p->dev = dev;
	p->state = UAPI_BODY;
}

void uapi_parser_keep_sums(struct uapi_parser *p, const struct wg_device *earlier, uint32_t expected)
{
	p->keep_sums = true;
	p->earlier = earlier && earlier->lines_sums ? earlier : NULL;
	/* Room for as many as expected, and no more: the array is the device's, at its size. */
	if (expected && expected <= UAPI_MAX_PEERS && (p->sums = malloc(expected * sizeof(*p->sums))))
		p->cap_sums = expected;
}

void uapi_parser_clear(struct uapi_parser *p)
{
	free(p->sums);
	p->sums = NULL;
	p->cap_sums = 0;
}

/*
 * A peer's lines hashed, 16 bytes a step folded through a 64x64->128-bit product (as wyhash
 * does): two dozen multiplications for a dual-stack peer's 350 bytes, where parsing them looks
 * at every byte several times and writes a dozen fields.
 */
#ifdef __SIZEOF_INT128__
static inline uint64_t fold_mul(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}
#else
static inline uint64_t fold_mul(uint64_t a, uint64_t b)
{
	return hashmix64(a ^ hashmix64(b));
}
#endif

static uint64_t lines_hash(const char *s, size_t len)
{
	const uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL, k2 = 0x8ebc6af09c88c6e3ULL;
	uint64_t h = k0 ^ len, a = 0, b = 0;

	for (; len >= 16; s += 16, len -= 16) {
		memcpy(&a, s, 8);
		memcpy(&b, s + 8, 8);
		h = fold_mul(a ^ k1, b ^ h);
	}
	a = b = 0;
	if (len > 8) {
		memcpy(&a, s, 8);
		memcpy(&b, s + 8, len - 8);
	} else {
		memcpy(&a, s, len);
	}
	return fold_mul(fold_mul(a ^ k1, b ^ h) ^ k2, h ^ k0);
}

/* The last peer's lines end at end (in the chunk being fed; NULL when not there). */
static void lines_close(struct uapi_parser *p, const char *end)
{
	struct wg_lines_sum *sum;

	if (!p->lines_open)
		return;
	p->lines_open = false;
	sum = &p->sums[p->dev->n_peers - 1];
	if (p->lines && end && (size_t)(end - p->lines) <= UINT32_MAX) {
		/* A peer changed at the same length was hashed once already, against earlier. */
		uint64_t h = p->probe_len == (size_t)(end - p->lines) ? p->probe_hash :
									lines_hash(p->lines, (size_t)(end - p->lines));

		sum->len = (uint32_t)(end - p->lines);
		sum->hash[0] = (uint32_t)h;
		sum->hash[1] = (uint32_t)(h >> 32);
	}
	p->lines = NULL;
}

/* A new peer's sum, unknown until its lines end; lines is where they begin, or NULL. */
static int lines_open(struct uapi_parser *p, const char *lines)
{
	uint32_t i = p->dev->n_peers - 1;

	if (i >= p->cap_sums) {
		uint32_t cap = p->cap_sums ? p->cap_sums + p->cap_sums / 2 : 64;
		struct wg_lines_sum *v;

		if (cap <= i)
			cap = i + 1;
		if (!(v = realloc(p->sums, cap * sizeof(*v))))
			return -ENOMEM;
		p->sums = v;
		p->cap_sums = cap;
	}
	p->sums[i] = (struct wg_lines_sum){ 0 };
	p->probe_len = 0;
	p->lines_open = true;
	p->lines = lines;
	return 0;
}

/*
 * The peer just started at line, taken from the earlier device when its lines there were these
 * very bytes and the next line starts another peer or ends the answer, both within the chunk
 * (which ends at end): returns how many bytes it took, 0 to parse them, or -ENOMEM.
 */
static ssize_t take_earlier(struct uapi_parser *p, const char *line, const char *end)
{
	const struct wg_device *e = p->earlier;
	struct wg_peer *peer = p->peer;
	const struct wg_peer *old = wg_device_find_peer_near(e, peer->public_key, &p->near);
	const struct wg_lines_sum *sum;
	const char *next;
	size_t rest;

	if (!old)
		return 0;
	sum = &e->lines_sums[old - e->peers];
	if (!sum->len || sum->len > (size_t)(end - line))
		return 0;
	next = line + sum->len;
	rest = (size_t)(end - next);
	if (!(rest >= 11 && !memcmp(next, "public_key=", 11)) && !(rest >= 6 && !memcmp(next, "errno=", 6)))
		return 0;
	p->probe_hash = lines_hash(line, sum->len);
	if (p->probe_hash != ((uint64_t)sum->hash[1] << 32 | sum->hash[0])) {
		p->probe_len = sum->len;
		return 0;
	}
	/* What parse_peer_line fills, and nothing else: the rest is the readers' of the device. */
	peer->endpoint = old->endpoint;
	peer->persistent_keepalive = old->persistent_keepalive;
	peer->has_preshared_key = old->has_preshared_key;
	peer->last_handshake_sec = old->last_handshake_sec;
	peer->last_handshake_nsec = old->last_handshake_nsec;
	peer->rx_bytes = old->rx_bytes;
	peer->tx_bytes = old->tx_bytes;
	/* Not parsed after all on a failure here: some of its allowed IPs would be in twice. */
	if (wg_device_add_allowedips(p->dev, peer, old->allowedips, old->n_allowedips) < 0)
		return -ENOMEM;
	p->sums[p->dev->n_peers - 1] = *sum;
	p->lines_open = false;
	p->lines = NULL;
	p->taken++;
	return (ssize_t)sum->len;
}

/* The keys of a reply: the device's, then each peer's; UK_OTHER for one this parser does not know. */
enum ukey {
	UK_OTHER,
	UK_ERRNO,
	UK_PUBLIC_KEY,
	UK_PRIVATE_KEY,
	UK_LISTEN_PORT,
	UK_FWMARK,
	UK_PRESHARED_KEY,
	UK_ENDPOINT,
	UK_ALLOWED_IP,
	UK_HANDSHAKE_SEC,
	UK_HANDSHAKE_NSEC,
	UK_RX_BYTES,
	UK_TX_BYTES,
	UK_KEEPALIVE,
	UK_PROTOCOL_VERSION,
};
#define UK_DEVICE_FIRST UK_PRIVATE_KEY
#define UK_DEVICE_LAST UK_FWMARK
#define UK_PEER_FIRST UK_PRESHARED_KEY

/*
 * Which key a line has: its length picks the names it can be, compared whole, each with a
 * length the compiler knows (no call). The console reads eleven lines a peer of 10,000 peers
 * each second, where comparing each line with the names one by one, in two lists, was a
 * sixteenth of the reply's parse.
 */
static enum ukey ukey_of(const char *key, size_t klen)
{
#define IS(name) (!memcmp(key, name, sizeof(name) - 1))
	switch (klen) {
	case 5:
		return IS("errno") ? UK_ERRNO : UK_OTHER;
	case 6:
		return IS("fwmark") ? UK_FWMARK : UK_OTHER;
	case 8:
		return IS("endpoint") ? UK_ENDPOINT : IS("rx_bytes") ? UK_RX_BYTES : IS("tx_bytes") ? UK_TX_BYTES : UK_OTHER;
	case 10:
		return IS("public_key") ? UK_PUBLIC_KEY : IS("allowed_ip") ? UK_ALLOWED_IP : UK_OTHER;
	case 11:
		return IS("private_key") ? UK_PRIVATE_KEY : IS("listen_port") ? UK_LISTEN_PORT : UK_OTHER;
	case 13:
		return IS("preshared_key") ? UK_PRESHARED_KEY : UK_OTHER;
	case 16:
		return IS("protocol_version") ? UK_PROTOCOL_VERSION : UK_OTHER;
	case 23:
		return IS("last_handshake_time_sec") ? UK_HANDSHAKE_SEC : UK_OTHER;
	case 24:
		return IS("last_handshake_time_nsec") ? UK_HANDSHAKE_NSEC : UK_OTHER;
	case 29:
		return IS("persistent_keepalive_interval") ? UK_KEEPALIVE : UK_OTHER;
	default:
		return UK_OTHER;
	}
#undef IS
}

/* Decimal digits only: no sign, no blanks, no wrap-around. */
static int parse_u64(uint64_t *out, const char *s, size_t len, uint64_t max)
{
	uint64_t v = 0;

	if (!len)
		return -EBADMSG;
	for (size_t i = 0; i < len; ++i) {
		unsigned int d;

		if (s[i] < '0' || s[i] > '9')
			return -EBADMSG;
		d = (unsigned int)(s[i] - '0');
		if (d > max || v > (max - d) / 10)
			return -EBADMSG;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Copies s into a NUL-terminated buffer of size cap, for inet_pton. */
static int copy_token(char *buf, size_t cap, const char *s, size_t len)
{
	if (!len || len >= cap)
		return -EBADMSG;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return 0;
}

static int parse_scope(struct uapi_parser *p, uint32_t *scope_id, const char *zone)
{
	uint64_t v;
	size_t len = strlen(zone);

	if (!len || len >= IFNAMSIZ)
		return -EBADMSG;
	if (!parse_u64(&v, zone, len, UINT32_MAX)) {
		*scope_id = (uint32_t)v;
		return 0;
	}
	for (size_t i = 0; i < len; ++i)
		if (zone[i] <= ' ' || zone[i] == '/' || zone[i] == 0x7f)
			return -EBADMSG;
	/* The same name may be another index at the next read: not summed. */
	p->lines = NULL;
	*scope_id = p->scope_to_index ? p->scope_to_index(zone) : 0;
	return 0;
}

/* a.b.c.d:port or [v6]:port or [v6%zone]:port, numeric only: no name is ever resolved. */
static int parse_endpoint(struct uapi_parser *p, union wg_endpoint *ep, const char *s, size_t len)
{
	char host[INET6_ADDRSTRLEN + IFNAMSIZ + 1];
	const char *end = s + len, *host_start, *port_start, *sep;
	uint64_t port;
	bool v6;
	int ret;

	if (len && s[0] == '[') {
		sep = memchr(s, ']', len);
		if (!sep || sep + 1 == end || sep[1] != ':')
			return -EBADMSG;
		host_start = s + 1;
		port_start = sep + 2;
		v6 = true;
	} else {
		sep = memrchr(s, ':', len);
		if (!sep)
			return -EBADMSG;
		host_start = s;
		port_start = sep + 1;
		v6 = false;
	}
	ret = parse_u64(&port, port_start, (size_t)(end - port_start), UINT16_MAX);
	if (ret < 0)
		return ret;
	ret = copy_token(host, sizeof(host), host_start, (size_t)(sep - host_start));
	if (ret < 0)
		return ret;

	memset(ep, 0, sizeof(*ep));
	if (v6) {
		char *zone = strchr(host, '%');

		if (zone) {
			*zone++ = '\0';
			ret = parse_scope(p, &ep->addr6.sin6_scope_id, zone);
			if (ret < 0)
				goto bad;
		}
		if (inet_pton(AF_INET6, host, &ep->addr6.sin6_addr) != 1)
			goto bad;
		ep->addr6.sin6_family = AF_INET6;
		ep->addr6.sin6_port = htons((uint16_t)port);
	} else {
		if (inet_pton(AF_INET, host, &ep->addr4.sin_addr) != 1)
			goto bad;
		ep->addr4.sin_family = AF_INET;
		ep->addr4.sin_port = htons((uint16_t)port);
	}
	return 0;
bad:
	memset(ep, 0, sizeof(*ep));
	ep->addr.sa_family = AF_UNSPEC;
	return -EBADMSG;
}

/* addr/cidr; the host bits are kept as the daemon gave them. */
static int parse_allowedip(struct wg_allowedip *aip, const char *s, size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = memchr(s, '/', len);
	uint64_t cidr;
	int ret;

	if (!slash)
		return -EBADMSG;
	ret = copy_token(addr, sizeof(addr), s, (size_t)(slash - s));
	if (ret < 0)
		return ret;
	memset(aip, 0, sizeof(*aip));
	if (strchr(addr, ':')) {
		aip->family = AF_INET6;
		if (!prefix_ip6_parse(&aip->ip6, addr, strlen(addr)))
			return -EBADMSG;
	} else {
		aip->family = AF_INET;
		if (!prefix_ip4_parse(&aip->ip4, addr, strlen(addr)))
			return -EBADMSG;
	}
	ret = parse_u64(&cidr, slash + 1, (size_t)(s + len - slash - 1), aip->family == AF_INET6 ? 128 : 32);
	if (ret < 0)
		return ret;
	aip->cidr = (uint8_t)cidr;
	return 0;
}

static int parse_private_key(struct wg_device *dev, const char *value, size_t vlen)
{
	uint8_t private_key[WG_KEY_LEN];
	int ret = 0;

	if (!key_from_hex(private_key, value, vlen)) {
		ret = -EBADMSG;
		goto out;
	}
	/* Daemons leave a device without a key out, but an all-zero key means the same. */
	if (key_is_zero(private_key)) {
		dev->has_public_key = false;
		memset(dev->public_key, 0, sizeof(dev->public_key));
		goto out;
	}
	ret = key_public_from_private(dev->public_key, private_key);
	dev->has_public_key = ret == 0;
out:
	key_wipe(private_key, sizeof(private_key));
	return ret;
}

/* These two return 1 for a key that is not theirs, else 0 or -errno. */
static int parse_device_line(struct uapi_parser *p, enum ukey key, const char *value, size_t vlen)
{
	uint64_t v;
	int ret;

	switch (key) {
	case UK_PRIVATE_KEY:
		return parse_private_key(p->dev, value, vlen);
	case UK_LISTEN_PORT:
		ret = parse_u64(&v, value, vlen, UINT16_MAX);
		if (!ret)
			p->dev->listen_port = (uint16_t)v;
		return ret;
	case UK_FWMARK:
		ret = parse_u64(&v, value, vlen, UINT32_MAX);
		if (!ret)
			p->dev->fwmark = (uint32_t)v;
		return ret;
	default:
		return 1;
	}
}

static int parse_peer_line(struct uapi_parser *p, enum ukey key, const char *value, size_t vlen)
{
	struct wg_peer *peer = p->peer;
	uint64_t v;
	int ret;

	switch (key) {
	case UK_PRESHARED_KEY: {
		static const char zero[2 * WG_KEY_LEN] = "0000000000000000000000000000000000000000000000000000000000000000";
		uint8_t psk[WG_KEY_LEN];

		/* Only whether there is one counts, and most peers have none: no need to decode 64 zeros. */
		if (vlen == sizeof(zero) && !memcmp(value, zero, sizeof(zero))) {
			peer->has_preshared_key = false;
			return 0;
		}
		ret = key_from_hex(psk, value, vlen) ? 0 : -EBADMSG;
		if (!ret)
			peer->has_preshared_key = !key_is_zero(psk);
		key_wipe(psk, sizeof(psk));
		return ret;
	}
	case UK_ENDPOINT:
		return parse_endpoint(p, &peer->endpoint, value, vlen);
	case UK_ALLOWED_IP: {
		struct wg_allowedip aip;

		ret = parse_allowedip(&aip, value, vlen);
		if (ret < 0)
			return ret;
		return wg_device_add_allowedip(p->dev, peer, &aip);
	}
	case UK_HANDSHAKE_SEC:
		ret = parse_u64(&v, value, vlen, INT64_MAX);
		if (!ret)
			peer->last_handshake_sec = (int64_t)v;
		return ret;
	case UK_HANDSHAKE_NSEC:
		ret = parse_u64(&v, value, vlen, 999999999);
		if (!ret)
			peer->last_handshake_nsec = (int64_t)v;
		return ret;
	case UK_RX_BYTES:
		return parse_u64(&peer->rx_bytes, value, vlen, UINT64_MAX);
	case UK_TX_BYTES:
		return parse_u64(&peer->tx_bytes, value, vlen, UINT64_MAX);
	case UK_KEEPALIVE:
		ret = parse_u64(&v, value, vlen, UINT16_MAX);
		if (!ret)
			peer->persistent_keepalive = (uint16_t)v;
		return ret;
	case UK_PROTOCOL_VERSION:
		ret = parse_u64(&v, value, vlen, UINT32_MAX);
		if (ret < 0)
			return ret;
		return v == 1 ? 0 : -EPROTONOSUPPORT;
	default:
		return 1;
	}
}

/* wireguard-go writes its negative error code as it is, so either sign is taken. */
static int parse_errno(struct uapi_parser *p, const char *value, size_t vlen)
{
	uint64_t v;
	int ret;

	if (vlen && value[0] == '-') {
		++value;
		--vlen;
	}
	ret = parse_u64(&v, value, vlen, UAPI_ERRNO_MAX);
	if (ret < 0)
		return ret;
	p->remote_errno = (int)v;
	p->state = UAPI_AFTER_ERRNO;
	return 0;
}

/*
 * One line without its newline. Device keys come before the first peer and peer
 * keys after it; one out of place is refused before it changes anything.
 */
static int parse_line(struct uapi_parser *p, const char *line, size_t len, bool in_chunk)
{
	const char *eq, *value;
	size_t klen, vlen;
	uint8_t key[WG_KEY_LEN];
	enum ukey k;
	int ret;

	if (!len) {
		if (p->state != UAPI_AFTER_ERRNO)
			return -EBADMSG;
		p->state = UAPI_DONE;
		return 0;
	}
	if (p->state != UAPI_BODY)
		return -EBADMSG;
	eq = memchr(line, '=', len);
	if (!eq || eq == line)
		return -EBADMSG;
	klen = (size_t)(eq - line);
	value = eq + 1;
	vlen = len - klen - 1;
	k = ukey_of(line, klen);

	if (k == UK_ERRNO) {
		lines_close(p, in_chunk ? line : NULL);
		return parse_errno(p, value, vlen);
	}
	if (k == UK_PUBLIC_KEY) {
		if (!key_from_hex(key, value, vlen))
			return -EBADMSG;
		/* wireguard-go holds at most 2^16 peers: a reply with far more is no honest one. */
		if (p->dev->n_peers >= UAPI_MAX_PEERS)
			return -E2BIG;
		lines_close(p, in_chunk ? line : NULL);
		/* Each peer comes once: the device is indexed when the answer is whole (uapi_parser_finish). */
		p->peer = wg_device_append_peer(p->dev, key);
		if (!p->peer)
			return -ENOMEM;
		return p->keep_sums ? lines_open(p, in_chunk ? line : NULL) : 0;
	}
	if (!p->peer) {
		if (k >= UK_PEER_FIRST)
			return -EBADMSG;
		ret = parse_device_line(p, k, value, vlen);
	} else {
		if (k >= UK_DEVICE_FIRST && k <= UK_DEVICE_LAST)
			return -EBADMSG;
		ret = parse_peer_line(p, k, value, vlen);
	}
	/* Unknown keys are skipped: a newer daemon may say more than we know. */
	return ret == 1 ? 0 : ret;
}

static int fail(struct uapi_parser *p, int error)
{
	p->state = UAPI_FAILED;
	p->error = error;
	return error;
}

int uapi_parser_feed(struct uapi_parser *p, const void *buf, size_t len)
{
	const char *s = buf, *nul;
	int ret;

	if (p->state == UAPI_FAILED)
		return p->error;
	/*
	 * No line holds a NUL. Looked for once a chunk, not once a line (a call a line was 4 % of a
	 * read), and refused at the line that holds it, so that the lines before it fail as they
	 * would have, wherever the chunks are cut.
	 */
	nul = memchr(s, '\0', len);
	while (len) {
		const char *nl, *line;
		size_t n, line_len;

		if (p->state == UAPI_DONE)
			return fail(p, -EBADMSG);
		nl = memchr(s, '\n', len);
		if (!nl) {
			if (len > UAPI_LINE_MAX - 1 - p->len || nul)
				return fail(p, -EBADMSG);
			memcpy(p->line + p->len, s, len);
			p->len += len;
			/* The chunk is the caller's again: lines still open are not summed. */
			p->lines = NULL;
			return 0;
		}
		n = (size_t)(nl - s);
		if (n > UAPI_LINE_MAX - 1 - p->len || (nul && nul < nl))
			return fail(p, -EBADMSG);
		/* A whole line inside the chunk is parsed where it lies, with no copy. */
		if (p->len) {
			memcpy(p->line + p->len, s, n);
			line = p->line;
			line_len = p->len + n;
		} else {
			line = s;
			line_len = n;
		}
		ret = parse_line(p, line, line_len, line == s);
		if (line == p->line) {
			key_wipe(p->line, line_len);
			p->len = 0;
		}
		if (ret < 0)
			return fail(p, ret);
		/* A peer that started here may be the earlier read's, unchanged. */
		if (p->earlier && p->lines == s) {
			ssize_t took = take_earlier(p, s, s + len);

			if (took < 0)
				return fail(p, (int)took);
			if (took) {
				s += took;
				len -= (size_t)took;
				continue;
			}
		}
		s += n + 1;
		len -= n + 1;
	}
	p->lines = NULL;
	return p->state == UAPI_DONE ? 1 : 0;
}

int uapi_parser_finish(struct uapi_parser *p)
{
	int ret;

	key_wipe(p->line, sizeof(p->line));
	p->len = 0;
	switch (p->state) {
	case UAPI_DONE:
		ret = -p->remote_errno;
		/* A peer twice is no answer wireguard-go gives: refused, not merged. */
		if (!ret && (ret = wg_device_index(p->dev)) == -EEXIST)
			ret = fail(p, -EBADMSG);
		/* Handed over once: a second finish finds them gone. */
		if (!ret && p->keep_sums && p->dev->n_peers && p->sums) {
			struct wg_lines_sum *v = p->cap_sums == p->dev->n_peers ?
							 p->sums : realloc(p->sums, p->dev->n_peers * sizeof(*v));

			free(p->dev->lines_sums);
			p->dev->lines_sums = v ? v : p->sums;
			p->sums = NULL;
			p->cap_sums = 0;
		}
		break;
	case UAPI_FAILED:
		ret = p->error;
		break;
	default:
		ret = fail(p, -EPROTO);
		break;
	}
	return ret;
}

int uapi_parse(struct wg_device *dev, const void *buf, size_t len)
{
	struct uapi_parser p;
	int ret;

	uapi_parser_init(&p, dev);
	/* An error is sticky, so finish reports it too. */
	uapi_parser_feed(&p, buf, len);
	ret = uapi_parser_finish(&p);
	uapi_parser_clear(&p);
	return ret;
}
