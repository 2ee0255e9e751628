import assert from "node:assert/strict";
import { test } from "node:test";

import { cameraAt, viewScale } from "../../static/js/space-view.js";

test("the map scales to the screen: a phone, a laptop, a projector", () => {
  const phone = viewScale(358, 464);
  const projector = viewScale(1300, 640);
  assert.ok(phone < 1.05 && phone >= 0.6, `phone ${phone}`);
  assert.ok(projector > phone && projector <= 1.6, `projector ${projector}`);
  assert.ok(358 / phone >= 11 * 32 - 1, "a phone shows at least 11 tiles across");
  assert.equal(viewScale(100, 100), 0.6, "never smaller than 0.6");
  assert.equal(viewScale(4000, 3000), 1.6, "never larger than 1.6");
});

test("the camera follows the avatar and stays within the map; a small map is centred", () => {
  assert.deepEqual(cameraAt(640, 480, 400, 300, 1280, 960), [440, 330]);
  assert.deepEqual(cameraAt(10, 10, 400, 300, 1280, 960), [0, 0]);
  assert.deepEqual(cameraAt(1270, 950, 400, 300, 1280, 960), [880, 660]);
  assert.deepEqual(cameraAt(100, 100, 800, 600, 640, 480), [-80, -60]);
});
