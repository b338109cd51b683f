/* The authority's surveillance feeds (GET /v1/feeds, authority only): a
 * side section listing each feed's state, last message age and errors,
 * polled every 5 s. A silent feed is shown as such (its feed_silent alert
 * comes on the authority's stream too). Operators never call it. */
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');

function row(f) {
  const age = f.last_message_age_s === null ? 'no message yet' : f.last_message_age_s.toFixed(1) + ' s ago';
  const state = f.silent ? '<span class="error">silent</span>' : esc(f.state);
  return '<li>' + esc(f.name) + ' (' + esc(f.type) + '): ' + state + ', ' + age + ', ' +
    f.reports + ' reports, ' + f.decode_errors + ' errors, ' + f.reconnects + ' reconnects</li>';
}

/** Adds the section to the side panel and keeps it current. */
export function followFeeds(client) {
  const sec = document.createElement('section');
  sec.id = 'feeds';
  document.querySelector('aside').appendChild(sec);
  const poll = async () => {
    try {
      const r = await client.get('/v1/feeds');
      if (!r.ok || !r.body) return;
      sec.hidden = r.body.feeds.length === 0;
      sec.innerHTML = '<h2>Feeds <span class="count">(' + r.body.aircraft + ' aircraft)</span></h2>' +
        '<ol class="list">' + r.body.feeds.map(row).join('') + '</ol>';
    } catch (e) { /* network: the next poll retries */ }
  };
  poll();
  setInterval(poll, 5000);
}
