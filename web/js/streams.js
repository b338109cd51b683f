/* Server-Sent Events read with fetch (EventSource cannot send the Bearer
 * header). readEvents() parses one response body into events; followAlerts()
 * keeps the caller's alert feed going: the records already kept (paged GET
 * /v1/alerts), then the stream from the last seq seen, reconnecting after
 * the server's `retry:` delay when the stream ends or fails. */

/**
 * Calls onEvent({event, data, id}) for each event of an event-stream body
 * and onRetry(ms) for a `retry:` field; resolves when the body ends.
 * @param {ReadableStream<Uint8Array>} body
 */
export async function readEvents(body, onEvent, onRetry) {
  const reader = body.getReader();
  const dec = new TextDecoder();
  let buf = '', cr = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    /* Line ends are CRLF, LF or CR; a CR that ends a chunk waits for the
     * next one, whose LF may belong to it. */
    let chunk = cr + dec.decode(value, { stream: true });
    cr = chunk.endsWith('\r') ? '\r' : '';
    if (cr) chunk = chunk.slice(0, -1);
    buf += chunk.replace(/\r\n?/g, '\n');
    let end;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      const ev = { event: 'message', data: '', id: null };
      let hasData = false;
      for (const line of block.split('\n')) {
        if (!line || line[0] === ':') continue; /* comment: heartbeat, resume notes */
        const c = line.indexOf(':');
        const field = c < 0 ? line : line.slice(0, c);
        const v = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
        if (field === 'data') { ev.data += (hasData ? '\n' : '') + v; hasData = true; }
        else if (field === 'event') ev.event = v;
        else if (field === 'id') ev.id = v;
        else if (field === 'retry' && /^\d+$/.test(v)) onRetry(Number(v));
      }
      if (hasData) onEvent(ev);
    }
  }
}

/**
 * Every alert record of the caller, in seq order, exactly once: onRecord(rec)
 * for each; onStatus({connected, missed}) when the feed's state changes.
 * Runs until signal aborts.
 * @param {import('./api.js').Client} client
 */
export async function followAlerts(client, signal, onRecord, onStatus) {
  let cursor = 0, retryMs = 2000, missed = false;
  const take = (rec) => {
    if (rec && rec.seq > cursor) { cursor = rec.seq; onRecord(rec); }
  };
  /* Backlog: pages of up to 1,000 until a short page. */
  for (;;) {
    const r = await client.alerts(cursor, 1000).catch(() => null);
    if (!r || !r.ok) break;
    missed = missed || r.body.missed;
    r.body.alerts.forEach(take);
    if (r.body.alerts.length < 1000 || r.body.next <= cursor) break;
  }
  while (!signal.aborted) {
    try {
      const res = await client.alertStream(cursor);
      if (!res.ok || !res.body) throw new Error('stream answered ' + res.status);
      onStatus({ connected: true, missed });
      await readEvents(res.body, (ev) => {
        let rec;
        try { rec = JSON.parse(ev.data); } catch (e) { return; }
        take(rec);
      }, (ms) => { retryMs = ms; });
    } catch (e) {
      /* ended, refused or aborted: reconnect below unless signed out */
    }
    if (signal.aborted) return;
    onStatus({ connected: false, missed });
    await new Promise((resolve) => setTimeout(resolve, retryMs));
  }
}
