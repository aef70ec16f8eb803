/**
 * `npm run conformance`: every Wycheproof vector file of PAYSEAL_WYCHEPROOF_DIR (default
 * ../shared/vectors/wycheproof) against src/crypto, through scripts/_wycheproof.ts; the signature vectors also
 * through the independent second opinion of src/verify (counted separately, its deliberate deviations from
 * Wycheproof listed in INDEPENDENT_DEVIATIONS and counted apart).
 * Prints one line per file and a last line `N passed, N failed`. Exit 0 when nothing failed (a deviation listed
 * in INDEPENDENT_DEVIATIONS is not a failure), 1 when something did, 2 when the vector folder is missing.
 */
import { independentDeviation, loadVectorFiles, runFile, vectorDir, vectorDirExists, type FileResult } from './_wycheproof.ts';

const dir = vectorDir();
if (!vectorDirExists(dir)) {
  console.error(`conformance: vector folder ${dir} not found; set PAYSEAL_WYCHEPROOF_DIR to the Wycheproof testvectors folder`);
  process.exit(2);
}

console.log(`Wycheproof vectors from ${dir}`);
console.log('acceptable vectors count as passed whether payseal accepts or rejects them; the split is shown per file.');
const results: FileResult[] = [];
let independentPassed = 0;
let independentFailed = 0;
let independentDeviations = 0;
for (const vf of loadVectorFiles(dir)) {
  const r = await runFile(vf);
  results.push(r);
  const extras = [
    r.acceptableAccepted + r.acceptableRejected > 0 ? `acceptable: ${r.acceptableAccepted} accepted, ${r.acceptableRejected} rejected` : '',
    r.outsideProfile > 0 ? `${r.outsideProfile} outside payseal profile (node:crypto direct)` : '',
    r.skipped > 0 ? `${r.skipped} skipped` : '',
  ].filter((s) => s !== '');
  console.log(`${r.failed === 0 ? 'ok  ' : 'FAIL'} ${r.file}: ${r.passed} passed, ${r.failed} failed${extras.length ? ` (${extras.join('; ')})` : ''}`);
  for (const why of r.skipReasons) console.log(`       skipped: ${why}`);
  for (const f of r.failures) console.log(`       tcId ${f.tcId} [${f.expected}] ${f.comment}: ${f.why}`);
  if (r.independent !== null) {
    const i = r.independent;
    const deviations = i.failures.filter((f) => independentDeviation(r.file, f) !== null);
    const failed = i.failed - deviations.length;
    independentFailed += failed;
    independentPassed += i.passed;
    independentDeviations += deviations.length;
    const extra =
      `; acceptable: ${i.acceptableAccepted} accepted, ${i.acceptableRejected} rejected` +
      (deviations.length > 0 ? `; ${deviations.length} deliberate deviations` : '');
    console.log(`${failed === 0 ? 'ok  ' : 'FAIL'}   second opinion: ${i.passed} passed, ${failed} failed${extra}`);
    for (const f of i.failures) {
      const deviation = independentDeviation(r.file, f);
      console.log(`       tcId ${f.tcId} [${f.expected}] ${f.comment}: ${deviation === null ? f.why : `deviation: ${deviation}`}`);
    }
  }
}

const sum = (k: 'passed' | 'failed' | 'acceptableAccepted' | 'acceptableRejected' | 'skipped' | 'outsideProfile'): number =>
  results.reduce((n, r) => n + r[k], 0);
console.log(
  `${results.length} files; acceptable: ${sum('acceptableAccepted')} accepted, ${sum('acceptableRejected')} rejected; ` +
    `${sum('outsideProfile')} outside payseal profile; ${sum('skipped')} skipped by name`,
);
console.log(
  `second opinion (independent implementation, signature vectors): ${independentPassed} passed, ${independentFailed} failed, ` +
    `${independentDeviations} deliberate deviations`,
);
// The last line stays payseal's own (OpenSSL) count, as docs/crypto.md shows it; the exit status covers both.
console.log(`${sum('passed')} passed, ${sum('failed')} failed`);
process.exit(sum('failed') + independentFailed > 0 ? 1 : 0);
