/* Classic libpcap capture files (not pcapng): the 24-byte global header
 * (magic a1b2c3d4 or a1b23c4d for nanoseconds, in either byte order), then
 * 16-byte record headers each followed by incl_len bytes. Ethernet (with
 * 802.1Q tags), raw IPv4 and Linux cooked (SLL) frames are unwrapped to
 * IPv4 and then UDP; anything else, and IP fragments, are skipped. Parsed
 * here by hand: the format is small and libpcap is not a dependency. */
#include <string.h>

#include "feed/feed_int.h"

#define LINK_ETHERNET 1
#define LINK_RAW 101
#define LINK_IPV4 228
#define LINK_SLL 113

static uint32_t rd32(const uint8_t *p, int swap)
{
    return swap ? (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0]
                : dc__u32(p);
}

/* Hands the UDP payload of one IPv4 packet at ip[0..n) to fn. */
static void ipv4(const uint8_t *ip, size_t n, double t, dc_pcap_udp_fn fn, void *ctx)
{
    if (n < 20 || (ip[0] >> 4) != 4)
        return;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4, tot = dc__u16(ip + 2);
    if (ihl < 20 || tot < ihl || tot > n)
        return;
    if (ip[9] != 17 || (dc__u16(ip + 6) & 0x3fff)) /* not UDP, or a fragment */
        return;
    const uint8_t *udp = ip + ihl;
    size_t un = tot - ihl;
    if (un < 8)
        return;
    size_t ulen = dc__u16(udp + 4);
    if (ulen < 8 || ulen > un)
        return;
    fn(ctx, udp + 8, ulen - 8, t, (uint16_t)dc__u16(udp + 2));
}

dc_status dc_pcap_udp_each(const uint8_t *buf, size_t len, dc_pcap_udp_fn fn, void *ctx,
                           dc_feed_error *err)
{
    if (len < 24)
        return dc__feed_fail(err, 0, "pcap: %zu bytes, the global header needs 24", len);
    uint32_t magic = dc__u32(buf);
    int swap, nano;
    if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
        swap = 0, nano = magic == 0xa1b23c4d;
    else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
        swap = 1, nano = magic == 0x4d3cb2a1;
    else
        return dc__feed_fail(err, 0, "pcap: bad magic %08x (not a classic pcap file)",
                             (unsigned)magic);
    uint32_t link = rd32(buf + 20, swap) & 0x0fffffff;
    if (link != LINK_ETHERNET && link != LINK_RAW && link != LINK_IPV4 && link != LINK_SLL)
        return dc__feed_fail(err, 20, "pcap: link type %u is not Ethernet, raw IP or Linux cooked",
                             (unsigned)link);
    size_t off = 24;
    while (off < len) {
        if (len - off < 16)
            return dc__feed_fail(err, off, "pcap: record header at byte %zu is truncated", off);
        uint32_t sec = rd32(buf + off, swap), frac = rd32(buf + off + 4, swap);
        size_t incl = rd32(buf + off + 8, swap);
        if (incl > len - off - 16)
            return dc__feed_fail(err, off + 8,
                                 "pcap: record at byte %zu claims %zu bytes, %zu are left", off,
                                 incl, len - off - 16);
        double t = sec + frac / (nano ? 1e9 : 1e6);
        const uint8_t *f = buf + off + 16;
        size_t n = incl;
        off += 16 + incl;
        if (link == LINK_ETHERNET) {
            if (n < 14)
                continue;
            size_t h = 12;
            uint32_t type = dc__u16(f + h);
            while ((type == 0x8100 || type == 0x88a8) && n >= h + 6) {
                h += 4;
                type = dc__u16(f + h);
            }
            if (type != 0x0800)
                continue;
            ipv4(f + h + 2, n - h - 2, t, fn, ctx);
        } else if (link == LINK_SLL) {
            if (n < 16 || dc__u16(f + 14) != 0x0800)
                continue;
            ipv4(f + 16, n - 16, t, fn, ctx);
        } else {
            ipv4(f, n, t, fn, ctx);
        }
    }
    return DC_OK;
}
