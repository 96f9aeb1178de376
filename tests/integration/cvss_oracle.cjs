// The independent CVSS implementations the CVSS test compares ermes with, from npm (installed
// in tests/browser/node_modules by `make browser-deps`): ae-cvss-calculator for 3.0, 3.1 and
// 4.0; for 2.0 cvss2js, which follows the 2.0 guide's equations (ae-cvss-calculator rounds the
// exploitability sub-score before the adjusted base score, which the guide does not).
// Reads one vector per line on stdin; writes one JSON object per line: base, temporal,
// environmental (null where absent), or error.
"use strict";
const readline = require("readline");
const { fromVector } = require("ae-cvss-calculator");
const cvss2 = require("cvss2js");

const V2_ORDER = ["AV", "AC", "Au", "C", "I", "A", "E", "RL", "RC", "CDP", "TD", "CR", "IR", "AR"];

// cvss2js takes a whole group or none: absent metrics become ND ("not defined").
function v2scores(line) {
  const m = {};
  for (const p of line.split("/")) { const [k, v] = p.split(":"); m[k] = v; }
  const defined = (ks) => ks.some((k) => m[k] !== undefined && m[k] !== "ND");
  const hasT = defined(["E", "RL", "RC"]), hasE = defined(["CDP", "TD", "CR", "IR", "AR"]);
  const full = V2_ORDER.map((k) => k + ":" + (m[k] === undefined ? "ND" : m[k])).join("/");
  return { base: cvss2.getBaseScore(full), temporal: hasT ? cvss2.getTemporalScore(full) : null,
    environmental: hasE ? cvss2.getEnvironmentalScore(full) : null };
}

const V4_THREAT = new Set(["E"]);
const V4_BASE = new Set(["AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA"]);

function v4score(parts) {
  const s = fromVector("CVSS:4.0/" + parts.join("/")).calculateScores();
  return s.overall;
}

const rl = readline.createInterface({ input: process.stdin });
const out = [];
rl.on("line", (line) => {
  line = line.trim();
  if (!line) return;
  try {
    if (line.startsWith("CVSS:4.0/")) {
      const parts = line.slice(9).split("/");
      const base = parts.filter((p) => V4_BASE.has(p.split(":")[0]));
      const threat = parts.filter((p) => V4_BASE.has(p.split(":")[0]) || V4_THREAT.has(p.split(":")[0]));
      const hasThreat = parts.some((p) => p.startsWith("E:") && p !== "E:X");
      const hasEnv = parts.some((p) => { const [m, v] = p.split(":"); return v !== "X" && !V4_BASE.has(m) && !V4_THREAT.has(m) && !["S", "AU", "R", "V", "RE", "U"].includes(m); });
      out.push(JSON.stringify({ base: v4score(base), temporal: hasThreat ? v4score(threat) : null,
        environmental: hasEnv ? v4score(parts) : null }));
    } else if (!line.startsWith("CVSS:")) {
      out.push(JSON.stringify(v2scores(line)));
    } else {
      const s = fromVector(line).calculateScores();
      out.push(JSON.stringify({ base: s.base, temporal: s.temporal === undefined ? null : s.temporal,
        environmental: s.environmental === undefined ? null : s.environmental }));
    }
  } catch (e) {
    out.push(JSON.stringify({ error: String(e && e.message || e) }));
  }
});
rl.on("close", () => { process.stdout.write(out.join("\n") + "\n"); });
