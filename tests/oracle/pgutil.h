/* libpq helpers shared by the PostGIS oracle test and the strategic benchmark
 * (header-only): fail-fast statements, a growable text buffer for COPY rows,
 * and a footprint's core as EWKT (ring / centre point / centre line), which
 * PostGIS reads as geography with the same great-circle edges as the engine. */
#ifndef DC_TESTS_PGUTIL_H
#define DC_TESTS_PGUTIL_H

#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deconflict/deconflict.h"

typedef struct pg_buf {
    char *p;
    size_t len, cap;
} pg_buf;

static inline void pg_buf_printf(pg_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static inline void pg_buf_printf(pg_buf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            fprintf(stderr, "pg_buf_printf: encoding error\n");
            exit(2);
        }
        if (b->p && (size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->len <= (size_t)n)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            fprintf(stderr, "pg_buf_printf: out of memory\n");
            exit(2);
        }
        b->p = p;
        b->cap = cap;
    }
}

/* Appends the footprint's core as EWKT (lon lat order, ring closed). */
static inline void pg_buf_ewkt(pg_buf *b, const dc_footprint *fp)
{
    uint32_t n;
    const dc_latlon *pt = dc_footprint_points(fp, &n);
    switch (dc_footprint_kind_of(fp)) {
    case DC_FP_CIRCLE:
        pg_buf_printf(b, "SRID=4326;POINT(%.17g %.17g)", pt[0].lon_deg, pt[0].lat_deg);
        return;
    case DC_FP_CORRIDOR:
        pg_buf_printf(b, "SRID=4326;LINESTRING(");
        break;
    case DC_FP_POLYGON:
        pg_buf_printf(b, "SRID=4326;POLYGON((");
        break;
    }
    for (uint32_t i = 0; i < n; i++)
        pg_buf_printf(b, "%s%.17g %.17g", i ? "," : "", pt[i].lon_deg, pt[i].lat_deg);
    if (dc_footprint_kind_of(fp) == DC_FP_POLYGON)
        pg_buf_printf(b, ",%.17g %.17g))", pt[0].lon_deg, pt[0].lat_deg);
    else
        pg_buf_printf(b, ")");
}

static inline PGconn *pg_connect(const char *conninfo)
{
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "postgres: cannot connect (%s): %s", conninfo, PQerrorMessage(c));
        exit(2);
    }
    return c;
}

/* Runs sql and exits on failure; returns the result (caller PQclear()s). */
static inline PGresult *pg_must(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        fprintf(stderr, "postgres: %s\n  in: %.200s\n", PQerrorMessage(c), sql);
        exit(2);
    }
    return r;
}

static inline void pg_exec(PGconn *c, const char *sql)
{
    PQclear(pg_must(c, sql));
}

/* Sends buf as the whole input of `copy_sql` (a COPY ... FROM STDIN). */
static inline void pg_copy(PGconn *c, const char *copy_sql, const pg_buf *buf)
{
    PGresult *r = PQexec(c, copy_sql);
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        fprintf(stderr, "postgres: %s", PQerrorMessage(c));
        exit(2);
    }
    PQclear(r);
    for (size_t off = 0; off < buf->len; off += 1 << 20) {
        size_t n = buf->len - off < (1 << 20) ? buf->len - off : (1 << 20);
        if (PQputCopyData(c, buf->p + off, (int)n) != 1) {
            fprintf(stderr, "postgres: COPY: %s", PQerrorMessage(c));
            exit(2);
        }
    }
    if (PQputCopyEnd(c, NULL) != 1) {
        fprintf(stderr, "postgres: COPY: %s", PQerrorMessage(c));
        exit(2);
    }
    r = PQgetResult(c);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "postgres: COPY: %s", PQerrorMessage(c));
        exit(2);
    }
    PQclear(r);
    while ((r = PQgetResult(c)))
        PQclear(r);
}

#endif
