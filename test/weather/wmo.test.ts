import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeWmoCode, WMO_CODES } from '../../src/weather';

const opts = { timeout: 2_000 };

test('covers exactly the codes Open-Meteo documents', opts, () => {
  assert.deepEqual(
    WMO_CODES,
    [0, 1, 2, 3, 45, 48, 51, 53, 55, 56, 57, 61, 63, 65, 66, 67, 71, 73, 75, 77, 80, 81, 82, 85, 86, 95, 96, 99],
  );
  for (const code of WMO_CODES) assert.doesNotMatch(describeWmoCode(code), /Unknown/, `code ${code}`);
});

test('describes codes in words', opts, () => {
  assert.equal(describeWmoCode(0), 'Clear sky');
  assert.equal(describeWmoCode(2), 'Partly cloudy');
  assert.equal(describeWmoCode(3), 'Overcast');
  assert.equal(describeWmoCode(48), 'Depositing rime fog');
  assert.equal(describeWmoCode(57), 'Dense freezing drizzle');
  assert.equal(describeWmoCode(65), 'Heavy rain');
  assert.equal(describeWmoCode(77), 'Snow grains');
  assert.equal(describeWmoCode(82), 'Violent rain showers');
  assert.equal(describeWmoCode(86), 'Heavy snow showers');
  assert.equal(describeWmoCode(95), 'Thunderstorm');
  assert.equal(describeWmoCode(99), 'Thunderstorm with heavy hail');
});

test('says so for a code Open-Meteo does not use', opts, () => {
  assert.equal(describeWmoCode(4), 'Unknown conditions (WMO code 4)');
});
