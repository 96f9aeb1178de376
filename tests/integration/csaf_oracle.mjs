// The independent CSAF validator the CSAF tests compare ermes with: @secvisogram/csaf-validator-lib
// from npm (installed in tests/browser/node_modules by `make browser-deps`), with the tests of
// its "basic" preset (the strict schema and every mandatory test) or, with --extended, the
// optional tests of its "extended" preset that ermes implements too (6.2.13, 6.2.19 and 6.2.20
// are left out), so that both sides run the same tests (bench/csaf-validate.py).
// Reads file names, one per line, on stdin; writes one JSON line per file:
// {"file", "valid", "failed": ["csaf_2_0_strict", "mandatoryTest_6_1_7", ...], "warned":
// ["optionalTest_6_2_1", ...]}.
import fs from "fs";
import readline from "readline";
import { createRequire } from "module";

const require = createRequire(import.meta.url);
const base = process.env.CSAF_VALIDATOR_LIB;
const validate = (await import(base + "/validate.js")).default;
const basic = await import(base + "/basic.js");
const tests = Object.values(basic);
if (process.argv.includes("--extended")) {
  const optional = await import(base + "/optionalTests.js");
  for (const n of ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "14", "15", "16", "17", "18"])
    tests.push(optional["optionalTest_6_2_" + n]);
}
// --informative: the informative tests ermes implements (6.3.6 and 6.3.7 need the network,
// 6.3.8 hunspell, so those are left out).
if (process.argv.includes("--informative")) {
  const info = await import(base + "/informativeTests.js");
  for (const n of ["1", "2", "3", "4", "5", "10", "11"]) tests.push(info["informativeTest_6_3_" + n]);
}

const rl = readline.createInterface({ input: process.stdin });
const files = [];
rl.on("line", (l) => { if (l.trim()) files.push(l.trim()); });
rl.on("close", async () => {
  const t0 = process.hrtime.bigint();
  for (const file of files) {
    let doc;
    try { doc = JSON.parse(fs.readFileSync(file, "utf8")); } catch (e) {
      process.stdout.write(JSON.stringify({ file, valid: false, failed: ["json"] }) + "\n");
      continue;
    }
    const result = await validate(tests, doc);
    process.stdout.write(JSON.stringify({ file, valid: result.isValid,
      failed: result.tests.filter((t) => !t.isValid || t.errors.length).map((t) => t.name),
      warned: result.tests.filter((t) => t.warnings.length).map((t) => t.name),
      informed: result.tests.filter((t) => t.infos.length).map((t) => t.name) }) + "\n");
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stderr.write(`csaf-validator-lib: ${files.length} documents in ${ms.toFixed(0)} ms\n`);
});
