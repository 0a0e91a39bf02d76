import { describe, expect, test } from "bun:test";
import {
  AGENT_CHUNK,
  type AgentFrame,
  AgentFrameReader,
  AgentProtocolError,
  encodeFrame,
  encodeStart,
  encodeStdin,
  MAX_AGENT_PAYLOAD,
} from "../../../src/resource-types/runners/agent-protocol";

const header = (f: Uint8Array) => {
  const v = new DataView(f.buffer, f.byteOffset, f.byteLength);
  return { type: String.fromCharCode(f[0]), id: v.getUint32(1, true), length: v.getUint32(5, true) };
};

/** An agent frame as the agent writes it. */
function agentFrame(type: string, id: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(9 + payload.length);
  const v = new DataView(f.buffer);
  f[0] = type.charCodeAt(0);
  v.setUint32(1, id, true);
  v.setUint32(5, payload.length, true);
  f.set(payload, 9);
  return f;
}
const status = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, n, true);
  return b;
};

describe("frames deployster sends the runner agent", () => {
  test("start: argc, envc, then cwd, argv and env entries, each NUL-terminated", () => {
    const f = encodeStart(7, { cwd: "/w", argv: ["sh", "-c", "echo é"], env: { DEPLOYSTER_SCRATCH: "/s/inv-1" } });
    expect(header(f)).toEqual({ type: "S", id: 7, length: f.length - 9 });
    const v = new DataView(f.buffer, 9);
    expect([v.getUint32(0, true), v.getUint32(4, true)]).toEqual([3, 1]);
    expect(new TextDecoder().decode(f.subarray(17)).split("\0")).toEqual(["/w", "sh", "-c", "echo é", "DEPLOYSTER_SCRATCH=/s/inv-1", ""]);
  });

  test("start refuses what the agent could not take: no command, a NUL byte, more than its buffer", () => {
    expect(() => encodeStart(1, { cwd: "/", argv: [], env: {} })).toThrow("needs a command");
    expect(() => encodeStart(1, { cwd: "/", argv: ["a\0b"], env: {} })).toThrow("NUL byte");
    expect(() => encodeStart(1, { cwd: "/", argv: ["x".repeat(MAX_AGENT_PAYLOAD)], env: {} })).toThrow(`at most ${MAX_AGENT_PAYLOAD}`);
  });

  test("stdin goes in chunks of at most AGENT_CHUNK bytes, in order, then its end", () => {
    const bytes = new Uint8Array(2 * AGENT_CHUNK + 5).map((_, i) => i % 251);
    const frames = encodeStdin(3, bytes);
    expect(frames.map((f) => [header(f).type, header(f).id, header(f).length])).toEqual([
      ["I", 3, AGENT_CHUNK],
      ["I", 3, AGENT_CHUNK],
      ["I", 3, 5],
      ["E", 3, 0],
    ]);
    const joined = Buffer.concat(frames.slice(0, 3).map((f) => f.subarray(9)));
    expect(joined.equals(Buffer.from(bytes))).toBe(true);
    expect(encodeStdin(4, new Uint8Array(0)).map((f) => header(f).type)).toEqual(["E"]);
  });

  test("kill is a bare header", () => {
    expect([...encodeFrame("K", 9)]).toEqual([0x4b, 9, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe("reading the agent's frames", () => {
  const stream = Buffer.concat([
    agentFrame("R", 0, new TextEncoder().encode("deployster-agent 1")),
    agentFrame("O", 1, new TextEncoder().encode("out")),
    agentFrame("X", 2, new TextEncoder().encode("err")),
    agentFrame("Z", 1, status(137)),
    agentFrame("Z", 2, status(-1)),
  ]);
  const want: AgentFrame[] = [
    { type: "R", version: "deployster-agent 1" },
    { type: "O", id: 1, data: new TextEncoder().encode("out") },
    { type: "X", id: 2, data: new TextEncoder().encode("err") },
    { type: "Z", id: 1, status: 137 },
    { type: "Z", id: 2, status: -1 },
  ];
  const normal = (fs: AgentFrame[]) => fs.map((f) => ("data" in f ? { ...f, data: [...f.data] } : f));

  test("the same frames whatever the chunking: whole, byte by byte, in odd pieces", () => {
    for (const size of [stream.length, 1, 2, 7, 10, 13]) {
      const got: AgentFrame[] = [];
      const reader = new AgentFrameReader((f) => got.push("data" in f ? { ...f, data: f.data.slice() } : f));
      for (let at = 0; at < stream.length; at += size) reader.push(stream.subarray(at, at + size));
      expect([size, normal(got)]).toEqual([size, normal(want)]);
    }
  });

  test("a chunk reused by its sender after push does not change a frame still being assembled", () => {
    const got: AgentFrame[] = [];
    const reader = new AgentFrameReader((f) => got.push(f));
    const frame = agentFrame("O", 5, new TextEncoder().encode("hello"));
    const chunk = Buffer.from(frame.subarray(0, 11));
    reader.push(chunk);
    chunk.fill(0);
    reader.push(frame.subarray(11));
    expect(got).toHaveLength(1);
    expect(new TextDecoder().decode((got[0] as { data: Uint8Array }).data)).toBe("hello");
  });

  test("a frame announcing more than AGENT_CHUNK bytes is refused before it is buffered", () => {
    const big = agentFrame("O", 1, new Uint8Array(0));
    new DataView(big.buffer).setUint32(5, AGENT_CHUNK + 1, true);
    expect(() => new AgentFrameReader(() => {}).push(big)).toThrow(AgentProtocolError);
    expect(() => new AgentFrameReader(() => {}).push(big)).toThrow(`a frame of ${AGENT_CHUNK + 1} bytes`);
  });

  test("an unknown frame type, or an exit frame that is not 4 bytes, is a protocol error", () => {
    expect(() => new AgentFrameReader(() => {}).push(agentFrame("Q", 1, new Uint8Array(0)))).toThrow('unknown type "Q"');
    expect(() => new AgentFrameReader(() => {}).push(agentFrame("Z", 1, new Uint8Array(3)))).toThrow("exit frame of 3 bytes");
  });
});
