// node:test reporter that prints the brief's closing line, "N passed, N failed".
// Counts leaf tests only: a test whose subtests were already counted, or a describe()
// suite, is a container, not a test of its own. Children are always reported before
// their parent, so a parent is recognised by a deeper event just before it.
export default async function* closingLineReporter(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const lastNestingByFile = new Map();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { nesting, file, details, skip, todo } = event.data;
    const previous = lastNestingByFile.get(file) ?? -1;
    lastNestingByFile.set(file, nesting);
    const isContainer = details?.type === 'suite' || previous > nesting;
    if (isContainer && event.type === 'test:pass') continue;
    // A failing container with no failing child (a hook or file-level error) still counts.
    if (isContainer && event.data.details?.error?.failureType === 'subtestsFailed') continue;
    if (skip || todo) skipped++;
    else if (event.type === 'test:pass') passed++;
    else failed++;
  }
  yield `\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
}
