import { expect, test } from "bun:test";
import { formatTable } from "../../../src/client/table";
import { formatUnitsTable, readUnits } from "../../../src/client/units";
import { formatStatus } from "../../../src/client/status-text";

test("an empty list prints deployctl's header and dash row (tabwriter, padding 4)", () => {
  expect(formatUnitsTable([])).toBe(
    "#    Version    Current state    Desired state    Machine ID    Timestamp\n" +
      "-    -------    -------------    -------------    ----------    ---------\n",
  );
});

test("rows align like Go's tabwriter: each column is its widest cell + 4; the last is not padded", () => {
  const units = readUnits({
    units: [
      { service: "app", instance: "1", version: "abc123f", current_state: "launched", desired_state: "launched", machine_id: "0123456789abcdef", deploy_timestamp: "2015.01.02-03.04.05", host_port: 32768 },
      { service: "app", instance: 10, version: "v2", current_state: "inactive", desired_state: "launched", machine_id: "m", deploy_timestamp: "2015.01.02-03.04.06" },
    ],
  })!;
  expect(formatUnitsTable(units)).toBe(
    [
      "#     Version    Current state    Desired state    Machine ID          Timestamp",
      "-     -------    -------------    -------------    ----------          ---------",
      "1     abc123f    launched         launched         0123456789abcdef    2015.01.02-03.04.05",
      "10    v2         inactive         launched         m                   2015.01.02-03.04.06",
      "",
    ].join("\n"),
  );
});

test("readUnits refuses what isn't {units: [...]}", () => {
  expect(readUnits({})).toBeUndefined();
  expect(readUnits(null)).toBeUndefined();
  expect(readUnits({ units: null })).toBeUndefined();
  expect(readUnits({ units: [] })).toEqual([]);
});

test("formatTable counts code points, and takes a padding", () => {
  expect(formatTable([["é", "x"], ["ab", "y"]], { padding: 1 })).toBe("é  x\nab y\n");
});

test("formatStatus prints Go's resp.Status", () => {
  expect(formatStatus(401, "Unauthorized")).toBe("401 Unauthorized");
  expect(formatStatus(400, "")).toBe("400 Bad Request");
  expect(formatStatus(409)).toBe("409 Conflict");
  expect(formatStatus(599)).toBe("599");
  expect(formatStatus(500, "Oops")).toBe("500 Oops");
});
