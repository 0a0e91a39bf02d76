/**
 * The wire format between deployster and its runner agent (agent.c), over the runner
 * container's attached stdin (deployster → agent) and stdout (agent → deployster).
 *
 * A frame is a 9-byte header, then its payload:
 *   byte 0       type (one ASCII letter)
 *   bytes 1-4    invocation id, u32 little-endian (0 for the agent's own frames)
 *   bytes 5-8    payload length, u32 little-endian
 *
 * deployster → agent:
 *   S  start: u32 argc, u32 envc, then NUL-terminated strings: working directory, argv, env
 *      entries (`KEY=VALUE`, added to the container's environment)
 *   I  bytes for the invocation's stdin        E  its stdin ends
 *   K  kill: SIGKILL to the invocation's process group
 * agent → deployster:
 *   R  ready (id 0; payload: the agent's version)
 *   O  stdout bytes        X  stderr bytes      (at most AGENT_CHUNK bytes a frame)
 *   Z  the invocation ended: i32 status (its exit code, or 128 + the signal that ended it)
 *
 * The agent takes payloads of up to MAX_AGENT_PAYLOAD bytes. What deployster reads is bounded
 * tighter: a frame announcing more than AGENT_CHUNK bytes, or of an unknown type, is a
 * protocol violation that ends the runner.
 */
import { concat } from "../../docker/demux";

export const AGENT_HEADER = 9;
/** The most a stdout/stderr frame carries (the agent reads its pipes in chunks of this). */
export const AGENT_CHUNK = 64 * 1024;
/** The largest payload either side accepts (the agent's input buffer). */
export const MAX_AGENT_PAYLOAD = 1024 * 1024;

export type AgentRequestType = "S" | "I" | "E" | "K";
export type AgentFrame =
  | { type: "R"; version: string }
  | { type: "O" | "X"; id: number; data: Uint8Array }
  | { type: "Z"; id: number; status: number };

export function encodeFrame(type: AgentRequestType, id: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (payload.length > MAX_AGENT_PAYLOAD) throw new Error(`agent frame of ${payload.length} bytes (at most ${MAX_AGENT_PAYLOAD})`);
  const frame = new Uint8Array(AGENT_HEADER + payload.length);
  const view = new DataView(frame.buffer);
  frame[0] = type.charCodeAt(0);
  view.setUint32(1, id, true);
  view.setUint32(5, payload.length, true);
  frame.set(payload, AGENT_HEADER);
  return frame;
}

export interface AgentStart {
  cwd: string;
  argv: string[];
  /** Added to the container's environment, `KEY=VALUE`. */
  env: Record<string, string>;
}

/** The start frame; throws on what the agent could not take (no command, a NUL in a string, too large). */
export function encodeStart(id: number, s: AgentStart): Uint8Array {
  if (s.argv.length === 0) throw new Error("an invocation needs a command");
  const env = Object.entries(s.env).map(([k, v]) => `${k}=${v}`);
  const strings = [s.cwd, ...s.argv, ...env];
  if (strings.some((x) => x.includes("\0"))) throw new Error("a command, its working directory or environment holds a NUL byte");
  const text = new TextEncoder().encode(strings.map((x) => `${x}\0`).join(""));
  const payload = new Uint8Array(8 + text.length);
  const view = new DataView(payload.buffer);
  view.setUint32(0, s.argv.length, true);
  view.setUint32(4, env.length, true);
  payload.set(text, 8);
  return encodeFrame("S", id, payload);
}

/** The stdin frames of one invocation: its bytes in chunks, then its end. */
export function encodeStdin(id: number, bytes: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += AGENT_CHUNK) frames.push(encodeFrame("I", id, bytes.subarray(at, at + AGENT_CHUNK)));
  frames.push(encodeFrame("E", id));
  return frames;
}

/** A frame the agent must never send. */
export class AgentProtocolError extends Error {}

/**
 * Splits the agent's stdout into frames. Throws AgentProtocolError on a frame of an unknown
 * type, a payload over the bound, or a malformed ready/exit payload; keeps at most one frame
 * of input buffered.
 */
export class AgentFrameReader {
  private buffered: Uint8Array = new Uint8Array(0);

  constructor(private readonly onFrame: (frame: AgentFrame) => void) {}

  push(chunk: Uint8Array): void {
    let data = this.buffered.length ? concat(this.buffered, chunk) : chunk;
    while (data.length >= AGENT_HEADER) {
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const type = String.fromCharCode(data[0]);
      const id = view.getUint32(1, true);
      const length = view.getUint32(5, true);
      if (length > AGENT_CHUNK) throw new AgentProtocolError(`the runner agent sent a frame of ${length} bytes (at most ${AGENT_CHUNK})`);
      if (data.length < AGENT_HEADER + length) break;
      this.onFrame(decode(type, id, data.subarray(AGENT_HEADER, AGENT_HEADER + length)));
      data = data.subarray(AGENT_HEADER + length);
    }
    // A copy (not Buffer#slice, which is a view): the caller may reuse the chunk's memory.
    this.buffered = new Uint8Array(data);
  }
}

function decode(type: string, id: number, payload: Uint8Array): AgentFrame {
  switch (type) {
    case "R":
      return { type, version: new TextDecoder().decode(payload) };
    case "O":
    case "X":
      return { type, id, data: payload };
    case "Z":
      if (payload.length !== 4) throw new AgentProtocolError(`the runner agent sent an exit frame of ${payload.length} bytes`);
      return { type, id, status: new DataView(payload.buffer, payload.byteOffset, 4).getInt32(0, true) };
    default:
      throw new AgentProtocolError(`the runner agent sent a frame of unknown type ${JSON.stringify(type)}`);
  }
}
