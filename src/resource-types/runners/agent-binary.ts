/**
 * The runner agent's program (agent.c), compiled static by scripts/build.sh into
 * bin/deployster-agent and embedded in the deployster executable by `bun build --compile`.
 * A runner gets it bind-mounted read-only at AGENT_PATH, so the type's image needs no shell,
 * no `sleep`, and nothing else of deployster's.
 */
import agentFile from "../../../bin/deployster-agent" with { type: "file" };

/** Where the agent is inside a runner. */
export const AGENT_PATH = "/.deployster-agent";

/** Architectures (the engine's names) the agent is built for; other images get no runner. */
export const AGENT_ARCHITECTURES = ["amd64"];

let program: Promise<Uint8Array> | undefined;

/** The agent's bytes (read once per process from the embedded file). */
export function agentProgram(): Promise<Uint8Array> {
  program ??= Bun.file(agentFile).bytes();
  return program;
}
