// Validates STIX 2.1 bundles against the OASIS STIX 2.1 JSON schemas (draft 2020-12) with ajv,
// the way the OASIS schema repository's own test_examples.sh does, plus the TLP 2.0 extension:
// every TLP 2.0 marking definition's extension against its schema, with the marking id that
// belongs to its label. Usage: node stix_validate.mjs SCHEMA_DIR TLP2_SCHEMA BUNDLE.json...
// Prints one JSON line per bundle: {"file", "valid", "objects", "errors": [...]}; exits 1 when
// any bundle is invalid. The schemas' patterns are not valid with the u flag (a "\\-"), so ajv
// compiles them without it, as the OASIS repository's ajv-cli run does.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import url from "node:url";

const here = path.dirname(url.fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "browser", "package.json"));
const Ajv2020 = require("ajv/dist/2020").default;
const addFormats = require("ajv-formats").default;

const [schemaDir, tlp2Schema, ...bundles] = process.argv.slice(2);
const ajv = new Ajv2020({ strict: false, allErrors: true, unicodeRegExp: false });
addFormats(ajv);
// ajv-formats has no idn-hostname: labels of 1 to 63 characters, letters of any script, digits
// and hyphens, at most 253 in all.
ajv.addFormat("idn-hostname", (s) =>
  s.length <= 253 && s.split(".").every((l) => /^[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u.test(l)));
for (const sub of ["common", "sdos", "sros", "observables"]) {
  for (const f of fs.readdirSync(path.join(schemaDir, sub)).sort()) {
    if (f.endsWith(".json")) ajv.addSchema(JSON.parse(fs.readFileSync(path.join(schemaDir, sub, f))));
  }
}
const base = "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/";
const bundleCheck = ajv.getSchema(base + "common/bundle.json");
const tlp2Check = ajv.compile(JSON.parse(fs.readFileSync(tlp2Schema)));
const tlp2Ids = {
  clear: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
  green: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
  amber: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
  "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
  red: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
};
const ext = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";
const bySort = { sdos: true, sros: true, observables: true };

let bad = 0;
for (const file of bundles) {
  const doc = JSON.parse(fs.readFileSync(file));
  const errors = [];
  if (!bundleCheck(doc)) errors.push({ where: "bundle", errors: bundleCheck.errors.slice(0, 5) });
  // Each object on its own too, against its type's schema: the bundle's anyOf hides which
  // object failed and why.
  for (const o of doc.objects || []) {
    let check = null;
    for (const sub of Object.keys(bySort)) {
      check = check || ajv.getSchema(base + sub + "/" + o.type + ".json");
    }
    if (o.type === "marking-definition") check = ajv.getSchema(base + "common/marking-definition.json");
    if (check && !check(o)) errors.push({ id: o.id, errors: check.errors.slice(0, 5) });
    if (o.type === "marking-definition" && o.extensions && o.extensions[ext]) {
      const e = o.extensions[ext];
      if (!tlp2Check(e)) errors.push({ id: o.id, errors: tlp2Check.errors });
      else if (tlp2Ids[e.tlp_2_0] !== o.id) errors.push({ id: o.id, errors: ["not the id of " + e.tlp_2_0] });
    }
  }
  if (errors.length) bad++;
  console.log(JSON.stringify({ file, valid: errors.length === 0, objects: (doc.objects || []).length, errors }));
}
process.exit(bad ? 1 : 0);
