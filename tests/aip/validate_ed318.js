// Validates ED-318 files against the published EUROCAE ED-318 JSON schemas
// (tests/aip/data/ed318/schema) with ajv + ajv-formats. Each schema gets an
// absolute $id so its relative "./Schema_*.json" references resolve. First
// checks the validator on the published examples (Example_* valid,
// InvalidExample_* invalid), then every file named on the command line.
// Exit 0 when every file is as expected.
"use strict";
const fs = require("fs");
const path = require("path");
const Ajv = require("ajv");
const addFormats = require("ajv-formats");

const dir = path.join(__dirname, "data", "ed318");
const base = "https://deconflict.invalid/ed318/schema/";
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
ajv.addFormat("DateTimeType", true); // named in Schema_GeoZoneDataTypes, defined nowhere
for (const f of fs.readdirSync(path.join(dir, "schema"))) {
  const s = JSON.parse(fs.readFileSync(path.join(dir, "schema", f), "utf8"));
  s.$id = base + f;
  ajv.addSchema(s);
}
const validate = ajv.getSchema(base + "Schema_GeoZones.json");
let bad = 0;
function check(file, expectValid) {
  const ok = validate(JSON.parse(fs.readFileSync(file, "utf8")));
  const pass = ok === expectValid;
  console.log(`${pass ? "ok  " : "FAIL"} ${path.basename(file)}: ${ok ? "valid" : "invalid"}` +
    (ok ? "" : " " + ajv.errorsText(validate.errors).slice(0, 400)));
  if (!pass) bad++;
}
for (const f of fs.readdirSync(path.join(dir, "examples")).sort()) {
  if (f.startsWith("Example_")) check(path.join(dir, "examples", f), true);
  if (f.startsWith("InvalidExample_")) check(path.join(dir, "examples", f), false);
}
for (const f of process.argv.slice(2)) check(f, true);
process.exit(bad ? 1 : 0);
