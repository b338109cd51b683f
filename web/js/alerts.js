/* The alert book: every alert record the caller received, folded into one
 * entry per alert, which is active or not. A pair alert is keyed by its
 * `alert` ref, the same for its raise and its clear (docs/openapi.yaml,
 * OperatorAlert): a clear ends exactly the alert it clears. Conformance is
 * keyed by the track and its operation (nonconforming raises, conforming
 * ends). A probing alert has no clear: it stays active for its window_s. */
import { seconds } from './api.js';

const KEEP = 500; /* entries kept; the oldest inactive ones go first */

/**
 * @typedef {{key: string, kind: 'pair'|'conformance'|'probing', active: boolean,
 *            raised: import('./api.js').AlertRecord|null,
 *            revised: import('./api.js').AlertRecord|null,
 *            ended: import('./api.js').AlertRecord|null,
 *            t: number, tEnd: number}} AlertEntry
 *   raised: the record that raised it (null when only its end was kept by
 *   the server); revised: the newest revised advisory of an open pair alert
 *   (null when none); ended: the clear or conforming record; t, tEnd: seconds UTC
 *   (tEnd: when it ended, or for probing when it will).
 */

function keyOf(rec) {
  switch (rec.kind) {
    case 'raised': case 'cleared':
      return { kind: 'pair', key: rec.alert, raise: rec.kind === 'raised' };
    case 'revised':
      return { kind: 'pair', key: rec.alert, raise: false, revise: true };
    case 'nonconforming': case 'conforming':
      return {
        kind: 'conformance', raise: rec.kind === 'nonconforming',
        key: 'conformance/' + (rec.operator ? rec.operator.id : '') + '/' + rec.track_id + '/' + (rec.operation_id || '')
      };
    case 'probing':
      return { kind: 'probing', key: 'probing/' + rec.seq, raise: true };
    default:
      return null;
  }
}

export class AlertBook {
  constructor() {
    /** @type {Map<string, AlertEntry>} */
    this.entries = new Map();
    /** keys, newest first */
    this.order = [];
  }

  /** Folds one record in; false for a kind this page does not know. */
  apply(rec) {
    const k = keyOf(rec);
    if (!k || !k.key) return false;
    const t = seconds(rec.time);
    let e = this.entries.get(k.key);
    if (!e) {
      e = { key: k.key, kind: k.kind, active: false, raised: null, revised: null, ended: null, t, tEnd: 0 };
      this.entries.set(k.key, e);
      this.order.unshift(k.key);
      this.trim();
    }
    if (k.revise) {
      /* A newer advisory for an open alert (its raise may be gone from the
       * server's ring: the revision stands in for it). */
      if (e.raised) e.revised = rec;
      else { e.raised = rec; e.active = true; e.t = t; }
    } else if (k.raise) {
      e.raised = rec;
      e.revised = null;
      e.ended = null;
      e.active = true;
      e.t = t;
      e.tEnd = k.kind === 'probing' ? t + (rec.window_s || 0) : 0;
    } else {
      e.ended = rec;
      e.active = false;
      e.tEnd = t;
    }
    return true;
  }

  /** Ends probing alerts whose window has passed; true when one did. */
  expire(nowS) {
    let changed = false;
    this.entries.forEach((e) => {
      if (e.active && e.kind === 'probing' && e.tEnd <= nowS) { e.active = false; changed = true; }
    });
    return changed;
  }

  /** Entries newest first, active or not. */
  list(active) {
    const out = [];
    for (const k of this.order) {
      const e = this.entries.get(k);
      if (e.active === active) out.push(e);
    }
    return out;
  }

  trim() {
    for (let i = this.order.length - 1; i >= 0 && this.order.length > KEEP; i--) {
      const e = this.entries.get(this.order[i]);
      if (!e.active) { this.entries.delete(e.key); this.order.splice(i, 1); }
    }
  }
}
