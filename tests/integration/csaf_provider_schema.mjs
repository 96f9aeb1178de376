// Validates a CSAF provider metadata document (the file named on the command line) against the
// OASIS provider schema of ../shared/conformance/csaf (with the CSAF and CVSS schemas it refers
// to), with ajv from tests/browser/node_modules (installed for csaf-validator-lib). Prints the
// errors and exits 1 when it is not valid.
import fs from "fs";
import path from "path";
import { createRequire } from "module";

const require = createRequire(process.env.NODE_MODULES + "/");
const Ajv2020 = require("ajv/dist/2020").default;
const addFormats = require("ajv-formats");
const dir = process.env.CSAF_SCHEMAS;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
// The CSAF schema, and the FIRST CVSS schemas it refers to (ermes's copies, data/csaf/).
// Their $id carry a date (?20170531) the CSAF schema's references do not: added by the name
// the references use.
ajv.addSchema(JSON.parse(fs.readFileSync(path.join(dir, "csaf_json_schema.json"), "utf8")));
for (const f of fs.readdirSync(process.env.CVSS_SCHEMAS)) {
  if (!f.startsWith("cvss-v") || !f.endsWith(".json")) continue;
  const s = JSON.parse(fs.readFileSync(path.join(process.env.CVSS_SCHEMAS, f), "utf8"));
  delete s.$schema; // draft-07: ajv reads it as 2020-12, the same for these schemas
  delete s.$id;
  ajv.addSchema(s, "https://www.first.org/cvss/" + f);
}
const schema = JSON.parse(fs.readFileSync(path.join(dir, "provider_json_schema.json"), "utf8"));
const validate = ajv.compile(schema);
const doc = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
if (!validate(doc)) {
  process.stdout.write(JSON.stringify(validate.errors, null, 1) + "\n");
  process.exit(1);
}
process.stdout.write("valid\n");
