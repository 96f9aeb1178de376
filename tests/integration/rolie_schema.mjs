// Validates ROLIE feed, service and category documents (the files named on the command line)
// against tests/integration/rolie_schema.json (RFC 8322 as CSAF 2.0 requirements 15 to 17 use
// it: no OASIS schema exists for these), with ajv from tests/browser/node_modules. Prints each
// invalid file's errors and exits 1 when one is not valid.
import fs from "fs";
import path from "path";
import { createRequire } from "module";
import { fileURLToPath } from "url";

const require = createRequire(process.env.NODE_MODULES + "/");
const Ajv2020 = require("ajv/dist/2020").default;
const addFormats = require("ajv-formats");
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const here = path.dirname(fileURLToPath(import.meta.url));
const validate = ajv.compile(
  JSON.parse(fs.readFileSync(path.join(here, "rolie_schema.json"), "utf8")),
);
let bad = 0;
for (const file of process.argv.slice(2)) {
  const doc = JSON.parse(fs.readFileSync(file, "utf8"));
  if (!validate(doc)) {
    bad++;
    process.stdout.write(file + ": " + JSON.stringify(validate.errors, null, 1) + "\n");
  }
}
process.stdout.write(bad ? bad + " invalid\n" : "valid\n");
process.exit(bad ? 1 : 0);
