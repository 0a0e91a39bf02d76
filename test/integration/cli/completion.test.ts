/**
 * `deployster completion bash|zsh|fish` through the compiled binary. The bash script is
 * loaded into a real bash and asked for completions the way bash asks (COMP_WORDS /
 * COMP_CWORD); zsh and fish scripts are checked for what they register and offer.
 */
import { describe, expect, test } from "bun:test";
import { buildCli } from "../../../src/cli";
import { BIN, ensureBinary } from "../../support/binary";

ensureBinary();

function deployster(...args: string[]) {
  const p = Bun.spawnSync([BIN, ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

/** What the bash completion offers for the words typed so far (the last one is being completed). */
function bashComplete(words: string[], fn = "_deployster"): string[] {
  const script = `source <(${JSON.stringify(BIN)} completion bash)
COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; COMPREPLY=()
${fn}
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const p = Bun.spawnSync(["bash", "-c", script], { stdout: "pipe", stderr: "pipe", cwd: import.meta.dir });
  expect(p.stderr.toString()).toBe("");
  return p.stdout.toString().split("\n").filter(Boolean);
}

describe("completion", () => {
  test("bash: commands, flags, flag values, subcommands, deployctl", () => {
    const commands = buildCli().commands.map((c) => c.name).filter(Boolean);
    expect(commands).toEqual(expect.arrayContaining(["plan", "apply", "serve", "ctl", "type", "completion", "version"]));
    expect(bashComplete(["deployster", ""])).toEqual(commands);
    expect(bashComplete(["deployster", "pl"])).toEqual(["plan"]);
    expect(bashComplete(["deployster", "plan", "--var-f"])).toEqual(["--var-file"]);
    expect(bashComplete(["deployster", "plan", "--o"])).toEqual(["--out"]);
    expect(bashComplete(["deployster", "apply", "-c", ""])).toEqual(["NO", "ONCE", "RESOURCE", "ACTION"]);
    expect(bashComplete(["deployster", "apply", "--ch"])).toEqual(["--chdir"]);
    expect(bashComplete(["deployster", "plan", "completion.te"])).toEqual(["completion.test.ts"]); // manifests are files
    expect(bashComplete(["deployster", "type", ""])).toEqual(["check"]);
    expect(bashComplete(["deployster", "completion", ""])).toEqual(["bash", "zsh", "fish"]);
    expect(bashComplete(["deployster", "ctl", "ro"])).toEqual(["rollback"]);
    expect(bashComplete(["deployster", "ctl", "deploy", "--wa"])).toEqual(["--wait", "--wait-timeout"]);
    expect(bashComplete(["deployctl", "de"], "_deployctl")).toEqual(["deploy", "destroy"]);
  });

  test("zsh: a #compdef script for deployster and deployctl with every command and its flags", () => {
    const r = deployster("completion", "zsh");
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("#compdef deployster deployctl");
    expect(r.stdout).toContain("compdef _deployster deployster deployctl");
    for (const c of buildCli().commands.map((x) => x.name).filter(Boolean)) expect(r.stdout).toContain(`    ${c}) _arguments -s `);
    expect(r.stdout).toContain("'--var-file[Load variables from a YAML file (repeatable)]:file:_files'");
    expect(r.stdout).toContain("'-c[Confirmation  NO, ONCE, RESOURCE or ACTION]:value:(NO ONCE RESOURCE ACTION)'");
  });

  test("fish: subcommands, flags with their value completions, deployctl", () => {
    const r = deployster("completion", "fish");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("complete -c deployster -n __fish_use_subcommand -a plan -d 'Discover the current state and show what apply would change'");
    expect(r.stdout).toContain("complete -c deployster -n '__fish_seen_subcommand_from plan' -l var-file -r -F -d 'Load variables from a YAML file (repeatable)'");
    expect(r.stdout).toContain("complete -c deployster -n '__fish_seen_subcommand_from apply' -s c -l confirm -r -f -a 'NO ONCE RESOURCE ACTION'");
    expect(r.stdout).toContain("complete -c deployctl -n __fish_use_subcommand -a 'deploy run destroy list status rollback'");
  });

  test("an unknown or missing shell is a one-line error", () => {
    const r = deployster("completion", "tcsh");
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("error: completion: expected bash, zsh or fish (got 'tcsh')\n");
    expect(deployster("completion").code).toBe(1);
  });
});
