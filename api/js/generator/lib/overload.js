'use strict';
// WebIDL §2.5.8 (effective overload sets) and §3.7.7 (the overload
// resolution algorithm), computed at generation time: for each argument
// count the candidate overloads and, where there are several, the
// distinguishing argument index.

const T = require('./types.js');

// The number of arguments an overload needs: its arguments up to the last
// one that is neither optional nor variadic.
function requiredCount(op) {
  let r = 0;
  op.args.forEach((a, i) => {
    if (!a.optional && !a.variadic) r = i + 1;
  });
  return r;
}

function isVariadic(op) {
  return op.args.length > 0 && op.args[op.args.length - 1].variadic;
}

// The type and optionality of op's entry at index i (entries of variadic
// overloads repeat their last type).
function entryAt(op, i) {
  const n = op.args.length;
  if (i < n) {
    const a = op.args[i];
    return { type: a.type, optionality: a.variadic ? 'variadic' : a.optional ? 'optional' : 'required', arg: a };
  }
  const last = op.args[n - 1];
  return { type: last.type, optionality: 'variadic', arg: last };
}

function accepts(op, count) {
  const r = requiredCount(op);
  if (count < r) return false;
  if (isVariadic(op)) return true;
  return count <= op.args.length;
}

function distinguishingIndex(ops, count, where) {
  for (let i = 0; i < count; i++) {
    let ok = true;
    for (let a = 0; a < ops.length && ok; a++) {
      for (let b = a + 1; b < ops.length && ok; b++) {
        if (!T.distinguishable(entryAt(ops[a], i).type, entryAt(ops[b], i).type)) ok = false;
      }
    }
    if (ok) return i;
  }
  T.fail(`${where}: overloads with ${count} arguments have no distinguishing argument`);
  return -1;
}

// The dispatch plan of an overload set:
//   { finiteMax, variadic, minRequired, groups: [{ counts: [n...] | 'more',
//     ops: [...], index }] }
// `counts` lists the argument counts (after argcount = min(maxarg, n))
// sharing the same candidates; 'more' is every count above finiteMax
// (variadic overloads only).
function plan(ops, where) {
  const finiteMax = Math.max(0, ...ops.map((o) => o.args.length));
  const variadic = ops.some(isVariadic);
  const minRequired = Math.min(...ops.map(requiredCount));
  const groups = [];
  const add = (counts, cands, index) => {
    const prev = groups.find(
      (g) => g.ops.length === cands.length && g.ops.every((o, k) => o === cands[k]) && g.index === index,
    );
    if (prev && counts !== 'more' && prev.counts !== 'more') prev.counts.push(...counts);
    else groups.push({ counts, ops: cands, index });
  };
  for (let n = 0; n <= finiteMax; n++) {
    const cands = ops.filter((o) => accepts(o, n));
    const index = cands.length > 1 ? distinguishingIndex(cands, n, where) : -1;
    add([n], cands, index);
  }
  if (variadic) {
    const n = finiteMax + 1;
    const cands = ops.filter((o) => isVariadic(o) && accepts(o, n));
    const index = cands.length > 1 ? distinguishingIndex(cands, n, where) : -1;
    add('more', cands, index);
  }
  return { finiteMax, variadic, minRequired, groups };
}

// WebIDL's length of an operation or constructor: the shortest required
// argument count over its overloads.
function functionLength(ops) {
  return Math.min(...ops.map(requiredCount));
}

module.exports = { plan, requiredCount, isVariadic, entryAt, functionLength };
