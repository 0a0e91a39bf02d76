/** Usage texts of deployctl / `deployster ctl`. `prog` is how the user invoked us. */
import type { CtlCommand } from "./args";

const COMMAND_USAGE: Record<CtlCommand, { synopsis: string; summary: string; options?: string[] }> = {
  deploy: {
    synopsis: "deploy|d <service> <version> [--skip-destroy-previous] [--instances N] [--timestamp TS] [--wait]",
    summary: "Deploys a version; each old instance is destroyed once its new counterpart is ready.",
    options: [
      "--skip-destroy-previous  keep the previous version running",
      "--instances N            number of instances (0 = as many as now, or 1)",
      "--timestamp TS           deploy timestamp YYYY.MM.DD-hh.mm.ss (default: now, UTC)",
      "--wait                   follow the rollout: exit 0 once live, 1 if it fails",
      "--wait-timeout D         give up waiting after D (default 15m)",
    ],
  },
  run: {
    synopsis: "run|r <service> <version> [--] <command...>",
    summary: "Runs a one-off task in the version's image, streams its output, exits with its exit code.",
    options: ["--                       everything after it is the task's command, options included"],
  },
  destroy: {
    synopsis: "destroy|x <service> <version> [--timestamp TS]",
    summary: "Destroys all instances of a version (only that timestamp's, if given).",
    options: ["--timestamp TS           only the instances deployed at TS"],
  },
  list: {
    synopsis: "list|l <service> [--json]",
    summary: "Lists the instances of a service.",
    options: ["--json                   the server's JSON instead of the table"],
  },
  status: {
    synopsis: "status <service> [version] [--timestamp TS] [--json]",
    summary: "Shows the recent deploys of a service, or one deploy in detail.",
    options: ["--timestamp TS           that deploy of the version", "--json                   the server's JSON"],
  },
  rollback: {
    synopsis: "rollback <service> [--wait]",
    summary: "Deploys the previous version again, destroying the current one as it goes.",
    options: [
      "--wait                   follow the rollout: exit 0 once live, 1 if it fails",
      "--wait-timeout D         give up waiting after D (default 15m)",
    ],
  },
};

const GLOBAL_OPTIONS = [
  "--url URL                deployster server (default http://localhost:3000) [$DEPLOYSTER_URL]",
  "--username NAME          basic-auth user (default deployster) [$DEPLOYSTER_USERNAME]",
  "--password SECRET        basic-auth password [$DEPLOYSTER_PASSWORD]",
  "--ca-cert FILE           also trust this CA (PEM) besides the system roots [$DEPLOYSTER_CA_CERT]",
  "-h, --help               show help",
  "-v, --version            print the version",
];

/** `brief` (after a usage error): the command's part only, and where to find the rest. */
export function formatUsage(prog: string, command?: CtlCommand, brief = false): string {
  const lines: string[] = [];
  if (command) {
    const u = COMMAND_USAGE[command];
    lines.push(`Usage: ${prog} [global options] ${u.synopsis}`, "", u.summary);
    if (u.options?.length) lines.push("", "Options:", ...u.options.map((o) => `  ${o}`));
  } else {
    lines.push(
      `Usage: ${prog} [global options] <command> [command options] [arguments...]`,
      "",
      "A command line client for deployster serve (compatible with deployctl).",
      "",
      "Commands:",
      ...(Object.keys(COMMAND_USAGE) as CtlCommand[]).map((c) => `  ${COMMAND_USAGE[c].synopsis}`),
      "  help [command]",
    );
  }
  if (brief) lines.push("", `Global options: --url, --username, --password, --ca-cert (see ${prog} --help)`);
  else lines.push("", "Global options (allowed anywhere on the line):", ...GLOBAL_OPTIONS.map((o) => `  ${o}`));
  return `${lines.join("\n")}\n`;
}
