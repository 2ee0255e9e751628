// Reads a map (the client .tmj) and questions from stdin as JSON, answers with this client's
// walls, paths and lines: tests/js/test_space_rules.py compares them with rooms/space/grid.py.
import { readMap } from "../../static/js/space-map.js";
import { findPath, lineClear } from "../../static/js/space-path.js";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { tmj, paths, lines } = JSON.parse(input);
const map = await readMap(tmj);
process.stdout.write(
  JSON.stringify({
    blocked: [...map.grid.blocked],
    zones: map.zones.map((z) => [z.id, z.kind, z.name, z.capacity, z.rect.x, z.rect.y, z.rect.w, z.rect.h]),
    paths: paths.map(([a, b]) => findPath(map.grid, a, b)),
    lines: lines.map(([a, b]) => lineClear(map.grid, a, b)),
  }),
);
