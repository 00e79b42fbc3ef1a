import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvCell } from './workshop-api.js';

test('csvCell: a cell a spreadsheet would run as a formula gets a leading apostrophe; others are as they were', () => {
  const cases: Array<[string | number | boolean | null, string | number | boolean | null]> = [
    ['=1+1', "'=1+1"],
    ['+1', "'+1"],
    ['-2', "'-2"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=cmd', "'\t=cmd"],
    ['\r=cmd', "'\r=cmd"],
    ['Ana', 'Ana'],
    ['a=b', 'a=b'],
    ['', ''],
    [-3, -3],
    [null, null],
    [true, true],
  ];
  for (const [input, want] of cases) assert.equal(csvCell(input), want, JSON.stringify(input));
});
