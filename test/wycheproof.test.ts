/**
 * Wycheproof conformance inside `npm test`: the same runner as `npm run conformance` (scripts/_wycheproof.ts),
 * one vitest test per vector so the vectors appear in the passed count. One describe per file and per group;
 * a group's vectors run concurrently in beforeAll (verification runs on libuv's pool) and each test then judges
 * its own outcome, which keeps ~9,000 tests within a few seconds.
 *
 * `acceptable` vectors pass either way, except where payseal is deliberately strict (STRICT_FLAGS): those must
 * be rejected, so a change that starts accepting them (an OpenSSL upgrade, a lenient parser) is noticed.
 *
 * Signature vectors also run through the independent second opinion of src/verify (noble, node-forge, BigInt
 * DSA), as their own tests ("second opinion"): the same verdicts, the same strictness, and per file exactly the
 * deliberate deviations INDEPENDENT_DEVIATIONS lists (none today), counted and asserted.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  independentDeviation,
  INDEPENDENT_DEVIATIONS,
  judge,
  loadVectorFiles,
  vectorDir,
  vectorDirExists,
  type Outcome,
  type VectorCase,
  type VectorGroup,
} from '../scripts/_wycheproof.ts';

/** Legacy encodings Wycheproof calls acceptable and payseal rejects on purpose. */
const STRICT_FLAGS: Readonly<Record<string, string>> = {
  // DER INTEGER r without its leading 0x00 is a negative number (X.690 §8.3); one signature, one encoding.
  MissingZero: 'DER integer missing its leading zero',
  // PKCS#1 v1.5 DigestInfo must carry the NULL parameters (RFC 8017 §9.2 note 1); OpenSSL rejects the short form.
  MissingNull: 'DigestInfo without NULL parameters',
};

const dir = vectorDir();

/**
 * How many vectors per file the second opinion answers differently from Wycheproof on purpose (each matched by
 * INDEPENDENT_DEVIATIONS). None today: noble (lowS off, zip215 off), node-forge with EM comparison and the BigInt
 * DSA verifier agree with every verdict, and reject the same `acceptable` legacy encodings payseal rejects.
 */
const EXPECTED_DEVIATIONS: Readonly<Record<string, number>> = {};
if (INDEPENDENT_DEVIATIONS.length !== Object.keys(EXPECTED_DEVIATIONS).length) throw new Error('list each deviation with its expected count');

/** Deviations of the second opinion seen per file, checked against EXPECTED_DEVIATIONS after the file ran. */
const deviationsSeen = new Map<string, number>();

function strictFlag(c: VectorCase): string | undefined {
  return c.expected === 'acceptable' ? c.flags.find((f) => STRICT_FLAGS[f] !== undefined) : undefined;
}

function secondOpinionSuite(file: string, g: VectorGroup): void {
  const run = g.cases.filter((c) => c.runIndependent !== undefined);
  if (run.length === 0) return;
  describe(`${g.label}: second opinion (independent implementation)`, () => {
    let outcomes: Outcome[] = [];
    beforeAll(async () => {
      // The independent verifiers are synchronous JavaScript; run one after another.
      outcomes = [];
      for (const c of run) outcomes.push(await (c.runIndependent as () => Promise<Outcome>)());
    });
    run.forEach((c, i) => {
      const strict = strictFlag(c);
      it(`tcId ${c.tcId} [${c.expected}${strict ? ', rejected like payseal' : ''}] second opinion`, () => {
        const outcome = outcomes[i] as Outcome;
        const verdict = judge(c.expected, outcome);
        const deviation = verdict.pass ? null : independentDeviation(file, c);
        if (deviation !== null) deviationsSeen.set(file, (deviationsSeen.get(file) ?? 0) + 1);
        else expect(verdict.pass, verdict.why).toBe(true);
        if (strict !== undefined) expect(outcome.accepted).toBe(false);
      });
    });
  });
}

function groupSuite(g: VectorGroup): void {
  if (g.skipReason !== null) {
    describe.skip(`${g.label}: skipped by name, ${g.skipReason}`, () => {
      for (const c of g.cases) it(`tcId ${c.tcId}`, () => {});
    });
    return;
  }
  describe(`${g.label}${g.outsideProfile ? ' [node:crypto direct]' : ''}`, () => {
    let outcomes: Outcome[] = [];
    beforeAll(async () => {
      outcomes = await Promise.all(g.cases.map((c) => c.run()));
    });
    g.cases.forEach((c, i) => {
      const strict = strictFlag(c);
      const name = `tcId ${c.tcId} [${c.expected}${strict ? `, payseal rejects: ${STRICT_FLAGS[strict]}` : ''}] ${c.comment}`;
      it(name, () => {
        const outcome = outcomes[i] as Outcome;
        const verdict = judge(c.expected, outcome);
        expect(verdict.pass, verdict.why).toBe(true);
        if (strict !== undefined) expect(outcome.accepted).toBe(false);
      });
    });
  });
}

if (!vectorDirExists(dir)) {
  describe.skip(`Wycheproof vectors: folder ${dir} not found (set PAYSEAL_WYCHEPROOF_DIR to run them)`, () => {
    it('runs every vector file', () => {});
  });
} else {
  for (const vf of loadVectorFiles(dir)) {
    if (vf.skipReason !== null) {
      describe.skip(`${vf.file}: skipped by name, ${vf.skipReason}`, () => {
        it(`${vf.numberOfTests} vectors`, () => {});
      });
      continue;
    }
    describe(`wycheproof ${vf.file} (${vf.schema})`, () => {
      it(`holds the ${vf.numberOfTests} tests its header announces`, () => {
        expect(vf.groups.reduce((n, g) => n + g.cases.length, 0)).toBe(vf.numberOfTests);
      });
      for (const g of vf.groups) groupSuite(g);
      for (const g of vf.groups) if (g.skipReason === null) secondOpinionSuite(vf.file, g);
      if (vf.groups.some((g) => g.cases.some((c) => c.runIndependent !== undefined))) {
        it(`second opinion: ${EXPECTED_DEVIATIONS[vf.file] ?? 0} deliberate deviations, as counted`, () => {
          expect(deviationsSeen.get(vf.file) ?? 0).toBe(EXPECTED_DEVIATIONS[vf.file] ?? 0);
        });
      }
    });
  }
}
