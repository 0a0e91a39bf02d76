import { describe, expect, test } from "bun:test";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DotenvError, parseDotenv } from "../../../src/server/config-dir/dotenv";
import { loadServiceConfig } from "../../../src/server/config-dir/load";

const parse = (text: string) => Object.fromEntries(parseDotenv(text, "f.env").map((e) => [e.name, e.value]));
function error(text: string): DotenvError {
  try {
    parseDotenv(text, "f.env");
  } catch (err) {
    return err as DotenvError;
  }
  throw new Error("no error");
}

describe("parseDotenv", () => {
  test("comments, blanks, export, unquoted values with inline comments, no expansion", () => {
    expect(parse("# c\n\nA=1\nexport B = two words  # note\nC=$HOME/x\nD=\nE=a#b\n")).toEqual({ A: "1", B: "two words", C: "$HOME/x", D: "", E: "a#b" });
  });

  test("single quotes are literal; double quotes take \\n \\t \\\" \\\\ \\$; both may span lines", () => {
    expect(parse("A='x \\n $y'\nB=\"l1\\nl2\\t\\\"q\\\" \\\\ \\$HOME\"\nC=\"first\nsecond\" # c\nD='#not a comment'\n")).toEqual({
      A: "x \\n $y",
      B: 'l1\nl2\t"q" \\ $HOME',
      C: "first\nsecond",
      D: "#not a comment",
    });
  });

  test("CRLF and a BOM are read as plain lines", () => {
    expect(parse("\uFEFFA=1\r\nB='2'\r\n")).toEqual({ A: "1", B: "2" });
  });

  test("every error names the line and never the value", () => {
    const cases: [string, number, RegExp][] = [
      ["A=1\nnot a pair\n", 2, /expected NAME=value/],
      ["1A=x\n", 1, /not a variable name/],
      ["A=1\nB=2\nA=s3cr3t\n", 3, /A is set twice \(first on line 1\)/],
      ['A="s3cr3t\\q"\n', 1, /unknown backslash escape/],
      ["A=1\nB='s3cr3t\nC=2\n", 2, /never closed/],
      ['A="s3cr3t" tail\n', 1, /only a # comment may follow/],
      ["A=s3cr\"3t\n", 1, /quote inside an unquoted value/],
      ["A=`s3cr3t`\n", 1, /backtick/],
      ["A=1\nB=s3\u0000cr3t\n", 2, /NUL/],
    ];
    for (const [text, line, reason] of cases) {
      const e = error(text);
      expect(e).toBeInstanceOf(DotenvError);
      expect(e.line).toBe(line);
      expect(e.message).toStartWith(`f.env:${line}: `);
      expect(e.message).toMatch(reason);
      expect(e.message).not.toContain("s3cr");
    }
  });
});

describe("loadServiceConfig", () => {
  test("version overrides, secrets, digests that follow content, reserved and bad names refused", () => {
    const dir = mkdtempSync(join(tmpdir(), "dotenv-unit-"));
    try {
      writeFileSync(join(dir, "shop.env"), "GREETING=hello\nLEVEL=info\n");
      writeFileSync(join(dir, "shop.v2.env"), "LEVEL=debug\n");
      mkdirSync(join(dir, "shop.secrets"));
      writeFileSync(join(dir, "shop.secrets", "api_key"), "k1");
      writeFileSync(join(dir, "shop.secrets", ".swp"), "ignored");
      const v1 = loadServiceConfig(dir, "shop", "v1");
      const v2 = loadServiceConfig(dir, "shop", "v2");
      expect(v1.env).toEqual({ GREETING: "hello", LEVEL: "info" });
      expect(v2.env).toEqual({ GREETING: "hello", LEVEL: "debug" });
      expect(v2.variables.find((v) => v.name === "LEVEL")!.source).toBe(join(dir, "shop.v2.env"));
      expect(v1.secrets.map((s) => s.name)).toEqual(["api_key"]);
      expect(v1.digest).not.toBe(v2.digest);
      expect(loadServiceConfig(dir, "shop", "v1").digest).toBe(v1.digest);
      writeFileSync(join(dir, "shop.secrets", "api_key"), "k2");
      expect(loadServiceConfig(dir, "shop", "v1").digest).not.toBe(v1.digest);
      expect(loadServiceConfig(dir, "none", "v1")).toMatchObject({ env: {}, secrets: [] });
      expect(() => loadServiceConfig(dir, "../etc", "v1")).toThrow(/not valid/);
      writeFileSync(join(dir, "shop.secrets", "bad name"), "x");
      expect(() => loadServiceConfig(dir, "shop", "v1")).toThrow(/bad name: a secret's name must match/);
      rmSync(join(dir, "shop.secrets", "bad name"));
      writeFileSync(join(dir, "shop.v3.env"), "OK=1\nDEPLOYSTER_VERSION=x\n");
      expect(() => loadServiceConfig(dir, "shop", "v3")).toThrow(`${join(dir, "shop.v3.env")}:2: DEPLOYSTER_VERSION: names starting with DEPLOYSTER_ are reserved`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
