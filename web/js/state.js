/* The page's one state object, every field declared here with who writes
 * it, and the live track table. Plans (operations, restrictions, notices)
 * are replaced whole by main.js's refresh; tracks are merged report by
 * report; alerts live in the AlertBook (alerts.js). Drawing reads this and
 * writes only the screen positions of tracks (x, y, cur) and `screen`. */
import { AlertBook } from './alerts.js';
import { seconds } from './api.js';
import { PALETTE, UNKNOWN_COLOUR } from './format.js';

export const STALE_S = 30;   /* a track older than this is gone (the server's stale_s) */
export const DAY_S = 86400;
export const OWN_COLOUR = PALETTE[0];

/**
 * @typedef {{key: string, id: string, operatorId: string, operatorName: string,
 *            operation: string|null, t: number, lat: number, lon: number, alt: number,
 *            gs: number, trk: number, vr: number, colour: string,
 *            x: number, y: number, cur: {lat: number, lon: number, alt: number}|null}} Track
 *   id: the operator's track_id; t: its report's time (seconds UTC); lat, lon
 *   degrees, alt metres AMSL, gs m/s, trk degrees true, vr m/s at t; x, y,
 *   cur: where it was drawn last frame (CSS pixels; extrapolated position).
 */

export const state = {
  /* session (main.js, at sign-in) */
  role: /** @type {'authority'|'operator'|null} */ (null),
  me: '',
  hasWhoami: false,   /* the server answers GET /v1/whoami */
  /* plans (main.js refreshPlans, whole) */
  operators: /** @type {Map<string, string>} id -> name, authority only */ (new Map()),
  palette: /** @type {Map<string, string>} operator id -> track colour, authority only */ (new Map()),
  operations: /** @type {import('./api.js').Operation[]} */ ([]),
  restrictions: /** @type {import('./api.js').Restriction[]} */ ([]),
  notices: /** @type {import('./api.js').Notice[]} */ ([]),
  plansSig: '',
  /* live (ingestTrack, pruneTracks; the alert feed) */
  tracks: /** @type {Map<string, Track>} */ (new Map()),
  alerts: new AlertBook(),
  feed: { connected: false, missed: false },
  /* what is shown (map.js interaction, the time slider) */
  view: { lon: 44.0, lat: 33.5, ppd: 90, k: Math.cos(33.5 * Math.PI / 180) },
  live: true,
  tSel: 0,      /* the selected time when not live, seconds UTC */
  t0: 0,        /* the slider's start, seconds UTC */
  /* what needs repainting (set by anyone, cleared by the painter) */
  dirty: { base: true, static: true, lists: true },
  /* drawn last frame (map.js): tracks on screen, alerts circled, labels */
  screen: /** @type {Track[]} */ ([]),
  circled: /** @type {string[]} */ ([]),
  labels: { tracks: /** @type {{key: string, text: string, x: number, y: number, w: number, h: number}[]} */ ([]),
    places: /** @type {string[]} */ ([]), hidden: 0 },
  /* the aircraft of the alert clicked last (track keys), ringed on the map */
  selected: /** @type {string[]} */ ([])
};

export function nowS() { return Date.now() / 1000; }
export function selTime() { return state.live ? nowS() : state.tSel; }

/** The key of a track: its operator's id (none for an operator's own view
 *  and for unknown traffic) and its track_id. Alert sides use the same. */
export function trackKey(operator, trackId) { return (operator ? operator.id : '') + '/' + trackId; }

/** Merges one report of GET /v1/tracks; an older report than the one held is ignored. */
export function ingestTrack(r) {
  const t = seconds(r.time);
  const key = trackKey(r.operator, r.track_id);
  const old = state.tracks.get(key);
  if (old && old.t > t) return;
  const tr = old || { key, id: r.track_id, x: NaN, y: NaN, cur: null };
  tr.operatorId = r.operator ? r.operator.id : '';
  tr.operatorName = r.operator ? r.operator.name : '';
  tr.operation = r.operation_id || null;
  tr.t = t;
  tr.lat = r.lat; tr.lon = r.lon; tr.alt = r.alt_m;
  tr.gs = r.ground_speed_mps; tr.trk = r.track_deg; tr.vr = r.vertical_rate_mps;
  tr.colour = state.role === 'authority' ? (tr.operatorId ? operatorColour(tr.operatorId) : UNKNOWN_COLOUR) : OWN_COLOUR;
  if (!old) state.tracks.set(key, tr);
}

/** An operator's track colour: the next of the palette in the order
 *  operators were first met (main.js meets them sorted by name). */
export function operatorColour(id) {
  let c = state.palette.get(id);
  if (!c) state.palette.set(id, c = PALETTE[state.palette.size % PALETTE.length]);
  return c;
}

export function pruneTracks() {
  const lim = nowS() - STALE_S;
  state.tracks.forEach((tr, k) => { if (tr.t < lim) state.tracks.delete(k); });
}

/** Replaces the plans; marks the map and lists dirty when they changed. */
export function setPlans(operations, restrictions, notices) {
  const sig = JSON.stringify([operations, restrictions, notices]);
  state.operations = operations;
  state.restrictions = restrictions;
  state.notices = notices;
  if (sig !== state.plansSig) {
    state.plansSig = sig;
    state.dirty.static = state.dirty.lists = true;
  }
}

/** The name of an operation's owner (authority), else ''. */
export function ownerName(op) { return op.owner ? op.owner.name : ''; }
