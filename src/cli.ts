import { cac, type CAC } from "cac";
import { Shutdown, type ShutdownScope } from "./shutdown";
import { VERSION } from "./version";

/**
 * cac 7 hands mri camelCased names as its boolean list, so a hyphenated boolean flag
 * (`--detailed-exitcode FILE`) would swallow the next word as its value. Rewrite such flags
 * to `--flag=true` before parsing, and turn the resulting strings back into booleans after.
 */
function hyphenatedBooleanFlags(cli: CAC): Set<string> {
  const flags = new Set<string>();
  for (const cmd of [cli.globalCommand, ...cli.commands]) {
    for (const o of cmd.options) {
      if (!o.isBoolean || o.negated) continue;
      for (const part of o.rawName.split(",")) {
        const flag = part.trim();
        if (/^--[a-z0-9]+(-[a-z0-9]+)+$/.test(flag)) flags.add(flag);
      }
    }
  }
  return flags;
}

export function parseArgv(cli: CAC, args: string[]): void {
  const flags = hyphenatedBooleanFlags(cli);
  const end = args.indexOf("--");
  const rewritten = args.map((a, i) => ((end < 0 || i < end) && flags.has(a) ? `${a}=true` : a));
  cli.parse(["bun", "deployster", ...rewritten], { run: false });
  const names = new Set([...flags].map((f) => f.slice(2).replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())));
  for (const n of names) {
    const v = cli.options[n];
    if (v === "true" || v === "false") cli.options[n] = v === "true";
  }
  restoreStringValues(cli, end < 0 ? args : args.slice(0, end));
}

const camelCase = (flag: string) => flag.replace(/^-+/, "").replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * mri turns every value that looks like a number into one (`--password 000123` arrives as
 * 123, `--username 123` as a number the config cannot trim). Put back the text exactly as
 * written for every option that takes a value, except those whose default is a number
 * (--parallelism, --container-port: their consumers read numbers). The scan follows mri's
 * own rules: `--name value`, `--name=value`, `-c value`; a next word starting with `-` is
 * not a value; repeated options give a list.
 */
function restoreStringValues(cli: CAC, args: string[]): void {
  const command = cli.matchedCommand;
  const options = [...(command?.options ?? []), ...cli.globalCommand.options].filter(
    (o) => o.required !== undefined && typeof o.config.default !== "number",
  );
  const byFlag = new Map<string, string>();
  for (const o of options) {
    for (const part of o.rawName.split(",")) {
      const flag = part.trim().split(/[\s<[]/)[0]!;
      if (flag.startsWith("-")) byFlag.set(flag, camelCase(o.names[0]!));
    }
  }
  const raw = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf("=");
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const name = byFlag.get(flag);
    if (!name) continue;
    let value: string | undefined;
    if (eq > 0) value = a.slice(eq + 1);
    else if (i + 1 < args.length && !args[i + 1]!.startsWith("-")) value = args[++i];
    if (value !== undefined) raw.set(name, [...(raw.get(name) ?? []), value]);
  }
  for (const [name, values] of raw) {
    const v = values.length === 1 ? values[0]! : values;
    cli.options[name] = v;
    const option = options.find((o) => camelCase(o.names[0]!) === name);
    for (const alias of option?.names ?? []) if (alias in cli.options) cli.options[alias] = v;
  }
}

/**
 * cac gives every `--no-x` flag a default of true and prints it as `(default: true)` next to
 * a flag whose effect is false. Clear it: absent flags arrive as undefined, and each command
 * treats undefined as "on" (its description says so).
 */
function clearNegatedDefaults(cli: CAC): void {
  for (const cmd of [cli.globalCommand, ...cli.commands]) for (const o of cmd.options) if (o.negated) o.config.default = undefined;
}

/**
 * All cac wiring lives here. Each action imports its command module lazily (start-up stays
 * fast) and returns the exit code. `ctl` is dispatched by main.ts before cac sees argv, so
 * that deployctl's own option rules apply; it is registered here for --help only. The
 * commands that run containers or serve get `shutdown` (main.ts's): its signal stops them.
 */
export function buildCli(shutdown: ShutdownScope = new Shutdown()): CAC {
  const cli = cac("deployster");
  registerPlanAndApply(cli, shutdown);
  registerGraph(cli, shutdown);
  registerServe(cli, shutdown);
  registerTools(cli, shutdown);
  cli.help();
  cli.version(VERSION, "--version");
  clearNegatedDefaults(cli);
  return cli;
}

type CacCommand = ReturnType<CAC["command"]>;

/** The options plan and apply share. */
function withEngineOptions(c: CacCommand): CacCommand {
  return c
    .option("--var <NAME=VALUE>", "Set a context variable (repeatable)")
    .option("--var-file <file>", "Load variables from a YAML file (repeatable)")
    .option("-C, --chdir <dir>", "Run as if started in <dir> (manifests, --var-file and the workspace are relative to it)")
    .option("-c, --confirm <mode>", "Confirmation: NO, ONCE, RESOURCE or ACTION (default: ACTION; apply FILE: NO)")
    .option("-y, --yes", "Do not ask for confirmation (same as -c NO)")
    .option("-v, --verbose", "Verbose output (stack traces, protocol payloads)")
    .option("--parallelism <n>", "How many resources may run at once", { default: 10 })
    .option("--json", "Machine-readable output (plan document / apply NDJSON events)")
    .option("--work-dir <dir>", "Work directory (default: .deployster/work in the workspace)")
    .option("--no-init-cache", "Do not read or write cached init results (cached by default)")
    .option("--no-runners", "Run every invocation in a fresh container, also for types labelled deployster.reusable=true")
    .option("--action-timeout <duration>", "Timeout of each action container", { default: "30m" })
    .option("--state-timeout <duration>", "Timeout of each init/state container", { default: "5m" });
}

function registerPlanAndApply(cli: CAC, shutdown: ShutdownScope): void {
  withEngineOptions(cli.command("plan [...manifests]", "Discover the current state and show what apply would change"))
    .option("--detailed-exitcode", "Exit 0 when nothing to do, 2 when changes are pending, 1 on error")
    .option("-o, --out <file>", "Also save the plan to <file>, for `deployster apply <file>`")
    .example("deployster plan deployster.yaml --var env=qa")
    .action(async (manifests: string[], options) => (await import("./commands/plan")).runPlanCommand(manifests, { ...options, shutdown }));

  withEngineOptions(cli.command("apply [...manifests]", "Plan, confirm and converge the resources (or apply a plan saved by plan -o)"))
    .example("deployster plan -o release.plan && deployster apply release.plan")
    .example("deployster apply -y --var-file fixtures/quickstart/vars/site.yaml fixtures/quickstart/*.yaml")
    .action(async (manifests: string[], options) => (await import("./commands/apply")).runApplyCommand(manifests, { ...options, shutdown }));
}

function registerGraph(cli: CAC, shutdown: ShutdownScope): void {
  cli
    .command("graph [...manifests]", "Print the resource graph as Graphviz DOT or Mermaid (--plan: coloured by planned status)")
    .option("--format <format>", "dot or mermaid", { default: "dot" })
    .option("--plan", "Discover each resource's state (as plan does) and colour it VALID, STALE, PENDING or FAILED")
    .option("--var <NAME=VALUE>", "Set a context variable (repeatable)")
    .option("--var-file <file>", "Load variables from a YAML file (repeatable)")
    .option("-C, --chdir <dir>", "Run as if started in <dir> (manifests, --var-file and the workspace are relative to it)")
    .option("--work-dir <dir>", "Work directory (default: .deployster/work in the workspace)")
    .option("--parallelism <n>", "How many resources may run at once (--plan)", { default: 10 })
    .option("--state-timeout <duration>", "Timeout of each init/state container (--plan)", { default: "5m" })
    .option("-v, --verbose", "Show stack traces")
    .example("deployster graph fixtures/quickstart/*.yaml --var-file fixtures/quickstart/vars/site.yaml | dot -Tsvg > graph.svg")
    .example("deployster graph --plan --format mermaid")
    .action(async (manifests: string[], options) => (await import("./commands/graph")).runGraphCommand(manifests, { ...options, shutdown }));
}

function registerServe(cli: CAC, shutdown: ShutdownScope): void {
  cli
    .command("serve", "Serve the v1 deploy REST API (zero-downtime rollouts on the Docker engine)")
    .option("--listen <addr>", "HOST:PORT or :PORT to listen on", { default: "0.0.0.0:3000" })
    .option("--docker-hub-username <name>", "Image prefix when no registry is given", { default: "deployster" })
    .option("--registry-url <host:port>", "Private registry to pull service images from")
    .option("--username <name>", "Basic-auth user name", { default: "deployster" })
    .option("--password <secret>", "Basic-auth password (or DEPLOYSTER_PASSWORD; default: random, printed once)")
    .option("--cert <file>", "TLS certificate (needs --key)")
    .option("--key <file>", "TLS private key (needs --cert)")
    .option("--caddy-admin <url>", "Caddy admin API, e.g. http://127.0.0.1:2019")
    .option("--domain <domain>", "Route <service>.<domain> through Caddy")
    .option("--container-port <port>", "Port the service listens on inside its container", { default: 3000 })
    .option("--health-path <path>", "HTTP path that must answer 2xx/3xx before an instance is ready")
    .option("--health-timeout <duration>", "How long a new instance may take to become ready", { default: "5m" })
    .option("--task-timeout <duration>", "Longest a task may run", { default: "10m" })
    .option("--publish-host <ip>", "Host address instance ports are published on", { default: "127.0.0.1" })
    .option("--config-dir <dir>", "Per-service configuration: <dir>/<service>.env, <service>.<version>.env, <service>.secrets/<NAME> (read at every boot)")
    .option("--swarm", "Run instances and tasks as Swarm services (DOCKER_HOST must be a Swarm manager)")
    .option("--idle-timeout <duration>", "Close connections idle this long (1s-255s; task streams are exempt)", { default: "30s" })
    .option("--max-tasks <n>", "Tasks running at once; more are answered 429", { default: 32 })
    .option("--max-deploys <n>", "Rollouts running at once; more are answered 429", { default: 16 })
    .option("--docker-timeout <duration>", "Timeout of each Docker engine call (streams excepted)", { default: "2m" })
    .option("--pull-timeout <duration>", "Longest an image pull may take", { default: "10m" })
    .option("--instance-memory <size>", "Memory limit of each instance, e.g. 256m (default: none)")
    .option("--instance-pids <n>", "Process limit of each instance (default: none)")
    .option("--task-memory <size>", "Memory limit of each task container, e.g. 512m (default: none)")
    .option("--task-pids <n>", "Process limit of each task container (default: none)")
    .option("--instance-host <ip>", "Address where this server reaches the published ports when the engine runs elsewhere (another host or network namespace)")
    .option("--no-heal", "Leave an instance that dies after going live down (unrouted, inactive) instead of restarting it")
    .option("-v, --verbose", "Verbose logging")
    .option("--log-format <format>", "Log lines as text or json (one JSON object per line)", { default: "text" })
    .example("DEPLOYSTER_PASSWORD=s3cret deployster serve --listen :3000")
    .example("DOCKER_HOST=unix:///run/manager.sock deployster serve --swarm --registry-url 10.0.0.1:5000")
    .action(async (options) => (await import("./commands/serve")).runServeCommand({ ...options, shutdown }));
}

/** ctl (listed for --help; main.ts dispatches it), type check, completion and version. */
function registerTools(cli: CAC, shutdown: ShutdownScope): void {
  cli
    .command("ctl [...args]", "deployctl-compatible client: deploy|d, run|r, destroy|x, list|l, status, rollback")
    .allowUnknownOptions()
    .example("deployster ctl deploy app v2 --wait")
    .example("deployster ctl run app v2 -- bundle exec rake db:migrate");

  cli
    .command("type <subcommand> <image>", "Resource-type tools: `type check IMAGE` checks an image against the resource protocol")
    .option("--config <file>", "YAML or JSON config to check the type with (default: {})")
    .option("--state-timeout <duration>", "Timeout of each init/state container", { default: "5m" })
    .option("--action-timeout <duration>", "Timeout of each action container", { default: "30m" })
    .option("-v, --verbose", "Show the type's output as it runs")
    .example("deployster type check example/motd:1.0 --config config.yaml")
    .action(async (sub: string, image: string, options) => (await import("./commands/type-check")).runTypeCheckCommand(sub, image, { ...options, shutdown }));

  cli
    .command("completion <shell>", "Print a completion script for bash, zsh or fish")
    .example("deployster completion bash > /etc/bash_completion.d/deployster")
    .example("deployster completion fish > ~/.config/fish/completions/deployster.fish")
    .action(async (shell: string) => (await import("./commands/completion/index")).runCompletionCommand(shell, buildCli()));

  cli
    .command("version", "Print the deployster version and the Docker engine's version")
    .option("-v, --verbose", "Show stack traces")
    .action(async () => (await import("./commands/version")).runVersionCommand());
}
