/* The live feeds' configuration (server/feeds_config.c: every field checked,
 * errors naming feeds[i].field) and fusion (livefeed/fusion.c: one aircraft
 * by Mode S address or track number, partial reports merged, the newest
 * position wins across feeds), and the Mode S tie (livefeed/tie.c: only a
 * declared address of an active operation of its registered operator
 * becomes that operator's track). The threads, sockets and alerts run in
 * tests/feed/check-live.sh against a real server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "livefeed/livefeed_int.h"

static dc_status load(const char *json, dc_server_config *c, dc_error *err)
{
    char path[] = "/tmp/dc_feedcfg_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
    close(fd);
    dc_server_config_default(c);
    memset(err, 0, sizeof *err);
    dc_status rc = dc_server_config_load(path, c, err);
    unlink(path);
    return rc;
}

static void config_ok(void **state)
{
    (void)state;
    dc_server_config c;
    dc_error err;
    assert_int_equal(
        load("{\"feed_silence_s\": 5, \"feeds\": ["
             "{\"type\":\"asterix\",\"listen\":\"udp://127.0.0.1:8600\","
             "\"radar\":{\"lat\":45.5,\"lon\":13.1,\"alt_m\":120},\"cat062_edition\":\"0.17\"},"
             "{\"name\":\"la\",\"type\":\"sbs\",\"connect\":\"localhost:30003\",\"silence_s\":2},"
             "{\"type\":\"beast\",\"connect\":\"tcp://10.0.0.2:30005\",\"ref\":{\"lat\":34,"
             "\"lon\":-118}}]}",
             &c, &err),
        DC_OK);
    assert_int_equal(c.n_feeds, 3);
    assert_int_equal(c.feed_silence_s, 5);
    assert_string_equal(c.feeds[0].name, "asterix-0");
    assert_int_equal(c.feeds[0].type, DC_FEED_SRC_ASTERIX);
    assert_string_equal(c.feeds[0].host, "127.0.0.1");
    assert_int_equal(c.feeds[0].port, 8600);
    assert_true(c.feeds[0].asterix.has_radar);
    assert_true(c.feeds[0].asterix.radar_alt_m == 120);
    assert_int_equal(c.feeds[0].asterix.cat062_edition, DC_CAT062_ED_0_17);
    assert_false(c.feeds[0].clock_arrival);
    assert_string_equal(c.feeds[1].name, "la");
    assert_string_equal(c.feeds[1].host, "localhost");
    assert_true(c.feeds[1].clock_arrival);
    assert_true(c.feeds[1].silence_s == 2);
    assert_string_equal(c.feeds[2].host, "10.0.0.2");
    assert_int_equal(c.feeds[2].port, 30005);
    assert_true(c.feeds[2].has_ref && c.feeds[2].ref_lon_deg == -118);
}

static void config_errors(void **state)
{
    (void)state;
    static const struct {
        const char *json, *field;
    } cases[] = {
        {"{\"feeds\": {}}", "feeds"},
        {"{\"feeds\": [{\"type\":\"radar\"}]}", "feeds[0].type"},
        {"{\"feeds\": [{\"type\":\"asterix\"}]}", "feeds[0].listen"},
        {"{\"feeds\": [{\"type\":\"asterix\",\"listen\":\"127.0.0.1:1\"}]}", "feeds[0].listen"},
        {"{\"feeds\": [{\"type\":\"asterix\",\"listen\":\"udp://127.0.0.1:70000\"}]}",
         "feeds[0].listen"},
        {"{\"feeds\": [{\"type\":\"sbs\",\"listen\":\"udp://127.0.0.1:1\"}]}", "feeds[0].listen"},
        {"{\"feeds\": [{\"type\":\"sbs\",\"connect\":\"x:1\"},{\"type\":\"beast\","
         "\"connect\":\"nohost\"}]}",
         "feeds[1].connect"},
        {"{\"feeds\": [{\"type\":\"sbs\",\"connect\":\"x:1\",\"radar\":{}}]}", "feeds[0].radar"},
        {"{\"feeds\": [{\"type\":\"sbs\",\"connect\":\"a\\\"b:1\"}]}", "feeds[0].connect"},
        {"{\"feeds\": [{\"type\":\"asterix\",\"listen\":\"udp://h:1\",\"radar\":{\"lat\":91,"
         "\"lon\":0}}]}",
         "feeds[0].radar"},
        {"{\"feeds\": [{\"type\":\"sbs\",\"connect\":\"x:1\",\"name\":\"a b\"}]}", "feeds[0].name"},
        {"{\"feeds\": [{\"type\":\"sbs\",\"connect\":\"x:1\",\"name\":\"a\"},"
         "{\"type\":\"sbs\",\"connect\":\"x:2\",\"name\":\"a\"}]}",
         "feeds[1].name"},
        {"{\"feeds\": [{\"type\":\"sbs\",\"connect\":\"x:1\",\"silence_s\":0}]}",
         "feeds[0].silence_s"},
        {"{\"feed_silence_s\": 0}", "feed_silence_s"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dc_server_config c;
        dc_error err;
        assert_int_not_equal(load(cases[i].json, &c, &err), DC_OK);
        if (strcmp(err.field, cases[i].field))
            fail_msg("case %zu: field %s (%s), expected %s", i, err.field, err.reason,
                     cases[i].field);
        assert_int_equal(c.n_feeds, 0); /* nothing taken from a refused file */
    }
}

/* ---- fusion ---- */

typedef struct rig {
    dc__fusion fu;
    dc_feed_config cfg[2];
    dc__feed f[2];
    dc_track_report batch[2][8];
    char ids[2][8][DC__FEED_KEY_MAX];
} rig;

static rig *rig_new(void)
{
    rig *g = calloc(1, sizeof *g);
    assert_int_equal(dc__fusion_init(&g->fu, 64, 30), DC_OK);
    for (int i = 0; i < 2; i++) {
        g->cfg[i].type = DC_FEED_SRC_SBS;
        g->cfg[i].clock_arrival = 1;
        g->f[i].cfg = &g->cfg[i];
        g->f[i].batch = g->batch[i];
        g->f[i].ids = g->ids[i];
    }
    return g;
}

static void rig_free(rig *g)
{
    dc__fusion_free(&g->fu);
    free(g);
}

static dc_feed_report pos(uint32_t icao, double lat, double lon, double fl)
{
    dc_feed_report r = {0};
    r.has = DC_FEED_HAS_MODE_S | DC_FEED_HAS_POSITION | DC_FEED_HAS_FL;
    r.mode_s = icao;
    r.lat_deg = lat;
    r.lon_deg = lon;
    r.fl = fl;
    return r;
}

static void fusion_merges_partials(void **state)
{
    (void)state;
    rig *g = rig_new();
    dc__feed *f = &g->f[0];
    dc_feed_report v = {0};
    v.has = DC_FEED_HAS_MODE_S | DC_FEED_HAS_VELOCITY | DC_FEED_HAS_VRATE;
    v.mode_s = 0xA2C1EC;
    v.ground_speed_mps = 120;
    v.track_deg = 90;
    v.vertical_rate_mps = -3;
    f->now_s = 1000;
    dc__fusion_report(&g->fu, f, &v);
    assert_int_equal(f->n_batch, 0); /* no position: nothing handed on */
    dc_feed_report p = pos(0xA2C1EC, 34.0, -118.2, 35.75);
    f->now_s = 1001;
    dc__fusion_report(&g->fu, f, &p);
    assert_int_equal(f->n_batch, 1);
    const dc_track_report *o = &f->batch[0];
    assert_string_equal(o->track_id, "A2C1EC");
    assert_int_equal(o->operator_number, DC_TRACK_OPERATOR_UNKNOWN);
    assert_null(o->operation_id);
    assert_true(o->time_s == 1001 && o->lat_deg == 34.0 && o->lon_deg == -118.2);
    assert_true(o->alt_m == 35.75 * 30.48);
    assert_true(o->ground_speed_mps == 120 && o->track_deg == 90 && o->vertical_rate_mps == -3);
    /* A position without an altitude takes the aircraft's last one. */
    p.has &= ~DC_FEED_HAS_FL;
    f->now_s = 1002;
    dc__fusion_report(&g->fu, f, &p);
    assert_int_equal(f->n_batch, 2);
    assert_true(f->batch[1].alt_m == 35.75 * 30.48);
    /* Never heard of, no altitude: held back. */
    dc_feed_report q = pos(0x123456, 1, 2, 0);
    q.has &= ~DC_FEED_HAS_FL;
    dc__fusion_report(&g->fu, f, &q);
    assert_int_equal(f->n_batch, 2);
    assert_int_equal(atomic_load(&f->incomplete), 1);
    rig_free(g);
}

static void fusion_newest_wins(void **state)
{
    (void)state;
    rig *g = rig_new();
    dc__feed *a = &g->f[0], *b = &g->f[1];
    dc_feed_report p = pos(0x4CA7A8, 41.0, 15.0, 390);
    a->now_s = 500;
    dc__fusion_report(&g->fu, a, &p);
    /* Feed b's report of the same aircraft, timed earlier: superseded. */
    b->now_s = 499.5;
    p.lat_deg = 41.1;
    dc__fusion_report(&g->fu, b, &p);
    assert_int_equal(b->n_batch, 0);
    assert_int_equal(atomic_load(&b->superseded), 1);
    /* Newer: one aircraft, one track id, whichever feed. */
    b->now_s = 501;
    dc__fusion_report(&g->fu, b, &p);
    assert_int_equal(b->n_batch, 1);
    assert_string_equal(b->batch[0].track_id, a->batch[0].track_id);
    /* After the window the aircraft starts afresh. */
    a->now_s = 400; /* an old report within the window is still older */
    dc__fusion_report(&g->fu, a, &p);
    assert_int_equal(a->n_batch, 1);
    a->now_s = 540;
    dc__fusion_report(&g->fu, a, &p);
    assert_int_equal(a->n_batch, 2);
    rig_free(g);
}

static void fusion_track_number_alias(void **state)
{
    (void)state;
    rig *g = rig_new();
    dc__feed *f = &g->f[0];
    dc_feed_report r = pos(0x3C0A55, 45.4, 15.1, 350);
    r.has |= DC_FEED_HAS_SAC_SIC | DC_FEED_HAS_TRACK_NUMBER;
    r.category = 62;
    r.sac = 25;
    r.sic = 100;
    r.track_number = 7977;
    f->now_s = 10;
    dc__fusion_report(&g->fu, f, &r);
    assert_string_equal(f->batch[0].track_id, "3C0A55");
    /* The same track number without its address: still that aircraft. */
    r.has &= ~DC_FEED_HAS_MODE_S;
    f->now_s = 11;
    dc__fusion_report(&g->fu, f, &r);
    assert_string_equal(f->batch[1].track_id, "3C0A55");
    /* Another track number with no address: keyed CAT-SAC-SIC-TN. */
    r.track_number = 4980;
    f->now_s = 12;
    dc__fusion_report(&g->fu, f, &r);
    assert_string_equal(f->batch[2].track_id, "062-25-100-4980");
    /* No address, no track number: nothing to key it by. */
    r.has &= ~(DC_FEED_HAS_TRACK_NUMBER | DC_FEED_HAS_SAC_SIC);
    dc__fusion_report(&g->fu, f, &r);
    assert_int_equal(f->n_batch, 3);
    rig_free(g);
}

/* A batch of three fused reports: A's declared address, an address nobody
 * declared, a track-number key. Only the first is tied, and only while the
 * operation is active. */
static void tie_only_declared_active(void **state)
{
    (void)state;
    char dir[] = "/tmp/dc-tie-XXXXXX", uri[128], key[256], path[160];
    dc_error err;
    dc_server *s = NULL;
    assert_non_null(mkdtemp(dir));
    snprintf(uri, sizeof uri, "sqlite:%s/store.db", dir);
    assert_int_equal(dc_server_init_store(uri, "host", key, sizeof key, &err), DC_OK);
    dc_server_config cfg;
    dc_server_config_default(&cfg);
    assert_int_equal(dc__airspace_open(uri, &cfg, &s, &err), DC_OK);
    dc__load_ctx l = {s, DC_OK, NULL};
    dc_store_operator a = {2, "opr_a", "a", 0, 0};
    assert_int_equal(dc__load_operator(&l, &a), 0);
    dc_store_entry e = {.id = "op_a",
                        .owner = 2,
                        .state = "approved",
                        .version = 1,
                        .volumes_json =
                            "[{\"footprint\":{\"type\":\"Point\",\"coordinates\":[30,0],"
                            "\"radius_m\":1000},\"altitude_lower_m\":0,\"altitude_upper_m\":100,"
                            "\"time_start\":\"2030-01-01T10:00:00Z\",\"time_end\":"
                            "\"2030-01-01T11:00:00Z\"}]",
                        .exempt_json = "[]",
                        .note = ""};
    assert_int_equal(dc__load_entry(&l, &e), 0);
    dc__entry *op = dc__entry_get(s, "op_a");
    assert_non_null(op);
    uint32_t addr = 0xABC123;
    size_t bad;
    char holder[24];
    assert_int_equal(
        dc__mode_s_register(s, dc__operator_get(s, 2), &addr, 1, "opr_host", &bad, holder), DC_OK);
    assert_int_equal(dc__mode_s_declare(s, op, &addr, 1), DC_OK);

    dc_track_report batch[3];
    char ids[3][DC__FEED_KEY_MAX];
    char ops[3][DC_TRACK_OPERATION_ID_MAX];
    dc__feed f = {.batch = batch, .ids = ids, .tie_ops = ops, .n_batch = 3};
    const char *keys[3] = {"ABC123", "DEF456", "062-25-100-4980"};
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < 3; i++) {
            snprintf(ids[i], sizeof ids[i], "%s", keys[i]);
            batch[i] =
                (dc_track_report){.operator_number = DC_TRACK_OPERATOR_UNKNOWN, .track_id = ids[i]};
        }
        size_t bytes = dc__feed_tie(s, &f);
        if (!pass) { /* approved: nothing flies yet */
            assert_int_equal(bytes, 0);
            assert_int_equal(batch[0].operator_number, DC_TRACK_OPERATOR_UNKNOWN);
            assert_null(batch[0].operation_id);
            dc__change act = {DC__ACTIVE, NULL, "opr_a", "activate", NULL};
            assert_int_equal(dc__entry_change(s, op, &act), DC_OK);
            continue;
        }
        assert_int_equal(bytes, strlen("op_a") + 1);
        assert_int_equal(batch[0].operator_number, 2);
        assert_string_equal(batch[0].track_id, "modes:ABC123");
        assert_string_equal(batch[0].operation_id, "op_a");
        for (int i = 1; i < 3; i++) {
            assert_int_equal(batch[i].operator_number, DC_TRACK_OPERATOR_UNKNOWN);
            assert_string_equal(batch[i].track_id, keys[i]);
            assert_null(batch[i].operation_id);
        }
    }
    dc__airspace_close(s);
    const char *files[3] = {"store.db", "store.db-wal", "store.db-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(config_ok),
        cmocka_unit_test(config_errors),
        cmocka_unit_test(fusion_merges_partials),
        cmocka_unit_test(fusion_newest_wins),
        cmocka_unit_test(fusion_track_number_alias),
        cmocka_unit_test(tie_only_declared_active),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
