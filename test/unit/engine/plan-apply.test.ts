import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildContext, type ConfirmMode } from "../../../src/context/index";
import { applyPlan } from "../../../src/engine/apply";
import { toPlanDocument } from "../../../src/engine/document";
import { createPlan } from "../../../src/engine/plan";
import { Session } from "../../../src/engine/session";
import type { FailedResource, PendingResource, PlannedResource, SkippedResource } from "../../../src/engine/types";
import { loadManifests } from "../../../src/manifest/index";
import { createMemoryReporter } from "../../../src/engine/events";
import { createFakeWorld } from "./fake-type";

async function setup(yaml: string, o: { parallelism?: number } = {}) {
  const root = mkdtempSync(join(tmpdir(), "deployster-engine-"));
  writeFileSync(join(root, "m.yaml"), yaml);
  const context = await buildContext({ env: { CONF_DIR: join(root, "conf"), HOME: root }, cwd: root, version: "1.2.3" });
  const manifest = await loadManifests([join(root, "m.yaml")], context);
  const fake = createFakeWorld();
  const types = new Map<string, ReturnType<typeof fake.type>>();
  const reporter = createMemoryReporter();
  let session: Session | undefined;
  const plan = () => {
    session = new Session(context, {
      reporter,
      parallelism: o.parallelism,
      types: { resolve: (t) => types.get(t) ?? types.set(t, fake.type(t)).get(t)! },
    });
    return createPlan(session, manifest);
  };
  return { root, context, manifest, fake, reporter, plan, session: () => session! };
}
/** A planned resource with its status-specific fields readable (the assertions check them). */
const fieldsOf = (r: PlannedResource) => r as Partial<Pick<FailedResource, "error"> & Pick<PendingResource, "pendingOn"> & Pick<SkippedResource, "skippedBecause">>;
const statuses = (p: Awaited<ReturnType<Awaited<ReturnType<typeof setup>>["plan"]>>) => Object.fromEntries(p.resources.map((r) => [r.spec.name, r.status]));

const CHAIN = `
resources:
  disk: {type: fake, config: {value: d1}}
  vm:
    type: fake
    dependencies: {d: disk}
    config: {value: "on {{ d.state.value }}"}
  watcher:
    type: fake
    dependencies: {d: disk}
    config: {value: "watching {{ d.name }} of {{ d.type }}"}
  lone: {type: fake, config: {value: l}}
`;

describe("plan", () => {
  test("discovers without changing anything; STALE-dependent config is PENDING (decision 2)", async () => {
    const s = await setup(CHAIN);
    s.fake.world.set("lone", "l");
    const plan = await s.plan();
    expect(statuses(plan)).toEqual({ disk: "STALE", vm: "PENDING", watcher: "STALE", lone: "VALID" });
    expect(fieldsOf(plan.resources[1]).pendingOn).toEqual(["disk"]);
    expect(s.fake.calls.filter((c) => c.phase === "action")).toEqual([]);
    expect(s.fake.world.size).toBe(1);
    const doc = toPlanDocument(plan);
    expect(doc.format_version).toBe(1);
    expect(doc.summary).toEqual({ valid: 1, stale: 2, pending: 1, failed: 0, skipped: 0, changes: 3 });
    expect(doc.resources[0].actions).toEqual([{ name: "set", description: "Set disk", image: "fake", args: [] }]);
  });

  test("dependencies are exposed as alias -> {name, type, state} (conformance 5)", async () => {
    const s = await setup(CHAIN);
    s.fake.world.set("disk", "d1");
    const plan = await s.plan();
    const vmState = s.fake.calls.find((c) => c.phase === "state" && c.req.name === "vm")!;
    expect(vmState.req.config).toEqual({ value: "on d1" });
    const watcher = s.fake.calls.find((c) => c.phase === "state" && c.req.name === "watcher")!;
    expect(watcher.req.config).toEqual({ value: "watching disk of fake" });
    expect(statuses(plan).vm).toBe("STALE");
  });

  test("init runs once per type, and requests carry exactly the protocol's keys", async () => {
    const s = await setup(CHAIN);
    await s.plan();
    const inits = s.fake.calls.filter((c) => c.phase === "init");
    expect(inits.length).toBe(1);
    expect(Object.keys(inits[0].req)).toEqual(["name", "type", "version", "verbose", "workspace"]);
    expect(inits[0].req).toMatchObject({ type: "fake", version: "1.2.3", verbose: false, workspace: s.root });
    const state = s.fake.calls.find((c) => c.phase === "state")!;
    expect(Object.keys(state.req)).toEqual(["name", "type", "version", "verbose", "workspace", "config"]);
  });

  test("failures skip dependents only; undefined variables name resource and path", async () => {
    const s = await setup(`
resources:
  bad: {type: fake, config: {value: x, fail: state}}
  child: {type: fake, dependencies: {b: bad}, config: {value: y}}
  typo: {type: fake, config: {nested: {value: "{{ nope }}"}}}
  fine: {type: fake, config: {value: z}}
`);
    const plan = await s.plan();
    expect(statuses(plan)).toEqual({ bad: "FAILED", child: "SKIPPED", typo: "FAILED", fine: "STALE" });
    expect(fieldsOf(plan.resources[0]).error).toEqual({ phase: "state", message: "state of 'bad' terminated with exit code 5" });
    expect(fieldsOf(plan.resources[1]).skippedBecause).toBe("bad");
    expect(fieldsOf(plan.resources[2]).error!.phase).toBe("config");
    expect(fieldsOf(plan.resources[2]).error!.message).toBe("resources.typo.config.nested.value: undefined variable 'nope' (in '{{ nope }}')");
  });

  test("readonly and STALE is an error in the plan (decision 6)", async () => {
    const s = await setup(`resources:\n  ro: {type: fake, readonly: true, config: {value: x}}\n`);
    const plan = await s.plan();
    expect(plan.resources[0]).toMatchObject({ status: "FAILED", readonlyStale: true });
    expect(fieldsOf(plan.resources[0]).error!.message).toContain("readonly resource 'ro' is STALE");
  });

  test("the limiter caps concurrent invocations (--parallelism)", async () => {
    const yaml = `resources:\n${[1, 2, 3, 4, 5, 6].map((i) => `  r${i}: {type: fake, config: {value: v, sleep: 30}}`).join("\n")}\n`;
    const s1 = await setup(yaml, { parallelism: 2 });
    await s1.plan();
    expect(s1.fake.maxRunning).toBe(2);
    const s2 = await setup(yaml, { parallelism: 6 });
    await s2.plan();
    expect(s2.fake.maxRunning).toBe(6);
  });
});

describe("apply", () => {
  const apply = async (s: Awaited<ReturnType<typeof setup>>, confirm: ConfirmMode = "NO", answers: boolean[] = []) => {
    const plan = await s.plan();
    const questions: string[] = [];
    const result = await applyPlan(s.session(), plan, {
      confirm,
      prompt: async (q) => {
        questions.push(q);
        return answers.shift() ?? false;
      },
    });
    return { plan, result, questions };
  };

  test("converges, runs pending state queries after their dependency, and a second plan is all VALID", async () => {
    const s = await setup(CHAIN);
    const { result } = await apply(s);
    expect(result.ok).toBe(true);
    expect(Object.fromEntries(result.outcomes)).toEqual({ disk: "changed", vm: "changed", watcher: "changed", lone: "changed" });
    expect(s.fake.world.get("vm")).toBe("on d1");
    const action = s.fake.calls.find((c) => c.phase === "action" && c.req.name === "vm")!;
    expect(Object.keys(action.req)).toEqual(["name", "type", "version", "verbose", "workspace", "config", "staleState"]);
    expect(action.req.staleState).toEqual({});
    expect(statuses(await s.plan())).toEqual({ disk: "VALID", vm: "VALID", watcher: "VALID", lone: "VALID" });
  });

  test("staleState reaches the actions", async () => {
    const s = await setup(`resources:\n  a: {type: fake, config: {value: new}}\n`);
    s.fake.world.set("a", "old");
    await apply(s);
    expect(s.fake.calls.find((c) => c.phase === "action")!.req.staleState).toEqual({ value: "old" });
  });

  test("a failed action stops that resource; its dependents are skipped; others converge (conformance 15)", async () => {
    const s = await setup(`
resources:
  bad: {type: fake, config: {value: x, fail: action}}
  child: {type: fake, dependencies: {b: bad}, config: {value: "{{ b.state.value }}"}}
  ok: {type: fake, config: {value: y}}
`);
    const { result } = await apply(s);
    expect(result.ok).toBe(false);
    expect(Object.fromEntries(result.outcomes)).toEqual({ bad: "failed", child: "skipped", ok: "changed" });
    const failed = s.reporter.events.find((e) => e.event === "resource-result" && e.outcome === "failed");
    expect(failed).toMatchObject({ resource: "bad", error: { phase: "action", message: "action 'set' of 'bad' terminated with exit code 3" } });
  });

  test("a resource not VALID after its actions is a protocol error (conformance 15)", async () => {
    const s = await setup(`resources:\n  stuck: {type: fake, config: {value: x, stuck: true}}\n`);
    const { result } = await apply(s);
    expect(result.ok).toBe(false);
    const failed = s.reporter.events.find((e) => e.event === "resource-result" && e.outcome === "failed");
    expect(failed).toMatchObject({ error: { phase: "recheck", message: "protocol error: expected 'stuck' to be VALID after applying actions" } });
  });

  test("readonly STALE stops apply before any action (decision 6)", async () => {
    const s = await setup(`resources:\n  ro: {type: fake, readonly: true, config: {value: x}}\n  other: {type: fake, config: {value: y}}\n`);
    const { result } = await apply(s);
    expect(result.ok).toBe(false);
    expect(result.stopped).toContain("readonly resource 'ro' is STALE: nothing was changed");
    expect(s.fake.calls.filter((c) => c.phase === "action")).toEqual([]);
  });

  test("confirmation modes: ONCE, RESOURCE, ACTION; a no stops the rest", async () => {
    const yaml = `resources:\n  a: {type: fake, config: {value: 1}}\n  b: {type: fake, dependencies: {a: a}, config: {value: 2}}\n`;
    const once = await apply(await setup(yaml), "ONCE", [true]);
    expect(once.questions).toEqual(["Apply 2 action(s) on 2 resource(s)?"]);
    expect(once.result.ok).toBe(true);

    const perResource = await apply(await setup(yaml), "RESOURCE", [true, true]);
    expect(perResource.questions).toEqual(["Apply 1 action(s) to 'a' (set)?", "Apply 1 action(s) to 'b' (set)?"]);

    const perAction = await apply(await setup(yaml), "ACTION", [true, true]);
    expect(perAction.questions).toEqual(["Run action 'set' of 'a' (Set a)?", "Run action 'set' of 'b' (Set b)?"]);

    const s = await setup(yaml);
    const declined = await apply(s, "ACTION", [false]);
    expect(declined.result.ok).toBe(false);
    expect(declined.questions.length).toBe(1);
    expect(s.fake.calls.filter((c) => c.phase === "action")).toEqual([]);
    expect(Object.fromEntries(declined.result.outcomes)).toEqual({ a: "failed", b: "skipped" });

    const s2 = await setup(yaml);
    const onceNo = await apply(s2, "ONCE", [false]);
    expect(onceNo.result.stopped).toBe("declined: nothing was changed");
    expect(s2.fake.calls.filter((c) => c.phase === "action")).toEqual([]);
  });

  test("nothing to do: no question is asked", async () => {
    const s = await setup(`resources:\n  a: {type: fake, config: {value: 1}}\n`);
    s.fake.world.set("a", 1);
    const { result, questions } = await apply(s, "ONCE");
    expect(result.ok).toBe(true);
    expect(questions).toEqual([]);
  });
});
